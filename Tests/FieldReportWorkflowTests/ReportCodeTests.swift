import Foundation
import FieldReportWorkflow
import Testing

@Suite("Report codes and local days") struct ReportCodeTests {
  @Test func sourceExamples() throws {
    #expect(try ReportCode.make(dayOf: Demo.at(6, 3, 0), sequence: 1).rawValue == "060326001")
    #expect(try ReportCode.make(dayOf: Demo.at(2, 3, 23, 59), sequence: 9).rawValue == "020326009")
  }

  @Test func localDayIsUTCPlusSevenWhateverTheMachineZone() throws {
    // 2026-03-05T16:59:59.999Z is 23:59:59.999 on 5 March in Hà Nội; one ms later it is 6 March.
    let lastMs = Timestamp(millisecondsSince1970: 1_772_729_999_999)
    #expect(LocalDay(of: lastMs) == LocalDay(year: 2026, month: 3, day: 5))
    #expect(LocalDay(of: lastMs.adding(milliseconds: 1)) == LocalDay(year: 2026, month: 3, day: 6))
    #expect(try ReportCode.make(dayOf: lastMs, sequence: 1).rawValue == "050326001")
    #expect(try ReportCode.make(dayOf: lastMs.adding(milliseconds: 1), sequence: 1).rawValue == "060326001")
    #expect(LocalDay(year: 2026, month: 3, day: 6)?.start == lastMs.adding(milliseconds: 1))
    #expect(LocalDay(of: Timestamp(millisecondsSince1970: 0)).key == 19700101)
    #expect(LocalDay(of: Timestamp(millisecondsSince1970: -25_200_001)).key == 19691231)
    #expect(LocalDay(year: 2024, month: 2, day: 29)?.vietnameseFormat == "29/02/2024")
    #expect(LocalDay(year: 2026, month: 2, day: 29) == nil)
    #expect(LocalDay(year: 2026, month: 13, day: 1) == nil)
  }

  @Test func localDayAgreesWithFoundationCalendarForManyInstants() throws {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = try #require(TimeZone(identifier: "Asia/Ho_Chi_Minh"))
    var rng = SplitMix64(seed: 7)
    for _ in 0..<2000 {
      // 1980 ... 2090: Vietnam has been UTC+7 throughout.
      let ms = Int64.random(in: 315_532_800_000...3_786_825_600_000, using: &rng)
      let parts = calendar.dateComponents(
        [.year, .month, .day], from: Date(timeIntervalSince1970: Double(ms) / 1000))
      let day = LocalDay(of: Timestamp(millisecondsSince1970: ms))
      #expect([day.year, day.month, day.day] == [parts.year, parts.month, parts.day])
      #expect(day.start <= Timestamp(millisecondsSince1970: ms))
      #expect(Timestamp(millisecondsSince1970: ms) < day.start.adding(days: 1))
    }
  }

  @Test func pastNineHundredNinetyNineTheSequenceWidens() throws {
    let day = Demo.at(6, 3)
    #expect(try ReportCode.make(dayOf: day, sequence: 999).rawValue == "060326999")
    #expect(try ReportCode.make(dayOf: day, sequence: 1000).rawValue == "0603261000")
    #expect(try ReportCode.make(dayOf: day, sequence: 12345).rawValue == "06032612345")
    let code = try ReportCode.make(dayOf: day, sequence: 1000)
    #expect(code.sequence == 1000)
    #expect(code.day == LocalDay(of: day))
    #expect(ReportCode(rawValue: "0603260001") == nil, "a widened sequence never starts with 0")
  }

  @Test func codesAreUniqueAcrossDaysAndSequences() throws {
    var seen: [String: String] = [:]
    for dayOffset in Int64(0)..<40 {
      let instant = Demo.at(20, 2).adding(days: dayOffset)
      for sequence in [1, 2, 9, 10, 99, 100, 101, 999, 1000, 1001, 9999, 10000, 123_456] {
        let code = try ReportCode.make(dayOf: instant, sequence: sequence)
        let key = "\(LocalDay(of: instant))#\(sequence)"
        #expect(seen.updateValue(key, forKey: code.rawValue) == nil, "\(code) issued twice")
        #expect(ReportCode(rawValue: code.rawValue) == code)
        #expect(code.sequence == sequence)
      }
    }
  }

  @Test func badInputIsRefusedNotTrapped() throws {
    #expect(throws: WorkflowRefusal.invalidField(name: "sequence", reason: "must be at least 1, got 0")) {
      try ReportCode.make(dayOf: Demo.at(6, 3), sequence: 0)
    }
    #expect(throws: WorkflowRefusal.self) {
      try ReportCode.make(dayOf: Timestamp(millisecondsSince1970: 0), sequence: 1)
    }
    for raw in ["", "06032600", "060326000", "320326001", "061326001", "29022600a1", "290226001"] {
      #expect(ReportCode(rawValue: raw) == nil, "\(raw)")
    }
    #expect(ReportCode(rawValue: "290224001") != nil, "29 Feb 2024 existed")
    let json = Data(#"["060326001", "bogus"]"#.utf8)
    #expect(throws: DecodingError.self) { try JSONDecoder().decode([ReportCode].self, from: json) }
    let good = try JSONDecoder().decode([ReportCode].self, from: Data(#"["060326001"]"#.utf8))
    #expect(good.first?.rawValue == "060326001")
  }

  @Test func codesOrderByDayThenSequence() throws {
    let a = try ReportCode.make(dayOf: Demo.at(6, 3), sequence: 1000)
    let b = try ReportCode.make(dayOf: Demo.at(7, 3), sequence: 1)
    let c = try ReportCode.make(dayOf: Demo.at(6, 3), sequence: 2)
    #expect([a, b, c].sorted() == [c, a, b])
  }
}
