import Foundation
import Testing

@_spi(Testing) import FieldReportStore
import FieldReportWorkflow
import StoreTestSupport

@Suite("Inbox orders, the overdue filter and schema version 5")
struct CaseOrderTests {
  /// Three cases whose report times, step starts and dues all disagree:
  /// - a: reported day 5, dispatched day 7 08:00 with the task due day 20 (at the unit, so its
  ///   shown due is the end of the one-day return window: day 8 08:00);
  /// - b: reported day 6, still at the IOC (no due time);
  /// - c: reported day 7, dispatched day 7 09:00, assigned day 7 10:00 due day 9.
  static func threeCases(_ fixture: StoreFixture) async throws -> (a: CaseID, b: CaseID, c: CaseID) {
    let a = try await fixture.submit("Phản ánh A", at: StoreFixture.at(5)).id
    let b = try await fixture.submit("Phản ánh B", at: StoreFixture.at(6)).id
    let c = try await fixture.submit("Phản ánh C", at: StoreFixture.at(7)).id
    _ = try await fixture.act(
      StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.dongLoc, due: StoreFixture.at(20))), on: a,
      at: StoreFixture.at(7, hour: 8))
    _ = try await fixture.act(
      StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.dongLoc, due: StoreFixture.at(20))), on: c,
      at: StoreFixture.at(7, hour: 9))
    _ = try await fixture.act(
      StoreFixture.duong, .assign(AssignmentOrder(mainHandler: StoreFixture.thang, due: StoreFixture.at(9))), on: c,
      at: StoreFixture.at(7, hour: 10))
    return (a, b, c)
  }

  /// Every case of `order`, one per page, following the cursors.
  static func paged(_ store: any FieldReportStore, _ query: CaseQuery) async throws -> [CaseID] {
    var query = query
    query.limit = 1
    var seen: [CaseID] = []
    var pages = 0
    repeat {
      let page = try await store.listCases(query)
      seen += page.cases.map(\.id)
      query.after = page.nextCursor.flatMap { CaseCursor(token: $0.token) }
      pages += 1
    } while query.after != nil && pages < 10
    return seen
  }

  @Test("each order sorts by its key and pages one case at a time without skipping or repeating", arguments: StoreEngine.all)
  func orders(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture.make(engine: engine)
    let (a, b, c) = try await Self.threeCases(fixture)
    let expected: [(CaseListOrder, [CaseID])] = [
      (.reportedNewest, [c, b, a]),
      (.reportedOldest, [a, b, c]),
      (.stepStartedNewest, [c, a, b]),
      (.stepDueSoonest, [a, c, b]),
      (.updatedNewest, [c, a, b]),
    ]
    for (order, ids) in expected {
      #expect(try await fixture.store.listCases(CaseQuery(order: order)).cases.map(\.id) == ids, "\(order)")
      #expect(try await Self.paged(fixture.store, CaseQuery(order: order)) == ids, "\(order) paged")
      // The same through the link table (a unit filter drives the query).
      let atUnit = ids.filter { $0 != b }
      #expect(
        try await Self.paged(fixture.store, CaseQuery(involvingUnit: StoreFixture.dongLoc, order: order)) == atUnit,
        "\(order) by unit")
    }
    // A cursor carries its order: another order refuses it.
    let first = try await fixture.store.listCases(CaseQuery(order: .stepDueSoonest, limit: 1))
    let cursor = try #require(first.nextCursor)
    #expect(CaseCursor(token: cursor.token) == cursor)
    await #expect(throws: StoreError.self) {
      _ = try await fixture.store.listCases(CaseQuery(order: .reportedNewest, after: cursor))
    }
    await fixture.finish()
  }

  @Test("overdue is judged in the store on the shown due time: the return window while at a unit", arguments: StoreEngine.all)
  func overdueFilter(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture.make(engine: engine)
    let (a, _, c) = try await Self.threeCases(fixture)
    func overdue(at day: Int, hour: Int = 0) async throws -> Set<CaseID> {
      Set(try await fixture.store.listCases(CaseQuery(overdueAt: StoreFixture.at(day, hour: hour))).cases.map(\.id))
    }
    #expect(try await overdue(at: 8, hour: 7).isEmpty)
    // a's task is due on day 20, but its return window ended on day 8 08:00.
    #expect(try await overdue(at: 8, hour: 9) == [a])
    #expect(try await overdue(at: 9, hour: 10) == [a, c])
    await fixture.finish()
  }

  @Test("a version 4 file migrates to version 5: listing keys are filled from the case bodies")
  func version4Migrates() async throws {
    let fixture = try await StoreFixture.make()
    let (a, b, c) = try await Self.threeCases(fixture)
    try await fixture.rewindToVersion4()
    #expect(try await fixture.sqlite.schemaVersion() == 4)
    await fixture.store.close()

    let migrated = try await SQLiteFieldReportStore(path: fixture.path)
    #expect(try await migrated.schemaVersion() == StoreLifecycleTests.latest)  // through 5, to the latest
    #expect(try await migrated.scalarForTesting("SELECT COUNT(*) FROM cases WHERE step_started IS NULL") == 0)
    #expect(try await migrated.listCases(CaseQuery(order: .stepDueSoonest)).cases.map(\.id) == [a, c, b])
    #expect(try await migrated.listCases(CaseQuery(order: .stepStartedNewest)).cases.map(\.id) == [c, a, b])
    #expect(
      Set(try await migrated.listCases(CaseQuery(overdueAt: StoreFixture.at(9, hour: 10))).cases.map(\.id)) == [a, c])
    await migrated.close()
    try? FileManager.default.removeItem(at: fixture.directory)
  }
}
