import FieldReportAPI
import FieldReportServices
import FieldReportStore
import FieldReportWorkflow
import Foundation
import RPCCore
import StoreTestSupport
import Testing
import WireBridge

/// Issue 14, items 3 and 1 over a real loopback socket, on both engines: honest closure
/// outcomes (stored per unit in `case_outcomes`) and the reporter's verdict (in
/// `case_verdicts`), with the re-report "not resolved" opens at the unit that handled it.
@Suite("Closure outcomes and verdicts over loopback", .timeLimit(.minutes(2)))
struct ClosureAndVerdictTests {
  typealias P = DemoProvince

  /// Runs `body` with a world over a live loopback socket on `engine`.
  static func live(
    _ engine: StoreEngine, _ body: (CaseWorld, TestServer) async throws -> Void
  ) async throws {
    try await TestServer.with(engine: engine, limits: CaseWorld.limits) { server in
      try await server.withLiveServer { client in
        try await body(try await CaseWorld.over(server, transport: client), server)
      }
    }
  }

  /// A case dispatched to Đồng Lộc, assigned to Thắng, its result submitted (saying it cannot
  /// be resolved when `cannotBeResolved` is given), approved and published with notify.
  static func published(
    _ world: CaseWorld, _ title: String, cannotBeResolved: String = ""
  ) async throws -> Fieldreport_V1_CaseSummary {
    let atUnit = try await world.dispatch(try await world.submit(title), to: P.dongLoc)
    let assigned = try unwrap(try await world.assign(atUnit, by: P.duong, to: P.thang).caseSummary)
    var submit = Fieldreport_V1_SubmitResultRequest()
    submit.common = world.common(assigned, "Kính gửi: Quý Ông/Bà. Kết quả kiểm tra…")
    submit.cannotBeResolvedReason = cannotBeResolved
    let awaiting = try unwrap(try await world.assignments.submitResult(submit, options: world.as(P.thang)).caseSummary)
    let resolved = try await world.approve(awaiting, by: P.duong)
    var publish = Fieldreport_V1_PublishResultRequest()
    publish.common = world.common(resolved, "Đăng tải", notify: true)
    publish.scope = .everyone
    return try unwrap(try await world.cases.publishResult(publish, options: world.as(P.quan)).caseSummary)
  }

  /// The latest mobile-app notification text about `caseID` for the reporter (the platform's
  /// citizen id, which CaseWorld.submit gives), as stored.
  static func told(_ server: TestServer, about caseID: String) async throws -> String? {
    let stored = try await server.store.notifications(
      for: UserID("platform-citizen-42"), after: 0, unreadOnly: false, limit: 500)
    return stored.last { $0.notification.caseID.rawValue == caseID && $0.notification.viaMobileApp }?
      .notification.text
  }

  @Test("every ended case has one outcome, shown on the case, worded for the citizen and counted per unit", arguments: StoreEngine.all)
  func outcomes(engine: StoreEngine) async throws {
    try await Self.live(engine) { world, server in
      // Out of scope: never a dead end, the agency is named (and required).
      let outside = try await world.submit("Tranh chấp hợp đồng lao động")
      var reject = Fieldreport_V1_RejectCaseRequest()
      reject.common = world.common(outside, "Không thuộc thẩm quyền của tỉnh", notify: true)
      reject.reason = .outOfScope
      #expect(await failure { _ = try await world.cases.rejectCase(reject, options: world.as(P.quan)) } == .invalidArgument)
      reject.routedTo = "Tòa án nhân dân tỉnh Hà Tĩnh"
      let routed = try unwrap(try await world.cases.rejectCase(reject, options: world.as(P.quan)).caseSummary)
      #expect(routed.state == .closed)
      #expect(routed.outcome == .routedOnward)
      let routedDetail = try await world.get(routed.caseId, as: P.quan)
      #expect(routedDetail.closure?.outcome == .routedOnward)
      #expect(routedDetail.closure?.reason == "Tòa án nhân dân tỉnh Hà Tĩnh")
      #expect(routedDetail.rejection?.routedTo == "Tòa án nhân dân tỉnh Hà Tĩnh")
      #expect(routedDetail.closure?.countedForUnit?.unitId == P.ioc.rawValue)
      #expect(try await Self.told(server, about: routed.caseId)?.contains("đã được chuyển đến Tòa án nhân dân tỉnh Hà Tĩnh") == true)

      // Spam: not valid, with the reason.
      var spam = Fieldreport_V1_RejectCaseRequest()
      spam.common = world.common(try await world.submit("Quảng cáo"), "Tin rác")
      spam.reason = .spam
      let invalid = try unwrap(try await world.cases.rejectCase(spam, options: world.as(P.quan)).caseSummary)
      #expect(invalid.outcome == .notValid)
      #expect(try await world.get(invalid.caseId, as: P.quan).closure?.reason == "spam")

      // Cannot be resolved: the result says so, the approval carries it, the publication says so.
      let reason = "Hạng mục thuộc dự án của tỉnh, vượt thẩm quyền của xã"
      let unresolved = try await Self.published(world, "Đường hỏng", cannotBeResolved: reason)
      #expect(unresolved.outcome == .cannotBeResolved)
      let detail = try await world.get(unresolved.caseId, as: P.duong)
      #expect(detail.result?.cannotBeResolvedReason == reason)
      #expect(detail.closure?.outcome == .cannotBeResolved)
      #expect(detail.closure?.reason == reason)
      #expect(detail.closure?.countedForUnit?.unitId == P.dongLoc.rawValue)
      #expect(detail.publication?.publishedText.hasPrefix("Phản ánh chưa thể giải quyết được. Lý do: \(reason)") == true)
      let toldUnresolved = try unwrap(try await Self.told(server, about: unresolved.caseId))
      #expect(toldUnresolved.contains("chưa thể giải quyết"))
      #expect(!toldUnresolved.contains("đã được xử lý"))

      // Resolved.
      let fixed = try await Self.published(world, "Cây đổ")
      #expect(fixed.outcome == .resolved)
      #expect(try await world.get(fixed.caseId, as: P.quan).closure?.citizenText.contains("đã được xử lý") == true)
      // Open cases have none.
      #expect(try await world.submit("Còn mở").outcome == .unspecified)

      // Counted per unit from the indexed table.
      let store = server.store
      func count(_ unit: UnitID, _ outcome: String) async throws -> Int64? {
        try await store.scalarForTesting(
          "SELECT COUNT(*) FROM case_outcomes WHERE unit_id = '\(unit.rawValue)' AND outcome = '\(outcome)'")
      }
      #expect(try await count(P.dongLoc, "cannot_be_resolved") == 1)
      #expect(try await count(P.dongLoc, "resolved") == 1)
      #expect(try await count(P.ioc, "routed_onward") == 1)
      #expect(try await count(P.ioc, "not_valid") == 1)
      #expect(try await store.scalarForTesting("SELECT COUNT(*) FROM case_outcomes") == 4)

      // And in the statistics, each outcome separately (the IOC's row when asked for).
      let dongLoc = try await Self.statistics(world, unit: P.dongLoc)
      #expect(dongLoc.resolvedOutcomeCount == 1)
      #expect(dongLoc.cannotBeResolvedCount == 1)
      #expect(dongLoc.routedOnwardCount == 0)
      #expect(dongLoc.notValidCount == 0)
      let ioc = try await Self.statistics(world, unit: P.ioc)
      #expect(ioc.routedOnwardCount == 1)
      #expect(ioc.notValidCount == 1)
      #expect(ioc.resolvedOutcomeCount == 0)
      #expect(ioc.duplicateCount == 0)
      // ListCases filters by outcome.
      var list = Fieldreport_V1_ListCasesRequest()
      list.scope = .all
      list.outcomes = [.cannotBeResolved, .routedOnward]
      let listed = try await world.cases.listCases(list, options: world.as(P.quan)).cases
      #expect(Set(listed.map(\.caseId)) == [unresolved.caseId, routed.caseId])
      #expect(listed.allSatisfy { $0.outcome == .cannotBeResolved || $0.outcome == .routedOnward })
      list.outcomes = [.unspecified]
      #expect(await failure { _ = try await world.cases.listCases(list, options: world.as(P.quan)) } == .invalidArgument)
    }
  }

  /// One unit's row of GetUnitStatistics over the thirty days from now, as the IOC operator.
  static func statistics(_ world: CaseWorld, unit: UnitID) async throws -> Fieldreport_V1_UnitStatistics {
    var request = Fieldreport_V1_GetUnitStatisticsRequest()
    request.periodStartMs = world.clock.now.adding(days: -1).millisecondsSince1970
    request.periodEndMs = world.clock.now.adding(days: 30).millisecondsSince1970
    request.unitIds = [unit.rawValue]
    let rows = try await world.cases.getUnitStatistics(request, options: world.as(P.quan)).rows
    #expect(rows.count == 1)
    return try unwrap(rows.first)
  }

  @Test("the reporter's verdict: rules, one per case, idempotent; not resolved reopens at the unit", arguments: StoreEngine.all)
  func verdict(engine: StoreEngine) async throws {
    try await Self.live(engine) { world, server in
      let open = try await world.dispatch(try await world.submit("Chưa xong"), to: P.dongLoc)
      var early = Fieldreport_V1_RecordVerdictRequest()
      early.caseId = open.caseId
      early.rating = 3
      #expect(await failure { _ = try await world.cases.recordVerdict(early, options: world.as(P.platform)) } == .failedPrecondition)

      let published = try await Self.published(world, "Rác thải tại chợ")
      var request = Fieldreport_V1_RecordVerdictRequest()
      request.caseId = published.caseId
      request.idempotencyKey = "verdict-1"
      request.rating = 0
      #expect(await failure { _ = try await world.cases.recordVerdict(request, options: world.as(P.platform)) } == .invalidArgument)
      request.rating = 2
      request.comment = "Rác vẫn còn"
      request.notResolved = true
      // Unit staff see the case but do not speak for the reporter.
      #expect(await failure { _ = try await world.cases.recordVerdict(request, options: world.as(P.duong)) } == .permissionDenied)
      // Anyone may read a public result; only the reporter's side gives the verdict.
      #expect(await failure { _ = try await world.cases.recordVerdict(request, options: world.as(P.nam)) } == .permissionDenied)
      #expect(await failure { _ = try await world.cases.recordVerdict(request, options: CallOptions()) } == .unauthenticated)

      let first = try await world.cases.recordVerdict(request, options: world.as(P.platform))
      #expect(first.idempotentReplay == false)
      let verdict = try unwrap(first.verdict)
      #expect(verdict.rating == 2)
      #expect(verdict.notResolved)
      #expect(verdict.unit?.unitId == P.dongLoc.rawValue)
      let reopened = try unwrap(first.reopenedCase)
      #expect(verdict.reopenedCaseId == reopened.caseId)
      #expect(reopened.state == .atUnit, "back at the unit, not at the IOC")
      #expect(reopened.currentUnit?.unitId == P.dongLoc.rawValue)

      let retry = try await world.cases.recordVerdict(request, options: world.as(P.platform))
      #expect(retry.idempotentReplay)
      #expect(retry.verdict?.reopenedCaseId == reopened.caseId)
      var second = request
      second.idempotencyKey = "verdict-2"
      #expect(await failure { _ = try await world.cases.recordVerdict(second, options: world.as(P.platform)) } == .failedPrecondition)

      // The re-report links to the original, whose history the unit's staff may read.
      let newDetail = try await world.get(reopened.caseId, as: P.duong)
      #expect(newDetail.report?.linkedCaseId == published.caseId)
      #expect(newDetail.summary?.state == .atUnit)
      #expect(newDetail.availableActions.contains(.assign))
      #expect(newDetail.report?.reporter == nil, "the reporter stays hidden from unit staff")
      let originalForUnit = try await world.get(published.caseId, as: P.thang)
      #expect(originalForUnit.linkedCaseIds == [reopened.caseId])
      #expect(originalForUnit.verdict?.rating == 2)
      var journal = Fieldreport_V1_ListJournalRequest()
      journal.caseId = published.caseId
      #expect(try await world.journal.listJournal(journal, options: world.as(P.duong)).entries.count >= 5)
      _ = try await world.assign(try unwrap(newDetail.summary), by: P.duong, to: P.thang)

      // A satisfied verdict reopens nothing.
      let fine = try await Self.published(world, "Đèn đường")
      var happy = Fieldreport_V1_RecordVerdictRequest()
      happy.caseId = fine.caseId
      happy.rating = 5
      let recorded = try await world.cases.recordVerdict(happy, options: world.as(P.platform))
      #expect(recorded.reopenedCase == nil)
      #expect(recorded.verdict?.reopenedCaseId == "")

      // Queryable per handling unit: satisfaction and reopen rate.
      let store = server.store
      #expect(try await store.scalarForTesting("SELECT COUNT(*) FROM case_verdicts WHERE unit_id = 'UBND-DONGLOC'") == 2)
      #expect(try await store.scalarForTesting("SELECT SUM(rating) FROM case_verdicts WHERE unit_id = 'UBND-DONGLOC'") == 7)
      #expect(try await store.scalarForTesting("SELECT COUNT(*) FROM case_verdicts WHERE unit_id = 'UBND-DONGLOC' AND not_resolved") == 1)
      // And in the unit's statistics: satisfaction (mean rating) and the reopen rate.
      let stats = try await Self.statistics(world, unit: P.dongLoc)
      #expect(stats.verdictCount == 2)
      #expect(stats.meanRating == 3.5)
      #expect(stats.reopen?.successes == 1)
      #expect(stats.reopen?.trials == 2)
      #expect(stats.reopen?.rate == 0.5)
      let other = try await Self.statistics(world, unit: P.tranPhu)
      #expect(other.verdictCount == 0)
      #expect(other.meanRating == nil)
      #expect(other.reopen?.trials == 0)
    }
  }

  /// Submits a report with a place, as the platform.
  static func submit(
    _ world: CaseWorld, _ title: String, _ content: String, latitude: Double, longitude: Double,
    category: String = "MOI-TRUONG", as person: DemoProvince.Person = DemoProvince.platform
  ) async throws -> Fieldreport_V1_SubmitReportResponse {
    var request = Fieldreport_V1_SubmitReportRequest()
    request.idempotencyKey = UUID().uuidString
    request.title = title
    request.content = content
    request.categoryId = category
    request.reporterAllowsPublic = true
    var point = Fieldreport_V1_GeoPoint()
    point.latitude = latitude
    point.longitude = longitude
    request.location = point
    var reporter = Fieldreport_V1_ReporterInfo()
    reporter.fullName = "Trần Văn Bình"
    reporter.citizenUserId = "platform-citizen-42"
    request.reporter = reporter
    return try await world.cases.submitReport(request, options: world.as(person))
  }

  @Test("likely duplicates at submission and for the IOC; marked, linked both ways, one handling, every reporter gets the result", arguments: StoreEngine.all)
  func duplicates(engine: StoreEngine) async throws {
    try await Self.live(engine) { world, server in
      let first = try unwrap(
        try await Self.submit(world, "Rác thải ùn ứ tại chợ Đồng Lộc", "Rác thải bốc mùi", latitude: 18.3400, longitude: 105.9000)
          .caseSummary)
      let far = try unwrap(
        try await Self.submit(world, "Rác thải ùn ứ tại chợ Đồng Lộc", "Rác thải bốc mùi", latitude: 18.4000, longitude: 105.9000)
          .caseSummary)
      _ = try await Self.submit(world, "Rác thải ùn ứ tại chợ Đồng Lộc", "Rác thải bốc mùi", latitude: 18.3400, longitude: 105.9000, category: "TRAT-TU-CONG-CONG")
      // The platform's submissions carry none (the IOC decides), even one next to the first
      // (far from the second, so not among its candidates); the IOC taking a report in sees them.
      let fromPlatform = try await Self.submit(world, "Rác thải ùn ứ tại chợ Đồng Lộc", "Rác thải bốc mùi", latitude: 18.3455, longitude: 105.9000)
      #expect(fromPlatform.duplicateCandidates.isEmpty)
      let second = try await Self.submit(
        world, "rac thai un u tai cho Dong Loc", "rac thai boc mui", latitude: 18.3405, longitude: 105.9000, as: P.quan)
      let duplicate = try unwrap(second.caseSummary)
      #expect(second.duplicateCandidates.map { $0.caseSummary?.caseId } == [first.caseId], "not the far one, not the other category")
      #expect(second.duplicateCandidates.first?.similarity == 1)
      #expect(second.duplicateCandidates.first?.distanceMeters.map { abs($0 - 55.6) < 1 } == true)

      var list = Fieldreport_V1_ListDuplicateCandidatesRequest()
      list.caseId = duplicate.caseId
      let listed = try await world.cases.listDuplicateCandidates(list, options: world.as(P.quan)).candidates
      #expect(listed.map { $0.caseSummary?.caseId } == [first.caseId])
      #expect(listed.first?.caseSummary?.caseId != far.caseId)
      #expect(await failure { _ = try await world.cases.listDuplicateCandidates(list, options: world.as(P.citizen)) } == .notFound)

      // The IOC marks it; the duplicate ends as such, linked both ways.
      var mark = Fieldreport_V1_RejectCaseRequest()
      mark.common = world.common(duplicate, "Trùng phản ánh \(first.reportCode)", notify: true)
      mark.reason = .duplicate
      mark.duplicateOfCaseId = first.caseId
      let marked = try unwrap(try await world.cases.rejectCase(mark, options: world.as(P.quan)).caseSummary)
      #expect(marked.outcome == .duplicate)
      let duplicateDetail = try await world.get(duplicate.caseId, as: P.quan)
      #expect(duplicateDetail.closure?.duplicateOfCaseId == first.caseId)
      #expect(duplicateDetail.closure?.originalReportCode == first.reportCode)
      #expect(duplicateDetail.closure?.originalResultText == "")
      #expect(try await world.get(first.caseId, as: P.quan).duplicateCaseIds == [duplicate.caseId])
      // Marked duplicates are no candidates any more.
      list.caseId = first.caseId
      #expect(try await world.cases.listDuplicateCandidates(list, options: world.as(P.quan)).candidates.isEmpty)

      // One handling: the original's. Its publication reaches the duplicate's reporter.
      let atUnit = try await world.dispatch(first, to: P.dongLoc)
      let assigned = try unwrap(try await world.assign(atUnit, by: P.duong, to: P.thang).caseSummary)
      let resolved = try await world.approve(
        try await world.submitResult(assigned, by: P.thang, letter: "Đã thu gom toàn bộ rác"), by: P.duong)
      var publish = Fieldreport_V1_PublishResultRequest()
      publish.common = world.common(resolved, "Đăng tải", notify: true)
      publish.scope = .everyone
      _ = try await world.cases.publishResult(publish, options: world.as(P.quan))
      let told = try unwrap(try await Self.told(server, about: duplicate.caseId))
      #expect(told.contains("Phản ánh trùng với phản ánh \(first.reportCode) đã có kết quả xử lý"))
      let after = try await world.get(duplicate.caseId, as: P.quan)
      #expect(after.closure?.originalResultText.hasSuffix("Đã thu gom toàn bộ rác") == true)
      #expect(after.closure?.originalResultText.contains("trùng với phản ánh \(first.reportCode)") == true)
    }
  }
}
