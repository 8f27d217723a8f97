import Foundation

/// Vietnamese-aware folding for search: Unicode NFC, lowercase, diacritics stripped,
/// đ → d; so "thang" matches "Lê Đại Thắng" and "duong" matches "Lê Văn Đường".
///
/// The stored folded columns (`users.folded_name`, `cases.search_text`) and search queries
/// must be folded by the same function.
enum TextFolding {
  static func fold(_ text: String) -> String {
    let lowered = text.precomposedStringWithCanonicalMapping.lowercased()
      .replacingOccurrences(of: "đ", with: "d")
    var scalars = String.UnicodeScalarView()
    for scalar in lowered.decomposedStringWithCanonicalMapping.unicodeScalars {
      // Combining diacritical marks (tones, breve, circumflex, horn) are dropped.
      if (0x0300...0x036F).contains(scalar.value) { continue }
      scalars.append(scalar)
    }
    return String(scalars)
  }

  /// Escapes `%`, `_` and the escape character itself for a `LIKE … ESCAPE '\'` pattern.
  static func likePattern(containing text: String) -> String {
    var escaped = ""
    for character in text {
      if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
      escaped.append(character)
    }
    return "%" + escaped + "%"
  }
}
