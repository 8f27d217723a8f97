import FieldReportAPI
import FieldReportServices
import FieldReportWorkflow
import Foundation
import RPCCore
import StoreTestSupport
import Testing
import WireBridge

/// The source's four worked examples, through the typed clients.
@Suite("The source's worked examples", .timeLimit(.minutes(1)))
struct CaseWorkedExampleTests {
  typealias P = DemoProvince

  @Test("“Làm việc gây ồn ào tại 81 Ngô Quyền”: returned to the IOC by the leader, re-dispatched", arguments: StoreEngine.all)
  func returnedToIOCAndRedispatched(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let submitted = try await world.submit(
      "Làm việc gây ồn ào tại 81 Ngô Quyền", content: "Tiếng ồn lớn vào ban đêm",
      address: "81 Ngô Quyền, Phường Trần Phú")
    #expect(submitted.state == .received)
    #expect(submitted.version == 1)
    #expect(submitted.reportCode == "060326001")
    #expect(submitted.currentUnit?.unitId == P.ioc.rawValue)

    let atUnit = try await world.dispatch(submitted, to: P.dongLoc)
    #expect(atUnit.state == .atUnit)
    #expect(atUnit.currentUnit?.unitName == "UBND Xã Đồng Lộc")
    // The inbox's "To" of a case waiting at a unit is the end of the one-day return window.
    #expect(atUnit.stepDueAtMs == world.clock.now.adding(days: 1).millisecondsSince1970)

    let detail = try await world.get(atUnit.caseId, as: P.duong)
    #expect(detail.availableActions.contains(.returnToIoc))
    #expect(detail.availableActions.contains(.assign))
    #expect(detail.task?.returnDeadlineAtMs == atUnit.stepDueAtMs)

    // The leader reads it two hours later and returns it, well within the window.
    world.clock.advance(milliseconds: 2 * Timestamp.millisecondsPerHour)
    var back = Fieldreport_V1_ReturnToIocRequest()
    back.common = world.common(atUnit, "Không đúng chức năng nhiệm vụ. Nhờ IOC chuyển đơn vị quản lý")
    let returned = try await world.assignments.returnToIoc(back, options: world.as(P.duong))
    let returnedSummary = try unwrap(returned.caseSummary)
    #expect(returnedSummary.state == .returnedToIoc)
    #expect(returned.journalEntry?.action == .returnToIoc)
    #expect(returned.journalEntry?.actor?.fullName == "Lê Văn Đường")

    // The IOC sees the reason as the previous step, and may not send it straight back.
    let atIOC = try await world.get(atUnit.caseId, as: P.quan)
    #expect(atIOC.previousStep?.content == "Không đúng chức năng nhiệm vụ. Nhờ IOC chuyển đơn vị quản lý")
    #expect(atIOC.availableActions.contains(.dispatch))
    let sameUnit = await failure {
      _ = try await world.dispatch(returnedSummary, to: P.dongLoc)
    }
    #expect(sameUnit == .failedPrecondition)

    let redispatched = try await world.dispatch(returnedSummary, to: P.tranPhu)
    #expect(redispatched.state == .atUnit)
    #expect(redispatched.currentUnit?.unitId == P.tranPhu.rawValue)
    #expect(redispatched.version == 4)

    // The workflow tab: submit → at Đồng Lộc → back at the IOC → at Trần Phú.
    var workflow = Fieldreport_V1_GetWorkflowRequest()
    workflow.caseId = redispatched.caseId
    let steps = try await world.journal.getWorkflow(workflow, options: world.as(P.quan)).steps
    #expect(steps.map(\.state) == [.received, .atUnit, .returnedToIoc, .atUnit])
    #expect(steps[1].completedByAction == .returnToIoc)
    #expect(steps[1].timeliness == .onTime)
    #expect(steps.last?.completedAtMs == nil)
    #expect(steps.last?.timeliness == .pending)

    // Trần Phú's leader now has it in their inbox; Đồng Lộc's leader still sees it (passed through).
    var inbox = Fieldreport_V1_ListCasesRequest()
    inbox.scope = .mine
    let namInbox = try await world.cases.listCases(inbox, options: world.as(P.nam)).cases
    #expect(namInbox.map(\.caseId) == [redispatched.caseId])
    let duongInbox = try await world.cases.listCases(inbox, options: world.as(P.duong)).cases
    #expect(duongInbox.isEmpty)
    var units = Fieldreport_V1_ListCasesRequest()
    units.scope = .myUnits
    #expect(try await world.cases.listCases(units, options: world.as(P.duong)).cases.count == 1)
  }

  @Test("“Gây mất trật tự Công cộng”: assigned, processed with the letter template, approved, published", arguments: StoreEngine.all)
  func assignedProcessedApprovedPublished(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let submitted = try await world.submit("Gây mất trật tự Công cộng", content: "Tụ tập gây ồn ào")
    let atUnit = try await world.dispatch(submitted, to: P.dongLoc)
    let assigned = try await world.assign(
      atUnit, by: P.duong, to: P.thang, content: "Phân công Thắng xử lý", product: .officialLetter)
    let assignedSummary = try unwrap(assigned.caseSummary)
    #expect(assignedSummary.state == .inProgress)
    #expect(assignedSummary.currentHandler?.user?.fullName == "Lê Đại Thắng")
    guard case .assignment(let made)? = assigned.journalEntry?.details else {
      Issue.record("the ASSIGN entry carries the assignment")
      return
    }
    #expect(made.mainHandler?.userId == P.thang.id.rawValue)
    #expect(made.assignedBy?.fullName == "Lê Văn Đường")
    #expect(made.content == "Phân công Thắng xử lý")

    // Thắng's processing tab: the reply template with the unit's name, the actions he may take.
    let forThang = try await world.get(atUnit.caseId, as: P.thang)
    #expect(forThang.replyTemplate.contains("UBND Xã Đồng Lộc xin thông báo kết quả như sau"))
    #expect(Set(forThang.availableActions) == [.saveDraft, .submitResult, .holdClock])
    #expect(forThang.previousStep?.action == .assign)
    #expect(forThang.assignment?.outputProductKind == .officialLetter)

    // Evidence photo, then the letter from the template.
    var upload = Fieldreport_V1_UploadAttachmentRequest()
    upload.fileName = "hien-truong-1.jpg"
    upload.mediaType = "image/jpeg"
    upload.data = Array("ảnh hiện trường".utf8)
    let photo = try unwrap(
      try await world.cases.uploadAttachment(upload, options: world.as(P.thang)).attachment)
    let letter = forThang.replyTemplate.replacingOccurrences(
      of: ReplyLetter.placeholderBody, with: "Đã kiểm tra, nhắc nhở các hộ liên quan.")
    let submittedResult = try await world.submitResult(
      assignedSummary, by: P.thang, letter: letter, attachments: [photo.attachmentId])
    #expect(submittedResult.state == .awaitingApproval)
    #expect(submittedResult.currentHandler?.user?.userId == P.duong.id.rawValue)

    let resolved = try await world.approve(submittedResult, by: P.duong)
    #expect(resolved.state == .resolved)
    #expect(resolved.currentUnit?.unitId == P.ioc.rawValue)

    var publish = Fieldreport_V1_PublishResultRequest()
    publish.common = world.common(resolved, "", notify: true)
    publish.scope = .everyone
    let published = try await world.cases.publishResult(publish, options: world.as(P.quan))
    #expect(published.caseSummary?.state == .published)

    let final = try await world.get(atUnit.caseId, as: P.quan)
    #expect(final.result?.replyText == letter)
    #expect(final.result?.attachments.map(\.fileName) == ["hien-truong-1.jpg"])
    #expect(final.result?.approvedBy?.fullName == "Lê Văn Đường")
    #expect(final.result?.outputProductKind == .officialLetter)
    #expect(final.publication?.publishedText == letter)
    #expect(final.publication?.scope == .everyone)
    #expect(final.task?.completedAtMs != nil)
    #expect(final.task?.timeliness == .early)

    // Published publicly: in everyone's public listing, with the reporter hidden.
    var publicList = Fieldreport_V1_ListCasesRequest()
    publicList.scope = .public
    let listed = try await world.cases.listCases(publicList, options: world.as(P.nam)).cases
    #expect(listed.map(\.caseId) == [atUnit.caseId])
    #expect(listed.first?.senderLabel == "Công dân")

    // The evidence photo downloads for people on the case.
    var download = Fieldreport_V1_GetAttachmentRequest()
    download.attachmentId = photo.attachmentId
    let got = try await world.cases.getAttachment(download, options: world.as(P.duong))
    #expect(got.data == Array("ảnh hiện trường".utf8))
    #expect(got.attachment?.fileName == "hien-truong-1.jpg")
  }

  @Test("“Buôn bán hàng rong tại 99 Bùi Thị Xuân”: returned to the officer, reworked, approved", arguments: StoreEngine.all)
  func returnedToOfficerReworkedApproved(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let submitted = try await world.submit(
      "Buôn bán hàng rong tại 99 Bùi Thị Xuân", category: "TRAT-TU-DO-THI",
      address: "99 Bùi Thị Xuân")
    let atUnit = try await world.dispatch(submitted, to: P.scienceDepartment)
    let assigned = try unwrap(try await world.assign(atUnit, by: P.ha, to: P.toan).caseSummary)
    let first = try await world.submitResult(assigned, by: P.toan, letter: "Đã xử lý.")

    var back = Fieldreport_V1_ReturnToOfficerRequest()
    back.common = world.common(first, "Nội dung chưa hoàn chỉnh, yêu cầu bổ sung thực hiện rõ")
    let returned = try await world.assignments.returnToOfficer(back, options: world.as(P.ha))
    let rework = try unwrap(returned.caseSummary)
    #expect(rework.state == .inProgress)
    #expect(rework.currentHandler?.user?.fullName == "Đinh Trường Toàn")
    guard case .returned(let details)? = returned.journalEntry?.details else {
      Issue.record("the RETURN_TO_OFFICER entry names the officer")
      return
    }
    #expect(details.returnedTo?.userId == P.toan.id.rawValue)

    let forToan = try await world.get(rework.caseId, as: P.toan)
    #expect(forToan.previousStep?.action == .returnToOfficer)
    #expect(forToan.previousStep?.content == "Nội dung chưa hoàn chỉnh, yêu cầu bổ sung thực hiện rõ")

    let second = try await world.submitResult(
      rework, by: P.toan, letter: "Đã lập biên bản, giải tỏa các điểm buôn bán hàng rong.")
    let resolved = try await world.approve(second, by: P.ha)
    #expect(resolved.state == .resolved)

    var journal = Fieldreport_V1_ListJournalRequest()
    journal.caseId = resolved.caseId
    let entries = try await world.journal.listJournal(journal, options: world.as(P.ha)).entries
    #expect(
      entries.map(\.action) == [
        .submit, .dispatch, .assign, .submitResult, .returnToOfficer, .submitResult, .approve,
      ])
    #expect(entries.map(\.sequence) == Array(1...7))
    #expect(entries.dropFirst().allSatisfy { $0.previousEntryHash.count == 32 && $0.entryHash.count == 32 })

    var verify = Fieldreport_V1_VerifyJournalRequest()
    verify.caseId = resolved.caseId
    let verified = try await world.journal.verifyJournal(verify, options: world.as(P.quan))
    #expect(verified.intact)
    #expect(verified.entriesChecked == 7)
  }

  @Test("“An toàn mùa mưa bão”: transferred for monitoring, acknowledged by every recipient", arguments: StoreEngine.all)
  func transferredForMonitoringAndAcknowledged(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let submitted = try await world.submit("An toàn mùa mưa bão", category: "AN-TOAN-THIEN-TAI")
    let atUnit = try await world.dispatch(submitted, to: P.dongLoc)

    var transfer = Fieldreport_V1_TransferForMonitoringRequest()
    transfer.common = world.common(atUnit, "Trao đổi nội bộ")
    transfer.recipientUserIds = [P.lan.id.rawValue]
    transfer.groupIds = ["tg-pctt-dongloc"]
    let transferred = try await world.assignments.transferForMonitoring(transfer, options: world.as(P.duong))
    let monitoring = try unwrap(transferred.caseSummary)
    #expect(monitoring.state == .monitoring)
    // The group's members, without the transferring leader, plus the named recipient.
    #expect(Set(monitoring.currentHandler?.pendingRecipients.map(\.userId) ?? []) == [P.lan.id.rawValue, P.thang.id.rawValue])
    guard case .monitoring(let details)? = transferred.journalEntry?.details else {
      Issue.record("the transfer entry lists the recipients")
      return
    }
    #expect(details.groupIds == ["tg-pctt-dongloc"])

    var ack = Fieldreport_V1_AcknowledgeMonitoringRequest()
    ack.common = world.common(monitoring, "Đã nắm thông tin")
    let first = try await world.assignments.acknowledgeMonitoring(ack, options: world.as(P.thang))
    let afterFirst = try unwrap(first.caseSummary)
    #expect(afterFirst.state == .monitoring)
    #expect(afterFirst.currentHandler?.pendingRecipients.map(\.userId) == [P.lan.id.rawValue])

    // Acknowledging twice is refused.
    var again = Fieldreport_V1_AcknowledgeMonitoringRequest()
    again.common = world.common(afterFirst)
    #expect(await failure { _ = try await world.assignments.acknowledgeMonitoring(again, options: world.as(P.thang)) } == .failedPrecondition)

    var last = Fieldreport_V1_AcknowledgeMonitoringRequest()
    last.common = world.common(afterFirst)
    let closed = try await world.assignments.acknowledgeMonitoring(last, options: world.as(P.lan))
    #expect(closed.caseSummary?.state == .closed)
    #expect(closed.journalEntry?.toState == .closed)
    // One action, one entry, one version step: the acknowledgement itself closes the case
    // (closing_entry is always absent); no server-authored CLOSE_MONITORING entry follows.
    #expect(closed.journalEntry?.action == .acknowledgeMonitoring)
    #expect(closed.closingEntry == nil)
    #expect(closed.caseSummary?.version == afterFirst.version + 1)
    var journal = Fieldreport_V1_ListJournalRequest()
    journal.caseId = atUnit.caseId
    let entries = try await world.journal.listJournal(journal, options: world.as(P.duong)).entries
    #expect(entries.last?.action == .acknowledgeMonitoring)
    #expect(!entries.contains { $0.action == .closeMonitoring })

    let detail = try await world.get(atUnit.caseId, as: P.duong)
    #expect(detail.monitoring?.recipients.allSatisfy { $0.acknowledgedAtMs != nil } == true)
    #expect(detail.monitoring?.content == "Trao đổi nội bộ")
    #expect(detail.monitoring?.closedAtMs != nil)
    #expect(detail.monitoring?.groups.first?.groupName == "Ban chỉ huy PCTT")
  }
}
