public import FieldReportStore
public import FieldReportWorkflow
public import Logging
public import RPCCore

/// Everything a service handler needs: storage, rules, the clock, logging, limits and the
/// shared authentication state.
///
/// # Thread safety
/// `Sendable`; one environment is shared by every handler of a server.
public struct ServiceEnvironment: Sendable {
  /// The storage.
  public let store: any FieldReportStore
  /// The workflow's windows and limits.
  public let policy: WorkflowPolicy
  /// The server clock (tests inject a fixed or stepping clock).
  public let now: @Sendable () -> Timestamp
  /// The service logger; use ``logger(for:)`` in a handler to get one with the trace id.
  public let logger: Logger
  /// Limits and security settings.
  public let limits: ServiceLimits
  /// Failed-login limits (counted by the store: see ``FieldReportStore/attemptCounter(named:)``).
  public let loginThrottle: LoginThrottle
  /// New-report limits per reporter (counted by the store).
  public let submissionThrottle: SubmissionThrottle
  /// Fired when the server begins to drain (streams end with UNAVAILABLE, resumable).
  public let drain: DrainSignal
  /// The key that signs journal checkpoints; nil when the server has none (CreateCheckpoint
  /// then answers FAILED_PRECONDITION).
  public let checkpointSigner: CheckpointSigner?
  /// Where password checks run, off the event loops.
  public let blockingWork: BlockingWork

  /// Creates an environment.
  /// - Parameters:
  ///   - store: The storage.
  ///   - policy: The workflow's rules (default ``FieldReportWorkflow/WorkflowPolicy/standard``).
  ///   - now: The clock (default: the system clock).
  ///   - logger: The service logger.
  ///   - limits: Limits and security settings.
  ///   - checkpointSigner: The key that signs journal checkpoints, if any.
  ///   - blockingWork: Where password checks run (default: detached tasks).
  public init(
    store: any FieldReportStore,
    policy: WorkflowPolicy = .standard,
    now: @escaping @Sendable () -> Timestamp = ServiceEnvironment.systemClock,
    logger: Logger,
    limits: ServiceLimits = .standard,
    checkpointSigner: CheckpointSigner? = nil,
    blockingWork: BlockingWork = .detached
  ) {
    self.checkpointSigner = checkpointSigner
    self.blockingWork = blockingWork
    self.store = store
    self.policy = policy
    self.now = now
    self.logger = logger
    self.limits = limits
    self.drain = DrainSignal(onBegin: { [bell = store.eventBell] in bell.ring() })
    self.loginThrottle = LoginThrottle(limits: limits, counter: store.attemptCounter(named: "login"), logger: logger)
    self.submissionThrottle = SubmissionThrottle(
      limits: limits, counter: store.attemptCounter(named: "submission"), logger: logger)
  }

  /// The system clock in Unix milliseconds.
  public static let systemClock: @Sendable () -> Timestamp = {
    Timestamp(millisecondsSince1970: systemMilliseconds())
  }

  /// The call's logger: the service logger with the call's trace id, method and (once
  /// authenticated) user id, built only when something is logged (most calls log nothing
  /// here, and decorating a logger costs more than many handlers' own work).
  public func logger(for context: ServerContext) -> CallLogger {
    CallLogger(base: self.logger, context: context)
  }
}

/// A call's logger, decorated with the call's metadata on first use.
public struct CallLogger: Sendable {
  let base: Logger
  let context: ServerContext?

  /// A call's logger over `base`.
  init(base: Logger, context: ServerContext) {
    self.base = base
    self.context = context
  }

  /// A logger with no call to describe (tools, tests).
  public init(_ base: Logger) {
    self.base = base
    self.context = nil
  }

  /// The decorated logger.
  public var logger: Logger {
    guard let context else { return base }
    var logger = base
    logger[metadataKey: "trace_id"] = "\(context.traceID)"
    logger[metadataKey: "rpc.method"] = "\(context.method.path)"
    if let principal = context[PrincipalKey.self] {
      logger[metadataKey: "user_id"] = "\(principal.user.id)"
    }
    return logger
  }

  /// Logs at `level` with the call's metadata (nothing is built below the log level).
  public func log(
    level: Logger.Level, _ message: @autoclosure () -> Logger.Message,
    metadata: @autoclosure () -> Logger.Metadata? = nil
  ) {
    guard base.logLevel <= level else { return }
    logger.log(level: level, message(), metadata: metadata())
  }

  /// Logs at error level with the call's metadata.
  public func error(_ message: @autoclosure () -> Logger.Message, metadata: @autoclosure () -> Logger.Metadata? = nil) {
    log(level: .error, message(), metadata: metadata())
  }

  /// Logs at notice level with the call's metadata.
  public func notice(_ message: @autoclosure () -> Logger.Message, metadata: @autoclosure () -> Logger.Metadata? = nil) {
    log(level: .notice, message(), metadata: metadata())
  }

  /// Logs at info level with the call's metadata.
  public func info(_ message: @autoclosure () -> Logger.Message, metadata: @autoclosure () -> Logger.Metadata? = nil) {
    log(level: .info, message(), metadata: metadata())
  }
}
