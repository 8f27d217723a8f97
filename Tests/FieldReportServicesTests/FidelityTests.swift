import FieldReportAPI
@testable import FieldReportServices
import FieldReportStore
import FieldReportWorkflow
import Foundation
import RPCCore
import Testing
import WireBridge

/// The contract's promises that earlier versions kept only partly: nothing the caller sent is
/// silently dropped, and nothing lives only in memory (every test that matters restarts the
/// server on the same SQLite file).
@Suite("Contract fidelity", .timeLimit(.minutes(1)))
struct FidelityTests {
  typealias P = DemoProvince

  /// An upload request.
  static func upload(_ name: String, _ media: String = "application/pdf", bytes: [UInt8]) -> Fieldreport_V1_UploadAttachmentRequest {
    var request = Fieldreport_V1_UploadAttachmentRequest()
    request.fileName = name
    request.mediaType = media
    request.data = bytes
    return request
  }

  @Test("An upload survives a restart: the uploader still downloads it and attaches it under its name; others may not attach it")
  func uploadsAreDurable() async throws {
    let world = try await CaseWorld.make()
    let submitted = try await world.submit("Biên bản kiểm tra")
    let atUnit = try await world.dispatch(submitted, to: P.dongLoc)
    let assigned = try unwrap(try await world.assign(atUnit, by: P.duong, to: P.thang).caseSummary)
    let bytes = Array("Biên bản làm việc tại hiện trường".utf8)
    let uploaded = try unwrap(
      try await world.cases.uploadAttachment(Self.upload("bien-ban.pdf", bytes: bytes), options: world.as(P.thang))
        .attachment)
    #expect(uploaded.uploadedAtMs == world.clock.now.millisecondsSince1970)

    // Restart: nothing in memory survives.
    let server = try await world.server.restarted()
    let after = CaseWorld(server: server, transport: server.inProcess(), tokens: world.tokens)
    defer { Task { await after.close() } }

    var download = Fieldreport_V1_GetAttachmentRequest()
    download.attachmentId = uploaded.attachmentId
    let got = try await after.cases.getAttachment(download, options: after.as(P.thang))
    #expect(got.data == bytes)
    #expect(got.attachment?.fileName == "bien-ban.pdf")
    #expect(got.attachment?.mediaType == "application/pdf")
    #expect(got.attachment?.sizeBytes == Int64(bytes.count))
    #expect(got.attachment?.uploadedBy?.userId == P.thang.id.rawValue)
    #expect(got.attachment?.uploadedAtMs == uploaded.uploadedAtMs)
    // Someone who neither uploaded it nor sees a case carrying it still may not.
    #expect(await failure { _ = try await after.cases.getAttachment(download, options: after.as(P.nam)) } == .notFound)

    // Another person may not attach thang's upload to their own action.
    var contribution = Fieldreport_V1_AddContributionRequest()
    contribution.common = after.common(assigned, "Ý kiến", attachments: [uploaded.attachmentId])
    let refused = await rpcFailure { _ = try await after.assignments.addContribution(contribution, options: after.as(P.duong)) }
    #expect(refused?.code == .invalidArgument)

    // thang attaches it to the result: recorded under the name he uploaded it with.
    var result = Fieldreport_V1_SubmitResultRequest()
    result.common = after.common(assigned, "Kính gửi: Quý Ông/Bà.", attachments: [uploaded.attachmentId])
    let submittedResult = try await after.assignments.submitResult(result, options: after.as(P.thang))
    #expect(submittedResult.journalEntry?.attachments.map(\.fileName) == ["bien-ban.pdf"])
    #expect(submittedResult.journalEntry?.attachments.first?.sha256 == uploaded.sha256)
    // Its leader, who now sees the case, may download it.
    #expect(try await after.cases.getAttachment(download, options: after.as(P.duong)).attachment?.fileName == "bien-ban.pdf")
  }

  @Test("SaveDraft checks the version but bumps none and journals nothing; the draft survives a restart and only its author sees it")
  func draftsAreNotJournaled() async throws {
    let world = try await CaseWorld.make()
    let submitted = try await world.submit("Lấn chiếm vỉa hè")
    let atUnit = try await world.dispatch(submitted, to: P.dongLoc)
    let assigned = try unwrap(try await world.assign(atUnit, by: P.duong, to: P.thang).caseSummary)
    var journalRequest = Fieldreport_V1_ListJournalRequest()
    journalRequest.caseId = assigned.caseId
    let entriesBefore = try await world.journal.listJournal(journalRequest, options: world.as(P.duong)).entries.count

    var draft = Fieldreport_V1_SaveDraftRequest()
    draft.common = world.common(assigned, "Kính gửi: Quý Ông/Bà. (nháp)", notify: true)
    draft.outputProductNumber = "15/UBND-VP"
    let saved = try await world.assignments.saveDraft(draft, options: world.as(P.thang))
    #expect(saved.caseSummary?.version == assigned.version)
    #expect(saved.draft?.outputProductNumber == "15/UBND-VP")
    // Saving again with the same version is fine: the version did not move.
    draft.common = world.common(assigned, "Kính gửi: Quý Ông/Bà. (nháp 2)")
    _ = try await world.assignments.saveDraft(draft, options: world.as(P.thang))
    #expect(
      try await world.journal.listJournal(journalRequest, options: world.as(P.duong)).entries.count == entriesBefore)
    // A stale version is ABORTED.
    var stale = draft
    stale.common = world.common(atUnit, "cũ")
    #expect(await failure { _ = try await world.assignments.saveDraft(stale, options: world.as(P.thang)) } == .aborted)

    let server = try await world.server.restarted()
    let after = CaseWorld(server: server, transport: server.inProcess(), tokens: world.tokens)
    defer { Task { await after.close() } }
    let mine = try unwrap(try await after.get(assigned.caseId, as: P.thang).myDraft)
    #expect(mine.content == "Kính gửi: Quý Ông/Bà. (nháp 2)")
    #expect(mine.outputProductNumber == "15/UBND-VP")
    #expect(try await after.get(assigned.caseId, as: P.duong).myDraft == nil)

    // The leader's view of the version is still current: the draft made nothing stale.
    var reassign = Fieldreport_V1_ReassignRequest()
    reassign.common = after.common(assigned, "Lãnh đạo trực tiếp xử lý")
    var input = Fieldreport_V1_AssignmentInput()
    input.mainHandlerUserId = P.duong.id.rawValue
    input.dueAtMs = after.clock.now.adding(days: 5).millisecondsSince1970
    reassign.assignment = input
    let reassigned = try unwrap(try await after.assignments.reassign(reassign, options: after.as(P.duong)).caseSummary)
    #expect(reassigned.version == assigned.version + 1)
    // No longer the main handler: thang may not save, and no longer sees his draft.
    draft.common = after.common(reassigned, "nháp 3")
    #expect(await failure { _ = try await after.assignments.saveDraft(draft, options: after.as(P.thang)) } == .permissionDenied)
    #expect(try await after.get(assigned.caseId, as: P.thang).myDraft == nil)
  }

  @Test("Case fields the caller sends are stored and returned: platform reference, task title, category processing time, duplicate-of, new deadlines")
  func caseFieldsAreStored() async throws {
    let world = try await CaseWorld.make()
    var category = Fieldreport_V1_CreateCategoryRequest()
    category.categoryCode = "CAY-XANH"
    category.categoryName = "Cây xanh"
    category.defaultProcessingMs = 3 * Timestamp.millisecondsPerDay
    let created = try await world.cases.createCategory(category, options: world.as(CaseWorld.admin))
    #expect(created.category?.defaultProcessingMs == 3 * Timestamp.millisecondsPerDay)

    var report = Fieldreport_V1_SubmitReportRequest()
    report.title = "Cây đổ chắn đường"
    report.content = "Cây đổ sau mưa"
    report.categoryId = "CAY-XANH"
    report.platformReference = "HTI-2026-000123"
    var reporter = Fieldreport_V1_ReporterInfo()
    reporter.fullName = "Trần Văn Bình"
    report.reporter = reporter
    let submitted = try unwrap(try await world.cases.submitReport(report, options: world.as(P.platform)).caseSummary)
    let dispatchedAt = world.clock.now
    var dispatch = Fieldreport_V1_DispatchCaseRequest()
    dispatch.common = world.common(submitted, "Đề nghị xử lý")
    dispatch.targetUnitId = P.dongLoc.rawValue
    dispatch.taskTitle = "Dọn cây đổ đường liên xã"
    let dispatched = try await world.cases.dispatchCase(dispatch, options: world.as(P.quan))
    let atUnit = try unwrap(dispatched.caseSummary)
    #expect(atUnit.title == "Dọn cây đổ đường liên xã")
    // No due time given: the category's processing time, not the server's 10 days.
    if case .dispatch(let details)? = dispatched.journalEntry?.details {
      #expect(details.taskDueAtMs == dispatchedAt.adding(days: 3).millisecondsSince1970)
    } else {
      Issue.record("the journal entry carries no dispatch details")
    }

    // A second report of the same event, rejected as its duplicate.
    let second = try await world.submit("Cây đổ")
    var reject = Fieldreport_V1_RejectCaseRequest()
    reject.common = world.common(second, "Trùng phản ánh")
    reject.reason = .duplicate
    reject.duplicateOfCaseId = submitted.caseId
    _ = try await world.cases.rejectCase(reject, options: world.as(P.quan))

    // Rework with new deadlines, from the leader and then from the IOC.
    let assigned = try unwrap(try await world.assign(atUnit, by: P.duong, to: P.thang).caseSummary)
    let awaiting = try await world.submitResult(assigned, by: P.thang, letter: "Đã dọn")
    let reworkDue = world.clock.now.adding(days: 2).millisecondsSince1970
    var back = Fieldreport_V1_ReturnToOfficerRequest()
    back.common = world.common(awaiting, "Bổ sung ảnh")
    back.newDueAtMs = reworkDue
    let returned = try await world.assignments.returnToOfficer(back, options: world.as(P.duong))
    #expect(returned.caseSummary?.stepDueAtMs == reworkDue)
    if case .returned(let details)? = returned.journalEntry?.details {
      #expect(details.newDueAtMs == reworkDue)
    } else {
      Issue.record("the journal entry carries no return details")
    }
    let resubmitted = try await world.submitResult(try unwrap(returned.caseSummary), by: P.thang, letter: "Đã dọn, có ảnh")
    let resolved = try await world.approve(resubmitted, by: P.duong)
    let iocDue = world.clock.now.adding(days: 20).millisecondsSince1970
    var sendBack = Fieldreport_V1_SendBackToUnitRequest()
    sendBack.common = world.common(resolved, "Đề nghị bổ sung biên bản")
    sendBack.newDueAtMs = iocDue
    let sentBack = try await world.cases.sendBackToUnit(sendBack, options: world.as(P.quan))
    #expect(sentBack.caseSummary?.stepDueAtMs == iocDue)

    // Everything is still there after a restart.
    let server = try await world.server.restarted()
    let after = CaseWorld(server: server, transport: server.inProcess(), tokens: world.tokens)
    defer { Task { await after.close() } }
    let detail = try await after.get(submitted.caseId, as: P.quan)
    #expect(detail.report?.platformReference == "HTI-2026-000123")
    #expect(detail.task?.title == "Dọn cây đổ đường liên xã")
    // The IOC's later deadline extended the unit's task too.
    #expect(detail.task?.dueAtMs == iocDue)
    #expect(detail.assignment?.dueAtMs == iocDue)
    #expect(detail.summary?.stepDueAtMs == iocDue)
    let rejected = try await after.get(second.caseId, as: P.quan)
    #expect(rejected.rejection?.duplicateOfCaseId == submitted.caseId)
  }

  @Test("Identity fields are stored and returned: unit and group times, a user's phone, a role request's note; group edits are compare-and-set")
  func identityFieldsAreStored() async throws {
    let world = try await CaseWorld.make()
    defer { Task { await world.close() } }
    let identity = Fieldreport_V1_IdentityServiceClient(world.transport)
    let now = world.clock.now.millisecondsSince1970

    var unit = Fieldreport_V1_CreateUnitRequest()
    unit.unitCode = "UBND-THACHHA"
    unit.unitName = "UBND Xã Thạch Hà"
    unit.unitKind = .commune
    let createdUnit = try await identity.createUnit(unit, options: world.as(CaseWorld.admin))
    #expect(createdUnit.unit?.createdAtMs == now)

    var user = Fieldreport_V1_CreateUserRequest()
    user.username = "hoa.nt"
    user.fullName = "Nguyễn Thị Hoa"
    user.userKind = .staff
    user.initialPassword = "mat-khau-rat-dai-2026"
    user.phone = "0987654321"
    user.email = "hoa.nt@hatinh.gov.vn"
    let createdUser = try await identity.createUser(user, options: world.as(CaseWorld.admin))
    #expect(createdUser.user?.phone == "0987654321")
    let account = try #require(try await world.store.findUser(username: "hoa.nt"))
    #expect(account.user.email == "hoa.nt@hatinh.gov.vn")

    var group = Fieldreport_V1_CreateGroupRequest()
    group.unitId = P.dongLoc.rawValue
    group.groupName = "Tổ công tác cây xanh"
    group.memberUserIds = [P.thang.id.rawValue]
    let createdGroup = try unwrap(try await identity.createGroup(group, options: world.as(P.duong)).group)
    #expect(createdGroup.createdAtMs == now)
    #expect(createdGroup.updatedAtMs == now)
    world.clock.advance(milliseconds: 60_000)
    var members = Fieldreport_V1_SetGroupMembersRequest()
    members.groupId = createdGroup.groupId
    members.memberUserIds = [P.thang.id.rawValue, P.lan.id.rawValue]
    members.expectedUpdatedAtMs = createdGroup.updatedAtMs
    let changed = try unwrap(try await identity.setGroupMembers(members, options: world.as(P.duong)).group)
    #expect(changed.updatedAtMs == now + 60_000)
    #expect(changed.createdAtMs == now)
    // The same expectation again is stale now.
    #expect(await failure { _ = try await identity.setGroupMembers(members, options: world.as(P.duong)) } == .aborted)

    var role = Fieldreport_V1_RequestRoleRequest()
    role.unitId = P.dongLoc.rawValue
    role.subjectKind = .civilServant
    role.roleKind = .officer
    role.positionTitle = "Công chức địa chính"
    role.requestNote = "Mới điều động về xã từ 01/03"
    _ = try await identity.requestRole(role, options: world.as(P.mai))
    var list = Fieldreport_V1_ListRoleRequestsRequest()
    list.unitId = P.dongLoc.rawValue
    list.status = .pending
    let pending = try await identity.listRoleRequests(list, options: world.as(P.lan)).grants
    #expect(pending.map(\.requestNote) == ["Mới điều động về xã từ 01/03"])
  }

  @Test("ListCases: overdue-only pages are full (a store filter), and each contract order pages stably")
  func listingOrdersAndOverdue() async throws {
    let world = try await CaseWorld.make()
    defer { Task { await world.close() } }
    var submitted: [Fieldreport_V1_CaseSummary] = []
    for index in 0..<6 {
      submitted.append(try await world.submit("Phản ánh số \(index)"))
      world.clock.advance(milliseconds: 60_000)
    }
    // Cases 0, 2 and 4 go to a unit; two days later their return windows have ended.
    var dispatched: [String] = []
    for index in [4, 0, 2] {
      dispatched.append(try await world.dispatch(submitted[index], to: P.dongLoc).caseId)
      world.clock.advance(milliseconds: 60_000)
    }
    world.clock.advance(milliseconds: 2 * 86_400_000)

    func pages(_ request: Fieldreport_V1_ListCasesRequest) async throws -> [[String]] {
      var request = request
      var result: [[String]] = []
      repeat {
        let page = try await world.cases.listCases(request, options: world.as(P.quan))
        result.append(page.cases.map(\.caseId))
        request.pageToken = page.nextPageToken
      } while !request.pageToken.isEmpty && result.count < 10
      return result
    }
    var overdue = Fieldreport_V1_ListCasesRequest()
    overdue.scope = .all
    overdue.overdueOnly = true
    overdue.pageSize = 2
    // Newest step first: the dispatch order reversed, in full pages.
    #expect(try await pages(overdue) == [[dispatched[2], dispatched[1]], [dispatched[0]]])

    var byDue = Fieldreport_V1_ListCasesRequest()
    byDue.scope = .all
    byDue.order = .stepDueAsc
    byDue.pageSize = 2
    // Earliest return window first; cases at the IOC (no due time) last, newest id order among them.
    let dueOrder = try await pages(byDue).flatMap { $0 }
    #expect(Array(dueOrder.prefix(3)) == dispatched)
    #expect(Set(dueOrder.dropFirst(3)) == Set([1, 3, 5].map { submitted[$0].caseId }))

    var reported = Fieldreport_V1_ListCasesRequest()
    reported.scope = .all
    reported.order = .reportedDesc
    reported.pageSize = 4
    #expect(try await pages(reported).flatMap { $0 } == submitted.reversed().map(\.caseId))
    // Oldest report first: first come, first served.
    reported.order = .reportedAsc
    #expect(try await pages(reported).flatMap { $0 } == submitted.map(\.caseId))

    // A token is bound to its order.
    var first = byDue
    first.pageToken = try await world.cases.listCases(byDue, options: world.as(P.quan)).nextPageToken
    first.order = .updatedDesc
    #expect(await failure { _ = try await world.cases.listCases(first, options: world.as(P.quan)) } == .invalidArgument)
  }
}
