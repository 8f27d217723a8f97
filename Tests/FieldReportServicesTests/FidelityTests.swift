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
}
