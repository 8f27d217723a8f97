import FieldReportAPI
import FieldReportServices
import FieldReportStore
import FieldReportWorkflow
import Foundation
import RPCCore
import StoreTestSupport
import Testing
import WireBridge

/// Paused clocks (issue 14, item 4) over a real loopback socket, on both engines: who may hold
/// and resume, what the case, the inbox, the workflow tab, the notifications and the unit
/// statistics show while held, and how the deadline moves on resume.
@Suite("Clock holds over a socket", .timeLimit(.minutes(2)))
struct ClockHoldServiceTests {
  typealias P = DemoProvince
  static let day = Timestamp.millisecondsPerDay

  static func hold(
    _ world: CaseWorld, _ summary: Fieldreport_V1_CaseSummary, by person: DemoProvince.Person,
    kind: Fieldreport_V1_ClockHoldKind, reason: String
  ) async throws -> Fieldreport_V1_HoldClockResponse {
    var request = Fieldreport_V1_HoldClockRequest()
    request.common = world.common(summary, reason)
    request.kind = kind
    return try await world.assignments.holdClock(request, options: world.as(person))
  }

  static func resume(
    _ world: CaseWorld, _ summary: Fieldreport_V1_CaseSummary, by person: DemoProvince.Person, note: String = ""
  ) async throws -> Fieldreport_V1_ResumeClockResponse {
    var request = Fieldreport_V1_ResumeClockRequest()
    request.common = world.common(summary, note)
    return try await world.assignments.resumeClock(request, options: world.as(person))
  }

  @Test("hold, the case while held, resume: deadline moved, journal chained, statistics not overdue", arguments: StoreEngine.all)
  func holdAndResume(engine: StoreEngine) async throws {
    try await TestServer.with(engine: engine, limits: CaseWorld.limits) { server in
      try await server.withLiveServer { client in
        let world = try await CaseWorld.over(server, transport: client)
        let atUnit = try await world.dispatch(try await world.submit("Rác thải ven đường"), to: P.dongLoc)
        let assigned = try unwrap(try await world.assign(atUnit, by: P.duong, to: P.thang).caseSummary)
        let due = try unwrap(assigned.stepDueAtMs)
        let reason = "Đề nghị công dân cung cấp ảnh vị trí chính xác"

        // Refused: another unit's officer does not see the case; the unit admin is no leader;
        // the kind is required; a case not in progress.
        #expect(await failure { _ = try await Self.hold(world, assigned, by: P.mai, kind: .awaitingCitizen, reason: reason) } == .notFound)
        #expect(await failure { _ = try await Self.hold(world, assigned, by: P.lan, kind: .awaitingCitizen, reason: reason) } == .permissionDenied)
        #expect(await failure { _ = try await Self.hold(world, assigned, by: P.thang, kind: .unspecified, reason: reason) } == .invalidArgument)
        #expect(await failure { _ = try await Self.hold(world, assigned, by: P.thang, kind: .awaitingCitizen, reason: "") } == .invalidArgument)
        let other = try await world.dispatch(try await world.submit("Chưa phân công"), to: P.dongLoc)
        #expect(await failure { _ = try await Self.hold(world, other, by: P.duong, kind: .awaitingCitizen, reason: reason) } == .failedPrecondition)

        // The main handler holds the clock.
        let held = try await Self.hold(world, assigned, by: P.thang, kind: .awaitingCitizen, reason: reason)
        let heldSummary = try unwrap(held.caseSummary)
        #expect(heldSummary.state == .inProgress && heldSummary.version == assigned.version + 1)
        #expect(heldSummary.clockHold?.kind == .awaitingCitizen && heldSummary.clockHold?.reason == reason)
        #expect(heldSummary.stepDueAtMs == nil && !heldSummary.overdue)
        #expect(held.journalEntry?.action == .holdClock)
        guard case .clockHold(let details)? = held.journalEntry?.details else {
          Issue.record("a hold entry carries ClockHoldDetails")
          return
        }
        #expect(details.kind == .awaitingCitizen)

        // The reporter's app is asked (through their account, which the platform relays), and
        // the platform sees what is asked.
        let told = try await world.store.notifications(
          for: UserID("platform-citizen-42"), after: 0, unreadOnly: false, limit: 100)
        #expect(told.contains {
          $0.notification.caseID.rawValue == assigned.caseId && $0.notification.kind == .informationRequested
            && $0.notification.viaMobileApp
        })
        #expect(try await world.get(assigned.caseId, as: P.platform).summary?.clockHold?.reason == reason)
        // Only resume, contribute and draft while held.
        let mine = try await world.get(assigned.caseId, as: P.thang)
        #expect(mine.availableActions.contains(.resumeClock) && !mine.availableActions.contains(.submitResult))
        let refused = await failure { _ = try await world.submitResult(heldSummary, by: P.thang, letter: "Kết quả") }
        #expect(refused == .failedPrecondition)

        // Ten days later: past the original due time, but not overdue while held.
        world.clock.advance(milliseconds: 10 * Self.day)
        #expect(try await world.get(assigned.caseId, as: P.duong).summary?.overdue == false)
        var overdue = Fieldreport_V1_ListCasesRequest()
        overdue.scope = .all
        overdue.overdueOnly = true
        let overdueIDs = try await world.cases.listCases(overdue, options: world.as(P.quan)).cases.map(\.caseId)
        #expect(!overdueIDs.contains(assigned.caseId))
        // Another case due sooner than nothing: the held case sorts after it.
        let running = try unwrap(try await world.assign(try await world.dispatch(try await world.submit("Đèn đường hỏng"), to: P.dongLoc), by: P.duong, to: P.thang).caseSummary)
        var byDue = Fieldreport_V1_ListCasesRequest()
        byDue.scope = .all
        byDue.order = .stepDueAsc
        byDue.states = [.inProgress]
        let ordered = try await world.cases.listCases(byDue, options: world.as(P.quan)).cases.map(\.caseId)
        #expect(ordered.firstIndex(of: running.caseId)! < ordered.firstIndex(of: assigned.caseId)!)
        let stats = try await world.store.unitStatistics(
          unitID: P.dongLoc, byCategory: false, from: Timestamp(millisecondsSince1970: 0), to: world.clock.now.adding(days: 1),
          now: world.clock.now)
        #expect(stats.first?.pendingOverdue == 0)

        // The workflow tab shows the hold and its running time; the step is pending.
        var workflow = Fieldreport_V1_GetWorkflowRequest()
        workflow.caseId = assigned.caseId
        let tab = try await world.journal.getWorkflow(workflow, options: world.as(P.duong))
        #expect(tab.clockHolds.count == 1 && tab.clockHolds.first?.resumedAtMs == nil)
        #expect(tab.totalHeldMs == 10 * Self.day)
        #expect(tab.steps.last?.timeliness == .pending)

        // The platform relays the citizen's answer and resumes: the deadline moves by the held time.
        let resumed = try await Self.resume(world, heldSummary, by: P.platform, note: "Công dân đã gửi ảnh")
        let after = try unwrap(resumed.caseSummary)
        #expect(after.clockHold == nil)
        #expect(after.stepDueAtMs == due + 10 * Self.day)
        #expect(!after.overdue)
        guard case .clockHold(let resumeDetails)? = resumed.journalEntry?.details else {
          Issue.record("a resume entry carries ClockHoldDetails")
          return
        }
        #expect(resumeDetails.heldMs == 10 * Self.day && resumeDetails.kind == .awaitingCitizen)
        #expect(await failure { _ = try await Self.resume(world, after, by: P.thang) } == .failedPrecondition)
        let tabAfter = try await world.journal.getWorkflow(workflow, options: world.as(P.thang))
        #expect(tabAfter.clockHolds.first?.resumedAtMs == world.clock.now.millisecondsSince1970)
        #expect(tabAfter.steps.last?.dueAtMs == due + 10 * Self.day)

        // A hold awaiting another agency: the platform may not resume it, the leader may.
        let agency = try unwrap(try await Self.hold(world, after, by: P.duong, kind: .awaitingOtherAgency, reason: "Chờ ý kiến Sở TN&MT").caseSummary)
        #expect(try await world.get(assigned.caseId, as: P.platform).summary?.clockHold == nil)
        #expect(await failure { _ = try await Self.resume(world, agency, by: P.platform) } == .permissionDenied)
        world.clock.advance(milliseconds: Self.day)
        let final = try unwrap(try await Self.resume(world, agency, by: P.duong).caseSummary)
        #expect(final.stepDueAtMs == due + 11 * Self.day)

        // Every hold and resume is in the hash-chained journal.
        var verify = Fieldreport_V1_VerifyJournalRequest()
        verify.caseId = assigned.caseId
        let verdict = try await world.journal.verifyJournal(verify, options: world.as(P.quan))
        #expect(verdict.intact && verdict.entriesChecked == final.version)
        var journal = Fieldreport_V1_ListJournalRequest()
        journal.caseId = assigned.caseId
        let actions = try await world.journal.listJournal(journal, options: world.as(P.duong)).entries.map(\.action)
        #expect(actions.filter { $0 == .holdClock }.count == 2 && actions.filter { $0 == .resumeClock }.count == 2)
        // The case as stored replays from its journal, holds included.
        let stored = try unwrap(try await world.store.findCase(id: CaseID(assigned.caseId)))
        #expect(try CaseReplay.replay(try await world.store.journal(caseID: stored.id).map(\.entry)) == stored)
        #expect(Deadlines.heldMilliseconds(of: try unwrap(stored.currentTask), now: world.clock.now) == 11 * Self.day)
      }
    }
  }
}
