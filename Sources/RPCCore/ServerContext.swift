import Synchronization

/// What a handler knows about its call: method, request metadata, deadline and peer; and
/// where it puts response trailers and values for later interceptors or the handler.
///
/// Cancellation (a cancel frame from the client, the deadline passing, the connection
/// closing) reaches the handler as Swift task cancellation: check `Task.isCancelled` or
/// call `Task.checkCancellation()` in long work.
///
/// # Thread safety
/// Immutable properties may be read from anywhere; ``trailers`` and the attribute
/// subscript are protected by a lock.
public final class ServerContext: Sendable {
  /// The method being called.
  public let method: MethodDescriptor
  /// The request metadata.
  public let metadata: Metadata
  /// When the caller stops waiting, or `nil` for no deadline.
  public let deadline: ContinuousClock.Instant?
  /// The remote address, e.g. `[IPv4]127.0.0.1:50312`, or `in-process`.
  public let peer: String
  /// The call's id on its connection.
  public let callID: UInt32
  /// When the transport created the context (the call's headers arrived).
  public let startedAt: ContinuousClock.Instant

  private struct Mutable: ~Copyable {
    var trailers = Metadata()
    var attributes: [ObjectIdentifier: any Sendable] = [:]
    var requestBytes = 0
    var responseBytes = 0
    /// Set once, by ``ServerContext/end(code:)``.
    var summary: CallSummary?
    /// The first ``ServerContext/onEnd(_:)`` handler apart, so the usual single one needs no array.
    var endHandler: (@Sendable (CallSummary) -> Void)?
    var moreEndHandlers: [@Sendable (CallSummary) -> Void] = []
  }

  private let mutable = Mutex(Mutable())

  /// Creates a context (transports do this).
  public init(
    method: MethodDescriptor,
    metadata: Metadata,
    deadline: ContinuousClock.Instant?,
    peer: String,
    callID: UInt32
  ) {
    self.method = method
    self.metadata = metadata
    self.deadline = deadline
    self.peer = peer
    self.callID = callID
    self.startedAt = ContinuousClock.now
  }

  /// The response trailers, sent with the final status (successful or not: on failure they
  /// are merged after the error's own metadata).
  public var trailers: Metadata {
    get { self.mutable.withLock { $0.trailers } }
    set { self.mutable.withLock { $0.trailers = newValue } }
  }

  /// Appends a response trailer.
  public func addTrailer(_ key: String, _ value: Metadata.Value) {
    self.mutable.withLock { $0.trailers.add(key, value) }
  }

  /// Values attached by interceptors (e.g. the authenticated principal), keyed by type.
  public subscript<Key: ServerContextKey>(key: Key.Type) -> Key.Value? {
    get { self.mutable.withLock { $0.attributes[ObjectIdentifier(key)] as? Key.Value } }
    set { self.mutable.withLock { $0.attributes[ObjectIdentifier(key)] = newValue } }
  }

  /// Runs `body` once the call has ended, with what the transport saw: the final status
  /// code (as the caller sees it, e.g. `DEADLINE_EXCEEDED` when the handler finished too
  /// late), the request and response sizes and the duration. Runs at once if the call has
  /// already ended. Handlers run on the transport's thread (a NIO event loop): keep them short.
  public func onEnd(_ body: @escaping @Sendable (CallSummary) -> Void) {
    let ended = self.mutable.withLock { state -> CallSummary? in
      if let summary = state.summary { return summary }
      if state.endHandler == nil { state.endHandler = body } else { state.moreEndHandlers.append(body) }
      return nil
    }
    if let ended { body(ended) }
  }

  /// The size of the request message (transports set it when the request arrives).
  package func recordRequest(bytes: Int) {
    self.mutable.withLock { $0.requestBytes = bytes }
  }

  /// Adds a response message's size (transports call it for every response written).
  package func recordResponse(bytes: Int) {
    self.mutable.withLock { $0.responseBytes += bytes }
  }

  /// Ends the call (transports call it once the final status is decided) and runs the
  /// ``onEnd(_:)`` handlers.
  /// - Returns: The summary, or `nil` if the call had already ended.
  @discardableResult
  package func end(code: StatusCode) -> CallSummary? {
    let now = ContinuousClock.now
    typealias Handlers = (first: (@Sendable (CallSummary) -> Void)?, more: [@Sendable (CallSummary) -> Void])
    let ended = self.mutable.withLock { state -> (CallSummary, Handlers)? in
      guard state.summary == nil else { return nil }
      let summary = CallSummary(
        code: code, requestBytes: state.requestBytes, responseBytes: state.responseBytes,
        duration: now - self.startedAt)
      state.summary = summary
      // Handlers often capture the context: dropping them here breaks that cycle.
      defer { (state.endHandler, state.moreEndHandlers) = (nil, []) }
      return (summary, (state.endHandler, state.moreEndHandlers))
    }
    guard let (summary, handlers) = ended else { return nil }
    handlers.first?(summary)
    for handler in handlers.more { handler(summary) }
    return summary
  }

  /// The time left before the deadline, or `nil` if there is none.
  public var timeRemaining: Duration? {
    self.deadline.map { $0 - ContinuousClock.now }
  }
}

/// A key for a value an interceptor attaches to a ``ServerContext``.
public protocol ServerContextKey {
  /// The type of the value.
  associatedtype Value: Sendable
}

/// What a transport saw of a finished call (``ServerContext/onEnd(_:)``).
public struct CallSummary: Sendable, Hashable {
  /// The final status code, as sent to the caller.
  public var code: StatusCode
  /// The size of the request message in bytes (its encoded payload).
  public var requestBytes: Int
  /// The total size of the response messages in bytes (their encoded payloads).
  public var responseBytes: Int
  /// From the call's headers to its end.
  public var duration: Duration

  /// Creates a summary.
  public init(code: StatusCode, requestBytes: Int, responseBytes: Int, duration: Duration) {
    self.code = code
    self.requestBytes = requestBytes
    self.responseBytes = responseBytes
    self.duration = duration
  }
}
