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
  /// TLS handshake (verified against the server's client CA), or `nil` (plain TCP, TLS
  /// without a client certificate, in-process). A transport identity: what it authorizes is
  /// the services' business.
  public let peerCertificateSHA256: [UInt8]?

  private struct Mutable: ~Copyable {
    var trailers = Metadata()
    var attributes: [ObjectIdentifier: any Sendable] = [:]
  }

  private let mutable = Mutex(Mutable())

  /// Creates a context (transports do this).
  public init(
    method: MethodDescriptor,
    metadata: Metadata,
    deadline: ContinuousClock.Instant?,
    peer: String,
    callID: UInt32,
    peerCertificateSHA256: [UInt8]? = nil
  ) {
    self.method = method
    self.metadata = metadata
    self.deadline = deadline
    self.peer = peer
    self.callID = callID
    self.peerCertificateSHA256 = peerCertificateSHA256
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
