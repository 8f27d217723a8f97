import FieldReportAPI
import FieldReportStore
import FieldReportWorkflow
import RPCCore
import WireBridge

extension IdentityService {
  public func createUser(_ request: Fieldreport_V1_CreateUserRequest, context: ServerContext) async throws
    -> Fieldreport_V1_CreateUserResponse
  {
    let principal = try context.principal()
    guard let kind = request.userKind.domainKind else {
      throw invalidArgument("user_kind", "must be STAFF, SERVICE_ACCOUNT or CITIZEN")
    }
    // Who may create what (the contract): system admin any kind; unit admin staff only;
    // the platform citizens only.
    let adminUnits = principal.grants.filter { $0.role == .unitAdmin }.map(\.unitID)
    if !principal.isSystemAdmin {
      switch kind {
      case .staff where !adminUnits.isEmpty: break
      case .citizen where principal.isPlatform: break
      default: throw permissionDenied("You may not create \(kind.rawValue) accounts.")
      }
    }
    try RequestValidation.username(request.username)
    try RequestValidation.text(request.fullName, "full_name", min: 1, maxBytes: 200)
    try RequestValidation.text(request.phone, "phone", maxBytes: 32)
    try RequestValidation.text(request.email, "email", maxBytes: 254)
    try RequestValidation.text(request.apiKeyLabel, "api_key_label", maxBytes: 100)
    try RequestValidation.idempotencyKey(request.idempotencyKey)
    if kind == .serviceAccount {
      if !request.initialPassword.isEmpty {
        throw invalidArgument("initial_password", "service accounts authenticate with API keys, not passwords")
      }
    } else {
      try RequestValidation.newPassword(request.initialPassword, "initial_password", username: request.username)
    }
    if request.initialRoles.count > 20 { throw invalidArgument("initial_roles", "at most 20") }
    if !request.initialRoles.isEmpty && !principal.isSystemAdmin {
      throw permissionDenied("Only a system admin grants roles at account creation.")
    }
    var roles: [(UnitID, RoleGrant.Role, String)] = []
    for (index, initial) in request.initialRoles.enumerated() {
      let field = "initial_roles[\(index)]"
      try RequestValidation.text(initial.positionTitle, "\(field).position_title", maxBytes: 100)
      if initial.roleKind == .platform {
        // The platform role is the service-account kind itself (no grant to store).
        guard kind == .serviceAccount else {
          throw invalidArgument("\(field).role_kind", "ROLE_KIND_PLATFORM requires a service account")
        }
        continue
      }
      guard let role = initial.roleKind.domainRole else { throw invalidArgument("\(field).role_kind", "unknown role") }
      guard kind != .citizen else { throw invalidArgument("\(field).role_kind", "citizens hold no unit role") }
      try RequestValidation.id(initial.unitId, "\(field).unit_id")
      guard let unit = try await self.store.findUnit(id: UnitID(initial.unitId)) else {
        throw notFound("unit \(initial.unitId)")
      }
      if (role == .iocOperator || role == .systemAdmin) && unit.kind != .ioc {
        throw invalidArgument("\(field).role_kind", "\(role.rawValue) is only granted at the IOC unit")
      }
      roles.append((unit.id, role, initial.positionTitle))
    }

    let id: UserID =
      request.idempotencyKey.isEmpty
      ? UserID(Secrets.id("u-"))
      : UserID(Secrets.id("u-", caller: principal.id.rawValue, idempotencyKey: request.idempotencyKey))
    var references = References(store: self.store)
    if !request.idempotencyKey.isEmpty, let first = try await self.store.findUser(id: id) {
      // A retry: the first result, without any API key secret.
      guard first.username == request.username, first.user.kind == kind else {
        throw RPCError(code: .alreadyExists, message: "This idempotency key was already used for a different request.")
      }
      var response = Fieldreport_V1_CreateUserResponse()
      response.user = try await references.summary(first)
      for grant in try await self.store.roleGrants(userID: id) where grant.status == .approved {
        response.roles.append(try await references.wire(grant))
      }
      return response
    }
    let now = self.env.now()
    let home = roles.first?.0 ?? (kind == .staff ? adminUnits.first : nil)
    let user = User(
      id: id, fullName: request.fullName, kind: kind, homeUnitID: home, isActive: true,
      phone: request.phone.isEmpty ? nil : request.phone, email: request.email.isEmpty ? nil : request.email)
    let credentials = kind == .serviceAccount
      ? nil : try await self.env.limits.passwordHashing.credentials(for: request.initialPassword, on: self.env.blockingWork)
    try await self.store.createUser(UserAccount(user: user, username: request.username, credentials: credentials))
    var response = Fieldreport_V1_CreateUserResponse()
    for (unit, role, position) in roles {
      let grant = RoleGrant(
        id: RoleGrantID(Secrets.id("g-")), userID: id, unitID: unit, role: role, position: position,
        status: .approved, requestedAt: now, decidedBy: principal.id, decidedAt: now,
        decisionNote: "granted at account creation")
      do {
        try await self.store.createRoleGrant(grant)
      } catch StoreError.duplicate {
        continue  // the same role listed twice: granted once
      }
      response.roles.append(try await references.wire(grant))
    }
    if kind == .serviceAccount {
      response.apiKey = try await self.issueKey(
        for: id, label: request.apiKeyLabel.isEmpty ? "initial" : request.apiKeyLabel, at: now)
    }
    response.user = try await references.summary(
      UserAccount(user: user, username: request.username, credentials: nil))
    self.env.logger(for: context).info("user created", metadata: ["new_user_id": "\(id)", "kind": "\(kind.rawValue)"])
    return response
  }

  /// Creates and stores a fresh API key; the secret is only in the returned message.
  func issueKey(
    for user: UserID, label: String, expiresAt: Timestamp? = nil, at now: Timestamp
  ) async throws -> Fieldreport_V1_IssuedApiKey {
    let key = Secrets.apiKey()
    try await self.store.createAPIKey(key, userID: user, label: label, expiresAt: expiresAt, at: now)
    var issued = Fieldreport_V1_IssuedApiKey()
    issued.keyId = self.store.apiKeyID(key)
    issued.apiKey = key
    issued.label = label
    issued.issuedAtMs = now.millisecondsSince1970
    issued.expiresAtMs = expiresAt?.millisecondsSince1970
    return issued
  }

  public func setUserDisabled(_ request: Fieldreport_V1_SetUserDisabledRequest, context: ServerContext) async throws
    -> Fieldreport_V1_SetUserDisabledResponse
  {
    let principal = try context.principal()
    try RequestValidation.id(request.userId, "user_id")
    try RequestValidation.text(request.reason, "reason", maxBytes: 2000)
    guard let account = try await self.store.findUser(id: UserID(request.userId)) else {
      throw notFound("user \(request.userId)")
    }
    if !principal.isSystemAdmin {
      // A unit admin manages staff whose every approved role is at units they administer.
      let administered = Set(principal.grants.filter { $0.role == .unitAdmin }.map(\.unitID))
      let held = try await self.store.roleGrants(userID: account.user.id).filter { $0.status == .approved }
      guard account.user.kind == .staff, !administered.isEmpty, !held.isEmpty,
        held.allSatisfy({ administered.contains($0.unitID) })
      else { throw permissionDenied("Only a system admin, or the admin of every unit the user works at, may do this.") }
    }
    if request.disabled && account.user.id == principal.id {
      throw failedPrecondition("SELF_DISABLE", "You cannot disable your own account.")
    }
    var user = account.user
    user.isActive = !request.disabled
    try await self.store.updateUser(user)
    if request.disabled {
      _ = try await self.store.revokeSessions(userID: user.id, keeping: nil, at: self.env.now())
    }
    self.env.logger(for: context).notice(
      "account \(request.disabled ? "disabled" : "enabled")",
      metadata: ["target_user_id": "\(user.id)", "reason": "\(request.reason)"])
    var references = References(store: self.store)
    var response = Fieldreport_V1_SetUserDisabledResponse()
    response.user = try await references.summary(UserAccount(user: user, username: account.username, credentials: nil))
    return response
  }

  public func issueApiKey(_ request: Fieldreport_V1_IssueApiKeyRequest, context: ServerContext) async throws
    -> Fieldreport_V1_IssueApiKeyResponse
  {
    let principal = try context.principal()
    guard principal.isSystemAdmin else { throw permissionDenied("Issuing API keys needs the system admin role.") }
    try RequestValidation.id(request.userId, "user_id")
    try RequestValidation.text(request.label, "label", maxBytes: 100)
    let now = self.env.now()
    var expiresAt: Timestamp?
    if let expiresAtMs = request.expiresAtMs {
      guard expiresAtMs > now.millisecondsSince1970 else {
        throw invalidArgument("expires_at_ms", "must be in the future (server time \(now.millisecondsSince1970))")
      }
      expiresAt = Timestamp(millisecondsSince1970: expiresAtMs)
    }
    guard let account = try await self.store.findUser(id: UserID(request.userId)) else {
      throw notFound("user \(request.userId)")
    }
    guard account.user.kind == .serviceAccount else {
      throw failedPrecondition("NOT_A_SERVICE_ACCOUNT", subject: request.userId, "Only service accounts have API keys.")
    }
    var response = Fieldreport_V1_IssueApiKeyResponse()
    let issued = try await self.issueKey(for: account.user.id, label: request.label, expiresAt: expiresAt, at: now)
    response.apiKey = issued
    if request.revokeExisting {
      response.revokedKeyIds = try await self.store.revokeAPIKeys(
        userID: account.user.id, keeping: issued.apiKey, at: now)
    }
    self.env.logger(for: context).notice(
      "API key issued", metadata: ["target_user_id": "\(account.user.id)", "key_id": "\(issued.keyId)"])
    return response
  }

  public func revokeApiKey(_ request: Fieldreport_V1_RevokeApiKeyRequest, context: ServerContext) async throws
    -> Fieldreport_V1_RevokeApiKeyResponse
  {
    let principal = try context.principal()
    guard principal.isSystemAdmin else { throw permissionDenied("Revoking API keys needs the system admin role.") }
    try RequestValidation.id(request.keyId, "key_id")
    guard let revokedAt = try await self.store.revokeAPIKey(id: request.keyId, at: self.env.now()) else {
      throw notFound("API key \(request.keyId)")
    }
    self.env.logger(for: context).notice("API key revoked", metadata: ["key_id": "\(request.keyId)"])
    var response = Fieldreport_V1_RevokeApiKeyResponse()
    response.revokedAtMs = revokedAt.millisecondsSince1970
    return response
  }

  public func searchUsers(_ request: Fieldreport_V1_SearchUsersRequest, context: ServerContext) async throws
    -> Fieldreport_V1_SearchUsersResponse
  {
    let principal = try context.principal()
    guard principal.user.kind == .staff || (principal.isServiceAccount && !principal.isPlatform) else {
      throw permissionDenied("Searching people is for staff.")
    }
    try RequestValidation.text(request.query, "query", maxBytes: 100)
    try RequestValidation.optionalID(request.unitId, "unit_id")
    try RequestValidation.pageSize(request.pageSize)
    let wantedKind: User.Kind
    switch request.userKind {
    case .unspecified: wantedKind = .staff
    default:
      guard let kind = request.userKind.domainKind else { throw invalidArgument("user_kind", "unknown kind") }
      wantedKind = kind
    }
    if wantedKind == .citizen && !(principal.isSystemAdmin || principal.hasAnywhere(.iocOperator)) {
      throw permissionDenied("Only IOC operators and system admins see citizens.")
    }
    var role: RoleGrant.Role?
    if request.roleKind != .unspecified {
      guard let domain = request.roleKind.domainRole else { throw invalidArgument("role_kind", "not a unit role") }
      role = domain
    }
    var unitMembers: Set<UserID>?
    if !request.unitId.isEmpty {
      unitMembers = Set(
        try await self.store.roleGrants(unitID: UnitID(request.unitId), status: .approved)
          .filter { role == nil || $0.role == role }.map(\.userID))
    }
    // The store narrows by the longest query word (substring); the contract's rule (every
    // word prefixes a name word) is applied here.
    let words = VietnameseFolding.tokens(request.query)
    let probe = words.max { $0.count < $1.count } ?? ""
    var candidates = try await self.store.searchUsers(text: probe, limit: 500).filter { user in
      user.kind == wantedKind && (request.includeDisabled || user.isActive)
        && (words.isEmpty || VietnameseFolding.matches(query: request.query, name: user.fullName))
        && (unitMembers?.contains(user.id) ?? true)
    }
    if let role, unitMembers == nil {
      var kept: [User] = []
      for user in candidates
      where try await self.store.roleGrants(userID: user.id).contains(where: { $0.status == .approved && $0.role == role }) {
        kept.append(user)
      }
      candidates = kept
    }
    // Best match first: names with more query words matched whole, then by folded name.
    func score(_ user: User) -> Int {
      let nameWords = Set(VietnameseFolding.tokens(user.fullName))
      return words.filter(nameWords.contains).count
    }
    let ranked = candidates.map { (user: $0, score: score($0), key: VietnameseFolding.fold($0.fullName)) }
      .sorted { ($0.score, $1.key, $1.user.id) > ($1.score, $0.key, $0.user.id) }
      .map(\.user)
    let paging = Paging(
      pageSize: self.env.limits.pageSize(request.pageSize),
      filters: "users|\(words.joined(separator: " "))|\(request.unitId)|\(request.roleKind.rawValue)|\(request.userKind.rawValue)|\(request.includeDisabled)")
    let (page, next) = try paging.page(ranked, token: request.pageToken)
    var references = References(store: self.store)
    var response = Fieldreport_V1_SearchUsersResponse()
    let seesCitizenPhones = principal.isSystemAdmin || principal.hasAnywhere(.iocOperator)
    for user in page {
      guard let account = try await references.account(user.id) else { continue }
      var summary = try await references.summary(account)
      if user.kind == .citizen && !seesCitizenPhones { summary.phone = "" }
      response.users.append(summary)
    }
    response.nextPageToken = next
    return response
  }
}
