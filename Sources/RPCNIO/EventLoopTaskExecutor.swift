import NIOCore

/// Runs Swift tasks on a NIO event loop, so a handler that suspends resumes on its
/// connection's loop without a thread hop back for the response write.
///
/// Jobs enqueued from the loop itself (continuations resumed while a read is handled: one
/// per response) are batched: the loop runs them all from one task, instead of allocating
/// and queueing one closure per job.
// @unchecked Sendable: `batch` and `drainScheduled` are only touched on `eventLoop` (every
// access is behind an `inEventLoop` check or inside a task running on the loop).
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
  let eventLoop: any EventLoop
  // No dynamic exclusivity checks: touched only on the loop, never across a job's run.
  @exclusivity(unchecked) private var batch: [UnownedJob] = []
  @exclusivity(unchecked) private var spare: [UnownedJob] = []
  @exclusivity(unchecked) private var drainScheduled = false

  init(eventLoop: any EventLoop) {
    self.eventLoop = eventLoop
  }

  func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    guard self.eventLoop.inEventLoop else {
      self.eventLoop.execute {
        job.runSynchronously(on: self.asUnownedTaskExecutor())
      }
      return
    }
    self.batch.append(job)
    if !self.drainScheduled {
      self.drainScheduled = true
      self.eventLoop.assumeIsolated().execute { self.drain() }
    }
  }

  /// Runs the jobs enqueued so far, now, if called on the loop (a connection calls this when
  /// a read is complete: callers its responses resumed run at once, and the calls they start
  /// are flushed with the same `write`, instead of one loop iteration later). Jobs they
  /// enqueue go into the next batch.
  func runPending() {
    guard self.eventLoop.inEventLoop, !self.batch.isEmpty else { return }
    self.drain()
  }

  /// Runs the batched jobs; jobs they enqueue go into the next batch.
  private func drain() {
    self.drainScheduled = false
    guard !self.batch.isEmpty else { return }
    swap(&self.batch, &self.spare)
    let executor = self.asUnownedTaskExecutor()
    for job in self.spare {
      job.runSynchronously(on: executor)
    }
    self.spare.removeAll(keepingCapacity: true)
  }
}
