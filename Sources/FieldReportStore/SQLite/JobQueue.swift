import Foundation
import Metrics

/// A blocking FIFO of jobs shared by dedicated database threads.
///
/// Async callers enqueue without blocking; the database threads block in ``take(max:)``
/// until work arrives or the queue closes. This keeps SQLite's blocking calls off NIO
/// event loops and off the Swift cooperative pool.
///
/// # Thread safety
/// All state is guarded by `condition`.
// @unchecked Sendable: every stored property is read and written only while holding `condition`.
final class JobQueue<Job>: @unchecked Sendable {
  private let condition = NSCondition()
  private var jobs: [Job] = []
  private var head = 0
  private var closed = false
  /// Where the number of queued jobs is reported, if anywhere.
  private let depth: Gauge?

  /// Creates an empty queue.
  /// - Parameter depth: A gauge that follows the number of jobs waiting.
  init(depth: Gauge? = nil) {
    self.depth = depth
  }

  /// Adds a job; returns `false` (and drops it) if the queue is closed.
  func enqueue(_ job: Job) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    guard !closed else { return false }
    jobs.append(job)
    depth?.record(jobs.count - head)
    condition.signal()
    return true
  }

  /// Waits for at least one job and returns up to `max` of them, oldest first.
  /// Returns an empty array once the queue is closed and drained.
  func take(max: Int) -> [Job] {
    condition.lock()
    defer { condition.unlock() }
    while head == jobs.count && !closed { condition.wait() }
    let end = min(jobs.count, head + max)
    let batch = Array(jobs[head..<end])
    head = end
    depth?.record(jobs.count - head)
    if head == jobs.count {
      jobs.removeAll(keepingCapacity: true)
      head = 0
    } else if head > 1_024 {
      jobs.removeFirst(head)
      head = 0
    }
    return batch
  }

  /// Refuses new jobs and wakes every waiting thread; queued jobs are still handed out.
  func close() {
    condition.lock()
    closed = true
    condition.broadcast()
    condition.unlock()
  }
}
