import Crypto

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
enum JournalChain {
  static let domainTag: [UInt8] = Array("fieldreport.journal.v1".utf8) + [0]
  static let genesis = [UInt8](repeating: 0, count: 32)

  static func hash(caseID: String, sequence: Int64, at: Int64, previous: [UInt8], body: [UInt8]) -> [UInt8] {
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

  static func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
      out.append(digits[Int(byte >> 4)])
      out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  static func bytes(fromHex hex: String) -> [UInt8]? {
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
