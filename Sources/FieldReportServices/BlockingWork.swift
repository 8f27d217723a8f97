import Synchronization

/// Where work too long for an event loop runs: password checks (scrypt: tens of milliseconds
/// and 32 MiB at the standard cost). A handler runs on the event loop that serves every other
/// call of its connections; a check made there stalled them all for its duration.
///
/// The server gives a runner on a pool of its own threads (`fieldreport-server`: one thread, so
/// checks run one at a time: their memory is bounded and they never occupy the cooperative
/// thread pool that other tasks need); without one, work runs in a detached task.
public struct BlockingWork: Sendable {
  /// Runs `work` somewhere other than the caller's executor; returns when it ran, or throws if
  /// it could not run (the pool stopped).
  public typealias Runner = @Sendable (_ work: @escaping @Sendable () -> Void) async throws -> Void

  let runner: Runner

  /// Work on the runner's threads.
  public init(runner: @escaping Runner) {
    self.runner = runner
  }

  /// Work in a detached task, on the cooperative thread pool.
  public static let detached = BlockingWork { work in await Task.detached { work() }.value }

  /// Runs `body` through the runner and returns its result.
  func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    let outcome = Mutex<Result<T, any Error>?>(nil)
    try await runner { outcome.withLock { $0 = Result { try body() } } }
    guard let done = outcome.withLock({ $0 }) else { throw CancellationError() }
    return try done.get()
  }
}
