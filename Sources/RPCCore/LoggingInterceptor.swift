public import Logging

/// Logs every call's end: method, peer, status code and duration, with the request's
/// `x-trace-id` metadata (if present) as a metadata field.
public struct LoggingInterceptor: ServerInterceptor {
  private let logger: Logger
  private let level: Logger.Level

  /// Creates the interceptor.
  /// - Parameters:
  ///   - logger: Where to log.
  ///   - level: The level of successful calls; failures log at `.notice` or above.
  public init(logger: Logger, level: Logger.Level = .debug) {
    self.logger = logger
    self.level = level
  }

  public func intercept(
    context: ServerContext,
    next: (ServerContext) async throws -> Void
  ) async throws {
    let start = ContinuousClock.now
    var metadata: Logger.Metadata = [
      "rpc.method": "\(context.method.path)",
      "rpc.peer": "\(context.peer)",
    ]
    if let trace = context.metadata.firstText("x-trace-id") { metadata["trace_id"] = "\(trace)" }
    do {
      try await next(context)
      metadata["rpc.code"] = "OK"
      metadata["rpc.duration"] = "\(ContinuousClock.now - start)"
      self.logger.log(level: self.level, "call ended", metadata: metadata)
    } catch {
      let rpcError = RPCError(converting: error)
      metadata["rpc.code"] = "\(rpcError.code)"
      metadata["rpc.message"] = "\(rpcError.message)"
      metadata["rpc.duration"] = "\(ContinuousClock.now - start)"
      let level: Logger.Level = rpcError.code == .unknown || rpcError.code == .internal ? .error : .notice
      self.logger.log(level: max(level, self.level), "call failed", metadata: metadata)
      throw error
    }
  }
}
