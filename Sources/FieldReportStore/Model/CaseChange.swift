public import FieldReportWorkflow

/// What one accepted workflow step changes: the case's new value, the journal entry that
/// produced it, and the notifications to deliver. The store writes all of it in one
/// transaction, or nothing.
public struct CaseChange: Hashable, Sendable {
  /// The case after the step (its `version` is the entry's `sequence`).
  public var newCase: Case
  /// The journal entry recording the step.
  public var entry: JournalEntry
  /// Messages produced by the step.
  public var notifications: [Notification]

  /// Creates a change.
  public init(newCase: Case, entry: JournalEntry, notifications: [Notification]) {
    self.newCase = newCase
    self.entry = entry
    self.notifications = notifications
  }
}
