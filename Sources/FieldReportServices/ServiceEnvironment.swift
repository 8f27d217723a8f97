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
  /// Failed-login counts (shared by every call of the server).
  public let loginThrottle: LoginThrottle
  /// New-report counts per reporter (shared by every call of the server).
  public let submissionThrottle: SubmissionThrottle
  /// Fired when the server begins to drain (streams end with UNAVAILABLE, resumable).
  public let drain = DrainSignal()

  /// Creates an environment.
  /// - Parameters:
  ///   - store: The storage.
  ///   - policy: The workflow's rules (default ``FieldReportWorkflow/WorkflowPolicy/standard``).
  ///   - now: The clock (default: the system clock).
  ///   - logger: The service logger.
  ///   - limits: Limits and security settings.
  public init(
    store: any FieldReportStore,
    policy: WorkflowPolicy = .standard,
    now: @escaping @Sendable () -> Timestamp = ServiceEnvironment.systemClock,
    logger: Logger,
    limits: ServiceLimits = .standard
  ) {
    self.store = store
    self.policy = policy
    self.now = now
    self.logger = logger
    self.limits = limits
    self.loginThrottle = LoginThrottle(limits: limits)
    self.submissionThrottle = SubmissionThrottle(limits: limits)
  }

  /// The system clock in Unix milliseconds.
  public static let systemClock: @Sendable () -> Timestamp = {
    Timestamp(millisecondsSince1970: systemMilliseconds())
  }

  /// The service logger with the call's trace id, method and (once authenticated) user id.
  public func logger(for context: ServerContext) -> Logger {
    var logger = self.logger
    logger[metadataKey: "trace_id"] = "\(context.traceID)"
    logger[metadataKey: "rpc.method"] = "\(context.method.path)"
    if let principal = context[PrincipalKey.self] {
      logger[metadataKey: "user_id"] = "\(principal.user.id)"
    }
    return logger
  }
}
