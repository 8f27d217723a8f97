import FieldReportAPI
import FieldReportStore
import FieldReportWorkflow
public import RPCCore
public import WireBridge

// Issue 14, item 1: the reporter's verdict on a published case.
extension CaseService {
  public func recordVerdict(
    _ request: Fieldreport_V1_RecordVerdictRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_RecordVerdictResponse {
    let principal = try context.principal()
    guard !request.caseId.isEmpty, request.caseId.utf8.count <= 64 else {
      throw invalidArgument("case_id", "is required")
    }
    try CaseActionPipeline.validateIdempotencyKey(request.idempotencyKey, field: "idempotency_key")
    let key = CaseActionPipeline.idempotencyKey(request.idempotencyKey, caller: principal)
    guard let original = try await env.store.findCase(id: CaseID(request.caseId)),
      CaseVisibility.canSee(original, viewer: principal.actor)
    else { throw notFound("case \(request.caseId)") }
    let now = env.now()
    let policy = env.policy
    let verdict: CaseVerdict
    switch CaseWorkflow.checkVerdict(
      original, by: principal.actor, rating: Int(request.rating), comment: request.comment,
      notResolved: request.notResolved, now: now, policy: policy)
    {
    case .success(let checked): verdict = checked
    case .failure(let refusal): throw CaseActionPipeline.translate(refusal, fields: [:])
    }
    var reopen: (@Sendable (CaseID, ReportCode) throws -> Transition)?
    if verdict.notResolved {
      let directory = try await loadDirectory(for: original, command: nil, env: env)
      let actor = principal.actor
      reopen = { id, code in
        switch CaseWorkflow.reopen(
          original, verdict: verdict, caseID: id, reportCode: code, by: actor, now: now,
          policy: policy, directory: directory)
        {
        case .success(let transition): return transition
        case .failure(let refusal): throw refusal
        }
      }
    }
    let record: VerdictRecord
    do {
      record = try await env.store.recordVerdict(verdict, idempotencyKey: key, reopen: reopen)
    } catch StoreError.duplicate {
      // One verdict per case; a retry under the first key was answered by the store.
      throw RPCError(WorkflowRefusal.verdictAlreadyRecorded)
    } catch let refusal as WorkflowRefusal {
      throw CaseActionPipeline.translate(refusal, fields: [:])
    }
    var cases = [original]
    if let reopened = record.reopened { cases.append(reopened) }
    let renderer = try await CaseRenderer.load(env: env, viewer: principal.actor, cases: cases)
    var response = Fieldreport_V1_RecordVerdictResponse()
    response.verdict = renderer.verdict(record.verdict, of: original)
    if let reopened = record.reopened { response.reopenedCase = renderer.summary(reopened) }
    response.idempotentReplay = record.isReplay
    return response
  }
}

extension CaseRenderer {
  /// The wire form of a reporter's verdict.
  /// A verdict on `c` as the viewer may see it: a reporter who recorded their own verdict stays
  /// hidden from those who may not see the reporter (unit staff, the public), as everywhere.
  func verdict(_ verdict: CaseVerdict, of c: Case) -> Fieldreport_V1_CaseVerdict {
    var wire = Fieldreport_V1_CaseVerdict()
    wire.caseId = verdict.caseID.rawValue
    wire.unit = unitRef(verdict.unitID)
    wire.rating = Int32(verdict.rating)
    wire.comment = verdict.comment
    wire.notResolved = verdict.notResolved
    let byReporter = verdict.recordedBy == c.reporter.userID
    wire.recordedBy = userRef(
      byReporter && !CaseVisibility.canSeeReporter(c, viewer: viewer) ? CaseVisibility.hiddenUserID : verdict.recordedBy)
    wire.recordedAtMs = verdict.recordedAt.millisecondsSince1970
    wire.reopenedCaseId = verdict.reopenedCaseID?.rawValue ?? ""
    return wire
  }
}
