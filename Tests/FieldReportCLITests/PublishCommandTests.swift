import FieldReportClient
import Foundation
import Testing
@testable import FieldReportCLI

/// `fieldreport case publish` as a subprocess against a live demo server (issue 12): the
/// citizen gets the approved reply letter (or --text), --content is the IOC's note, kept and
/// shown apart; a dry run shows the scope the call would send.
@Suite("fieldreport case publish against a live server", .serialized, .timeLimit(.minutes(2)))
struct PublishCommandTests {
  static let note = "Ghi chú của IOC"

  /// Report codes of the cases `fieldreport demo` left resolved (one per run).
  static func resolvedByDemo(_ cli: CLIRunner, _ server: DemoServer) async throws -> String {
    let result = try await cli.run(
      ["demo", "--server", server.address, "--json", "--platform-api-key", server.platformAPIKey],
      environment: ["FIELDREPORT_DEMO_PASSWORD": DemoServer.demoPassword])
    #expect(result.status == 0, "\(result)")
    struct Outcome: Decodable { let reportCode: String; let state: Fieldreport_V1_CaseState }
    let outcomes = try JSONDecoder().decode([Outcome].self, from: Data(result.stdout.utf8))
    return try #require(outcomes.first { $0.state == .resolved }?.reportCode)
  }

  @Test("--content is the IOC's note: the citizen gets the approved reply letter; both show in the answer, the case and the journal")
  func contentIsTheNote() async throws {
    try await withTemporaryDirectory { folder in
      let server = try await DemoServer.start(in: folder)
      defer { server.stop() }
      let cli = try CLIRunner(folder: folder)
      let code = try await Self.resolvedByDemo(cli, server)
      var result = try await cli.run(["login", "--server", server.address, "quan.tm", "--password-stdin"], stdin: DemoServer.demoPassword + "\n")
      #expect(result.status == 0, "\(result)")
      // The approved reply letter, as the IOC reads it before publishing.
      result = try await cli.run(["case", "get", code, "--json"])
      #expect(result.status == 0, "\(result)")
      let before = try JSONDecoder().decode(Fieldreport_V1_GetCaseResponse.self, from: Data(result.stdout.utf8))
      let letter = try #require(before.caseDetail?.result?.replyText)
      #expect(letter.contains("đoàn kiểm tra đã lập biên bản"))

      result = try await cli.run(["case", "publish", code, "--content", Self.note])
      #expect(result.status == 0, "\(result)")
      #expect(result.stdout.contains("published (reporter-only): Kính gửi: Quý Ông/Bà."), "\(result)")
      #expect(result.stdout.contains("đoàn kiểm tra đã lập biên bản"), "\(result)")
      #expect(result.stdout.contains("IOC note: \(Self.note)"), "\(result)")

      result = try await cli.run(["case", "get", code, "--json"])
      let after = try JSONDecoder().decode(Fieldreport_V1_GetCaseResponse.self, from: Data(result.stdout.utf8))
      #expect(after.caseDetail?.publication?.publishedText == letter)
      #expect(after.caseDetail?.publication?.iocNote == Self.note)
      result = try await cli.run(["case", "get", code])
      #expect(result.stdout.contains("IOC note"), "\(result)")

      result = try await cli.run(["journal", "list", code])
      #expect(result.status == 0, "\(result)")
      let row = try #require(result.stdout.split(separator: "\n").last { $0.contains("publish") })
      #expect(row.contains("IOC note: \(Self.note)"), "\(row)")
      #expect(row.contains("Published: Kính gửi"), "\(row)")
    }
  }

  @Test("--content X --text Y: the citizen gets Y, the journal keeps the note X")
  func contentAndTextBothKept() async throws {
    try await withTemporaryDirectory { folder in
      let server = try await DemoServer.start(in: folder)
      defer { server.stop() }
      let cli = try CLIRunner(folder: folder)
      let code = try await Self.resolvedByDemo(cli, server)
      var result = try await cli.run(["login", "--server", server.address, "quan.tm", "--password-stdin"], stdin: DemoServer.demoPassword + "\n")
      #expect(result.status == 0, "\(result)")
      let text = "Đã giải tỏa vỉa hè tại 99 Bùi Thị Xuân."
      result = try await cli.run(["case", "publish", code, "--content", Self.note, "--text", text, "--json"])
      #expect(result.status == 0, "\(result)")
      let published = try JSONDecoder().decode(Fieldreport_V1_PublishResultResponse.self, from: Data(result.stdout.utf8))
      #expect(published.journalEntry?.content == Self.note)
      guard case .published(let details)? = published.journalEntry?.details else {
        Issue.record("the PUBLISH_RESULT entry carries its details: \(result)")
        return
      }
      #expect(details.publishedText == text)
      result = try await cli.run(["journal", "list", code, "--json"])
      let journal = try JSONDecoder().decode(Fieldreport_V1_ListJournalResponse.self, from: Data(result.stdout.utf8))
      let entry = try #require(journal.entries.last)
      #expect(entry.action == .publishResult && entry.content == Self.note)
      result = try await cli.run(["case", "get", code, "--json"])
      let detail = try JSONDecoder().decode(Fieldreport_V1_GetCaseResponse.self, from: Data(result.stdout.utf8))
      #expect(detail.caseDetail?.publication?.publishedText == text)
    }
  }

  @Test("--dry-run shows the scope the call would send: everyone for a public case, the reporter only otherwise")
  func dryRunShowsTheScopeSent() async throws {
    try await withTemporaryDirectory { folder in
      let server = try await DemoServer.start(in: folder)
      defer { server.stop() }
      let cli = try CLIRunner(folder: folder)
      var result = try await cli.run(["--profile", "platform", "login", "--server", server.address, "--api-key", server.platformAPIKey])
      #expect(result.status == 0, "\(result)")
      var codes: [Bool: String] = [:]
      for isPublic in [true, false] {
        result = try await cli.run(
          ["case", "submit", "--profile", "platform", "--title", "Tụ tập gây ồn ào", "--content", "Sau 22 giờ",
           "--category", "TRAT-TU-CONG-CONG", "--reporter-name", "Nguyễn Văn An", "--json"] + (isPublic ? ["--public"] : []))
        #expect(result.status == 0, "\(result)")
        let submitted = try JSONDecoder().decode(Fieldreport_V1_SubmitReportResponse.self, from: Data(result.stdout.utf8))
        codes[isPublic] = try #require(submitted.caseSummary?.reportCode)
      }
      result = try await cli.run(["login", "--server", server.address, "quan.tm", "--password-stdin"], stdin: DemoServer.demoPassword + "\n")
      #expect(result.status == 0, "\(result)")
      for (isPublic, code) in codes {
        result = try await cli.run(["case", "publish", code, "--dry-run"])
        #expect(result.status == 0, "\(result)")
        let request = try JSONDecoder().decode(Fieldreport_V1_PublishResultRequest.self, from: Data(result.stdout.utf8))
        #expect(request.scope == (isPublic ? .everyone : .reporterOnly), "\(result)")
      }
      // An explicit scope is sent as given, with no lookup needed.
      result = try await cli.run(["case", "publish", codes[true] ?? "", "--scope", "reporter-only", "--dry-run"])
      let explicit = try JSONDecoder().decode(Fieldreport_V1_PublishResultRequest.self, from: Data(result.stdout.utf8))
      #expect(explicit.scope == .reporterOnly)
    }
  }
}
