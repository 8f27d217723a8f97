import ArgumentParser
import FieldReportClient
import Testing
@testable import FieldReportCLI

/// Issue 12 item 7: errors name the command's flags, not the contract's field names.
@Suite("Errors in the command's own words")
struct FlagVocabularyTests {
  let dispatch = FlagVocabulary(command: CaseCommand.Dispatch.self, root: FieldReportCommand.self)
  let decide = FlagVocabulary(command: IdentityCommand.DecideRoleRequest.self, root: FieldReportCommand.self)

  @Test func flagsComeFromTheCommandsHelp() {
    #expect(dispatch.flags.isSuperset(of: ["--unit", "--due", "--task-kind", "--task-title", "--allow-same-unit", "--expected-version"]))
    #expect(!dispatch.flags.contains("--note"))
    #expect(decide.flags.isSuperset(of: ["--note", "--approve", "--reject"]))
  }

  @Test func fieldsBecomeFlags() {
    #expect(dispatch.flag(forField: "allow_same_unit") == "--allow-same-unit")
    #expect(dispatch.flag(forField: "return_window_hours") == "--return-window-hours")
    #expect(dispatch.flag(forField: "target_unit_id") == "--unit")
    #expect(dispatch.flag(forField: "task_due_at_ms") == "--due")
    #expect(dispatch.flag(forField: "common.expected_version") == "--expected-version")
    #expect(decide.flag(forField: "decision_note") == "--note")
    #expect(decide.flag(forField: "no_such_field") == nil)
  }

  @Test func messagesAndViolationsAreTold() {
    let sameUnit = RPCError(
      code: .failedPrecondition,
      message: "the case was just returned by this unit; set allow_same_unit to dispatch it there again")
    #expect(ExitStatus.describe(sameUnit, flags: dispatch)
      == "error: FAILED_PRECONDITION: the case was just returned by this unit; set --allow-same-unit to dispatch it there again")
    let note = RPCError(
      code: .invalidArgument, message: "Invalid decision_note: must not be empty.",
      details: [.badRequest([FieldViolation(field: "decision_note", explanation: "must not be empty")])])
    #expect(ExitStatus.describe(note, flags: decide) == "error: INVALID_ARGUMENT: Invalid --note: must not be empty.\n  --note: must not be empty")
    // A role name is not a field; an unknown field stays as the server named it.
    let role = RPCError(code: .permissionDenied, message: "requires an approved unit_leader role at Xã Đồng Lộc")
    #expect(ExitStatus.describe(role, flags: dispatch).hasSuffix("requires an approved unit_leader role at Xã Đồng Lộc"))
    let unknown = RPCError(code: .invalidArgument, message: "Invalid odd_thing: no.")
    #expect(ExitStatus.describe(unknown, flags: dispatch) == "error: INVALID_ARGUMENT: Invalid odd_thing: no.")
  }
}
