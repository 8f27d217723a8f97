public import RPCCore

/// How a ``FieldReportClient`` authenticates its calls.
///
/// The server reads call metadata `authorization: Bearer <session token>` (people, after
/// `IdentityService.Login`) or `authorization: ApiKey <key>` (service accounts such as the
/// digital-government platform). See docs/API.md, "Credentials".
public enum Credentials: Sendable, Hashable {
  /// No credentials: only `IdentityService.Login` (and the health service) will succeed.
  case none
  /// A session token returned by `IdentityService.Login`.
  case sessionToken(String)
  /// A service account's API key.
  case apiKey(String)

  /// The metadata key the server reads credentials from.
  public static let metadataKey = "authorization"

  /// The value of the `authorization` metadata entry, or `nil` for ``none``.
  public var authorizationValue: String? {
    switch self {
    case .none: nil
    case .sessionToken(let token): "Bearer \(token)"
    case .apiKey(let key): "ApiKey \(key)"
    }
  }

  /// Adds the `authorization` entry to `metadata` unless the caller already set one (an
  /// explicit per-call credential wins over the client's).
  public func apply(to metadata: inout Metadata) {
    guard let value = self.authorizationValue, metadata.first(Self.metadataKey) == nil else { return }
    metadata.add(Self.metadataKey, text: value)
  }
}
