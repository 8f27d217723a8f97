import FieldReportWorkflow
import Testing

@Suite("State table") struct StateTableTests {
  /// The journaled actions (submission creates a case; a draft is checked by checkDraft).
  static let actions = ActionKind.allCases.filter { $0 != .submit && $0 != .saveDraft }

  @Test("every action in every state: accepted exactly per the table", arguments: CaseState.allCases)
  func everyCell(state: CaseState) throws {
    let history = try Canonical.history(in: state)
    #expect(history.current.state == state)
    for kind in Self.actions {
      let (action, actor, content) = Canonical.step(kind)
      let outcome = history.decide(action, by: actor, content: content, at: Canonical.workTime)
      if kind == .resumeClock, CaseWorkflow.allowedStates(for: kind).contains(state) {
        // Allowed in the state, but only with a hold in force (ClockHoldTests).
        #expect(outcome == .failure(.clockNotHeld), "\(kind) in \(state)")
      } else if CaseWorkflow.allowedStates(for: kind).contains(state) {
        let transition = try #require(try? outcome.get(), "\(kind) in \(state): \(outcome)")
        #expect(transition.newCase.state == Canonical.target[kind], "\(kind) in \(state)")
        #expect(transition.newCase.version == history.current.version + 1)
        #expect(transition.entry.sequence == transition.newCase.version)
        #expect(transition.entry.fromState == state)
        #expect(transition.entry.toState == transition.newCase.state)
        #expect(transition.entry.action == kind)
      } else {
        #expect(
          outcome == .failure(.wrongState(current: state, action: kind)), "\(kind) in \(state)")
      }
    }
  }

  @Test func tableMatchesDomain() {
    #expect(Set(CaseWorkflow.allowedActions(in: .received)) == [.dispatch, .reject])
    #expect(
      Set(CaseWorkflow.allowedActions(in: .atUnit))
        == [.assign, .returnToIoc, .transferForMonitoring])
    #expect(Set(CaseWorkflow.allowedActions(in: .returnedToIoc)) == [.dispatch, .reject])
    #expect(
      Set(CaseWorkflow.allowedActions(in: .inProgress))
        == [.submitResult, .reassign, .saveDraft, .addContribution, .holdClock, .resumeClock])
    #expect(Set(CaseWorkflow.allowedActions(in: .awaitingApproval)) == [.approve, .returnToOfficer])
    #expect(Set(CaseWorkflow.allowedActions(in: .resolved)) == [.publish, .sendBackToUnit])
    #expect(
      Set(CaseWorkflow.allowedActions(in: .monitoring))
        == [.acknowledgeMonitoring, .closeMonitoring, .saveDraft])
    #expect(CaseWorkflow.allowedActions(in: .published).isEmpty)
    #expect(CaseWorkflow.allowedActions(in: .closed).isEmpty)
  }

  @Test func holdersFollowTheTable() throws {
    #expect(try Canonical.history(in: .received).current.holder == .unit(Demo.ioc))
    #expect(try Canonical.history(in: .atUnit).current.holder == .unit(Demo.dongLoc))
    #expect(try Canonical.history(in: .returnedToIoc).current.holder == .unit(Demo.ioc))
    #expect(
      try Canonical.history(in: .inProgress).current.holder == .person(Demo.thang, unit: Demo.dongLoc))
    #expect(
      try Canonical.history(in: .awaitingApproval).current.holder
        == .person(Demo.duong, unit: Demo.dongLoc))
    #expect(try Canonical.history(in: .resolved).current.holder == .unit(Demo.ioc))
    #expect(
      try Canonical.history(in: .monitoring).current.holder
        == .recipients([Demo.thang, Demo.coordinator], unit: Demo.dongLoc))
    #expect(try Canonical.history(in: .published).current.holder == .nobody)
    #expect(try Canonical.history(in: .closed).current.holder == .nobody)
  }

  @Test func dispatchNamingALeaderMakesThemTheHolder() throws {
    var history = try CaseHistory.submit()
    try history.act(
      .dispatch(DispatchOrder(unit: Demo.dongLoc, leader: Demo.duong)), by: Demo.iocOperator,
      at: Demo.at(26, 2, 9))
    #expect(history.current.holder == .person(Demo.duong, unit: Demo.dongLoc))
    #expect(history.notifications.last?.recipient == Demo.duong)
  }

  @Test func monitoringClosesWhenEveryoneAcknowledged() throws {
    var history = try Canonical.history(in: .monitoring)
    try history.act(.acknowledgeMonitoring, by: Demo.thang, at: Demo.at(26, 2, 12))
    #expect(history.current.state == .monitoring)
    #expect(history.current.holder == .recipients([Demo.coordinator], unit: Demo.dongLoc))
    try history.act(.acknowledgeMonitoring, by: Demo.coordinator, at: Demo.at(26, 2, 13))
    #expect(history.current.state == .closed)
    #expect(history.current.holder == .nobody)
    #expect(history.current.tasks.last?.outcome == .monitoringClosed)
    #expect(history.journal.last?.toState == .closed)
  }

  @Test func draftIsCheckedButNotJournaled() throws {
    var history = try Canonical.history(in: .inProgress)
    let before = history.current
    let checked = CaseWorkflow.checkDraft(
      before, by: Demo.actor(Demo.thang), expectedVersion: before.version, content: "nháp",
      attachments: [], outputProductNumber: "12/UBND", now: Demo.at(27, 2))
    let draft = try checked.get()
    #expect(draft == CaseDraft(
      caseID: before.id, author: Demo.thang, content: "nháp", attachments: [],
      outputProductNumber: "12/UBND", savedAt: Demo.at(27, 2)))
    // The version is checked (a stale one is refused) but nothing about the case changes.
    #expect(
      CaseWorkflow.checkDraft(
        before, by: Demo.actor(Demo.thang), expectedVersion: before.version - 1, content: "nháp",
        attachments: [], now: Demo.at(27, 2))
        == .failure(.staleVersion(expected: before.version - 1, actual: before.version)))
    #expect(history.current == before)
    // Wrong state, and the leader is not the main handler.
    let atUnit = try Canonical.history(in: .atUnit).current
    #expect(
      CaseWorkflow.checkDraft(
        atUnit, by: Demo.actor(Demo.thang), expectedVersion: atUnit.version, content: "x",
        attachments: [], now: Demo.at(27, 2)) == .failure(.wrongState(current: .atUnit, action: .saveDraft)))
    #expect(
      CaseWorkflow.checkDraft(
        before, by: Demo.actor(Demo.duong), expectedVersion: before.version, content: "x",
        attachments: [], now: Demo.at(27, 2)) == .failure(.notTheMainHandler(Demo.duong)))
    try history.act(.addContribution, by: Demo.coordinator, content: "ý kiến", at: Demo.at(27, 2, 10))
    #expect(history.current.contributions.map(\.content) == ["ý kiến"])
    #expect(history.current.version == before.version + 1)
    #expect(history.notifications.last?.recipient == Demo.thang)
    let submitted = try history.act(
      .submitResult(nextHandler: nil, outputProduct: nil), by: Demo.thang, content: "Kết quả",
      at: Demo.at(27, 2, 11))
    #expect(submitted.draftDisposal == .discard(author: Demo.thang), "submitting consumes the draft")
    #expect(history.current.holder == .unit(Demo.dongLoc), "no next handler: the unit's leaders")
  }

  @Test func sendBackReopensTheTaskAtTheUnit() throws {
    var history = try Canonical.history(in: .resolved)
    #expect(history.current.tasks.last?.outcome == .resolved)
    try history.act(.sendBackToUnit(), by: Demo.iocOperator, content: "Bổ sung", at: Demo.at(28, 2))
    #expect(history.current.currentUnitID == Demo.dongLoc)
    #expect(history.current.holder == .person(Demo.thang, unit: Demo.dongLoc))
    #expect(history.current.tasks.last?.completedAt == nil)
    #expect(history.notifications.contains { $0.recipient == Demo.thang && $0.kind == .sentBackToUnit })
  }
}
