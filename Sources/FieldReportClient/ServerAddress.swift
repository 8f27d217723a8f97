/// A server's host and port, parsed from `host:port`, `[v6]:port`, or a bare host (then
/// ``defaultPort``).
public struct ServerAddress: Sendable, Hashable, CustomStringConvertible {
  /// The port `fieldreport-server` listens on unless told otherwise.
  public static let defaultPort = 7443

  /// The host name or IP address.
  public var host: String
  /// The TCP port.
  public var port: Int

  /// Creates an address.
  public init(host: String, port: Int = ServerAddress.defaultPort) {
    self.host = host
    self.port = port
  }

  /// Parses `host:port`, `[IPv6]:port` or `host`.
  /// - Throws: ``ServerAddressError`` naming what is wrong.
  public init(parsing text: String) throws(ServerAddressError) {
    let trimmed = text.trimmingWhitespace()
    guard !trimmed.isEmpty else { throw .empty }
    var host = trimmed
    var portText: Substring? = nil
    if trimmed.hasPrefix("[") {
      guard let close = trimmed.firstIndex(of: "]") else { throw .malformed(text) }
      host = String(trimmed[trimmed.index(after: trimmed.startIndex)..<close])
      let rest = trimmed[trimmed.index(after: close)...]
      if !rest.isEmpty {
        guard rest.hasPrefix(":") else { throw .malformed(text) }
        portText = rest.dropFirst()
      }
    } else if let colon = trimmed.lastIndex(of: ":") {
      // A bare IPv6 address has several colons and no port.
      if trimmed.firstIndex(of: ":") == colon {
        host = String(trimmed[..<colon])
        portText = trimmed[trimmed.index(after: colon)...]
      }
    }
    guard !host.isEmpty else { throw .malformed(text) }
    var port = Self.defaultPort
    if let portText {
      guard let value = Int(portText), (1...65535).contains(value) else { throw .badPort(String(portText)) }
      port = value
    }
    self.host = host
    self.port = port
  }

  /// `host:port`, with brackets around an IPv6 host.
  public var description: String {
    self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)"
  }
}

/// Why a server address did not parse.
public enum ServerAddressError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The address is empty.
  case empty
  /// The address is not `host`, `host:port` or `[IPv6]:port`.
  case malformed(String)
  /// The port is not a number from 1 to 65535.
  case badPort(String)

  public var description: String {
    switch self {
    case .empty: "the server address is empty"
    case .malformed(let text): "'\(text)' is not host, host:port or [IPv6]:port"
    case .badPort(let text): "'\(text)' is not a port number from 1 to 65535"
    }
  }
}

extension String {
  func trimmingWhitespace() -> String {
    var scalars = Substring(self)
    while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
    while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
    return String(scalars)
  }
}
