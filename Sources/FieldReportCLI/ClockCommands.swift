import ArgumentParser
import FieldReportClient

// `fieldreport assignment hold|resume`: paused clocks (issue 14, item 4).

extension Fieldreport_V1_ClockHoldKind: ExpressibleByArgument, ProtoEnumArgument {
  static var protoPrefix: String { "CLOCK_HOLD_KIND_" }
}

extension AssignmentCommand {
  /// HoldClock.
  struct HoldClock: CaseActionCommand {
    static let configuration = CommandConfiguration(
      commandName: "hold",
      abstract: "Put the case's clock on hold while waiting for the citizen or another agency (leader or main handler; --content is the reason).",
      discussion: """
        While on hold no deadline runs and the case is never overdue; on resume every deadline moves later by \
        the held time. Only resume, contribute and save-draft are accepted meanwhile. A hold awaiting the \
        citizen tells the reporter's app (through the platform) what is asked.
        """,
      aliases: ["hold-clock"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @OptionGroup var action: ActionOptions
    @Option(help: "What the unit waits for: awaiting-citizen or awaiting-other-agency.") var kind: Fieldreport_V1_ClockHoldKind?

    func buildDetails(_ request: inout Fieldreport_V1_HoldClockRequest, session: CLISession) async throws {
      if let kind { request.kind = kind }
      if request.kind == .unspecified { throw CLIError.usage("--kind is required (awaiting-citizen or awaiting-other-agency)") }
    }

    func call(_ request: Fieldreport_V1_HoldClockRequest, session: CLISession) async throws -> Fieldreport_V1_HoldClockResponse {
      try await session.client.assignments.holdClock(request)
    }
  }

  /// ResumeClock.
  struct ResumeClock: CaseActionCommand {
    static let configuration = CommandConfiguration(
      commandName: "resume",
      abstract: "Resume the case's clock; its deadlines move later by the held time (leader or main handler; the platform for a hold awaiting the citizen).",
      aliases: ["resume-clock"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @OptionGroup var action: ActionOptions

    func call(_ request: Fieldreport_V1_ResumeClockRequest, session: CLISession) async throws -> Fieldreport_V1_ResumeClockResponse {
      try await session.client.assignments.resumeClock(request)
    }
  }
}

extension Fieldreport_V1_HoldClockRequest: CaseActionRequest {}
extension Fieldreport_V1_ResumeClockRequest: CaseActionRequest {}
extension Fieldreport_V1_HoldClockResponse: CaseActionResponse {}
extension Fieldreport_V1_ResumeClockResponse: CaseActionResponse {}
