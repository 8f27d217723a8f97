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
  /// The SHA-256 of the DER encoding of the certificate the client presented in a mutual
  /// TLS handshake (verified against the server's client CA), as 64 lowercase hex digits
  /// (computed once per connection), or `nil` (plain TCP, TLS without a client certificate,
  /// in-process). A transport identity: what it authorizes is the services' business.
  public let peerCertificateFingerprint: String?
  /// When the transport created the context (the call's headers arrived).
  public let startedAt: ContinuousClock.Instant

  private struct Mutable: ~Copyable {
    var trailers = Metadata()
    var attributes: [ObjectIdentifier: any Sendable] = [:]
    /// Set once, by ``ServerContext/end(code:summarize:)``.
    var ended: Ended?
    /// The first ``ServerContext/onEnd(_:)`` handler apart, so the usual single one needs no array.
    var endHandler: (@Sendable (CallSummary) -> Void)?
    var moreEndHandlers: [@Sendable (CallSummary) -> Void] = []
  }

  /// How a call ended: its summary, or only its code when nobody wanted the summary then
  /// (no clock read for a call nobody observes).
  private enum Ended {
    case summarized(CallSummary)
    case code(StatusCode)
  }

  private let mutable = Mutex(Mutable())
  // Atomics rather than the lock: a transport writes them on every call.
  private let requestBytes = Atomic<Int>(0)
  private let responseBytes = Atomic<Int>(0)

  /// Creates a context (transports do this).
  public init(
    method: MethodDescriptor,
    metadata: Metadata,
    deadline: ContinuousClock.Instant?,
    peer: String,
    callID: UInt32,
    peerCertificateFingerprint: String? = nil
  ) {
    self.method = method
    self.metadata = metadata
    self.deadline = deadline
    self.peer = peer
    self.callID = callID
    self.peerCertificateFingerprint = peerCertificateFingerprint
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
    let ended = self.mutable.withLock { state -> Ended? in
      if let ended = state.ended { return ended }
      if state.endHandler == nil { state.endHandler = body } else { state.moreEndHandlers.append(body) }
      return nil
    }
    switch ended {
    case .summarized(let summary): body(summary)
    case .code(let code): body(self.summary(code: code, now: .now))
    case nil: break
    }
  }

  /// The size of the request message (transports set it when the request arrives).
  package func recordRequest(bytes: Int) {
    self.requestBytes.store(bytes, ordering: .relaxed)
  }

  /// Adds a response message's size (transports call it for every response written).
  package func recordResponse(bytes: Int) {
    self.responseBytes.wrappingAdd(bytes, ordering: .relaxed)
  }

  /// Ends the call (transports call it once the final status is decided) and runs the
  /// ``onEnd(_:)`` handlers.
  /// - Parameters:
  ///   - code: The final status code.
  ///   - summarize: Whether the caller wants the summary back (it costs a clock read, skipped
  ///     when neither the caller nor a handler wants it).
  /// - Returns: The summary if `summarize`; `nil` if not, or if the call had already ended.
  @discardableResult
  package func end(code: StatusCode, summarize: Bool = true) -> CallSummary? {
    typealias Handlers = (first: (@Sendable (CallSummary) -> Void)?, more: [@Sendable (CallSummary) -> Void])
    let now: ContinuousClock.Instant? = summarize ? .now : nil
    let ended = self.mutable.withLock { state -> (Handlers, CallSummary?)? in
      guard state.ended == nil else { return nil }
      // Handlers often capture the context: dropping them here breaks that cycle.
      defer { (state.endHandler, state.moreEndHandlers) = (nil, []) }
      let summary = now.map { self.summary(code: code, now: $0) }
      state.ended = summary.map { .summarized($0) } ?? .code(code)
      return ((state.endHandler, state.moreEndHandlers), summary)
    }
    guard let (handlers, summary) = ended else { return nil }
    if let first = handlers.first {
      let final = summary ?? self.summary(code: code, now: .now)
      first(final)
      for handler in handlers.more { handler(final) }
    }
    return summary
  }

  private func summary(code: StatusCode, now: ContinuousClock.Instant) -> CallSummary {
    CallSummary(
      code: code, requestBytes: self.requestBytes.load(ordering: .relaxed),
      responseBytes: self.responseBytes.load(ordering: .relaxed), duration: now - self.startedAt)
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
