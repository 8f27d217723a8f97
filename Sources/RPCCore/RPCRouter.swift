import WireBridge

/// The registry of services and methods a server serves, and the interceptors that run
/// around every handler.
///
/// ```swift
/// var router = RPCRouter()
/// router.register(echoMethod) { request, context in request }
/// router.register(HealthService(...))
/// router.interceptors = [LoggingInterceptor(logger: logger)]
/// ```
public struct RPCRouter: Sendable {
  private var methods: [String: RegisteredMethod] = [:]
  private var serviceNames: Set<String> = []

  /// Interceptors run around every handler, the first outermost.
  public var interceptors: [any ServerInterceptor] = []

  /// Creates an empty router.
  public init() {}

  /// Registers a unary handler, replacing any handler for the same path.
  public mutating func register<Input, Output>(
    _ method: UnaryMethod<Input, Output>,
    handler: @escaping UnaryHandler<Input, Output>
  ) {
    self.add(RegisteredMethod.unary(method, handler: handler))
  }

  /// Registers a unary handler that completes synchronously, replacing any handler for the
  /// same path.
  ///
  /// For handlers that never need to suspend: a read from an in-memory cache, a request
  /// refused by validation. The transport runs it inline, on the connection's event loop,
  /// without creating a Swift `Task` per call (with interceptors installed it runs in a task,
  /// since interceptors are `async`). It must not block: a slow handler stalls every call on
  /// its connection. It cannot be cancelled and sees no task cancellation; the call's
  /// deadline is still enforced by the transport.
  public mutating func registerSynchronous<Input, Output>(
    _ method: UnaryMethod<Input, Output>,
    handler: @escaping SynchronousUnaryHandler<Input, Output>
  ) {
    self.add(RegisteredMethod.synchronousUnary(method, handler: handler))
  }

  /// Registers a server-streaming handler, replacing any handler for the same path.
  public mutating func register<Input, Output>(
    _ method: ServerStreamingMethod<Input, Output>,
    handler: @escaping ServerStreamingHandler<Input, Output>
  ) {
    self.add(RegisteredMethod.serverStreaming(method, handler: handler))
  }

  /// Makes every registered method record its calls into `metrics` (servers do this once,
  /// after the last registration).
  package mutating func attach(_ metrics: ServerMetrics) {
    for (path, method) in self.methods { self.methods[path] = method.recording(into: metrics.method(path)) }
  }

  /// Registers every method of a service.
  public mutating func register(_ service: some RPCService) {
    service.register(into: &self)
  }

  private mutating func add(_ method: RegisteredMethod) {
    self.methods[method.descriptor.path] = method
    self.serviceNames.insert(method.descriptor.service)
  }

  /// The method registered at a wire path.
  public func method(forPath path: String) -> RegisteredMethod? {
    self.methods[path]
  }

  /// Whether any method of this service is registered.
  public func hasService(_ name: some StringProtocol) -> Bool {
    self.serviceNames.contains(String(name))
  }

  /// The names of the services with a registered method, sorted.
  public var serviceNamesSorted: [String] {
    self.serviceNames.sorted()
  }

  /// Every registered method, sorted by path.
  public var descriptors: [MethodDescriptor] {
    self.methods.values.map(\.descriptor).sorted { $0.path < $1.path }
  }

  /// The error for a path no method is registered at: UNIMPLEMENTED, saying whether the
  /// service or only the method is unknown.
  public func unimplementedError(forPath path: String) -> RPCError {
    if let (service, method) = MethodDescriptor.split(path: path), self.hasService(service) {
      return RPCError(code: .unimplemented, message: "Service \(service) has no method \(method).")
    }
    if let (service, _) = MethodDescriptor.split(path: path) {
      return RPCError(code: .unimplemented, message: "Unknown service \(service).")
    }
    return RPCError(code: .unimplemented, message: "Malformed method path \"\(path)\".")
  }
}

/// A set of methods registered together.
public protocol RPCService: Sendable {
  /// Registers the service's methods.
  func register(into router: inout RPCRouter)
}
