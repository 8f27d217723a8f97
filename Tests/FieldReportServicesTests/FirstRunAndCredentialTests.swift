import FieldReportAPI
@testable import FieldReportServices
@_spi(Testing) import FieldReportStore
import FieldReportWorkflow
import Foundation
import Logging
import RPCCore
import Testing
import WireBridge

/// The first-run admin, password verification across schemes, the authenticator when the
/// store cannot be read, and what the call log may never hold.
@Suite("First run, credentials and the call log", .timeLimit(.minutes(1)))
struct FirstRunAndCredentialTests {
  typealias P = DemoProvince

  /// An empty store (no demo province, no admin) on a fresh file.
  static func withEmptyStore(_ body: (SQLiteFieldReportStore) async throws -> Void) async throws {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("fieldreport-first-run-\(UInt64.random(in: 0...UInt64.max))")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let store = try await SQLiteFieldReportStore(path: directory.appendingPathComponent("first.sqlite").path)
    do {
      try await body(store)
    } catch {
      await store.close()
      throw error
    }
    await store.close()
  }

  static let now = Timestamp(millisecondsSince1970: 1_772_762_400_000)
  static let hashing = PasswordHashing.fastForTesting

  /// Whether `password` is the admin's, and the admin holds an approved system-admin grant.
  static func adminAccepts(_ password: String, in store: SQLiteFieldReportStore) async throws -> Bool {
    guard let account = try await store.findUser(username: SystemAdminBootstrap.username),
      let credentials = account.credentials
    else { return false }
    let grants = try await store.roleGrants(userID: account.user.id)
    guard grants.contains(where: { $0.role == .systemAdmin && $0.status == .approved }) else { return false }
    return hashing.verify(password, against: credentials)
  }

  // MARK: First-run admin

  @Test("first run: the admin is created with the given password, at a new IOC unit; a second run changes nothing")
  func firstRunCreatesOnce() async throws {
    try await Self.withEmptyStore { (store: SQLiteFieldReportStore) async throws in
      let outcome = try await SystemAdminBootstrap.ensureSystemAdmin(
        store: store, password: "mat-khau-admin-2026", hashing: Self.hashing, now: Self.now)
      #expect(outcome == .created)
      #expect(try await Self.adminAccepts("mat-khau-admin-2026", in: store))
      #expect(try await store.units().map(\.kind) == [.ioc])
      // The admin exists: another password is ignored, the first one still works.
      let again = try await SystemAdminBootstrap.ensureSystemAdmin(
        store: store, password: "mat-khau-khac-2026", hashing: Self.hashing, now: Self.now)
      #expect(again == .alreadyPresent)
      #expect(try await Self.adminAccepts("mat-khau-admin-2026", in: store))
      #expect(!(try await Self.adminAccepts("mat-khau-khac-2026", in: store)))
      #expect(try await store.units().count == 1)
    }
  }

  @Test("first run: a password under 10 bytes is refused and nothing is created")
  func firstRunRefusesAShortPassword() async throws {
    try await Self.withEmptyStore { (store: SQLiteFieldReportStore) async throws in
      let error = await #expect(throws: StoreError.self) {
        _ = try await SystemAdminBootstrap.ensureSystemAdmin(
          store: store, password: "ngan-9-by", hashing: Self.hashing, now: Self.now)
      }
      guard case .invalidArgument(let field, _)? = error else {
        Issue.record("expected invalidArgument, got \(String(describing: error))")
        return
      }
      #expect(field == "FIELDREPORT_ADMIN_PASSWORD")
      #expect(try await store.findUser(username: SystemAdminBootstrap.username) == nil)
      #expect(try await store.units().isEmpty)
    }
  }

  @Test("first run without a password: one is generated, returned once, and works")
  func firstRunGeneratesAPassword() async throws {
    try await Self.withEmptyStore { (store: SQLiteFieldReportStore) async throws in
      let outcome = try await SystemAdminBootstrap.ensureSystemAdmin(
        store: store, password: nil, hashing: Self.hashing, now: Self.now)
      guard case .createdWithGeneratedPassword(let generated) = outcome else {
        Issue.record("expected a generated password, got \(outcome)")
        return
      }
      #expect(generated.utf8.count >= 16)
      #expect(try await Self.adminAccepts(generated, in: store))
    }
  }

  @Test("first run after the admin's grant was lost: the grant is restored and the password reset")
  func firstRunRestoresALostGrant() async throws {
    try await Self.withEmptyStore { (store: SQLiteFieldReportStore) async throws in
      _ = try await SystemAdminBootstrap.ensureSystemAdmin(
        store: store, password: "mat-khau-admin-2026", hashing: Self.hashing, now: Self.now)
      try await store.executeRawSQLForTesting("DELETE FROM role_grants WHERE user_id = '\(SystemAdminBootstrap.userID)'")
      #expect(!(try await Self.adminAccepts("mat-khau-admin-2026", in: store)))
      let outcome = try await SystemAdminBootstrap.ensureSystemAdmin(
        store: store, password: "mat-khau-moi-2026", hashing: Self.hashing, now: Self.now)
      #expect(outcome == .created)
      #expect(try await store.findUser(username: SystemAdminBootstrap.username)?.user.id == SystemAdminBootstrap.userID)
      #expect(try await Self.adminAccepts("mat-khau-moi-2026", in: store))
      #expect(!(try await Self.adminAccepts("mat-khau-admin-2026", in: store)))
      #expect(try await store.units().count == 1)
    }
  }

  // MARK: Password verification

  @Test("a password stored with another cost verifies; an unknown or out-of-range scheme never does")
  func passwordSchemes() throws {
    let password = "mat-khau-demo-2026"
    let otherCost = PasswordHashing(logRounds: 6, blockSize: 2)
    let stored = try otherCost.credentials(for: password)
    #expect(stored.scheme == "scrypt:64:2:1")
    // The server's configured cost does not matter: the stored scheme says how to derive.
    #expect(Self.hashing.verify(password, against: stored))
    #expect(PasswordHashing.standard.verify(password, against: stored))
    #expect(!Self.hashing.verify("mat-khau-sai-2026", against: stored))
    for scheme in [
      "bcrypt:10", "scrypt:64:2", "scrypt:64:2:1:9", "argon2id:64:2:1", "scrypt:63:2:1",
      "scrypt:1:2:1", "scrypt:2097152:8:1", "scrypt:64:0:1", "scrypt:64:33:1", "scrypt:64:2:17", "",
    ] {
      let odd = PasswordCredentials(hash: stored.hash, salt: stored.salt, scheme: scheme)
      #expect(!Self.hashing.verify(password, against: odd), "scheme \(scheme)")
    }
  }

  @Test("login: an account stored with another cost logs in; one with an unknown scheme is UNAUTHENTICATED")
  func loginAcrossSchemes() async throws {
    try await TestServer.with { server in
      let identity = Fieldreport_V1_IdentityServiceClient(server.inProcess())
      var login = Fieldreport_V1_LoginRequest()
      login.username = P.thang.username
      login.password = TestServer.password
      try await server.store.setCredentials(
        try PasswordHashing(logRounds: 5, blockSize: 2).credentials(for: TestServer.password), for: P.thang.id)
      #expect(try await identity.login(login).sessionToken.isEmpty == false)
      let current = try #require(try await server.store.findUser(username: P.thang.username)?.credentials)
      try await server.store.setCredentials(
        PasswordCredentials(hash: current.hash, salt: current.salt, scheme: "pbkdf2:1000"), for: P.thang.id)
      #expect(await statusCode { try await identity.login(login) } == .unauthenticated)
    }
  }

  // MARK: The authenticator and the store

  @Test("the authenticator answers UNAVAILABLE, not UNAUTHENTICATED, when the store cannot be read")
  func authenticatorUnavailable() async throws {
    try await TestServer.with { server in
      let identity = Fieldreport_V1_IdentityServiceClient(server.inProcess())
      // A session the server has not looked up yet (a looked-up one is served from the
      // reference cache, which needs no read).
      let token = "token-cold-\(UInt64.random(in: 0...UInt64.max))"
      let now = server.clock.now
      try await server.store.createSession(
        token: token, session: Session(userID: P.thang.id, createdAt: now, expiresAt: now.adding(days: 1)))
      let session = TestServer.bearer(token)
      await server.store.close()
      // A client that got UNAUTHENTICATED would throw its credentials away; the store being
      // down says nothing about them.
      let bySession = try #require(await rpcFailure { try await identity.whoAmI(.init(), options: session) })
      #expect(bySession.code == .unavailable)
      #expect(!bySession.message.lowercased().contains("sqlite"))
      let byKey = try #require(await rpcFailure { try await identity.whoAmI(.init(), options: server.platform) })
      #expect(byKey.code == .unavailable)
      // Without credentials there is nothing to look up: still UNAUTHENTICATED.
      #expect(await statusCode { try await identity.whoAmI(.init()) } == .unauthenticated)
    }
  }

  // MARK: The call log

  @Test("the call log, at every level, never holds a request's or response's payload or secrets")
  func callLogHoldsNoPayloads() async throws {
    try await TestServer.with(limits: CaseWorld.limits) { server in
      let lines = CapturingLogHandler.Lines()
      let logger = Logger(label: "access") { _ in
        var handler = CapturingLogHandler(lines: lines)
        handler.logLevel = .trace
        return handler
      }
      let env = ServiceEnvironment(store: server.store, now: server.clock.closure, logger: logger, limits: server.env.limits)
      let (router, _) = ServiceRouter.make(env: env, services: ServiceRouter.allServices(env: env))
      let world = try await CaseWorld.over(server, transport: InProcessTransport(router: router))
      let identity = Fieldreport_V1_IdentityServiceClient(world.transport)

      // A report with a reporter's name and phone and a distinctive text.
      var submit = Fieldreport_V1_SubmitReportRequest()
      submit.idempotencyKey = "log-key-8c1f"
      submit.title = "TIEU-DE-RIENG-4471"
      submit.content = "NOI-DUNG-RIENG-9083"
      submit.categoryId = "TRAT-TU-CONG-CONG"
      var reporter = Fieldreport_V1_ReporterInfo()
      reporter.fullName = "HO-TEN-RIENG-5520"
      reporter.phone = "0987123456"
      submit.reporter = reporter
      let submitted = try await world.cases.submitReport(submit, options: world.as(P.platform))
      // An attachment's bytes.
      let upload = FidelityTests.upload("tep-rieng-3310.pdf", bytes: Array("DU-LIEU-TEP-RIENG-6619".utf8))
      _ = try await world.cases.uploadAttachment(upload, options: world.as(P.thang))
      // A new password, a service account's API key, and a refused weak password.
      var change = Fieldreport_V1_ChangePasswordRequest()
      change.currentPassword = TestServer.password
      change.newPassword = "MAT-KHAU-MOI-RIENG-2026"
      let mai = try await server.login(P.mai, over: world.transport)
      _ = try await identity.changePassword(change, options: mai)
      var account = Fieldreport_V1_CreateUserRequest()
      account.username = "log-dashboard"
      account.fullName = "Bảng điều khiển"
      account.userKind = .serviceAccount
      let key = try unwrap(try await identity.createUser(account, options: world.as(CaseWorld.admin)).apiKey?.apiKey)
      _ = try await identity.whoAmI(.init(), options: TestServer.apiKey(key))
      var weak = Fieldreport_V1_CreateUserRequest()
      weak.username = "log-weak"
      weak.fullName = "Yếu"
      weak.userKind = .staff
      weak.initialPassword = "YEU-7"
      #expect(await statusCode { try await identity.createUser(weak, options: world.as(CaseWorld.admin)) } == .invalidArgument)
      // A refused login with a wrong password.
      var login = Fieldreport_V1_LoginRequest()
      login.username = P.duong.username
      login.password = "SAI-MAT-KHAU-RIENG-1234"
      #expect(await statusCode { try await identity.login(login) } == .unauthenticated)

      let calls = try await AccessLogTests.accessLines(lines, count: 8)
      #expect(calls.count >= 8)
      let everything = lines.all.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
      for secret in [
        "TIEU-DE-RIENG-4471", "NOI-DUNG-RIENG-9083", "HO-TEN-RIENG-5520", "0987123456", "log-key-8c1f",
        "DU-LIEU-TEP-RIENG-6619", "MAT-KHAU-MOI-RIENG-2026", "YEU-7", "SAI-MAT-KHAU-RIENG-1234",
        TestServer.password, key, server.platformKey,
      ] {
        #expect(!everything.contains(secret), "the log holds \(secret)")
      }
      // Every token the world signed in with stays out too.
      for token in world.tokens.values { #expect(!everything.contains(token)) }
      #expect(submitted.caseSummary?.caseId.isEmpty == false)
    }
  }
}
