import Foundation
import Testing

@_spi(Testing) import FieldReportStore
import FieldReportWorkflow
import StoreTestSupport

/// Every listing the store answers (each filter, each order, the per-state split of a unit's
/// inbox, the link-driven person and unit queries, page sizes, following cursors to the end)
/// compared with a brute-force oracle that filters and sorts every case in memory.
@Suite("Listings against a brute-force oracle")
struct ListingOracleTests {
  static let people = [
    StoreFixture.iocOperator, StoreFixture.duong, StoreFixture.thang, StoreFixture.toan, StoreFixture.hai,
    StoreFixture.platform,
  ]
  static let units = [StoreFixture.ioc, StoreFixture.dongLoc, StoreFixture.tranPhu]
  static let words = ["alpha", "bravo", "charlie"]

  /// Does `c` match every filter of `query`, as the store's contract says?
  static func matches(_ c: Case, _ query: CaseQuery, policy: WorkflowPolicy) -> Bool {
    if let user = query.heldBy, !c.holder.userIDs.contains(user) { return false }
    if let unit = query.currentUnit, c.currentUnitID != unit { return false }
    if let unit = query.involvingUnit, !(c.unitsPassedThrough + [c.currentUnitID]).contains(unit) { return false }
    if let user = query.participant, !(c.assignment?.participants.contains(user) ?? false) { return false }
    if let user = query.submittedBy, c.submittedBy != user, c.reporter.userID != user { return false }
    if let states = query.states, !states.contains(c.state) { return false }
    if let category = query.category, c.categoryID != category { return false }
    if let now = query.overdueAt {
      guard let due = Deadlines.currentStepDue(c, policy: policy), due < now else { return false }
    }
    if let from = query.receivedFrom, c.receivedAt < from { return false }
    if let before = query.receivedBefore, c.receivedAt >= before { return false }
    if let text = query.text, !c.title.lowercased().contains(text) { return false }
    if query.publicOnly, !c.isPublic { return false }
    return true
  }

  static func randomQuery(_ g: inout SeededGenerator) -> CaseQuery {
    var query = CaseQuery(limit: Int.random(in: 1...6, using: &g))
    query.order = CaseListOrder.allCases.randomElement(using: &g)!
    func maybe(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &g) < percent }
    // Half the queries are an inbox of one unit over several states (the split path).
    if maybe(50) {
      query.currentUnit = units.randomElement(using: &g)!
      query.states = Set(CaseState.allCases.filter { _ in maybe(50) })
      if query.states!.count < 2 { query.states = [.received, .returnedToIoc, .resolved, .atUnit] }
    } else {
      switch Int.random(in: 0..<5, using: &g) {
      case 0: query.heldBy = people.randomElement(using: &g)!
      case 1: query.involvingUnit = units.randomElement(using: &g)!
      case 2: query.participant = [StoreFixture.thang, StoreFixture.toan].randomElement(using: &g)!
      case 3: query.submittedBy = StoreFixture.platform
      default: break
      }
      if maybe(30) { query.currentUnit = units.randomElement(using: &g)! }
      if maybe(30) { query.states = Set(CaseState.allCases.filter { _ in maybe(40) }) }
      if maybe(20) { query.heldBy = query.heldBy ?? people.randomElement(using: &g)! }
    }
    if maybe(20) { query.category = [StoreFixture.environment, StoreFixture.publicOrder].randomElement(using: &g)! }
    if maybe(20) { query.overdueAt = StoreFixture.at(Int.random(in: 8...25, using: &g)) }
    if maybe(20) { query.receivedFrom = StoreFixture.at(Int.random(in: 1...5, using: &g)) }
    if maybe(20) { query.receivedBefore = StoreFixture.at(Int.random(in: 4...10, using: &g)) }
    if maybe(15) { query.text = words.randomElement(using: &g)! }
    if maybe(15) { query.publicOnly = true }
    return query
  }

  @Test("a statement text kept for a query's shape is the text built for the query itself, with the same values")
  func keptStatementTexts() {
    var g = SeededGenerator(state: 7)
    for _ in 0..<2_000 {
      var query = Self.randomQuery(&g)
      if Bool.random(using: &g) {
        query.after = CaseCursor(order: query.order, key: Int64.random(in: 0...1_000_000, using: &g), caseID: CaseID("c\(Int.random(in: 0...99, using: &g))"))
      }
      if Int.random(in: 0..<5, using: &g) == 0 {
        query.outcomes = Set(CaseOutcome.allCases.filter { _ in Bool.random(using: &g) })
      }
      for dialect in [CaseListingSQL.Dialect.sqlite, .postgres] {
        for select in ["c.body", "c.received_at, c.id"] {
          let kept = CaseListingSQL.build(for: query, select: select, dialect: dialect)
          let fresh = CaseListingSQL.compose(
            query, foldedText: query.text.map(TextFolding.fold), select: select, dialect: dialect, withText: true)
          #expect(kept.0 == fresh.0)
          #expect(kept.1 == fresh.1)
          if kept.0 != fresh.0 || kept.1 != fresh.1 { return }
        }
      }
    }
  }

  @Test("every random query, paged to the end, equals the oracle", arguments: StoreEngine.all, [11, 12, 13] as [UInt64])
  func oracle(engine: StoreEngine, seed: UInt64) async throws {
    let fixture = try await StoreFixture.make(engine: engine)
    var g = SeededGenerator(state: seed)
    var ids: [CaseID] = []
    for index in 0..<36 {
      let word = Self.words[index % Self.words.count]
      let day = Int.random(in: 1...9, using: &g)
      let hour = Int.random(in: 7...16, using: &g)
      ids.append(
        try await fixture.submit(
          "Phản ánh \(word) \(index)", at: StoreFixture.at(day, hour: hour),
          category: Bool.random(using: &g) ? StoreFixture.environment : StoreFixture.publicOrder,
          isPublic: Bool.random(using: &g)
        ).id)
    }
    // Random actions (most of them refused by the workflow, which is fine) move cases around.
    var minute = 0
    for _ in 0..<400 { try await Self.randomStep(fixture, ids: ids, minute: &minute, &g) }
    var all: [Case] = []
    for id in ids { all.append(try #require(try await fixture.store.findCase(id: id))) }
    let policy = WorkflowPolicy.standard  // the fixture opens every store with the default configuration
    #expect(Set(all.map(\.state)).count >= 4, "the random walk should spread cases over states")

    var asked: [CaseQuery] = []
    for round in 0..<150 {
      // Some rounds first move a case (the listings then answer after a commit: a page kept from
      // before it would fail the oracle), and some ask a question asked before (answered from
      // the listing cache when nothing was committed since).
      if round % 4 == 3 {
        try await Self.randomStep(fixture, ids: ids, minute: &minute, &g)
        all = []
        for id in ids { all.append(try #require(try await fixture.store.findCase(id: id))) }
      }
      let query = asked.isEmpty || Bool.random(using: &g) ? Self.randomQuery(&g) : asked.randomElement(using: &g)!
      asked.append(query)
      let expected = all.filter { Self.matches($0, query, policy: policy) }
        .sorted { query.order.precedes($0, $1, policy: policy) }.map(\.id)
      var got: [CaseID] = []
      var paged = query
      var pages = 0
      repeat {
        let page = try await fixture.store.listCases(paged)
        #expect(page.cases.count <= query.limit)
        got += page.cases.map(\.id)
        paged.after = page.nextCursor
        pages += 1
      } while paged.after != nil && pages < 100
      #expect(got == expected, "round \(round): \(query)")
      // A batch of queries answers each as alone.
      let batch = try await fixture.store.listCases([query, query])
      let single = try await fixture.store.listCases(query)
      #expect(batch.map { $0.cases.map(\.id) } == [single.cases.map(\.id), single.cases.map(\.id)])
    }
    if engine == .sqlite { #expect(fixture.sqlite.listings.hits.load(ordering: .relaxed) > 100) }
    await fixture.finish()
  }

  /// One random action on a random case of `ids`, taken by whoever may take it (most random
  /// actions are refused by the workflow, which is fine).
  static func randomStep(
    _ fixture: StoreFixture, ids: [CaseID], minute: inout Int, _ g: inout SeededGenerator
  ) async throws {
    minute += Int.random(in: 1...90, using: &g)
    let id = ids.randomElement(using: &g)!
    let current = try #require(try await fixture.store.findCase(id: id))
    var action = StorePropertyTests.randomAction(&g)
    if case .dispatch = action, Bool.random(using: &g) {
      action = .dispatch(
        DispatchOrder(unit: [StoreFixture.dongLoc, StoreFixture.tranPhu].randomElement(using: &g)!,
          due: StoreFixture.at(Int.random(in: 11...20, using: &g))))
    }
    let now = StoreFixture.at(10).adding(milliseconds: Int64(minute) * 60_000)
    for actor in StorePropertyTests.actors.shuffled(using: &g) {
      if let transition = try? StoreFixture.decide(actor, action, on: current, at: now) {
        _ = try await fixture.store.apply(transition, expectedVersion: current.version, idempotencyKey: nil)
        return
      }
    }
  }

  @Test("a unit's inbox over several states reads one index range per state (query plan)")
  func splitUsesIndexRanges() async throws {
    let fixture = try await StoreFixture.make()
    var query = CaseQuery(currentUnit: StoreFixture.ioc, states: [.received, .returnedToIoc, .resolved], limit: 20)
    for order in CaseListOrder.allCases {
      query.order = order
      let plans = try await fixture.sqlite.listingPlansForTesting(query)
      #expect(plans.count == 3)
      for plan in plans {
        #expect(!plan.contains("TEMP B-TREE"), "\(order): \(plan)")
        #expect(plan.contains("USING COVERING INDEX"), "\(order): \(plan)")
      }
    }
    // A person's, a unit's and a participant's listing in the default order walk the (partial,
    // schema 15) step index of the links; a submitter's, newest report first, its primary key.
    let walks: [(CaseQuery, String)] = [
      (CaseQuery(heldBy: StoreFixture.thang, order: .stepStartedNewest, limit: 20), "case_links_by_step"),
      (CaseQuery(involvingUnit: StoreFixture.dongLoc, order: .stepStartedNewest, limit: 20), "case_links_by_step"),
      (CaseQuery(participant: StoreFixture.thang, order: .stepStartedNewest, limit: 20), "case_links_by_step"),
      (CaseQuery(submittedBy: StoreFixture.thang, order: .reportedNewest, limit: 20), "PRIMARY KEY"),
    ]
    for (query, index) in walks {
      let plans = try await fixture.sqlite.listingPlansForTesting(query)
      #expect(plans.count == 1)
      #expect(!(plans.first ?? "").contains("TEMP B-TREE"), "\(query): \(plans)")
      #expect((plans.first ?? "").contains(index), "\(query): \(plans)")
    }
    await fixture.finish()
  }
}

@Suite("Schema version 9")
struct SchemaV9Tests {
  @Test("a version 8 file migrates to version 9: link rows get their case's step start, listings are unchanged")
  func version8Migrates() async throws {
    let fixture = try await StoreFixture.make()
    let (a, b, c) = try await CaseOrderTests.threeCases(fixture)
    let queries = [
      CaseQuery(heldBy: StoreFixture.thang, order: .stepStartedNewest),
      CaseQuery(involvingUnit: StoreFixture.dongLoc, order: .stepStartedNewest),
      CaseQuery(currentUnit: StoreFixture.ioc, states: [.received, .returnedToIoc], order: .stepStartedNewest),
      CaseQuery(order: .stepStartedNewest),
    ]
    var before: [[CaseID]] = []
    for query in queries { before.append(try await fixture.store.listCases(query).cases.map(\.id)) }
    #expect(before.last == [c, a, b])
    try await fixture.rewindToVersion8()
    #expect(try await fixture.sqlite.schemaVersion() == 8)
    await fixture.store.close()

    let migrated = try await SQLiteFieldReportStore(path: fixture.path)
    #expect(try await migrated.schemaVersion() == StoreLifecycleTests.latest)
    #expect(try await SchemaV15Tests.misplacedStepStarts(migrated) == 0)
    for (query, expected) in zip(queries, before) {
      #expect(try await migrated.listCases(query).cases.map(\.id) == expected)
    }
    await migrated.close()
    try? FileManager.default.removeItem(at: fixture.directory)
  }
}

@Suite("Case ids")
struct CaseIDTests {
  @Test("new case ids are version 7 UUIDs, ordered by creation time", arguments: StoreEngine.all)
  func timeOrdered(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture.make(engine: engine)
    var ids: [String] = []
    for index in 0..<5 {
      ids.append(try await fixture.submit("Thứ tự \(index)").id.rawValue)
      try await Task.sleep(for: .milliseconds(2))
    }
    for id in ids {
      let parts = id.split(separator: "-").map(\.count)
      #expect(parts == [8, 4, 4, 4, 12])
      #expect(Array(id)[14] == "7")
      #expect("89ab".contains(Array(id)[19]))
      #expect(id == id.lowercased())
    }
    #expect(ids == ids.sorted())
    #expect(Set(ids).count == ids.count)
    // Within one millisecond the 74 random bits tell ids apart.
    let sameInstant = (0..<200).map { _ in TimeOrderedID.make(milliseconds: 1_700_000_000_000) }
    #expect(Set(sameInstant).count == sameInstant.count)
    #expect(Set(sameInstant.map { $0.suffix(12) }).count == sameInstant.count)
    await fixture.finish()
  }
}

@Suite("Database files are private")
struct PrivateFileTests {
  @Test("the database, its WAL and shared-memory files are 0600; an existing 0644 file is made 0600")
  func modes() async throws {
    func mode(_ path: String) throws -> Int {
      try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }
    let fixture = try await StoreFixture.make()
    _ = try await fixture.submit("Tệp riêng tư")
    for file in [fixture.path, fixture.path + "-wal", fixture.path + "-shm"] {
      #expect(try mode(file) == 0o600, "\(file)")
    }
    await fixture.store.close()
    chmod(fixture.path, 0o644)
    let reopened = try await SQLiteFieldReportStore(path: fixture.path)
    #expect(try mode(fixture.path) == 0o600)
    await reopened.close()
    try? FileManager.default.removeItem(at: fixture.directory)
  }
}

@Suite("Schema version 15")
struct SchemaV15Tests {
  /// Link rows whose `step_started` is not what schema 15 keeps: their case's step start for a
  /// stepped kind (holder, unit, participant), 0 for the others.
  static func misplacedStepStarts(_ store: SQLiteFieldReportStore) async throws -> Int64? {
    try await store.scalarForTesting(
      """
      SELECT COUNT(*) FROM case_links l JOIN cases c ON c.id = l.case_id
      WHERE l.step_started != CASE WHEN \(CaseIndexing.stepIndexCondition(alias: "l")) THEN c.step_started ELSE 0 END
      """)
  }

  @Test("a version 14 file migrates to version 15: submitter links leave the step index, listings are unchanged")
  func version14Migrates() async throws {
    let fixture = try await StoreFixture.make()
    let (a, b, c) = try await CaseOrderTests.threeCases(fixture)
    let submitter = try #require(try await fixture.store.findCase(id: a)).submittedBy
    let queries = [
      CaseQuery(heldBy: StoreFixture.thang, order: .stepStartedNewest),
      CaseQuery(involvingUnit: StoreFixture.dongLoc, order: .stepStartedNewest),
      CaseQuery(submittedBy: submitter, order: .stepStartedNewest),
      CaseQuery(submittedBy: submitter, order: .reportedNewest),
      CaseQuery(submittedBy: submitter, order: .stepStartedNewest, limit: 1),
    ]
    var before: [[CaseID]] = []
    for query in queries { before.append(try await fixture.store.listCases(query).cases.map(\.id)) }
    #expect(Set(before[2]) == [a, b, c])
    try await fixture.rewindToVersion14()
    #expect(try await fixture.sqlite.schemaVersion() == 14)
    // Version 14 kept every link's step start, the submitter's too.
    #expect(
      try await fixture.sqlite.scalarForTesting(
        "SELECT COUNT(*) FROM case_links WHERE kind = 'submitter' AND step_started = 0") == 0)
    await fixture.store.close()

    let migrated = try await SQLiteFieldReportStore(path: fixture.path)
    #expect(try await migrated.schemaVersion() == StoreLifecycleTests.latest)
    #expect(try await Self.misplacedStepStarts(migrated) == 0)
    // The step index is partial, on exactly the condition the listings state.
    let condition = CaseIndexing.stepIndexCondition(alias: "").replacingOccurrences(of: "'", with: "''")
    #expect(
      try await migrated.scalarForTesting(
        "SELECT COUNT(*) FROM sqlite_master WHERE name = 'case_links_by_step' AND instr(sql, 'WHERE \(condition)') > 0")
        == 1)
    for (query, expected) in zip(queries, before) {
      #expect(try await migrated.listCases(query).cases.map(\.id) == expected, "\(query)")
    }
    await migrated.close()
    try? FileManager.default.removeItem(at: fixture.directory)
  }
}
