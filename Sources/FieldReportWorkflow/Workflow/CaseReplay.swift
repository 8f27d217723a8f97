/// Rebuilds a case from its journal, and applies one entry to a case.
///
/// ``CaseWorkflow`` computes every new case by building the journal entry first and then
/// applying it with ``apply(_:to:)``, so a case and its journal cannot drift apart: replaying
/// the entries reproduces the case exactly.
public enum CaseReplay {
  /// Why a journal could not be replayed (it is corrupt, incomplete or out of order).
  public enum ReplayError: Error, Hashable, Sendable {
    /// There are no entries.
    case emptyJournal
    /// The first entry does not record a submission.
    case firstEntryNotSubmission
    /// Entries must be numbered 1, 2, 3…; `found` came where `expected` should.
    case sequenceGap(expected: Int64, found: Int64)
    /// An entry belongs to another case.
    case wrongCase(expected: CaseID, found: CaseID)
    /// The entry's event cannot apply to the case's state at that point.
    case notApplicable(sequence: Int64, action: ActionKind, state: CaseState)
    /// The entry's recorded outcome (state or holder) disagrees with the replayed one.
    case inconsistentEntry(sequence: Int64)
  }

  /// The case as its journal says it is.
  ///
  /// - Parameter entries: the whole journal of one case, in sequence order.
  /// - Throws: ``ReplayError`` if the entries are not a complete, consistent journal.
  public static func replay(_ entries: [JournalEntry]) throws(ReplayError) -> Case {
    guard let first = entries.first else { throw .emptyJournal }
    guard case .submitted = first.event else { throw .firstEntryNotSubmission }
    var current: Case?
    for (index, entry) in entries.enumerated() {
      let expected = Int64(index + 1)
      guard entry.sequence == expected else {
        throw .sequenceGap(expected: expected, found: entry.sequence)
      }
      guard entry.caseID == first.caseID else {
        throw .wrongCase(expected: first.caseID, found: entry.caseID)
      }
      guard let next = apply(entry, to: current) else {
        throw .notApplicable(
          sequence: entry.sequence, action: entry.action, state: current?.state ?? .received)
      }
      guard next.state == entry.toState, next.holder == entry.toHolder,
        current.map({ $0.state == entry.fromState && $0.holder == entry.fromHolder }) ?? true
      else { throw .inconsistentEntry(sequence: entry.sequence) }
      current = next
    }
    // A non-empty journal whose first entry is a submission always yields a case.
    guard let result = current else { throw .emptyJournal }
    return result
  }

  /// The case after `entry`, or nil if the entry cannot apply (wrong state, missing data).
  ///
  /// No authorisation happens here: the entry was authorised when it was decided.
  /// - Parameters:
  ///   - entry: the step to apply; its sequence becomes the case version.
  ///   - current: the case before the step; nil for the submission entry.
  public static func apply(_ entry: JournalEntry, to current: Case?) -> Case? {
    if case .submitted(let submission) = entry.event {
      guard current == nil, submission.caseID == entry.caseID else { return nil }
      if let task = submission.reopenedTask {
        // A "not resolved" verdict's re-report starts at the unit that handled the original.
        guard task.caseID == submission.caseID else { return nil }
        return Case(
          id: submission.caseID, reportCode: submission.reportCode, version: entry.sequence,
          state: .atUnit, holder: .unit(task.unitID), iocUnitID: submission.iocUnitID,
          currentUnitID: task.unitID, unitsPassedThrough: [task.unitID],
          reporter: submission.reporter, submittedBy: entry.actor, categoryID: submission.categoryID,
          title: submission.title, description: submission.description,
          location: submission.location, isPublic: submission.isPublic,
          reportAttachments: entry.attachments, linkedCaseID: submission.linkedCaseID,
          reportedAt: submission.reportedAt, receivedAt: entry.at, updatedAt: entry.at,
          stepReceivedAt: entry.at, stepDue: task.due, tasks: [task],
          previousStep: summary(of: entry), platformReference: submission.platformReference)
      }
      return Case(
        id: submission.caseID, reportCode: submission.reportCode, version: entry.sequence,
        state: .received, holder: .unit(submission.iocUnitID), iocUnitID: submission.iocUnitID,
        currentUnitID: submission.iocUnitID, reporter: submission.reporter,
        submittedBy: entry.actor, categoryID: submission.categoryID, title: submission.title,
        description: submission.description, location: submission.location,
        isPublic: submission.isPublic, reportAttachments: entry.attachments,
        linkedCaseID: submission.linkedCaseID, reportedAt: submission.reportedAt,
        receivedAt: entry.at, updatedAt: entry.at, stepReceivedAt: entry.at,
        previousStep: summary(of: entry), platformReference: submission.platformReference)
    }
    guard var c = current, entry.caseID == c.id,
      CaseWorkflow.allowedStates(for: entry.action).contains(c.state)
    else { return nil }

    c.version = entry.sequence
    c.updatedAt = entry.at
    switch entry.event {
    case .submitted:
      return nil  // handled above; a second submission never applies

    case .dispatched(let unit, let leader, let task, let outsideCompetence):
      guard task.unitID == unit, task.caseID == c.id else { return nil }
      guard confirmReturn(&c, outsideCompetence) else { return nil }
      c.state = .atUnit
      c.holder = leader.map { .person($0, unit: unit) } ?? .unit(unit)
      c.currentUnitID = unit
      c.unitsPassedThrough = (c.unitsPassedThrough + [unit]).uniqued()
      c.tasks.append(task)
      c.stepDue = task.due
      c.assignment = nil
      c.contributions = []
      c.result = nil
      c.monitoring = nil

    case .rejected(let reason, let duplicateOf, let routedTo, let outsideCompetence):
      guard confirmReturn(&c, outsideCompetence) else { return nil }
      c.state = .closed
      c.holder = .nobody
      c.rejection = Case.Rejection(
        reason: reason, at: entry.at, duplicateOf: duplicateOf, routedTo: routedTo)
      c.stepDue = nil

    case .returnedToIoc:
      completeTask(&c, at: entry.at, outcome: .returnedToIoc)
      c.state = .returnedToIoc
      c.holder = .unit(c.iocUnitID)
      c.currentUnitID = c.iocUnitID
      c.stepDue = nil

    case .assigned(let assignment), .reassigned(let assignment):
      c.state = .inProgress
      c.holder = .person(assignment.mainHandler, unit: c.currentUnitID)
      c.assignment = assignment
      c.stepDue = assignment.due

    case .transferredForMonitoring(let recipients, let group):
      guard !recipients.isEmpty else { return nil }
      c.state = .monitoring
      c.monitoring = Case.Monitoring(
        recipients: recipients, groupID: group, transferredBy: entry.actor,
        transferredAt: entry.at)
      c.holder = .recipients(recipients, unit: c.currentUnitID)
      c.stepDue = c.currentTask?.due

    case .monitoringAcknowledged:
      guard var monitoring = c.monitoring, monitoring.pendingRecipients.contains(entry.actor)
      else { return nil }
      monitoring.acknowledgements.append(.init(userID: entry.actor, at: entry.at))
      c.monitoring = monitoring
      let pending = monitoring.pendingRecipients
      if pending.isEmpty {
        closeMonitoring(&c, at: entry.at)
      } else {
        c.holder = .recipients(pending, unit: c.currentUnitID)
      }
      c.previousStep = summary(of: entry)
      return c  // the holder changed, but the step did not start anew for the others

    case .monitoringClosed:
      closeMonitoring(&c, at: entry.at)

    case .draftSaved:
      return c  // legacy entry (see JournalEvent.draftSaved): only the version moved

    case .resultSubmitted(let nextHandler, let outputProduct, let cannotBeResolved):
      c.state = .awaitingApproval
      c.result = Case.Result(
        content: entry.content, attachments: entry.attachments, submittedBy: entry.actor,
        submittedAt: entry.at, outputProduct: outputProduct ?? c.assignment?.outputProduct,
        cannotBeResolvedReason: cannotBeResolved)
      c.holder = nextHandler.map { .person($0, unit: c.currentUnitID) } ?? .unit(c.currentUnitID)
      c.stepDue = c.currentTask?.due

    case .contributionAdded:
      c.contributions.append(
        Case.Note(
          author: entry.actor, content: entry.content, attachments: entry.attachments,
          at: entry.at))
      return c  // not a step: holder, step times and previous step stay

    case .approved:
      completeTask(&c, at: entry.at, outcome: .resolved)
      c.state = .resolved
      c.holder = .unit(c.iocUnitID)
      c.currentUnitID = c.iocUnitID
      c.stepDue = nil

    case .returnedToOfficer(let officer, let newDue):
      if let newDue { c.assignment?.due = newDue }
      c.state = .inProgress
      c.holder = .person(officer, unit: c.currentUnitID)
      c.stepDue = c.assignment?.due

    case .sentBackToUnit(let handler, let newDue):
      guard let last = c.tasks.indices.last else { return nil }
      c.tasks[last].completedAt = nil
      c.tasks[last].outcome = nil
      if let newDue {
        // The IOC's new deadline binds the assignment, and the unit's task when it is later.
        c.assignment?.due = newDue
        if newDue > c.tasks[last].due { c.tasks[last].due = newDue }
      }
      c.currentUnitID = c.tasks[last].unitID
      c.state = .inProgress
      c.holder = .person(handler, unit: c.currentUnitID)
      c.stepDue = c.assignment?.due

    case .published(let publicly, let text):
      c.state = .published
      c.holder = .nobody
      c.publication = Case.Publication(publicly: publicly, at: entry.at, text: text)
      c.stepDue = nil

    case .clockHeld(let kind):
      guard let last = c.tasks.indices.last, c.currentTask != nil, c.tasks[last].openHold == nil
      else { return nil }
      c.tasks[last].holds.append(
        ClockHold(kind: kind, reason: entry.content, heldBy: entry.actor, heldAt: entry.at))
      c.previousStep = summary(of: entry)
      return c  // not a new step: the holder and the step's start stay

    case .clockResumed:
      guard let last = c.tasks.indices.last, c.currentTask != nil,
        var hold = c.tasks[last].openHold
      else { return nil }
      hold.resumedBy = entry.actor
      hold.resumedAt = entry.at
      c.tasks[last].holds[c.tasks[last].holds.count - 1] = hold
      // The held time is not the unit's: every running deadline moves later by it.
      let held = hold.heldMilliseconds(now: entry.at)
      c.tasks[last].due = c.tasks[last].due.adding(milliseconds: held)
      if var assignment = c.assignment {
        assignment.due = assignment.due.adding(milliseconds: held)
        c.assignment = assignment
      }
      c.stepDue = c.stepDue?.adding(milliseconds: held)
      c.previousStep = summary(of: entry)
      return c
    }
    c.stepReceivedAt = entry.at
    c.previousStep = summary(of: entry)
    return c
  }

  private static func summary(of entry: JournalEntry) -> Case.StepSummary {
    Case.StepSummary(
      actor: entry.actor, actorUnit: entry.actorUnit, action: entry.action, at: entry.at,
      content: entry.content)
  }

  private static func completeTask(_ c: inout Case, at: Timestamp, outcome: UnitTask.Outcome) {
    guard let last = c.tasks.indices.last, c.tasks[last].completedAt == nil else { return }
    c.tasks[last].completedAt = at
    c.tasks[last].outcome = outcome
  }

  /// Records the IOC's confirmation that the unit which returned the case was not competent
  /// on that unit's task; false (the entry does not apply) when the case was not returned.
  private static func confirmReturn(_ c: inout Case, _ confirmed: Bool?) -> Bool {
    guard confirmed == true else { return true }
    guard c.state == .returnedToIoc, let last = c.tasks.indices.last,
      c.tasks[last].outcome == .returnedToIoc
    else { return false }
    c.tasks[last].returnOutsideCompetence = true
    return true
  }

  private static func closeMonitoring(_ c: inout Case, at: Timestamp) {
    completeTask(&c, at: at, outcome: .monitoringClosed)
    c.state = .closed
    c.holder = .nobody
    c.stepDue = nil
    c.stepReceivedAt = at
  }
}
