import WireBridge

/// Per-call options.
public struct CallOptions: Sendable {
  /// How long the caller waits; sent to the server, which cancels the handler when it
  /// passes. `nil`: no deadline.
  public var timeout: Duration?
  /// Request metadata.
  public var metadata: Metadata

  /// Creates options.
  public init(timeout: Duration? = nil, metadata: Metadata = Metadata()) {
    self.timeout = timeout
    self.metadata = metadata
  }

  /// No deadline, no metadata.
  public static let defaults = CallOptions()
}

/// A unary call's response with its trailers.
public struct UnaryResponse<Message: WireMessage>: Sendable {
  /// The response message.
  public var message: Message
  /// The response trailers.
  public var trailers: Metadata

  /// Creates a response.
  public init(message: Message, trailers: Metadata) {
    self.message = message
    self.trailers = trailers
  }
}

/// Something that carries calls to a server: the NIO client (`RPCClient`) or the
/// in-process transport (``InProcessTransport``). Typed service clients are written
/// against this protocol so tests can swap transports.
///
/// Every method throws ``RPCError`` (and only that): a server status, or a local failure
/// such as `DEADLINE_EXCEEDED`, `CANCELLED` (the calling task was cancelled) or
/// `UNAVAILABLE` (no connection).
public protocol ClientTransport: Sendable {
  /// Makes a unary call.
  nonisolated(nonsending) func unary<Input, Output>(
    _ method: UnaryMethod<Input, Output>,
    request: Input,
    options: CallOptions
  ) async throws(RPCError) -> UnaryResponse<Output>

  /// Makes a unary call and returns only the response message. The default calls
  /// ``unary(_:request:options:)``; a transport may skip building the ``UnaryResponse``.
  nonisolated(nonsending) func unaryMessage<Input, Output>(
    _ method: UnaryMethod<Input, Output>,
    request: Input,
    options: CallOptions
  ) async throws(RPCError) -> Output

  /// Makes a server-streaming call, handing each response to `onResponse` in order.
  /// Throwing from `onResponse` cancels the call and rethrows (converted to ``RPCError``).
  /// - Returns: The trailers of the successful end.
  func serverStreaming<Input, Output>(
    _ method: ServerStreamingMethod<Input, Output>,
    request: Input,
    options: CallOptions,
    onResponse: (Output) async throws -> Void
  ) async throws(RPCError) -> Metadata
}

extension ClientTransport {
  /// The default: ``unary(_:request:options:)``'s message.
  nonisolated(nonsending) public func unaryMessage<Input, Output>(
    _ method: UnaryMethod<Input, Output>,
    request: Input,
    options: CallOptions
  ) async throws(RPCError) -> Output {
    try await self.unary(method, request: request, options: options).message
  }

  /// Makes a unary call and returns only the response message.
  ///
  /// Inlinable, so that it adds no async frame (and no executor check) of its own between
  /// the caller and the transport.
  @inlinable
  nonisolated(nonsending) public func call<Input, Output>(
    _ method: UnaryMethod<Input, Output>,
    _ request: Input,
    options: CallOptions = .defaults
  ) async throws(RPCError) -> Output {
    try await self.unaryMessage(method, request: request, options: options)
  }

  /// Makes a server-streaming call and collects every response.
  public func collect<Input, Output>(
    _ method: ServerStreamingMethod<Input, Output>,
    _ request: Input,
    options: CallOptions = .defaults
  ) async throws(RPCError) -> [Output] {
    // A class box: the closure is not @Sendable but mutating a captured var across an
    // await needs a reference the closure can hold.
    let box = Box<[Output]>([])
    _ = try await self.serverStreaming(method, request: request, options: options) { box.value.append($0) }
    return box.value
  }
}

/// A mutable box for values collected by a non-escaping closure.
private final class Box<Value> {
  var value: Value
  init(_ value: Value) { self.value = value }
}
