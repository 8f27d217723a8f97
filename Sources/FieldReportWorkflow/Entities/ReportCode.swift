/// Mã phản ánh: `DDMMYY` of the Asia/Ho_Chi_Minh day of receipt, then that day's sequence
/// number, zero-padded to 3 digits: `060326001` is the first report of 6 March 2026.
///
/// Past 999 reports in a day the sequence simply widens, without padding beyond three digits:
/// the 1000th report of 6 March 2026 is `0603261000`, the 12345th `06032612345`. Codes stay
/// unique because a sequence of four or more digits never starts with 0, so a 9-character code
/// and a longer one can never denote the same (day, sequence). The store supplies the next
/// sequence of the day (keyed by ``LocalDay/key``); a year's codes repeat only a century later.
public struct ReportCode: RawRepresentable, Hashable, Comparable, Codable, Sendable,
  CustomStringConvertible
{
  /// The code as shown and searched, e.g. `060326001`.
  public let rawValue: String

  /// Accepts only a well-formed code (a real date, a sequence ≥ 1 written as above).
  public init?(rawValue: String) {
    guard Self.parse(rawValue) != nil else { return nil }
    self.rawValue = rawValue
  }

  private init(unchecked rawValue: String) { self.rawValue = rawValue }

  /// The code for the `sequence`-th report (1-based) of the local day containing `instant`.
  ///
  /// - Throws: ``WorkflowRefusal/invalidField(name:reason:)`` naming `sequence` if it is < 1,
  ///   or `receivedAt` if the day is outside the years 2000–2099 that `YY` can express.
  public static func make(dayOf instant: Timestamp, sequence: Int) throws(WorkflowRefusal)
    -> ReportCode
  {
    guard sequence >= 1 else {
      throw .invalidField(name: "sequence", reason: "must be at least 1, got \(sequence)")
    }
    let day = LocalDay(of: instant)
    guard (2000...2099).contains(day.year) else {
      throw .invalidField(name: "receivedAt", reason: "year \(day.year) cannot be written as YY")
    }
    let code =
      LocalDay.pad(day.day, 2) + LocalDay.pad(day.month, 2) + LocalDay.pad(day.year % 100, 2)
      + LocalDay.pad(sequence, 3)
    return ReportCode(unchecked: code)
  }

  /// The local day this code was issued on.
  public var day: LocalDay {
    // A stored code was validated on construction; parse cannot fail here.
    Self.parse(rawValue)?.day ?? LocalDay(of: Timestamp(millisecondsSince1970: 0))
  }

  /// The day's sequence number.
  public var sequence: Int { Self.parse(rawValue)?.sequence ?? 0 }

  public var description: String { rawValue }

  public static func < (lhs: ReportCode, rhs: ReportCode) -> Bool {
    (lhs.day, lhs.sequence) < (rhs.day, rhs.sequence)
  }

  public init(from decoder: any Decoder) throws {
    let raw = try decoder.singleValueContainer().decode(String.self)
    guard Self.parse(raw) != nil else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: decoder.codingPath, debugDescription: "malformed report code \(raw)"))
    }
    self.rawValue = raw
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(rawValue)
  }

  static func parse(_ raw: String) -> (day: LocalDay, sequence: Int)? {
    let digits = Array(raw.utf8)
    guard digits.count >= 9, digits.count <= 18, digits.allSatisfy({ (0x30...0x39).contains($0) })
    else { return nil }
    func number(_ range: Range<Int>) -> Int {
      digits[range].reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }
    // Four or more sequence digits never start with 0 (see the type's documentation).
    if digits.count > 9, digits[6] == 0x30 { return nil }
    let sequence = number(6..<digits.count)
    guard sequence >= 1,
      let day = LocalDay(year: 2000 + number(4..<6), month: number(2..<4), day: number(0..<2))
    else { return nil }
    return (day, sequence)
  }
}
