/// Folding of Vietnamese names for diacritic-insensitive search ("Tìm họ tên").
///
/// `fold` lower-cases (full Unicode case mapping), removes every tone and vowel mark, and
/// maps đ/Đ to d, so "Lê Đại Thắng" folds to "le dai thang". It gives the same result for
/// NFC (precomposed) and NFD (decomposed) input, which is what normalising to NFC first would
/// achieve: precomposed Vietnamese letters go through a table, and combining marks
/// (U+0300–U+036F) are dropped. Only the standard library is used.
public enum VietnameseFolding {
  /// The folded form: lower case, no diacritics, đ → d; other characters kept.
  public static func fold(_ text: String) -> String {
    var scalars = String.UnicodeScalarView()
    for scalar in text.lowercased().unicodeScalars {
      if (0x0300...0x036F).contains(scalar.value) { continue }
      scalars.append(baseLetter[scalar] ?? scalar)
    }
    return String(scalars)
  }

  /// The folded words of `text`, split at anything that is not a letter or digit.
  public static func tokens(_ text: String) -> [String] {
    fold(text)
      .split(whereSeparator: { !($0.isLetter || $0.isNumber) })
      .map(String.init)
  }

  /// Whether a people-picker `query` matches `name`: every word of the query is the start of
  /// some word of the name, ignoring case and diacritics ("thang" and "le th" match
  /// "Lê Đại Thắng"; "duong" matches "Lê Văn Đường"). A query with no words matches nothing.
  public static func matches(query: String, name: String) -> Bool {
    let wanted = tokens(query)
    guard !wanted.isEmpty else { return false }
    let words = tokens(name)
    return wanted.allSatisfy { part in words.contains { $0.hasPrefix(part) } }
  }

  /// Every precomposed lower-case letter with a Vietnamese (or common Latin) diacritic,
  /// mapped to its base letter.
  private static let baseLetter: [Unicode.Scalar: Unicode.Scalar] = {
    let groups: [(Unicode.Scalar, String)] = [
      ("a", "àáảãạăằắẳẵặâầấẩẫậäåāą"),
      ("e", "èéẻẽẹêềếểễệëēęě"),
      ("i", "ìíỉĩịîïī"),
      ("o", "òóỏõọôồốổỗộơờớởỡợöøō"),
      ("u", "ùúủũụưừứửữựûüūů"),
      ("y", "ỳýỷỹỵÿ"),
      ("d", "đď"),
      ("c", "çčć"),
      ("n", "ñňń"),
      ("s", "šś"),
      ("z", "žźż"),
      ("r", "ř"),
      ("t", "ť"),
      ("l", "ł"),
    ]
    var table: [Unicode.Scalar: Unicode.Scalar] = [:]
    for (base, letters) in groups {
      for scalar in letters.unicodeScalars { table[scalar] = base }
    }
    return table
  }()
}
