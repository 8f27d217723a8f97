/// Code run around every handler: authentication, logging, metrics.
///
/// An interceptor sees the call's context before the handler runs and the handler's outcome
/// (its thrown error) after. It may refuse the call by throwing an ``RPCError`` without
/// calling `next`, and may attach values to the context for the handler
/// (``ServerContext/subscript(_:)``). Interceptors never see messages: that keeps them
/// independent of message types and cheap.
public protocol ServerInterceptor: Sendable {
  /// Runs around the rest of the chain.
  /// - Parameters:
  ///   - context: The call's context.
  ///   - next: The rest of the chain (further interceptors, then the handler); call it at
  ///     most once.
  /// - Throws: Whatever `next` throws, or an ``RPCError`` to refuse the call.
  func intercept(
    context: ServerContext,
    next: (ServerContext) async throws -> Void
  ) async throws
}
