import ArgumentParser
import FieldReportClient

/// `fieldreport case …`: the CaseService (the IOC's and the citizen's side).
struct CaseCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "case",
    abstract: "Reports: submit, get, inbox, dispatch, reject, send back, publish, verdict, categories, attachments, statistics.",
    subcommands: [
      Submit.self, Get.self, List.self, Dispatch.self, Reject.self, SendBack.self, Publish.self,
      Categories.self, CreateCategory.self, Upload.self, Attachment.self, Statistics.self, Volume.self,
      Verdict.self, Duplicates.self, MarkDuplicate.self,
    ],
    aliases: ["cases"]
  )
}

extension CaseCommand {
  /// SubmitReport.
  struct Submit: RPCCommand {
    static let configuration = CommandConfiguration(
      abstract: "Submit a citizen's field report (platform, citizen or IOC operator).",
      aliases: ["submit-report"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput

    @Option(help: "The title (Tiêu đề).") var title: String?
    @Option(name: [.short, .long], help: "The report text (Nội dung).") var content: String?
    @Option(name: .customLong("content-file"), help: "Read the report text from a file.") var contentFile: String?
    @Option(help: "The category: id, code or name (e.g. 'Trật tự công cộng').") var category: String?
    @Option(help: "The event address (Địa chỉ sự kiện).") var address: String?
    @Option(help: "Latitude of the event (WGS 84).") var latitude: Double?
    @Option(help: "Longitude of the event (WGS 84).") var longitude: Double?
    @Option(name: .customLong("reported-at"), help: "When the citizen reported (date, time, +/-Nd/h/m, or Unix ms).") var reportedAt: String?
    @Flag(name: .customLong("public"), help: "The reporter agrees to make the report public (Công khai).") var allowsPublic = false
    @Option(name: .customLong("reporter-name"), help: "The reporter's full name (required for the platform and IOC).") var reporterName: String?
    @Option(name: .customLong("reporter-phone"), help: "The reporter's phone.") var reporterPhone: String?
    @Option(name: .customLong("reporter-id"), help: "The reporter's citizen id on the platform.") var reporterID: String?
    @Option(name: .customLong("reporter-email"), help: "The reporter's e-mail.") var reporterEmail: String?
    @Option(name: .customLong("attachment"), help: "An attachment id (from 'case upload'), repeatable.") var attachments: [String] = []
    @Option(name: .customLong("platform-reference"), help: "The platform's own reference.") var platformReference: String?
    @Option(name: .customLong("linked-case"), help: "The closed or published case this re-reports (id or code).") var linkedCase: String?
    @Option(name: .customLong("idempotency-key"), help: "A key making retries safe (default: a new UUID).") var idempotencyKey: String?

    func build(_ request: inout Fieldreport_V1_SubmitReportRequest, session: CLISession) async throws {
      if let title { request.title = title }
      if let content { request.content = content }
      if let contentFile { request.content = try FileInput.text(contentFile, option: "--content-file") }
      if let category { request.categoryId = try await session.categoryID(for: category) }
      if let address { request.eventAddress = address }
      if let latitude, let longitude {
        var point = Fieldreport_V1_GeoPoint()
        point.latitude = latitude
        point.longitude = longitude
        request.location = point
      } else if latitude != nil || longitude != nil {
        throw CLIError.usage("give both --latitude and --longitude")
      }
      if let reportedAt { request.reportedAtMs = try TimeOption.parse(reportedAt, option: "--reported-at") }
      if allowsPublic { request.reporterAllowsPublic = true }
      if reporterName != nil || reporterPhone != nil || reporterID != nil || reporterEmail != nil {
        var reporter = request.reporter ?? Fieldreport_V1_ReporterInfo()
        if let reporterName { reporter.fullName = reporterName }
        if let reporterPhone { reporter.phone = reporterPhone }
        if let reporterID { reporter.citizenUserId = reporterID }
        if let reporterEmail { reporter.email = reporterEmail }
        request.reporter = reporter
      }
      if !attachments.isEmpty { request.attachmentIds = attachments }
      if let platformReference { request.platformReference = platformReference }
      if let linkedCase { request.linkedCaseId = try await session.caseID(for: linkedCase) }
      if let idempotencyKey { request.idempotencyKey = idempotencyKey }
      if request.idempotencyKey.isEmpty { request.idempotencyKey = UUIDText.random() }
    }

    func call(_ request: Fieldreport_V1_SubmitReportRequest, session: CLISession) async throws -> Fieldreport_V1_SubmitReportResponse {
      try await session.client.cases.submitReport(request)
    }

    func render(_ response: Fieldreport_V1_SubmitReportResponse, session: CLISession) async throws -> String {
      let action = Render.action(response.caseSummary, response.journalEntry, replay: response.idempotentReplay)
      guard !response.duplicateCandidates.isEmpty else { return action }
      return action + "\nlikely duplicates:\n" + Render.duplicateCandidates(response.duplicateCandidates)
    }
  }

  /// GetCase.
  struct Get: RPCCommand {
    static let configuration = CommandConfiguration(
      abstract: "Show a case (processing tab: report, task, assignment, previous step, what you may do).",
      aliases: ["show", "get-case"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Argument(help: "The case: its id or its report code.", completion: ServerCompletion.cases) var caseReference: String?

    func build(_ request: inout Fieldreport_V1_GetCaseRequest, session: CLISession) async throws {
      if let caseReference {
        request.key = CaseReference.isReportCode(caseReference) ? .reportCode(caseReference) : .caseId(caseReference)
      } else if request.key == nil {
        throw CLIError.usage("name the case (its id or report code)")
      }
    }

    func call(_ request: Fieldreport_V1_GetCaseRequest, session: CLISession) async throws -> Fieldreport_V1_GetCaseResponse {
      try await session.client.cases.getCase(request)
    }

    func render(_ response: Fieldreport_V1_GetCaseResponse, session: CLISession) async throws -> String {
      Render.caseDetail(response.caseDetail)
    }
  }

  /// ListCases.
  struct List: RPCCommand {
    static let configuration = CommandConfiguration(
      abstract: "The inbox and case search: No., Title, Sender, Current handler, From, To, with an overdue marker.",
      aliases: ["inbox", "ls", "list-cases"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @OptionGroup var filters: CaseListOptions

    func build(_ request: inout Fieldreport_V1_ListCasesRequest, session: CLISession) async throws {
      try await filters.apply(to: &request, session: session)
    }

    func call(_ request: Fieldreport_V1_ListCasesRequest, session: CLISession) async throws -> Fieldreport_V1_ListCasesResponse {
      try await session.client.cases.listCases(request)
    }

    func render(_ response: Fieldreport_V1_ListCasesResponse, session: CLISession) async throws -> String {
      Render.inbox(response.cases) + Render.nextPage(response.nextPageToken)
    }
  }

  /// DispatchCase.
  struct Dispatch: RPCCommand {
    static let configuration = CommandConfiguration(
      abstract: "Dispatch (Điều phối) a received or returned case to a handling unit (IOC).",
      aliases: ["dispatch-case"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @OptionGroup var action: ActionOptions
    @Option(help: "The handling unit: id, code or name.", completion: ServerCompletion.units) var unit: String?
    @Option(help: "The task deadline (date, time, +Nd, Unix ms); default: the category's.") var due: String?
    @Option(name: .customLong("task-kind"), help: "field-report (default) or professional-work.") var taskKind: Fieldreport_V1_TaskKind?
    @Option(name: .customLong("task-title"), help: "The task title (default: the report's).") var taskTitle: String?
    @Flag(name: .customLong("allow-same-unit"), help: "Allow dispatching back to the unit that returned it.") var allowSameUnit = false
    @Option(name: .customLong("return-window-hours"), help: "Hours the unit has to return the case to the IOC (1 to 720); default: the province's (the server's setting).") var returnWindowHours: Int32?
    @Flag(name: .customLong("return-outside-competence"), help: "For a returned case: confirm it was outside the returning unit's competence (the return then does not count against that unit in the statistics' ranking).") var returnOutsideCompetence = false

    func build(_ request: inout Fieldreport_V1_DispatchCaseRequest, session: CLISession) async throws {
      var common = request.common ?? Fieldreport_V1_ActionCommon()
      try await action.apply(to: &common, session: session)
      request.common = common
      if let unit { request.targetUnitId = try await session.unitID(for: unit) }
      if request.targetUnitId.isEmpty { throw CLIError.usage("--unit is required") }
      if let due { request.taskDueAtMs = try TimeOption.parse(due, option: "--due") }
      if let taskKind { request.taskKind = taskKind }
      if let taskTitle { request.taskTitle = taskTitle }
      if allowSameUnit { request.allowSameUnit = true }
      if let returnWindowHours { request.returnWindowHours = returnWindowHours }
      if returnOutsideCompetence { request.returnOutsideCompetence = true }
    }

    func call(_ request: Fieldreport_V1_DispatchCaseRequest, session: CLISession) async throws -> Fieldreport_V1_DispatchCaseResponse {
      try await session.client.cases.dispatchCase(request)
    }

    func render(_ response: Fieldreport_V1_DispatchCaseResponse, session: CLISession) async throws -> String {
      Render.action(response.caseSummary, response.journalEntry, replay: response.idempotentReplay)
    }
  }

  /// RejectCase.
  struct Reject: RPCCommand {
    static let configuration = CommandConfiguration(
      abstract: "Close a case as spam, duplicate, out of scope (routed onward to --routed-to) or other (IOC).",
      aliases: ["reject-case"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @OptionGroup var action: ActionOptions
    @Option(help: "spam, duplicate, out-of-scope or other.") var reason: Fieldreport_V1_RejectReason?
    @Option(name: .customLong("duplicate-of"), help: "For duplicate: the case it duplicates (id or code).") var duplicateOf: String?
    @Option(name: .customLong("routed-to"), help: "For out-of-scope (required): the agency outside the system that receives the report.") var routedTo: String?
    @Flag(name: .customLong("return-outside-competence"), help: "For a returned case: confirm it was outside the returning unit's competence (the return then does not count against that unit in the statistics' ranking).") var returnOutsideCompetence = false

    func build(_ request: inout Fieldreport_V1_RejectCaseRequest, session: CLISession) async throws {
      var common = request.common ?? Fieldreport_V1_ActionCommon()
      try await action.apply(to: &common, session: session)
      request.common = common
      if let reason { request.reason = reason }
      if let duplicateOf { request.duplicateOfCaseId = try await session.caseID(for: duplicateOf) }
      if let routedTo { request.routedTo = routedTo }
      if returnOutsideCompetence { request.returnOutsideCompetence = true }
    }

    func call(_ request: Fieldreport_V1_RejectCaseRequest, session: CLISession) async throws -> Fieldreport_V1_RejectCaseResponse {
      try await session.client.cases.rejectCase(request)
    }

    func render(_ response: Fieldreport_V1_RejectCaseResponse, session: CLISession) async throws -> String {
      Render.action(response.caseSummary, response.journalEntry, replay: response.idempotentReplay)
    }
  }

  /// SendBackToUnit.
  struct SendBack: RPCCommand {
    static let configuration = CommandConfiguration(
      commandName: "send-back",
      abstract: "Send a resolved case back to the unit for more work (IOC; --content is the reason).",
      aliases: ["send-back-to-unit"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @OptionGroup var action: ActionOptions
    @Option(name: .customLong("new-due"), help: "A new assignment deadline.") var newDue: String?

    func build(_ request: inout Fieldreport_V1_SendBackToUnitRequest, session: CLISession) async throws {
      var common = request.common ?? Fieldreport_V1_ActionCommon()
      try await action.apply(to: &common, session: session)
      request.common = common
      if let newDue { request.newDueAtMs = try TimeOption.parse(newDue, option: "--new-due") }
    }

    func call(_ request: Fieldreport_V1_SendBackToUnitRequest, session: CLISession) async throws -> Fieldreport_V1_SendBackToUnitResponse {
      try await session.client.cases.sendBackToUnit(request)
    }

    func render(_ response: Fieldreport_V1_SendBackToUnitResponse, session: CLISession) async throws -> String {
      Render.action(response.caseSummary, response.journalEntry, replay: response.idempotentReplay)
    }
  }

  /// PublishResult.
  struct Publish: RPCCommand {
    static let configuration = CommandConfiguration(
      abstract: "Publish the result (Đăng tải kết quả) to the citizen's app (IOC).",
      discussion: """
        The citizen is shown the approved reply letter, or --text when given. --content is the \
        IOC's note on the step: kept in the journal as the IOC's own record, never shown to the \
        citizen. Without --scope the case is read (also with --dry-run, so that the dry run \
        shows the scope the call would send).
        """,
      aliases: ["publish-result"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @OptionGroup var action: ActionOptions
    @Option(help: "everyone or reporter-only (default: everyone when the case is public, else reporter-only).") var scope: Fieldreport_V1_PublishScope?
    @Option(help: "The text shown to the citizen (default: the approved reply letter).") var text: String?

    func build(_ request: inout Fieldreport_V1_PublishResultRequest, session: CLISession) async throws {
      var common = request.common ?? Fieldreport_V1_ActionCommon()
      try await action.apply(to: &common, session: session)
      request.common = common
      if let scope { request.scope = scope }
      if request.scope == .unspecified {
        // Read in a dry run too: the dry run prints exactly what the call would send.
        request.scope = try await Self.defaultScope(for: common.caseId, session: session)
      }
      if let text { request.publishedText = text }
    }

    /// The scope used when none is given: everyone for a public case, else the reporter only.
    static func defaultScope(for caseReference: String, session: CLISession) async throws -> Fieldreport_V1_PublishScope {
      try await session.resolveCase(caseReference).isPublic ? .everyone : .reporterOnly
    }

    func call(_ request: Fieldreport_V1_PublishResultRequest, session: CLISession) async throws -> Fieldreport_V1_PublishResultResponse {
      try await session.client.cases.publishResult(request)
    }

    func render(_ response: Fieldreport_V1_PublishResultResponse, session: CLISession) async throws -> String {
      Render.action(response.caseSummary, response.journalEntry, replay: response.idempotentReplay)
    }
  }

  /// ListCategories.
  struct Categories: RPCCommand {
    static let configuration = CommandConfiguration(abstract: "List report categories (Chuyên mục).", aliases: ["list-categories"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Flag(name: .customLong("include-inactive"), help: "Include retired categories.") var includeInactive = false

    func build(_ request: inout Fieldreport_V1_ListCategoriesRequest, session: CLISession) async throws {
      if includeInactive { request.includeInactive = true }
    }

    func call(_ request: Fieldreport_V1_ListCategoriesRequest, session: CLISession) async throws -> Fieldreport_V1_ListCategoriesResponse {
      try await session.client.cases.listCategories(request)
    }

    func render(_ response: Fieldreport_V1_ListCategoriesResponse, session: CLISession) async throws -> String {
      Render.categories(response.categories)
    }
  }

  /// CreateCategory.
  struct CreateCategory: RPCCommand {
    static let configuration = CommandConfiguration(commandName: "create-category", abstract: "Create a report category (system admin).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Option(help: "Unique code, e.g. MOI-TRUONG.") var code: String?
    @Option(help: "Display name, e.g. 'Môi trường'.") var name: String?
    @Option(name: .customLong("default-days"), help: "Default processing time in days (0 = server default).") var defaultDays: Double?

    func build(_ request: inout Fieldreport_V1_CreateCategoryRequest, session: CLISession) async throws {
      if let code { request.categoryCode = code }
      if let name { request.categoryName = name }
      if let defaultDays {
        guard defaultDays >= 0, defaultDays <= 3650 else { throw CLIError.usage("--default-days must be from 0 to 3650") }
        request.defaultProcessingMs = Int64((defaultDays * 86_400_000).rounded())
      }
    }

    func call(_ request: Fieldreport_V1_CreateCategoryRequest, session: CLISession) async throws -> Fieldreport_V1_CreateCategoryResponse {
      try await session.client.cases.createCategory(request)
    }

    func render(_ response: Fieldreport_V1_CreateCategoryResponse, session: CLISession) async throws -> String {
      Render.categories(response.category.map { [$0] } ?? [])
    }
  }

  /// UploadAttachment.
  struct Upload: RPCCommand {
    static let configuration = CommandConfiguration(abstract: "Upload a file (evidence photo, letter) and print its attachment id.", aliases: ["upload-attachment"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Argument(help: "The file to upload.") var file: String?
    @Option(name: .customLong("media-type"), help: "The media type (default: from the extension).") var mediaType: String?
    @Option(help: "The file name to store (default: the file's).") var name: String?

    func build(_ request: inout Fieldreport_V1_UploadAttachmentRequest, session: CLISession) async throws {
      if let file {
        request.data = try FileInput.bytes(file, option: "file")
        request.fileName = name ?? String(file.split(separator: "/").last ?? Substring(file))
        request.mediaType = mediaType ?? MediaType.guess(fileName: request.fileName)
      } else {
        if let name { request.fileName = name }
        if let mediaType { request.mediaType = mediaType }
      }
      if request.data.isEmpty { throw CLIError.usage("name a non-empty file to upload") }
    }

    func call(_ request: Fieldreport_V1_UploadAttachmentRequest, session: CLISession) async throws -> Fieldreport_V1_UploadAttachmentResponse {
      try await session.client.cases.uploadAttachment(request)
    }

    func render(_ response: Fieldreport_V1_UploadAttachmentResponse, session: CLISession) async throws -> String {
      Render.attachment(response.attachment)
    }
  }

  /// GetAttachment.
  struct Attachment: RPCCommand {
    static let configuration = CommandConfiguration(abstract: "Download an attachment (or show its metadata).", aliases: ["get-attachment", "download"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Argument(help: "The attachment id.") var attachmentID: String?
    @Flag(name: .customLong("metadata-only"), help: "Only the reference, not the bytes.") var metadataOnly = false
    @Option(name: [.short, .long], help: "Write the bytes to this file.") var output: String?

    func build(_ request: inout Fieldreport_V1_GetAttachmentRequest, session: CLISession) async throws {
      if let attachmentID { request.attachmentId = attachmentID }
      if metadataOnly { request.metadataOnly = true }
      if request.attachmentId.isEmpty { throw CLIError.usage("name the attachment id") }
    }

    func call(_ request: Fieldreport_V1_GetAttachmentRequest, session: CLISession) async throws -> Fieldreport_V1_GetAttachmentResponse {
      try await session.client.cases.getAttachment(request)
    }

    func render(_ response: Fieldreport_V1_GetAttachmentResponse, session: CLISession) async throws -> String {
      var text = Render.attachment(response.attachment)
      if let output, !response.data.isEmpty {
        try FileOutput.write(response.data, to: output)
        text += "\nwritten to \(output)"
      }
      return text
    }
  }

  /// GetUnitStatistics.
  struct Statistics: RPCCommand {
    static let configuration = CommandConfiguration(
      commandName: "stats",
      abstract: "Fair unit statistics for a period (default: the last 30 days): volume, early / on time / late, on-time rate with its 95 % interval, handling times, returns, rank.",
      aliases: ["statistics", "get-unit-statistics"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Option(name: .customLong("unit"), help: "A unit (id, code or name), repeatable; default: every unit you may see.") var units: [String] = []
    @Option(help: "Period start (default: 30 days ago).") var from: String?
    @Option(help: "Period end, exclusive (default: now).") var to: String?
    @Flag(name: .customLong("by-category"), help: "One row per unit and category.") var byCategory = false
    @Flag(name: .customLong("include-children"), help: "Count child units in their parent's row.") var includeChildren = false

    func build(_ request: inout Fieldreport_V1_GetUnitStatisticsRequest, session: CLISession) async throws {
      for unit in units { request.unitIds.append(try await session.unitID(for: unit)) }
      let now = LocalTime.nowMs()
      if let from { request.periodStartMs = try TimeOption.parse(from, option: "--from") }
      if let to { request.periodEndMs = try TimeOption.parse(to, option: "--to") }
      if request.periodEndMs == 0 { request.periodEndMs = now }
      if request.periodStartMs == 0 { request.periodStartMs = request.periodEndMs - 30 * 86_400_000 }
      if byCategory { request.grouping = .unitCategory }
      if includeChildren { request.includeChildren = true }
    }

    func call(_ request: Fieldreport_V1_GetUnitStatisticsRequest, session: CLISession) async throws -> Fieldreport_V1_GetUnitStatisticsResponse {
      try await session.client.cases.getUnitStatistics(request)
    }

    func render(_ response: Fieldreport_V1_GetUnitStatisticsResponse, session: CLISession) async throws -> String {
      "Period \(Render.time(response.periodStartMs)) – \(Render.time(response.periodEndMs))\n" + Render.statistics(response.rows)
    }
  }

  /// GetCaseVolume.
  struct Volume: RPCCommand {
    static let configuration = CommandConfiguration(
      abstract: "Reports received in a period by category and by week (default: the last 30 days).",
      aliases: ["get-case-volume"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Option(name: .customLong("unit"), help: "Only cases dispatched to this unit (id, code or name), repeatable; default: every case (IOC), your units (leaders).") var units: [String] = []
    @Option(help: "Period start (default: 30 days ago).") var from: String?
    @Option(help: "Period end, exclusive (default: now).") var to: String?

    func build(_ request: inout Fieldreport_V1_GetCaseVolumeRequest, session: CLISession) async throws {
      for unit in units { request.unitIds.append(try await session.unitID(for: unit)) }
      if let from { request.periodStartMs = try TimeOption.parse(from, option: "--from") }
      if let to { request.periodEndMs = try TimeOption.parse(to, option: "--to") }
      if request.periodEndMs == 0 { request.periodEndMs = LocalTime.nowMs() }
      if request.periodStartMs == 0 { request.periodStartMs = request.periodEndMs - 30 * 86_400_000 }
    }

    func call(_ request: Fieldreport_V1_GetCaseVolumeRequest, session: CLISession) async throws -> Fieldreport_V1_GetCaseVolumeResponse {
      try await session.client.cases.getCaseVolume(request)
    }

    func render(_ response: Fieldreport_V1_GetCaseVolumeResponse, session: CLISession) async throws -> String {
      var categories = Table(["Category", "Reports"])
      for row in response.byCategory { categories.append([row.category?.categoryName ?? "", "\(row.caseCount)"]) }
      var weeks = Table(["Week of", "Reports"])
      for row in response.byWeek { weeks.append([ReportPage.date(row.weekStartMs), "\(row.caseCount)"]) }
      return "Period \(Render.time(response.periodStartMs)) – \(Render.time(response.periodEndMs)): \(response.totalCount) reports\n"
        + categories.render() + "\n" + weeks.render()
    }
  }
}

extension CaseCommand {
  /// RecordVerdict (issue 14, item 1).
  struct Verdict: RPCCommand {
    static let configuration = CommandConfiguration(
      abstract: "Relay the reporter's verdict on a published case: a rating 1-5, a comment, and --not-resolved to reopen it at the unit that handled it (platform or the reporting citizen).",
      aliases: ["record-verdict"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Argument(help: "The published case: its id or its report code.", completion: ServerCompletion.cases) var caseReference: String?
    @Option(help: "The reporter's rating, 1 (very unsatisfied) to 5 (very satisfied).") var rating: Int32?
    @Option(help: "The reporter's comment.") var comment: String?
    @Flag(name: .customLong("not-resolved"), help: "The reporter says the problem is not resolved: reopen the case at the unit that handled it.") var notResolved = false
    @Option(name: .customLong("idempotency-key"), help: "A key making retries safe (default: a new UUID).") var idempotencyKey: String?

    func build(_ request: inout Fieldreport_V1_RecordVerdictRequest, session: CLISession) async throws {
      if let caseReference {
        request.caseId = try await session.caseID(for: caseReference)
      } else if request.caseId.isEmpty {
        throw CLIError.usage("name the case (its id or report code)")
      }
      if let rating { request.rating = rating }
      if let comment { request.comment = comment }
      if notResolved { request.notResolved = true }
      if let idempotencyKey { request.idempotencyKey = idempotencyKey }
      if request.idempotencyKey.isEmpty { request.idempotencyKey = UUIDText.random() }
    }

    func call(_ request: Fieldreport_V1_RecordVerdictRequest, session: CLISession) async throws -> Fieldreport_V1_RecordVerdictResponse {
      try await session.client.cases.recordVerdict(request)
    }

    func render(_ response: Fieldreport_V1_RecordVerdictResponse, session: CLISession) async throws -> String {
      var lines: [String] = []
      if let verdict = response.verdict { lines.append(Render.verdict(verdict)) }
      if let reopened = response.reopenedCase {
        lines.append("reopened as \(reopened.reportCode) (\(reopened.caseId)): \(reopened.state.shortName) at \(Render.unit(reopened.currentUnit))")
      }
      if response.idempotentReplay { lines.append("(an earlier identical request: nothing changed)") }
      return lines.joined(separator: "\n")
    }
  }
}

extension CaseCommand {
  /// ListDuplicateCandidates (issue 14, item 2).
  struct Duplicates: RPCCommand {
    static let configuration = CommandConfiguration(
      abstract: "Likely duplicates of a case: same category, within 300 m and 7 days, similar words (IOC).",
      aliases: ["duplicate-candidates", "list-duplicate-candidates"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Argument(help: "The case: its id or its report code.", completion: ServerCompletion.cases) var caseReference: String?

    func build(_ request: inout Fieldreport_V1_ListDuplicateCandidatesRequest, session: CLISession) async throws {
      if let caseReference {
        request.caseId = try await session.caseID(for: caseReference)
      } else if request.caseId.isEmpty {
        throw CLIError.usage("name the case (its id or report code)")
      }
    }

    func call(_ request: Fieldreport_V1_ListDuplicateCandidatesRequest, session: CLISession) async throws -> Fieldreport_V1_ListDuplicateCandidatesResponse {
      try await session.client.cases.listDuplicateCandidates(request)
    }

    func render(_ response: Fieldreport_V1_ListDuplicateCandidatesResponse, session: CLISession) async throws -> String {
      response.candidates.isEmpty ? "no likely duplicates" : Render.duplicateCandidates(response.candidates)
    }
  }

  /// RejectCase as a duplicate of another case (issue 14, item 2).
  struct MarkDuplicate: RPCCommand {
    static let configuration = CommandConfiguration(
      commandName: "mark-duplicate",
      abstract: "Close a case as a duplicate of another (IOC): one handling, the original's; its reporter receives the original's result.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @OptionGroup var action: ActionOptions
    @Option(name: .customLong("of"), help: "The original case (id or report code).") var original: String?

    func build(_ request: inout Fieldreport_V1_RejectCaseRequest, session: CLISession) async throws {
      var common = request.common ?? Fieldreport_V1_ActionCommon()
      try await action.apply(to: &common, session: session)
      request.common = common
      request.reason = .duplicate
      if let original { request.duplicateOfCaseId = try await session.caseID(for: original) }
    }

    func call(_ request: Fieldreport_V1_RejectCaseRequest, session: CLISession) async throws -> Fieldreport_V1_RejectCaseResponse {
      try await session.client.cases.rejectCase(request)
    }

    func render(_ response: Fieldreport_V1_RejectCaseResponse, session: CLISession) async throws -> String {
      Render.action(response.caseSummary, response.journalEntry, replay: response.idempotentReplay)
    }
  }
}
