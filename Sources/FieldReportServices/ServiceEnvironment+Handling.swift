public import RPCCore

extension ServiceEnvironment {
  /// Runs a handler body and converts whatever it throws into the error the caller sees
  /// (``rpcError(_:logger:)``, logging server faults with the call's trace id).
  public func handle<T>(
    _ context: ServerContext, _ body: () async throws -> T
  ) async throws(RPCError) -> T {
    do {
      return try await body()
    } catch {
      throw rpcError(error, logger: self.logger(for: context))
    }
  }
}
