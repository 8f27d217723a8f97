import FieldReportAPI
import FieldReportServices
import FieldReportWorkflow
import Foundation
import RPCCore
import StoreTestSupport
import Testing
import WireBridge

/// AssignmentService: every rpc with an allowed caller and a refused one.
@Suite("AssignmentService", .timeLimit(.minutes(1)))
struct AssignmentServiceTests {
  typealias P = DemoProvince

  /// A case dispatched to Xã Đồng Lộc.
  static func atDongLoc(_ world: CaseWorld, _ title: String = "Phản ánh") async throws -> Fieldreport_V1_CaseSummary {
    try await world.dispatch(try await world.submit(title), to: P.dongLoc)
  }

  @Test("Assign: the unit's leader; not its officer, not another unit's leader; the main handler must work there", arguments: StoreEngine.all)
  func assign(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let atUnit = try await Self.atDongLoc(world)
    #expect(await failure { _ = try await world.assign(atUnit, by: P.thang, to: P.thang) } == .permissionDenied)
    #expect(await failure { _ = try await world.assign(atUnit, by: P.nam, to: P.thang) } == .notFound)
    #expect(await failure { _ = try await world.assign(atUnit, by: P.duong, to: P.toan) } == .invalidArgument)

    var missing = Fieldreport_V1_AssignRequest()
    missing.common = world.common(atUnit)
    missing.assignment = Fieldreport_V1_AssignmentInput()
    let refusal: RPCError
    do {
      _ = try await world.assignments.assign(missing, options: world.as(P.duong))
      Issue.record("an assignment without a main handler is refused")
      return
    } catch {
      refusal = error
    }
    #expect(refusal.code == .invalidArgument)
    #expect(refusal.fieldViolations.map(\.field) == ["assignment.main_handler_user_id"])

    let assigned = try await world.assign(atUnit, by: P.duong, to: P.thang, coordinators: [P.lan], followers: [P.mai])
    #expect(assigned.caseSummary?.state == .inProgress)
    // A follower from another unit now sees the case.
    #expect(try await world.get(atUnit.caseId, as: P.mai).summary?.caseId == atUnit.caseId)
  }

  @Test("Reassign: the leader replaces the assignment; the officer may not", arguments: StoreEngine.all)
  func reassign(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let atUnit = try await Self.atDongLoc(world)
    let assigned = try unwrap(try await world.assign(atUnit, by: P.duong, to: P.thang).caseSummary)
    var request = Fieldreport_V1_ReassignRequest()
    var input = Fieldreport_V1_AssignmentInput()
    input.mainHandlerUserId = P.duong.id.rawValue
    input.coordinatorUserIds = [P.thang.id.rawValue]
    request.assignment = input
    request.common = world.common(assigned, "Đổi người xử lý")
    #expect(await failure { _ = try await world.assignments.reassign(request, options: world.as(P.thang)) } == .permissionDenied)
    let reassigned = try await world.assignments.reassign(request, options: world.as(P.duong))
    #expect(reassigned.caseSummary?.currentHandler?.user?.userId == P.duong.id.rawValue)
    #expect(reassigned.journalEntry?.action == .reassign)
  }

  @Test("ReturnToIoc: the leader within the window; not the officer; not after the window", arguments: StoreEngine.all)
  func returnToIoc(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let atUnit = try await Self.atDongLoc(world)
    var request = Fieldreport_V1_ReturnToIocRequest()
    request.common = world.common(atUnit, "Không đúng chức năng nhiệm vụ")
    #expect(await failure { _ = try await world.assignments.returnToIoc(request, options: world.as(P.thang)) } == .permissionDenied)
    var empty = request
    empty.common?.content = ""
    #expect(await failure { _ = try await world.assignments.returnToIoc(empty, options: world.as(P.duong)) } == .invalidArgument)
    let late = try await Self.atDongLoc(world, "Muộn")
    world.clock.advance(milliseconds: Timestamp.millisecondsPerDay + 1)
    var tooLate = Fieldreport_V1_ReturnToIocRequest()
    tooLate.common = world.common(late, "Không đúng chức năng nhiệm vụ")
    #expect(await failure { _ = try await world.assignments.returnToIoc(tooLate, options: world.as(P.duong)) } == .failedPrecondition)
    #expect(await failure { _ = try await world.assignments.returnToIoc(request, options: world.as(P.duong)) } == .failedPrecondition)
    let fresh = try await Self.atDongLoc(world, "Kịp")
    var inTime = Fieldreport_V1_ReturnToIocRequest()
    inTime.common = world.common(fresh, "Không đúng chức năng nhiệm vụ")
    let returned = try await world.assignments.returnToIoc(inTime, options: world.as(P.duong))
    #expect(returned.caseSummary?.state == .returnedToIoc)
  }

  @Test("TransferForMonitoring and CloseMonitoring: the leader; not a recipient, not another unit's group", arguments: StoreEngine.all)
  func transferAndClose(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let atUnit = try await Self.atDongLoc(world)
    var request = Fieldreport_V1_TransferForMonitoringRequest()
    request.common = world.common(atUnit, "Để biết")
    request.recipientUserIds = [P.thang.id.rawValue]
    #expect(await failure { _ = try await world.assignments.transferForMonitoring(request, options: world.as(P.thang)) } == .permissionDenied)
    var foreignGroup = request
    foreignGroup.groupIds = ["tg-khcn"]
    #expect(await failure { _ = try await world.assignments.transferForMonitoring(foreignGroup, options: world.as(P.duong)) } == .notFound)
    var nobody = request
    nobody.recipientUserIds = []
    #expect(await failure { _ = try await world.assignments.transferForMonitoring(nobody, options: world.as(P.duong)) } == .invalidArgument)
    let transferred = try unwrap(
      try await world.assignments.transferForMonitoring(request, options: world.as(P.duong)).caseSummary)

    var ackByOther = Fieldreport_V1_AcknowledgeMonitoringRequest()
    ackByOther.common = world.common(transferred)
    #expect(await failure { _ = try await world.assignments.acknowledgeMonitoring(ackByOther, options: world.as(P.duong)) } == .permissionDenied)

    var close = Fieldreport_V1_CloseMonitoringRequest()
    close.common = world.common(transferred, "Kết thúc theo dõi")
    #expect(await failure { _ = try await world.assignments.closeMonitoring(close, options: world.as(P.thang)) } == .permissionDenied)
    let closed = try await world.assignments.closeMonitoring(close, options: world.as(P.duong))
    #expect(closed.caseSummary?.state == .closed)
  }

  @Test("SaveDraft, AddContribution, SubmitResult: the main handler and the coordinators only", arguments: StoreEngine.all)
  func draftContributionSubmit(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let atUnit = try await Self.atDongLoc(world)
    let assigned = try unwrap(
      try await world.assign(atUnit, by: P.duong, to: P.thang, coordinators: [P.lan]).caseSummary)

    var draft = Fieldreport_V1_SaveDraftRequest()
    draft.common = world.common(assigned, "Bản nháp thư trả lời")
    draft.outputProductNumber = "12/UBND"
    #expect(await failure { _ = try await world.assignments.saveDraft(draft, options: world.as(P.duong)) } == .permissionDenied)
    let saved = try await world.assignments.saveDraft(draft, options: world.as(P.thang))
    #expect(saved.draft?.content == "Bản nháp thư trả lời")
    let afterDraft = try unwrap(saved.caseSummary)
    #expect(afterDraft.state == .inProgress)
    // The draft is the author's: the leader never sees it.
    #expect(try await world.get(atUnit.caseId, as: P.thang).myDraft?.content == "Bản nháp thư trả lời")
    #expect(try await world.get(atUnit.caseId, as: P.duong).myDraft == nil)

    var contribution = Fieldreport_V1_AddContributionRequest()
    contribution.common = world.common(afterDraft, "Văn phòng đã liên hệ các hộ dân")
    #expect(await failure { _ = try await world.assignments.addContribution(contribution, options: world.as(P.thang)) } == .permissionDenied)
    let contributed = try await world.assignments.addContribution(contribution, options: world.as(P.lan))
    let afterContribution = try unwrap(contributed.caseSummary)
    #expect(afterContribution.version == afterDraft.version + 1)
    let detail = try await world.get(atUnit.caseId, as: P.thang)
    #expect(detail.contributions.map(\.content) == ["Văn phòng đã liên hệ các hộ dân"])
    #expect(detail.contributions.first?.journalEntryId == contributed.journalEntry?.entryId)

    #expect(await failure { _ = try await world.submitResult(afterContribution, by: P.lan, letter: "x") } == .permissionDenied)
    var noLetter = Fieldreport_V1_SubmitResultRequest()
    noLetter.common = world.common(afterContribution)
    #expect(await failure { _ = try await world.assignments.submitResult(noLetter, options: world.as(P.thang)) } == .invalidArgument)
    var toOfficer = Fieldreport_V1_SubmitResultRequest()
    toOfficer.common = world.common(afterContribution, "Thư trả lời")
    toOfficer.nextHandlerUserId = P.lan.id.rawValue
    #expect(await failure { _ = try await world.assignments.submitResult(toOfficer, options: world.as(P.thang)) } == .invalidArgument)
    let submitted = try await world.submitResult(afterContribution, by: P.thang, letter: "Thư trả lời")
    #expect(submitted.state == .awaitingApproval)
  }

  @Test("Approve and ReturnToOfficer: the leader; not the officer; the officer must be the main handler", arguments: StoreEngine.all)
  func approveAndReturn(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let atUnit = try await Self.atDongLoc(world)
    let assigned = try unwrap(try await world.assign(atUnit, by: P.duong, to: P.thang).caseSummary)
    let awaiting = try await world.submitResult(assigned, by: P.thang, letter: "Đã xử lý")

    var back = Fieldreport_V1_ReturnToOfficerRequest()
    back.common = world.common(awaiting, "Bổ sung")
    #expect(await failure { _ = try await world.assignments.returnToOfficer(back, options: world.as(P.thang)) } == .permissionDenied)
    var wrongOfficer = back
    wrongOfficer.officerUserId = P.lan.id.rawValue
    #expect(await failure { _ = try await world.assignments.returnToOfficer(wrongOfficer, options: world.as(P.duong)) } == .invalidArgument)
    #expect(await failure { _ = try await world.approve(awaiting, by: P.thang) } == .permissionDenied)
    #expect(await failure { _ = try await world.approve(awaiting, by: P.ha) } == .notFound)
    let resolved = try await world.approve(awaiting, by: P.duong)
    #expect(resolved.state == .resolved)
    // Approving again: the state no longer allows it.
    #expect(await failure { _ = try await world.approve(resolved, by: P.duong) } == .failedPrecondition)
  }

  @Test("A stale expected version is ABORTED and writes nothing; a reused key for another action is ALREADY_EXISTS", arguments: StoreEngine.all)
  func staleAndReusedKeys(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let atUnit = try await Self.atDongLoc(world)
    let assigned = try unwrap(try await world.assign(atUnit, by: P.duong, to: P.thang).caseSummary)
    // The leader acts on the version he saw before assigning.
    var transfer = Fieldreport_V1_TransferForMonitoringRequest()
    transfer.common = world.common(atUnit, "Để biết")
    transfer.recipientUserIds = [P.lan.id.rawValue]
    #expect(await failure { _ = try await world.assignments.transferForMonitoring(transfer, options: world.as(P.duong)) } == .aborted)
    #expect(try await world.get(atUnit.caseId, as: P.duong).summary?.version == assigned.version)

    var submit = Fieldreport_V1_SubmitResultRequest()
    submit.common = world.common(assigned, "Thư trả lời", key: "same-key")
    let first = try await world.assignments.submitResult(submit, options: world.as(P.thang))
    let retry = try await world.assignments.submitResult(submit, options: world.as(P.thang))
    #expect(retry.idempotentReplay)
    #expect(retry.journalEntry?.entryId == first.journalEntry?.entryId)
    var draft = Fieldreport_V1_SaveDraftRequest()
    draft.common = world.common(try unwrap(first.caseSummary), "Nháp", key: "same-key")
    #expect(await failure { _ = try await world.assignments.saveDraft(draft, options: world.as(P.thang)) } == .alreadyExists)
  }
}
