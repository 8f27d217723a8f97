import FieldReportAPI
@testable import FieldReportServices
import FieldReportWorkflow
import RPCCore
import StoreTestSupport
import Testing
import WireBridge

@Suite("Authentication")
struct AuthenticationTests {
  typealias Client = Fieldreport_V1_IdentityServiceClient

  func loginRequest(_ username: String, _ password: String = TestServer.password) -> Fieldreport_V1_LoginRequest {
    var request = Fieldreport_V1_LoginRequest()
    request.username = username
    request.password = password
    return request
  }

  @Test("login over a real socket, WhoAmI with the token, logout revokes it", arguments: StoreEngine.all)
  func loginWhoAmILogout(engine: StoreEngine) async throws {
    try await TestServer.with(engine: engine) { server in
      try await server.withLiveServer { transport in
        let client = Client(transport)
        let login = try await client.login(loginRequest("THANG.LD"))  // usernames are case-insensitive
        #expect(login.sessionToken.utf8.count == 43)
        #expect(login.user?.fullName == "Lê Đại Thắng")
        #expect(login.roles.map(\.roleKind) == [.officer])
        #expect(login.expiresAtMs == server.clock.now.millisecondsSince1970 + 12 * 3_600_000)
        let options = TestServer.bearer(login.sessionToken)
        let me = try await client.whoAmI(Fieldreport_V1_WhoAmIRequest(), options: options)
        #expect(me.user?.username == "thang.ld")
        #expect(me.authMethod == .session)
        #expect(me.user?.displayUnit?.unitId == DemoProvince.dongLoc.rawValue)
        let logout = try await client.logout(Fieldreport_V1_LogoutRequest(), options: options)
        #expect(logout.revokedSessions == 1)
        #expect(await statusCode { try await client.whoAmI(Fieldreport_V1_WhoAmIRequest(), options: options) } == .unauthenticated)
      }
    }
  }

  @Test("no, malformed or unknown credentials are UNAUTHENTICATED; health needs none", arguments: StoreEngine.all)
  func unauthenticated(engine: StoreEngine) async throws {
    try await TestServer.with(engine: engine) { server in
      try await server.withLiveServer { transport in
        let client = Client(transport)
        #expect(await statusCode { try await client.whoAmI(Fieldreport_V1_WhoAmIRequest()) } == .unauthenticated)
        for header in ["Bearer", "Bearer nope-nope-nope-nope", "Basic abc", "ApiKey frk_unknown_unknown_unknown"] {
          let options = CallOptions(metadata: ["authorization": .text(header)])
          #expect(await statusCode { try await client.listUnits(Fieldreport_V1_ListUnitsRequest(), options: options) } == .unauthenticated)
        }
        var health = Rpc_V1_HealthCheckRequest()
        health.service = ""
        let status = try await transport.call(HealthService.check, health, options: .defaults)
        #expect(status.status == .serving)
      }
    }
  }

  @Test("wrong password, unknown user and service accounts get one UNAUTHENTICATED answer", arguments: StoreEngine.all)
  func refusedLogins(engine: StoreEngine) async throws {
    try await TestServer.with(engine: engine) { server in
      let client = Client(server.inProcess())
      let wrong = await statusCode { try await client.login(loginRequest("thang.ld", "sai-mat-khau")) }
      let unknown = await statusCode { try await client.login(loginRequest("nobody.here")) }
      let service = await statusCode { try await client.login(loginRequest("platform")) }
      #expect(wrong == .unauthenticated && unknown == .unauthenticated && service == .unauthenticated)
      var empty = loginRequest("")
      empty.password = ""
      let error = try #require(await rpcFailure { try await client.login(empty) })
      #expect(error.code == .invalidArgument)
      #expect(error.fieldViolations.first?.field == "username")
    }
  }

  @Test("two authorization entries are refused, never one picked; the scheme is case-insensitive", arguments: StoreEngine.all)
  func repeatedAuthorization(engine: StoreEngine) async throws {
    try await TestServer.with(engine: engine) { server in
      let transport = server.inProcess()
      let good = try await server.login(DemoProvince.duong, over: transport)
      let client = Client(transport)
      #expect(await statusCode { try await client.whoAmI(Fieldreport_V1_WhoAmIRequest(), options: good) } == nil)
      let token = try #require(good.metadata.firstText("authorization")).dropFirst("Bearer ".count)
      var twice = good
      twice.metadata.add("authorization", text: "Bearer \(token)")
      #expect(await statusCode { try await client.whoAmI(Fieldreport_V1_WhoAmIRequest(), options: twice) } == .unauthenticated)
      var lower = CallOptions()
      lower.metadata.add("authorization", text: "bearer \(token)")
      #expect(await statusCode { try await client.whoAmI(Fieldreport_V1_WhoAmIRequest(), options: lower) } == nil)
      var binary = CallOptions()
      binary.metadata.add("authorization", binary: Array("Bearer \(token)".utf8))
      #expect(await statusCode { try await client.whoAmI(Fieldreport_V1_WhoAmIRequest(), options: binary) } == .unauthenticated)
    }
  }

  @Test("the authorization header: scheme in any ASCII case, spaces around either part ignored, the secret kept whole")
  func authorizationHeaderForms() {
    func parsed(_ header: String) -> String? {
      switch Authenticator.presented(in: ["authorization": .text(header)]) {
      case .session(let token)?: "session:" + token
      case .apiKey(let key)?: "apikey:" + key
      case nil: nil
      }
    }
    #expect(parsed("Bearer abc") == "session:abc")
    #expect(parsed("bEaReR abc") == "session:abc")
    #expect(parsed("  Bearer    abc  ") == "session:abc")
    #expect(parsed("ApiKey frk_1 2") == "apikey:frk_1 2")
    #expect(parsed("APIKEY k") == "apikey:k")
    #expect(parsed("Bearer") == nil)
    #expect(parsed("Bearer    ") == nil)
    #expect(parsed("") == nil)
    #expect(parsed("   ") == nil)
    #expect(parsed("Basic abc") == nil)
    #expect(parsed("Bearerx abc") == nil)
    #expect(parsed("Beare abc") == nil)
    #expect(parsed("Bearer " + String(repeating: "a", count: 512)) == "session:" + String(repeating: "a", count: 512))
    #expect(parsed("Bearer " + String(repeating: "a", count: 513)) == nil)
    #expect(parsed("Bearer ngườidùng") == "session:ngườidùng")
    #expect(parsed("Bearer khoá ư  ") == "session:khoá ư")
    #expect(parsed("ApiKey \u{1F511}") == "apikey:\u{1F511}")
    #expect(Authenticator.presented(in: ["authorization": .binary(Array("Bearer abc".utf8))]) == nil)
  }

  @Test("sessions expire", arguments: StoreEngine.all)
  func expiry(engine: StoreEngine) async throws {
    try await TestServer.with(engine: engine) { server in
      let transport = server.inProcess()
      let options = try await server.login(DemoProvince.duong, over: transport)
      let client = Client(transport)
      _ = try await client.whoAmI(Fieldreport_V1_WhoAmIRequest(), options: options)
      server.clock.advance(milliseconds: 12 * 3_600_000 + 1)
      #expect(await statusCode { try await client.whoAmI(Fieldreport_V1_WhoAmIRequest(), options: options) } == .unauthenticated)
    }
  }

  @Test(
    "failed logins are limited per account, with retry info, and the window passes (counted in memory, or in the database)",
    arguments: StoreEngine.all)
  func perAccountRateLimit(engine: StoreEngine) async throws {
    try await TestServer.with(engine: engine) { server in
      let client = Client(server.inProcess())
      for _ in 0..<5 {
        #expect(await statusCode { try await client.login(loginRequest("duong.lv", "sai-mat-khau")) } == .unauthenticated)
      }
      // Even the right password is refused while the account is throttled.
      let throttled = try #require(await rpcFailure { try await client.login(loginRequest("duong.lv")) })
      #expect(throttled.code == .resourceExhausted)
      #expect(throttled.retryDelay != nil)
      // Another account from the same peer is still fine.
      _ = try await client.login(loginRequest("thang.ld"))
      server.clock.advance(milliseconds: 15 * 60_000 + 1)
      _ = try await client.login(loginRequest("duong.lv"))
    }
  }

  @Test(
    "logins sent all at once cannot outrun the limit: attempts under way count until they end",
    arguments: StoreEngine.all)
  func concurrentAttemptsCountAgainstTheLimit(engine: StoreEngine) async throws {
    try await TestServer.with(engine: engine) { server in
      // A costly check (scrypt N = 2^12), so that every attempt starts before the first ends.
      try await server.store.setCredentials(
        try PasswordHashing(logRounds: 12).credentials(for: TestServer.password), for: DemoProvince.duong.id)
      try await server.withLiveServer { transport in
        let client = Client(transport)
        // Twelve wrong passwords pipelined on one connection; the account's limit is 5.
        let codes = await withTaskGroup(of: StatusCode?.self) { group in
          for _ in 0..<12 {
            group.addTask { await statusCode { try await client.login(loginRequest("duong.lv", "sai-mat-khau")) } }
          }
          return await group.reduce(into: [StatusCode?]()) { $0.append($1) }
        }
        #expect(codes.count(where: { $0 == .unauthenticated }) == 5, "\(codes)")
        #expect(codes.allSatisfy { $0 == .unauthenticated || $0 == .resourceExhausted }, "\(codes)")
        // The attempts that were checked are counted: the right password is refused now.
        #expect(await statusCode { try await client.login(loginRequest("duong.lv")) } == .resourceExhausted)
      }
    }
  }

  @Test("failed logins are limited per peer across accounts", arguments: StoreEngine.all)
  func perPeerRateLimit(engine: StoreEngine) async throws {
    try await TestServer.with(engine: engine, limits: ServiceLimits(failedLoginsPerPeer: 3)) { server in
      let attacker = Client(server.inProcess(peer: "[IPv4]10.0.0.66:5000"))
      for name in ["a.one", "b.two", "c.three"] {
        #expect(await statusCode { try await attacker.login(loginRequest(name, "x")) } == .unauthenticated)
      }
      // A new port on the same address is the same peer.
      let again = Client(server.inProcess(peer: "[IPv4]10.0.0.66:5001"))
      #expect(await statusCode { try await again.login(loginRequest("thang.ld")) } == .resourceExhausted)
      let other = Client(server.inProcess(peer: "[IPv4]10.0.0.7:5000"))
      _ = try await other.login(loginRequest("thang.ld"))
    }
  }

  @Test("API keys authenticate service accounts; Logout with a key is refused; revoked keys stop working", arguments: StoreEngine.all)
  func apiKeys(engine: StoreEngine) async throws {
    try await TestServer.with(engine: engine) { server in
      let transport = server.inProcess()
      let client = Client(transport)
      let me = try await client.whoAmI(Fieldreport_V1_WhoAmIRequest(), options: server.platform)
      #expect(me.authMethod == .apiKey)
      #expect(me.user?.userKind == .serviceAccount)
      #expect(me.expiresAtMs == nil)
      #expect(await statusCode { try await client.logout(Fieldreport_V1_LogoutRequest(), options: server.platform) } == .failedPrecondition)

      let admin = try await server.login("admin", over: transport)
      var issue = Fieldreport_V1_IssueApiKeyRequest()
      issue.userId = DemoProvince.platform.id.rawValue
      issue.label = "rotation"
      issue.revokeExisting = true
      let issued = try await client.issueApiKey(issue, options: admin)
      #expect(issued.revokedKeyIds.count == 1)
      #expect(await statusCode { try await client.whoAmI(Fieldreport_V1_WhoAmIRequest(), options: server.platform) } == .unauthenticated)
      let fresh = TestServer.apiKey(issued.apiKey?.apiKey ?? "")
      _ = try await client.whoAmI(Fieldreport_V1_WhoAmIRequest(), options: fresh)

      var revoke = Fieldreport_V1_RevokeApiKeyRequest()
      revoke.keyId = issued.apiKey?.keyId ?? ""
      let revoked = try await client.revokeApiKey(revoke, options: admin)
      #expect(revoked.revokedAtMs == server.clock.now.millisecondsSince1970)
      #expect(await statusCode { try await client.whoAmI(Fieldreport_V1_WhoAmIRequest(), options: fresh) } == .unauthenticated)
      revoke.keyId = "0000000000000000"
      #expect(await statusCode { try await client.revokeApiKey(revoke, options: admin) } == .notFound)
      // Not an admin: refused.
      let leader = try await server.login(DemoProvince.duong, over: transport)
      #expect(await statusCode { try await client.issueApiKey(issue, options: leader) } == .permissionDenied)
      #expect(await statusCode { try await client.revokeApiKey(revoke, options: leader) } == .permissionDenied)
      issue.userId = DemoProvince.thang.id.rawValue
      #expect(await statusCode { try await client.issueApiKey(issue, options: admin) } == .failedPrecondition)
    }
  }

  @Test("an API key issued with an expiry works until then and is refused after", arguments: StoreEngine.all)
  func expiringApiKey(engine: StoreEngine) async throws {
    try await TestServer.with(engine: engine) { server in
      let transport = server.inProcess()
      let client = Client(transport)
      let admin = try await server.login("admin", over: transport)
      var issue = Fieldreport_V1_IssueApiKeyRequest()
      issue.userId = DemoProvince.platform.id.rawValue
      issue.label = "short-lived"
      // An expiry in the past (or now) is refused, naming the field.
      issue.expiresAtMs = server.clock.now.millisecondsSince1970
      #expect(await statusCode { try await client.issueApiKey(issue, options: admin) } == .invalidArgument)
      let expiry = server.clock.now.millisecondsSince1970 + 3_600_000
      issue.expiresAtMs = expiry
      let issued = try await client.issueApiKey(issue, options: admin)
      #expect(issued.apiKey?.expiresAtMs == expiry)
      let key = TestServer.apiKey(issued.apiKey?.apiKey ?? "")
      let me = try await client.whoAmI(Fieldreport_V1_WhoAmIRequest(), options: key)
      #expect(me.authMethod == .apiKey && me.expiresAtMs == expiry)
      // The key issued without an expiry is unaffected.
      _ = try await client.whoAmI(Fieldreport_V1_WhoAmIRequest(), options: server.platform)
      server.clock.advance(milliseconds: 3_600_000)
      #expect(await statusCode { try await client.whoAmI(Fieldreport_V1_WhoAmIRequest(), options: key) } == .unauthenticated)
      _ = try await client.whoAmI(Fieldreport_V1_WhoAmIRequest(), options: server.platform)
    }
  }

  @Test("logout of all sessions, and ChangePassword revoking the other sessions", arguments: StoreEngine.all)
  func sessionsRevocation(engine: StoreEngine) async throws {
    try await TestServer.with(engine: engine) { server in
      let transport = server.inProcess()
      let client = Client(transport)
      let first = try await server.login(DemoProvince.mai, over: transport)
      let second = try await server.login(DemoProvince.mai, over: transport)
      var change = Fieldreport_V1_ChangePasswordRequest()
      change.currentPassword = "wrong-password"
      change.newPassword = "mat-khau-moi-2026"
      #expect(await statusCode { try await client.changePassword(change, options: first) } == .unauthenticated)
      change.currentPassword = TestServer.password
      change.newPassword = "short"
      #expect(await statusCode { try await client.changePassword(change, options: first) } == .invalidArgument)
      change.newPassword = "mat-khau-moi-2026"
      let changed = try await client.changePassword(change, options: first)
      #expect(changed.revokedSessions == 1)
      _ = try await client.whoAmI(Fieldreport_V1_WhoAmIRequest(), options: first)
      #expect(await statusCode { try await client.whoAmI(Fieldreport_V1_WhoAmIRequest(), options: second) } == .unauthenticated)

      let third = TestServer.bearer(try await client.login(loginRequest("mai.vt", "mat-khau-moi-2026")).sessionToken)
      var all = Fieldreport_V1_LogoutRequest()
      all.allSessions = true
      #expect(try await client.logout(all, options: third).revokedSessions == 2)
      #expect(await statusCode { try await client.whoAmI(Fieldreport_V1_WhoAmIRequest(), options: first) } == .unauthenticated)
    }
  }

  @Test("a disabled account cannot log in and its sessions stop working", arguments: StoreEngine.all)
  func disabling(engine: StoreEngine) async throws {
    try await TestServer.with(engine: engine) { server in
      let transport = server.inProcess()
      let client = Client(transport)
      let admin = try await server.login("admin", over: transport)
      let thang = try await server.login(DemoProvince.thang, over: transport)
      var disable = Fieldreport_V1_SetUserDisabledRequest()
      disable.userId = DemoProvince.thang.id.rawValue
      disable.disabled = true
      disable.reason = "nghỉ việc"
      // A leader is not an admin: refused. The unit's admin may; so may the system admin.
      let duong = try await server.login(DemoProvince.duong, over: transport)
      #expect(await statusCode { try await client.setUserDisabled(disable, options: duong) } == .permissionDenied)
      let lan = try await server.login(DemoProvince.lan, over: transport)
      #expect(try await client.setUserDisabled(disable, options: lan).user?.disabled == true)
      #expect(await statusCode { try await client.whoAmI(Fieldreport_V1_WhoAmIRequest(), options: thang) } == .unauthenticated)
      #expect(await statusCode { try await server.login(DemoProvince.thang, over: transport) } == .unauthenticated)
      disable.disabled = false
      _ = try await client.setUserDisabled(disable, options: admin)
      _ = try await server.login(DemoProvince.thang, over: transport)
      var selfDisable = Fieldreport_V1_SetUserDisabledRequest()
      selfDisable.userId = SystemAdminBootstrap.userID.rawValue
      selfDisable.disabled = true
      #expect(await statusCode { try await client.setUserDisabled(selfDisable, options: admin) } == .failedPrecondition)
    }
  }
}
