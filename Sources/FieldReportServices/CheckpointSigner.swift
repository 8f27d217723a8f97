public import Crypto
public import FieldReportStore
public import FieldReportWorkflow
import Foundation

/// The server's journal-checkpoint signing key (Ed25519) and the one way checkpoints are made.
///
/// The private key lives in a file: 64 hex digits (the raw 32-byte Ed25519 seed) and a newline,
/// mode 0600. ``loadOrCreate(path:)`` reads it, or creates it (exclusively, mode 0600) on first
/// start. The private key is never logged or returned; the public key and its fingerprint
/// (hex SHA-256 of the raw public key) are what operators print and give to inspectors.
///
/// # Thread safety
/// Immutable; safe to share.
public struct CheckpointSigner: Sendable {
  /// The raw private key (swift-crypto's key type is not `Sendable`; it is rebuilt to sign).
  private let seed: [UInt8]
  /// The raw 32-byte public key.
  public let publicKey: [UInt8]
  /// Hex SHA-256 of the public key.
  public var fingerprint: String { JournalCheckpoint.fingerprint(of: publicKey) }
  /// The public key in hex (what `verify --public-key` takes).
  public var publicKeyHex: String { publicKey.map { String(format: "%02x", $0) }.joined() }

  /// A signer for an in-memory key (tests).
  public init(key: Curve25519.Signing.PrivateKey = .init()) {
    self.seed = Array(key.rawRepresentation)
    self.publicKey = Array(key.publicKey.rawRepresentation)
  }

  /// Why the key file cannot be used.
  public struct KeyFileError: Error, CustomStringConvertible, Sendable {
    public var description: String
  }

  /// Reads the key at `path`, or creates one there if there is no file.
  /// - Returns: the signer, and whether the file was created now.
  /// - Throws: ``KeyFileError`` naming the file and the problem (never the key).
  public static func loadOrCreate(path: String) throws(KeyFileError) -> (CheckpointSigner, created: Bool) {
    if FileManager.default.fileExists(atPath: path) {
      // A private key others can read is no secret any more: refused, not silently used.
      var status = stat()
      guard stat(path, &status) == 0 else {
        throw KeyFileError(description: "\(path) cannot be read: \(String(cString: strerror(errno)))")
      }
      guard status.st_mode & 0o077 == 0 else {
        throw KeyFileError(
          description: "\(path) is readable or writable by others (mode \(String(status.st_mode & 0o777, radix: 8))): "
            + "the private key must be the server's alone; run chmod 600 \(path)")
      }
      guard let data = FileManager.default.contents(atPath: path) else {
        throw KeyFileError(description: "\(path) cannot be read")
      }
      let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
      guard let seed = hexBytes(text), seed.count == 32,
        let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed)
      else {
        throw KeyFileError(description: "\(path) is not a checkpoint key (64 hex digits: a raw Ed25519 private key)")
      }
      return (CheckpointSigner(key: key), false)
    }
    let key = Curve25519.Signing.PrivateKey()
    let text = key.rawRepresentation.map { String(format: "%02x", $0) }.joined() + "\n"
    // Created exclusively with mode 0600: never readable by others, not even for a moment.
    let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
    guard descriptor >= 0 else {
      throw KeyFileError(description: "\(path) cannot be created: \(String(cString: strerror(errno)))")
    }
    defer { close(descriptor) }
    let bytes = Array(text.utf8)
    let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    guard written == bytes.count, fsync(descriptor) == 0 else {
      throw KeyFileError(description: "\(path) cannot be written: \(String(cString: strerror(errno)))")
    }
    return (CheckpointSigner(key: key), true)
  }

  private static func hexBytes(_ text: String) -> [UInt8]? {
    let chars = Array(text.utf8)
    guard chars.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    var index = 0
    while index < chars.count {
      guard let byte = UInt8(String(decoding: chars[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
      out.append(byte)
      index += 2
    }
    return out
  }

  /// Signs every case's chain head as the store has it now and stores the checkpoint.
  /// - Parameters:
  ///   - skipIfUnchanged: for the periodic timer: make none (return nil) when no journal grew
  ///     since the newest checkpoint.
  public func makeCheckpoint(
    store: any FieldReportStore, origin: JournalCheckpoint.Origin, by user: UserID?, now: Timestamp,
    skipIfUnchanged: Bool = false
  ) async throws -> JournalCheckpoint? {
    let heads = try await store.journalHeads()
    if skipIfUnchanged, let latest = try await store.findCheckpoint(id: nil), latest.heads == heads,
      latest.publicKey == publicKey
    {
      return nil
    }
    let checkpoint = try JournalCheckpoint.sign(
      id: "ckp-" + TimeOrderedID.make(milliseconds: now.millisecondsSince1970), createdAt: now, origin: origin,
      createdBy: user, heads: heads, key: try Curve25519.Signing.PrivateKey(rawRepresentation: seed))
    try await store.saveCheckpoint(checkpoint)
    return checkpoint
  }
}
