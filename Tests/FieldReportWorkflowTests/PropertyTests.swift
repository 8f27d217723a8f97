import Foundation
import FieldReportWorkflow
import Testing

/// Random actions by random actors, from fixed seeds: the invariants hold after every step.
@Suite("Properties") struct PropertyTests {
  static let people = Demo.users.map(\.id)
  static let units: [UnitID] = [Demo.dongLoc, Demo.khcn, Demo.tranPhu, Demo.ioc, "nowhere"]

  /// What the rules allow, written independently of the implementation.
  static func permitted(_ actor: Actor, _ kind: ActionKind, _ c: Case) -> Bool {
    guard actor.user.isActive, CaseWorkflow.allowedStates(for: kind).contains(c.state) else {
      return false
    }
    let hold = c.currentTask?.openHold
    if hold != nil, !CaseWorkflow.allowedWhileHeld.contains(kind) { return false }
    let isLeader = actor.has(.leader, at: c.currentUnitID)
    let isMain = c.assignment?.mainHandler == actor.id
      && (actor.has(.officer, at: c.currentUnitID) || actor.has(.leader, at: c.currentUnitID))
    switch kind {
    case .holdClock: return hold == nil && (isLeader || isMain)
    case .resumeClock:
      guard let hold else { return false }
      return isLeader || isMain
        || (hold.kind == .awaitingCitizen && actor.id == c.submittedBy && actor.user.kind == .serviceAccount)
    case .submit: return false
    case .dispatch, .reject, .sendBackToUnit, .publish:
      return actor.has(.iocOperator, at: c.iocUnitID)
    case .returnToIoc, .assign, .reassign, .transferForMonitoring, .closeMonitoring, .approve,
      .returnToOfficer:
      return actor.has(.leader, at: c.currentUnitID)
    case .acknowledgeMonitoring:
      return c.monitoring?.pendingRecipients.contains(actor.id) ?? false
    case .saveDraft, .submitResult:
      return c.assignment?.mainHandler == actor.id
        && (actor.has(.officer, at: c.currentUnitID) || actor.has(.leader, at: c.currentUnitID))
    case .addContribution:
      return c.assignment?.coordinators.contains(actor.id) ?? false
    }
  }

  static func randomAction(
    _ kind: ActionKind, on c: Case, now: Timestamp, rng: inout SplitMix64
  ) -> CaseAction {
    // Mostly plausible people (staff of the unit holding the case), sometimes anyone.
    let local = people.filter { Demo.directory.has($0, .officer, at: c.currentUnitID) }
    let leaders = Demo.directory.holders(of: .leader, at: c.currentUnitID)
    func person(_ likely: [UserID]) -> UserID {
      rng.chance(80) && !likely.isEmpty ? rng.pick(likely) : rng.pick(people)
    }
    func due() -> Timestamp? {
      rng.chance(60) ? nil : now.adding(days: Int64.random(in: -1...15, using: &rng))
    }
    func order() -> AssignmentOrder {
      AssignmentOrder(
        mainHandler: rng.chance(5) ? nil : person(local),
        coordinators: rng.chance(50) ? [] : rng.subset(people, max: 2),
        followers: rng.chance(50) ? [] : rng.subset(people, max: 2),
        due: due(), doNotPublish: rng.chance(20))
    }
    switch kind {
    case .submit, .approve: return .approve
    case .dispatch:
      return .dispatch(
        DispatchOrder(unit: rng.pick(units), leader: rng.chance(70) ? nil : rng.pick(people), due: due()))
    case .reject:
      let reason = rng.pick(RejectionReason.allCases)
      return .reject(reason, routedTo: reason == .outOfScope && rng.chance(80) ? "Công an tỉnh" : nil)
    case .returnToIoc: return .returnToIoc
    case .assign: return .assign(order())
    case .reassign: return .reassign(order())
    case .transferForMonitoring:
      return .transferForMonitoring(
        recipients: rng.chance(80) ? [person(local)] : rng.subset(people, max: 3), group: rng.chance(30) ? "nhom-mua-bao" : nil)
    case .acknowledgeMonitoring: return .acknowledgeMonitoring
    case .closeMonitoring: return .closeMonitoring
    case .saveDraft: return .approve  // drafts are not journaled actions; never picked
    case .submitResult:
      return .submitResult(
        nextHandler: rng.chance(50) ? nil : person(leaders), outputProduct: nil,
        cannotBeResolved: rng.chance(25) ? "Vượt thẩm quyền ngân sách xã" : nil)
    case .addContribution: return .addContribution
    case .returnToOfficer: return .returnToOfficer()
    case .sendBackToUnit: return .sendBackToUnit()
    case .publish: return .publish(publicly: rng.chance(50))
    case .holdClock: return .holdClock(rng.pick(ClockHold.Kind.allCases))
    case .resumeClock: return .resumeClock
    }
  }

  static func checkHolder(_ c: Case) {
    // Every ended case has exactly one outcome, and no open case has one.
    #expect((c.outcome != nil) == c.state.isTerminal)
    switch c.state {
    case .published, .closed:
      #expect(c.holder == .nobody)
    case .received, .returnedToIoc, .resolved:
      #expect(c.holder == .unit(c.iocUnitID))
      #expect(c.currentUnitID == c.iocUnitID)
    case .inProgress:
      #expect(c.holder == c.assignment.map { .person($0.mainHandler, unit: c.currentUnitID) })
    case .atUnit, .awaitingApproval:
      #expect(c.holder.unitID == c.currentUnitID)
      #expect(c.currentUnitID != c.iocUnitID)
      if case .recipients = c.holder { Issue.record("a set holds a case outside monitoring") }
    case .monitoring:
      let pending = c.monitoring?.pendingRecipients ?? []
      #expect(!pending.isEmpty)
      #expect(c.holder == .recipients(pending, unit: c.currentUnitID))
    }
  }

  @Test("random sequences keep the invariants", arguments: 0..<6)
  func randomSequences(batch: Int) throws {
    var accepted = 0
    var refusals: [String: Int] = [:]
    var codes = Set<ReportCode>()
    for seed in UInt64(batch * 50)..<UInt64(batch * 50 + 50) {
      var rng = SplitMix64(seed: seed)
      var history = try CaseHistory.submit(
        at: Demo.at(6, 3, 7).adding(milliseconds: Int64(seed)), sequence: Int(seed) + 1,
        caseID: CaseID("p-\(seed)"))
      #expect(codes.insert(history.current.reportCode).inserted, "codes unique")
      var now = Demo.at(6, 3, 8)
      for _ in 0..<30 where !history.current.state.isTerminal {
        now = now.adding(milliseconds: Int64.random(in: 0...(6 * 3_600_000), using: &rng))
        let allowed = CaseWorkflow.allowedActions(in: history.current.state).filter { $0 != .saveDraft }
        var kind = rng.chance(70) && !allowed.isEmpty
          ? rng.pick(allowed) : rng.pick(ActionKind.allCases.filter { $0 != .submit && $0 != .saveDraft })
        // Terminal actions end the sequence; make them rarer so that sequences go deep.
        if [.reject, .publish, .closeMonitoring].contains(kind), rng.chance(80), !allowed.isEmpty {
          kind = rng.pick(allowed)
        }
        let action = Self.randomAction(kind, on: history.current, now: now, rng: &rng)
        // Half the time someone the rules allow (if anyone), otherwise anyone at all.
        let allowedActors = Self.people.filter {
          Self.permitted(Demo.actor($0), kind, history.current)
        }
        let actorID = rng.chance(50) && !allowedActors.isEmpty
          ? rng.pick(allowedActors) : rng.pick(Self.people)
        let stale = rng.chance(5)
        let before = history.current
        let outcome = history.decide(
          action, by: actorID, content: rng.chance(10) ? "" : rng.pick(["Nội dung", "Không đúng chức năng"]),
          at: now, notify: rng.chance(50),
          version: stale ? before.version - Int64.random(in: 1...3, using: &rng) : nil)
        switch outcome {
        case .success(let transition):
          accepted += 1
          #expect(!stale, "a stale version was accepted (seed \(seed))")
          #expect(Self.permitted(Demo.actor(actorID), kind, before),
            "seed \(seed): \(actorID) was allowed to \(kind) in \(before.state)")
          #expect(transition.newCase.version == before.version + 1)
          #expect(transition.entry.sequence == transition.newCase.version)
          #expect(transition.entry.fromHolder == before.holder)
          #expect(!transition.notifications.contains { $0.recipient == actorID && !$0.viaMobileApp })
          history.accept(transition)
          Self.checkHolder(history.current)
          #expect(try CaseReplay.replay(history.journal) == history.current, "seed \(seed)")
        case .failure(let refusal):
          refusals[refusal.code, default: 0] += 1
          if stale, Demo.actor(actorID).user.isActive { #expect(refusal.category == .aborted) }
          if !CaseWorkflow.allowedStates(for: kind).contains(before.state), !stale,
            Demo.actor(actorID).user.isActive
          {
            #expect(refusal == .wrongState(current: before.state, action: kind))
          }
        }
      }
      // The journal survives a round trip through the store's encoding.
      let data = try JSONEncoder().encode(history.journal)
      let decoded = try JSONDecoder().decode([JournalEntry].self, from: data)
      #expect(decoded == history.journal)
      #expect(try CaseReplay.replay(decoded) == history.current)
    }
    #expect(refusals["WRONG_ROLE", default: 0] > 0 && refusals["STALE_VERSION", default: 0] > 0)
    #expect(accepted >= 100, "the generator must exercise the workflow (accepted \(accepted))")
  }
}
