/// A client-chosen key that makes a request safe to retry.
///
/// Keys are scoped (normally by the calling account), so two callers can never collide.
/// A retried request with the same scope and key returns the first result and writes nothing.
public struct IdempotencyKey: Hashable, Codable, Sendable, CustomStringConvertible {
  /// Whose key it is, e.g. the caller's user id.
  public var scope: String
  /// The key as sent by the client (at most ``maximumLength`` bytes).
  public var key: String

  /// The longest accepted key, in UTF-8 bytes.
  public static let maximumLength = 128

  /// Creates a key.
  public init(scope: String, key: String) {
    self.scope = scope
    self.key = key
  }

  public var description: String { "\(scope)/\(key)" }
}
