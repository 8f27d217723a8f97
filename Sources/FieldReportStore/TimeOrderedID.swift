import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Identifiers in the UUID version 7 layout (RFC 9562): 48 bits of Unix milliseconds, then
/// random bits, written as the usual lowercase 8-4-4-4-12 hexadecimal.
///
/// New cases get these instead of random (version 4) UUIDs so that the rows and index entries
/// keyed by case id (the `cases` key, `journal`, `case_links_by_case`, `unit_tasks`) are
/// appended near each other rather than scattered over the whole file: a commit then dirties
/// (and writes to the WAL) a few pages instead of one page per index per case.
package enum TimeOrderedID {
  package static func make(milliseconds: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) -> String {
    // The random bits in one call (`arc4random_buf`, one `getrandom` for all 16 bytes; each
    // `SystemRandomNumberGenerator.next()` is a `getrandom` of its own: two of them were 3.7 %
    // of SubmitReport's event-loop samples).
    var bytes = [UInt8](repeating: 0, count: 16)
    #if canImport(Glibc)
      bytes.withUnsafeMutableBytes { arc4random_buf($0.baseAddress!, 16) }
    #else
      var generator = SystemRandomNumberGenerator()
      for index in 0..<16 { bytes[index] = generator.next() }
    #endif
    let ms = UInt64(max(0, milliseconds))
    for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: ms >> (8 * (5 - index))) }
    bytes[6] = 0x70 | (bytes[6] & 0x0F)  // version 7
    bytes[8] = 0x80 | (bytes[8] & 0x3F)  // RFC 9562 variant
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(36)
    for (index, byte) in bytes.enumerated() {
      if index == 4 || index == 6 || index == 8 || index == 10 { out.append(UInt8(ascii: "-")) }
      out.append(digits[Int(byte >> 4)])
      out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
  }
}
