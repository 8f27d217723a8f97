import Foundation
import Testing
import TestSupport

/// `fieldreport call` (issue 12 item 12): any method by name from the server's reflection, run
/// as a subprocess against fieldreport-server and against a server exposing services the CLI
/// was built without.
@Suite("fieldreport call: a generic call by name")
struct CallCommandTests {
  @Test("list, describe and call fieldreport-server's methods with the profile: inline JSON, -d @file, stdin; errors")
  func fieldReportServer() async throws {
    try await withTemporaryDirectory { folder in
      let server = try await DemoServer.start(in: folder)
      defer { server.stop() }
      let cli = try CLIRunner(folder: folder)
      var result = try await cli.run(["login", "--server", server.address, "quan.tm", "--password-stdin"], stdin: DemoServer.demoPassword + "\n")
      #expect(result.status == 0, "\(result)")

      result = try await cli.run(["call", "list"])
      #expect(result.status == 0, "\(result)")
      for line in [
        "fieldreport.v1.CaseService", "  GetCase(GetCaseRequest) returns (GetCaseResponse)",
        "  WatchEvents(WatchEventsRequest) returns (stream WatchEventsResponse)", "rpc.v1.Reflection", "rpc.v1.Health",
      ] {
        #expect(result.stdout.split(separator: "\n").contains { $0.hasPrefix(line) }, "no line \(line): \(result)")
      }
      // Served methods only: the contract's test service is described but not served here.
      #expect(!result.stdout.contains("rpc.testing.v1"), "\(result)")
      result = try await cli.run(["call", "list", "--json"])
      #expect(result.stdout.contains(#""method": "fieldreport.v1.JournalService/WatchEvents""#), "\(result)")

      result = try await cli.run(["call", "describe", "fieldreport.v1.CaseService/GetCase"])
      #expect(result.status == 0, "\(result)")
      for part in [
        "rpc fieldreport.v1.CaseService/GetCase(fieldreport.v1.GetCaseRequest) returns (fieldreport.v1.GetCaseResponse);",
        "message fieldreport.v1.GetCaseRequest {", "  oneof key {", "    string report_code = 2;",
        "message fieldreport.v1.GetCaseResponse {",
      ] {
        #expect(result.stdout.contains(part), "no \(part): \(result)")
      }
      // The comments come along: every field of the contract has one.
      #expect(result.stdout.split(separator: "\n").filter { $0.contains("//") }.count >= 4, "\(result)")
      result = try await cli.run(["call", "describe", "CaseState"])
      #expect(result.status == 0 && result.stdout.contains("enum fieldreport.v1.CaseState {"), "\(result)")
      result = try await cli.run(["call", "describe", "CaseStatus"])
      #expect(result.status == 2 && result.stderr.contains("did you mean fieldreport.v1.CaseState"), "\(result)")
      result = try await cli.run(["call", "describe", "CaseService"])
      #expect(result.status == 0 && result.stdout.contains("service fieldreport.v1.CaseService {"), "\(result)")

      // Inline JSON, with the profile's session.
      result = try await cli.run(["call", "fieldreport.v1.IdentityService/WhoAmI"])
      #expect(result.status == 0, "\(result)")
      #expect(result.stdout.contains(#""username": "quan.tm""#), "\(result)")
      // A report submitted by the platform, then read by code three ways.
      result = try await cli.run(["--profile", "platform", "login", "--server", server.address, "--api-key", server.platformAPIKey])
      #expect(result.status == 0, "\(result)")
      result = try await cli.run([
        "--profile", "platform", "call", "CaseService/SubmitReport",
        #"{"idempotencyKey": "k-call-1", "title": "Đèn đường hỏng", "content": "Đường Trần Phú tối", "categoryId": "MOI-TRUONG", "reporter": {"fullName": "Nguyễn Văn An"}}"#,
      ])
      #expect(result.status == 0, "\(result)")
      let code = try #require(result.stdout.firstMatch(of: /"reportCode": "([0-9]+)"/)?.1, "\(result)")
      let request = #"{"reportCode": "\#(code)"}"#
      let file = folder + "/request.json"
      try Data(request.utf8).write(to: URL(fileURLWithPath: file))
      for (arguments, stdin) in [
        (["call", "fieldreport.v1.CaseService/GetCase", request], nil),
        (["call", "fieldreport.v1.CaseService/GetCase", "-d", "@" + file], nil),
        (["call", "/fieldreport.v1.CaseService/GetCase", "-d", "@-"], request),
        (["call", "fieldreport.v1.CaseService.GetCase", "-"], request),
        (["call", "CaseService/GetCase", "-d", "@"], request),
      ] as [([String], String?)] {
        result = try await cli.run(arguments, stdin: stdin)
        #expect(result.status == 0, "\(arguments): \(result)")
        #expect(result.stdout.contains(#""title": "Đèn đường hỏng""#), "\(arguments): \(result)")
        // int64 fields are strings in proto3 JSON.
        #expect(result.stdout.firstMatch(of: /"version": "1"/) != nil, "\(arguments): \(result)")
      }

      // --dry-run prints the request as the server will read it.
      result = try await cli.run(["call", "CaseService/GetCase", #"{"report_code": "1", "caseId": null}"#, "--dry-run"])
      #expect(result.status == 0 && result.stdout.contains(#""reportCode": "1""#), "\(result)")

      // Errors: an unknown method (near matches), an unknown field, bad JSON, a server refusal.
      result = try await cli.run(["call", "CaseService/GetCas", "{}"])
      #expect(result.status == 2, "\(result)")
      #expect(result.stderr.contains("no method 'CaseService/GetCas'") && result.stderr.contains("fieldreport.v1.CaseService/GetCase"), "\(result)")
      result = try await cli.run(["call", "NoSuchService/Frobnicate"])
      #expect(result.status == 2 && result.stderr.contains("fieldreport call list"), "\(result)")
      result = try await cli.run(["call", "CaseService/GetCase", #"{"reportKode": "1"}"#])
      #expect(result.status == 2, "\(result)")
      #expect(result.stderr.contains(#"unknown field "reportKode" in fieldreport.v1.GetCaseRequest; did you mean "reportCode"?"#), "\(result)")
      result = try await cli.run(["call", "CaseService/GetCase", #"{"reportCode": }"#])
      #expect(result.status == 2 && result.stderr.contains("not valid JSON"), "\(result)")
      result = try await cli.run(["call", "CaseService/GetCase", #"{"reportCode": "010100999"}"#])
      #expect(result.status == 15, "NOT_FOUND: \(result)")
      #expect(result.stderr.contains("NOT_FOUND"), "\(result)")
      result = try await cli.run(["call", "IdentityService/WhoAmI", "--token", "not-a-token"])
      #expect(result.status == 26, "UNAUTHENTICATED: \(result)")

      // Streaming: WatchEvents replays the report's event, one JSON object per line; `| head`
      // ends it quietly (exit 0 with SIGPIPE ignored, as under `trap '' PIPE`).
      let watch = "\(cli.binary.path) call fieldreport.v1.JournalService/WatchEvents '{\"sinceMs\": 0, \"heartbeatIntervalMs\": 1000}'"
      let shell = CLIRunner(folder: folder, binary: URL(fileURLWithPath: "/bin/sh"))
      result = try await shell.run(["-c", "trap '' PIPE; { \(watch); echo \"exit $?\" >&2; } | head -n 1"])
      #expect(result.status == 0, "\(result)")
      let line = try #require(result.stdout.split(separator: "\n").first.map(String.init), "\(result)")
      #expect(line.hasPrefix(#"{"cursor":"#) && line.contains(#""reportCode":"\#(code)""#), "\(result)")
      #expect(result.stderr.contains("exit 0"), "\(result)")
      #expect(!result.stderr.contains("error"), "\(result)")
    }
  }

  @Test("a server with services the CLI was built without: its descriptor set is all the CLI needs")
  func extraService() async throws {
    try await withTemporaryDirectory { folder in
      let server = try await ExtraServiceServer.start(token: "extra-token")
      let cli = try CLIRunner(folder: folder)
      do {
        // A profile with the server and a session token, as `login` leaves it.
        let profiles = folder + "/config/fieldreport/profiles"
        try FileManager.default.createDirectory(atPath: profiles, withIntermediateDirectories: true)
        try Data(#"{"server": "\#(server.address)", "sessionToken": "extra-token"}"#.utf8).write(to: URL(fileURLWithPath: profiles + "/extra.json"))

        var result = try await cli.run(["--profile", "extra", "call", "list"])
        #expect(result.status == 0, "\(result)")
        for line in ["extra.v1.Echo", "  Say(Note) returns (Note)", "  Chorus(Note) returns (stream Note)", "rpc.testing.v1.TestService"] {
          #expect(result.stdout.split(separator: "\n").contains { $0.hasPrefix(line) }, "no line \(line): \(result)")
        }
        result = try await cli.run(["--profile", "extra", "call", "describe", "extra.v1.Echo/Say"])
        #expect(result.status == 0, "\(result)")
        for part in ["// Answers the note as it came.", "rpc extra.v1.Echo/Say(extra.v1.Note) returns (extra.v1.Note);",
                     "  repeated extra.v1.Mood moods = 3;", "  extra.v1.Note reply = 5;", "enum extra.v1.Mood {", "  MOOD_CALM = 1;"] {
          #expect(result.stdout.contains(part), "no \(part): \(result)")
        }

        // Every kind of field of the unknown message goes out and comes back.
        let note = #"{"text": "Xin chào", "count": "-9007199254740993", "moods": ["MOOD_CALM", 7], "blob": "/wAQ", "reply": {"text": "ừ", "count": 2}}"#
        result = try await cli.run(["--profile", "extra", "call", "extra.v1.Echo/Say", note])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == """
          {
            "text": "Xin chào",
            "count": "-9007199254740993",
            "moods": [
              "MOOD_CALM",
              7
            ],
            "blob": "/wAQ",
            "reply": {
              "text": "ừ",
              "count": "2"
            }
          }

          """, "\(result)")
        result = try await cli.run(["--profile", "extra", "call", "Echo/Chorus", #"{"text": "lại"}"#])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == String(repeating: #"{"text":"lại"}"# + "\n", count: 3), "\(result)")
        result = try await cli.run(["--profile", "extra", "call", "Echo/Say", #"{"mood": "MOOD_CALM"}"#])
        #expect(result.status == 2 && result.stderr.contains(#"unknown field "mood" in extra.v1.Note; did you mean "moods"?"#), "\(result)")
        result = try await cli.run(["--profile", "extra", "call", "Echo/Say", #"{"moods": ["MOOD_ANGRY"]}"#])
        #expect(result.status == 2 && result.stderr.contains("MOOD_UNSPECIFIED, MOOD_CALM"), "\(result)")

        // The contract's test service, through its descriptors only.
        result = try await cli.run(["--profile", "extra", "call", "rpc.testing.v1.TestService/UnaryCall", #"{"payload": {"body": "AQID"}}"#])
        #expect(result.status == 0 && result.stdout.contains(#""body": "AQID""#), "\(result)")
        result = try await cli.run(["--profile", "extra", "call", "TestService/EmptyCall"])
        #expect(result.status == 0 && result.stdout == "{}\n", "\(result)")
        result = try await cli.run([
          "--profile", "extra", "call", "TestService/StreamingOutputCall", #"{"responseParameters": [{"size": 1}, {"size": 2, "intervalMs": 20}]}"#,
        ])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == #"{"payload":{"body":"Bw=="}}"# + "\n" + #"{"payload":{"body":"Bwc="}}"# + "\n", "\(result)")
        result = try await cli.run(["--profile", "extra", "call", "TestService/UnaryCall", #"{"responseCode": 9, "responseMessage": "nope"}"#])
        #expect(result.status == 19 && result.stderr.contains("FAILED_PRECONDITION: nope"), "\(result)")
        // A method the descriptor set describes but the server does not serve.
        result = try await cli.run(["--profile", "extra", "call", "rpc.testing.v1.UnimplementedService/UnimplementedCall"])
        #expect(result.status == 2 && result.stderr.contains("no method"), "\(result)")

        // The credentials are the profile's: without them the server refuses.
        result = try await cli.run(["call", "list", "--server", server.address])
        #expect(result.status == 26, "\(result)")
      } catch {
        await server.stop()
        throw error
      }
      await server.stop()
    }
  }
}
