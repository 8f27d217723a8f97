import FieldReportAPI
import FieldReportStore
import Foundation
import RPCCore
import Synchronization
import Testing
import WireBridge

@testable import FieldReportServices

/// Password checks (scrypt: tens of milliseconds and tens of MiB at the standard cost) run in
/// a task of their own, not on the event loop that serves the caller's connection.
@Suite("Password checks off the event loop")
struct PasswordCheckTests {
  @Test("while a costly password check runs, another call on the same connection is answered")
  func anotherCallIsAnsweredDuringALogin() async throws {
    let server = try await TestServer.make()
    // The stored scheme names the cost: one account with a costly scrypt (N = 2^14).
    let admin = try #require(try await server.store.findUser(username: SystemAdminBootstrap.username))
    let password = "mat-khau-rat-dai-2026"
    try await server.store.setCredentials(
      try PasswordHashing(logRounds: 14).credentials(for: password), for: admin.user.id)
    try await server.withLiveServer { client in
      var request = Fieldreport_V1_LoginRequest()
      request.username = SystemAdminBootstrap.username
      request.password = password
      let loginEnded = Mutex(false)
      let login = Task {
        let response = try? await Fieldreport_V1_IdentityServiceClient(client).login(request)
        loginEnded.withLock { $0 = true }
        return response
      }
      // The login's check is under way; a health check on the same connection (the same
      // event loop of the server) is answered long before the login ends, not after it.
      try await Task.sleep(for: .milliseconds(20))
      #expect(!loginEnded.withLock { $0 }, "the check ended too soon for this test to mean anything")
      let sent = ContinuousClock.now
      let health = try await client.unaryMessage(HealthService.check, request: Rpc_V1_HealthCheckRequest(), options: CallOptions())
      let answered = ContinuousClock.now - sent
      #expect(health.status == .serving)
      #expect(await login.value?.sessionToken.isEmpty == false)
      let loggedIn = ContinuousClock.now - sent
      #expect(answered < loggedIn / 4, "the health check took \(answered), the login \(loggedIn) from then")
    }
  }
}

/// ``BlockingWork``: the body's result and error come back through any runner; a runner that
/// could not run it (a stopped pool) is an error, never a made-up result.
@Suite("Blocking work")
struct BlockingWorkTests {
  struct Refused: Error {}

  @Test func resultsAndErrorsComeBack() async throws {
    #expect(try await BlockingWork.detached.run { 6 * 7 } == 42)
    await #expect(throws: Refused.self) { try await BlockingWork.detached.run { () throws -> Int in throw Refused() } }
    let stopped = BlockingWork { _ in throw Refused() }
    await #expect(throws: Refused.self) { try await stopped.run { 1 } }
    let skipped = BlockingWork { _ in }
    await #expect(throws: CancellationError.self) { try await skipped.run { 1 } }
  }
}
