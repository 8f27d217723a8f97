public import Logging
public import RPCCore

/// Gives every call a trace id and writes its access-log line.
///
/// The trace id is the request's `x-trace-id` metadata when usable (1 to 128 printable ASCII
/// bytes, no spaces), otherwise a fresh random one; it is attached to the context
/// (``TraceIDKey``), returned in the `x-trace-id` response trailer and put on every log line of
/// the call (handlers use ``ServiceEnvironment/logger(for:)``).
///
/// Once the transport has sent the call's final status (``RPCCore/ServerContext/onEnd(_:)``),
/// one line `call` is logged at `info` (at `error` for server faults: INTERNAL, UNKNOWN,
/// DATA_LOSS) with `rpc.method`, `rpc.peer`, `rpc.code`, `rpc.duration_ms`,
/// `rpc.request_bytes`, `rpc.response_bytes`, `trace_id`, the caller if authenticated
/// (`user` — the username, else the account id —, `user_id`, `user_kind`, e.g.
/// `service_account`) and, for a failure, `rpc.message`. Status messages, never request
/// payloads or metadata values (tokens, keys), are logged, so secrets never reach the logs.
public struct CallLoggingInterceptor: ServerInterceptor {
  private let logger: Logger

  /// Creates the interceptor.
  public init(logger: Logger) {
    self.logger = logger
  }

  public func intercept(
    context: ServerContext,
    next: (ServerContext) async throws -> Void
  ) async throws {
    let traceID = TraceID.accepted(context.metadata.firstText("x-trace-id")) ?? TraceID.generate()
    context[TraceIDKey.self] = traceID
    context.addTrailer("x-trace-id", .text(traceID))
    if self.logger.logLevel <= .error {
      let logger = self.logger
      context.onEnd { summary in Self.logAccess(summary, context: context, traceID: traceID, logger: logger) }
    }
    do {
      try await next(context)
    } catch {
      // The one place a handler's error becomes what the caller sees (``rpcError(_:logger:)``:
      // workflow refusals, store and wire errors; server faults are logged with their cause).
      let status = rpcError(error, logger: CallLogger(base: self.logger, context: context))
      context[FailureMessageKey.self] = status.message
      throw status
    }
  }

  /// The access-log line of a finished call.
  private static func logAccess(_ summary: CallSummary, context: ServerContext, traceID: String, logger: Logger) {
    let fault = summary.code == .internal || summary.code == .unknown || summary.code == .dataLoss
    let level: Logger.Level = fault ? .error : .info
    guard logger.logLevel <= level else { return }
    let (seconds, attoseconds) = summary.duration.components
    let milliseconds = Double(seconds) * 1_000 + Double(attoseconds / 1_000_000_000) / 1_000_000
    var metadata: Logger.Metadata = [
      "trace_id": "\(traceID)",
      "rpc.method": "\(context.method.path)",
      "rpc.peer": "\(context.peer)",
      "rpc.code": "\(summary.code)",
      "rpc.duration_ms": "\((milliseconds * 1_000).rounded() / 1_000)",
      "rpc.request_bytes": "\(summary.requestBytes)",
      "rpc.response_bytes": "\(summary.responseBytes)",
    ]
    if let principal = context[PrincipalKey.self] {
      metadata["user"] = "\(principal.username ?? principal.user.id.description)"
      metadata["user_id"] = "\(principal.user.id)"
      metadata["user_kind"] = "\(principal.user.kind.rawValue)"
    }
    if summary.code != .ok {
      // The status message the caller saw; the transport's own ends (deadline, cancel) have none.
      metadata["rpc.message"] = "\(context[FailureMessageKey.self] ?? "")"
    }
    logger.log(level: level, "call", metadata: metadata)
  }
}

/// The status message of a failed call, for its access-log line.
private enum FailureMessageKey: ServerContextKey {
  typealias Value = String
}
