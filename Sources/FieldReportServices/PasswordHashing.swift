import Crypto
import FieldReportStore
import _CryptoExtras

/// How passwords become stored keys: scrypt with a per-user random salt.
///
/// The stored scheme names the parameters (`scrypt:N:r:p`), so raising the cost later keeps
/// old passwords verifiable. The default cost (N = 2^15, r = 8, p = 1: 32 MiB and tens of
/// milliseconds per attempt) follows the scrypt paper's interactive-login setting; tests use
/// ``fastForTesting`` so that hundreds of logins stay quick.
public struct PasswordHashing: Sendable, Hashable {
  /// log2 of scrypt's N (CPU/memory cost).
  public var logRounds: Int
  /// scrypt's r (block size).
  public var blockSize: Int
  /// scrypt's p (parallelism).
  public var parallelism: Int

  /// Creates a setting.
  public init(logRounds: Int, blockSize: Int = 8, parallelism: Int = 1) {
    self.logRounds = logRounds
    self.blockSize = blockSize
    self.parallelism = parallelism
  }

  /// Production: N = 2^15, r = 8, p = 1.
  public static let standard = PasswordHashing(logRounds: 15)
  /// Tests only: N = 2^4. Never use in production.
  public static let fastForTesting = PasswordHashing(logRounds: 4, blockSize: 1)

  static let saltBytes = 16
  static let keyBytes = 32

  var scheme: String { "scrypt:\(1 << self.logRounds):\(self.blockSize):\(self.parallelism)" }

  /// Derives stored credentials for a new password.
  func credentials(for password: String) throws -> PasswordCredentials {
    var generator = SystemRandomNumberGenerator()
    let salt = (0..<Self.saltBytes).map { _ in UInt8.random(in: 0...255, using: &generator) }
    let key = try Self.derive(
      password, salt: salt, rounds: 1 << self.logRounds, blockSize: self.blockSize,
      parallelism: self.parallelism)
    return PasswordCredentials(hash: key, salt: salt, scheme: self.scheme)
  }

  /// Whether `password` matches `stored` (constant-time comparison). Unknown schemes never
  /// match.
  func verify(_ password: String, against stored: PasswordCredentials) -> Bool {
    let parts = stored.scheme.split(separator: ":")
    guard parts.count == 4, parts[0] == "scrypt", let rounds = Int(parts[1]),
      let blockSize = Int(parts[2]), let parallelism = Int(parts[3]),
      rounds > 1, rounds <= 1 << 20, rounds & (rounds - 1) == 0,
      (1...32).contains(blockSize), (1...16).contains(parallelism),
      let derived = try? Self.derive(
        password, salt: stored.salt, rounds: rounds, blockSize: blockSize, parallelism: parallelism)
    else { return false }
    return constantTimeEqual(derived, stored.hash)
  }

  /// Spends the same effort as a verification, for unknown usernames: the response time
  /// then does not reveal whether an account exists.
  func burn(_ password: String) {
    _ = try? Self.derive(
      password, salt: [UInt8](repeating: 0, count: Self.saltBytes), rounds: 1 << self.logRounds,
      blockSize: self.blockSize, parallelism: self.parallelism)
  }

  // MARK: Off the event loop (``BlockingWork``)

  /// ``verify(_:against:)``, run by `work`.
  func verify(_ password: String, against stored: PasswordCredentials, on work: BlockingWork) async throws -> Bool {
    try await work.run { self.verify(password, against: stored) }
  }

  /// ``burn(_:)``, run by `work`.
  func burn(_ password: String, on work: BlockingWork) async throws {
    try await work.run { self.burn(password) }
  }

  /// ``credentials(for:)``, run by `work`.
  func credentials(for password: String, on work: BlockingWork) async throws -> PasswordCredentials {
    try await work.run { try self.credentials(for: password) }
  }

  private static func derive(
    _ password: String, salt: [UInt8], rounds: Int, blockSize: Int, parallelism: Int
  ) throws -> [UInt8] {
    let key = try KDF.Scrypt.deriveKey(
      from: Array(password.utf8), salt: salt, outputByteCount: keyBytes, rounds: rounds,
      blockSize: blockSize, parallelism: parallelism)
    return key.withUnsafeBytes { Array($0) }
  }
}

/// Compares two byte strings in time independent of where they differ.
func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
  guard lhs.count == rhs.count else { return false }
  var difference: UInt8 = 0
  for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
  return difference == 0
}
