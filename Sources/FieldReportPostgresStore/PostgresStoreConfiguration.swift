public import FieldReportStore

/// Where a ``PostgresFieldReportStore`` connects and how.
///
/// Built from a `postgres://user@host:port/database` URL (``init(url:password:)``); the
/// password never comes from the URL (it would show in `ps` and shell history): callers pass
/// it from a file or the environment.
public struct PostgresStoreConfiguration: Sendable, Hashable {
  /// How the connection to PostgreSQL is secured.
  public enum TLSMode: String, Sendable, Hashable, CaseIterable {
    /// Plain TCP (a loopback or otherwise trusted network).
    case disable
    /// TLS if the server offers it, else plain TCP.
    case prefer
    /// TLS, with the server's certificate verified against the system's trust roots.
    case require
  }

  /// The server's host name or address.
  public var host: String
  /// The server's TCP port (default 5432).
  public var port: Int
  /// The role to log in as.
  public var username: String
  /// The role's password, if the server asks for one.
  public var password: String?
  /// The database name.
  public var database: String
  /// TLS to the server (default ``TLSMode/disable``).
  public var tls: TLSMode
  /// The pool's size (default 8); the store opens one more connection, its listener.
  public var poolSize: Int
  /// The engine-neutral settings (attachment limit, workflow policy, decoded-case cache).
  public var store: StoreConfiguration

  /// Creates a configuration.
  public init(
    host: String, port: Int = 5432, username: String, password: String? = nil, database: String,
    tls: TLSMode = .disable, poolSize: Int = 8, store: StoreConfiguration = StoreConfiguration()
  ) {
    self.host = host
    self.port = port
    self.username = username
    self.password = password
    self.database = database
    self.tls = tls
    self.poolSize = poolSize
    self.store = store
  }

  /// Whether `text` names a PostgreSQL database (`postgres://` or `postgresql://`) rather than
  /// a SQLite file.
  public static func isURL(_ text: String) -> Bool {
    text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
  }

  /// Parses `postgres://user@host[:port]/database`.
  /// - Parameters:
  ///   - url: the URL; it must not carry a password (`user:secret@…` is refused).
  ///   - password: the password, read by the caller from a file or the environment.
  /// - Throws: ``StoreError/invalidArgument(field:reason:)`` naming `database`.
  public init(url: String, password: String?) throws {
    func refuse(_ reason: String) -> StoreError { .invalidArgument(field: "database", reason: reason) }
    guard let schemeEnd = url.range(of: "://"), Self.isURL(url) else {
      throw refuse("must start with postgres://")
    }
    var rest = Substring(url[schemeEnd.upperBound...])
    if let query = rest.firstIndex(of: "?") { rest = rest[..<query] }
    guard let at = rest.lastIndex(of: "@") else { throw refuse("must name the user: postgres://user@host/db") }
    let user = rest[..<at]
    guard !user.isEmpty else { throw refuse("must name the user: postgres://user@host/db") }
    guard !user.contains(":") else {
      throw refuse("must not carry a password; pass it in a file or the environment")
    }
    let afterAt = rest[rest.index(after: at)...]
    guard let slash = afterAt.firstIndex(of: "/") else { throw refuse("must name the database: …/db") }
    let hostPort = afterAt[..<slash]
    let name = afterAt[afterAt.index(after: slash)...]
    guard !name.isEmpty, !name.contains("/") else { throw refuse("must name the database: …/db") }
    var host = String(hostPort)
    var port = 5432
    if let colon = hostPort.lastIndex(of: ":"), !hostPort.hasSuffix("]") {
      guard let parsed = Int(hostPort[hostPort.index(after: colon)...]), (1...65_535).contains(parsed) else {
        throw refuse("has an invalid port")
      }
      port = parsed
      host = String(hostPort[..<colon])
    }
    if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    guard !host.isEmpty else { throw refuse("must name the host") }
    self.init(
      host: host, port: port, username: String(user).removingPercentEncodingIfPossible, password: password,
      database: String(name).removingPercentEncodingIfPossible)
  }

  /// The URL without any secret (for logs).
  public var redactedURL: String {
    "postgres://\(username)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)"
  }
}

extension String {
  /// `%XX` escapes decoded (user and database names may be escaped in a URL); unchanged when
  /// malformed.
  fileprivate var removingPercentEncodingIfPossible: String {
    guard contains("%") else { return self }
    var bytes: [UInt8] = []
    var iterator = Array(utf8).makeIterator()
    while let byte = iterator.next() {
      if byte == UInt8(ascii: "%") {
        guard let high = iterator.next(), let low = iterator.next(),
          let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
        else { return self }
        bytes.append(value)
      } else {
        bytes.append(byte)
      }
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}
