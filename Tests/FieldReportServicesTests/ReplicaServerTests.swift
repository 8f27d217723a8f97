import FieldReportAPI
import FieldReportServices
import FieldReportWorkflow
import Foundation
import Logging
import RPCCore
import RPCNIO
import StoreTestSupport
import Testing
import TestSupport
import WireBridge

/// Two `fieldreport-server` processes on one PostgreSQL database (the throwaway test cluster):
/// what running replicas behind a load balancer relies on.
@Suite(
  "Two fieldreport-server replicas on one PostgreSQL database", .enabled(if: PostgresTestCluster.shouldRun),
  .timeLimit(.minutes(3)))
struct ReplicaServerTests {
  typealias P = DemoProvince

  /// The demo province in a new PostgreSQL database, two server processes on it, and a world
  /// (sessions for every demo person) reaching each.
  /// - Parameter reportsPerReporterHour: the servers' `--reports-per-reporter-hour` (0: off).
  static func withReplicas(
    reportsPerReporterHour: Int = 0, _ body: (CaseWorld, CaseWorld) async throws -> Void
  ) async throws {
    let binary = try #require(ServerExecutableTests.serverURL(), "build fieldreport-server first (swift build)")
    let server = try await TestServer.make(engine: .postgres, limits: CaseWorld.limits)
    // The processes run on the real clock: the sessions and due times must too.
    let realNow = Int64(Date().timeIntervalSince1970 * 1000)
    server.clock.advance(milliseconds: realNow - server.clock.now.millisecondsSince1970)
    var processes: [Process] = []
    var clients: [RPCClient] = []
    defer {
      for process in processes where process.isRunning { process.terminate() }
    }
    for _ in 0..<2 {
      let (process, port, _) = try await ServerExecutableTests.launch(
        binary,
        arguments: [
          "--port", "0", "--database", server.database.location, "--log-level", "error",
          "--database-pool-size", "4", "--reports-per-reporter-hour", String(reportsPerReporterHour),
        ],
        environment: ["FIELDREPORT_ADMIN_PASSWORD": TestServer.password])
      processes.append(process)
      clients.append(RPCClient(configuration: .init(host: "127.0.0.1", port: port), logger: TestServer.logger))
    }
    let a = try await CaseWorld.over(server, transport: clients[0])
    let b = CaseWorld(server: server, transport: clients[1], tokens: a.tokens)
    do {
      try await body(a, b)
    } catch {
      for client in clients { await client.close() }
      await server.close()
      throw error
    }
    for client in clients { await client.close() }
    for process in processes {
      process.terminate()
      process.waitUntilExit()
    }
    await server.close()
  }

  @Test("a case submitted through one replica is dispatched, assigned and approved through the other")
  func lifecycleAcrossReplicas() async throws {
    try await Self.withReplicas { a, b in
      let submitted = try await a.submit("Gây mất trật tự Công cộng", content: "Tụ tập gây ồn ào")
      let atUnit = try await b.dispatch(submitted, to: P.dongLoc)
      let assigned = try unwrap(try await a.assign(atUnit, by: P.duong, to: P.thang).caseSummary)
      let result = try await b.submitResult(assigned, by: P.thang, letter: "Đã xử lý")
      let resolved = try await a.approve(result, by: P.duong)
      #expect(resolved.state == .resolved)
      #expect(try await b.get(submitted.caseId, as: P.quan).summary?.version == resolved.version)
    }
  }

  @Test("a WatchEvents stream on one replica sees every event written through the other, in order")
  func watchAcrossReplicas() async throws {
    try await Self.withReplicas { a, b in
      let first = try await b.submit("Sự kiện 1")
      let atUnit = try await b.dispatch(first, to: P.dongLoc)
      _ = try await b.assign(atUnit, by: P.duong, to: P.thang)
      _ = try await b.submit("Sự kiện 2")
      let watched = try await JournalServiceTests.watch(a, as: P.quan, after: "0", count: 4)
      #expect(watched.events.compactMap(\.entry).map(\.action) == [.submit, .dispatch, .assign, .submit])
      let cursors = watched.messages.compactMap { Int64($0.cursor) }
      #expect(cursors == cursors.sorted() && Set(cursors).count == cursors.count)
    }
  }

  @Test("a session ended through one replica is refused by the other on the next call")
  func logoutAcrossReplicas() async throws {
    try await Self.withReplicas { a, b in
      let submitted = try await a.submit("Phiên đăng nhập")
      _ = try await b.get(submitted.caseId, as: P.quan)
      _ = try await Fieldreport_V1_IdentityServiceClient(a.transport).logout(.init(), options: a.as(P.quan))
      #expect(await statusCode { try await b.get(submitted.caseId, as: P.quan) } == .unauthenticated)
    }
  }

  @Test("8 writers over both replicas on one case: one wins per version, the others ABORTED, one journal")
  func concurrentWritersAcrossReplicas() async throws {
    try await Self.withReplicas { a, b in
      let submitted = try await a.submit("Tranh chấp")
      let codes = await withTaskGroup(of: StatusCode?.self) { group in
        for index in 0..<8 {
          let world = index.isMultiple(of: 2) ? a : b
          group.addTask { await statusCode { try await world.dispatch(submitted, to: P.dongLoc) } }
        }
        var all: [StatusCode?] = []
        for await code in group { all.append(code) }
        return all
      }
      #expect(codes.filter { $0 == nil }.count == 1)
      #expect(codes.compactMap { $0 }.allSatisfy { $0 == .aborted })
      var verify = Fieldreport_V1_VerifyJournalRequest()
      verify.caseId = submitted.caseId
      let verdict = try await b.journal.verifyJournal(verify, options: b.as(P.quan))
      #expect(verdict.intact)
      #expect(verdict.entriesChecked == 2)
    }
  }

  @Test("concurrent submissions through both replicas get unique, gapless report codes")
  func reportCodesAcrossReplicas() async throws {
    try await Self.withReplicas { a, b in
      let codes = try await withThrowingTaskGroup(of: String.self) { group in
        for index in 0..<16 {
          let world = index.isMultiple(of: 2) ? a : b
          group.addTask { try await world.submit("Phản ánh \(index)").reportCode }
        }
        var all: [String] = []
        for try await code in group { all.append(code) }
        return all
      }
      let sequences = codes.compactMap { Int($0.suffix(3)) }.sorted()
      #expect(Set(codes.map { $0.prefix(6) }).count == 1)
      #expect(sequences == Array(1...16))
    }
  }

  @Test("failed logins spread over both replicas reach the per-account limit at the same total as on one")
  func loginThrottleAcrossReplicas() async throws {
    try await Self.withReplicas { a, b in
      func login(_ world: CaseWorld, _ password: String) async -> StatusCode? {
        var request = Fieldreport_V1_LoginRequest()
        request.username = P.duong.username
        request.password = password
        return await statusCode { try await Fieldreport_V1_IdentityServiceClient(world.transport).login(request) }
      }
      // The limit is 5 failures per account in 15 minutes (ServiceLimits' default).
      for attempt in 0..<5 {
        #expect(await login(attempt.isMultiple(of: 2) ? a : b, "sai-mat-khau") == .unauthenticated)
      }
      // The sixth attempt is refused on either replica, even with the right password.
      #expect(await login(a, TestServer.password) == .resourceExhausted)
      #expect(await login(b, TestServer.password) == .resourceExhausted)
      // Another account is not throttled.
      var other = Fieldreport_V1_LoginRequest()
      other.username = P.thang.username
      other.password = TestServer.password
      _ = try await Fieldreport_V1_IdentityServiceClient(b.transport).login(other)
    }
  }

  @Test("new reports of one reporter spread over both replicas reach the per-reporter limit at the same total as on one")
  func submissionThrottleAcrossReplicas() async throws {
    try await Self.withReplicas(reportsPerReporterHour: 3) { a, b in
      // CaseWorld.submit reports for one citizen (platform-citizen-42).
      for index in 0..<3 {
        _ = try await (index.isMultiple(of: 2) ? a : b).submit("Phản ánh \(index)")
      }
      #expect(await statusCode { try await a.submit("Phản ánh 4") } == .resourceExhausted)
      #expect(await statusCode { try await b.submit("Phản ánh 5") } == .resourceExhausted)
    }
  }
}
