import Synchronization
import WireBridge

/// A ``ClientTransport`` that calls a router's handlers directly, in the same process, for
/// fast service tests.
///
/// Requests and responses are still encoded and decoded (so a message that cannot cross the
/// wire fails here too), interceptors run, deadlines cancel the handler and answer
/// `DEADLINE_EXCEEDED`, and cancelling the calling task cancels the handler.
public struct InProcessTransport: ClientTransport {
  private let router: RPCRouter
  private let peer: String

  /// Creates a transport over a router.
  /// - Parameters:
  ///   - router: The services to call.
  ///   - peer: The peer name handlers see.
  public init(router: RPCRouter, peer: String = "in-process") {
    self.router = router
    self.peer = peer
  }

  public func unary<Input, Output>(
    _ method: UnaryMethod<Input, Output>,
    request: Input,
    options: CallOptions
  ) async throws(RPCError) -> UnaryResponse<Output> {
    var response: Output?
    let trailers = try await self.run(method.descriptor, request: request, options: options) { bytes throws(RPCError) in
      guard response == nil else {
        throw RPCError(code: .internal, message: "A unary method answered more than once.")
      }
      response = try decodeResponse(Output.self, bytes)
    }
    guard let response else {
      throw RPCError(code: .internal, message: "A unary method ended without a response.")
    }
    return UnaryResponse(message: response, trailers: trailers)
  }

  public func serverStreaming<Input, Output>(
    _ method: ServerStreamingMethod<Input, Output>,
    request: Input,
    options: CallOptions,
    onResponse: (Output) async throws -> Void
  ) async throws(RPCError) -> Metadata {
    try await self.run(method.descriptor, request: request, options: options) { bytes in
      try await onResponse(try decodeResponse(Output.self, bytes))
    }
  }

  private func run<Input: WireMessage>(
    _ descriptor: MethodDescriptor,
    request: Input,
    options: CallOptions,
    onMessage: ([UInt8]) async throws -> Void
  ) async throws(RPCError) -> Metadata {
    guard let registered = self.router.method(forPath: descriptor.path) else {
      throw self.router.unimplementedError(forPath: descriptor.path)
    }
    let bytes: [UInt8]
    do {
      bytes = try request.serializedBytes()
    } catch {
      throw RPCError(code: .internal, message: "Cannot encode the request: \(error).")
    }
    if let key = options.metadata.firstInvalidKey {
      throw RPCError(code: .internal, message: "Invalid metadata key \"\(key)\".")
    }
    let deadline = options.timeout.map { ContinuousClock.now + $0 }
    let context = ServerContext(
      method: registered.descriptor,
      metadata: options.metadata,
      deadline: deadline,
      peer: self.peer,
      callID: 0
    )
    context.recordRequest(bytes: bytes.count)
    let (stream, continuation) = AsyncThrowingStream<InProcessSink.Event, any Error>.makeStream()
    let sink = InProcessSink(continuation: continuation)
    let started = bytes.withUnsafeBytes { buffer in
      Result { () throws(RPCError) in
        try registered.start(
          request: buffer,
          context: context,
          sink: sink,
          executor: nil,
          interceptors: self.router.interceptors
        )
      }
    }
    let handlerTask: Task<Void, Never>
    do {
      handlerTask = try started.get()
    } catch {
      context.end(code: error.code)
      throw error
    }
    let timer: Task<Void, Never>? = options.timeout.map { timeout in
      Task {
        try? await Task.sleep(for: timeout)
        guard !Task.isCancelled else { return }
        sink.finish(error: RPCError(code: .deadlineExceeded, message: "The deadline passed."))
        handlerTask.cancel()
      }
    }
    defer {
      timer?.cancel()
      handlerTask.cancel()
    }
    do {
      let trailers = try await withTaskCancellationHandler {
        for try await event in stream {
          switch event {
          case .message(let bytes):
            context.recordResponse(bytes: bytes.count)
            try await onMessage(bytes)
          case .end(let trailers): return trailers
          }
        }
        throw RPCError(code: .cancelled, message: "The call was cancelled.")
      } onCancel: {
        sink.finish(error: RPCError(code: .cancelled, message: "The call was cancelled."))
      }
      context.end(code: .ok)
      return trailers
    } catch {
      let error = RPCError(converting: error)
      context.end(code: error.code)
      throw error
    }
  }
}

private func decodeResponse<Output: WireMessage>(_ type: Output.Type, _ bytes: [UInt8]) throws(RPCError) -> Output {
  do {
    return try Output(serializedBytes: bytes)
  } catch {
    throw RPCError(code: .internal, message: "The response is not a valid \(Output.protoFullName) (\(error)).")
  }
}

/// The in-process transport's sink: forwards encoded responses to the caller's stream.
private final class InProcessSink: ServerCallSink {
  enum Event: Sendable {
    case message([UInt8])
    case end(Metadata)
  }

  private let continuation: AsyncThrowingStream<Event, any Error>.Continuation
  private let finished = Mutex(false)

  init(continuation: AsyncThrowingStream<Event, any Error>.Continuation) {
    self.continuation = continuation
  }

  private func encode<Message: WireMessage>(_ message: Message) throws(RPCError) -> [UInt8] {
    do {
      return try message.serializedBytes()
    } catch {
      throw RPCError(code: .internal, message: "Cannot encode the response: \(error).")
    }
  }

  private func end(_ body: () -> Void) {
    let wasFinished = self.finished.withLock { finished in
      defer { finished = true }
      return finished
    }
    if !wasFinished { body() }
  }

  func send<Message: WireMessage>(_ message: Message) async throws {
    let bytes = try self.encode(message)
    let isFinished = self.finished.withLock { $0 }
    if isFinished || Task.isCancelled {
      throw RPCError(code: .cancelled, message: "The call is over.")
    }
    self.continuation.yield(.message(bytes))
  }

  func finish<Message: WireMessage>(response: Message, trailers: Metadata) {
    do {
      let bytes = try self.encode(response)
      self.end {
        self.continuation.yield(.message(bytes))
        self.continuation.yield(.end(trailers))
        self.continuation.finish()
      }
    } catch {
      self.finish(error: error)
    }
  }

  func finish(trailers: Metadata) {
    self.end {
      self.continuation.yield(.end(trailers))
      self.continuation.finish()
    }
  }

  func finish(error: RPCError) {
    self.end { self.continuation.finish(throwing: error) }
  }
}
