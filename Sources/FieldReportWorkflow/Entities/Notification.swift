/// A message to one user about a case, produced with a transition and stored with it.
///
/// Staff are always notified in their inbox; messages to the reporter go through the
/// mobile app and exist only when the action's notify flag was set (``viaMobileApp``).
public struct Notification: Hashable, Codable, Sendable {
  /// Why the user is told.
  public enum Kind: String, Hashable, Codable, Sendable, CaseIterable {
    /// A new report arrived at the IOC (to IOC operators).
    case caseReceived = "case_received"
    /// A case was dispatched to the recipient's unit (to its leaders).
    case caseDispatched = "case_dispatched"
    /// The case was rejected (to the reporter).
    case caseRejected = "case_rejected"
    /// A unit returned the case to the IOC (to IOC operators).
    case caseReturnedToIoc = "case_returned_to_ioc"
    /// The recipient is the main handler of a new or changed assignment.
    case assignedAsMainHandler = "assigned_as_main_handler"
    /// The recipient is a coordinator on an assignment.
    case addedAsCoordinator = "added_as_coordinator"
    /// The recipient follows an assignment.
    case addedAsFollower = "added_as_follower"
    /// A case was transferred to the recipient for monitoring.
    case monitoringReceived = "monitoring_received"
    /// A recipient acknowledged monitoring (to the transferring leader).
    case monitoringAcknowledged = "monitoring_acknowledged"
    /// A coordinator added a contribution (to the main handler).
    case contributionAdded = "contribution_added"
    /// A result awaits the recipient's approval.
    case resultSubmitted = "result_submitted"
    /// The result was approved and is at the IOC (to IOC operators).
    case resultApproved = "result_approved"
    /// The leader asked the recipient to rework the result.
    case reworkRequested = "rework_requested"
    /// The IOC sent the result back to the unit (to the main handler).
    case sentBackToUnit = "sent_back_to_unit"
    /// The case is progressing (to the reporter's app, when the notify flag is set).
    case progressUpdate = "progress_update"
    /// The result was published (to the reporter's app, when the notify flag is set).
    case resultPublished = "result_published"
    /// The unit put the clock on hold to ask the citizen for more information (to the
    /// reporter's app, relayed by the platform; always sent). The entry's content says what.
    case informationRequested = "information_requested"
    /// The clock of a case was resumed by someone else (to the main handler and whoever put it
    /// on hold).
    case clockResumed = "clock_resumed"
  }

  /// Who is told.
  public var recipient: UserID
  /// About which case.
  public var caseID: CaseID
  /// Why.
  public var kind: Kind
  /// A short Vietnamese text for display.
  public var text: String
  /// When.
  public var at: Timestamp
  /// Whether it goes to the citizen's mobile app (relayed by the platform).
  public var viaMobileApp: Bool

  public init(
    recipient: UserID, caseID: CaseID, kind: Kind, text: String, at: Timestamp,
    viaMobileApp: Bool = false
  ) {
    self.recipient = recipient
    self.caseID = caseID
    self.kind = kind
    self.text = text
    self.at = at
    self.viaMobileApp = viaMobileApp
  }
}

/// An unambiguous name for ``Notification`` in files that also import Foundation (which has
/// its own `Notification`).
public typealias CaseNotification = Notification
