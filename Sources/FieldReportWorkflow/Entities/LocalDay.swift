/// A calendar day in Asia/Ho_Chi_Minh (UTC+7 all year: Vietnam has no daylight saving time).
///
/// Computed with integer arithmetic from Unix milliseconds, never from the machine's time
/// zone, so every server agrees on which day a report belongs to.
public struct LocalDay: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
  /// The fixed offset of Asia/Ho_Chi_Minh from UTC, in milliseconds (+07:00).
  public static let utcOffsetMilliseconds: Int64 = 7 * Timestamp.millisecondsPerHour

  /// Proleptic Gregorian year, e.g. 2026.
  public let year: Int
  /// Month, 1...12.
  public let month: Int
  /// Day of month, 1...31.
  public let day: Int

  /// The local day containing `instant`.
  public init(of instant: Timestamp) {
    let local = instant.millisecondsSince1970.addingReportingOverflow(Self.utcOffsetMilliseconds)
    let ms = local.overflow ? instant.millisecondsSince1970 : local.partialValue
    let days = Self.floorDivide(ms, Timestamp.millisecondsPerDay)
    (year, month, day) = Self.civil(fromDaysSince1970: days)
  }

  /// A day from its parts, if they name a real date (e.g. not 30 February).
  public init?(year: Int, month: Int, day: Int) {
    guard (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year) else {
      return nil
    }
    self.year = year
    self.month = month
    self.day = day
  }

  /// The key the store uses for the per-day report sequence: `yyyymmdd` as an integer,
  /// e.g. 20260306.
  public var key: Int { year * 10_000 + month * 100 + day }

  /// The first instant of this local day (00:00 at UTC+7).
  public var start: Timestamp {
    Timestamp(
      millisecondsSince1970: Int64(Self.daysSince1970(year: year, month: month, day: day))
        * Timestamp.millisecondsPerDay - Self.utcOffsetMilliseconds)
  }

  /// `yyyy-mm-dd`.
  public var description: String {
    "\(year)-\(Self.pad(month, 2))-\(Self.pad(day, 2))"
  }

  /// `dd/mm/yyyy`, as Vietnamese screens show dates.
  public var vietnameseFormat: String {
    "\(Self.pad(day, 2))/\(Self.pad(month, 2))/\(year)"
  }

  public static func < (lhs: LocalDay, rhs: LocalDay) -> Bool { lhs.key < rhs.key }

  static func pad(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
  }

  static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
  }

  static func isLeap(_ year: Int) -> Bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
  }

  static func daysIn(month: Int, year: Int) -> Int {
    switch month {
    case 2: isLeap(year) ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
  }

  // Howard Hinnant's days_from_civil / civil_from_days (public domain algorithms).
  static func daysSince1970(year: Int, month: Int, day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (month + 9) % 12
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
  }

  static func civil(fromDaysSince1970 days64: Int64) -> (Int, Int, Int) {
    let z = Int(days64) + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
  }
}
