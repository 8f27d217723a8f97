internal import Metrics

/// Records, through swift-metrics, a counter of calls by method and status code and a
/// timer of call durations by method, as the handlers see them.
///
/// `RPCServer` already records every call's final status, latency, size and calls in flight
/// (``ServerMetrics``, families `rpc_server_*`); this interceptor is for other transports. With
/// `RPCServer`, give it another prefix or it counts calls a second time in `rpc_server_calls_total`.
public struct MetricsInterceptor: ServerInterceptor {
  private let prefix: String

  /// Creates the interceptor; metric labels start with `prefix` (default `rpc_server`).
  public init(prefix: String = "rpc_server") {
    self.prefix = prefix
  }

  public func intercept(
    context: ServerContext,
    next: (ServerContext) async throws -> Void
  ) async throws {
    let start = ContinuousClock.now
    var code = StatusCode.ok
    defer {
      let elapsed = ContinuousClock.now - start
      let dimensions = [("method", context.method.path), ("code", code.description)]
      Counter(label: "\(self.prefix)_calls_total", dimensions: dimensions).increment()
      let (seconds, attoseconds) = elapsed.components
      Timer(label: "\(self.prefix)_call_duration", dimensions: [("method", context.method.path)])
        .recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
    do {
      try await next(context)
    } catch {
      code = RPCError(converting: error).code
      throw error
    }
  }
}
