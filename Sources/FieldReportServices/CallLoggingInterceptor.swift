public import Logging
public import RPCCore

/// Gives every call a trace id and logs its end.
///
/// The trace id is the request's `x-trace-id` metadata when usable (1 to 64 printable ASCII
/// bytes), otherwise a fresh random one; it is attached to the context (``TraceIDKey``),
/// returned in the `x-trace-id` response trailer and put on every log line of the call
/// (handlers use ``ServiceEnvironment/logger(for:)``). Successful calls log at `debug`,
/// refusals at `notice`, server faults at `error`. Messages only, never request payloads or
/// metadata values, are logged, so secrets never reach the logs.
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
    let start = ContinuousClock.now
    // The call's metadata is attached only when a line is actually written.
    func decorated() -> Logger {
      var logger = self.logger
      logger[metadataKey: "trace_id"] = "\(traceID)"
      logger[metadataKey: "rpc.method"] = "\(context.method.path)"
      logger[metadataKey: "rpc.peer"] = "\(context.peer)"
      if let principal = context[PrincipalKey.self] { logger[metadataKey: "user_id"] = "\(principal.user.id)" }
      return logger
    }
    do {
      try await next(context)
      if self.logger.logLevel <= .debug {
        decorated().debug("call ended", metadata: ["rpc.code": "OK", "rpc.duration": "\(ContinuousClock.now - start)"])
      }
    } catch {
      // The one place a handler's error becomes what the caller sees (``rpcError(_:logger:)``:
      // workflow refusals, store and wire errors; server faults are logged with their cause).
      let status = rpcError(error, logger: CallLogger(base: self.logger, context: context))
      let level: Logger.Level = status.code == .internal || status.code == .unknown ? .error : .notice
      guard self.logger.logLevel <= level else { throw status }
      decorated().log(
        level: level, "call failed",
        metadata: [
          "rpc.code": "\(status.code)", "rpc.message": "\(status.message)",
          "rpc.duration": "\(ContinuousClock.now - start)",
        ])
      throw status
    }
  }
}
