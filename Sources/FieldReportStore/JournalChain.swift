import Crypto
package import FieldReportWorkflow

/// The hash chain over each case's journal.
///
/// Entry *n* of a case stores `prev_hash` = the hash of entry *n − 1* (32 zero bytes for
/// entry 1) and `hash` = SHA-256 over this canonical byte string:
///
/// ```
/// "fieldreport.journal.v1" 0x00
/// u32be(byte length of case id)  case id (UTF-8)
/// i64be(sequence within the case)
/// i64be(time, Unix milliseconds)
/// u32be(32)                      prev_hash (32 bytes)
/// u32be(byte length of body)     body
/// ```
///
/// where `body` is the entry exactly as stored (verification hashes the stored bytes, it never
/// re-encodes): for entries written since the binary body format, the ``BodyFormat`` encoding
/// of the `JournalEntry` (first byte 0xFB); for older entries, its UTF-8 JSON. The chain's
/// definition did not change with the encoding, so old chains verify as they always did and a
/// binary entry may follow a JSON one in the same chain. The case row keeps the last hash (`journal_head`) and the case version equals the
/// number of entries, so editing any entry, deleting one in the middle, or deleting the
/// last one all break verification.
package enum JournalChain {
  package static let domainTag: [UInt8] = Array("fieldreport.journal.v1".utf8) + [0]
  package static let genesis = [UInt8](repeating: 0, count: 32)

  package static func hash(caseID: String, sequence: Int64, at: Int64, previous: [UInt8], body: [UInt8]) -> [UInt8] {
    var hasher = SHA256()
    hasher.update(data: domainTag)
    let id = Array(caseID.utf8)
    hasher.update(data: bigEndian(UInt32(truncatingIfNeeded: id.count)))
    hasher.update(data: id)
    hasher.update(data: bigEndian(UInt64(bitPattern: sequence)))
    hasher.update(data: bigEndian(UInt64(bitPattern: at)))
    hasher.update(data: bigEndian(UInt32(truncatingIfNeeded: previous.count)))
    hasher.update(data: previous)
    hasher.update(data: bigEndian(UInt32(truncatingIfNeeded: body.count)))
    hasher.update(data: body)
    return Array(hasher.finalize())
  }

  private static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.bigEndian) { Array($0) }
  }

  package static func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
      out.append(digits[Int(byte >> 4)])
      out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  package static func bytes(fromHex hex: String) -> [UInt8]? {
    let chars = Array(hex.utf8)
    guard chars.count % 2 == 0 else { return nil }
    func nibble(_ c: UInt8) -> UInt8? {
      switch c {
      case 0x30...0x39: c - 0x30
      case 0x61...0x66: c - 0x61 + 10
      case 0x41...0x46: c - 0x41 + 10
      default: nil
      }
    }
    var out = [UInt8]()
    out.reserveCapacity(chars.count / 2)
    var index = 0
    while index < chars.count {
      guard let high = nibble(chars[index]), let low = nibble(chars[index + 1]) else { return nil }
      out.append(high << 4 | low)
      index += 2
    }
    return out
  }
}

extension JournalChain {
  /// One stored journal row as the verifier reads it (the bytes exactly as stored).
  package struct Row: Sendable {
    package var sequence: Int64
    package var at: Int64
    package var body: [UInt8]
    package var previous: [UInt8]
    package var hash: [UInt8]

    package init(sequence: Int64, at: Int64, body: [UInt8], previous: [UInt8], hash: [UInt8]) {
      self.sequence = sequence
      self.at = at
      self.body = body
      self.previous = previous
      self.hash = hash
    }
  }

  /// Checks one case's chain against its case row (`version`, chain `head`): every entry
  /// present and in order, each hash recomputed from the stored bytes, each body decoding to
  /// its own position, the entry count equal to the case version and the last hash equal to
  /// the head. The one verifier of every engine.
  /// - Parameter rows: the case's journal rows ordered by sequence, read in the same snapshot
  ///   as `version` and `head`.
  package static func verify(caseID: CaseID, version: Int64, head: [UInt8], rows: [Row]) -> JournalVerification {
    var previous = genesis
    var expectedSequence: Int64 = 1
    for row in rows {
      let sequence = row.sequence
      guard sequence == expectedSequence else {
        return .broken(sequence: expectedSequence, reason: "entry \(expectedSequence) is missing")
      }
      guard row.previous == previous else {
        return .broken(sequence: sequence, reason: "the previous entry's hash does not match")
      }
      let hash = hash(caseID: caseID.rawValue, sequence: sequence, at: row.at, previous: previous, body: row.body)
      guard hash == row.hash else {
        return .broken(sequence: sequence, reason: "the entry was altered")
      }
      guard let entry = try? EntityCoding.decode(JournalEntry.self, from: row.body, what: "journal entry"),
        entry.caseID == caseID, entry.sequence == sequence, entry.at.millisecondsSince1970 == row.at
      else {
        return .broken(sequence: sequence, reason: "the entry's body does not match its position")
      }
      previous = hash
      expectedSequence += 1
    }
    guard Int64(rows.count) == version else {
      return .broken(
        sequence: Int64(rows.count) + 1,
        reason: "the case is at version \(version) but the journal has \(rows.count) entries")
    }
    guard previous == head else {
      return .broken(sequence: Int64(rows.count), reason: "the last entry does not match the case's chain head")
    }
    return .intact(entries: rows.count, headHashHex: hex(head))
  }
}
