import Foundation
import FieldReportWorkflow
import Testing

/// Paused clocks (issue 14, item 4) as pure workflow: who may hold and resume, what a hold
/// blocks, how the deadlines move, and what overdue, timeliness and statistics make of it.
@Suite("Clock holds") struct ClockHoldTests {
  static let reason = "Đề nghị công dân cung cấp thêm hình ảnh vị trí"

  /// A case in progress (assignment due 9/3 17:00) with the clock put on hold on 1/3 at 9:00.
  static func held(_ kind: ClockHold.Kind = .awaitingCitizen, by user: UserID = Demo.thang) throws -> CaseHistory {
    var history = try Canonical.history(in: .inProgress)
    try history.act(.holdClock(kind), by: user, content: reason, at: Demo.at(1, 3, 9))
    return history
  }

  @Test func holdRecordsTheHoldAndStopsTheDeadline() throws {
    let history = try Self.held()
    let c = history.current
    #expect(c.state == .inProgress)
    #expect(c.holder == .person(Demo.thang, unit: Demo.dongLoc))
    let hold = try #require(c.currentTask?.openHold)
    #expect(hold == ClockHold(kind: .awaitingCitizen, reason: Self.reason, heldBy: Demo.thang, heldAt: Demo.at(1, 3, 9)))
    let entry = try #require(history.journal.last)
    #expect(entry.action == .holdClock && entry.event == .clockHeld(kind: .awaitingCitizen))
    #expect(entry.content == Self.reason)
    // No deadline runs: not overdue even long after the due time, no listed due.
    #expect(Deadlines.currentStepDue(c) == nil)
    #expect(!Deadlines.isOverdue(c, now: Demo.at(20, 3, 9)))
    // The reporter is asked, through the platform, whatever the notify flag.
    let asked = history.notifications.filter { $0.kind == .informationRequested }
    #expect(asked.map(\.recipient) == [Demo.platform])
    #expect(asked.allSatisfy { $0.viaMobileApp })
    #expect(try CaseReplay.replay(history.journal) == c)
  }

  @Test func otherAgencyHoldAsksNobodyOutside() throws {
    let history = try Self.held(.awaitingOtherAgency, by: Demo.duong)
    #expect(history.current.currentTask?.openHold?.kind == .awaitingOtherAgency)
    #expect(!history.notifications.contains { $0.kind == .informationRequested })
  }

  @Test func whileHeldOnlyResumeContributeAndDraft() throws {
    let history = try Self.held()
    let since = Demo.at(1, 3, 9)
    let t = Demo.at(2, 3, 9)
    #expect(
      history.refusal(.submitResult(nextHandler: Demo.duong, outputProduct: nil), by: Demo.thang, content: "Kết quả", at: t)
        == .clockOnHold(since: since))
    #expect(history.refusal(.reassign(Canonical.assignment), by: Demo.duong, at: t) == .clockOnHold(since: since))
    #expect(history.refusal(.holdClock(.awaitingOtherAgency), by: Demo.duong, content: "x", at: t) == .clockOnHold(since: since))
    #expect(WorkflowRefusal.clockOnHold(since: since).category == .failedPrecondition)
    #expect(throws: Never.self) {
      try history.decide(.addContribution, by: Demo.coordinator, content: "Đã phối hợp", at: t).get()
    }
    #expect(
      Set(CaseWorkflow.allowedActions(for: history.current))
        == [.saveDraft, .addContribution, .resumeClock])
    #expect(!CaseWorkflow.allowedActions(for: try Canonical.history(in: .inProgress).current).contains(.resumeClock))
  }

  @Test func resumeMovesEveryDeadlineByTheHeldTime() throws {
    var history = try Self.held()
    let before = history.current
    let taskDue = try #require(before.currentTask?.due)
    let assignmentDue = try #require(before.assignment?.due)
    let stepDue = try #require(before.stepDue)
    // Held from 1/3 9:00 to 3/3 15:30: 2 days 6 h 30 min.
    let resumedAt = Demo.at(3, 3, 15, 30)
    let held = resumedAt.millisecondsSince1970 - Demo.at(1, 3, 9).millisecondsSince1970
    try history.act(.resumeClock, by: Demo.thang, content: "Đã nhận hình ảnh", at: resumedAt)
    let c = history.current
    #expect(c.currentTask?.openHold == nil)
    #expect(c.currentTask?.due == taskDue.adding(milliseconds: held))
    #expect(c.assignment?.due == assignmentDue.adding(milliseconds: held))
    #expect(c.stepDue == stepDue.adding(milliseconds: held))
    #expect(Deadlines.currentStepDue(c) == stepDue.adding(milliseconds: held))
    let hold = try #require(c.currentTask?.holds.first)
    #expect(hold.resumedAt == resumedAt && hold.resumedBy == Demo.thang)
    #expect(hold.heldMilliseconds(now: Demo.at(30, 3)) == held)
    #expect(try CaseReplay.replay(history.journal) == c)
    // Overdue only after the moved due time.
    #expect(!Deadlines.isOverdue(c, now: stepDue.adding(milliseconds: 1)))
    #expect(Deadlines.isOverdue(c, now: stepDue.adding(milliseconds: held + 1)))
    // The clock can be held again, and resumed without one only with a refusal.
    #expect(history.refusal(.resumeClock, by: Demo.thang, at: resumedAt) == .clockNotHeld)
  }

  @Test func whoMayHoldAndResume() throws {
    let inProgress = try Canonical.history(in: .inProgress)
    let t = Demo.at(1, 3, 9)
    // The unit's leader and the main handler may hold; a coordinator, an IOC operator, the
    // platform and a leader of another unit may not.
    #expect(inProgress.refusal(.holdClock(.awaitingCitizen), by: Demo.coordinator, content: "x", at: t)?.category == .permissionDenied)
    #expect(inProgress.refusal(.holdClock(.awaitingCitizen), by: Demo.iocOperator, content: "x", at: t)?.category == .permissionDenied)
    #expect(inProgress.refusal(.holdClock(.awaitingCitizen), by: Demo.platform, content: "x", at: t)?.category == .permissionDenied)
    #expect(
      inProgress.refusal(.holdClock(.awaitingCitizen), by: Demo.khcnLeader, content: "x", at: t)
        == .wrongUnit(expected: Demo.dongLoc, actual: Demo.khcn))
    // The reason is required.
    #expect(
      inProgress.refusal(.holdClock(.awaitingCitizen), by: Demo.duong, content: "  ", at: t)?.fieldName == "content")
    // Not at the unit before assignment, nor awaiting approval.
    for state: CaseState in [.atUnit, .awaitingApproval, .resolved] {
      let history = try Canonical.history(in: state)
      #expect(
        history.refusal(.holdClock(.awaitingCitizen), by: Demo.duong, content: "x", at: t)
          == .wrongState(current: state, action: .holdClock))
    }
    // The platform that submitted the report relays the citizen's answer: it may resume a hold
    // awaiting the citizen, not one awaiting another agency.
    var citizenHold = try Self.held(.awaitingCitizen)
    let later = Demo.at(2, 3, 9)
    let resumed = try citizenHold.act(.resumeClock, by: Demo.platform, content: "Công dân đã gửi ảnh", at: later)
    #expect(resumed.entry.actor == Demo.platform)
    #expect(resumed.notifications.contains { $0.recipient == Demo.thang && $0.kind == .clockResumed })
    let agencyHold = try Self.held(.awaitingOtherAgency)
    #expect(agencyHold.refusal(.resumeClock, by: Demo.platform, at: later)?.category == .permissionDenied)
    #expect(agencyHold.refusal(.resumeClock, by: Demo.coordinator, at: later)?.category == .permissionDenied)
    #expect(throws: Never.self) { try agencyHold.decide(.resumeClock, by: Demo.duong, at: later).get() }
  }

  @Test func heldTimeIsExcludedFromTimelinessAndStatistics() throws {
    // A task due 10/3, held for 3 days, completed on 12/3: late by the calendar, on time
    // with the held time excluded.
    let received = Demo.at(1, 3, 9)
    var task = UnitTask(
      id: "c/1", caseID: "c", unitID: Demo.dongLoc, taskType: .fieldReport, receivedAt: received,
      start: received, due: Demo.at(10, 3, 9))
    task.holds = [
      ClockHold(
        kind: .awaitingOtherAgency, reason: "Chờ Sở TN&MT", heldBy: Demo.duong, heldAt: Demo.at(2, 3, 9),
        resumedBy: Demo.duong, resumedAt: Demo.at(5, 3, 9))
    ]
    // The workflow moves `due` on resume; a task value built here has it moved too.
    task.due = Demo.at(13, 3, 9)
    task.completedAt = Demo.at(12, 3, 10)
    task.outcome = .resolved
    #expect(Deadlines.heldMilliseconds(of: task, now: Demo.at(20, 3)) == 3 * Timestamp.millisecondsPerDay)
    #expect(Deadlines.closedHeldMilliseconds(of: task) == 3 * Timestamp.millisecondsPerDay)
    #expect(Deadlines.timeliness(of: task) == .onTime)
    #expect(
      Deadlines.effectiveHandlingMilliseconds(of: task, now: Demo.at(20, 3))
        == Demo.at(12, 3, 10).millisecondsSince1970 - received.millisecondsSince1970 - 3 * Timestamp.millisecondsPerDay)
    #expect(Deadlines.statistics([task], now: Demo.at(20, 3))[Demo.dongLoc]?.onTime == 1)

    // An open task past its due time but on hold is not overdue; its effective due grows.
    var open = UnitTask(
      id: "d/1", caseID: "d", unitID: Demo.dongLoc, taskType: .fieldReport, receivedAt: received,
      start: received, due: Demo.at(3, 3, 9))
    open.holds = [ClockHold(kind: .awaitingCitizen, reason: "Chờ", heldBy: Demo.thang, heldAt: Demo.at(2, 3, 9))]
    let now = Demo.at(6, 3, 9)
    #expect(Deadlines.effectiveDue(of: open, now: now) == Demo.at(7, 3, 9))
    #expect(Deadlines.closedHeldMilliseconds(of: open) == 0)
    let counts = try #require(Deadlines.statistics([open], now: now)[Demo.dongLoc])
    #expect(counts.openOverdue == 0 && counts.open == 1)
  }

  @Test func holdsSurviveTheStoresEncodingAndOldTasksDecode() throws {
    var history = try Self.held()
    try history.act(.resumeClock, by: Demo.duong, at: Demo.at(2, 3, 9))
    let data = try JSONEncoder().encode(history.current)
    #expect(try JSONDecoder().decode(Case.self, from: data) == history.current)
    // A task encoded before holds existed has no "clockHolds" key and decodes with none.
    let plain = try #require(try Canonical.history(in: .atUnit).current.currentTask)
    let text = String(decoding: try JSONEncoder().encode(plain), as: UTF8.self)
    #expect(!text.contains("clockHolds"))
    #expect(try JSONDecoder().decode(UnitTask.self, from: Data(text.utf8)).holds.isEmpty)
  }
}
