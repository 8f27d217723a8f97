import FieldReportClient
/// What `fieldreport login` remembers between runs: where the server is and how to
/// authenticate. Stored as JSON by ``ProfileStore`` (mode 0600: it holds a credential).
struct Profile: Codable, Hashable, Sendable {
  /// `host:port` of the server.
  var server: String
  /// The session token from `IdentityService.Login`; `nil` for API-key profiles or after logout.
  var sessionToken: String?
  /// A service account's API key (`fieldreport login --api-key`); `nil` for people.
  var apiKey: String?
  /// Who logged in (username, or the service account's username).
  var username: String?
  /// The user's full name, for messages.
  var fullName: String?
  /// When the session expires (Unix ms); `nil` for API keys.
  var expiresAtMs: Int64?
  /// TLS to the server, as given at login (absolute paths); `nil`: plain TCP.
  var tls: TLSSettings?
}

/// The TLS options of a profile (`--tls`, `--ca`, `--cert`, `--key`, `--tls-server-name`).
struct TLSSettings: Codable, Hashable, Sendable {
  /// PEM CAs to trust; `nil`: the system's.
  var ca: String?
  /// PEM client certificate (mutual TLS).
  var cert: String?
  /// PEM key of `cert`.
  var key: String?
  /// The name the server's certificate is checked against; `nil`: the server's host.
  var serverName: String?

  var client: ClientTLS {
    ClientTLS(trustRootsPath: self.ca, certificateChainPath: self.cert, privateKeyPath: self.key, serverName: self.serverName)
  }
}
