import FieldReportAPI
import FieldReportStore
import FieldReportWorkflow
import RPCCore
import WireBridge

extension IdentityService {
  public func login(_ request: Fieldreport_V1_LoginRequest, context: ServerContext) async throws
    -> Fieldreport_V1_LoginResponse
  {
    try RequestValidation.text(request.username, "username", min: 1, maxBytes: 64)
    try RequestValidation.text(request.password, "password", min: 1, maxBytes: 1024)
    try RequestValidation.text(request.deviceLabel, "device_label", maxBytes: 100)
    let username = request.username.lowercased()
    let peer = LoginThrottle.peerAddress(context.peer)
    let now = self.env.now()
    let hashing = self.env.limits.passwordHashing
    let found = try await self.store.findUser(username: username)
    let outcome = try await self.env.loginThrottle.attempt(account: username, peer: peer, now: now) {
      if let account = found, let credentials = account.credentials, account.user.isActive,
        account.user.kind != .serviceAccount
      {
        return try await hashing.verify(request.password, against: credentials, on: self.env.blockingWork)
          ? account : nil
      }
      // Same work as a real check: the answer time does not reveal whether the account exists.
      try await hashing.burn(request.password, on: self.env.blockingWork)
      return nil
    }
    let account: UserAccount
    switch outcome {
    case .throttled(let delay):
      throw RPCError(
        code: .resourceExhausted,
        message: "Too many failed logins; try again in \((delay + 999) / 1000) seconds.",
        details: [.retryInfo(delay: .milliseconds(delay))])
    case .refused:
      self.env.logger(for: context).notice("login refused", metadata: ["username": "\(username)"])
      throw RPCError(code: .unauthenticated, message: "Wrong username or password, or the account cannot log in.")
    case .accepted(let accepted):
      account = accepted
    }
    let token = Secrets.sessionToken()
    let expires = now.adding(milliseconds: self.env.limits.sessionLifetimeMilliseconds)
    try await self.store.createSession(
      token: token, session: Session(userID: account.user.id, createdAt: now, expiresAt: expires))
    var references = References(store: self.store)
    var response = Fieldreport_V1_LoginResponse()
    response.sessionToken = token
    response.expiresAtMs = expires.millisecondsSince1970
    response.user = try await references.summary(account)
    for grant in try await self.store.roleGrants(userID: account.user.id) where grant.status == .approved {
      response.roles.append(try await references.wire(grant))
    }
    self.env.logger(for: context).info("login", metadata: ["user_id": "\(account.user.id)"])
    return response
  }

  public func logout(_ request: Fieldreport_V1_LogoutRequest, context: ServerContext) async throws
    -> Fieldreport_V1_LogoutResponse
  {
    let principal = try context.principal()
    guard case .session(let token) = Authenticator.presented(in: context.metadata) else {
      throw failedPrecondition("NOT_A_SESSION", "Logout ends sessions; API keys are revoked with RevokeApiKey.")
    }
    let now = self.env.now()
    var response = Fieldreport_V1_LogoutResponse()
    if request.allSessions {
      response.revokedSessions = Int32(
        clamping: try await self.store.revokeSessions(userID: principal.id, keeping: nil, at: now))
    } else {
      response.revokedSessions = try await self.store.revokeSession(token: token, at: now) ? 1 : 0
    }
    return response
  }

  public func whoAmI(_ request: Fieldreport_V1_WhoAmIRequest, context: ServerContext) async throws
    -> Fieldreport_V1_WhoAmIResponse
  {
    let principal = try context.principal()
    var references = References(store: self.store)
    var response = Fieldreport_V1_WhoAmIResponse()
    let account = try await references.account(principal.id)
      ?? UserAccount(user: principal.user, username: principal.username, credentials: nil)
    response.user = try await references.summary(account)
    for grant in principal.grants { response.roles.append(try await references.wire(grant)) }
    switch principal.credential {
    case .session(let expiresAt):
      response.authMethod = .session
      response.expiresAtMs = expiresAt.millisecondsSince1970
    case .apiKey(let expiresAt):
      response.authMethod = .apiKey
      response.expiresAtMs = expiresAt?.millisecondsSince1970
    case .certificate:
      response.authMethod = .clientCertificate
    }
    response.serverTimeMs = self.env.now().millisecondsSince1970
    return response
  }

  public func changePassword(_ request: Fieldreport_V1_ChangePasswordRequest, context: ServerContext) async throws
    -> Fieldreport_V1_ChangePasswordResponse
  {
    let principal = try context.principal()
    guard case .session(let token) = Authenticator.presented(in: context.metadata),
      let account = try await self.store.findUser(id: principal.id), let stored = account.credentials
    else {
      throw failedPrecondition("NO_PASSWORD", "This account has no password to change.")
    }
    try RequestValidation.text(request.currentPassword, "current_password", min: 1, maxBytes: 1024)
    try RequestValidation.newPassword(request.newPassword, "new_password", username: account.username)
    let username = (account.username ?? principal.id.rawValue).lowercased()
    let peer = LoginThrottle.peerAddress(context.peer)
    let now = self.env.now()
    let hashing = self.env.limits.passwordHashing
    // A stolen session must not be a way round the login rate limit.
    switch try await self.env.loginThrottle.attempt(account: username, peer: peer, now: now, check: {
      try await hashing.verify(request.currentPassword, against: stored, on: self.env.blockingWork) ? () : nil
    }) {
    case .throttled(let delay):
      throw RPCError(
        code: .resourceExhausted, message: "Too many failed attempts; try again later.",
        details: [.retryInfo(delay: .milliseconds(delay))])
    case .refused:
      throw RPCError(code: .unauthenticated, message: "The current password is wrong.")
    case .accepted:
      break
    }
    try await self.store.setCredentials(
      try await hashing.credentials(for: request.newPassword, on: self.env.blockingWork), for: principal.id)
    var response = Fieldreport_V1_ChangePasswordResponse()
    response.revokedSessions = Int32(
      clamping: try await self.store.revokeSessions(userID: principal.id, keeping: token, at: now))
    return response
  }
}
