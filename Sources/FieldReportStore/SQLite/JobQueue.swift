import Foundation
import Metrics

/// Which jobs of a ``JobQueue`` go first.
enum JobLane: Sendable {
  /// Short jobs (a lookup by key): handed out first.
  case prompt
  /// Jobs that may be long (listings, statistics, large contents), or all jobs of a queue
  /// without priorities.
  case background
}

/// A blocking queue of jobs shared by dedicated database threads, in two lanes: jobs in the
/// ``JobLane/prompt`` lane are handed out before those in the ``JobLane/background`` lane, each lane
/// in arrival order.
///
/// Async callers enqueue without blocking; the database threads block in ``take(max:)``
/// until work arrives or the queue closes. This keeps SQLite's blocking calls off NIO
/// event loops and off the Swift cooperative pool.
///
/// The lanes keep short jobs from waiting behind long ones: a reader pool's point lookups
/// (a case, a session) go before listings and statistics, which were most of its queue and
/// made a GetCase that missed the cache wait milliseconds under a mixed load. A background job
/// is never starved: once ``promptRunLimit`` prompt jobs were handed out while it waited, it is
/// next.
///
/// # Thread safety
/// All state is guarded by `condition`.
// @unchecked Sendable: every stored property is read and written only while holding `condition`.
final class JobQueue<Job>: @unchecked Sendable {
  /// Prompt jobs handed out in a row while a background job waits, before it is handed out.
  static var promptRunLimit: Int { 8 }

  private let condition = NSCondition()
  private var prompt = Fifo()
  private var background = Fifo()
  /// Prompt jobs handed out since a background job last was, while one waited.
  private var promptRun = 0
  private var closed = false
  /// Where the number of queued jobs is reported, if anywhere.
  private let depth: Gauge?

  /// Creates an empty queue.
  /// - Parameter depth: A gauge that follows the number of jobs waiting.
  init(depth: Gauge? = nil) {
    self.depth = depth
  }

  /// Adds a job to a lane; returns `false` (and drops it) if the queue is closed.
  func enqueue(lane: JobLane = .background, _ job: Job) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    guard !closed else { return false }
    switch lane {
    case .prompt: prompt.append(job)
    case .background: background.append(job)
    }
    depth?.record(prompt.count + background.count)
    condition.signal()
    return true
  }

  /// Waits for at least one job and returns up to `max` of them: prompt jobs first, then
  /// background jobs, each lane oldest first (see ``promptRunLimit``).
  /// Returns an empty array once the queue is closed and drained.
  func take(max: Int) -> [Job] {
    condition.lock()
    defer { condition.unlock() }
    while prompt.count + background.count == 0 && !closed { condition.wait() }
    var batch: [Job] = []
    while batch.count < max {
      if background.count > 0, prompt.count == 0 || promptRun >= Self.promptRunLimit {
        batch.append(background.removeFirst())
        promptRun = 0
      } else if prompt.count > 0 {
        batch.append(prompt.removeFirst())
        promptRun = background.count > 0 ? promptRun + 1 : 0
      } else {
        break
      }
    }
    depth?.record(prompt.count + background.count)
    return batch
  }

  /// How many jobs wait, in both lanes.
  var waiting: Int {
    condition.lock()
    defer { condition.unlock() }
    return prompt.count + background.count
  }

  /// Refuses new jobs and wakes every waiting thread; queued jobs are still handed out.
  func close() {
    condition.lock()
    closed = true
    condition.broadcast()
    condition.unlock()
  }

  /// One lane: an array consumed from a moving head, compacted when drained or when the
  /// consumed prefix grows large.
  private struct Fifo {
    private var jobs: [Job] = []
    private var head = 0

    var count: Int { jobs.count - head }

    mutating func append(_ job: Job) { jobs.append(job) }

    /// The oldest job; the lane must not be empty.
    mutating func removeFirst() -> Job {
      let job = jobs[head]
      head += 1
      if head == jobs.count {
        jobs.removeAll(keepingCapacity: true)
        head = 0
      } else if head > 1_024 {
        jobs.removeFirst(head)
        head = 0
      }
      return job
    }
  }
}
