/// The structured payload of a ``JournalEntry``: exactly the data, beyond the entry's common
/// fields (actor, time, content, attachments), needed to replay the step onto the case.
///
/// ``CaseReplay`` folds these over an empty case; ``CaseWorkflow`` produces them.
public enum JournalEvent: Hashable, Codable, Sendable {
  /// The report was submitted; the case is created from this.
  case submitted(CaseSubmission)
  /// Dispatched to `unit`, optionally to a named leader there, with the task created for it.
  /// `returnOutsideCompetence`: true when the IOC confirmed that the unit which returned the
  /// case was not competent (nil when not confirmed, and in entries written before it existed).
  case dispatched(unit: UnitID, leader: UserID?, task: UnitTask, returnOutsideCompetence: Bool? = nil)
  /// Rejected by the IOC; for a duplicate, the case it duplicates (nil in entries written
  /// before it was recorded); for out of scope, the outside agency it was routed to (nil in
  /// entries written before it was required). `returnOutsideCompetence` as for
  /// ``dispatched(unit:leader:task:returnOutsideCompetence:)``.
  case rejected(
    reason: RejectionReason, duplicateOf: CaseID? = nil, routedTo: String? = nil,
    returnOutsideCompetence: Bool? = nil)
  /// Returned to the IOC by the unit's leader.
  case returnedToIoc
  /// Assigned (the full assignment as made).
  case assigned(Assignment)
  /// Reassigned (the full new assignment).
  case reassigned(Assignment)
  /// Transferred for monitoring to these recipients (group members already expanded).
  case transferredForMonitoring(recipients: [UserID], group: TransferGroupID?)
  /// The actor acknowledged the monitoring transfer.
  case monitoringAcknowledged
  /// The leader closed monitoring.
  case monitoringClosed
  /// Legacy: the main handler saved a draft. Written only by versions that journaled drafts
  /// (before drafts moved out of the journal, see ``CaseDraft``); kept so that those journals
  /// still decode and replay (the entry only raised the version).
  case draftSaved
  /// The main handler submitted the result (the entry's content and attachments), naming the
  /// leader who should approve it if they chose one, and the output document if known.
  /// `cannotBeResolved`: the reason, when the result says the problem cannot be solved (nil
  /// for a result that solves it, and in entries written before it was recorded).
  case resultSubmitted(
    nextHandler: UserID?, outputProduct: OutputProduct?, cannotBeResolved: String? = nil)
  /// A coordinator's contribution (the entry's content and attachments).
  case contributionAdded
  /// The leader approved the result; it goes to the IOC.
  case approved
  /// The leader returned the result to this officer for rework.
  /// `newDue`: the assignment's new deadline, if the leader set one.
  case returnedToOfficer(officer: UserID, newDue: Timestamp? = nil)
  /// The IOC sent the result back to the unit; this officer holds it again.
  /// `newDue`: the assignment's new deadline, if the IOC set one.
  case sentBackToUnit(handler: UserID, newDue: Timestamp? = nil)
  /// The IOC published the result, publicly or only to the reporter. `text`: what the citizen
  /// is shown (the IOC's published text, else the approved reply letter), while the entry's
  /// content is the IOC's note. nil in entries written before it was recorded: their content
  /// was the published text when the IOC gave one, else the note (and the reply letter was
  /// shown when the content was empty).
  case published(publicly: Bool, text: String? = nil)
  /// The current task's clock was put on hold, waiting for `kind`; the reason is the entry's
  /// content.
  case clockHeld(kind: ClockHold.Kind)
  /// The open hold ended; the task's, assignment's and step's due times move later by the held
  /// time (the entry's time minus the hold's start).
  case clockResumed

  /// The action kind this event records.
  public var kind: ActionKind {
    switch self {
    case .submitted: .submit
    case .dispatched: .dispatch
    case .rejected: .reject
    case .returnedToIoc: .returnToIoc
    case .assigned: .assign
    case .reassigned: .reassign
    case .transferredForMonitoring: .transferForMonitoring
    case .monitoringAcknowledged: .acknowledgeMonitoring
    case .monitoringClosed: .closeMonitoring
    case .draftSaved: .saveDraft
    case .resultSubmitted: .submitResult
    case .contributionAdded: .addContribution
    case .approved: .approve
    case .returnedToOfficer: .returnToOfficer
    case .sentBackToUnit: .sendBackToUnit
    case .published: .publish
    case .clockHeld: .holdClock
    case .clockResumed: .resumeClock
    }
  }
}

/// The facts of a new report, as recorded in the first journal entry of a case.
public struct CaseSubmission: Hashable, Codable, Sendable {
  /// The id chosen for the case.
  public var caseID: CaseID
  /// The report code given to it.
  public var reportCode: ReportCode
  /// The IOC centre that receives it.
  public var iocUnitID: UnitID
  /// The reporter.
  public var reporter: Case.Reporter
  /// Chuyên mục.
  public var categoryID: CategoryID
  /// Tiêu đề.
  public var title: String
  /// Nội dung.
  public var description: String
  /// Địa chỉ sự kiện.
  public var location: Case.Location
  /// Whether the reporter allows public display.
  public var isPublic: Bool
  /// A previous case this one re-reports.
  public var linkedCaseID: CaseID?
  /// Ngày phản ánh, as the platform says.
  public var reportedAt: Timestamp
  /// The platform's own reference for the report (nil in entries written before it was kept).
  public var platformReference: String?
  /// For a re-report opened by the reporter's "not resolved" verdict: the task at the unit that
  /// handled the original, where the new case starts (``CaseState/atUnit``, held by that
  /// unit's leaders) instead of at the IOC. nil for every other report.
  public var reopenedTask: UnitTask?

  public init(
    caseID: CaseID, reportCode: ReportCode, iocUnitID: UnitID, reporter: Case.Reporter,
    categoryID: CategoryID, title: String, description: String, location: Case.Location,
    isPublic: Bool, linkedCaseID: CaseID? = nil, reportedAt: Timestamp,
    platformReference: String? = nil, reopenedTask: UnitTask? = nil
  ) {
    self.reopenedTask = reopenedTask
    self.platformReference = platformReference
    self.caseID = caseID
    self.reportCode = reportCode
    self.iocUnitID = iocUnitID
    self.reporter = reporter
    self.categoryID = categoryID
    self.title = title
    self.description = description
    self.location = location
    self.isPublic = isPublic
    self.linkedCaseID = linkedCaseID
    self.reportedAt = reportedAt
  }
}
