import FieldReportStore

/// Opaque page tokens for case listings: a fingerprint of the filters the token was issued
/// for, then the store's cursor. Reusing a token with other filters (or another caller) is
/// detected, as the contract requires.
enum PageToken {
  /// `c1.<fingerprint>.<cursor token>`.
  static func encode(_ cursor: CaseCursor, filterKey: String) -> String {
    "c1.\(filterKey).\(cursor.token)"
  }

  /// The cursor of a token issued for `filterKey`, or nil if malformed or issued for other
  /// filters.
  static func decode(_ token: String, filterKey: String) -> CaseCursor? {
    let prefix = "c1.\(filterKey)."
    guard token.hasPrefix(prefix), token.utf8.count <= 256 else { return nil }
    return CaseCursor(token: String(token.dropFirst(prefix.count)))
  }

  /// A short stable fingerprint (FNV-1a, 64 bits, hex) of `parts`.
  static func fingerprint(_ parts: [String]) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for part in parts {
      for byte in part.utf8 {
        hash ^= UInt64(byte)
        hash &*= 0x0000_0100_0000_01b3
      }
      // A separator that cannot appear inside UTF-8 text keeps ("ab","c") ≠ ("a","bc").
      hash ^= 0xFF
      hash &*= 0x0000_0100_0000_01b3
    }
    return String(hash, radix: 16)
  }
}
