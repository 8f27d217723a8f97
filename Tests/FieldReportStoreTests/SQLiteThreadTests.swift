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

  /// A writer thread on a fresh file with one table, `t(n INTEGER PRIMARY KEY)`.
  private func makeWriter() throws -> WriterThread {
    let path = FileManager.default.temporaryDirectory
      .appendingPathComponent("writer-\(UUID().uuidString).sqlite").path
    let database = try Database(path: path, role: .writer)
    try database.execute("CREATE TABLE t(n INTEGER PRIMARY KEY)")
    return WriterThread(database: database, metrics: StoreMetrics())
  }

  struct Refused: Error { let job: String }

  /// A named write job for ``runOneBatch(_:rerunnable:_:)``.
  typealias Job = (name: String, body: @Sendable (Database) throws -> Void)

  private func job(_ name: String, _ body: @escaping @Sendable (Database) throws -> Void) -> Job {
    (name, body)
  }

  /// Runs `jobs` as one batch: the writer is held by a first job until all of them are queued.
  /// Answers each job's outcome ("committed", "refused: …" for ``Refused``, "failed: …") and
  /// how many times its body ran, by name.
  private func runOneBatch(
    _ writer: WriterThread, rerunnable: Bool, _ jobs: [Job]
  ) async throws -> (outcomes: [String: String], runs: [String: Int]) {
    let runs = Shared([String: Int]())
    let release = DispatchSemaphore(value: 0)
    let held = Shared(false)
    let holder = Task {
      try await writer.write({ _ in
        held.withLock { $0 = true }
        release.wait()
      }, rerunnable: rerunnable)
    }
    try await waitUntil { held.withLock { $0 } }
    var tasks: [(String, Task<String, Never>)] = []
    for (name, body) in jobs {
      tasks.append(
        (name, Task {
          do {
            try await writer.write({ database in
              runs.withLock { $0[name, default: 0] += 1 }
              try body(database)
            }, rerunnable: rerunnable)
            return "committed"
          } catch let refused as Refused {
            return "refused: \(refused.job)"
          } catch {
            return "failed: \(error)"
          }
        }))
      try await waitUntil { writer.waiting == tasks.count }
    }
    release.signal()
    try await holder.value
    var outcomes: [String: String] = [:]
    for (name, task) in tasks { outcomes[name] = await task.value }
    return (outcomes, runs.withLock { $0 })
  }

  private static func rows(_ writer: WriterThread) async throws -> [Int64] {
    try await writer.write { database in try database.query("SELECT n FROM t ORDER BY n") { $0.int64(0) } }
  }

  @Test(
    "group commit without savepoints: a job failing before it changed anything fails alone, the rest commit, nothing runs twice",
    arguments: [true, false])
  func failureBeforeAnyChange(rerunnable: Bool) async throws {
    let writer = try makeWriter()
    let (outcomes, runs) = try await runOneBatch(writer, rerunnable: rerunnable, [
      job("a") { try $0.run("INSERT INTO t VALUES (1)") },
      job("stale") { database in
        _ = try database.scalarInt64("SELECT count(*) FROM t")
        throw Refused(job: "stale")
      },
      job("d") { try $0.run("INSERT INTO t VALUES (4)") },
    ])
    #expect(outcomes == ["a": "committed", "stale": "refused: stale", "d": "committed"])
    #expect(try await Self.rows(writer) == [1, 4])
    #expect(runs == ["a": 1, "stale": 1, "d": 1])
    writer.close()
  }

  @Test(
    "group commit without savepoints: a job failing after it changed rows is undone alone; the batch runs again in savepoints",
    arguments: [true, false])
  func failureAfterAChange(rerunnable: Bool) async throws {
    let writer = try makeWriter()
    let (outcomes, runs) = try await runOneBatch(writer, rerunnable: rerunnable, [
      job("a") { try $0.run("INSERT INTO t VALUES (1)") },
      job("half") { database in
        try database.run("INSERT INTO t VALUES (2)")
        throw Refused(job: "half")
      },
      // A constraint violation after a change of its own: the statement is undone by SQLite,
      // the row before it only by a rollback.
      job("duplicate") { database in
        try database.run("INSERT INTO t VALUES (3)")
        try database.run("INSERT INTO t VALUES (1)")
      },
      job("d") { try $0.run("INSERT INTO t VALUES (4)") },
    ])
    #expect(outcomes["a"] == "committed" && outcomes["d"] == "committed")
    #expect(outcomes["half"] == "refused: half")
    #expect(outcomes["duplicate"]?.hasPrefix("failed: ") == true, "\(outcomes)")
    #expect(try await Self.rows(writer) == [1, 4])
    // Without savepoints the first failure with changes ran the batch again, in savepoints.
    let expectedRuns = rerunnable ? 2 : 1
    #expect(runs == ["a": expectedRuns, "half": expectedRuns, "duplicate": 1, "d": 1])
    writer.close()
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
