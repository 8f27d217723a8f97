import Crypto
import FieldReportWorkflow
import Foundation

/// One case's journal chain head, as a checkpoint records it.
public struct CheckpointHead: Hashable, Sendable {
  /// The case.
  public var caseID: CaseID
  /// Its report code (signed too, so an inspector's report names cases as people know them).
  public var reportCode: String
  /// How many journal entries the case had (its version).
  public var entryCount: Int64
  /// The hash of entry number `entryCount` (``JournalChain``), 32 bytes.
  public var headHash: [UInt8]

  public init(caseID: CaseID, reportCode: String, entryCount: Int64, headHash: [UInt8]) {
    self.caseID = caseID
    self.reportCode = reportCode
    self.entryCount = entryCount
    self.headHash = headHash
  }
}

/// A signed checkpoint of every case's journal chain head (issue 14, item 6).
///
/// The signed bytes (the *message*), documented byte for byte in docs/API.md:
///
/// ```
/// "fieldreport.checkpoint.v1" 0x00            26 bytes
/// i64be(created_at, Unix milliseconds)
/// u32be(number of heads)
/// per head, in ascending bytewise order of the case id's UTF-8:
///   u32be(byte length of case id)      case id (UTF-8)
///   u32be(byte length of report code)  report code (UTF-8)
///   i64be(entry count)
///   head hash (32 bytes)
/// ```
///
/// `digest` = SHA-256(message); `signature` = Ed25519 over the 32 digest bytes
/// (RFC 8032, swift-crypto's `Curve25519.Signing`); the key fingerprint is the hex SHA-256 of
/// the raw 32-byte public key.
public struct JournalCheckpoint: Hashable, Sendable {
  /// Why the checkpoint was made.
  public enum Origin: String, Hashable, Sendable {
    /// The server's timer (`--checkpoint-interval`).
    case periodic
    /// JournalService.CreateCheckpoint.
    case onDemand = "on_demand"
  }

  /// Time-ordered id.
  public var id: String
  /// When the heads were read; signed.
  public var createdAt: Timestamp
  /// Why it was made.
  public var origin: Origin
  /// Who asked for it (nil for periodic ones).
  public var createdBy: UserID?
  /// The heads, sorted by case id (bytewise UTF-8).
  public var heads: [CheckpointHead]
  /// Ed25519 signature over ``digest`` (64 bytes).
  public var signature: [UInt8]
  /// The signing public key (32 bytes, raw).
  public var publicKey: [UInt8]

  public init(
    id: String, createdAt: Timestamp, origin: Origin, createdBy: UserID?, heads: [CheckpointHead],
    signature: [UInt8], publicKey: [UInt8]
  ) {
    self.id = id
    self.createdAt = createdAt
    self.origin = origin
    self.createdBy = createdBy
    self.heads = Self.sorted(heads)
    self.signature = signature
    self.publicKey = publicKey
  }

  /// The first bytes of every message.
  public static let domainTag: [UInt8] = Array("fieldreport.checkpoint.v1".utf8) + [0]
  /// The export file's `format` value.
  public static let fileFormat = "fieldreport-journal-checkpoint-v1"

  /// Heads in the message's order.
  public static func sorted(_ heads: [CheckpointHead]) -> [CheckpointHead] {
    heads.sorted { Array($0.caseID.rawValue.utf8).lexicographicallyPrecedes(Array($1.caseID.rawValue.utf8)) }
  }

  /// The canonical signed message for a time and heads (sorted here).
  public static func message(createdAt: Timestamp, heads: [CheckpointHead]) -> [UInt8] {
    var out = domainTag
    func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.bigEndian) { out += $0 } }
    func append(_ text: String) {
      let bytes = Array(text.utf8)
      append(UInt32(truncatingIfNeeded: bytes.count))
      out += bytes
    }
    append(createdAt.millisecondsSince1970)
    append(UInt32(truncatingIfNeeded: heads.count))
    for head in sorted(heads) {
      append(head.caseID.rawValue)
      append(head.reportCode)
      append(head.entryCount)
      out += head.headHash
    }
    return out
  }

  /// Reads a message back (the stores keep the message itself): nil if it is not one.
  public static func parse(message bytes: [UInt8]) -> (createdAt: Timestamp, heads: [CheckpointHead])? {
    var index = 0
    func take(_ count: Int) -> ArraySlice<UInt8>? {
      guard count >= 0, index + count <= bytes.count else { return nil }
      defer { index += count }
      return bytes[index..<index + count]
    }
    func integer<T: FixedWidthInteger>(_: T.Type) -> T? {
      guard let slice = take(MemoryLayout<T>.size) else { return nil }
      return slice.reduce(T.zero) { $0 << 8 | T($1) }
    }
    func text() -> String? {
      guard let length = integer(UInt32.self), let slice = take(Int(length)) else { return nil }
      return String(validating: slice, as: UTF8.self)
    }
    guard take(domainTag.count).map(Array.init) == domainTag, let at = integer(Int64.self),
      let count = integer(UInt32.self)
    else { return nil }
    var heads: [CheckpointHead] = []
    for _ in 0..<count {
      guard let id = text(), let code = text(), let entries = integer(Int64.self), let hash = take(32) else { return nil }
      heads.append(CheckpointHead(caseID: CaseID(id), reportCode: code, entryCount: entries, headHash: Array(hash)))
    }
    guard index == bytes.count else { return nil }
    return (Timestamp(millisecondsSince1970: at), heads)
  }

  /// The signed message.
  public var message: [UInt8] { Self.message(createdAt: createdAt, heads: heads) }
  /// SHA-256 of ``message``.
  public var digest: [UInt8] { Array(SHA256.hash(data: message)) }
  /// Cases covered.
  public var caseCount: Int { heads.count }
  /// Journal entries covered.
  public var entryCount: Int64 { heads.reduce(0) { $0 + $1.entryCount } }
  /// Hex SHA-256 of the public key.
  public var keyFingerprint: String { Self.fingerprint(of: publicKey) }

  /// Hex SHA-256 of a raw public key.
  public static func fingerprint(of publicKey: [UInt8]) -> String {
    JournalChain.hex(Array(SHA256.hash(data: publicKey)))
  }

  /// Whether ``signature`` is a valid Ed25519 signature of ``digest`` by ``publicKey`` (which
  /// proves nothing unless that key is trusted: compare it with the server's).
  public var signatureIsValid: Bool {
    guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
    return key.isValidSignature(signature, for: digest)
  }

  /// Signs `heads` read at `createdAt` with `key`.
  public static func sign(
    id: String, createdAt: Timestamp, origin: Origin, createdBy: UserID?, heads: [CheckpointHead],
    key: Curve25519.Signing.PrivateKey
  ) throws -> JournalCheckpoint {
    var checkpoint = JournalCheckpoint(
      id: id, createdAt: createdAt, origin: origin, createdBy: createdBy, heads: heads, signature: [],
      publicKey: Array(key.publicKey.rawRepresentation))
    checkpoint.signature = Array(try key.signature(for: checkpoint.digest))
    return checkpoint
  }

  // MARK: The export file

  private struct File: Codable {
    struct Head: Codable {
      var case_id: String
      var report_code: String
      var entry_count: Int64
      var head_hash: String
    }

    var format: String
    var checkpoint_id: String
    var created_at_ms: Int64
    var created_at: String
    var origin: String
    var case_count: Int
    var entry_count: Int64
    var heads: [Head]
    var digest: String
    var signature: String
    var public_key: String
    var key_fingerprint: String
  }

  /// The self-contained export file (UTF-8 JSON, keys sorted), what
  /// `fieldreport-server verify --checkpoint` reads.
  public func exportJSON() -> String {
    let file = File(
      format: Self.fileFormat, checkpoint_id: id, created_at_ms: createdAt.millisecondsSince1970,
      created_at: createdAt.description, origin: origin.rawValue, case_count: caseCount,
      entry_count: entryCount,
      heads: heads.map {
        File.Head(
          case_id: $0.caseID.rawValue, report_code: $0.reportCode, entry_count: $0.entryCount,
          head_hash: JournalChain.hex($0.headHash))
      },
      digest: JournalChain.hex(digest), signature: JournalChain.hex(signature),
      public_key: JournalChain.hex(publicKey), key_fingerprint: keyFingerprint)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    // Encoding these plain values cannot fail.
    return (try? String(decoding: encoder.encode(file), as: UTF8.self)) ?? "{}"
  }

  /// Why an export file could not be read.
  public struct FileError: Error, CustomStringConvertible, Sendable {
    public var description: String
  }

  /// Reads an export file; checks its form and that its digest is the digest of its heads
  /// (the signature is checked by the caller, ``signatureIsValid``).
  public static func importJSON(_ data: [UInt8]) throws(FileError) -> JournalCheckpoint {
    let file: File
    do {
      file = try JSONDecoder().decode(File.self, from: Data(data))
    } catch {
      throw FileError(description: "not a checkpoint file (JSON with format \(fileFormat)): \(error)")
    }
    guard file.format == fileFormat else {
      throw FileError(description: "format is \"\(file.format)\", expected \"\(fileFormat)\"")
    }
    func bytes(_ hex: String, _ field: String, count: Int) throws(FileError) -> [UInt8] {
      guard let bytes = JournalChain.bytes(fromHex: hex), bytes.count == count else {
        throw FileError(description: "\(field) is not \(count) bytes of hex")
      }
      return bytes
    }
    var heads: [CheckpointHead] = []
    for (index, head) in file.heads.enumerated() {
      heads.append(
        CheckpointHead(
          caseID: CaseID(head.case_id), reportCode: head.report_code, entryCount: head.entry_count,
          headHash: try bytes(head.head_hash, "heads[\(index)].head_hash", count: 32)))
    }
    let checkpoint = JournalCheckpoint(
      id: file.checkpoint_id, createdAt: Timestamp(millisecondsSince1970: file.created_at_ms),
      origin: Origin(rawValue: file.origin) ?? .onDemand, createdBy: nil, heads: heads,
      signature: try bytes(file.signature, "signature", count: 64),
      publicKey: try bytes(file.public_key, "public_key", count: 32))
    guard try bytes(file.digest, "digest", count: 32) == checkpoint.digest else {
      throw FileError(description: "digest does not match the file's time and heads (the file was edited)")
    }
    return checkpoint
  }
}
