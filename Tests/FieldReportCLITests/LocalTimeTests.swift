import Testing
@testable import FieldReportCLI

@Suite("Local time (Asia/Ho_Chi_Minh)")
struct LocalTimeTests {
  // 2026-03-06 00:00 in UTC+7 = 2026-03-05 17:00 UTC.
  static let startOf6March: Int64 = 1_772_730_000_000

  @Test("formats in UTC+7")
  func formats() {
    #expect(LocalTime.format(Self.startOf6March) == "06/03/2026 00:00")
    #expect(LocalTime.format(Self.startOf6March - 60_000) == "05/03/2026 23:59")
    #expect(LocalTime.format(0) == "01/01/1970 07:00")
  }

  static let afternoon: Int64 = startOf6March + 17 * 3_600_000 + 30 * 60_000
  static let examples: [(String, Int64)] = [
    ("2026-03-06", startOf6March), ("06/03/2026", startOf6March), ("2026-03-06T17:30", afternoon),
    ("06/03/2026 17:30", afternoon), ("1772730000000", startOf6March),
  ]

  @Test("parses dates and times as local time", arguments: examples)
  func parses(text: String, expected: Int64) {
    #expect(LocalTime.parse(text) == expected)
  }

  @Test("parses relative times from now")
  func relative() {
    let now: Int64 = 1_000_000_000_000
    #expect(LocalTime.parse("+3d", nowMs: now) == now + 3 * 86_400_000)
    #expect(LocalTime.parse("-12h", nowMs: now) == now - 12 * 3_600_000)
    #expect(LocalTime.parse("+30m", nowMs: now) == now + 30 * 60_000)
    #expect(LocalTime.parse("now", nowMs: now) == now)
  }

  @Test("refuses what is not a time", arguments: ["", "tomorrow", "2026-02-30", "2026-13-01", "31/04/2026", "2026-03-06T24:00", "+3w", "+d", "12345"])
  func refuses(text: String) {
    #expect(LocalTime.parse(text) == nil)
  }

  @Test("round-trips every day of a leap year through the civil calendar")
  func civilRoundTrip() {
    let first = LocalTime.days(fromCivil: 2028, 1, 1)
    for day in first..<(first + 366) {
      let (y, m, d) = LocalTime.civil(fromDays: day)
      #expect(LocalTime.days(fromCivil: y, m, d) == day)
    }
    let leapDay = LocalTime.civil(fromDays: first + 59)
    #expect(leapDay.0 == 2028 && leapDay.1 == 2 && leapDay.2 == 29)
  }
}
