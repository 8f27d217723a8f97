public import FieldReportAPI
import FieldReportStore
import FieldReportWorkflow
import Logging
public import RPCCore
public import WireBridge

/// Cases from submission to publication, as the IOC, the platform and citizens see them:
/// SubmitReport, GetCase, ListCases (the inbox), the IOC's actions (dispatch, reject, send
/// back, publish), categories, attachments and unit statistics.
///
/// The IOC's actions run through the same ``CaseActionPipeline`` as the unit's actions in
/// ``AssignmentService``.
///
/// # Thread safety
/// Stateless beyond its environment (everything lives in the store); safe to call
/// concurrently.
public struct CaseService: Fieldreport_V1_CaseServiceHandler {
  let env: ServiceEnvironment
  let pipeline: CaseActionPipeline

  /// Creates the service.
  public init(env: ServiceEnvironment) {
    self.env = env
    self.pipeline = CaseActionPipeline(env: env)
  }

  /// Workflow field names of a submission → request paths.
  static let submitFields: [String: String] = [
    "title": "title",
    "description": "content",
    "categoryID": "category_id",
    "location": "location",
    "location.address": "event_address",
    "location.latitude": "location.latitude",
    "location.longitude": "location.longitude",
    "reporter.fullName": "reporter.full_name",
    "reporter.phone": "reporter.phone",
    "reporter.email": "reporter.email",
    "reportedAt": "reported_at_ms",
    "attachments": "attachment_ids",
  ]

  // MARK: Submission

  public func submitReport(
    _ request: Fieldreport_V1_SubmitReportRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_SubmitReportResponse {
    do {
      let principal = try context.principal()
      try CaseActionPipeline.validateIdempotencyKey(request.idempotencyKey, field: "idempotency_key")
      let key = CaseActionPipeline.idempotencyKey(request.idempotencyKey, caller: principal)
      if let key, let earlier = try await env.store.idempotentResult(for: key) {
        guard earlier.entry.entry.action == .submit, earlier.storedCase.title == request.title,
          earlier.storedCase.description == request.content
        else { throw CaseActionPipeline.keyReused }
        return try await submitResponse(earlier, principal: principal)
      }
      let now = env.now()
      let report = try await newReport(request, principal: principal, now: now)
      // The workflow's field checks before anything is queued for the writer.
      try CaseWorkflow.validate(report, now: now, policy: env.policy)
      // Per reporter (replays of a key returned above and are not counted).
      let reporterKey = SubmissionThrottle.key(
        citizenAccount: report.reporter.userID, platformCitizenID: request.reporter?.citizenUserId ?? "",
        phone: report.reporter.phone)
      if let reporterKey, let delay = try await env.submissionThrottle.retryDelay(reporter: reporterKey, now: now) {
        throw RPCError(
          code: .resourceExhausted,
          message:
            "Too many new reports from this reporter (at most \(env.limits.submissionsPerReporter) per "
            + "\(env.limits.submissionWindowMilliseconds / Timestamp.millisecondsPerMinute) minutes); "
            + "try again in \((delay + 999) / 1000) seconds.",
          details: [.retryInfo(delay: .milliseconds(delay))])
      }
      let directory = try await submissionDirectory(report, principal: principal)
      let actor = principal.actor
      let policy = env.policy
      let change = try await env.store.createCase(receivedAt: now, idempotencyKey: key) {
        id, code in
        switch CaseWorkflow.submit(
          report, caseID: id, reportCode: code, by: actor, now: now, policy: policy,
          directory: directory)
        {
        case .success(let transition): return transition
        case .failure(let refusal): throw refusal
        }
      }
      if let reporterKey { await env.submissionThrottle.recordAccepted(reporter: reporterKey, now: now) }
      return try await submitResponse(change, principal: principal)
    } catch let refusal as WorkflowRefusal {
      // The submission's own field names; every other error converts in CallLoggingInterceptor.
      throw CaseActionPipeline.translate(refusal, fields: Self.submitFields)
    }
  }

  private func submitResponse(
    _ change: CaseChangeResult, principal: Principal
  ) async throws -> Fieldreport_V1_SubmitReportResponse {
    let outcome = try await pipeline.render(change, principal: principal)
    var response = Fieldreport_V1_SubmitReportResponse(outcome)
    // Likely duplicates for the IOC operator who took the report in (the IOC decides on
    // duplicates). Not for the platform: it cannot act on them, and scanning the category's
    // recent cases on each of its submissions made SubmitReport nine times dearer
    // (docs/PERFORMANCE.md, eighth session); the IOC sees them with ListDuplicateCandidates.
    if principal.actor.has(.iocOperator, at: change.storedCase.iocUnitID) {
      response.duplicateCandidates = try await duplicateCandidates(of: change.storedCase, viewer: principal.actor)
    }
    return response
  }

  /// Validates a submission and builds the workflow's report from it.
  private func newReport(
    _ request: Fieldreport_V1_SubmitReportRequest, principal: Principal, now: Timestamp
  ) async throws -> NewReport {
    func bounded(_ text: String, _ field: String, max: Int, required: Bool) throws(RPCError) {
      if required, text.allSatisfy(\.isWhitespace) { throw invalidArgument(field, "is required") }
      guard text.utf8.count <= max else { throw invalidArgument(field, "is longer than \(max) bytes") }
    }
    // Title, text, address and the report time are the workflow's rules
    // (``FieldReportWorkflow/WorkflowPolicy``); its refusal names the request field.
    try bounded(request.platformReference, "platform_reference", max: 128, required: false)
    guard !request.categoryId.isEmpty else { throw invalidArgument("category_id", "is required") }
    guard let category = try await env.store.categoriesByID()[CategoryID(request.categoryId)] else {
      throw invalidArgument("category_id", "no such category")
    }
    guard category.isActive else {
      throw invalidArgument("category_id", "\(category.name) no longer accepts reports")
    }
    guard request.attachmentIds.count <= 20 else {
      throw invalidArgument("attachment_ids", "at most 20 attachments")
    }

    if principal.user.kind == .staff, !principal.hasAnywhere(.iocOperator) {
      throw RPCError(
        code: .permissionDenied, message: "Only IOC operators, citizens and the platform submit reports.")
    }
    var reporter: Case.Reporter
    switch principal.user.kind {
    case .citizen:
      // A citizen reports as themselves, whatever the request says.
      reporter = Case.Reporter(
        userID: principal.id, fullName: principal.user.fullName,
        phone: request.reporter?.phone ?? "", email: request.reporter?.email ?? "")
    case .serviceAccount, .staff:
      guard let given = request.reporter else {
        throw invalidArgument("reporter", "is required when submitting on a citizen's behalf")
      }
      try bounded(given.fullName, "reporter.full_name", max: 200, required: true)
      try bounded(given.citizenUserId, "reporter.citizen_user_id", max: 128, required: false)
      reporter = Case.Reporter(
        userID: given.citizenUserId.isEmpty ? nil : UserID(given.citizenUserId),
        fullName: given.fullName, phone: given.phone, email: given.email)
    }

    var linked: CaseID?
    if !request.linkedCaseId.isEmpty {
      guard let earlier = try await env.store.findCase(id: CaseID(request.linkedCaseId)),
        CaseVisibility.canSee(earlier, viewer: principal.actor)
      else { throw notFound("case \(request.linkedCaseId)") }
      guard earlier.state.isTerminal else {
        throw failedPrecondition(
          "LINKED_CASE_OPEN", subject: request.linkedCaseId,
          "only a closed or published case can be re-reported")
      }
      linked = earlier.id
    }
    let attachments = try await resolveAttachments(
      request.attachmentIds, field: "attachment_ids", on: nil, caller: principal.id,
      store: env.store)
    let location = Case.Location(
      address: request.eventAddress, latitude: request.location?.latitude,
      longitude: request.location?.longitude)
    return NewReport(
      iocUnitID: try await iocUnit(for: principal), reporter: reporter, categoryID: category.id,
      title: request.title, description: request.content, location: location,
      isPublic: request.reporterAllowsPublic, attachments: attachments, linkedCaseID: linked,
      reportedAt: request.reportedAtMs.map(Timestamp.init(millisecondsSince1970:)),
      platformReference: request.platformReference)
  }

  /// The IOC centre a submission goes to: the operator's own, else the province's IOC.
  private func iocUnit(for principal: Principal) async throws -> UnitID {
    if let own = principal.grants.first(where: { $0.role == .iocOperator }) { return own.unitID }
    guard let ioc = try await env.store.units().first(where: { $0.kind == .ioc }) else {
      throw failedPrecondition("NO_IOC_UNIT", "no IOC centre is configured")
    }
    return ioc.id
  }

  /// The directory a submission needs: the IOC, its operators (to notify them), the
  /// categories, and the caller.
  private func submissionDirectory(
    _ report: NewReport, principal: Principal
  ) async throws -> Directory {
    let store = env.store
    var units: [FieldReportWorkflow.Unit] = []
    if let ioc = try await store.findUnit(id: report.iocUnitID) { units.append(ioc) }
    let grants = try await store.roleGrants(unitID: report.iocUnitID, status: .approved)
    var users: [User] = [principal.user]
    for id in Set(grants.map(\.userID)) where id != principal.id {
      if let account = try await store.findUser(id: id) { users.append(account.user) }
    }
    var directory = Directory(units: units, users: users, grants: grants + principal.grants)
    // Every category, as the store keeps them by id (built once per change of reference data;
    // building the dictionary here on every submission was 1.5 µs of its event loop's time).
    directory.categories = try await store.categoriesByID()
    return directory
  }

  // MARK: Reading

  public func getCase(
    _ request: Fieldreport_V1_GetCaseRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_GetCaseResponse {
    let principal = try context.principal()
    let key: CaseKey
    switch request.key {
    case .caseId(let id)?:
      guard !id.isEmpty, id.utf8.count <= 64 else { throw invalidArgument("case_id", "is not a case id") }
      key = .id(CaseID(id))
    case .reportCode(let raw)?:
      guard let code = ReportCode(rawValue: raw) else {
        throw invalidArgument("report_code", "is not a report code (DDMMYY and a sequence)")
      }
      key = .code(code)
    case nil:
      throw invalidArgument("key", "give case_id or report_code")
    }
    // One snapshot: the case, its journal, its re-reports and (drafts are private: only the
    // main handler's own, and only to them) the caller's draft.
    guard let view = try await env.store.caseView(key, draftAuthor: principal.id),
      CaseVisibility.canSee(view.case, viewer: principal.actor)
    else { throw notFound("case") }
    let c = view.case
    var renderer = try await CaseRenderer.load(
      env: env, viewer: principal.actor, cases: [c], entries: view.journal.map(\.entry))
    // The result's attachments say when and by whom they were uploaded: their upload records.
    if renderer.visible(c).result != nil { try await renderer.loadResultUploads(of: c, store: env.store) }
    let duplicateLinks = try await duplicateLinks(of: c, duplicates: view.duplicates, viewer: principal.actor)
    // Built after the last await, by a synchronous function, so that no detail waits across one
    // (the detail built first and then stored in the response was copied whole, every string
    // retained and released; one copy of the response is still made at this async return).
    return Self.caseResponse(c, view: view, duplicateLinks: duplicateLinks, renderer: renderer, viewer: principal.actor)
  }

  /// GetCase's response, its detail filled in place (never copied: CaseRenderer.fillDetail).
  private static func caseResponse(
    _ c: Case, view: CaseView, duplicateLinks: DuplicateLinks, renderer: CaseRenderer, viewer: Actor
  ) -> Fieldreport_V1_GetCaseResponse {
    var response = Fieldreport_V1_GetCaseResponse()
    response.caseDetail = Fieldreport_V1_CaseDetail()
    renderer.fillDetail(c, journal: view.journal, myDraft: view.draft, into: &response.caseDetail!)
    // Later re-reports of this case, those the caller may see (a citizen sees their own).
    response.caseDetail!.linkedCaseIds = view.rereports.filter { CaseVisibility.canSee($0, viewer: viewer) }
      .map(\.id.rawValue)
    if let verdict = view.verdict { response.caseDetail!.verdict = renderer.verdict(verdict, of: c) }
    duplicateLinks.apply(to: &response.caseDetail!)
    return response
  }

  // MARK: The IOC's actions

  public func dispatchCase(
    _ request: Fieldreport_V1_DispatchCaseRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_DispatchCaseResponse {
    let outcome = try await pipeline.run(
      request.common ?? .init(), context: context, kind: .dispatch,
      fields: [
        "due": "task_due_at_ms", "title": "task_title", "returnWindow": "return_window_hours",
        "returnOutsideCompetence": "return_outside_competence",
      ]
    ) { current, _ in
      guard !request.targetUnitId.isEmpty, request.targetUnitId.utf8.count <= 64 else {
        throw invalidArgument("target_unit_id", "is required")
      }
      guard let taskType = request.taskKind.domain else {
        throw invalidArgument("task_kind", "unknown value")
      }
      let target = UnitID(request.targetUnitId)
      guard let unit = try await env.store.findUnit(id: target) else {
        throw notFound("unit \(request.targetUnitId)")
      }
      guard unit.isHandlingUnit else {
        throw failedPrecondition(
          "NOT_A_HANDLING_UNIT", subject: unit.id.rawValue, "cases are dispatched to handling units, not to an IOC")
      }
      if current.state == .returnedToIoc, !request.allowSameUnit,
        current.tasks.last?.unitID == target
      {
        throw failedPrecondition(
          "SAME_UNIT", subject: target.rawValue,
          "the case was just returned by this unit; set allow_same_unit to dispatch it there again")
      }
      if let due = request.taskDueAtMs, due <= env.now().millisecondsSince1970 {
        throw invalidArgument("task_due_at_ms", "must be in the future")
      }
      guard request.returnWindowHours >= 0 else {
        throw invalidArgument("return_window_hours", "must be 0 (the province's window) or more")
      }
      return .dispatch(
        DispatchOrder(
          unit: target, taskType: taskType,
          due: request.taskDueAtMs.map(Timestamp.init(millisecondsSince1970:)),
          title: request.taskTitle.isEmpty ? nil : request.taskTitle,
          returnWindowMilliseconds: request.returnWindowHours == 0
            ? nil : Int64(request.returnWindowHours) * Timestamp.millisecondsPerHour,
          returnOutsideCompetence: request.returnOutsideCompetence))
    }
    return Fieldreport_V1_DispatchCaseResponse(outcome)
  }

  public func rejectCase(
    _ request: Fieldreport_V1_RejectCaseRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_RejectCaseResponse {
    let common = request.common ?? .init()
    let outcome = try await pipeline.run(
      common, context: context, kind: .reject,
      fields: [
        "duplicateOf": "duplicate_of_case_id", "routedTo": "routed_to",
        "returnOutsideCompetence": "return_outside_competence",
      ]
    ) { _, principal in
      guard let reason = request.reason.domain else {
        throw invalidArgument("reason", "choose spam, duplicate, out of scope or other")
      }
      switch request.reason {
      case .duplicate:
        guard !request.duplicateOfCaseId.isEmpty else {
          throw invalidArgument("duplicate_of_case_id", "is required for a duplicate")
        }
        guard request.duplicateOfCaseId != common.caseId,
          let original = try await env.store.findCase(id: CaseID(request.duplicateOfCaseId)),
          CaseVisibility.canSee(original, viewer: principal.actor)
        else { throw notFound("case \(request.duplicateOfCaseId)") }
      case .other:
        guard !common.content.allSatisfy(\.isWhitespace) else {
          throw invalidArgument("common.content", "explain the reason")
        }
      default:
        break
      }
      let duplicateOf = request.reason == .duplicate ? CaseID(request.duplicateOfCaseId) : nil
      return .reject(
        reason, duplicateOf: duplicateOf,
        routedTo: request.routedTo.isEmpty ? nil : request.routedTo,
        returnOutsideCompetence: request.returnOutsideCompetence)
    }
    return Fieldreport_V1_RejectCaseResponse(outcome)
  }

  public func sendBackToUnit(
    _ request: Fieldreport_V1_SendBackToUnitRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_SendBackToUnitResponse {
    let outcome = try await pipeline.run(
      request.common ?? .init(), context: context, kind: .sendBackToUnit,
      fields: ["newDue": "new_due_at_ms"]
    ) { _, _ in
      if let due = request.newDueAtMs, due <= env.now().millisecondsSince1970 {
        throw invalidArgument("new_due_at_ms", "must be in the future")
      }
      return .sendBackToUnit(newDue: request.newDueAtMs.map(Timestamp.init(millisecondsSince1970:)))
    }
    return Fieldreport_V1_SendBackToUnitResponse(outcome)
  }

  public func publishResult(
    _ request: Fieldreport_V1_PublishResultRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_PublishResultResponse {
    guard request.publishedText.utf8.count <= env.policy.maxContentLength else {
      throw invalidArgument("published_text", "is longer than \(env.policy.maxContentLength) bytes")
    }
    // The content is the IOC's note (the entry's content); the citizen is shown the published
    // text, or the approved reply letter when none is given (the workflow records which).
    let text = request.publishedText.isEmpty ? nil : request.publishedText
    let outcome = try await pipeline.run(
      request.common ?? .init(), context: context, kind: .publish
    ) { _, _ in
      switch request.scope {
      case .everyone: return .publish(publicly: true, text: text)
      case .reporterOnly: return .publish(publicly: false, text: text)
      default: throw invalidArgument("scope", "choose everyone or reporter only")
      }
    }
    return Fieldreport_V1_PublishResultResponse(outcome)
  }

  // MARK: Categories

  public func listCategories(
    _ request: Fieldreport_V1_ListCategoriesRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_ListCategoriesResponse {
    _ = try context.principal()
    var response = Fieldreport_V1_ListCategoriesResponse()
    response.categories = try await env.store.categories()
      .filter { request.includeInactive || $0.isActive }
      .map(Fieldreport_V1_Category.init)
    return response
  }

  public func createCategory(
    _ request: Fieldreport_V1_CreateCategoryRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_CreateCategoryResponse {
    let principal = try context.principal()
    guard principal.isSystemAdmin else {
      throw RPCError(code: .permissionDenied, message: "Only system administrators create categories.")
    }
    let code = request.categoryCode
    guard (1...32).contains(code.utf8.count),
      code.utf8.allSatisfy({ byte in
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
          || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
      })
    else { throw invalidArgument("category_code", "1 to 32 characters of A-Z, a-z, 0-9, _ and -") }
    let name = request.categoryName
    guard !name.allSatisfy(\.isWhitespace), name.utf8.count <= 200 else {
      throw invalidArgument("category_name", "1 to 200 bytes")
    }
    guard request.defaultProcessingMs >= 0 else {
      throw invalidArgument("default_processing_ms", "must not be negative")
    }
    // Codes are unique case-insensitively: compare before the store's exact-match check.
    if try await env.store.categories().contains(where: {
      $0.id.rawValue.lowercased() == code.lowercased()
    }) {
      throw RPCError(code: .alreadyExists, message: "Already exists: category \(code).")
    }
    let category = FieldReportWorkflow.Category(
      id: CategoryID(code), name: name,
      defaultProcessingMilliseconds: request.defaultProcessingMs > 0 ? request.defaultProcessingMs : nil)
    try await env.store.createCategory(category)
    var response = Fieldreport_V1_CreateCategoryResponse()
    response.category = Fieldreport_V1_Category(category)
    return response
  }
}
