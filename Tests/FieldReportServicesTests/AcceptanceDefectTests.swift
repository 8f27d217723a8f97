import FieldReportAPI
import FieldReportServices
import FieldReportWorkflow
import Foundation
import RPCCore
import StoreTestSupport
import Testing
import WireBridge

/// Acceptance defects of issue 12 at the service: what a publication shows the citizen and
/// records for the IOC, when and by whom a result's attachments were uploaded, and who is left
/// out of a monitoring transfer.
@Suite("Issue 12 acceptance defects", .timeLimit(.minutes(1)))
struct AcceptanceDefectTests {
  typealias P = DemoProvince
  static let note = "Ghi chú của IOC"

  /// A case resolved with `letter` as its reply, submitted by Thắng with `attachments`.
  static func resolved(
    _ world: CaseWorld, letter: String, attachments: [String] = [], isPublic: Bool = true
  ) async throws -> Fieldreport_V1_CaseSummary {
    let submitted = try await world.submit("Tụ tập gây mất trật tự", isPublic: isPublic)
    let atUnit = try await world.dispatch(submitted, to: P.dongLoc)
    let assigned = try unwrap(try await world.assign(atUnit, by: P.duong, to: P.thang).caseSummary)
    let awaiting = try await world.submitResult(assigned, by: P.thang, letter: letter, attachments: attachments)
    return try await world.approve(awaiting, by: P.duong)
  }

  static func journal(_ world: CaseWorld, _ caseID: String, as person: P.Person) async throws -> [Fieldreport_V1_JournalEntry] {
    var request = Fieldreport_V1_ListJournalRequest()
    request.caseId = caseID
    return try await world.journal.listJournal(request, options: world.as(person)).entries
  }

  @Test("publish with only the IOC's note: the citizen gets the approved reply letter; the note is the IOC's record", arguments: StoreEngine.all)
  func noteIsNotThePublishedResult(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let letter = "Kính gửi: Quý Ông/Bà. UBND Xã Đồng Lộc đã giải tán nhóm tụ tập."
    let resolved = try await Self.resolved(world, letter: letter)
    var publish = Fieldreport_V1_PublishResultRequest()
    publish.common = world.common(resolved, Self.note, notify: true)
    publish.scope = .everyone
    let published = try await world.cases.publishResult(publish, options: world.as(P.quan))
    #expect(published.journalEntry?.content == Self.note)
    guard case .published(let details)? = published.journalEntry?.details else {
      Issue.record("the PUBLISH_RESULT entry carries its details")
      return
    }
    #expect(details.publishedText == letter)

    let forIOC = try await world.get(resolved.caseId, as: P.quan)
    #expect(forIOC.publication?.publishedText == letter)
    #expect(forIOC.publication?.iocNote == Self.note)
    // The platform relays the result to the citizen: the letter, never the note.
    let forPlatform = try await world.get(resolved.caseId, as: P.platform)
    #expect(forPlatform.publication?.publishedText == letter)
    #expect(forPlatform.publication?.iocNote == "")
    let platformJournal = try await Self.journal(world, resolved.caseId, as: P.platform)
    let entry = try #require(platformJournal.last { $0.action == .publishResult })
    #expect(entry.content == "")
    #expect(!platformJournal.contains { $0.content.contains(Self.note) })
    let iocJournal = try await Self.journal(world, resolved.caseId, as: P.quan)
    #expect(iocJournal.last?.content == Self.note)

    // The hash chain still verifies.
    var verify = Fieldreport_V1_VerifyJournalRequest()
    verify.caseId = resolved.caseId
    #expect(try await world.journal.verifyJournal(verify, options: world.as(P.quan)).intact)
  }

  @Test("publish with a note and a text: the citizen gets the text, the journal keeps both", arguments: StoreEngine.all)
  func noteAndTextBothKept(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let resolved = try await Self.resolved(world, letter: "Đã xử lý")
    var publish = Fieldreport_V1_PublishResultRequest()
    publish.common = world.common(resolved, Self.note)
    publish.scope = .reporterOnly
    publish.publishedText = "Kết quả: đã giải tán, bố trí tuần tra buổi tối."
    let published = try await world.cases.publishResult(publish, options: world.as(P.quan))
    #expect(published.journalEntry?.content == Self.note)
    guard case .published(let details)? = published.journalEntry?.details else {
      Issue.record("the PUBLISH_RESULT entry carries its details")
      return
    }
    #expect(details.publishedText == publish.publishedText)
    let detail = try await world.get(resolved.caseId, as: P.quan)
    #expect(detail.publication?.publishedText == publish.publishedText)
    #expect(detail.publication?.iocNote == Self.note)
    // A retry with the same key answers the first publication.
    let again = try await world.cases.publishResult(publish, options: world.as(P.quan))
    #expect(again.idempotentReplay && again.journalEntry?.content == Self.note)
  }

  @Test("a result's attachments report when and by whom they were uploaded, not the submission", arguments: StoreEngine.all)
  func resultAttachmentsCarryTheirUpload(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    var upload = Fieldreport_V1_UploadAttachmentRequest()
    upload.fileName = "hien-truong-1.jpg"
    upload.mediaType = "image/jpeg"
    upload.data = Array("ảnh hiện trường sau xử lý".utf8)
    let uploadedAt = world.clock.now
    let photo = try unwrap(try await world.cases.uploadAttachment(upload, options: world.as(P.thang)).attachment)
    world.clock.advance(milliseconds: 3_600_000)
    let resolved = try await Self.resolved(world, letter: "Đã xử lý, ảnh kèm theo", attachments: [photo.attachmentId])
    for person in [P.quan, P.duong, P.thang] {
      let detail = try await world.get(resolved.caseId, as: person)
      let attachment = try #require(detail.result?.attachments.first)
      #expect(attachment.uploadedAtMs == uploadedAt.millisecondsSince1970)
      #expect(attachment.uploadedAtMs != detail.result?.submittedAtMs)
      #expect(attachment.uploadedBy?.userId == P.thang.id.rawValue)
      #expect(attachment.uploadedBy?.fullName == "Lê Đại Thắng")
    }
  }

  @Test("transfer for monitoring: the leader is left out of a group and when named, and the answer says so", arguments: StoreEngine.all)
  func leaderLeftOutAndTold(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let submitted = try await world.submit("An toàn mùa mưa bão", category: "AN-TOAN-THIEN-TAI")
    let atUnit = try await world.dispatch(submitted, to: P.scienceDepartment)

    // Hà names only herself: nobody is left, refused with the field named.
    var alone = Fieldreport_V1_TransferForMonitoringRequest()
    alone.common = world.common(atUnit, "Trao đổi nội bộ")
    alone.recipientUserIds = [P.ha.id.rawValue]
    do {
      _ = try await world.assignments.transferForMonitoring(alone, options: world.as(P.ha))
      Issue.record("a transfer to the transferring leader alone must be refused")
    } catch {
      #expect(error.code == .invalidArgument)
      #expect(error.fieldViolations.map(\.field) == ["recipient_user_ids"], "\(error)")
      #expect(error.message.contains("besides yourself"), "\(error.message)")
    }

    // The group {Hà, Toàn} plus Thắng: Thắng and Toàn receive it; Hà is left out, and told.
    var transfer = Fieldreport_V1_TransferForMonitoringRequest()
    transfer.common = world.common(atUnit, "Trao đổi nội bộ")
    transfer.recipientUserIds = [P.thang.id.rawValue]
    transfer.groupIds = ["tg-khcn"]
    let transferred = try await world.assignments.transferForMonitoring(transfer, options: world.as(P.ha))
    let pending = Set(transferred.caseSummary?.currentHandler?.pendingRecipients.map(\.userId) ?? [])
    #expect(pending == [P.thang.id.rawValue, P.toan.id.rawValue])
    #expect(transferred.leftOut.map(\.userId) == [P.ha.id.rawValue])
    #expect(transferred.leftOut.first?.fullName == "Nguyễn Thị Hà")
  }

  @Test("refusals name people and units by name, not by internal id (item 7)", arguments: StoreEngine.all)
  func refusalsNamePeopleAndUnits(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let submitted = try await world.submit("Đèn đường hỏng")
    let atUnit = try await world.dispatch(submitted, to: P.dongLoc)
    // Mai is an officer of Trần Phú, not of Đồng Lộc.
    do {
      _ = try await world.assign(atUnit, by: P.duong, to: P.mai)
      Issue.record("assigning an officer of another unit must be refused")
    } catch {
      let message = (error as? RPCError)?.message ?? "\(error)"
      #expect(message.contains("Võ Thị Mai has no approved officer role at"), "\(message)")
      #expect(!message.contains("u-mai"), "\(message)")
      #expect(!message.contains(P.dongLoc.rawValue), "\(message)")
    }

    // Toàn acknowledges a monitoring transfer twice.
    let science = try await world.dispatch(try await world.submit("An toàn mùa mưa bão", category: "AN-TOAN-THIEN-TAI"), to: P.scienceDepartment)
    var transfer = Fieldreport_V1_TransferForMonitoringRequest()
    transfer.common = world.common(science, "Trao đổi nội bộ")
    transfer.recipientUserIds = [P.toan.id.rawValue, P.thang.id.rawValue]
    let transferred = try unwrap(try await world.assignments.transferForMonitoring(transfer, options: world.as(P.ha)).caseSummary)
    var acknowledge = Fieldreport_V1_AcknowledgeMonitoringRequest()
    acknowledge.common = world.common(transferred, "Đã nhận")
    let acknowledged = try unwrap(try await world.assignments.acknowledgeMonitoring(acknowledge, options: world.as(P.toan)).caseSummary)
    acknowledge.common = world.common(acknowledged, "Đã nhận")
    do {
      _ = try await world.assignments.acknowledgeMonitoring(acknowledge, options: world.as(P.toan))
      Issue.record("a second acknowledgement must be refused")
    } catch {
      #expect(error.message.contains("Đinh Trường Toàn"), "\(error.message)")
      #expect(!error.message.contains("u-toan"), "\(error.message)")
    }
  }

  @Test("the return window: the province's setting, or the IOC's per dispatch, shown in the processing tab (item 3)", arguments: StoreEngine.all)
  func returnWindowPerDispatch(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let reason = "Không đúng chức năng nhiệm vụ"
    let dispatchedAt = world.clock.now
    // The IOC gives Đồng Lộc three days for this case.
    var dispatch = Fieldreport_V1_DispatchCaseRequest()
    dispatch.common = world.common(try await world.submit("Cây đổ chắn đường"), "Chuyển đơn vị xử lý")
    dispatch.targetUnitId = P.dongLoc.rawValue
    dispatch.returnWindowHours = 72
    let atUnit = try unwrap(try await world.cases.dispatchCase(dispatch, options: world.as(P.quan)).caseSummary)
    let shown = try await world.get(atUnit.caseId, as: P.duong)
    #expect(shown.task?.returnDeadlineAtMs == dispatchedAt.adding(days: 3).millisecondsSince1970)
    // Another case, dispatched with the province's window (one day by default).
    let standard = try await world.dispatch(try await world.submit("Rác thải"), to: P.dongLoc)
    #expect(try await world.get(standard.caseId, as: P.duong).task?.returnDeadlineAtMs
      == dispatchedAt.adding(days: 1).millisecondsSince1970)

    // Two days later the first may still be returned, the second no longer.
    world.clock.advance(milliseconds: 2 * Timestamp.millisecondsPerDay)
    var late = Fieldreport_V1_ReturnToIocRequest()
    late.common = world.common(standard, reason)
    #expect(await failure { _ = try await world.assignments.returnToIoc(late, options: world.as(P.duong)) } == .failedPrecondition)
    var inTime = Fieldreport_V1_ReturnToIocRequest()
    inTime.common = world.common(atUnit, reason)
    let returned = try await world.assignments.returnToIoc(inTime, options: world.as(P.duong))
    #expect(returned.caseSummary?.state == .returnedToIoc)

    // A window outside 1 to 720 hours is refused, naming the field.
    var tooLong = Fieldreport_V1_DispatchCaseRequest()
    tooLong.common = world.common(try await world.submit("Đèn hỏng"), "Chuyển đơn vị xử lý")
    tooLong.targetUnitId = P.dongLoc.rawValue
    tooLong.returnWindowHours = 721
    do {
      _ = try await world.cases.dispatchCase(tooLong, options: world.as(P.quan))
      Issue.record("a 721-hour window must be refused")
    } catch {
      #expect(error.code == .invalidArgument)
      #expect(error.fieldViolations.map(\.field) == ["return_window_hours"], "\(error)")
    }
  }

  @Test("monitoring recipients keep their own notes (Lưu công việc), private to each (item 5)", arguments: StoreEngine.all)
  func monitoringRecipientsKeepNotes(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let atUnit = try await world.dispatch(try await world.submit("An toàn mùa mưa bão", category: "AN-TOAN-THIEN-TAI"), to: P.scienceDepartment)
    var transfer = Fieldreport_V1_TransferForMonitoringRequest()
    transfer.common = world.common(atUnit, "Trao đổi nội bộ")
    transfer.recipientUserIds = [P.toan.id.rawValue, P.thang.id.rawValue]
    let monitoring = try unwrap(try await world.assignments.transferForMonitoring(transfer, options: world.as(P.ha)).caseSummary)
    #expect(try await world.get(monitoring.caseId, as: P.toan).availableActions.contains(.saveDraft))

    var save = Fieldreport_V1_SaveDraftRequest()
    save.common = world.common(monitoring, "Đã trao đổi với phòng kỹ thuật; chờ báo cáo")
    let saved = try await world.assignments.saveDraft(save, options: world.as(P.toan))
    #expect(saved.draft?.content == "Đã trao đổi với phòng kỹ thuật; chờ báo cáo")
    #expect(saved.caseSummary?.version == monitoring.version, "a note changes no version")
    #expect(try await world.get(monitoring.caseId, as: P.toan).myDraft?.content == "Đã trao đổi với phòng kỹ thuật; chờ báo cáo")
    // Private: the other recipient and the leader see none.
    #expect(try await world.get(monitoring.caseId, as: P.thang).myDraft == nil)
    #expect(try await world.get(monitoring.caseId, as: P.ha).myDraft == nil)
    // Someone who is not a recipient may not keep notes here; a note has no output product.
    #expect(await failure { _ = try await world.assignments.saveDraft(save, options: world.as(P.ha)) } == .permissionDenied)
    var numbered = save
    numbered.outputProductNumber = "12/KHCN"
    #expect(await failure { _ = try await world.assignments.saveDraft(numbered, options: world.as(P.thang)) } == .invalidArgument)
  }
}
