/// A password as stored: the derived key, its salt, and the scheme that derived it
/// (e.g. `"pbkdf2-sha256:210000"`). The store never sees the password itself.
public struct PasswordCredentials: Hashable, Sendable {
  /// The derived key.
  public var hash: [UInt8]
  /// The per-user random salt.
  public var salt: [UInt8]
  /// The derivation scheme and its parameters, chosen by the caller.
  public var scheme: String

  /// Creates credentials.
  public init(hash: [UInt8], salt: [UInt8], scheme: String) {
    self.hash = hash
    self.salt = salt
    self.scheme = scheme
  }
}
