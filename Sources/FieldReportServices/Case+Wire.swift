import FieldReportStore
import FieldReportWorkflow
import WireBridge

extension CaseRenderer {
  /// The case as the viewer may see it (the workflow's redaction).
  func visible(_ c: Case) -> Case { c.redacted(for: viewer) }

  /// Whether the viewer may see the case at all (else the handler answers NOT_FOUND).
  func canSee(_ c: Case) -> Bool { CaseVisibility.canSee(c, viewer: viewer) }

  /// Due time of the case's current step as the contract shows it: the end of the return
  /// window while the case waits at a unit, the workflow's step due time otherwise.
  func stepDue(_ c: Case) -> Timestamp? {
    Deadlines.currentStepDue(c, policy: policy)
  }

  /// An inbox row (CaseSummary) for `stored`, redacted for the viewer.
  func summary(_ stored: Case) -> Fieldreport_V1_CaseSummary {
    var wire = Fieldreport_V1_CaseSummary()
    fillSummary(stored, into: &wire)
    return wire
  }

  /// Writes the inbox row of `stored` into `wire` (a new, empty summary): in place, so that a
  /// list's rows are written into the response's own storage. Returning the built value copied
  /// it (every string retained, then released with the local: 7 % of an inbox call's
  /// event-loop samples, perf).
  func fillSummary(_ stored: Case, into wire: inout Fieldreport_V1_CaseSummary) {
    // Of the redacted fields (Case.redacted(for:)) a row shows only the title and the holder;
    // they are taken as redacted without copying the case (a copy per row showed in the inbox's
    // profile). Every other field below is shown to all the case's viewers.
    let isInternal = CaseVisibility.isInternal(stored, viewer: viewer)
    wire.caseId = stored.id.rawValue
    wire.reportCode = stored.reportCode.rawValue
    // The unit task's title once dispatched (for those who see tasks), else the report's.
    wire.title = stored.visibleTitle(isInternal: isInternal)
    wire.state = Fieldreport_V1_CaseState(stored.state)
    wire.version = stored.version
    wire.currentUnit = unitRef(stored.currentUnitID)
    wire.currentHandler = handlerRef(stored.visibleHolder(isInternal: isInternal))
    wire.senderLabel =
      CaseVisibility.canSeeReporter(stored, viewer: viewer)
      ? stored.reporter.fullName : Self.citizenLabel
    wire.stepStartedAtMs = stored.stepReceivedAt.millisecondsSince1970
    let due = stepDue(stored)
    wire.stepDueAtMs = due?.millisecondsSince1970
    wire.overdue = !stored.state.isTerminal && Deadlines.isOverdue(due: due, now: now)
    wire.categoryId = stored.categoryID.rawValue
    wire.categoryName = categories[stored.categoryID]?.name ?? ""
    // The task type is not working data: everyone who sees the case may see it.
    wire.taskKind = stored.tasks.last.map { Fieldreport_V1_TaskKind($0.taskType) } ?? .unspecified
    wire.isPublic = stored.isPublic && !(stored.assignment?.doNotPublish ?? false)
    wire.reportedAtMs = stored.receivedAt.millisecondsSince1970
    wire.updatedAtMs = stored.updatedAt.millisecondsSince1970
    wire.outcome = Fieldreport_V1_CaseOutcome(stored.outcome)
    wire.clockHold = summaryClockHold(stored)
  }

  /// How an ended case ended (CaseClosure), nil while it is open. The outcome and its reason
  /// are the citizen's own information: every viewer of the case may see them.
  func closure(_ stored: Case) -> Fieldreport_V1_CaseClosure? {
    guard let outcome = stored.outcome, let ended = stored.endedAt else { return nil }
    var wire = Fieldreport_V1_CaseClosure()
    wire.outcome = Fieldreport_V1_CaseOutcome(outcome)
    wire.reason = stored.outcomeReason ?? ""
    wire.duplicateOfCaseId = outcome == .duplicate ? (stored.rejection?.duplicateOf?.rawValue ?? "") : ""
    wire.citizenText = ClosureWording.citizenText(for: stored) ?? ""
    wire.endedAtMs = ended.millisecondsSince1970
    wire.countedForUnit = unitRef(stored.outcomeUnitID)
    return wire
  }

  /// Report information (Thông tin phản ánh); the reporter only for those who may see it.
  func reportInfo(_ stored: Case, journal: [StoredJournalEntry]) -> Fieldreport_V1_ReportInfo {
    var wire = Fieldreport_V1_ReportInfo()
    wire.reportCode = stored.reportCode.rawValue
    wire.title = stored.title
    wire.content = stored.description
    wire.platformReference = stored.platformReference ?? ""
    wire.reportedAtMs = stored.reportedAt.millisecondsSince1970
    wire.eventAddress = stored.location.address
    if let latitude = stored.location.latitude, let longitude = stored.location.longitude {
      var point = Fieldreport_V1_GeoPoint()
      point.latitude = latitude
      point.longitude = longitude
      wire.location = point
    }
    wire.category = category(stored.categoryID)
    wire.reporterAllowsPublic = stored.isPublic
    if CaseVisibility.canSeeReporter(stored, viewer: viewer) {
      wire.reporter = Self.reporterInfo(stored.reporter)
    }
    wire.attachments = stored.reportAttachments.map { attachment($0, at: stored.receivedAt) }
    wire.linkedCaseId = stored.linkedCaseID?.rawValue ?? ""
    return wire
  }

  /// The reporter as the wire shows it (to callers allowed to see it).
  static func reporterInfo(_ reporter: Case.Reporter) -> Fieldreport_V1_ReporterInfo {
    var wire = Fieldreport_V1_ReporterInfo()
    wire.fullName = reporter.fullName
    wire.phone = reporter.phone
    wire.email = reporter.email
    wire.citizenUserId = reporter.userID?.rawValue ?? ""
    return wire
  }

  /// Fills the processing view (CaseDetail) of `stored`, with the facts only its journal holds
  /// (contents and attachments of the steps), redacted for the viewer.
  /// - Parameters:
  ///   - stored: The case.
  ///   - journal: Its journal.
  ///   - myDraft: The caller's own saved draft, shown only while they keep one on the case
  ///     (``FieldReportWorkflow/CaseWorkflow/keepsDraft(_:author:)``: the main handler, a
  ///     monitoring recipient).
  ///   - wire: The detail to fill: the response's own, in place (a detail built here and
  ///     then stored in the response was copied whole, every string retained and released).
  func fillDetail(
    _ stored: Case, journal: [StoredJournalEntry], myDraft: CaseDraft? = nil, into wire: inout Fieldreport_V1_CaseDetail
  ) {
    let c = visible(stored)
    let entries = journal.map(\.entry)
    func last(_ kinds: Set<ActionKind>) -> JournalEntry? {
      entries.last { kinds.contains($0.action) }
    }
    wire.summary = Fieldreport_V1_CaseSummary()
    fillSummary(stored, into: &wire.summary!)
    wire.report = reportInfo(stored, journal: journal)

    if let task = c.tasks.last {
      wire.task = taskInfo(task, of: c, dispatch: last([.dispatch]))
    }
    if let assignment = c.assignment {
      let made = last([.assign, .reassign])
      wire.assignment = self.assignment(
        assignment, id: made.map(entryID) ?? "", content: made?.content ?? "",
        attachments: made?.attachments ?? [], at: made?.at)
    }
    if let step = c.previousStep {
      var previous = Fieldreport_V1_PreviousStep()
      previous.actor = userRef(step.actor)
      if let unit = step.actorUnit { previous.actorUnit = unitRef(unit) }
      previous.action = Fieldreport_V1_JournalAction(step.action)
      previous.actedAtMs = step.at.millisecondsSince1970
      previous.content = step.content
      let source = entries.last {
        $0.action == step.action && $0.at == step.at && $0.actor == stored.previousStep?.actor
      }
      previous.attachments = (source?.attachments ?? []).map { attachment($0, at: step.at) }
      wire.previousStep = previous
    }
    if let result = c.result {
      var info = Fieldreport_V1_ResultInfo()
      info.replyText = result.content
      info.attachments = result.attachments.map { resultAttachment($0, of: stored) }
      info.submittedBy = userRef(result.submittedBy)
      info.submittedAtMs = result.submittedAt.millisecondsSince1970
      if let approval = entries.last(where: { $0.action == .approve && $0.at >= result.submittedAt }) {
        info.approvedBy = userRef(approval.actor)
        info.approvedAtMs = approval.at.millisecondsSince1970
      }
      info.outputProductKind = Fieldreport_V1_OutputProductKind(result.outputProduct?.kind)
      info.outputProductNumber = result.outputProduct?.number ?? ""
      info.cannotBeResolvedReason = result.cannotBeResolvedReason ?? ""
      wire.result = info
    }
    wire.contributions = c.contributions.map { note in
      var contribution = Fieldreport_V1_Contribution()
      let source = entries.last {
        $0.action == .addContribution && $0.actor == note.author && $0.at == note.at
      }
      contribution.journalEntryId = source.map(entryID) ?? ""
      contribution.contributor = userRef(note.author)
      contribution.content = note.content
      contribution.attachments = note.attachments.map { attachment($0, at: note.at) }
      contribution.addedAtMs = note.at.millisecondsSince1970
      return contribution
    }
    if let myDraft, myDraft.author == viewer.id, myDraft.caseID == stored.id,
      CaseWorkflow.keepsDraft(c, author: viewer.id)
    {
      wire.myDraft = draft(myDraft)
    }
    if let monitoring = c.monitoring {
      wire.monitoring = monitoringInfo(monitoring, of: c, entries: entries)
    }
    if let rejection = c.rejection {
      var info = Fieldreport_V1_RejectionInfo()
      info.reason = Fieldreport_V1_RejectReason(rejection.reason)
      let source = last([.reject])
      info.note = source?.content ?? ""
      if let actor = source?.actor { info.rejectedBy = userRef(actor) }
      info.rejectedAtMs = rejection.at.millisecondsSince1970
      info.duplicateOfCaseId = rejection.duplicateOf?.rawValue ?? ""
      info.routedTo = rejection.routedTo ?? ""
      wire.rejection = info
    }
    if let publication = c.publication {
      var info = Fieldreport_V1_PublicationInfo()
      info.scope = publication.publicly ? .everyone : .reporterOnly
      let source = last([.publish])
      if let text = publication.text {
        info.publishedText = text
        if CaseVisibility.isInternal(stored, viewer: viewer) { info.iocNote = source?.content ?? "" }
      } else {
        // Recorded before the published text was kept apart: the entry's content was shown,
        // or the reply letter when it was empty.
        let content = source?.content ?? ""
        info.publishedText = content.isEmpty ? (c.result?.content ?? "") : content
      }
      info.attachments = (source?.attachments ?? []).map { attachment($0, at: publication.at) }
      if let actor = source?.actor { info.publishedBy = userRef(actor) }
      info.publishedAtMs = publication.at.millisecondsSince1970
      wire.publication = info
    }
    wire.closure = closure(stored)
    wire.availableActions = availableActions(stored).map(Fieldreport_V1_JournalAction.init)
    if [.atUnit, .inProgress, .awaitingApproval, .monitoring].contains(stored.state),
      let unit = units[stored.currentUnitID], unit.isHandlingUnit
    {
      wire.replyTemplate = ReplyLetter.render(for: unit)
    }
  }

  /// The unit task (Thông tin công việc).
  func taskInfo(_ task: UnitTask, of c: Case, dispatch: JournalEntry?) -> Fieldreport_V1_TaskInfo {
    var wire = Fieldreport_V1_TaskInfo()
    wire.taskId = task.id.rawValue
    wire.unit = unitRef(task.unitID)
    wire.title = task.title ?? c.title
    wire.taskKind = Fieldreport_V1_TaskKind(task.taskType)
    let dispatchContent = dispatch?.content ?? ""
    wire.content = dispatchContent.isEmpty ? c.description : dispatchContent
    wire.startAtMs = task.start.millisecondsSince1970
    wire.dueAtMs = task.due.millisecondsSince1970
    wire.returnDeadlineAtMs = Deadlines.returnDeadline(of: task, policy: policy).millisecondsSince1970
    let product = c.result?.outputProduct ?? c.assignment?.outputProduct
    wire.outputProductKind = Fieldreport_V1_OutputProductKind(product?.kind)
    wire.outputProductNumber = product?.number ?? ""
    wire.completedAtMs = task.completedAt?.millisecondsSince1970
    wire.timeliness = Fieldreport_V1_Timeliness(
      due: task.due, completedAt: task.completedAt, now: now, policy: policy)
    wire.returnOutsideCompetence = task.returnOutsideCompetence == true
    return wire
  }

  /// An assignment (Phân công) with the assigning step's content and attachments.
  func assignment(
    _ a: FieldReportWorkflow.Assignment, id: String, content: String, attachments: [AttachmentRef],
    at: Timestamp?
  ) -> Fieldreport_V1_Assignment {
    var wire = Fieldreport_V1_Assignment()
    wire.assignmentId = id
    wire.mainHandler = userRef(a.mainHandler)
    wire.coordinators = a.coordinators.map(userRef)
    wire.followers = a.followers.map(userRef)
    wire.startAtMs = a.start.millisecondsSince1970
    wire.dueAtMs = a.due.millisecondsSince1970
    wire.content = content
    wire.outputProductKind = Fieldreport_V1_OutputProductKind(a.outputProduct?.kind)
    wire.outputProductNumber = a.outputProduct?.number ?? ""
    wire.doNotPublish = a.doNotPublish
    wire.assignedBy = userRef(a.assignedBy)
    wire.assignedAtMs = a.assignedAt.millisecondsSince1970
    wire.attachments = attachments.map { attachment($0, at: at) }
    return wire
  }

  /// The monitoring transfer with acknowledgements.
  func monitoringInfo(
    _ m: Case.Monitoring, of c: Case, entries: [JournalEntry]
  ) -> Fieldreport_V1_MonitoringInfo {
    var wire = Fieldreport_V1_MonitoringInfo()
    wire.transferredBy = userRef(m.transferredBy)
    wire.transferredAtMs = m.transferredAt.millisecondsSince1970
    wire.content =
      entries.last { $0.action == .transferForMonitoring && $0.at == m.transferredAt }?.content ?? ""
    if let groupID = m.groupID {
      if let group = groups[groupID] {
        wire.groups = [transferGroup(group)]
      } else {
        var unknown = Fieldreport_V1_TransferGroup()
        unknown.groupId = groupID.rawValue
        wire.groups = [unknown]
      }
    }
    wire.recipients = m.recipients.map { user in
      var recipient = Fieldreport_V1_MonitoringRecipient()
      recipient.recipient = userRef(user)
      if let ack = m.acknowledgements.first(where: { $0.userID == user }) {
        recipient.acknowledgedAtMs = ack.at.millisecondsSince1970
        recipient.acknowledgementNote =
          entries.last { $0.action == .acknowledgeMonitoring && $0.actor == user }?.content ?? ""
      }
      return recipient
    }
    if c.state == .closed { wire.closedAtMs = c.stepReceivedAt.millisecondsSince1970 }
    return wire
  }

  /// A transfer group as embedded in monitoring information.
  func transferGroup(_ group: TransferGroup) -> Fieldreport_V1_TransferGroup {
    Fieldreport_V1_TransferGroup(group, users: users, units: units)
  }

  /// What the viewer may do with the case now (the "Chọn thao tác" choices): the actions the
  /// state allows, filtered by the viewer's roles and place on the case. The workflow still
  /// decides each request; this is guidance for the client.
  func availableActions(_ c: Case) -> [ActionKind] {
    guard viewer.user.isActive else { return [] }
    let isIOC = viewer.has(.iocOperator, at: c.iocUnitID)
    let isLeader = viewer.has(.leader, at: c.currentUnitID)
    let isMain =
      c.assignment?.mainHandler == viewer.id
      && viewer.hasAny(of: [.officer, .leader], at: c.currentUnitID)
    return CaseWorkflow.allowedActions(for: c).filter { kind in
      switch kind {
      case .submit: false
      case .dispatch, .reject, .sendBackToUnit, .publish: isIOC
      case .returnToIoc:
        isLeader && (Deadlines.returnDeadline(c, policy: policy).map { now <= $0 } ?? false)
      case .assign, .reassign, .transferForMonitoring, .closeMonitoring, .approve, .returnToOfficer:
        isLeader
      case .saveDraft:
        isMain || (c.state == .monitoring && c.monitoring?.recipients.contains(viewer.id) == true)
      case .submitResult: isMain
      case .addContribution: c.assignment?.coordinators.contains(viewer.id) ?? false
      case .acknowledgeMonitoring: c.monitoring?.pendingRecipients.contains(viewer.id) ?? false
      case .holdClock: isLeader || isMain
      case .resumeClock:
        isLeader || isMain
          || (c.currentTask?.openHold?.kind == .awaitingCitizen && c.submittedBy == viewer.id
            && viewer.user.kind == .serviceAccount)
      }
    }
  }

  /// The opaque id of a journal entry: the case id and the entry's sequence.
  func entryID(_ entry: JournalEntry) -> String {
    Self.entryID(caseID: entry.caseID, sequence: entry.sequence)
  }

  /// The opaque id of the `sequence`-th journal entry of a case.
  static func entryID(caseID: CaseID, sequence: Int64) -> String {
    "\(caseID.rawValue)#\(sequence)"
  }
}

extension CaseRenderer {
  /// A saved draft as its author sees it.
  func draft(_ draft: CaseDraft) -> Fieldreport_V1_Draft {
    var wire = Fieldreport_V1_Draft()
    wire.content = draft.content
    wire.attachments = draft.attachments.map { attachment($0, at: draft.savedAt) }
    wire.outputProductNumber = draft.outputProductNumber
    wire.savedAtMs = draft.savedAt.millisecondsSince1970
    return wire
  }
}
