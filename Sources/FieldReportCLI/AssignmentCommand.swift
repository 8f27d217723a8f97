import ArgumentParser
import FieldReportClient
import Foundation

/// `fieldreport assignment …` (`fieldreport assign` is a shortcut for `assignment assign`):
/// the AssignmentService, the handling unit's side.
struct AssignmentCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "assignment",
    abstract: "The handling unit's actions: assign, return to IOC, transfer for monitoring, process, approve.",
    subcommands: [
      Assign.self, Reassign.self, ReturnToIoc.self, TransferForMonitoring.self, AcknowledgeMonitoring.self,
      CloseMonitoring.self, SaveDraft.self, SubmitResult.self, AddContribution.self, Approve.self, ReturnToOfficer.self,
      HoldClock.self, ResumeClock.self,
    ],
    aliases: ["unit"]
  )
}

/// The assignment fields (`AssignmentInput`) of Assign and Reassign.
struct AssignmentInputOptions: ParsableArguments {
  @Option(name: .customLong("main-handler"), help: "The main handler (Xử lý chính): id, username or name.", completion: ServerCompletion.people) var mainHandler: String?
  @Option(name: .customLong("coordinator"), help: "A coordinator (Phối hợp), repeatable.", completion: ServerCompletion.people) var coordinators: [String] = []
  @Option(name: .customLong("follower"), help: "A follower (Theo dõi), repeatable.", completion: ServerCompletion.people) var followers: [String] = []
  @Option(help: "Start (Từ ngày; default now).") var start: String?
  @Option(help: "Due (Đến ngày): date, time, +Nd, Unix ms.") var due: String?
  @Option(help: "Output product: official-letter, notice, plan, report, data-provision, contract.") var product: Fieldreport_V1_OutputProductKind?
  @Option(name: .customLong("product-number"), help: "The output product's number, e.g. 125/UBND-VP.") var productNumber: String?
  @Flag(name: .customLong("do-not-publish"), help: "Do not make this work public (Không công khai).") var doNotPublish = false

  func apply(to input: inout Fieldreport_V1_AssignmentInput, session: CLISession) async throws {
    if let mainHandler { input.mainHandlerUserId = try await session.userID(for: mainHandler) }
    if !coordinators.isEmpty {
      input.coordinatorUserIds = []
      for person in coordinators { input.coordinatorUserIds.append(try await session.userID(for: person)) }
    }
    if !followers.isEmpty {
      input.followerUserIds = []
      for person in followers { input.followerUserIds.append(try await session.userID(for: person)) }
    }
    if let start { input.startAtMs = try TimeOption.parse(start, option: "--start") }
    if let due { input.dueAtMs = try TimeOption.parse(due, option: "--due") }
    if let product { input.outputProductKind = product }
    if let productNumber { input.outputProductNumber = productNumber }
    if doNotPublish { input.doNotPublish = true }
    if input.mainHandlerUserId.isEmpty { throw CLIError.usage("--main-handler is required") }
    if input.dueAtMs == 0 { throw CLIError.usage("--due is required") }
  }
}

extension AssignmentCommand {
  /// Assign.
  struct Assign: CaseActionCommand {
    static let configuration = CommandConfiguration(
      commandName: "assign", abstract: "Assign (Phân công) a case at your unit: main handler, coordinators, followers, dates (leader).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @OptionGroup var action: ActionOptions
    @OptionGroup var assignment: AssignmentInputOptions

    func buildDetails(_ request: inout Fieldreport_V1_AssignRequest, session: CLISession) async throws {
      var input = request.assignment ?? Fieldreport_V1_AssignmentInput()
      try await assignment.apply(to: &input, session: session)
      request.assignment = input
    }

    func call(_ request: Fieldreport_V1_AssignRequest, session: CLISession) async throws -> Fieldreport_V1_AssignResponse {
      try await session.client.assignments.assign(request)
    }
  }

  /// Reassign.
  struct Reassign: CaseActionCommand {
    static let configuration = CommandConfiguration(abstract: "Replace the assignment of a case in progress (leader).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @OptionGroup var action: ActionOptions
    @OptionGroup var assignment: AssignmentInputOptions

    func buildDetails(_ request: inout Fieldreport_V1_ReassignRequest, session: CLISession) async throws {
      var input = request.assignment ?? Fieldreport_V1_AssignmentInput()
      try await assignment.apply(to: &input, session: session)
      request.assignment = input
    }

    func call(_ request: Fieldreport_V1_ReassignRequest, session: CLISession) async throws -> Fieldreport_V1_ReassignResponse {
      try await session.client.assignments.reassign(request)
    }
  }

  /// ReturnToIoc.
  struct ReturnToIoc: CaseActionCommand {
    static let configuration = CommandConfiguration(
      commandName: "return-to-ioc",
      abstract: "Return the case to the IOC as outside your unit's competence, within the return window (leader; --content is the reason).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @OptionGroup var action: ActionOptions

    func call(_ request: Fieldreport_V1_ReturnToIocRequest, session: CLISession) async throws -> Fieldreport_V1_ReturnToIocResponse {
      try await session.client.assignments.returnToIoc(request)
    }
  }

  /// TransferForMonitoring.
  struct TransferForMonitoring: CaseActionCommand {
    static let configuration = CommandConfiguration(
      commandName: "transfer", abstract: "Transfer for monitoring only (Chuyển theo dõi) to people or groups (leader).",
      discussion: "You are never a recipient of your own transfer: named or in a group, you are left out, and the answer says so.",
      aliases: ["transfer-for-monitoring"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @OptionGroup var action: ActionOptions
    @Option(name: .customLong("recipient"), help: "A recipient (id, username or name), repeatable.", completion: ServerCompletion.people) var recipients: [String] = []
    @Option(name: .customLong("group"), help: "A transfer group: id or name (diacritics optional), repeatable.", completion: ServerCompletion.groups) var groups: [String] = []

    func buildDetails(_ request: inout Fieldreport_V1_TransferForMonitoringRequest, session: CLISession) async throws {
      for person in recipients { request.recipientUserIds.append(try await session.userID(for: person)) }
      for group in groups { request.groupIds.append(try await session.groupID(for: group)) }
    }

    func call(_ request: Fieldreport_V1_TransferForMonitoringRequest, session: CLISession) async throws -> Fieldreport_V1_TransferForMonitoringResponse {
      try await session.client.assignments.transferForMonitoring(request)
    }

    func render(_ response: Fieldreport_V1_TransferForMonitoringResponse, session: CLISession) async throws -> String {
      var text = Render.action(response.caseSummary, response.journalEntry, replay: response.idempotentReplay)
      if !response.leftOut.isEmpty {
        text += "\nleft out: " + response.leftOut.map(\.fullName).joined(separator: ", ")
          + " (the transferring leader is not a recipient of their own transfer)"
      }
      return text
    }
  }

  /// AcknowledgeMonitoring.
  struct AcknowledgeMonitoring: CaseActionCommand {
    static let configuration = CommandConfiguration(
      commandName: "acknowledge", abstract: "Acknowledge a monitoring transfer you received.", aliases: ["ack", "acknowledge-monitoring"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @OptionGroup var action: ActionOptions

    func call(_ request: Fieldreport_V1_AcknowledgeMonitoringRequest, session: CLISession) async throws -> Fieldreport_V1_AcknowledgeMonitoringResponse {
      try await session.client.assignments.acknowledgeMonitoring(request)
    }
  }

  /// CloseMonitoring.
  struct CloseMonitoring: CaseActionCommand {
    static let configuration = CommandConfiguration(commandName: "close-monitoring", abstract: "Close monitoring before everyone acknowledged (leader).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @OptionGroup var action: ActionOptions

    func call(_ request: Fieldreport_V1_CloseMonitoringRequest, session: CLISession) async throws -> Fieldreport_V1_CloseMonitoringResponse {
      try await session.client.assignments.closeMonitoring(request)
    }
  }

  /// SaveDraft.
  struct SaveDraft: RPCCommand {
    static let configuration = CommandConfiguration(commandName: "save-draft", abstract: "Save your work in progress (main handler); no journal entry.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @OptionGroup var action: ActionOptions
    @Option(name: .customLong("product-number"), help: "The output product's number so far.") var productNumber: String?

    func build(_ request: inout Fieldreport_V1_SaveDraftRequest, session: CLISession) async throws {
      var common = request.common ?? Fieldreport_V1_ActionCommon()
      try await action.apply(to: &common, session: session)
      request.common = common
      if let productNumber { request.outputProductNumber = productNumber }
    }

    func call(_ request: Fieldreport_V1_SaveDraftRequest, session: CLISession) async throws -> Fieldreport_V1_SaveDraftResponse {
      try await session.client.assignments.saveDraft(request)
    }

    func render(_ response: Fieldreport_V1_SaveDraftResponse, session: CLISession) async throws -> String {
      Render.summaryLine(response.caseSummary) + "\ndraft saved at \(Render.time(response.draft?.savedAtMs))"
    }
  }

  /// SubmitResult.
  struct SubmitResult: CaseActionCommand {
    static let configuration = CommandConfiguration(
      commandName: "submit-result",
      abstract: "Submit the result (the reply letter in --content) to a leader for approval (main handler).",
      aliases: ["process"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @OptionGroup var action: ActionOptions
    @Option(name: .customLong("next-handler"), help: "The leader who approves (Người xử lý tiếp): id, username or name.") var nextHandler: String?
    @Option(help: "The output product kind.") var product: Fieldreport_V1_OutputProductKind?
    @Option(name: .customLong("product-number"), help: "The output product's number.") var productNumber: String?
    @Flag(name: .customLong("use-template"), help: "Fill the content from the unit's reply-letter template, with --content as the body.") var useTemplate = false
    @Option(name: .customLong("cannot-be-resolved"), help: "The result is that the problem cannot be resolved: why (the citizen is told so).") var cannotBeResolved: String?

    func buildDetails(_ request: inout Fieldreport_V1_SubmitResultRequest, session: CLISession) async throws {
      if let nextHandler { request.nextHandlerUserId = try await session.userID(for: nextHandler) }
      if let cannotBeResolved { request.cannotBeResolvedReason = cannotBeResolved }
      if let product { request.outputProductKind = product }
      if let productNumber { request.outputProductNumber = productNumber }
      if useTemplate, !session.dryRun, var common = request.common {
        var get = Fieldreport_V1_GetCaseRequest()
        get.key = .caseId(common.caseId)
        let template = try await session.client.cases.getCase(get).caseDetail?.replyTemplate ?? ""
        common.content = ReplyLetter.fill(template: template, body: common.content)
        request.common = common
      }
    }

    func call(_ request: Fieldreport_V1_SubmitResultRequest, session: CLISession) async throws -> Fieldreport_V1_SubmitResultResponse {
      try await session.client.assignments.submitResult(request)
    }
  }

  /// AddContribution.
  struct AddContribution: CaseActionCommand {
    static let configuration = CommandConfiguration(
      commandName: "contribute", abstract: "Add a coordinator's contribution to a case in progress.", aliases: ["add-contribution"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @OptionGroup var action: ActionOptions

    func call(_ request: Fieldreport_V1_AddContributionRequest, session: CLISession) async throws -> Fieldreport_V1_AddContributionResponse {
      try await session.client.assignments.addContribution(request)
    }
  }

  /// Approve.
  struct Approve: CaseActionCommand {
    static let configuration = CommandConfiguration(abstract: "Approve (Phê duyệt) the submitted result; it goes to the IOC (leader).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @OptionGroup var action: ActionOptions

    func call(_ request: Fieldreport_V1_ApproveRequest, session: CLISession) async throws -> Fieldreport_V1_ApproveResponse {
      try await session.client.assignments.approve(request)
    }
  }

  /// ReturnToOfficer.
  struct ReturnToOfficer: CaseActionCommand {
    static let configuration = CommandConfiguration(
      commandName: "return-to-officer",
      abstract: "Return the result to the officer for rework (Trả bước trước; leader; --content is the reason).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @OptionGroup var action: ActionOptions
    @Option(help: "The officer (default: the main handler who submitted).") var officer: String?
    @Option(name: .customLong("new-due"), help: "A new deadline.") var newDue: String?

    func buildDetails(_ request: inout Fieldreport_V1_ReturnToOfficerRequest, session: CLISession) async throws {
      if let officer { request.officerUserId = try await session.userID(for: officer) }
      if let newDue { request.newDueAtMs = try TimeOption.parse(newDue, option: "--new-due") }
    }

    func call(_ request: Fieldreport_V1_ReturnToOfficerRequest, session: CLISession) async throws -> Fieldreport_V1_ReturnToOfficerResponse {
      try await session.client.assignments.returnToOfficer(request)
    }
  }
}

/// The unit's reply letter (source §3): the template with the body in place of its
/// "…Nội dung thực hiện…" line (however many dots surround it).
enum ReplyLetter {
  static let placeholder = "Nội dung thực hiện"

  static func fill(template: String, body: String) -> String {
    guard !template.isEmpty else { return body }
    var lines = template.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let isPlaceholder: (String) -> Bool = { line in
      line.trimmingCharacters(in: CharacterSet(charactersIn: " .…")) == placeholder
    }
    if let index = lines.firstIndex(where: isPlaceholder) {
      lines[index] = body
    } else if let index = lines.firstIndex(where: { $0.hasPrefix("Chân thành cảm ơn") }) {
      lines.insert(body, at: index)
    } else {
      lines.append(body)
    }
    return lines.joined(separator: "\n")
  }
}
