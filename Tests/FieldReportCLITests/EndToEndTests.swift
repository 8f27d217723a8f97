import FieldReportClient
import Foundation
import TestSupport
import Testing
@testable import FieldReportCLI

/// The `fieldreport` binary as a subprocess against a real `fieldreport-server --demo`
/// subprocess on a free loopback port with a temporary SQLite file.
@Suite("fieldreport against a live server", .serialized, .timeLimit(.minutes(2)))
struct EndToEndTests {
  @Test("login, submit, inbox as a table and as JSON, refusals with their exit codes")
  func loginSubmitInbox() async throws {
    try await withTemporaryDirectory { folder in
      let server = try await DemoServer.start(in: folder)
      defer { server.stop() }
      let cli = try CLIRunner(folder: folder)
      let password = DemoServer.demoPassword + "\n"

      // The IOC operator logs in; the profile holds the server and token, mode 0600.
      var result = try await cli.run(["login", "--server", server.address, "quan.tm", "--password-stdin"], stdin: password)
      #expect(result.status == 0, "\(result)")
      #expect(result.stdout.contains("Trần Minh Quân"))
      let profilePath = cli.configHome + "/fieldreport/profiles/default.json"
      let profile = try JSONDecoder().decode(Profile.self, from: Data(contentsOf: URL(fileURLWithPath: profilePath)))
      #expect(profile.server == server.address)
      #expect(profile.sessionToken?.isEmpty == false)
      let mode = try FileManager.default.attributesOfItem(atPath: profilePath)[.posixPermissions] as? NSNumber
      #expect(mode?.intValue == 0o600)

      // A wrong password is UNAUTHENTICATED: exit 26, status and message on stderr.
      result = try await cli.run(["login", "--server", server.address, "--profile", "bad", "quan.tm", "--password-stdin"], stdin: "sai-mat-khau\n")
      #expect(result.status == 26, "\(result)")
      #expect(result.stderr.contains("UNAUTHENTICATED"))

      // The platform submits with its API key, from a profile of its own.
      result = try await cli.run(["--profile", "platform", "login", "--server", server.address, "--api-key", server.platformAPIKey])
      #expect(result.status == 0, "\(result)")
      result = try await cli.run([
        "case", "submit", "--profile", "platform", "--title", "Làm việc gây ồn ào tại 81 Ngô Quyền",
        "--content", "Ồn ào sau 22 giờ", "--category", "Trật tự công cộng", "--address", "81 Ngô Quyền",
        "--reporter-name", "Nguyễn Văn An", "--reporter-phone", "0912345678", "--json",
      ])
      #expect(result.status == 0, "\(result)")
      let submitted = try JSONDecoder().decode(Fieldreport_V1_SubmitReportResponse.self, from: Data(result.stdout.utf8))
      let code = try #require(submitted.caseSummary?.reportCode)
      #expect(CaseReference.isReportCode(code))
      #expect(submitted.caseSummary?.state == .received)

      // The whole request as proto3 JSON reaches every field.
      result = try await cli.run([
        "case", "submit", "--profile", "platform", "--request-json",
        #"{"title":"Gây mất trật tự Công cộng","content":"Tụ tập","categoryId":"TRAT-TU-CONG-CONG","reporterAllowsPublic":true,"reporter":{"fullName":"Nguyễn Văn An","phone":"0912345678"},"location":{"latitude":18.34,"longitude":105.9}}"#,
      ])
      #expect(result.status == 0, "\(result)")
      #expect(result.stdout.contains("received (version 1)"))

      // The IOC's inbox: the source's columns; the IOC sees the reporter as the sender.
      result = try await cli.run(["inbox"])
      #expect(result.status == 0, "\(result)")
      let lines = result.stdout.split(separator: "\n").map(String.init)
      let header = try #require(lines.first)
      for column in ["No.", "Title", "Sender", "Current handler", "From", "To"] { #expect(header.contains(column)) }
      let row = try #require(lines.first { $0.contains(code) })
      #expect(row.contains("Làm việc gây ồn ào tại 81 Ngô Quyền"))
      #expect(row.contains("Nguyễn Văn An"))
      #expect(row.contains("Trung tâm IOC"))

      // --json prints the response for scripts.
      result = try await cli.run(["case", "list", "--json", "--state", "received"])
      #expect(result.status == 0, "\(result)")
      let listed = try JSONDecoder().decode(Fieldreport_V1_ListCasesResponse.self, from: Data(result.stdout.utf8))
      #expect(listed.cases.contains { $0.reportCode == code && $0.title == "Làm việc gây ồn ào tại 81 Ngô Quyền" })

      // Dispatch by report code and unit name; a second dispatch is FAILED_PRECONDITION (19).
      result = try await cli.run(["case", "dispatch", code, "--unit", "UBND Xã Đồng Lộc", "--content", "Đề nghị xử lý"])
      #expect(result.status == 0, "\(result)")
      #expect(result.stdout.contains("at-unit (version 2)"))
      result = try await cli.run(["case", "dispatch", code, "--unit", "UBND-DONGLOC"])
      #expect(result.status == 19, "\(result)")
      #expect(result.stderr.contains("FAILED_PRECONDITION"))

      // The commune leader's inbox never shows the reporter: the sender is "Công dân".
      result = try await cli.run(["login", "--profile", "duong", "--server", server.address, "-u", "duong.lv"],
                           environment: ["FIELDREPORT_PASSWORD": DemoServer.demoPassword])
      #expect(result.status == 0, "\(result)")
      result = try await cli.run(["inbox", "--profile", "duong"])
      let leaderRow = try #require(result.stdout.split(separator: "\n").first { $0.contains(code) })
      #expect(leaderRow.contains("Công dân"))
      #expect(!leaderRow.contains("Nguyễn Văn An"))

      // Unknown case: NOT_FOUND (15); a bad field: INVALID_ARGUMENT (13) with the field named.
      result = try await cli.run(["case", "get", "010126999"])
      #expect(result.status == 15, "\(result)")
      #expect(result.stderr.contains("NOT_FOUND"))
      result = try await cli.run(["case", "submit", "--profile", "platform", "--title", "", "--content", "x", "--category", "MOI-TRUONG",
                            "--reporter-name", "A"])
      #expect(result.status == 13, "\(result)")
      #expect(result.stderr.contains("INVALID_ARGUMENT"))
      // The field violation names the flag to fix (issue 12 item 7).
      #expect(result.stderr.contains("  --title: "), "\(result.stderr)")

      // Only the IOC dispatches. The platform sees the report it submitted but may not
      // dispatch it: PERMISSION_DENIED (17). A leader of the commune does not even see a case
      // still at the IOC: NOT_FOUND (15), never PERMISSION_DENIED (docs/API.md).
      var submittedAgain = try await cli.run(["case", "submit", "--profile", "platform", "--title", "Rác thải", "--content", "Rác",
                                        "--category", "MOI-TRUONG", "--reporter-name", "A", "--json"])
      let other = try JSONDecoder().decode(Fieldreport_V1_SubmitReportResponse.self, from: Data(submittedAgain.stdout.utf8))
      submittedAgain = try await cli.run(["case", "dispatch", other.caseSummary?.caseId ?? "", "--expected-version", "1",
                                    "--unit", "UBND-DONGLOC", "--profile", "platform"])
      #expect(submittedAgain.status == 17, "\(submittedAgain)")
      #expect(submittedAgain.stderr.contains("PERMISSION_DENIED"), "\(submittedAgain)")
      submittedAgain = try await cli.run(["case", "dispatch", other.caseSummary?.caseId ?? "", "--expected-version", "1",
                                    "--unit", "UBND-DONGLOC", "--profile", "duong"])
      #expect(submittedAgain.status == 15, "\(submittedAgain)")
      #expect(submittedAgain.stderr.contains("NOT_FOUND"), "\(submittedAgain)")

      // After logout the profile has no token and the server refuses: UNAUTHENTICATED (26).
      result = try await cli.run(["logout"])
      #expect(result.status == 0, "\(result)")
      // `--token=…`: a base64url token may begin with "-", which a separate argument would
      // turn into an unknown option.
      result = try await cli.run(["whoami", "--token=\(profile.sessionToken ?? "")"])
      #expect(result.status == 26, "\(result)")
      result = try await cli.run(["inbox"])
      #expect(result.status == 26, "\(result)")

      // No server there: UNAVAILABLE (24).
      result = try await cli.run(["whoami", "--server", "127.0.0.1:1", "--timeout", "5"])
      #expect(result.status == 24, "\(result)")
    }
  }

  @Test("a refused call names the command's flag, not the contract's field (issue 12 item 7)")
  func errorsNameFlags() async throws {
    try await withTemporaryDirectory { folder in
      let server = try await DemoServer.start(in: folder)
      defer { server.stop() }
      let cli = try CLIRunner(folder: folder)
      var result = try await cli.run(["login", "--server", server.address, "lan.pt", "--password-stdin"], stdin: DemoServer.demoPassword + "\n")
      #expect(result.status == 0, "\(result)")
      // A rejection needs its reason: the server names decision_note, the person typed --note.
      result = try await cli.run(["identity", "decide-role-request", "g-khong-co", "--reject"])
      #expect(result.status == 13, "\(result)")
      #expect(result.stderr.contains("--note"), "\(result.stderr)")
      #expect(!result.stderr.contains("decision_note"), "\(result.stderr)")
    }
  }

  @Test("groups are named by name, diacritics optional, as units and people are")
  func groupsByName() async throws {
    try await withTemporaryDirectory { folder in
      let server = try await DemoServer.start(in: folder)
      defer { server.stop() }
      let cli = try CLIRunner(folder: folder)
      var result = try await cli.run(["login", "--server", server.address, "duong.lv", "--password-stdin"], stdin: DemoServer.demoPassword + "\n")
      #expect(result.status == 0, "\(result)")
      result = try await cli.run(["identity", "set-group-members", "ban chi huy pctt", "--member", "duong.lv", "--member", "thang.ld"])
      #expect(result.status == 0, "\(result)")
      result = try await cli.run(["identity", "delete-group", "Ban chỉ huy PCTT"])
      #expect(result.status == 0, "\(result)")
      #expect(result.stdout.contains("Group deleted"))
    }
  }

  @Test("over mutual TLS: login keeps --ca/--cert/--key in the profile, later commands use them; a registered certificate alone logs in")
  func mutualTLS() async throws {
    try await withTemporaryDirectory { folder in
      try TestCertificates.make(in: folder)
      let server = try await DemoServer.start(
        in: folder,
        extraArguments: ["--tls-cert", folder + "/server.pem", "--tls-key", folder + "/server.key", "--tls-client-ca", folder + "/ca.pem"])
      defer { server.stop() }
      let cli = try CLIRunner(folder: folder)
      let tls = ["--ca", folder + "/ca.pem", "--cert", folder + "/client.pem", "--key", folder + "/client.key"]

      // Without TLS options the mutual-TLS server is unreachable.
      var result = try await cli.run(["--profile", "admin", "login", "--server", server.address, "admin", "--password-stdin"], stdin: "mat-khau-admin-2026\n")
      #expect(result.status != 0, "\(result)")
      // With them, the admin logs in; the profile keeps them for the next commands.
      result = try await cli.run(["--profile", "admin", "login", "--server", server.address, "admin", "--password-stdin"] + tls, stdin: "mat-khau-admin-2026\n")
      #expect(result.status == 0, "\(result)")
      result = try await cli.run(["identity", "register-certificate", "--profile", "admin", "--account", "platform", "--certificate", folder + "/client.pem"])
      #expect(result.status == 0, "\(result)")
      // The certificate alone logs the platform in.
      result = try await cli.run(["--profile", "platform", "login", "--server", server.address] + tls)
      #expect(result.status == 0, "\(result)")
      #expect(result.stdout.contains("Client certificate of"), "\(result)")
      result = try await cli.run(["whoami", "--profile", "platform", "--json"])
      #expect(result.status == 0, "\(result)")
      #expect(result.stdout.contains("AUTH_METHOD_CLIENT_CERTIFICATE"), "\(result.stdout)")
    }
  }

  @Test("an unknown profile is exit 3 with the profiles there are, never a silent fall back")
  func unknownProfile() async throws {
    try await withTemporaryDirectory { folder in
      let cli = try CLIRunner(folder: folder)
      var result = try await cli.run(["--profile", "nobody", "inbox"])
      #expect(result.status == 3, "\(result)")
      #expect(result.stderr.contains("no profile 'nobody'"), "\(result.stderr)")
      result = try await cli.run(["inbox", "--profile", "nobody"], environment: ["FIELDREPORT_PROFILE": "x"])
      #expect(result.status == 3, "\(result)")
    }
  }

  @Test("output into a closed pipe (`| head`) ends the command quietly, without a crash")
  func closedPipe() throws {
    try withTemporaryDirectory { folder in
      let binary = try #require(builtExecutable("fieldreport"))
      let process = Process()
      process.executableURL = binary
      process.arguments = [
        "case", "submit", "--dry-run", "--server", "127.0.0.1:1", "--title", "Ồn ào", "--content", "Sau 22 giờ",
        "--category", "TRAT-TU-CONG-CONG",
      ]
      var environment = ProcessInfo.processInfo.environment
      environment["XDG_CONFIG_HOME"] = folder + "/config"
      process.environment = environment
      let output = Pipe()
      let errors = Pipe()
      process.standardOutput = output
      process.standardError = errors
      // Nobody reads: the first write fails with EPIPE (SIGPIPE is ignored, as a shell under
      // `trap '' PIPE` or a NIO program has it).
      try output.fileHandleForReading.close()
      let previous = signal(SIGPIPE, SIG_IGN)
      defer { signal(SIGPIPE, previous) }
      try process.runSerialized()
      process.waitUntilExit()
      let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      #expect(process.terminationReason == .exit, "\(stderr)")
      #expect(process.terminationStatus == 0, "\(stderr)")
      #expect(!stderr.contains("Fatal error"), "\(stderr)")
    }
  }

  @Test("a 6 MB evidence photo uploads and comes back whole over the socket (the client accepts what the server allows)")
  func largeAttachmentRoundTrip() async throws {
    try await withTemporaryDirectory { folder in
      let server = try await DemoServer.start(in: folder)
      defer { server.stop() }
      let cli = try CLIRunner(folder: folder)
      var result = try await cli.run(["--profile", "platform", "login", "--server", server.address, "--api-key", server.platformAPIKey])
      #expect(result.status == 0, "\(result)")
      var photo = [UInt8](repeating: 0, count: 6_000_000)
      for index in photo.indices { photo[index] = UInt8(truncatingIfNeeded: index &* 2_654_435_761 >> 13) }
      let input = URL(fileURLWithPath: folder).appendingPathComponent("photo.jpg")
      try Data(photo).write(to: input)
      result = try await cli.run(["case", "upload", "--profile", "platform", input.path, "--json"])
      #expect(result.status == 0, "\(result.stderr)")
      let uploaded = try JSONDecoder().decode(Fieldreport_V1_UploadAttachmentResponse.self, from: Data(result.stdout.utf8))
      let id = try #require(uploaded.attachment?.attachmentId)
      #expect(uploaded.attachment?.sizeBytes == 6_000_000)
      let output = URL(fileURLWithPath: folder).appendingPathComponent("back.jpg")
      result = try await cli.run(["case", "attachment", "--profile", "platform", id, "--output", output.path])
      #expect(result.status == 0, "\(result.stderr)")
      #expect(try Data(contentsOf: output) == Data(photo))
    }
  }

  @Test("fieldreport demo drives the four worked examples and a role registration, and can run again")
  func demo() async throws {
    try await withTemporaryDirectory { folder in
      let server = try await DemoServer.start(in: folder)
      defer { server.stop() }
      let cli = try CLIRunner(folder: folder)
      var result = try await cli.run(
        ["demo", "--server", server.address, "--platform-api-key", server.platformAPIKey],
        environment: ["FIELDREPORT_DEMO_PASSWORD": DemoServer.demoPassword])
      #expect(result.status == 0, "\(result)")
      for text in [
        "Làm việc gây ồn ào tại 81 Ngô Quyền", "Gây mất trật tự Công cộng", "Buôn bán hàng rong tại 99 Bùi Thị Xuân",
        "An toàn mùa mưa bão", "Lê Văn Đường (UBND Xã Đồng Lộc): assign (Phân công) to Lê Đại Thắng",
        "Nguyễn Thị Hà (Sở Khoa học và Công nghệ): return to the officer", "role approved",
      ] {
        #expect(result.stdout.contains(text), "missing \(text)")
      }
      let finalRows = result.stdout.split(separator: "\n").suffix(4).map(String.init)
      #expect(finalRows[0].hasSuffix("at-unit"))
      #expect(finalRows[1].hasSuffix("published"))
      #expect(finalRows[2].hasSuffix("resolved"))
      #expect(finalRows[3].hasSuffix("closed"))

      // Again, as JSON, without the platform key (the IOC operator submits): new cases, same ends.
      result = try await cli.run(["demo", "--server", server.address, "--json", "--password", DemoServer.demoPassword])
      #expect(result.status == 0, "\(result)")
      struct Outcome: Decodable { let reportCode: String; let state: Fieldreport_V1_CaseState }
      let outcomes = try JSONDecoder().decode([Outcome].self, from: Data(result.stdout.utf8))
      #expect(outcomes.map(\.state) == [.atUnit, .published, .resolved, .closed])

      // A wrong demo password stops at the first login with a clear message.
      result = try await cli.run(["demo", "--server", server.address, "--password", "sai"])
      #expect(result.status != 0)
      #expect(result.stderr.contains("demo password"))
    }
  }
}
