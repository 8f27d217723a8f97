import Testing
@testable import FieldReportCLI

@Suite("Local time")
struct LocalTimeTests {
  @Test("formats in Asia/Ho_Chi_Minh time")
  func formats() {
    // 2026-03-06 00:00 UTC+7 = 2026-03-05 17:00 UTC.
    #expect(LocalTime.format(1_772_730_000_000) == "06/03/2026 00:00")
  }
}
