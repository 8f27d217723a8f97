import WireBridge

/// A method with its handler, erased over message types so a transport can route bytes.
public struct RegisteredMethod: Sendable {
  /// What the method is.
  public var descriptor: MethodDescriptor { self.storage.descriptor }

  typealias Starter = @Sendable (
    _ request: UnsafeRawBufferPointer,
    _ context: ServerContext,
    _ sink: any ServerCallSink,
    _ executor: (any TaskExecutor)?,
    _ interceptors: [any ServerInterceptor]
  ) throws(RPCError) -> Task<Void, Never>?

  var starter: Starter { self.storage.starter }

  /// The method's metrics, when a server records them (``RPCRouter/attach(_:)``): kept with
  /// the method so a call finds them without a lookup by path.
  package var metrics: MethodMetrics? { self.storage.metrics }

  /// One reference instead of the descriptor's strings and the closure: transports copy a
  /// method into per-call state, and each copy would otherwise retain all of them.
  private final class Storage: Sendable {
    let descriptor: MethodDescriptor
    let starter: Starter
    let metrics: MethodMetrics?
    init(descriptor: MethodDescriptor, starter: @escaping Starter, metrics: MethodMetrics?) {
      self.descriptor = descriptor
      self.starter = starter
      self.metrics = metrics
    }
  }

  private var storage: Storage

  init(descriptor: MethodDescriptor, starter: @escaping Starter) {
    self.storage = Storage(descriptor: descriptor, starter: starter, metrics: nil)
  }

  /// The same method, recording into `metrics`.
  func recording(into metrics: MethodMetrics) -> RegisteredMethod {
    var method = self
    method.storage = Storage(descriptor: self.descriptor, starter: self.starter, metrics: metrics)
    return method
  }

  /// Decodes the request and starts the handler in a new task.
  ///
  /// The task starts *immediately* on the calling thread (`Task.immediate`) and runs until
  /// its first suspension, so a handler that does not suspend completes before this returns,
  /// without a thread hop; after a suspension it resumes on `executor` if one is given
  /// (transports pass their event loop). Results go to `sink`.
  /// - Parameters:
  ///   - request: The encoded request; only read before this returns.
  ///   - context: The call's context.
  ///   - sink: Receives the responses and the final status.
  ///   - executor: Where the handler runs after it suspends.
  ///   - interceptors: Run around the handler, outermost first.
  /// - Returns: The handler's task; cancel it to cancel the handler.
  /// - Throws: ``RPCError`` with `INVALID_ARGUMENT` if the request cannot be decoded.
  public func start(
    request: UnsafeRawBufferPointer,
    context: ServerContext,
    sink: any ServerCallSink,
    executor: (any TaskExecutor)?,
    interceptors: [any ServerInterceptor]
  ) throws(RPCError) -> Task<Void, Never> {
    if let task = try self.starter(request, context, sink, executor, interceptors) { return task }
    // A synchronous handler already finished; callers of this API expect a task.
    return Task.immediate {}
  }

  /// Decodes the request and starts the handler like ``start(request:context:sink:executor:interceptors:)``,
  /// but runs a synchronous handler (``RPCRouter/registerSynchronous(_:handler:)``) inline,
  /// without a task, when no interceptor is installed.
  /// - Returns: The handler's task, or `nil` if the handler already finished (its result is
  ///   in `sink`).
  /// - Throws: ``RPCError`` with `INVALID_ARGUMENT` if the request cannot be decoded.
  package func startInline(
    request: UnsafeRawBufferPointer,
    context: ServerContext,
    sink: any ServerCallSink,
    executor: (any TaskExecutor)?,
    interceptors: [any ServerInterceptor]
  ) throws(RPCError) -> Task<Void, Never>? {
    try self.starter(request, context, sink, executor, interceptors)
  }

  static func decode<Input: WireMessage>(_ type: Input.Type, from bytes: UnsafeRawBufferPointer) throws(RPCError) -> Input {
    do {
      return try Input(serializedBytes: bytes)
    } catch let error as WireError where error.kind == .embeddedNUL || error.kind == .invalidUTF8 {
      // Name the field as the caller wrote it: its path below the request message.
      let prefix = Input.protoFullName + "."
      let field = error.subject.hasPrefix(prefix) ? String(error.subject.dropFirst(prefix.count)) : error.subject
      let why = error.kind == .embeddedNUL ? "contains a NUL character, which text fields may not hold" : "is not valid UTF-8"
      throw RPCError(
        code: .invalidArgument,
        message: "The request's field \(field) \(why).",
        details: [.badRequest([FieldViolation(field: field, explanation: why)])]
      )
    } catch {
      throw RPCError(
        code: .invalidArgument,
        message: "The request payload is not a valid \(Input.protoFullName) (\(error))."
      )
    }
  }

  /// Runs `body` inside the interceptors, outermost first.
  static func intercepted(
    _ interceptors: [any ServerInterceptor],
    context: ServerContext,
    body: (ServerContext) async throws -> Void
  ) async throws {
    if interceptors.isEmpty {
      try await body(context)
      return
    }
    try await Self.intercepted(interceptors[...], context: context, body: body)
  }

  private static func intercepted(
    _ interceptors: ArraySlice<any ServerInterceptor>,
    context: ServerContext,
    body: (ServerContext) async throws -> Void
  ) async throws {
    guard let first = interceptors.first else {
      try await body(context)
      return
    }
    try await first.intercept(context: context) { context in
      try await Self.intercepted(interceptors.dropFirst(), context: context, body: body)
    }
  }

  /// Wraps a unary handler.
  static func unary<Input, Output>(
    _ method: UnaryMethod<Input, Output>,
    handler: @escaping UnaryHandler<Input, Output>
  ) -> RegisteredMethod {
    RegisteredMethod(descriptor: method.descriptor) { bytes, context, sink, executor, interceptors throws(RPCError) in
      let request = try Self.decode(Input.self, from: bytes)
      if !interceptors.isEmpty {
        return Task.immediate(executorPreference: executor) {
          await Self.runIntercepted(handler, request, context, sink, interceptors)
        }
      }
      // The common case, kept free of the interceptor path's locals: in this unspecialised
      // generic code each local of a generic type costs a metadata lookup per call.
      return Task.immediate(executorPreference: executor) {
        do {
          let response = try await handler(request, context)
          sink.finish(response: response, trailers: context.trailers)
        } catch {
          sink.finish(error: Self.merge(error, trailers: context.trailers))
        }
      }
    }
  }

  /// Runs a unary handler inside the interceptors and finishes the call.
  private static func runIntercepted<Input: WireMessage, Output: WireMessage>(
    _ handler: UnaryHandler<Input, Output>,
    _ request: Input,
    _ context: ServerContext,
    _ sink: any ServerCallSink,
    _ interceptors: [any ServerInterceptor]
  ) async {
    do {
      var response: Output?
      try await Self.intercepted(interceptors, context: context) { context in
        response = try await handler(request, context)
      }
      guard let response else {
        throw RPCError(code: .internal, message: "An interceptor did not call the handler.")
      }
      sink.finish(response: response, trailers: context.trailers)
    } catch {
      sink.finish(error: Self.merge(error, trailers: context.trailers))
    }
  }

  /// Wraps a synchronous unary handler: run inline when no interceptor is installed
  /// (interceptors are `async`, so with any of them it runs in a task like ``unary(_:handler:)``).
  static func synchronousUnary<Input, Output>(
    _ method: UnaryMethod<Input, Output>,
    handler: @escaping SynchronousUnaryHandler<Input, Output>
  ) -> RegisteredMethod {
    RegisteredMethod(descriptor: method.descriptor) { bytes, context, sink, executor, interceptors throws(RPCError) in
      let request = try Self.decode(Input.self, from: bytes)
      guard interceptors.isEmpty else {
        return Task.immediate(executorPreference: executor) {
          do {
            var response: Output?
            try await Self.intercepted(interceptors, context: context) { context in
              response = try handler(request, context)
            }
            guard let response else {
              throw RPCError(code: .internal, message: "An interceptor did not call the handler.")
            }
            sink.finish(response: response, trailers: context.trailers)
          } catch {
            sink.finish(error: Self.merge(error, trailers: context.trailers))
          }
        }
      }
      do {
        let response = try handler(request, context)
        sink.finish(response: response, trailers: context.trailers)
      } catch {
        sink.finish(error: Self.merge(error, trailers: context.trailers))
      }
      return nil
    }
  }

  /// Wraps a server-streaming handler.
  static func serverStreaming<Input, Output>(
    _ method: ServerStreamingMethod<Input, Output>,
    handler: @escaping ServerStreamingHandler<Input, Output>
  ) -> RegisteredMethod {
    RegisteredMethod(descriptor: method.descriptor) { bytes, context, sink, executor, interceptors throws(RPCError) in
      let request = try Self.decode(Input.self, from: bytes)
      return Task.immediate(executorPreference: executor) {
        do {
          try await Self.intercepted(interceptors, context: context) { context in
            try await handler(request, context, ResponseWriter(sink: sink))
          }
          sink.finish(trailers: context.trailers)
        } catch {
          sink.finish(error: Self.merge(error, trailers: context.trailers))
        }
      }
    }
  }

  private static func merge(_ error: any Error, trailers: Metadata) -> RPCError {
    var error = RPCError(converting: error)
    for entry in trailers { error.metadata.add(entry.key, entry.value) }
    return error
  }
}

/// A unary handler: the request and the call's context in, the response out; throw an
/// ``RPCError`` (or an ``RPCErrorConvertible``) to fail the call.
public typealias UnaryHandler<Input, Output> = nonisolated(nonsending) @Sendable (Input, ServerContext) async throws -> Output

/// A unary handler that never suspends (a cache read, a validation failure): run inline by
/// the transport, on the connection's event loop, without a task per call. It must not block.
public typealias SynchronousUnaryHandler<Input, Output> = @Sendable (Input, ServerContext) throws -> Output

/// A server-streaming handler: writes responses with the writer; returning ends the call OK.
public typealias ServerStreamingHandler<Input: WireMessage, Output: WireMessage> =
  @Sendable (Input, ServerContext, ResponseWriter<Output>) async throws -> Void
