import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import RPCCore
import Synchronization
import WireBridge

/// The RPC client on SwiftNIO: one connection multiplexes every call; reconnects with
/// exponential backoff; deadlines, cancellation, typed ``RPCError``s.
///
/// ```swift
/// let client = RPCClient(configuration: .init(host: "127.0.0.1", port: 8443), logger: logger)
/// let reply = try await client.call(echo, request, options: CallOptions(timeout: .seconds(2)))
/// await client.close()
/// ```
///
/// The connection is opened by the first call. When it fails, the next attempt waits a
/// backoff (``Configuration/Backoff``) that grows with each consecutive failure; a call that
/// cannot get a connection fails `UNAVAILABLE` (retryable). On GOAWAY, calls the server did
/// not accept fail `UNAVAILABLE` and new calls use a new connection.
///
/// # Thread safety
/// `Sendable`; call from any task.
public final class RPCClient: ClientTransport, Sendable {
  /// Client settings.
  public struct Configuration: Sendable {
    /// Reconnection backoff.
    public struct Backoff: Sendable {
      /// The wait after the first failure.
      public var initial: Duration = .milliseconds(100)
      /// The longest wait.
      public var maximum: Duration = .seconds(5)
      /// The growth factor per consecutive failure.
      public var multiplier: Double = 1.6
      /// Random spread, as a fraction of the wait (0.2: ±20 %).
      public var jitter: Double = 0.2
      /// The defaults.
      public init() {}

      func delay(afterFailures failures: Int) -> Duration {
        guard failures > 0 else { return .zero }
        var base = Double(self.initial.microseconds)
        for _ in 1..<min(failures, 64) { base *= self.multiplier }
        let capped = min(base, Double(self.maximum.microseconds))
        let spread = capped * self.jitter * Double.random(in: -1...1)
        return .microseconds(Int64(max(0, capped + spread)))
      }
    }

    /// The server's host.
    public var host: String
    /// The server's port.
    public var port: Int
    /// The sizes this client accepts (announced to the server).
    public var limits: ConnectionLimits
    /// How long to wait for TCP connect plus the server's preface.
    public var connectTimeout: Duration
    /// Reconnection backoff.
    public var backoff: Backoff
    /// TLS (with a client certificate: mutual TLS); `nil`: plain TCP.
    public var tls: ClientTLS?

    /// Creates a configuration.
    public init(
      host: String,
      port: Int,
      limits: ConnectionLimits = ConnectionLimits(),
      connectTimeout: Duration = .seconds(5),
      backoff: Backoff = Backoff(),
      tls: ClientTLS? = nil
    ) {
      self.host = host
      self.port = port
      self.limits = limits
      self.connectTimeout = connectTimeout
      self.backoff = backoff
      self.tls = tls
    }
  }

  private struct State {
    var connection: ClientConnection?
    var connecting: Task<ClientConnection, any Error>?
    var failures = 0
    var nextAttempt: ContinuousClock.Instant?
    var closed = false
  }

  private let configuration: Configuration
  private let eventLoop: any EventLoop
  private let logger: Logger
  private let state = Mutex(State())

  /// A task executor on the event loop this client's connections use. Callers that make many
  /// calls may run on it (`withTaskExecutorPreference(client.executor) { ... }`): a call then
  /// starts and completes without any thread hop, as an event-loop-driven client would.
  public let executor: any TaskExecutor
  /// `executor`, typed: connections run its pending jobs when a read completes.
  private let loopExecutor: EventLoopTaskExecutor

  /// Creates a client; no connection is opened until the first call.
  public init(
    configuration: Configuration,
    group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
    logger: Logger
  ) {
    self.configuration = configuration
    // One loop for every connection of this client: keeps `executor` meaningful.
    self.eventLoop = group.next()
    self.loopExecutor = EventLoopTaskExecutor(eventLoop: self.eventLoop)
    self.executor = self.loopExecutor
    self.logger = logger
  }

  /// Closes the connection; calls in flight fail `UNAVAILABLE`, later calls fail `UNAVAILABLE`.
  public func close() async {
    let (connection, connecting) = self.state.withLock { state in
      state.closed = true
      defer {
        state.connection = nil
        state.connecting = nil
      }
      return (state.connection, state.connecting)
    }
    connecting?.cancel()
    if let connection { try? await connection.channel.close() }
  }

  // MARK: Connection

  private enum Next {
    case ready(ClientConnection)
    case wait(Task<ClientConnection, any Error>)
    case closed
  }

  /// The established connection, if it takes calls: the synchronous fast path of
  /// ``connection()``, so a call on a live connection does not await (and hop) for it.
  private func readyConnection() -> ClientConnection? {
    self.state.withLock { state in
      guard !state.closed, let connection = state.connection, connection.isUsable else { return nil }
      return connection
    }
  }

  func connection() async throws(RPCError) -> ClientConnection {
    let next = self.state.withLock { state -> Next in
      if state.closed { return .closed }
      if let connection = state.connection, connection.isUsable { return .ready(connection) }
      state.connection = nil
      if let connecting = state.connecting { return .wait(connecting) }
      let notBefore = state.nextAttempt
      let task = Task { try await self.connect(notBefore: notBefore) }
      state.connecting = task
      return .wait(task)
    }
    switch next {
    case .ready(let connection):
      return connection
    case .closed:
      throw RPCError(code: .unavailable, message: "The client is closed.")
    case .wait(let task):
      do {
        return try await task.value
      } catch {
        throw RPCError(converting: error)
      }
    }
  }

  private func connect(notBefore: ContinuousClock.Instant?) async throws -> ClientConnection {
    if let notBefore, notBefore > .now {
      try? await Task.sleep(until: notBefore)
    }
    do {
      let connection = try await self.openConnection()
      self.state.withLock { state in
        state.connecting = nil
        state.failures = 0
        state.nextAttempt = nil
        if state.closed {
          connection.channel.close(promise: nil)
        } else {
          state.connection = connection
        }
      }
      return connection
    } catch {
      let failures = self.state.withLock { state in
        state.connecting = nil
        state.failures += 1
        state.nextAttempt = .now + self.configuration.backoff.delay(afterFailures: state.failures)
        return state.failures
      }
      self.logger.debug(
        "connection attempt failed",
        metadata: ["host": "\(self.configuration.host)", "port": "\(self.configuration.port)", "failures": "\(failures)", "error": "\(error)"]
      )
      throw RPCError(
        code: .unavailable,
        message: "Cannot connect to \(self.configuration.host):\(self.configuration.port): \(error)",
        details: [.retryInfo(delay: self.configuration.backoff.delay(afterFailures: failures))]
      )
    }
  }

  /// The TLS context, made once from ``Configuration/tls`` on the first connection.
  private let tlsContext = NIOLockedValueBox<NIOSSLContext?>(nil)

  /// The TLS context and the name to verify, if the client uses TLS.
  private func tlsSetup() throws -> (NIOSSLContext, String?)? {
    guard let tls = self.configuration.tls else { return nil }
    do {
      let context = try self.tlsContext.withLockedValue { cached in
        if let cached { return cached }
        let made = try tls.makeContext()
        cached = made
        return made
      }
      return (context, tls.verifiedName(for: self.configuration.host))
    } catch {
      throw RPCError(code: .failedPrecondition, message: "\(error)")
    }
  }

  private func openConnection() async throws -> ClientConnection {
    let limits = self.configuration.limits
    let tls = try self.tlsSetup()
    let connectionBox = WeakConnectionBox()
    let bootstrap = ClientBootstrap(group: self.eventLoop)
      .channelOption(.socketOption(.tcp_nodelay), value: 1)
      .connectTimeout(.microseconds(self.configuration.connectTimeout.microseconds))
    let channel = try await bootstrap.connect(host: self.configuration.host, port: self.configuration.port).get()
    let connectTimeout = self.configuration.connectTimeout
    let executor = self.loopExecutor
    let setUp: EventLoopFuture<(ServerSettings, NIOLoopBound<ClientConnectionHandler>)> = channel.eventLoop.flatSubmit {
      if let (context, serverName) = tls {
        do {
          try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverName))
        } catch {
          channel.close(promise: nil)
          return channel.eventLoop.makeFailedFuture(
            RPCError(code: .failedPrecondition, message: "TLS server name \(serverName ?? ""): \(error)"))
        }
      }
      return Self.install(on: channel, limits: limits, executor: executor, connectTimeout: connectTimeout, box: connectionBox)
    }
    let (settings, handler) = try await setUp.get()
    let connection = ClientConnection(channel: channel, handler: handler, settings: settings)
    connectionBox.connection = connection
    return connection
  }

  private static func install(
    on channel: any Channel,
    limits: ConnectionLimits,
    executor: EventLoopTaskExecutor,
    connectTimeout: Duration,
    box: WeakConnectionBox
  ) -> EventLoopFuture<(ServerSettings, NIOLoopBound<ClientConnectionHandler>)> {
    let promise = channel.eventLoop.makePromise(of: ServerSettings.self)
    let handler = ClientConnectionHandler(limits: limits, executor: executor, prefacePromise: promise) {
      box.connection?.markDraining()
    }
    do {
      try channel.pipeline.syncOperations.addHandler(handler)
    } catch {
      return channel.eventLoop.makeFailedFuture(error)
    }
    let timeout = channel.eventLoop.scheduleTask(in: .microseconds(connectTimeout.microseconds)) {
      promise.fail(RPCError(code: .unavailable, message: "The server sent no preface in time."))
    }
    let bound = NIOLoopBound(handler, eventLoop: channel.eventLoop)
    return promise.futureResult.map { settings in
      timeout.cancel()
      return (settings, bound)
    }.flatMapErrorThrowing { error in
      channel.close(promise: nil)
      throw error
    }
  }

  // MARK: Calls

  /// How many times a call the server refused unprocessed (GOAWAY, idle close, id
  /// exhaustion) is sent again on a new connection before it fails `UNAVAILABLE`.
  private static let maxAttempts = 3

  nonisolated(nonsending) public func unary<Input, Output>(
    _ method: UnaryMethod<Input, Output>,
    request: Input,
    options: CallOptions
  ) async throws(RPCError) -> UnaryResponse<Output> {
    let (payload, trailers) = try await self.unaryPayload(method, request: request, options: options)
    return UnaryResponse(message: try Self.decode(Output.self, payload), trailers: trailers)
  }

  /// Makes a unary call and returns only the response message (no ``UnaryResponse`` is
  /// built: the path `call(_:_:options:)`, and so the typed clients, use).
  nonisolated(nonsending) public func unaryMessage<Input, Output>(
    _ method: UnaryMethod<Input, Output>,
    request: Input,
    options: CallOptions
  ) async throws(RPCError) -> Output {
    let (payload, _) = try await self.unaryPayload(method, request: request, options: options)
    return try Self.decode(Output.self, payload)
  }

  private static func decode<Output: WireMessage>(_ type: Output.Type, _ payload: ByteBuffer) throws(RPCError) -> Output {
    do {
      return try payload.withUnsafeReadableBytes { try Output(serializedBytes: $0) }
    } catch {
      throw RPCError(code: .internal, message: "The response is not a valid \(Output.protoFullName) (\(error)).")
    }
  }

  /// A unary call's response bytes and trailers; calls the server refused unprocessed
  /// (GOAWAY, idle close, id exhaustion) are sent again on a new connection.
  @inline(__always)
  nonisolated(nonsending) private func unaryPayload<Input, Output>(
    _ method: UnaryMethod<Input, Output>,
    request: Input,
    options: CallOptions
  ) async throws(RPCError) -> (ByteBuffer, Metadata) {
    var attempt = 1
    while true {
      let connection: ClientConnection
      if let ready = self.readyConnection() {
        connection = ready
      } else {
        connection = try await self.connection()
      }
      let outcome: ClientCallOutcome
      let loop = connection.channel.eventLoop
      if loop.inEventLoop {
        outcome = try await self.unaryOnLoop(connection, method.descriptor.path, request, options)
      } else {
        outcome = try await self.unaryOffLoop(connection, method.descriptor.path, request, options)
      }
      switch outcome {
      case .refused(let error):
        // Never processed by the server: transparently sent again on a new connection.
        guard attempt < Self.maxAttempts else { throw error }
        attempt += 1
      case .failure(let error):
        throw error
      case .success(let payload, let trailers):
        guard let payload else { throw RPCError(code: .internal, message: "No response message.") }
        return (payload, trailers)
      }
    }
  }

  /// The fast path, for callers on ``executor`` (the connection's loop): frames go straight
  /// into the connection's outbound buffer, the call is known before suspending, nothing
  /// hops threads.
  @inline(__always)
  nonisolated(nonsending) private func unaryOnLoop<Input: WireMessage>(
    _ connection: ClientConnection,
    _ path: String,
    _ request: Input,
    _ options: CallOptions
  ) async throws(RPCError) -> ClientCallOutcome {
    let loop = connection.channel.eventLoop
    let handler = connection.handler.value
    guard let call = try handler.openUnary(path: path, request: request, options: options) else {
      return .refused(RPCError(code: .unavailable, message: "The connection is closing; retry.", details: [.retryInfo(delay: .zero)]))
    }
    let id = call.id
    return await withTaskCancellationHandler {
      await withUnsafeContinuation { (continuation: UnsafeContinuation<ClientCallOutcome, Never>) in
        if loop.inEventLoop {
          handler.attachUnary(call, continuation)
        } else {
          // Not reached in practice (nothing between the open and here suspends); by id, as
          // the call object stays on the loop.
          loop.execute { connection.handler.value.attachUnary(id: id, continuation) }
        }
      }
    } onCancel: {
      loop.execute { connection.handler.value.cancel(id) }
    }
  }

  /// A caller off the loop: the frames are encoded here and handed to the loop, which
  /// assigns the id.
  nonisolated(nonsending) private func unaryOffLoop<Input: WireMessage>(
    _ connection: ClientConnection,
    _ path: String,
    _ request: Input,
    _ options: CallOptions
  ) async throws(RPCError) -> ClientCallOutcome {
    let loop = connection.channel.eventLoop
    var frames = connection.channel.allocator.buffer(capacity: 256)
    try CallFrames.write(
      into: &frames,
      id: 0,
      path: path,
      request: request,
      options: options,
      settings: connection.settings
    )
    let box = CallIDBox()
    let timeout = options.timeout
    let encoded = frames
    return await withTaskCancellationHandler {
      await withUnsafeContinuation { (continuation: UnsafeContinuation<ClientCallOutcome, Never>) in
        loop.execute {
          connection.handler.value.startUnary(frames: encoded, timeout: timeout, box: box, continuation: continuation)
        }
      }
    } onCancel: {
      box.cancel()
      // Runs after the start above (the loop runs tasks in order), so the id is known.
      loop.execute {
        let id = box.id
        if id != 0 { connection.handler.value.cancel(id) }
      }
    }
  }

  public func serverStreaming<Input, Output>(
    _ method: ServerStreamingMethod<Input, Output>,
    request: Input,
    options: CallOptions,
    onResponse: (Output) async throws -> Void
  ) async throws(RPCError) -> Metadata {
    var attempt = 1
    while true {
      if let trailers = try await self.serverStreamingAttempt(
        method,
        request: request,
        options: options,
        retryIfRefused: attempt < Self.maxAttempts,
        onResponse: onResponse
      ) {
        return trailers
      }
      attempt += 1
    }
  }

  /// One attempt of a server-streaming call.
  /// - Returns: The trailers, or `nil` if the server refused the call unprocessed and
  ///   `retryIfRefused` is set.
  private func serverStreamingAttempt<Input, Output>(
    _ method: ServerStreamingMethod<Input, Output>,
    request: Input,
    options: CallOptions,
    retryIfRefused: Bool,
    onResponse: (Output) async throws -> Void
  ) async throws(RPCError) -> Metadata? {
    let connection = try await self.connection()
    let loop = connection.channel.eventLoop
    var frames = connection.channel.allocator.buffer(capacity: 256)
    try CallFrames.write(
      into: &frames,
      id: 0,
      path: method.descriptor.path,
      request: request,
      options: options,
      settings: connection.settings
    )
    let (stream, continuation) = AsyncStream<ClientStreamEvent>.makeStream()
    let box = CallIDBox()
    let timeout = options.timeout
    let encoded = frames
    loop.execute {
      connection.handler.value.startStreaming(frames: encoded, timeout: timeout, box: box, continuation: continuation)
    }
    let cancel = { @Sendable in
      box.cancel()
      // Runs after the start above (the loop runs tasks in order), so the id is known.
      loop.execute {
        let id = box.id
        if id != 0 { connection.handler.value.cancel(id) }
      }
    }
    do {
      return try await withTaskCancellationHandler {
        for await event in stream {
          switch event {
          case .message(let payload):
            let message: Output
            do {
              message = try payload.withUnsafeReadableBytes { try Output(serializedBytes: $0) }
            } catch {
              cancel()
              throw RPCError(code: .internal, message: "A response is not a valid \(Output.protoFullName) (\(error)).")
            }
            do {
              try await onResponse(message)
            } catch {
              cancel()
              throw error
            }
          case .end(.success(_, let trailers)):
            return trailers
          case .end(.failure(let error)):
            throw error
          case .end(.refused(let error)):
            // Refused calls were never processed, so no response reached `onResponse`.
            if retryIfRefused { return nil }
            throw error
          }
        }
        throw RPCError(code: .cancelled, message: "The call was cancelled.")
      } onCancel: {
        cancel()
      }
    } catch {
      throw RPCError(converting: error)
    }
  }
}

/// Lets the GOAWAY callback reach the connection object created after the handler.
// @unchecked Sendable: written once (before any frame can arrive that reads it, as the
// preface must come first) and read under the same happens-before as the channel's events.
private final class WeakConnectionBox: @unchecked Sendable {
  weak var connection: ClientConnection?
}
