/// Authenticates every call from its metadata before the handler runs.
///
/// The `authenticate` closure reads the credentials (for example an `authorization`
/// metadata entry), and either returns the principal, which is attached to the context
/// under `Key`, or throws (an ``RPCError`` with `UNAUTHENTICATED` is usual). Paths in
/// `publicPaths` (e.g. a login method, health checks) skip authentication.
public struct AuthInterceptor<Key: ServerContextKey>: ServerInterceptor {
  /// Derives the principal from the call, or throws.
  public typealias Authenticate = @Sendable (ServerContext) async throws -> Key.Value

  private let authenticate: Authenticate
  private let publicPaths: Set<String>
  private let publicServices: Set<String>

  /// Creates the interceptor.
  /// - Parameters:
  ///   - key: Where the principal is stored in the context.
  ///   - publicPaths: Method paths that need no credentials.
  ///   - publicServices: Services whose every method needs no credentials.
  ///   - authenticate: Derives the principal, or throws to refuse the call.
  public init(
    key: Key.Type,
    publicPaths: Set<String> = [],
    publicServices: Set<String> = [],
    authenticate: @escaping Authenticate
  ) {
    self.authenticate = authenticate
    self.publicPaths = publicPaths
    self.publicServices = publicServices
  }

  public func intercept(
    context: ServerContext,
    next: (ServerContext) async throws -> Void
  ) async throws {
    if !self.publicPaths.contains(context.method.path)
      && !self.publicServices.contains(context.method.service)
    {
      context[Key.self] = try await self.authenticate(context)
    }
    try await next(context)
  }
}
