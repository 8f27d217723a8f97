import RPCCore

/// Offset paging over an in-memory, stably ordered list, with tokens bound to the filters
/// they were issued for (the contract: a token reused with other filters is INVALID_ARGUMENT).
///
/// A token is `<offset>.<fingerprint>`, the fingerprint a 64-bit FNV-1a hash of the filter
/// description. It is opaque to clients.
struct Paging {
  let pageSize: Int
  let filters: String

  /// The page of `items` the token asks for, and the next token (empty on the last page).
  func page<T>(_ items: [T], token: String, field: String = "page_token") throws(RPCError) -> ([T], String) {
    var offset = 0
    if !token.isEmpty {
      let parts = token.split(separator: ".", omittingEmptySubsequences: false)
      guard parts.count == 2, let parsed = Int(parts[0]), parsed >= 0, parts[1] == Self.fingerprint(self.filters)
      else { throw invalidArgument(field, "malformed, or issued for other filters") }
      offset = parsed
    }
    guard offset < items.count else { return ([], "") }
    let end = min(items.count, offset + self.pageSize)
    let next = end < items.count ? "\(end).\(Self.fingerprint(self.filters))" : ""
    return (Array(items[offset..<end]), next)
  }

  static func fingerprint(_ text: String) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
      hash ^= UInt64(byte)
      hash &*= 0x0000_0100_0000_01B3
    }
    return String(hash, radix: 16)
  }
}
