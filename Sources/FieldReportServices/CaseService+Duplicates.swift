import FieldReportAPI
import FieldReportStore
import FieldReportWorkflow
public import RPCCore
public import WireBridge

// Issue 14, item 2: likely duplicates, and both directions of a duplicate link.
extension CaseService {
  public func listDuplicateCandidates(
    _ request: Fieldreport_V1_ListDuplicateCandidatesRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_ListDuplicateCandidatesResponse {
    let principal = try context.principal()
    guard !request.caseId.isEmpty, request.caseId.utf8.count <= 64 else {
      throw invalidArgument("case_id", "is required")
    }
    guard let c = try await env.store.findCase(id: CaseID(request.caseId)),
      CaseVisibility.canSee(c, viewer: principal.actor)
    else { throw notFound("case \(request.caseId)") }
    // The candidates' sender labels are reporters' names: the IOC's tool, never unit staff's.
    guard principal.actor.has(.iocOperator, at: c.iocUnitID) || principal.actor.isSystemAdmin else {
      throw RPCError(WorkflowRefusal.wrongRole(required: [.iocOperator], unit: c.iocUnitID))
    }
    var response = Fieldreport_V1_ListDuplicateCandidatesResponse()
    response.candidates = try await duplicateCandidates(of: c, viewer: principal.actor)
    return response
  }

  /// The likely duplicates of `c` the viewer may see, rendered for them: the category's cases
  /// of the time window, by the indexed listing (`cases_by_category`), filtered by
  /// ``FieldReportWorkflow/DuplicateDetection``.
  func duplicateCandidates(of c: Case, viewer: Actor) async throws -> [Fieldreport_V1_DuplicateCandidate] {
    let policy = env.policy
    let window = DuplicateDetection.window(around: c, policy: policy)
    // A case is received at or after it was reported (give or take the allowed clock skew) and
    // at most 30 days after: a case reported in the window was received from its start to 30
    // days after its end.
    let page = try await env.store.listCases(
      CaseQuery(
        category: c.categoryID,
        receivedFrom: window.lowerBound.adding(milliseconds: -policy.allowedClockSkewMilliseconds),
        receivedBefore: window.upperBound.adding(milliseconds: policy.maxReportAgeMilliseconds),
        order: .reportedNewest, limit: min(policy.duplicateScanLimit, CaseQuery.maximumLimit)))
    let visible = page.cases.filter { CaseVisibility.canSee($0, viewer: viewer) }
    let found = DuplicateDetection.candidates(for: c, among: visible, policy: policy)
    guard !found.isEmpty else { return [] }
    let byID = visible.keyedByFirst(\.id)
    let cases = found.compactMap { byID[$0.caseID] }
    let renderer = try await CaseRenderer.load(env: env, viewer: viewer, cases: cases)
    return found.compactMap { candidate in
      guard let other = byID[candidate.caseID] else { return nil }
      var wire = Fieldreport_V1_DuplicateCandidate()
      wire.caseSummary = renderer.summary(other)
      wire.similarity = candidate.similarity
      wire.distanceMeters = candidate.distanceMeters
      return wire
    }
  }

  /// The duplicate-link fields of a case's detail: the cases closed as its duplicates (those
  /// the viewer may see), and for a duplicate, its original (its code and, once published, the
  /// result its reporter is shown). Read before the detail is built (``apply(_:to:)``).
  struct DuplicateLinks {
    var duplicateIDs: [String] = []
    var original: Case?

    /// Sets the fields on `detail` (after ``CaseRenderer/fillDetail(_:journal:myDraft:into:)``).
    func apply(to detail: inout Fieldreport_V1_CaseDetail) {
      detail.duplicateCaseIds = duplicateIDs
      guard let original, var closure = detail.closure else { return }
      closure.originalReportCode = original.reportCode.rawValue
      if original.state == .published, let text = original.publication?.text {
        closure.originalResultText = ClosureWording.duplicateResultText(
          originalCode: original.reportCode, published: text)
      }
      detail.closure = closure
    }
  }

  /// Reads ``DuplicateLinks`` of `c` (nothing to read for most cases).
  func duplicateLinks(of c: Case, duplicates: [CaseID], viewer: Actor) async throws -> DuplicateLinks {
    var links = DuplicateLinks()
    for id in duplicates {
      if let duplicate = try await env.store.findCase(id: id), CaseVisibility.canSee(duplicate, viewer: viewer) {
        links.duplicateIDs.append(id.rawValue)
      }
    }
    if c.outcome == .duplicate, let originalID = c.rejection?.duplicateOf {
      links.original = try await env.store.findCase(id: originalID)
    }
    return links
  }
}
