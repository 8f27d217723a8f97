/// Limits and timers of one side of a connection, announced in its preface settings.
public struct ConnectionLimits: Hashable, Sendable {
  /// The largest MESSAGE payload accepted (default 4 MiB).
  public var maxMessageSize: Int = 4 * 1024 * 1024
  /// The largest HEADERS or STATUS payload accepted (default 16 KiB).
  public var maxMetadataSize: Int = 16 * 1024
  /// The most calls in flight on one connection (default 1024; a server setting).
  public var maxConcurrentCalls: Int = 1024
  /// After how long with nothing received this side sends a PING (`nil`: never). Announced
  /// in the preface.
  public var keepaliveInterval: Duration? = nil
  /// How long this side waits for the ACK of its keepalive PING before it closes the
  /// connection with GOAWAY `KEEPALIVE_TIMEOUT` (default 20 s; local, not announced).
  public var keepaliveTimeout: Duration = .seconds(20)
  /// After how long with no call in flight this side closes the connection with GOAWAY
  /// `IDLE_TIMEOUT` (`nil`: never). Announced in the preface. A client whose connection
  /// closes this way opens a new one for its next call.
  public var idleTimeout: Duration? = nil
  /// How long a server waits for a new connection's preface before it closes the connection
  /// without a word (default 10 s; `nil`: forever). Local, not announced.
  public var handshakeTimeout: Duration? = .seconds(10)

  /// How long a frame that has started to arrive may go without a byte before the connection
  /// is closed with GOAWAY `FRAME_TIMEOUT` (default 30 s; `nil`: forever). Covers frames
  /// being skipped too. Local, not announced.
  public var frameProgressTimeout: Duration? = .seconds(30)
  /// A server's default limit on one call's request MESSAGE (default 1 MiB), for every method
  /// without an entry in ``requestSizeLimits``. Checked from the frame header, before the
  /// payload is buffered. Local; the announced `max_frame_size` is ``maxMessageSize``.
  public var maxRequestSize: Int = 1024 * 1024
  /// Per-method request limits that differ from ``maxRequestSize``, by method path (e.g.
  /// `/fieldreport.v1.CaseService/UploadAttachment`). A server setting. Each is capped by
  /// ``maxMessageSize``.
  public var requestSizeLimits: [String: Int] = [:]

  /// The defaults.
  public init() {}

  /// The request limit of the method at `path`.
  func requestLimit(forPath path: String) -> Int {
    min(self.requestSizeLimits[path] ?? self.maxRequestSize, self.maxMessageSize)
  }

  /// The protocol's defaults for a setting of 0 (docs/PROTOCOL.md).
  static let protocolDefaultMessageSize = 4 * 1024 * 1024
  static let protocolDefaultMetadataSize = 16 * 1024
  static let protocolDefaultConcurrentCalls = 1024
  /// The smallest non-zero `max_frame_size` and `max_metadata_size` a peer may announce
  /// (1,024 bytes); a smaller one is a protocol error. Every fixed replacement STATUS fits.
  static let minimumMetadataSize: UInt32 = 1024
}

extension Duration {
  var milliseconds: Int64 {
    let (seconds, attoseconds) = self.components
    return seconds &* 1000 &+ attoseconds / 1_000_000_000_000_000
  }

  var microseconds: Int64 {
    let (seconds, attoseconds) = self.components
    return seconds &* 1_000_000 &+ attoseconds / 1_000_000_000_000
  }
}
