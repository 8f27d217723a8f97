import Foundation
import Synchronization
import Testing

@_spi(Testing) import FieldReportStore
import FieldReportWorkflow

/// A flag one task sets and others poll.
private final class StopFlag: Sendable {
  private let flag = Atomic<Bool>(false)
  var isSet: Bool { flag.load(ordering: .relaxed) }
  func set() { flag.store(true, ordering: .relaxed) }
}

/// Listing pages answered from memory (``ListingCache``) until the writer's next commit: never
/// a page older than a commit its caller could know of.
@Suite("The listing cache")
struct ListingCacheTests {
  static let inbox = CaseQuery(
    currentUnit: StoreFixture.ioc, states: [.received, .returnedToIoc, .resolved], order: .stepStartedNewest, limit: 20)

  static func hits(_ store: SQLiteFieldReportStore) -> Int { store.listings.hits.load(ordering: .relaxed) }

  @Test("a listing read twice is answered from memory the second time, and every commit sends it back to the query")
  func commitsRetirePages() async throws {
    let fixture = try await StoreFixture.make()
    defer { fixture.removeStorage() }
    let store = fixture.sqlite
    let first = try await fixture.submit("Rác thải tại chợ Đồng Lộc", at: StoreFixture.at(6, hour: 8))
    let second = try await fixture.submit("Đèn đường hỏng", at: StoreFixture.at(6, hour: 9))
    let held = try await store.listCases(Self.inbox)
    #expect(held.cases.map(\.id) == [second.id, first.id])
    #expect(Self.hits(store) == 0)
    #expect(try await store.listCases(Self.inbox) == held)
    #expect(Self.hits(store) == 1)
    // A scope's queries together: all held, or read together.
    let mine = [CaseQuery(heldBy: StoreFixture.iocOperator, limit: 20), Self.inbox]
    let read = try await store.listCases(mine)
    #expect(Self.hits(store) == 1)
    #expect(try await store.listCases(mine) == read)
    #expect(Self.hits(store) == 2)

    // A new case: the next listing shows it (not the page held before the commit).
    let third = try await fixture.submit("Cây đổ", at: StoreFixture.at(6, hour: 10))
    #expect(try await store.listCases(Self.inbox).cases.map(\.id) == [third.id, second.id, first.id])
    #expect(Self.hits(store) == 2)
    #expect(try await store.listCases(Self.inbox).cases.count == 3)
    #expect(Self.hits(store) == 3)

    // An action moves a case out of the IOC's inbox.
    _ = try await fixture.act(
      StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.dongLoc)), on: first.id,
      at: StoreFixture.at(6, hour: 11))
    #expect(try await store.listCases(Self.inbox).cases.map(\.id) == [third.id, second.id])
    #expect(Self.hits(store) == 3)

    // A write that is not a case's (reference data) retires the pages too.
    _ = try await store.listCases(Self.inbox)
    #expect(Self.hits(store) == 4)
    try await store.createUnit(
      Unit(id: UnitID("XA-MOI"), name: "UBND xã Mới", kind: .communeWard))
    _ = try await store.listCases(Self.inbox)
    #expect(Self.hits(store) == 4)

    // A listing that depends on the clock is never kept.
    var overdue = Self.inbox
    overdue.overdueAt = StoreFixture.at(20)
    let late = try await store.listCases(overdue)
    #expect(try await store.listCases(overdue) == late)
    #expect(Self.hits(store) == 4)
    await fixture.finish()
  }

  @Test("under concurrent writes and listings, a listing that follows a write's answer always shows it")
  func readsItsWrites() async throws {
    let fixture = try await StoreFixture.make()
    defer { fixture.removeStorage() }
    let store = fixture.sqlite
    let everything = CaseQuery(
      currentUnit: StoreFixture.ioc, states: [.received, .returnedToIoc, .resolved], order: .stepStartedNewest,
      limit: CaseQuery.maximumLimit)
    let stop = StopFlag()
    try await withThrowingTaskGroup(of: Void.self) { group in
      // Pollers keep the page in the cache, read at every generation. (A listing answered from
      // memory does not suspend: each turn yields, or the pollers would hold the pool's threads.)
      for _ in 0..<2 {
        group.addTask {
          while !stop.isSet {
            _ = try await store.listCases(everything)
            await Task.yield()
          }
        }
      }
      try await withThrowingTaskGroup(of: Int.self) { writers in
        for writer in 0..<6 {
          writers.addTask {
            var missing = 0
            for index in 0..<25 {
              let c = try await store.createCase(
                receivedAt: StoreFixture.at(6, hour: 8), idempotencyKey: nil,
                build: StoreFixture.submission(StoreFixture.report("Phản ánh \(writer)-\(index)"), at: StoreFixture.at(6, hour: 8))
              ).storedCase
              if !(try await store.listCases(everything)).cases.contains(where: { $0.id == c.id }) { missing += 1 }
            }
            return missing
          }
        }
        var missing = 0
        for try await count in writers { missing += count }
        #expect(missing == 0)
      }
      stop.set()
      try await group.waitForAll()
    }
    #expect(try await store.listCases(everything).cases.count == 150)
    #expect(Self.hits(store) > 0)
    await fixture.finish()
  }

  @Test("with a capacity of 0 nothing is kept")
  func off() async throws {
    let fixture = try await StoreFixture.make(configuration: StoreConfiguration(listingCacheSize: 0))
    defer { fixture.removeStorage() }
    _ = try await fixture.submit("Rác thải")
    for _ in 0..<3 { _ = try await fixture.sqlite.listCases(Self.inbox) }
    #expect(Self.hits(fixture.sqlite) == 0)
    await fixture.finish()
  }

  /// A page of `count` cases built by the workflow (not stored).
  static func page(_ count: Int, _ tag: String) -> CasePage {
    let now = StoreFixture.at(6)
    let cases = (0..<count).map { n in
      try! StoreFixture.submission(StoreFixture.report("Mẫu \(tag) \(n)"), at: now)(
        CaseID("\(tag)-\(n)"), try! ReportCode.make(dayOf: now, sequence: n + 1)
      ).newCase
    }
    return CasePage(cases: cases, nextCursor: nil)
  }

  @Test("a page read before a commit is not kept after it; pages are bounded by their cases, over two generations")
  func generationsAndBounds() throws {
    let cache = ListingCache(capacity: 10)
    let a = CaseQuery(heldBy: StoreFixture.toan, limit: 4)
    let b = CaseQuery(heldBy: StoreFixture.thang, limit: 4)
    let c = CaseQuery(heldBy: StoreFixture.duong, limit: 4)
    // Read at generation 0, kept after a commit: dropped.
    let before = cache.generation
    cache.committed()
    cache.keep([Self.page(2, "a")], for: [a], readAt: before)
    #expect(cache.pages([a]) == nil)
    // Read and kept in the same generation: held, until the next commit.
    cache.keep([Self.page(2, "a")], for: [a], readAt: cache.generation)
    #expect(cache.pages([a])?.first?.cases.count == 2)
    #expect(cache.pages([a, b]) == nil)
    cache.committed()
    #expect(cache.pages([a]) == nil)
    // A late keep from the older generation does not bring it back.
    cache.keep([Self.page(2, "a")], for: [a], readAt: before)
    #expect(cache.pages([a]) == nil)

    // 4 + 4 cases fit; 4 more start a new generation, the first two move to the previous one.
    let now = cache.generation
    cache.keep([Self.page(4, "a"), Self.page(4, "b")], for: [a, b], readAt: now)
    cache.keep([Self.page(4, "c")], for: [c], readAt: now)
    #expect(cache.pages([a, b, c])?.map(\.cases.count) == [4, 4, 4])
    // Promoting a and b overflowed the current generation again: c's generation became the
    // previous one, and one of them is still found.
    #expect(cache.pages([c]) != nil)
    // A page larger than the capacity is never kept.
    let d = CaseQuery(heldBy: StoreFixture.hai, limit: 20)
    cache.keep([Self.page(11, "d")], for: [d], readAt: now)
    #expect(cache.pages([d]) == nil)
    // Clock-dependent queries are not kept.
    var e = a
    e.overdueAt = StoreFixture.at(9)
    cache.keep([Self.page(1, "e")], for: [e], readAt: now)
    #expect(cache.pages([e]) == nil)
    #expect(ListingCache(capacity: 0).pages([a]) == nil)

    // Empty pages (searches that find nothing) count as one case each: they cannot pile up.
    let empty = ListingCache(capacity: 10)
    for word in 0..<100 {
      var search = a
      search.text = "từ \(word)"
      empty.keep([CasePage(cases: [], nextCursor: nil)], for: [search], readAt: empty.generation)
    }
    #expect(empty.heldPages <= 20)
  }
}
