import Foundation
import Metrics
import Synchronization

/// Moves a freshly opened connection to the thread that will own it.
// @unchecked Sendable: ownership is handed over exactly once; the opening thread never
// touches the connection after passing it here.
struct ConnectionHandOff: @unchecked Sendable {
  let database: Database
}

/// A job for the writer thread.
struct WriteJob: Sendable {
  /// Runs inside the batch transaction; returns the delivery to call once committed.
  let perform: @Sendable (Database) throws -> @Sendable () -> Void
  /// Delivers a failure (the job's own, or the batch's commit failure).
  let fail: @Sendable (any Error) -> Void
  /// Whether `perform` may run a second time after its first run was rolled back: it only
  /// runs DML (no schema change, no PRAGMA) and changes nothing outside the database that a
  /// second run would change again differently. A batch of such jobs runs without a SAVEPOINT
  /// per job (see ``WriterThread``).
  let rerunnable: Bool
  /// Whether every row `perform` writes references only rows that exist and are never
  /// deleted: the case row it reads, updates or inserts in the same transaction, and units, categories
  /// and people (the store deletes none of them). A batch of such jobs runs with SQLite's
  /// foreign-key enforcement off (see ``WriterThread``).
  let checksOwnReferences: Bool
}

/// Tracks how many threads are still running, so that `close` can wait for them.
// @unchecked Sendable: `running` is guarded by `condition`.
final class ThreadGate: @unchecked Sendable {
  private let condition = NSCondition()
  private var running = 0

  func enter() {
    condition.lock()
    running += 1
    condition.unlock()
  }

  func leave() {
    condition.lock()
    running -= 1
    condition.broadcast()
    condition.unlock()
  }

  func waitUntilAllLeft() {
    condition.lock()
    while running > 0 { condition.wait() }
    condition.unlock()
  }
}

/// Maps an error thrown inside a job for the caller: SQLite failures become ``StoreError``;
/// ``StoreError`` and errors from caller-supplied closures (workflow refusals) pass through.
func storeError(from error: any Error) -> any Error {
  switch error {
  case let error as SQLiteError:
    if error.isConstraintViolation { return StoreError.integrity("constraint violated (\(error.extendedCode))") }
    return StoreError.unavailable(error.publicFailure)
  default: return error
  }
}

/// The single writer connection on its own thread, with group commit.
///
/// Jobs queued while a transaction runs are taken together (up to ``maximumBatch``) and
/// run in one `BEGIN IMMEDIATE … COMMIT`: a job that throws rolls back only its own work.
/// Results are delivered only after the COMMIT succeeded, so a caller never sees a result
/// that is not durable.
///
/// A job runs inside its own SAVEPOINT unless every job of the batch is re-runnable
/// (``WriteJob/rerunnable``: the case writes). A savepoint copies every page its job changes
/// (7 % of the writer's time in SubmitReport), and most failures happen before a job has
/// changed anything (a stale version, a missing case): such a failure is simply recorded
/// and the batch goes on. A job that fails after changing rows (SQLite's count of changed
/// rows moved) rolls the whole transaction back, and the batch runs again with savepoints.
///
/// A batch whose every job checks its own references (``WriteJob/checksOwnReferences``: the
/// case writes) runs with `PRAGMA foreign_keys=OFF`; every other batch with it on. Enforcement
/// made each child row's insert probe its parents and open a statement journal: 16 % of the
/// SQLite instructions of a lifecycle step in a replay of the writer's statements (fifteenth
/// session in docs/PERFORMANCE.md). `verify` still runs `PRAGMA foreign_key_check` over the
/// whole file. The pragma only changes between transactions, and a change makes SQLite
/// prepare the cached statements again, so it is switched only when the kind of batch changes.
final class WriterThread: Sendable {
  static let maximumBatch = 64

  private let queue: JobQueue<WriteJob>
  private let gate = ThreadGate()
  /// How many transactions the writer has run (the checkpointer's cue that there is work).
  let transactions = SharedCount()

  /// - Parameter committed: Runs on the writer thread right after every COMMIT, before the
  ///   batch's callers are answered (``ListingCache/committed()``).
  init(database: Database, metrics: StoreMetrics, committed: @escaping @Sendable () -> Void = {}) {
    let handOff = ConnectionHandOff(database: database)
    let queue = JobQueue<WriteJob>(depth: metrics.writerQueueDepth)
    self.queue = queue
    let gate = self.gate
    let transactions = self.transactions
    gate.enter()
    let thread = Thread {
      StoreThreadName.apply(StoreThreadName.writer)
      Self.serve(
        database: handOff.database, queue: queue, metrics: metrics, transactions: transactions, committed: committed)
      gate.leave()
    }
    thread.stackSize = 8 << 20
    thread.start()
  }

  /// Runs `body` inside a write transaction on the writer thread and returns its result
  /// after the transaction committed. `committed`, when given, runs on the writer thread right
  /// after the COMMIT, before this write's caller is answered (what in-memory indexes of
  /// committed state need: ``LatestCaseIndex``).
  /// - Parameter rerunnable: Whether `body` may run again after a rollback (``WriteJob/rerunnable``).
  /// - Parameter checksOwnReferences: Whether `body` writes only rows whose references exist
  ///   (``WriteJob/checksOwnReferences``).
  func write<T: Sendable>(
    _ body: @escaping @Sendable (Database) throws -> T, rerunnable: Bool = false,
    checksOwnReferences: Bool = false, committed: (@Sendable (T) -> Void)? = nil
  ) async throws -> T {
    do {
      return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let job = WriteJob(
          perform: { database in
            let value = try body(database)
            return {
              committed?(value)
              continuation.resume(returning: value)
            }
          },
          fail: { continuation.resume(throwing: $0) }, rerunnable: rerunnable,
          checksOwnReferences: checksOwnReferences)
        if !queue.enqueue(job) {
          continuation.resume(throwing: StoreError.unavailable(.store("the store is closed")))
        }
      }
    } catch {
      throw storeError(from: error)
    }
  }

  /// How many writes wait for the writer thread.
  var waiting: Int { queue.waiting }

  /// Stops accepting jobs, finishes the queued ones, and closes the connection.
  func close() {
    queue.close()
    gate.waitUntilAllLeft()
  }

  /// Stops accepting jobs without waiting; the thread finishes the queue and exits.
  func shutdown() {
    queue.close()
  }

  private static func serve(
    database: Database, queue: JobQueue<WriteJob>, metrics: StoreMetrics, transactions: SharedCount,
    committed: @Sendable () -> Void
  ) {
    // What the connection was opened with (Database.init).
    var enforcesForeignKeys = true
    while true {
      let batch = queue.take(max: maximumBatch)
      if batch.isEmpty { return }
      metrics.batchSize.record(batch.count)
      let enforce = !batch.allSatisfy(\.checksOwnReferences)
      if enforce != enforcesForeignKeys {
        do {
          try database.execute("PRAGMA foreign_keys=\(enforce ? "ON" : "OFF")")
          enforcesForeignKeys = enforce
        } catch where enforce {
          // Never run a batch that needs enforcement without it.
          for job in batch { job.fail(storeError(from: error)) }
          continue
        } catch {
          // Enforcement stays on: the batch only pays for checks it could have skipped.
        }
      }
      let start = ContinuousClock.now
      if runBatch(batch, on: database, committed: committed) {
        metrics.commitDuration.record(ContinuousClock.now - start)
      }
      transactions.increment()
    }
  }

  /// Runs a batch in one transaction.
  /// - Parameter savepoints: Whether each job runs in its own SAVEPOINT; nil: only if a job
  ///   of the batch is not re-runnable.
  /// - Returns: Whether it committed.
  private static func runBatch(
    _ batch: [WriteJob], on database: Database, savepoints: Bool? = nil, committed: @Sendable () -> Void
  ) -> Bool {
    do {
      try database.run("BEGIN IMMEDIATE")
    } catch {
      for job in batch { job.fail(storeError(from: error)) }
      return false
    }
    var deliveries: [@Sendable () -> Void] = []
    var failures: [(WriteJob, any Error)] = []
    let useSavepoints = batch.count > 1 && (savepoints ?? !batch.allSatisfy(\.rerunnable))
    for job in batch {
      let changesBefore = database.totalChanges
      do {
        if useSavepoints { try database.run("SAVEPOINT job") }
        let deliver = try job.perform(database)
        if useSavepoints { try database.run("RELEASE job") }
        // Only now: a job whose RELEASE failed is rolled back below and must not be delivered
        // (nor its `committed` hook run) when the rest of the batch commits.
        deliveries.append(deliver)
      } catch {
        failures.append((job, storeError(from: error)))
        if useSavepoints {
          do {
            try database.execute("ROLLBACK TO job; RELEASE job")
          } catch {
            // The transaction itself is broken (I/O error, disk full): nothing in it may commit.
            abort(batch, on: database, error: storeError(from: error))
            return false
          }
        } else if batch.count == 1 {
          abort(batch, on: database, error: nil, failures: failures)
          return false
        } else if !database.isInTransaction {
          // SQLite rolled the transaction back itself (I/O error, disk full).
          abort(batch, on: database, error: storeError(from: error))
          return false
        } else if database.totalChanges != changesBefore {
          // The job changed rows before it failed, and without a savepoint they cannot be
          // undone alone: undo everything and run the batch again, each job in a savepoint
          // (every job is re-runnable; nothing was delivered yet).
          try? database.execute("ROLLBACK")
          return runBatch(batch, on: database, savepoints: true, committed: committed)
        }
        // Nothing changed: the failure is recorded and the batch goes on.
      }
    }
    do {
      try database.run("COMMIT")
    } catch {
      abort(batch, on: database, error: storeError(from: error))
      return false
    }
    committed()
    for deliver in deliveries { deliver() }
    for (job, error) in failures { job.fail(error) }
    return true
  }

  /// Rolls back the whole batch; every job fails with `error`, or with its own failure.
  private static func abort(
    _ batch: [WriteJob], on database: Database, error: (any Error)?,
    failures: [(WriteJob, any Error)] = []
  ) {
    if database.isInTransaction { try? database.execute("ROLLBACK") }
    if let error {
      for job in batch { job.fail(error) }
    } else {
      for (job, error) in failures { job.fail(error) }
    }
  }
}

/// A small pool of reader connections, each on its own thread, sharing one queue.
///
/// In WAL mode readers never block the writer and see the last committed state; each read
/// job runs in its own deferred transaction so that multi-statement reads are consistent.
final class ReaderPool: Sendable {
  private let queue: JobQueue<@Sendable (Database) -> Void>
  private let gate = ThreadGate()
  private let waitTimer: Metrics.Timer

  init(databases: [Database], metrics: StoreMetrics) {
    self.queue = JobQueue(depth: metrics.readerQueueDepth)
    self.waitTimer = metrics.readerWait
    for (index, database) in databases.enumerated() {
      let handOff = ConnectionHandOff(database: database)
      let queue = self.queue
      let gate = self.gate
      gate.enter()
      let thread = Thread {
        StoreThreadName.apply(StoreThreadName.reader(index))
        while true {
          let jobs = queue.take(max: 1)
          if jobs.isEmpty { break }
          for job in jobs { job(handOff.database) }
        }
        gate.leave()
      }
      thread.stackSize = 8 << 20
      thread.start()
    }
  }

  /// Runs `body` on a reader connection inside a read transaction.
  /// - Parameters:
  ///   - lane: ``JobLane/prompt`` for a lookup by key, ``JobLane/background`` for a read that
  ///     may be long (a listing, statistics, a large content): lookups are served first.
  ///   - body: The read.
  func read<T: Sendable>(
    _ lane: JobLane, _ body: @escaping @Sendable (Database) throws -> T
  ) async throws -> T {
    do {
      let enqueued = ContinuousClock.now
      let waitTimer = self.waitTimer
      return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let accepted = queue.enqueue(lane: lane) { database in
          waitTimer.record(ContinuousClock.now - enqueued)
          do {
            try database.run("BEGIN DEFERRED")
            defer { try? database.run("COMMIT") }
            continuation.resume(returning: try body(database))
          } catch {
            continuation.resume(throwing: storeError(from: error))
          }
        }
        if !accepted {
          continuation.resume(throwing: StoreError.unavailable(.store("the store is closed")))
        }
      }
    } catch {
      throw storeError(from: error)
    }
  }

  /// How many reads wait for a reader thread.
  var waiting: Int { queue.waiting }

  /// Stops accepting jobs, finishes the queued ones, and closes the connections.
  func close() {
    queue.close()
    gate.waitUntilAllLeft()
  }

  /// Stops accepting jobs without waiting; the threads finish the queue and exit.
  func shutdown() {
    queue.close()
  }
}

/// A count one thread adds to and others read: the writer's transactions (read by the
/// checkpointer), the checkpointer's passes (read by tests).
final class SharedCount: Sendable {
  private let count = Atomic<Int>(0)

  /// Adds one.
  func increment() { count.wrappingAdd(1, ordering: .releasing) }

  /// The count so far.
  var value: Int { count.load(ordering: .acquiring) }
}

/// Copies the WAL back into the database file in the background (`PRAGMA
/// wal_checkpoint(PASSIVE)` every ``interval``), so that the writer's commits never wait for a
/// checkpoint's writes and fsync. A passive checkpoint takes no lock the writer or the
/// readers wait for; it copies what no reader still needs, and the writer restarts the WAL
/// from its beginning once all of it was copied.
///
/// Under sustained writes the WAL is only restarted by the writer's own automatic checkpoint
/// (at ~80 MB, ``Database``): the frames appended while a background pass runs are never all
/// copied before the next commit. That checkpoint copies whatever the background passes have
/// not, on the writer thread, while every write waits. Passes every 20 ms leave it a few
/// milliseconds' worth: SubmitReport's p99 at 64 in flight fell from 74–101 ms to 37–41 ms
/// and commits over 50 ms from 15–20 to 1–3 per 8 s (docs/PERFORMANCE.md, thirteenth
/// session). A tick runs a pass only if the writer ran a transaction since the last complete
/// one (``SharedCount``); an idle server's checkpointer only wakes up, every 200 ms.
final class CheckpointThread: Sendable {
  static let interval: TimeInterval = 0.02
  /// The tick while the writer has run nothing since the last complete pass.
  static let idleInterval: TimeInterval = 0.2

  private let stop = StopSignal()
  private let gate = ThreadGate()
  /// The passes run so far (tests).
  let passes = SharedCount()

  init(database: Database, transactions: SharedCount) {
    let handOff = ConnectionHandOff(database: database)
    let stop = self.stop
    let gate = self.gate
    let passes = self.passes
    gate.enter()
    let thread = Thread {
      StoreThreadName.apply(StoreThreadName.checkpointer)
      var copiedUpTo = -1  // the writer's transaction count when the WAL was last copied whole
      var wait = Self.interval
      while !stop.wait(seconds: wait) {
        let count = transactions.value
        // Idle: wake up ten times less often (a waiting write's WAL is small by then).
        wait = count == copiedUpTo ? Self.idleInterval : Self.interval
        guard count != copiedUpTo else { continue }
        // A failure (busy, I/O) or a pass that could not copy every frame (a reader still
        // needs one) is retried at the next tick; the writer's own automatic checkpoint
        // remains the backstop.
        passes.increment()
        let result = try? handOff.database.queryFirst("PRAGMA wal_checkpoint(PASSIVE)") {
          (busy: $0.int64(0), log: $0.int64(1), copied: $0.int64(2))
        }
        if let result, result.busy == 0, result.copied == result.log { copiedUpTo = count }
      }
      gate.leave()
    }
    thread.start()
  }

  /// Stops the thread and waits for it (its connection closes with it).
  func close() {
    stop.signal()
    gate.waitUntilAllLeft()
  }

  /// Stops the thread without waiting.
  func shutdown() {
    stop.signal()
  }
}

/// A one-shot stop flag a thread can wait on with a timeout.
// @unchecked Sendable: `stopped` is guarded by `condition`.
final class StopSignal: @unchecked Sendable {
  private let condition = NSCondition()
  private var stopped = false

  func signal() {
    condition.lock()
    stopped = true
    condition.broadcast()
    condition.unlock()
  }

  /// Waits up to `seconds`; true once stopped.
  func wait(seconds: TimeInterval) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    if !stopped { _ = condition.wait(until: Date(timeIntervalSinceNow: seconds)) }
    return stopped
  }
}

/// The names the store's threads carry in the system's thread listings (`top -H`, `ps -L`,
/// `perf report --sort comm`, `/proc/PID/task/TID/comm`), so that a profile or a per-thread
/// CPU reading tells the writer from a reader or the checkpointer. Linux keeps at most 15
/// bytes of a thread's name and refuses a longer one outright (`pthread_setname_np` fails with
/// ERANGE): Foundation's `Thread.name`, set to the long names these threads had before, never
/// reached the system, and every store thread showed the name it inherited. Each thread names
/// itself when it starts.
enum StoreThreadName {
  /// The longest name the system keeps, in bytes.
  static let maximumLength = 15
  /// The one writer thread.
  static let writer = "sqlite-writer"
  /// The background checkpointer.
  static let checkpointer = "sqlite-checkpt"

  /// Reader thread `index` of the pool (from 0).
  static func reader(_ index: Int) -> String { "sqlite-reader-\(index)" }

  /// Names the calling thread `name`, cut to ``maximumLength`` bytes (at a character boundary).
  static func apply(_ name: String) {
    var cut = Substring(name)
    while cut.utf8.count > maximumLength { cut = cut.dropLast() }
    #if os(Linux)
    // Glibc's `pthread_setname_np` is not visible to Swift (it needs _GNU_SOURCE); the kernel
    // takes the same name written to the thread's own `comm` file.
    let file = open("/proc/thread-self/comm", O_WRONLY)
    guard file >= 0 else { return }
    defer { close(file) }
    _ = Array(cut.utf8).withUnsafeBytes { write(file, $0.baseAddress, $0.count) }
    #else
    _ = pthread_setname_np(String(cut))
    #endif
  }
}
