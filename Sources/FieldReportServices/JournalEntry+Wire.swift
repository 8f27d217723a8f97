import FieldReportStore
import FieldReportWorkflow
import WireBridge

extension CaseRenderer {
  /// Whether the viewer may see `entry` of case `c`: the workflow's rule, plus the entries
  /// whose actor asked to notify the citizen's app, for the reporter and the submitting
  /// platform (they relay those notifications from WatchEvents).
  func canSee(_ entry: JournalEntry, of c: Case) -> Bool {
    if CaseVisibility.canSee(entry, of: c, viewer: viewer) { return true }
    guard entry.notify, entry.action != .saveDraft, CaseVisibility.canSee(c, viewer: viewer) else {
      return false
    }
    return c.submittedBy == viewer.id || c.reporter.userID == viewer.id
  }

  /// A journal entry as the viewer may see it.
  /// - Parameters:
  ///   - stored: the entry as stored.
  ///   - c: the case the entry belongs to (for the reporter rule).
  func entry(_ stored: StoredJournalEntry, of c: Case) -> Fieldreport_V1_JournalEntry {
    let entry = stored.entry.redacted(for: viewer, of: c)
    let isInternal = CaseVisibility.isInternal(c, viewer: viewer)
    var wire = Fieldreport_V1_JournalEntry()
    wire.entryId = entryID(entry)
    wire.caseId = entry.caseID.rawValue
    wire.sequence = entry.sequence
    wire.action = Fieldreport_V1_JournalAction(entry.action)
    wire.actor = userRef(entry.actor)
    if let unit = entry.actorUnit { wire.actorUnit = unitRef(unit) }
    wire.actedAtMs = entry.at.millisecondsSince1970
    wire.content = entry.content
    wire.attachments = entry.attachments.map { attachment($0, at: entry.at) }
    wire.notifyMobileApp = entry.notify
    wire.fromState = entry.fromState.map(Fieldreport_V1_CaseState.init) ?? .unspecified
    wire.toState = Fieldreport_V1_CaseState(entry.toState)
    wire.caseVersion = entry.sequence
    // People outside the case see which unit holds it, never who.
    wire.newHandler = handlerRef(
      isInternal ? entry.toHolder : (entry.toHolder.unitID.map(Holder.unit) ?? .nobody))
    wire.details = isInternal || !entry.action.isInternalDetail ? details(of: entry, in: c) : nil
    wire.previousEntryHash = HexBytes.decode(stored.previousHashHex) ?? []
    wire.entryHash = HexBytes.decode(stored.hashHex) ?? []
    return wire
  }

  /// The action-specific details of an entry.
  /// - Parameters:
  ///   - entry: the entry.
  ///   - c: its case now (a resume entry's hold is found on the case's tasks).
  func details(of entry: JournalEntry, in c: Case) -> Fieldreport_V1_JournalEntry.Details? {
    switch entry.event {
    case .submitted, .returnedToIoc, .monitoringAcknowledged, .monitoringClosed, .draftSaved,
      .contributionAdded, .approved:
      return nil
    case .dispatched(let unit, _, let task, let outsideCompetence):
      var details = Fieldreport_V1_DispatchDetails()
      details.targetUnit = unitRef(unit)
      details.taskDueAtMs = task.due.millisecondsSince1970
      details.taskKind = Fieldreport_V1_TaskKind(task.taskType)
      details.returnOutsideCompetence = outsideCompetence == true

      return .dispatch(details)
    case .rejected(let reason, let duplicateOf, let routedTo, let outsideCompetence):
      var info = Fieldreport_V1_RejectionInfo()
      info.returnOutsideCompetence = outsideCompetence == true
      info.reason = Fieldreport_V1_RejectReason(reason)
      info.duplicateOfCaseId = duplicateOf?.rawValue ?? ""
      info.routedTo = routedTo ?? ""
      info.note = entry.content
      info.rejectedBy = userRef(entry.actor)
      info.rejectedAtMs = entry.at.millisecondsSince1970
      return .rejection(info)
    case .assigned(let a), .reassigned(let a):
      return .assignment(
        assignment(
          a, id: entryID(entry), content: entry.content, attachments: entry.attachments,
          at: entry.at))
    case .transferredForMonitoring(let recipients, let group):
      var details = Fieldreport_V1_MonitoringDetails()
      details.recipients = recipients.map(userRef)
      details.groupIds = group.map { [$0.rawValue] } ?? []
      return .monitoring(details)
    case .returnedToOfficer(let officer, let newDue), .sentBackToUnit(let officer, let newDue):
      var details = Fieldreport_V1_ReturnDetails()
      details.returnedTo = userRef(officer)
      details.newDueAtMs = newDue?.millisecondsSince1970
      return .returned(details)
    case .resultSubmitted(let next, let product, let cannotBeResolved):
      var details = Fieldreport_V1_SubmitResultDetails()
      details.cannotBeResolvedReason = cannotBeResolved ?? ""
      if let next { details.nextHandler = userRef(next) }
      details.outputProductKind = Fieldreport_V1_OutputProductKind(product?.kind)
      details.outputProductNumber = product?.number ?? ""
      return .submitted(details)
    case .published(let publicly, let text):
      var details = Fieldreport_V1_PublishDetails()
      details.scope = publicly ? .everyone : .reporterOnly
      details.publishedText = text ?? ""
      return .published(details)
    case .clockHeld(let kind):
      var details = Fieldreport_V1_ClockHoldDetails()
      details.kind = Fieldreport_V1_ClockHoldKind(kind)
      return .clockHold(details)
    case .clockResumed:
      var details = Fieldreport_V1_ClockHoldDetails()
      for task in c.tasks {
        guard let hold = task.holds.first(where: { $0.resumedAt == entry.at && $0.resumedBy == entry.actor })
        else { continue }
        details.kind = Fieldreport_V1_ClockHoldKind(hold.kind)
        details.heldMs = hold.heldMilliseconds(now: entry.at)
      }
      return .clockHold(details)
    }
  }

  /// The workflow tab (Quy trình): one step per holder period, with received, completed, due
  /// and timeliness, computed by replaying the journal.
  /// - Parameters:
  ///   - stored: the case now (for the reporter and isInternal-data rules).
  ///   - journal: its whole journal, oldest first.
  func workflowSteps(_ stored: Case, journal: [StoredJournalEntry]) -> [Fieldreport_V1_WorkflowStep] {
    let isInternal = CaseVisibility.isInternal(stored, viewer: viewer)
    var steps: [Fieldreport_V1_WorkflowStep] = []
    var replayed: Case?
    for record in journal {
      let entry = record.entry
      guard let next = CaseReplay.apply(entry, to: replayed) else { break }
      defer { replayed = next }
      // Drafts, contributions and acknowledgements that leave others pending do not hand the
      // case to a new holder: no new step.
      let opensStep = next.stepReceivedAt == entry.at && entry.action.opensStep(leaving: next.state)
      if !opensStep, case .clockResumed = entry.event, var current = steps.popLast() {
        // The resumed step's due time moved later by the held time.
        let due = stepDue(next)
        current.dueAtMs = due?.millisecondsSince1970
        current.timeliness = Fieldreport_V1_Timeliness(due: due, completedAt: nil, now: now, policy: policy)
        steps.append(current)
      }
      guard opensStep || steps.isEmpty else { continue }
      let visibleEntry = entry.redacted(for: viewer, of: stored)
      if var current = steps.popLast() {
        current.completedAtMs = entry.at.millisecondsSince1970
        current.completedByAction = Fieldreport_V1_JournalAction(entry.action)
        if isInternal { current.completedBy = userRef(visibleEntry.actor) }
        let due = current.dueAtMs.map { Timestamp(millisecondsSince1970: $0) }
        current.timeliness = Fieldreport_V1_Timeliness(
          due: due, completedAt: entry.at, now: now, policy: policy)
        steps.append(current)
      }
      var step = Fieldreport_V1_WorkflowStep()
      step.stepNumber = Int32(clamping: steps.count + 1)
      step.openedBy = Fieldreport_V1_JournalAction(entry.action)
      step.state = Fieldreport_V1_CaseState(next.state)
      step.holder = handlerRef(
        isInternal ? next.holder : (next.holder.unitID.map(Holder.unit) ?? .nobody))
      step.receivedAtMs = entry.at.millisecondsSince1970
      let due = stepDue(next)
      step.dueAtMs = due?.millisecondsSince1970
      step.timeliness =
        next.state.isTerminal
        ? .unspecified : Fieldreport_V1_Timeliness(due: due, completedAt: nil, now: now, policy: policy)
      step.openingEntryId = entryID(entry)
      steps.append(step)
    }
    // While on hold no deadline runs: the current step is pending, never overdue.
    if stored.currentTask?.openHold != nil, var current = steps.popLast() {
      if current.completedAtMs == nil { current.timeliness = .pending }
      steps.append(current)
    }
    return steps
  }

  /// A notification for its recipient.
  /// - Parameters:
  ///   - stored: the notification as stored.
  ///   - c: its case, if it still exists (for the report code and title).
  func notification(_ stored: StoredNotification, case c: Case?) -> Fieldreport_V1_Notification {
    let n = stored.notification
    var wire = Fieldreport_V1_Notification()
    wire.notificationId = String(stored.id)
    wire.caseId = n.caseID.rawValue
    wire.reportCode = c?.reportCode.rawValue ?? ""
    wire.caseTitle = c?.title ?? ""
    wire.action = Fieldreport_V1_JournalAction(notification: n.kind)
    wire.text = n.text
    wire.createdAtMs = n.at.millisecondsSince1970
    wire.readAtMs = stored.readAt?.millisecondsSince1970
    wire.viaMobileApp = n.viaMobileApp
    return wire
  }
}

extension ActionKind {
  /// Whether the entry's details are working data that people outside the case (the
  /// reporter, the platform, the public) must not see.
  fileprivate var isInternalDetail: Bool {
    switch self {
    // A hold's kind and held time are what the reporter and the platform may see of it (they
    // see only the holds awaiting the citizen, CaseVisibility).
    case .submit, .reject, .publish, .holdClock, .resumeClock: false
    default: true
    }
  }

  /// Whether an entry of this kind hands the case to a new holder, given the state after it.
  fileprivate func opensStep(leaving state: CaseState) -> Bool {
    switch self {
    case .saveDraft, .addContribution, .holdClock, .resumeClock: false
    case .acknowledgeMonitoring: state != .monitoring
    default: true
    }
  }
}
