import WireBridge

/// Where a running handler's results go: implemented by each transport.
///
/// The runtime calls exactly one of the `finish` methods once per call; after a call has
/// ended (finished, cancelled, deadline passed) transports ignore further calls.
public protocol ServerCallSink: Sendable {
  /// Sends one response of a streaming call, suspending while the transport's outbound
  /// buffer is full.
  /// - Throws: ``RPCError`` if the call is over (cancelled, deadline, connection closed) or
  ///   the message cannot be encoded or is over the peer's size limit.
  func send<Message: WireMessage>(_ message: Message) async throws

  /// Ends a unary call successfully: the response, then an OK status with trailers.
  func finish<Message: WireMessage>(response: Message, trailers: Metadata)

  /// Ends a streaming call successfully with trailers.
  func finish(trailers: Metadata)

  /// Ends the call with an error status.
  func finish(error: RPCError)
}

/// Writes the responses of a server-streaming call.
public struct ResponseWriter<Output: WireMessage>: Sendable {
  private let sink: any ServerCallSink

  /// Creates a writer over a transport's sink.
  public init(sink: any ServerCallSink) { self.sink = sink }

  /// Sends one response; suspends while the connection is backed up.
  /// - Throws: ``RPCError`` if the call is over or the message cannot be sent.
  public func write(_ message: Output) async throws {
    try await self.sink.send(message)
  }
}
