import FieldReportClient
import Foundation
import TestSupport
import Testing
@testable import FieldReportCLI

/// `fieldreport assignment hold|resume` and `fieldreport journal checkpoint …` as subprocesses
/// against a live demo server (issue 14, items 4 and 6), ending with the exported checkpoint
/// proven by `fieldreport-server verify --checkpoint`.
@Suite("fieldreport clock holds and checkpoints against a live server", .serialized, .timeLimit(.minutes(2)))
struct ClockAndCheckpointCommandTests {
  @Test("hold, a refused step while held, the workflow tab, resume; checkpoint create, list, export, verify")
  func holdResumeAndCheckpoint() async throws {
    try await withTemporaryDirectory { folder in
      let server = try await DemoServer.start(in: folder)
      defer { server.stop() }
      let cli = try CLIRunner(folder: folder)
      let password = DemoServer.demoPassword + "\n"
      for person in ["quan.tm", "duong.lv", "thang.ld"] {
        let login = try await cli.run(["login", "--server", server.address, "--profile", person, person, "--password-stdin"], stdin: password)
        #expect(login.status == 0, "\(login)")
      }
      var result = try await cli.run(["--profile", "platform", "login", "--server", server.address, "--api-key", server.platformAPIKey])
      #expect(result.status == 0, "\(result)")
      result = try await cli.run([
        "case", "submit", "--profile", "platform", "--title", "Cống thoát nước bị tắc", "--content", "Nước tràn ra đường",
        "--category", "Môi trường", "--reporter-name", "Nguyễn Văn An", "--json",
      ])
      #expect(result.status == 0, "\(result)")
      let code = try #require(
        try JSONDecoder().decode(Fieldreport_V1_SubmitReportResponse.self, from: Data(result.stdout.utf8)).caseSummary?.reportCode)
      result = try await cli.run(["--profile", "quan.tm", "case", "dispatch", code, "--unit", "Đồng Lộc"])
      #expect(result.status == 0, "\(result)")
      result = try await cli.run(["--profile", "duong.lv", "assign", code, "--main-handler", "thang.ld", "--due", "+5d", "-c", "Phân công"])
      #expect(result.status == 0, "\(result)")

      // Hold: the kind is required (a usage error names the flag); then the clock stops.
      result = try await cli.run(["--profile", "thang.ld", "assignment", "hold", code, "-c", "Đề nghị bổ sung ảnh"])
      #expect(result.status != 0 && result.stderr.contains("--kind"), "\(result)")
      result = try await cli.run(["--profile", "thang.ld", "assignment", "hold", code, "--kind", "awaiting-citizen", "-c", "Đề nghị bổ sung ảnh"])
      #expect(result.status == 0, "\(result)")
      #expect(result.stdout.contains("clock on hold since") && result.stdout.contains("(awaiting-citizen): Đề nghị bổ sung ảnh"))
      #expect(result.stdout.contains("hold-clock by Lê Đại Thắng"))
      // While held the result cannot be submitted: FAILED_PRECONDITION naming the rule.
      result = try await cli.run(["--profile", "thang.ld", "assignment", "submit-result", code, "-c", "Đã xử lý"])
      #expect(result.status != 0 && result.stderr.contains("CLOCK_ON_HOLD"), "\(result)")
      result = try await cli.run(["--profile", "duong.lv", "journal", "workflow", code])
      #expect(result.status == 0 && result.stdout.contains("(on hold)") && result.stdout.contains("Total held:"), "\(result)")
      // The platform relays the citizen's answer and resumes.
      result = try await cli.run(["--profile", "platform", "assignment", "resume", code, "-c", "Công dân đã gửi ảnh"])
      #expect(result.status == 0, "\(result)")
      #expect(result.stdout.contains("resume-clock by Nền tảng Chính quyền số Hà Tĩnh") && !result.stdout.contains("clock on hold"))

      // Checkpoints: unit staff are refused; the IOC creates, lists and exports one.
      result = try await cli.run(["--profile", "duong.lv", "journal", "checkpoint", "create"])
      #expect(result.status != 0 && result.stderr.contains("PERMISSION_DENIED"), "\(result)")
      result = try await cli.run(["--profile", "quan.tm", "journal", "checkpoint", "create"])
      #expect(result.status == 0 && result.stdout.contains("key fingerprint"), "\(result)")
      let publicKey = try #require(
        result.stdout.split(separator: "\n").first { $0.hasPrefix("public key ") }.map { String($0.dropFirst("public key ".count)) })
      result = try await cli.run(["--profile", "quan.tm", "journal", "checkpoint", "list"])
      #expect(result.status == 0 && result.stdout.contains("on_demand"), "\(result)")
      let file = folder + "/checkpoint.json"
      result = try await cli.run(["--profile", "quan.tm", "journal", "checkpoint", "export", "--out", file])
      #expect(result.status == 0 && result.stdout.contains("Wrote \(file)"), "\(result)")
      result = try await cli.run(["--profile", "quan.tm", "journal", "checkpoint", "export", "--out", file])
      #expect(result.status != 0 && result.stderr.contains("--force"), "\(result)")

      let binary = try #require(builtExecutable("fieldreport-server"))
      let verify = try await Process.runToEnd(
        binary, ["verify", "--checkpoint", file, "--public-key", publicKey, "--database", folder + "/data/fieldreport.sqlite"])
      #expect(verify.status == 0, "\(verify.output)\(verify.error)")
      #expect(verify.output.contains("CHECKPOINT HOLDS"))
    }
  }
}
