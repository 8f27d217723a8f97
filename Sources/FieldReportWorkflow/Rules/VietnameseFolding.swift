/// Folding of Vietnamese names for diacritic-insensitive search ("Tìm họ tên").
///
/// `fold` lower-cases (full Unicode case mapping), removes every tone and vowel mark, and
/// maps đ/Đ to d, so "Lê Đại Thắng" folds to "le dai thang". It gives the same result for
/// NFC (precomposed) and NFD (decomposed) input, which is what normalising to NFC first would
/// achieve: precomposed Vietnamese letters go through a table, and combining marks
/// (U+0300–U+036F) are dropped. Only the standard library is used.
public enum VietnameseFolding {
  /// The folded form: lower case, no diacritics, đ → d; other characters kept.
  ///
  /// One pass over the scalars: ASCII is lower-cased in place, and every scalar of Latin-1,
  /// Latin Extended-A/B, the combining marks and Latin Extended Additional (where all
  /// Vietnamese letters are) through ``fastTable``, built once from ``slowFold(_:)``; anything
  /// else goes through ``slowFold(_:)``, scalar by scalar. The result is the same as
  /// ``slowFold(_:)`` of the whole text, since lower-casing is a per-scalar mapping (a property
  /// test compares them). `text.lowercased()` and a dictionary lookup per scalar were 7 % of
  /// the store writer's time on SubmitReport (every case's search text is folded).
  public static func fold(_ text: String) -> String {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
      let value = scalar.value
      if value < 0x80 {
        bytes.append(value >= 0x41 && value <= 0x5A ? UInt8(value + 0x20) : UInt8(value))
        continue
      }
      switch fastTable.folded(value) {
      case .drop:
        continue
      case .scalar(let folded):
        append(folded, to: &bytes)
      case .slow:
        for folded in slowFold(String(scalar)).unicodeScalars { append(folded.value, to: &bytes) }
      }
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// The definition of folding: full Unicode lower-casing, then combining marks dropped and
  /// precomposed letters mapped to their base letter. ``fold(_:)`` is its fast form.
  public static func slowFold(_ text: String) -> String {
    var scalars = String.UnicodeScalarView()
    for scalar in text.lowercased().unicodeScalars {
      if (0x0300...0x036F).contains(scalar.value) { continue }
      scalars.append(baseLetter[scalar] ?? scalar)
    }
    return String(scalars)
  }

  private static func append(_ value: UInt32, to bytes: inout [UInt8]) {
    guard let scalar = Unicode.Scalar(value) else { return }
    bytes.append(contentsOf: UTF8.encode(scalar)!)
  }

  /// Each scalar's fold, precomputed for the blocks Vietnamese text uses.
  private struct FastTable: Sendable {
    enum Fold { case drop, scalar(UInt32), slow }
    /// Indexed by scalar value minus the block's start: 0 drops the scalar, `UInt32.max`
    /// means "use the slow path", anything else is the folded scalar.
    let blocks: [(start: UInt32, folds: [UInt32])]

    init() {
      let ranges: [Range<UInt32>] = [0x80..<0x370, 0x1E00..<0x1F00]
      blocks = ranges.map { range in (start: range.lowerBound, folds: range.map(Self.precomputed)) }
    }

    private static func precomputed(_ value: UInt32) -> UInt32 {
      guard let scalar = Unicode.Scalar(value) else { return UInt32.max }
      let folded = Array(VietnameseFolding.slowFold(String(scalar)).unicodeScalars)
      switch folded.count {
      case 0: return 0
      case 1: return folded[0].value == 0 ? UInt32.max : folded[0].value
      default: return UInt32.max
      }
    }

    func folded(_ value: UInt32) -> Fold {
      for block in blocks where value >= block.start && value < block.start + UInt32(block.folds.count) {
        let folded = block.folds[Int(value - block.start)]
        if folded == 0 { return .drop }
        return folded == UInt32.max ? .slow : .scalar(folded)
      }
      return .slow
    }
  }

  private static let fastTable = FastTable()

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
