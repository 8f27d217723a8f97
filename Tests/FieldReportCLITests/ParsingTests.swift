import Foundation
import ArgumentParser
import FieldReportClient
import Testing
@testable import FieldReportCLI

@Suite("Command-line parsing")
struct ParsingTests {
  @Test("every rpc of the contract has a subcommand", arguments: [
    // IdentityService (25)
    "identity login", "identity logout", "identity whoami", "identity change-password", "identity create-unit",
    "identity list-units", "identity create-user", "identity set-user-disabled", "identity issue-api-key",
    "identity revoke-api-key", "identity search-users", "identity request-role", "identity list-role-requests",
    "identity decide-role-request", "identity list-user-roles", "identity revoke-role", "identity create-group",
    "identity list-groups", "identity set-group-members", "identity delete-group",
    "identity register-certificate", "identity revoke-certificate", "identity list-certificates",
    "identity set-method-rights", "identity method-rights",
    // CaseService (13)
    "case submit", "case get", "case list", "case dispatch", "case reject", "case send-back", "case publish",
    "case categories", "case create-category", "case upload", "case attachment", "case stats", "case volume",
    // AssignmentService (11)
    "assignment assign", "assignment reassign", "assignment return-to-ioc", "assignment transfer",
    "assignment acknowledge", "assignment close-monitoring", "assignment save-draft", "assignment submit-result",
    "assignment contribute", "assignment approve", "assignment return-to-officer",
    "assignment hold", "assignment resume",
    // JournalService (6, and the 3 checkpoint rpcs under `journal checkpoint`)
    "journal list", "journal workflow", "journal watch", "journal notifications", "journal mark-read", "journal verify",
    "journal checkpoint create", "journal checkpoint list", "journal checkpoint show", "journal checkpoint export --out f",
    // Shortcuts
    "login", "logout", "whoami", "inbox", "assign", "demo", "profile", "report --html x.html",
  ])
  func subcommandExists(path: String) throws {
    let command = try FieldReportCommand.parseAsRoot(path.split(separator: " ").map(String.init))
    #expect(!(command is FieldReportCommand))
  }

  @Test("the rpc count matches the generated method tables")
  func rpcCount() {
    let identity = IdentityCommand.configuration.subcommands.count
    let cases = CaseCommand.configuration.subcommands.count
    let assignments = AssignmentCommand.configuration.subcommands.count
    let journal = JournalCommand.configuration.subcommands.count
    // Identity 25 rpcs (Login..DeleteGroup, the client certificates, method rights), Case 15
    // (with RecordVerdict, ListDuplicateCandidates, GetCaseVolume) and mark-duplicate
    // (RejectCase for a duplicate), Assignment 13 (with HoldClock, ResumeClock), Journal 6 plus
    // the `checkpoint` group, whose create, list and show are its 3 rpcs (export writes
    // GetCheckpoint's file).
    let counts: [Int] = [identity, cases, assignments, journal]
    #expect(counts == [25, 16, 13, 7])
    #expect(JournalCommand.Checkpoint.configuration.subcommands.count == 4)
  }

  @Test("aliases reach the same commands")
  func aliases() throws {
    #expect(try FieldReportCommand.parseAsRoot(["case", "inbox"]) is CaseCommand.List)
    #expect(try FieldReportCommand.parseAsRoot(["cases", "ls"]) is CaseCommand.List)
    #expect(try FieldReportCommand.parseAsRoot(["assignment", "process", "x"]) is AssignmentCommand.SubmitResult)
    #expect(try FieldReportCommand.parseAsRoot(["id", "users", "thang"]) is IdentityCommand.SearchUsers)
  }

  @Test("flags parse into typed values")
  func flags() throws {
    let list = try #require(
      try FieldReportCommand.parseAsRoot(["case", "list", "--state", "received", "--state", "AT_UNIT", "--scope", "all", "--overdue", "--json"])
        as? CaseCommand.List)
    #expect(list.filters.states == [.received, .atUnit])
    #expect(list.filters.scope == .all)
    #expect(list.filters.overdue)
    #expect(list.global.json)

    let assign = try #require(
      try FieldReportCommand.parseAsRoot(["assign", "060326001", "--main-handler", "thang", "--coordinator", "a", "--coordinator", "b", "--due", "+3d", "-c", "Phân công Thắng xử lý", "--notify"])
        as? AssignmentCommand.Assign)
    #expect(assign.action.caseReference == "060326001")
    #expect(assign.action.content == "Phân công Thắng xử lý")
    #expect(assign.action.notify)
    #expect(assign.assignment.coordinators == ["a", "b"])
  }

  @Test("bad values are refused before anything is sent", arguments: [
    ["case", "list", "--state", "bogus"],
    ["case", "list", "--timeout", "0"],
    ["case", "get", "x", "--metadata", "novalue"],
    ["case", "dispatch", "x", "--request-json", "{}", "--request-file", "f"],
    ["case", "reject", "x", "--content", "a", "--content-file", "f"],
  ])
  func refused(arguments: [String]) {
    #expect(throws: (any Error).self) { try FieldReportCommand.parseAsRoot(arguments) }
  }

  @Test("enum values accept short, upper-case and full proto names and numbers")
  func enumNames() {
    #expect(Fieldreport_V1_CaseState(argument: "awaiting-approval") == .awaitingApproval)
    #expect(Fieldreport_V1_CaseState(argument: "CASE_STATE_RESOLVED") == .resolved)
    #expect(Fieldreport_V1_CaseState(argument: "in_progress") == .inProgress)
    #expect(Fieldreport_V1_CaseState(argument: "42") == .unrecognized(42))
    #expect(Fieldreport_V1_CaseState(argument: "nope") == nil)
    #expect(Fieldreport_V1_OutputProductKind.officialLetter.shortName == "official-letter")
  }

  @Test("report codes are told apart from ids")
  func caseReferences() {
    #expect(CaseReference.isReportCode("060326001"))
    #expect(CaseReference.isReportCode("0603261000"))
    #expect(!CaseReference.isReportCode("06032600"))
    #expect(!CaseReference.isReportCode("c-060326001"))
    #expect(!CaseReference.isReportCode("０６０３２６００１"))
  }
}

@Suite("Request JSON")
struct RequestJSONTests {
  @Test("a full request in proto3 JSON decodes, enums by name")
  func decodes() throws {
    let input = try RequestInput.parse(["--request-json", #"{"common":{"caseId":"c1","expectedVersion":3,"content":"Nội dung"},"reason":"REJECT_REASON_DUPLICATE","duplicateOfCaseId":"c0"}"#])
    let request = try input.load(Fieldreport_V1_RejectCaseRequest.self)
    #expect(request.common?.caseId == "c1")
    #expect(request.common?.content == "Nội dung")
    #expect(request.reason == .duplicate)
    #expect(request.duplicateOfCaseId == "c0")
  }

  @Test("no JSON gives an empty request")
  func empty() throws {
    #expect(try RequestInput.parse([]).load(Fieldreport_V1_ListCasesRequest.self) == Fieldreport_V1_ListCasesRequest())
  }

  @Test("bad JSON names the message and the problem", arguments: [
    #"{"#, #"{"title": 5}"#, #"{"location": {"latitude": "north"}}"#, #"[1]"#,
  ])
  func badJSON(json: String) throws {
    let input = try RequestInput.parse(["--request-json", json])
    do {
      _ = try input.load(Fieldreport_V1_SubmitReportRequest.self)
      Issue.record("decoded \(json)")
    } catch {
      #expect(error.exitCode == 2)
      #expect(error.description.contains("fieldreport.v1.SubmitReportRequest"))
    }
  }

  @Test("a request file is read, a missing one is a usage error")
  func file() throws {
    try withTemporaryDirectory { root in
      let path = root + "/request.json"
      try #"{"title":"Gây mất trật tự Công cộng"}"#.write(toFile: path, atomically: true, encoding: .utf8)
      #expect(try RequestInput.parse(["--request-file", path]).load(Fieldreport_V1_SubmitReportRequest.self).title == "Gây mất trật tự Công cộng")
      #expect(throws: CLIError.self) { try RequestInput.parse(["--request-file", root + "/missing"]).load(Fieldreport_V1_SubmitReportRequest.self) }
    }
  }

  @Test("responses print as sorted proto3 JSON that decodes back")
  func jsonOutput() throws {
    var summary = Fieldreport_V1_CaseSummary()
    summary.reportCode = "060326001"
    summary.title = "Làm việc gây ồn ào tại 81 Ngô Quyền"
    summary.state = .atUnit
    summary.overdue = true
    var response = Fieldreport_V1_ListCasesResponse()
    response.cases = [summary]
    let text = try JSONOutput.encode(response)
    #expect(text.contains(#""state" : "CASE_STATE_AT_UNIT""#))
    #expect(text.contains("Làm việc gây ồn ào tại 81 Ngô Quyền"))
    let decoded = try JSONDecoder().decode(Fieldreport_V1_ListCasesResponse.self, from: Data(text.utf8))
    #expect(decoded == response)
  }
}
