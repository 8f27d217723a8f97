/// What an actor wants to do to a case, with the action-specific fields.
/// The fields every action has (content, attachments, notify) are on ``CaseCommand``.
public enum CaseAction: Hashable, Codable, Sendable {
  /// The IOC dispatches to a handling unit.
  case dispatch(DispatchOrder)
  /// The IOC rejects the report; for a duplicate, naming the case it duplicates; out of scope,
  /// naming the outside agency it is routed to (required: never a dead end).
  /// `returnOutsideCompetence`: for a case a unit returned, the IOC confirms the case was
  /// outside that unit's competence (see ``UnitTask/returnOutsideCompetence``).
  case reject(
    RejectionReason, duplicateOf: CaseID? = nil, routedTo: String? = nil, returnOutsideCompetence: Bool = false)
  /// The unit's leader returns the case to the IOC (content: the reason, required).
  case returnToIoc
  /// The unit's leader assigns the case.
  case assign(AssignmentOrder)
  /// The unit's leader changes the assignment while in progress.
  case reassign(AssignmentOrder)
  /// The unit's leader transfers for monitoring to people and/or a transfer group's members
  /// (content required). The group's members are expanded; duplicates are removed; the
  /// transferring leader is left out, named or in the group (see
  /// ``CaseWorkflow/monitoringRecipients(named:groupMembers:transferredBy:)``).
  case transferForMonitoring(recipients: [UserID], group: TransferGroupID?)
  /// A monitoring recipient acknowledges.
  case acknowledgeMonitoring
  /// The unit's leader closes monitoring before everyone acknowledged.
  case closeMonitoring
  /// The main handler submits the result (content required), optionally naming the leader
  /// who should approve ("Người xử lý tiếp") and the output document. `cannotBeResolved`:
  /// the reason, when the result says the problem cannot be solved.
  case submitResult(
    nextHandler: UserID?, outputProduct: OutputProduct?, cannotBeResolved: String? = nil)
  /// A coordinator adds a contribution (content required).
  case addContribution
  /// The unit's leader approves the result.
  case approve
  /// The unit's leader returns the result to the main handler for rework (content required),
  /// optionally with a new deadline for the assignment.
  case returnToOfficer(newDue: Timestamp? = nil)
  /// The IOC sends the result back to the unit (content required), optionally with a new
  /// deadline for the assignment.
  case sendBackToUnit(newDue: Timestamp? = nil)
  /// The IOC publishes the result, publicly or only to the reporter. `text`: what the citizen
  /// is shown, when the IOC gives it; nil shows the approved reply letter. The command's
  /// content is the IOC's note on the step (its own record), never shown to the citizen.
  case publish(publicly: Bool, text: String? = nil)
  /// The unit's leader or the main handler puts the clock on hold (content: the reason,
  /// required), waiting for the citizen or another agency.
  case holdClock(ClockHold.Kind)
  /// The clock restarts (content: an optional note, e.g. the information received).
  case resumeClock

  /// The kind of step this action would record.
  public var kind: ActionKind {
    switch self {
    case .dispatch: .dispatch
    case .reject: .reject
    case .returnToIoc: .returnToIoc
    case .assign: .assign
    case .reassign: .reassign
    case .transferForMonitoring: .transferForMonitoring
    case .acknowledgeMonitoring: .acknowledgeMonitoring
    case .closeMonitoring: .closeMonitoring
    case .submitResult: .submitResult
    case .addContribution: .addContribution
    case .approve: .approve
    case .returnToOfficer: .returnToOfficer
    case .sendBackToUnit: .sendBackToUnit
    case .publish: .publish
    case .holdClock: .holdClock
    case .resumeClock: .resumeClock
    }
  }
}

/// The IOC's dispatch to a handling unit.
public struct DispatchOrder: Hashable, Codable, Sendable {
  /// The handling unit.
  public var unit: UnitID
  /// A named leader of that unit to hold the case, or nil for the unit's leaders as a whole.
  public var leader: UserID?
  /// Loại công việc.
  public var taskType: UnitTask.TaskType
  /// Từ ngày; nil means now.
  public var start: Timestamp?
  /// Đến ngày; nil means the start plus the category's default processing time (or the
  /// policy's default handling time when the category has none).
  public var due: Timestamp?
  /// The task's title; nil means the report's title.
  public var title: String?
  /// How long the unit may return the case to the IOC ("theo đúng thời gian quy định"), in
  /// milliseconds from receipt; nil means the province's window
  /// (``WorkflowPolicy/returnWindowMilliseconds``). Within
  /// ``WorkflowPolicy/returnWindowRange``.
  public var returnWindowMilliseconds: Int64?
  /// For a case a unit returned: the IOC confirms it was outside that unit's competence, so
  /// the return does not count against the unit (``UnitTask/returnOutsideCompetence``).
  public var returnOutsideCompetence: Bool

  public init(
    unit: UnitID, leader: UserID? = nil, taskType: UnitTask.TaskType = .fieldReport,
    start: Timestamp? = nil, due: Timestamp? = nil, title: String? = nil,
    returnWindowMilliseconds: Int64? = nil, returnOutsideCompetence: Bool = false
  ) {
    self.returnOutsideCompetence = returnOutsideCompetence
    self.returnWindowMilliseconds = returnWindowMilliseconds
    self.unit = unit
    self.leader = leader
    self.taskType = taskType
    self.start = start
    self.due = due
    self.title = title
  }
}

/// A leader's assignment form (Phân công).
public struct AssignmentOrder: Hashable, Codable, Sendable {
  /// Xử lý chính; nil is refused with ``WorkflowRefusal/missingMainHandler``.
  public var mainHandler: UserID?
  /// Phối hợp.
  public var coordinators: [UserID]
  /// Theo dõi.
  public var followers: [UserID]
  /// Từ ngày; nil means now.
  public var start: Timestamp?
  /// Đến ngày; nil means the unit task's due time.
  public var due: Timestamp?
  /// Sản phẩm đầu ra, if decided.
  public var outputProduct: OutputProduct?
  /// "Không công khai công việc này".
  public var doNotPublish: Bool

  public init(
    mainHandler: UserID?, coordinators: [UserID] = [], followers: [UserID] = [],
    start: Timestamp? = nil, due: Timestamp? = nil, outputProduct: OutputProduct? = nil,
    doNotPublish: Bool = false
  ) {
    self.mainHandler = mainHandler
    self.coordinators = coordinators
    self.followers = followers
    self.start = start
    self.due = due
    self.outputProduct = outputProduct
    self.doNotPublish = doNotPublish
  }
}
