import NIOCore

/// Runs Swift tasks on a NIO event loop, so a handler that suspends resumes on its
/// connection's loop without a thread hop back for the response write.
final class EventLoopTaskExecutor: TaskExecutor {
  let eventLoop: any EventLoop

  init(eventLoop: any EventLoop) {
    self.eventLoop = eventLoop
  }

  func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    self.eventLoop.execute {
      job.runSynchronously(on: self.asUnownedTaskExecutor())
    }
  }
}
