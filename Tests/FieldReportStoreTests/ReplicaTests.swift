import Foundation
import Testing
import TestSupport

@_spi(Testing) import FieldReportPostgresStore
@_spi(Testing) import FieldReportStore
import FieldReportWorkflow
import StoreTestSupport

/// Two stores on one PostgreSQL database: what two `fieldreport-server` replicas rely on.
@Suite("Replicas: two stores on one PostgreSQL database", .enabled(if: PostgresTestCluster.shouldRun))
struct ReplicaTests {
  @Test("8 writers spread over two replicas on one case: one wins, the journal stays one chain")
  func concurrentWritersAcrossReplicas() async throws {
    let fixture = try await StoreFixture.make(engine: .postgres)
    let other = try await fixture.reopen()
    let created = try await fixture.submit("Tranh chấp giữa hai máy chủ")
    let transitions = try (0..<8).map { index in
      try StoreFixture.decide(
        StoreFixture.iocOperator,
        .dispatch(DispatchOrder(unit: index.isMultiple(of: 2) ? StoreFixture.dongLoc : StoreFixture.tranPhu)),
        on: created, content: "Lần \(index)", at: StoreFixture.at(6, hour: 10))
    }
    let replicas: [any FieldReportStore] = [fixture.store, other]
    let outcomes = await withTaskGroup(of: Result<CaseChangeResult, any Error>.self) { group in
      for (index, transition) in transitions.enumerated() {
        let store = replicas[index % 2]
        group.addTask {
          do { return .success(try await store.apply(transition, expectedVersion: 1, idempotencyKey: nil)) } catch {
            return .failure(error)
          }
        }
      }
      var all: [Result<CaseChangeResult, any Error>] = []
      for await outcome in group { all.append(outcome) }
      return all
    }
    #expect(outcomes.compactMap { try? $0.get() }.count == 1)
    for case .failure(let error) in outcomes {
      #expect(error as? StoreError == .staleVersion(expected: 1, actual: 2))
    }
    for store in replicas {
      #expect(try await store.journal(caseID: created.id).count == 2)
      #expect(try await store.verifyJournal(caseID: created.id).isIntact)
    }
    await other.close()
    await fixture.finish()
  }

  @Test("retries of one action with one key, racing over both replicas, all get the one result")
  func idempotentAppliesAcrossReplicas() async throws {
    let fixture = try await StoreFixture.make(engine: .postgres)
    let other = try await fixture.reopen()
    let created = try await fixture.submit("Gửi lại nhiều lần")
    let transition = try StoreFixture.decide(
      StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.dongLoc)), on: created,
      at: StoreFixture.at(6, hour: 10))
    let key = IdempotencyKey(scope: "ioc-operator", key: "dispatch-once")
    let replicas: [any FieldReportStore] = [fixture.store, other]
    let results = try await withThrowingTaskGroup(of: CaseChangeResult.self) { group in
      for index in 0..<8 {
        let store = replicas[index % 2]
        group.addTask { try await store.apply(transition, expectedVersion: 1, idempotencyKey: key) }
      }
      var all: [CaseChangeResult] = []
      for try await result in group { all.append(result) }
      return all
    }
    #expect(results.filter { !$0.isReplay }.count == 1)
    #expect(Set(results.map(\.entry.eventSequence)).count == 1)
    #expect(try await other.journal(caseID: created.id).count == 2)
    await other.close()
    await fixture.finish()
  }

  @Test("concurrent submissions through both replicas get unique, gapless report codes and events")
  func reportCodesAcrossReplicas() async throws {
    let fixture = try await StoreFixture.make(engine: .postgres)
    let other = try await fixture.reopen()
    let replicas: [any FieldReportStore] = [fixture.store, other]
    let count = 24
    let codes = try await withThrowingTaskGroup(of: String.self) { group in
      for index in 0..<count {
        let store = replicas[index % 2]
        group.addTask {
          try await store.createCase(
            receivedAt: StoreFixture.at(6), idempotencyKey: nil,
            build: StoreFixture.submission(StoreFixture.report("Phản ánh \(index)"), at: StoreFixture.at(6))
          ).storedCase.reportCode.rawValue
        }
      }
      var all: [String] = []
      for try await code in group { all.append(code) }
      return all
    }
    #expect(codes.sorted() == (1...count).map { String(format: "060326%03d", $0) })
    // The event feed is gapless and in order, read through either replica.
    let events = try await other.events(after: 0, limit: 100)
    #expect(events.map(\.eventSequence) == (1...Int64(count)).map { $0 })
    await other.close()
    await fixture.finish()
  }

  @Test("a session or API key revoked through one replica is refused by the other on its next lookup")
  func revocationAcrossReplicas() async throws {
    let fixture = try await StoreFixture.make(engine: .postgres)
    let other = try await fixture.reopen()
    let token = "tok-replica-0123456789abcdef"
    try await fixture.store.createSession(
      token: token,
      session: Session(userID: StoreFixture.thang, createdAt: StoreFixture.at(6), expiresAt: StoreFixture.at(7)))
    #expect(try await other.findSession(token: token, at: StoreFixture.at(6, hour: 10))?.userID == StoreFixture.thang)
    #expect(try await fixture.store.revokeSession(token: token, at: StoreFixture.at(6, hour: 11)))
    #expect(try await other.findSession(token: token, at: StoreFixture.at(6, hour: 12)) == nil)
    let key = "frk_live_replica_0123456789ab"
    try await other.createAPIKey(key, userID: StoreFixture.platform, label: "p", expiresAt: nil, at: StoreFixture.at(6))
    #expect(try await fixture.store.findAPIKey(key, at: StoreFixture.at(6))?.userID == StoreFixture.platform)
    #expect(try await other.revokeAPIKey(key, at: StoreFixture.at(6, hour: 1)))
    #expect(try await fixture.store.findAPIKey(key, at: StoreFixture.at(6, hour: 2)) == nil)
    await other.close()
    await fixture.finish()
  }

  @Test("the database refuses a forked or rewritten journal, whatever the client sends")
  func databaseGuardsTheChain() async throws {
    let fixture = try await StoreFixture.make(engine: .postgres)
    let created = try await fixture.submit("Chuỗi nhật ký")
    let zeros = String(repeating: "00", count: 32)
    // A second entry 1 (a fork), and an entry 2 not chained to entry 1.
    for (sequence, previous) in [(1, zeros), (2, zeros)] {
      await #expect(throws: StoreError.self) {
        try await fixture.store.executeRawSQLForTesting(
          """
          INSERT INTO journal(event_seq, case_id, case_seq, at, body, prev_hash, hash)
          VALUES (1000 + \(sequence), '\(created.id)', \(sequence), 0, '\\x00', '\\x\(previous)', '\\x\(zeros)')
          """)
      }
    }
    await #expect(throws: StoreError.self) {
      try await fixture.store.executeRawSQLForTesting("TRUNCATE journal CASCADE")
    }
    #expect(try await fixture.store.verifyJournal(caseID: created.id).isIntact)
    #expect(
      try await fixture.store.scalarForTesting("SELECT MAX(version) FROM schema_migrations")
        == Int64(PostgresFieldReportStore.latestSchemaVersion))
    await fixture.finish()
  }

  @Test("migrations: an empty database, and one at each earlier version, reach the latest; replicas starting together migrate once; a newer database is refused")
  func migrations() async throws {
    let database = try TestDatabase(engine: .postgres)
    let settings = try #require(database.postgres)
    let old = try await PostgresFieldReportStore(configuration: settings, logger: StoreEngine.logger, schemaVersion: 1)
    #expect(try await old.schemaVersion() == 1)
    await old.close()
    // Two replicas start at once on the version-1 database: both open, every later version is
    // applied once.
    async let first = PostgresFieldReportStore(configuration: settings, logger: StoreEngine.logger)
    async let second = PostgresFieldReportStore(configuration: settings, logger: StoreEngine.logger)
    let stores = try await [first, second]
    for store in stores { #expect(try await store.schemaVersion() == PostgresFieldReportStore.latestSchemaVersion) }
    // Each step recorded once, up to the latest (versions need not be contiguous: branches'
    // steps are renumbered at merge).
    #expect(
      try await stores[0].scalarForTesting("SELECT MAX(version) FROM schema_migrations")
        == Int64(PostgresFieldReportStore.latestSchemaVersion))
    #expect(
      try await stores[0].scalarForTesting("SELECT COUNT(*) FROM schema_migrations")
        == Int64(PostgresFieldReportStore.latestSchemaVersion))
    // Version 2 works: a journal entry notifies (the trigger exists and the insert succeeds).
    let fixture = StoreFixture(database: database, store: stores[0])
    try await fixture.seed()
    _ = try await fixture.submit("Sau khi nâng cấp")
    #expect(try await stores[1].latestEventSequence() == 1)
    try await stores[0].executeRawSQLForTesting(
      "INSERT INTO schema_migrations(version, summary, applied_at) VALUES (99, 'from the future', 0)")
    await #expect(throws: StoreError.self) {
      _ = try await PostgresFieldReportStore(configuration: settings, logger: StoreEngine.logger)
    }
    for store in stores { await store.close() }
    database.remove()
  }
}
