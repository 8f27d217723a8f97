import Foundation

/// Times as the province reads them: Asia/Ho_Chi_Minh (UTC+7, no daylight saving time), the
/// same day rule as report codes.
enum LocalTime {
  /// UTC+7 in milliseconds.
  static let offsetMs: Int64 = 7 * 3_600_000

  /// The current time in Unix milliseconds.
  static func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

  /// `dd/MM/yyyy HH:mm` in Asia/Ho_Chi_Minh time.
  static func format(_ ms: Int64) -> String {
    let local = ms + offsetMs
    let days = local >= 0 ? local / 86_400_000 : (local - 86_399_999) / 86_400_000
    let msOfDay = local - days * 86_400_000
    let (y, m, d) = civil(fromDays: days)
    let hour = msOfDay / 3_600_000
    let minute = msOfDay % 3_600_000 / 60_000
    return "\(pad(d))/\(pad(m))/\(y) \(pad(hour)):\(pad(minute))"
  }

  /// Parses a time given on the command line:
  /// - `now`, or a relative time `+3d`, `+12h`, `+30m`, `-1d` from `nowMs`;
  /// - a local date `2026-03-10` (start of day) or `10/03/2026`, with an optional time
  ///   `2026-03-10T17:00` / `2026-03-10 17:00` / `10/03/2026 17:00`;
  /// - Unix milliseconds (a number of at least 11 digits).
  /// - Returns: Unix milliseconds, or `nil` when the text is none of these.
  static func parse(_ text: String, nowMs: Int64 = LocalTime.nowMs()) -> Int64? {
    let text = text.trimmingCharacters(in: .whitespaces)
    if text == "now" { return nowMs }
    if let first = text.first, first == "+" || first == "-", text.count >= 3 {
      let sign: Int64 = first == "-" ? -1 : 1
      let unit = text.last!
      guard let amount = Int64(text.dropFirst().dropLast()), amount >= 0 else { return nil }
      let unitMs: Int64
      switch unit {
      case "d": unitMs = 86_400_000
      case "h": unitMs = 3_600_000
      case "m": unitMs = 60_000
      default: return nil
      }
      return nowMs + sign * amount * unitMs
    }
    if text.count >= 11, text.allSatisfy(\.isNumber), let ms = Int64(text) { return ms }
    let parts = text.split(whereSeparator: { $0 == "T" || $0 == " " })
    guard parts.count == 1 || parts.count == 2 else { return nil }
    let y: Int64, m: Int64, d: Int64
    let dateText = parts[0]
    if dateText.contains("-") {
      let fields = dateText.split(separator: "-").compactMap { Int64($0) }
      guard fields.count == 3 else { return nil }
      (y, m, d) = (fields[0], fields[1], fields[2])
    } else if dateText.contains("/") {
      let fields = dateText.split(separator: "/").compactMap { Int64($0) }
      guard fields.count == 3 else { return nil }
      (y, m, d) = (fields[2], fields[1], fields[0])
    } else {
      return nil
    }
    guard (1970...9999).contains(y), (1...12).contains(m), (1...daysIn(month: m, year: y)).contains(d) else { return nil }
    var msOfDay: Int64 = 0
    if parts.count == 2 {
      let fields = parts[1].split(separator: ":").compactMap { Int64($0) }
      guard fields.count == 2 || fields.count == 3, (0...23).contains(fields[0]), (0...59).contains(fields[1]) else { return nil }
      let seconds = fields.count == 3 ? fields[2] : 0
      guard (0...59).contains(seconds) else { return nil }
      msOfDay = fields[0] * 3_600_000 + fields[1] * 60_000 + seconds * 1000
    }
    return days(fromCivil: y, m, d) * 86_400_000 + msOfDay - offsetMs
  }

  private static func pad(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }

  private static func daysIn(month: Int64, year: Int64) -> Int64 {
    switch month {
    case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
  }

  // Howard Hinnant's civil-from-days and days-from-civil algorithms (proleptic Gregorian).
  static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (month + 9) % 12
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
  }

  static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (m <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, m, d)
  }
}
