import Testing

@testable import FieldReportWorkflow

@Suite struct ReportCodeTests {
  @Test func placeholder() {
    #expect(LocalDay(of: Timestamp(millisecondsSince1970: 0)).key == 19700101)
  }
}
