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
}
