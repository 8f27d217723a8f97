import Foundation
import Testing

@_spi(Testing) import FieldReportStore
import FieldReportWorkflow
import StoreTestSupport

@Suite("Inbox queries: filters and paging")
struct CaseQueryTests {
  @Test("filters by holder, unit, state, category, overdue, date range, text and visibility", arguments: StoreEngine.all)
  func filters(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture.make(engine: engine)
    let noise = try await fixture.submit("Làm việc gây ồn ào tại 81 Ngô Quyền", at: StoreFixture.at(5))
    let order = try await fixture.submit("Gây mất trật tự Công cộng", at: StoreFixture.at(6), category: StoreFixture.publicOrder)
    let hidden = try await fixture.submit("Không công khai", at: StoreFixture.at(7), isPublic: false)
    _ = try await fixture.act(StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.dongLoc, due: StoreFixture.at(8))), on: order.id, at: StoreFixture.at(6, hour: 10))
    _ = try await fixture.act(StoreFixture.duong, .assign(AssignmentOrder(mainHandler: StoreFixture.thang, followers: [StoreFixture.toan])), on: order.id, at: StoreFixture.at(6, hour: 11))
    _ = try await fixture.act(StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.tranPhu)), on: noise.id, at: StoreFixture.at(5, hour: 10))
    _ = try await fixture.act(StoreFixture.hai, .returnToIoc, on: noise.id, content: "Không đúng chức năng nhiệm vụ. Nhờ IOC chuyển đơn vị quản lý", at: StoreFixture.at(5, hour: 11))

    func ids(_ query: CaseQuery) async throws -> [CaseID] {
      try await fixture.store.listCases(query).cases.map(\.id)
    }
    #expect(try await ids(CaseQuery()) == [hidden.id, order.id, noise.id])
    #expect(try await ids(CaseQuery(heldBy: StoreFixture.thang)) == [order.id])
    #expect(try await ids(CaseQuery(heldBy: StoreFixture.duong)).isEmpty)
    #expect(try await ids(CaseQuery(currentUnit: StoreFixture.dongLoc)) == [order.id])
    #expect(try await ids(CaseQuery(currentUnit: StoreFixture.ioc)) == [hidden.id, noise.id])
    #expect(try await ids(CaseQuery(involvingUnit: StoreFixture.tranPhu)) == [noise.id])
    #expect(try await ids(CaseQuery(participant: StoreFixture.toan)) == [order.id])
    #expect(try await ids(CaseQuery(submittedBy: StoreFixture.platform)).count == 3)
    #expect(try await ids(CaseQuery(states: [.received, .returnedToIoc])) == [hidden.id, noise.id])
    #expect(try await ids(CaseQuery(states: [])).isEmpty)
    #expect(try await ids(CaseQuery(category: StoreFixture.publicOrder)) == [order.id])
    #expect(try await ids(CaseQuery(overdueAt: StoreFixture.at(9))) == [order.id])
    #expect(try await ids(CaseQuery(overdueAt: StoreFixture.at(7))).isEmpty)
    #expect(try await ids(CaseQuery(receivedFrom: StoreFixture.at(6), receivedBefore: StoreFixture.at(7))) == [order.id])
    #expect(try await ids(CaseQuery(text: "gay on ao")) == [noise.id])
    #expect(try await ids(CaseQuery(text: "ngo quyen")).count == 3)
    #expect(try await ids(CaseQuery(text: "TRẬT TỰ")) == [order.id])
    #expect(try await ids(CaseQuery(text: "100%")).isEmpty)
    #expect(try await ids(CaseQuery(text: order.reportCode.rawValue)) == [order.id])
    #expect(try await ids(CaseQuery(publicOnly: true)) == [order.id, noise.id])
    // Filters combine: the holder drives the query, the unit and category filter further.
    #expect(try await ids(CaseQuery(heldBy: StoreFixture.thang, involvingUnit: StoreFixture.dongLoc, category: StoreFixture.publicOrder)) == [order.id])
    #expect(try await ids(CaseQuery(heldBy: StoreFixture.thang, involvingUnit: StoreFixture.tranPhu)).isEmpty)
    await #expect(throws: StoreError.self) { _ = try await fixture.store.listCases(CaseQuery(limit: 0)) }
    await fixture.finish()
  }

  @Test("cursor paging visits every case once, even while cases change", arguments: StoreEngine.all, [1, 3, 7])
  func paging(engine: StoreEngine, pageSize: Int) async throws {
    let fixture = try await StoreFixture.make(engine: engine)
    var created: [CaseID] = []
    for index in 0..<10 {
      // Same received time for some, so the id breaks ties.
      created.append(try await fixture.submit("Phản ánh \(index)", at: StoreFixture.at(6, hour: 8 + index / 3)).id)
    }
    var seen: [CaseID] = []
    var cursor: CaseCursor?
    var pages = 0
    repeat {
      let page = try await fixture.store.listCases(CaseQuery(limit: pageSize, after: cursor))
      seen += page.cases.map(\.id)
      if pages == 0, let first = page.cases.first {
        // A change between pages must not move cases across the cursor.
        _ = try await fixture.act(StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.dongLoc)), on: first.id, at: StoreFixture.at(6, hour: 12))
      }
      cursor = page.nextCursor.flatMap { CaseCursor(token: $0.token) }
      pages += 1
    } while cursor != nil && pages < 20
    #expect(seen.count == 10)
    #expect(Set(seen) == Set(created))
    await fixture.finish()
  }

  @Test("malformed cursor tokens are rejected")
  func cursorTokens() {
    #expect(CaseCursor(token: "") == nil)
    #expect(CaseCursor(token: "abc.def") == nil)
    #expect(CaseCursor(token: "12.") == nil)
    #expect(CaseCursor(token: "12.x.y") == CaseCursor(receivedAt: Timestamp(millisecondsSince1970: 12), caseID: "x.y"))
  }
}
