/// Limits and timers of one side of a connection, announced in its preface settings.
public struct ConnectionLimits: Hashable, Sendable {
  /// The largest MESSAGE payload accepted (default 4 MiB).
  public var maxMessageSize: Int = 4 * 1024 * 1024
  /// The largest HEADERS or STATUS payload accepted (default 16 KiB).
  public var maxMetadataSize: Int = 16 * 1024
  /// The most calls in flight on one connection (default 1024; a server setting).
  public var maxConcurrentCalls: Int = 1024
  /// How often to ping an otherwise silent connection (`nil`: never).
  /// - Important: Announced in the preface only; this version answers pings but does not yet
  ///   originate them.
  public var keepaliveInterval: Duration? = nil
  /// How long a connection with no call in flight stays open (`nil`: forever).
  /// - Important: Announced in the preface only; this version does not yet close idle
  ///   connections.
  public var idleTimeout: Duration? = nil

  /// The defaults.
  public init() {}

  /// The protocol's defaults for a setting of 0 (docs/PROTOCOL.md).
  static let protocolDefaultMessageSize = 4 * 1024 * 1024
  static let protocolDefaultMetadataSize = 16 * 1024
  static let protocolDefaultConcurrentCalls = 1024
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
