import Foundation
import Synchronization
import Testing

@testable import FieldReportStore

/// How the store runs SQLite: the reader pool's two lanes (``JobLane``: lookups by key are
/// served before listings and statistics waiting, and a waiting listing is never starved), and
/// SQLite's process-wide settings.
@Suite("SQLite threads and settings")
struct SQLiteThreadTests {
  @Test("prompt jobs go first, each lane in order; a background job waits at most promptRunLimit prompt ones")
  func queueOrder() {
    let queue = JobQueue<String>()
    for name in ["b1", "b2"] { _ = queue.enqueue(lane: .background, name) }
    let limit = JobQueue<String>.promptRunLimit
    for index in 1...(limit + 2) { _ = queue.enqueue(lane: .prompt, "p\(index)") }
    var taken: [String] = []
    for _ in 0..<(limit + 4) { taken += queue.take(max: 1) }
    let expected = (1...limit).map { "p\($0)" } + ["b1", "p\(limit + 1)", "p\(limit + 2)", "b2"]
    #expect(taken == expected)
    #expect(queue.waiting == 0)
  }

  @Test("a queue with one lane hands out batches in arrival order, as the writer's did")
  func batchesInOrder() {
    let queue = JobQueue<Int>()
    for job in 0..<10 { _ = queue.enqueue(job) }
    #expect(queue.take(max: 4) == [0, 1, 2, 3])
    #expect(queue.take(max: 100) == [4, 5, 6, 7, 8, 9])
    queue.close()
    #expect(queue.take(max: 1).isEmpty)
    #expect(!queue.enqueue(10))
  }

  @Test("on a real file: a case lookup queued after a listing is served before it")
  func lookupBeforeListing() async throws {
    var configuration = StoreConfiguration()
    configuration.readerCount = 1
    let fixture = try await StoreFixture.make(configuration: configuration)
    let store = try #require(fixture.store as? SQLiteFieldReportStore)
    let submitted = try await fixture.submit("Đèn đường hỏng")
    let order = Shared<[String]>([])
    let release = DispatchSemaphore(value: 0)
    let started = Shared(false)
    // The one reader thread is busy until released.
    let blocker = Task {
      try await store.scan { _ in
        started.withLock { $0 = true }
        release.wait()
      }
    }
    try await waitUntil { started.withLock { $0 } }
    let listing = Task {
      try await store.scan { database in
        _ = try database.scalarInt64("SELECT count(*) FROM cases")
        order.withLock { $0.append("listing") }
      }
    }
    try await waitUntil { store.readers.waiting == 1 }
    let lookup = Task {
      try await store.read { database in
        order.withLock { $0.append("lookup") }
        return try database.scalarInt64("SELECT version FROM cases WHERE id = ?", [submitted.id.rawValue])
      }
    }
    try await waitUntil { store.readers.waiting == 2 }
    release.signal()
    try await blocker.value
    try await listing.value
    #expect(try await lookup.value == 1)
    #expect(order.withLock { $0 } == ["lookup", "listing"])
  }

  @Test("SQLite keeps no memory statistics: no allocation takes its process-wide mutex")
  func noMemoryStatistics() async throws {
    let fixture = try await StoreFixture.make()
    _ = try await fixture.submit("Ổ gà trên đường")
    #expect(!Database.keepsMemoryStatistics)
  }

  /// A value tasks and reader threads share.
  final class Shared<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func withLock<R>(_ body: (inout Value) -> R) -> R { value.withLock { body(&$0) } }
  }

  /// Polls `condition` every millisecond, for at most ten seconds.
  private func waitUntil(_ condition: () -> Bool) async throws {
    for _ in 0..<10_000 {
      if condition() { return }
      try await Task.sleep(for: .milliseconds(1))
    }
    Issue.record("the condition never held")
  }
}
