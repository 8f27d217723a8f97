import FieldReportAPI
import FieldReportServices
@_spi(Testing) import FieldReportStore
import FieldReportWorkflow
import RPCCore
import Testing
import WireBridge

/// The report limits have one owner (the workflow's policy); the refusal names the request's
/// field, at exactly the contract's limit.
@Suite("Report limits: one owner, the contract's values, the request's field names")
struct LimitTests {
  func report(_ change: (inout Fieldreport_V1_SubmitReportRequest) -> Void) -> Fieldreport_V1_SubmitReportRequest {
    var request = Fieldreport_V1_SubmitReportRequest()
    request.title = "Đèn đường hỏng"
    request.content = "Đèn đường trước nhà văn hoá thôn bị hỏng."
    request.categoryId = "MOI-TRUONG"
    var reporter = Fieldreport_V1_ReporterInfo()
    reporter.fullName = "Nguyễn Văn An"
    reporter.phone = "0912345678"
    request.reporter = reporter
    change(&request)
    return request
  }

  @Test("title 300 bytes, content 20,000 bytes, address 500 bytes, report time −30 days…+1 minute")
  func limits() async throws {
    try await TestServer.with { server in
      let cases = Fieldreport_V1_CaseServiceClient(server.inProcess())
      let now = server.clock.now.millisecondsSince1970
      // "ấ" is 3 bytes in UTF-8: 100 of them are 300 bytes but 100 characters.
      let accepted: [(inout Fieldreport_V1_SubmitReportRequest) -> Void] = [
        { $0.title = String(repeating: "ấ", count: 100) },
        { $0.content = String(repeating: "a", count: 20_000) },
        { $0.eventAddress = String(repeating: "a", count: 500) },
        { $0.reportedAtMs = now + 60_000 },
        { $0.reportedAtMs = now - 30 * 86_400_000 },
      ]
      for change in accepted { _ = try await cases.submitReport(report(change), options: server.platform) }
      let refused: [(String, (inout Fieldreport_V1_SubmitReportRequest) -> Void)] = [
        ("title", { $0.title = String(repeating: "ấ", count: 100) + "a" }),
        ("content", { $0.content = String(repeating: "a", count: 20_001) }),
        ("event_address", { $0.eventAddress = String(repeating: "a", count: 501) }),
        ("reported_at_ms", { $0.reportedAtMs = now + 60_001 }),
        ("reported_at_ms", { $0.reportedAtMs = now - 30 * 86_400_000 - 1 }),
        ("title", { $0.title = "   " }),
      ]
      for (field, change) in refused {
        let error = try #require(await rpcFailure { try await cases.submitReport(report(change), options: server.platform) })
        #expect(error.code == .invalidArgument, "\(field)")
        #expect(error.fieldViolations.map(\.field) == [field], "\(field): \(error.message)")
      }
    }
  }
}

@Suite("Demo accounts")
struct DemoAccountTests {
  @Test("every demo person's password is hashed with a salt of their own")
  func distinctSalts() async throws {
    try await TestServer.with { server in
      let withPassword = try #require(
        try await server.store.scalarForTesting("SELECT COUNT(*) FROM users WHERE password_salt IS NOT NULL"))
      #expect(withPassword >= 10)
      #expect(
        try await server.store.scalarForTesting(
          "SELECT COUNT(DISTINCT password_salt) FROM users WHERE password_salt IS NOT NULL") == withPassword)
      #expect(
        try await server.store.scalarForTesting(
          "SELECT COUNT(DISTINCT password_hash) FROM users WHERE password_hash IS NOT NULL") == withPassword)
    }
  }
}
