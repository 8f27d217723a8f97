import FieldReportAPI
import FieldReportServices
import FieldReportWorkflow
import Foundation
import RPCCore
import StoreTestSupport
import Testing
import WireBridge

/// CaseService: every rpc with an allowed caller and a refused one; idempotency, stale
/// versions, the reporter's privacy, attachments, listings and statistics.
@Suite("CaseService", .timeLimit(.minutes(1)))
struct CaseServiceTests {
  typealias P = DemoProvince

  @Test("SubmitReport: the platform and a citizen may submit; an officer may not; a key retried returns the first case", arguments: StoreEngine.all)
  func submitReport(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let first = try await world.submit("Rác thải ven đường", key: "report-1")
    let retried = try await world.submit("Rác thải ven đường", key: "report-1")
    #expect(retried.caseId == first.caseId)
    #expect(retried.reportCode == first.reportCode)
    // The same key for another report is refused, never silently answered with the first.
    #expect(await failure { _ = try await world.submit("Một phản ánh khác", key: "report-1") } == .alreadyExists)

    // A citizen reports as themselves; the next code of the day follows.
    var own = Fieldreport_V1_SubmitReportRequest()
    own.title = "Đèn đường hỏng"
    own.content = "Đèn đường trước nhà hỏng 3 ngày"
    own.categoryId = "GIAO-THONG"
    let mine = try await world.cases.submitReport(own, options: world.as(P.citizen))
    #expect(mine.caseSummary?.reportCode == "060326002")
    #expect(mine.caseSummary?.senderLabel == "Nguyễn Văn An")
    #expect(mine.idempotentReplay == false)

    #expect(await failure { _ = try await world.cases.submitReport(own, options: world.as(P.thang)) } == .permissionDenied)
    var unknownCategory = own
    unknownCategory.categoryId = "KHONG-CO"
    let refused = await failure { _ = try await world.cases.submitReport(unknownCategory, options: world.as(P.citizen)) }
    #expect(refused == .invalidArgument)
    var missingReporter = own
    missingReporter.reporter = nil
    #expect(await failure { _ = try await world.cases.submitReport(missingReporter, options: world.as(P.platform)) } == .invalidArgument)
    #expect(await failure { _ = try await world.cases.submitReport(own, options: CallOptions()) } == .unauthenticated)
  }

  @Test("GetCase: by id and by code for those who may see it; NOT_FOUND for another unit's leader", arguments: StoreEngine.all)
  func getCase(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let submitted = try await world.submit("Lấn chiếm vỉa hè")
    let atUnit = try await world.dispatch(submitted, to: P.dongLoc)
    var byCode = Fieldreport_V1_GetCaseRequest()
    byCode.key = .reportCode(atUnit.reportCode)
    let detail = try await world.cases.getCase(byCode, options: world.as(P.duong))
    #expect(detail.caseDetail?.summary?.caseId == atUnit.caseId)
    #expect(await failure { _ = try await world.cases.getCase(byCode, options: world.as(P.nam)) } == .notFound)
    var malformed = Fieldreport_V1_GetCaseRequest()
    malformed.key = .reportCode("not-a-code")
    #expect(await failure { _ = try await world.cases.getCase(malformed, options: world.as(P.quan)) } == .invalidArgument)
    var unknown = Fieldreport_V1_GetCaseRequest()
    unknown.key = .caseId("no-such-case")
    #expect(await failure { _ = try await world.cases.getCase(unknown, options: world.as(P.quan)) } == .notFound)
  }

  @Test("The reporter's identity reaches the IOC and the submitting platform, never unit staff", arguments: StoreEngine.all)
  func reporterHiddenFromUnitStaff(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let submitted = try await world.submit("Xả nước thải ra kênh")
    let atUnit = try await world.dispatch(submitted, to: P.dongLoc)

    let forIOC = try await world.get(atUnit.caseId, as: P.quan)
    #expect(forIOC.report?.reporter?.fullName == "Trần Văn Bình")
    #expect(forIOC.summary?.senderLabel == "Trần Văn Bình")
    let forPlatform = try await world.get(atUnit.caseId, as: P.platform)
    #expect(forPlatform.report?.reporter?.phone == "0912345678")

    let forLeader = try await world.get(atUnit.caseId, as: P.duong)
    #expect(forLeader.report?.reporter == nil)
    #expect(forLeader.summary?.senderLabel == "Công dân")
    var inbox = Fieldreport_V1_ListCasesRequest()
    inbox.scope = .mine
    let rows = try await world.cases.listCases(inbox, options: world.as(P.duong)).cases
    #expect(rows.map(\.senderLabel) == ["Công dân"])
    var journal = Fieldreport_V1_ListJournalRequest()
    journal.caseId = atUnit.caseId
    let entries = try await world.journal.listJournal(journal, options: world.as(P.duong)).entries
    let rendered = entries.map { "\($0)" }.joined()
    #expect(!rendered.contains("Trần Văn Bình"))
    #expect(!rendered.contains("0912345678"))
  }

  @Test("A case both held by me and in my unit's inbox is listed once, in order with the rest", arguments: StoreEngine.all)
  func mineListsEachCaseOnce(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    // Awaiting the approval of duong by name: in the page of cases held by duong and in the
    // page of Đồng Lộc's cases awaiting a leader.
    let named = try await world.dispatch(try await world.submit("Đèn đường hỏng"), to: P.dongLoc)
    let assigned = try unwrap(try await world.assign(named, by: P.duong, to: P.thang).caseSummary)
    let awaiting = try await world.submitResult(assigned, by: P.thang, letter: "Đã thay bóng đèn")
    // Held by Đồng Lộc's leaders together: only in the second page.
    let collective = try await world.dispatch(try await world.submit("Ổ gà trên đường"), to: P.dongLoc)
    var inbox = Fieldreport_V1_ListCasesRequest()
    inbox.scope = .mine
    inbox.order = .reportedAsc
    let rows = try await world.cases.listCases(inbox, options: world.as(P.duong)).cases
    #expect(rows.map(\.caseId) == [awaiting.caseId, collective.caseId])
    inbox.order = .reportedDesc
    let newestFirst = try await world.cases.listCases(inbox, options: world.as(P.duong)).cases
    #expect(newestFirst.map(\.caseId) == [collective.caseId, awaiting.caseId])
  }

  @Test("DispatchCase: IOC operators only; a retried key returns the first answer even after the case moved on", arguments: StoreEngine.all)
  func dispatchIdempotentAndRefused(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let submitted = try await world.submit("Cây đổ chắn đường")
    var request = Fieldreport_V1_DispatchCaseRequest()
    request.common = world.common(submitted, "Chuyển xử lý", key: "dispatch-1")
    request.targetUnitId = P.dongLoc.rawValue
    // The submitting platform sees the case but may not dispatch it; a unit leader does not
    // even see it yet.
    #expect(await failure { _ = try await world.cases.dispatchCase(request, options: world.as(P.platform)) } == .permissionDenied)
    #expect(await failure { _ = try await world.cases.dispatchCase(request, options: world.as(P.duong)) } == .notFound)

    let first = try await world.cases.dispatchCase(request, options: world.as(P.quan))
    #expect(first.idempotentReplay == false)
    // The unit acts; the IOC's retry still gets its first answer.
    _ = try await world.assign(try unwrap(first.caseSummary), by: P.duong, to: P.thang)
    let retry = try await world.cases.dispatchCase(request, options: world.as(P.quan))
    #expect(retry.idempotentReplay)
    #expect(retry.journalEntry?.entryId == first.journalEntry?.entryId)
    #expect(retry.caseSummary?.version == first.caseSummary?.version)

    // A stale version writes nothing and is ABORTED.
    var stale = Fieldreport_V1_DispatchCaseRequest()
    stale.common = world.common(submitted, "Chuyển lại")
    stale.targetUnitId = P.tranPhu.rawValue
    #expect(await failure { _ = try await world.cases.dispatchCase(stale, options: world.as(P.quan)) } == .aborted)

    // Dispatching to the IOC itself or to an unknown unit is refused.
    let other = try await world.submit("Ngập úng cục bộ")
    var toIOC = Fieldreport_V1_DispatchCaseRequest()
    toIOC.common = world.common(other)
    toIOC.targetUnitId = P.ioc.rawValue
    #expect(await failure { _ = try await world.cases.dispatchCase(toIOC, options: world.as(P.quan)) } == .failedPrecondition)
    toIOC.targetUnitId = "KHONG-CO"
    #expect(await failure { _ = try await world.cases.dispatchCase(toIOC, options: world.as(P.quan)) } == .notFound)
  }

  @Test("RejectCase: IOC operators only; a duplicate must name the original", arguments: StoreEngine.all)
  func rejectCase(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let original = try await world.submit("Đường hỏng")
    let duplicate = try await world.submit("Đường hỏng (lần 2)")
    var request = Fieldreport_V1_RejectCaseRequest()
    request.common = world.common(duplicate, "Trùng phản ánh")
    request.reason = .duplicate
    #expect(await failure { _ = try await world.cases.rejectCase(request, options: world.as(P.quan)) } == .invalidArgument)
    request.duplicateOfCaseId = original.caseId
    #expect(await failure { _ = try await world.cases.rejectCase(request, options: world.as(P.thang)) } == .notFound)
    let rejected = try await world.cases.rejectCase(request, options: world.as(P.quan))
    #expect(rejected.caseSummary?.state == .closed)
    guard case .rejection(let info)? = rejected.journalEntry?.details else {
      Issue.record("the REJECT entry carries the rejection")
      return
    }
    #expect(info.reason == .duplicate)
    #expect(info.duplicateOfCaseId == original.caseId)
  }

  @Test("new reports are limited per reporter; replays of a key and other reporters are not", arguments: StoreEngine.all)
  func submissionLimitPerReporter(engine: StoreEngine) async throws {
    let server = try await TestServer.make(
      engine: engine, limits: ServiceLimits(maximumAttachmentBytes: 64 * 1024, submissionsPerReporter: 2))
    let world = try await CaseWorld.over(server, transport: server.inProcess())
    defer { Task { await world.close() } }
    _ = try await world.submit("Lần 1", key: "k-1")
    _ = try await world.submit("Lần 2", key: "k-2")
    let refused = await failure { _ = try await world.submit("Lần 3", key: "k-3") }
    #expect(refused == .resourceExhausted)
    // A retry of an accepted report (same key) still gets its case back.
    #expect(try await world.submit("Lần 1", key: "k-1").title == "Lần 1")
    // Another citizen is counted apart.
    var other = Fieldreport_V1_SubmitReportRequest()
    other.idempotencyKey = "k-other"
    other.title = "Người khác"
    other.content = "Nội dung"
    other.categoryId = "TRAT-TU-CONG-CONG"
    var reporter = Fieldreport_V1_ReporterInfo()
    reporter.fullName = "Lê Thị Hoa"
    reporter.citizenUserId = "platform-citizen-43"
    other.reporter = reporter
    _ = try await world.cases.submitReport(other, options: world.as(DemoProvince.platform))
    // An hour later the first citizen may report again.
    server.clock.advance(milliseconds: Timestamp.millisecondsPerHour)
    _ = try await world.submit("Lần 3", key: "k-3")
  }

  @Test("a re-report links to the closed case, whose detail then lists it", arguments: StoreEngine.all)
  func reReportLinks(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let original = try await world.submit("Cống thoát nước bị tắc")
    var reject = Fieldreport_V1_RejectCaseRequest()
    reject.common = world.common(original, "Ngoài phạm vi")
    reject.reason = .outOfScope
    reject.routedTo = "Công ty Cấp thoát nước Hà Tĩnh"
    _ = try await world.cases.rejectCase(reject, options: world.as(P.quan))

    var request = Fieldreport_V1_SubmitReportRequest()
    request.idempotencyKey = UUID().uuidString
    request.title = "Cống thoát nước vẫn bị tắc"
    request.content = "Phản ánh lại"
    request.categoryId = "TRAT-TU-CONG-CONG"
    var reporter = Fieldreport_V1_ReporterInfo()
    reporter.fullName = "Trần Văn Bình"
    reporter.phone = "0912345678"
    request.reporter = reporter
    request.linkedCaseId = original.caseId
    let again = try unwrap(try await world.cases.submitReport(request, options: world.as(DemoProvince.platform)).caseSummary)

    var get = Fieldreport_V1_GetCaseRequest()
    get.key = .caseId(original.caseId)
    let detail = try unwrap(try await world.cases.getCase(get, options: world.as(P.quan)).caseDetail)
    #expect(detail.linkedCaseIds == [again.caseId])
    get.key = .caseId(again.caseId)
    let later = try unwrap(try await world.cases.getCase(get, options: world.as(P.quan)).caseDetail)
    #expect(later.report?.linkedCaseId == original.caseId && later.linkedCaseIds.isEmpty)
    // An open case cannot be re-reported.
    request.idempotencyKey = UUID().uuidString
    request.linkedCaseId = again.caseId
    #expect(await failure { _ = try await world.cases.submitReport(request, options: world.as(DemoProvince.platform)) } == .failedPrecondition)
  }

  @Test("SendBackToUnit and PublishResult: IOC operators only; public publication only of public cases", arguments: StoreEngine.all)
  func sendBackAndPublish(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let submitted = try await world.submit("Biển báo bị che khuất", isPublic: false)
    let atUnit = try await world.dispatch(submitted, to: P.dongLoc)
    let assigned = try unwrap(try await world.assign(atUnit, by: P.duong, to: P.thang).caseSummary)
    let awaiting = try await world.submitResult(assigned, by: P.thang, letter: "Đã xử lý")
    let resolved = try await world.approve(awaiting, by: P.duong)

    var sendBack = Fieldreport_V1_SendBackToUnitRequest()
    sendBack.common = world.common(resolved, "Bổ sung ảnh hiện trường")
    #expect(await failure { _ = try await world.cases.sendBackToUnit(sendBack, options: world.as(P.duong)) } == .permissionDenied)
    let sentBack = try await world.cases.sendBackToUnit(sendBack, options: world.as(P.quan))
    let again = try unwrap(sentBack.caseSummary)
    #expect(again.state == .inProgress)
    #expect(again.currentHandler?.user?.userId == P.thang.id.rawValue)

    let resubmitted = try await world.submitResult(again, by: P.thang, letter: "Đã xử lý, có ảnh")
    let resolvedAgain = try await world.approve(resubmitted, by: P.duong)
    var publish = Fieldreport_V1_PublishResultRequest()
    publish.common = world.common(resolvedAgain)
    publish.scope = .everyone
    #expect(await failure { _ = try await world.cases.publishResult(publish, options: world.as(P.quan)) } == .failedPrecondition)
    #expect(await failure { _ = try await world.cases.publishResult(publish, options: world.as(P.duong)) } == .permissionDenied)
    publish.scope = .unspecified
    #expect(await failure { _ = try await world.cases.publishResult(publish, options: world.as(P.quan)) } == .invalidArgument)
    publish.scope = .reporterOnly
    let published = try await world.cases.publishResult(publish, options: world.as(P.quan))
    #expect(published.caseSummary?.state == .published)
    var publicList = Fieldreport_V1_ListCasesRequest()
    publicList.scope = .public
    #expect(try await world.cases.listCases(publicList, options: world.as(P.citizen)).cases.isEmpty)
  }

  @Test("ListCases: scopes, filters, text search without diacritics, stable paging bound to the filters", arguments: StoreEngine.all)
  func listCases(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    var submitted: [Fieldreport_V1_CaseSummary] = []
    for index in 1...5 {
      submitted.append(try await world.submit("Phản ánh số \(index) về đường Ngô Quyền"))
      world.clock.advance(milliseconds: 1_000)
    }
    _ = try await world.dispatch(submitted[0], to: P.dongLoc)

    var all = Fieldreport_V1_ListCasesRequest()
    all.scope = .all
    all.pageSize = 2
    var seen: [String] = []
    var pages = 0
    repeat {
      let page = try await world.cases.listCases(all, options: world.as(P.quan))
      seen += page.cases.map(\.caseId)
      all.pageToken = page.nextPageToken
      pages += 1
    } while !all.pageToken.isEmpty && pages < 10
    // The default order is newest step first: the dispatch started the first case's newest step.
    #expect(seen == [submitted[0].caseId] + submitted.dropFirst().reversed().map(\.caseId))
    #expect(await failure { _ = try await world.cases.listCases(all, options: world.as(P.duong)) } == .permissionDenied)

    // A token from one filter set is refused with another.
    var firstPage = Fieldreport_V1_ListCasesRequest()
    firstPage.scope = .all
    firstPage.pageSize = 2
    let token = try await world.cases.listCases(firstPage, options: world.as(P.quan)).nextPageToken
    var otherFilters = firstPage
    otherFilters.textQuery = "ngo quyen"
    otherFilters.pageToken = token
    #expect(await failure { _ = try await world.cases.listCases(otherFilters, options: world.as(P.quan)) } == .invalidArgument)

    var search = Fieldreport_V1_ListCasesRequest()
    search.scope = .all
    search.textQuery = "so 3 ve duong ngo quyen"
    #expect(try await world.cases.listCases(search, options: world.as(P.quan)).cases.map(\.caseId) == [submitted[2].caseId])

    var atIOC = Fieldreport_V1_ListCasesRequest()
    atIOC.scope = .mine
    atIOC.states = [.received]
    #expect(try await world.cases.listCases(atIOC, options: world.as(P.quan)).cases.count == 4)
    var reported = Fieldreport_V1_ListCasesRequest()
    reported.scope = .reported
    // A submitter's reports default to newest report first (the dispatched first case is last),
    // and list in step order when asked (the store sorts the submitter's cases then).
    #expect(
      try await world.cases.listCases(reported, options: world.as(P.platform)).cases.map(\.caseId)
        == submitted.reversed().map(\.caseId))
    reported.order = .stepStartedDesc
    reported.pageSize = 2
    var bySteps: [String] = []
    repeat {
      let page = try await world.cases.listCases(reported, options: world.as(P.platform))
      bySteps += page.cases.map(\.caseId)
      reported.pageToken = page.nextPageToken
    } while !reported.pageToken.isEmpty && bySteps.count < 10
    #expect(bySteps == [submitted[0].caseId] + submitted.dropFirst().reversed().map(\.caseId))
    var foreignUnit = Fieldreport_V1_ListCasesRequest()
    foreignUnit.scope = .myUnits
    foreignUnit.unitId = P.tranPhu.rawValue
    #expect(await failure { _ = try await world.cases.listCases(foreignUnit, options: world.as(P.duong)) } == .permissionDenied)

    // Overdue: the leader has not acted within the one-day return window.
    world.clock.advance(milliseconds: 2 * Timestamp.millisecondsPerDay)
    var overdue = Fieldreport_V1_ListCasesRequest()
    overdue.scope = .mine
    overdue.overdueOnly = true
    let late = try await world.cases.listCases(overdue, options: world.as(P.duong)).cases
    #expect(late.map(\.caseId) == [submitted[0].caseId])
    #expect(late.first?.overdue == true)
  }

  @Test("Categories: anyone lists them; only a system administrator creates one", arguments: StoreEngine.all)
  func categories(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let listed = try await world.cases.listCategories(.init(), options: world.as(P.citizen)).categories
    #expect(listed.map(\.categoryName).contains("Trật tự công cộng"))
    #expect(await failure { _ = try await world.cases.listCategories(.init(), options: CallOptions()) } == .unauthenticated)

    var create = Fieldreport_V1_CreateCategoryRequest()
    create.categoryCode = "Y-TE"
    create.categoryName = "Y tế"
    #expect(await failure { _ = try await world.cases.createCategory(create, options: world.as(P.quan)) } == .permissionDenied)
    let created = try await world.cases.createCategory(create, options: world.as(CaseWorld.admin))
    #expect(created.category?.categoryId == "Y-TE")
    #expect(await failure { _ = try await world.cases.createCategory(create, options: world.as(CaseWorld.admin)) } == .alreadyExists)
    create.categoryCode = "bad code"
    #expect(await failure { _ = try await world.cases.createCategory(create, options: world.as(CaseWorld.admin)) } == .invalidArgument)
  }

  @Test("Attachments: size limit, type and checksum checks; download only for the uploader and people on the case", arguments: StoreEngine.all)
  func attachments(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    var upload = Fieldreport_V1_UploadAttachmentRequest()
    upload.fileName = "anh-1.png"
    upload.mediaType = "image/png"
    upload.data = Array(repeating: 7, count: 1_000)
    let stored = try unwrap(try await world.cases.uploadAttachment(upload, options: world.as(P.platform)).attachment)
    #expect(stored.sizeBytes == 1_000)
    #expect(stored.sha256.count == 32)

    var tooLarge = upload
    tooLarge.data = Array(repeating: 1, count: 64 * 1024 + 1)
    #expect(await failure { _ = try await world.cases.uploadAttachment(tooLarge, options: world.as(P.platform)) } == .resourceExhausted)
    var badType = upload
    badType.mediaType = "application/x-sh"
    #expect(await failure { _ = try await world.cases.uploadAttachment(badType, options: world.as(P.platform)) } == .invalidArgument)
    var badName = upload
    badName.fileName = "../etc/passwd"
    #expect(await failure { _ = try await world.cases.uploadAttachment(badName, options: world.as(P.platform)) } == .invalidArgument)
    var badSum = upload
    badSum.expectedSha256 = Array(repeating: 0, count: 32)
    #expect(await failure { _ = try await world.cases.uploadAttachment(badSum, options: world.as(P.platform)) } == .invalidArgument)

    var download = Fieldreport_V1_GetAttachmentRequest()
    download.attachmentId = stored.attachmentId
    download.metadataOnly = true
    #expect(try await world.cases.getAttachment(download, options: world.as(P.platform)).attachment?.fileName == "anh-1.png")
    #expect(await failure { _ = try await world.cases.getAttachment(download, options: world.as(P.thang)) } == .notFound)

    // Attached to a report dispatched to Đồng Lộc: its leader may now download it.
    var report = Fieldreport_V1_SubmitReportRequest()
    report.title = "Ảnh hiện trường"
    report.content = "Có ảnh"
    report.categoryId = "MOI-TRUONG"
    var reporter = Fieldreport_V1_ReporterInfo()
    reporter.fullName = "Lê Thị Hoa"
    report.reporter = reporter
    report.attachmentIds = [stored.attachmentId]
    let submitted = try unwrap(try await world.cases.submitReport(report, options: world.as(P.platform)).caseSummary)
    _ = try await world.dispatch(submitted, to: P.dongLoc)
    download.metadataOnly = false
    let got = try await world.cases.getAttachment(download, options: world.as(P.duong))
    #expect(got.data == upload.data)
    #expect(got.attachment?.fileName == "anh-1.png")
    #expect(await failure { _ = try await world.cases.getAttachment(download, options: world.as(P.nam)) } == .notFound)
  }

  @Test("GetUnitStatistics: leaders for their unit, the IOC for all; early / on time / late counts", arguments: StoreEngine.all)
  func unitStatistics(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let start = world.clock.now
    let submitted = try await world.submit("Thống kê")
    let atUnit = try await world.dispatch(submitted, to: P.dongLoc)
    let assigned = try unwrap(try await world.assign(atUnit, by: P.duong, to: P.thang).caseSummary)
    let awaiting = try await world.submitResult(assigned, by: P.thang, letter: "Xong")
    _ = try await world.approve(awaiting, by: P.duong)
    let open = try await world.submit("Đang mở")
    _ = try await world.dispatch(open, to: P.dongLoc)

    var request = Fieldreport_V1_GetUnitStatisticsRequest()
    request.periodStartMs = start.millisecondsSince1970
    request.periodEndMs = start.adding(days: 30).millisecondsSince1970
    request.unitIds = [P.dongLoc.rawValue]
    let rows = try await world.cases.getUnitStatistics(request, options: world.as(P.duong)).rows
    #expect(rows.count == 1)
    #expect(rows.first?.earlyCount == 1)
    #expect(rows.first?.pendingCount == 1)
    #expect(rows.first?.lateCount == 0)

    #expect(rows.first?.returnedToIocCount == 0)

    // A case returned to the IOC counts as returned and unclassified; by category, one row
    // per category of the unit's cases.
    let returned = try await world.dispatch(try await world.submit("Không đúng chức năng"), to: P.dongLoc)
    var back = Fieldreport_V1_ReturnToIocRequest()
    back.common = world.common(returned, "Không đúng chức năng nhiệm vụ")
    _ = try await world.assignments.returnToIoc(back, options: world.as(P.duong))
    let withReturn = try await world.cases.getUnitStatistics(request, options: world.as(P.duong)).rows
    #expect(withReturn.first?.returnedToIocCount == 1)
    #expect(withReturn.first?.unclassifiedCount == 1)
    #expect(withReturn.first?.earlyCount == 1)
    #expect(withReturn.first?.category == nil)
    var byCategory = request
    byCategory.grouping = .unitCategory
    let categoryRows = try await world.cases.getUnitStatistics(byCategory, options: world.as(P.duong)).rows
    #expect(!categoryRows.isEmpty)
    #expect(categoryRows.allSatisfy { $0.category != nil && $0.unit?.unitId == P.dongLoc.rawValue })
    #expect(categoryRows.map(\.earlyCount).reduce(0, +) == 1)
    #expect(categoryRows.map(\.returnedToIocCount).reduce(0, +) == 1)
    #expect(categoryRows.map(\.pendingCount).reduce(0, +) == 1)

    request.unitIds = [P.scienceDepartment.rawValue]
    #expect(await failure { _ = try await world.cases.getUnitStatistics(request, options: world.as(P.duong)) } == .permissionDenied)
    request.unitIds = []
    let everything = try await world.cases.getUnitStatistics(request, options: world.as(P.quan)).rows
    #expect(everything.count == 4)
    request.periodEndMs = request.periodStartMs
    #expect(await failure { _ = try await world.cases.getUnitStatistics(request, options: world.as(P.quan)) } == .invalidArgument)
  }

  @Test("GetUnitStatistics: fair figures (volume, Wilson intervals, handling times, returns confirmed by the IOC, ranking)", arguments: StoreEngine.all)
  func fairUnitStatistics(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let start = world.clock.now
    // Đồng Lộc handles one case in 2 hours (early), returns two: one the IOC confirms as
    // outside its competence (re-dispatched to Trần Phú), one not (rejected).
    let handled = try await world.dispatch(try await world.submit("Xử lý nhanh"), to: P.dongLoc)
    world.clock.advance(milliseconds: 2 * Timestamp.millisecondsPerHour)
    let assigned = try unwrap(try await world.assign(handled, by: P.duong, to: P.thang).caseSummary)
    _ = try await world.approve(try await world.submitResult(assigned, by: P.thang, letter: "Xong"), by: P.duong)

    func returned(_ title: String) async throws -> Fieldreport_V1_CaseSummary {
      let atUnit = try await world.dispatch(try await world.submit(title), to: P.dongLoc)
      var back = Fieldreport_V1_ReturnToIocRequest()
      back.common = world.common(atUnit, "Không đúng chức năng nhiệm vụ")
      return try unwrap(try await world.assignments.returnToIoc(back, options: world.as(P.duong)).caseSummary)
    }
    let confirmedCase = try await returned("Ngoài thẩm quyền")
    var redispatch = Fieldreport_V1_DispatchCaseRequest()
    redispatch.common = world.common(confirmedCase, "Chuyển đơn vị đúng thẩm quyền")
    redispatch.targetUnitId = P.tranPhu.rawValue
    redispatch.returnOutsideCompetence = true
    let redispatched = try await world.cases.dispatchCase(redispatch, options: world.as(P.quan))
    guard case .dispatch(let details)? = redispatched.journalEntry?.details else {
      Issue.record("no dispatch details")
      return
    }
    #expect(details.returnOutsideCompetence)
    let unconfirmedCase = try await returned("Trả về chưa xác nhận")
    var reject = Fieldreport_V1_RejectCaseRequest()
    reject.common = world.common(unconfirmedCase, "Không xử lý")
    reject.reason = .outOfScope
    reject.routedTo = "Công an tỉnh Hà Tĩnh"  // out of scope is routed onward, never a dead end
    _ = try await world.cases.rejectCase(reject, options: world.as(P.quan))

    // The confirmation only applies to a returned case, named as the contract names it.
    let fresh = try await world.submit("Mới")
    var wrong = Fieldreport_V1_DispatchCaseRequest()
    wrong.common = world.common(fresh, "Chuyển")
    wrong.targetUnitId = P.dongLoc.rawValue
    wrong.returnOutsideCompetence = true
    let refusal = await rpcFailure { _ = try await world.cases.dispatchCase(wrong, options: world.as(P.quan)) }
    #expect(refusal?.code == .invalidArgument)
    #expect(refusal?.fieldViolations.map(\.field) == ["return_outside_competence"])

    var request = Fieldreport_V1_GetUnitStatisticsRequest()
    request.periodStartMs = start.millisecondsSince1970
    request.periodEndMs = start.adding(days: 30).millisecondsSince1970
    let rows = try await world.cases.getUnitStatistics(request, options: world.as(P.quan)).rows
    let dongLoc = try unwrap(rows.first { $0.unit?.unitId == P.dongLoc.rawValue })
    #expect(dongLoc.volume == 3)
    #expect(dongLoc.completedCount == 3)
    #expect(dongLoc.earlyCount == 1)
    #expect(dongLoc.returnedToIocCount == 2)
    #expect(dongLoc.returnsConfirmedCount == 1)
    #expect(abs(dongLoc.returnShare - 2.0 / 3.0) < 1e-9)
    #expect(dongLoc.handledCount == 1)
    #expect(dongLoc.medianHandlingMs == 2 * Timestamp.millisecondsPerHour)
    #expect(dongLoc.p90HandlingMs == 2 * Timestamp.millisecondsPerHour)
    let onTime = try unwrap(dongLoc.onTime)
    #expect(onTime.successes == 1 && onTime.trials == 1 && onTime.rate == 1 && onTime.upper == 1)
    #expect(abs(onTime.lower - FairStatistics.wilson(successes: 1, trials: 1).lower) < 1e-12)
    // The confirmed return counts neither way; the unconfirmed one is a failure.
    let ranking = try unwrap(dongLoc.ranking)
    #expect(ranking.successes == 1 && ranking.trials == 2 && ranking.rate == 0.5)
    #expect(abs(ranking.lower - FairStatistics.wilson(successes: 1, trials: 2).lower) < 1e-12)
    #expect(dongLoc.rank == 1)
    // Trần Phú received the re-dispatched case: volume 1, nothing completed, unranked.
    let tranPhu = try unwrap(rows.first { $0.unit?.unitId == P.tranPhu.rawValue })
    #expect(tranPhu.volume == 1 && tranPhu.completedCount == 0 && tranPhu.pendingCount == 1)
    #expect(tranPhu.rank == 0 && tranPhu.medianHandlingMs == nil)
    #expect(tranPhu.onTime?.lower == 0 && tranPhu.onTime?.upper == 1)

    // By category, ranks are among the rows of each category.
    request.grouping = .unitCategory
    let byCategory = try await world.cases.getUnitStatistics(request, options: world.as(P.quan)).rows
    #expect(byCategory.filter { $0.unit?.unitId == P.dongLoc.rawValue }.map(\.volume).reduce(0, +) == 3)
    #expect(byCategory.allSatisfy { $0.rank <= 1 })

    // Volume by category and week: every case received, every week of the period.
    var volume = Fieldreport_V1_GetCaseVolumeRequest()
    volume.periodStartMs = request.periodStartMs
    volume.periodEndMs = request.periodEndMs
    let all = try await world.cases.getCaseVolume(volume, options: world.as(P.quan))
    #expect(all.totalCount == 4)
    #expect(all.byCategory.map(\.caseCount) == [4])
    #expect(all.byCategory.first?.category?.categoryId == "TRAT-TU-CONG-CONG")
    #expect(all.byWeek.map(\.caseCount).reduce(0, +) == 4)
    #expect(all.byWeek.count >= 5 && all.byWeek.count <= 6)
    #expect(all.byWeek.first.map { $0.weekStartMs <= request.periodStartMs } == true)
    #expect(zip(all.byWeek, all.byWeek.dropFirst()).allSatisfy { $1.weekStartMs - $0.weekStartMs == 7 * Timestamp.millisecondsPerDay })
    // Monday 00:00 in Hà Nội.
    #expect(all.byWeek.allSatisfy { LocalDay(of: Timestamp(millisecondsSince1970: $0.weekStartMs)).start.millisecondsSince1970 == $0.weekStartMs })
    #expect(all.byWeek.allSatisfy { (($0.weekStartMs + LocalDay.utcOffsetMilliseconds) / Timestamp.millisecondsPerDay + 3) % 7 == 0 })
    // A leader sees their own unit's cases (the three dispatched to Đồng Lộc), not another's.
    #expect(try await world.cases.getCaseVolume(volume, options: world.as(P.duong)).totalCount == 3)
    #expect(try await world.cases.getCaseVolume(volume, options: world.as(P.nam)).totalCount == 1)
    volume.unitIds = [P.dongLoc.rawValue]
    #expect(await failure { _ = try await world.cases.getCaseVolume(volume, options: world.as(P.nam)) } == .permissionDenied)

    // Hostile periods and unit lists are refused, naming the field, and never trap on overflow.
    var hostile = Fieldreport_V1_GetUnitStatisticsRequest()
    hostile.periodStartMs = Int64.min + 1
    hostile.periodEndMs = Int64.max
    #expect(await failure { _ = try await world.cases.getUnitStatistics(hostile, options: world.as(P.quan)) } == .invalidArgument)
    var farVolume = Fieldreport_V1_GetCaseVolumeRequest()
    farVolume.periodStartMs = Int64.max - 1_000
    farVolume.periodEndMs = Int64.max
    #expect(await failure { _ = try await world.cases.getCaseVolume(farVolume, options: world.as(P.quan)) } == .invalidArgument)
    farVolume.periodStartMs = Int64.min + 1
    farVolume.periodEndMs = Int64.min + 1_000
    #expect(await failure { _ = try await world.cases.getCaseVolume(farVolume, options: world.as(P.quan)) } == .invalidArgument)
    hostile.periodStartMs = start.millisecondsSince1970
    hostile.periodEndMs = start.adding(days: 30).millisecondsSince1970
    hostile.unitIds = Array(repeating: P.dongLoc.rawValue, count: 2)
    #expect(await failure { _ = try await world.cases.getUnitStatistics(hostile, options: world.as(P.duong)) } == .invalidArgument)
    hostile.unitIds = Array(repeating: P.dongLoc.rawValue, count: 100_000)
    #expect(await failure { _ = try await world.cases.getUnitStatistics(hostile, options: world.as(P.duong)) } == .invalidArgument)
  }
}
