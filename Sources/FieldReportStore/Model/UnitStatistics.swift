public import FieldReportWorkflow

/// Early / on time / late counts of one unit's tasks (trước hạn / đúng hạn / trễ hạn).
///
/// Completed tasks are counted by completion time within the period: *early* when completed
/// before the local day of the due time, *on time* when completed on that day but not after
/// the due instant, *late* when completed after it. Open tasks are counted as pending,
/// and as overdue when past due at the query's `now`.
public struct UnitStatistics: Hashable, Sendable {
  /// The unit.
  public var unitID: UnitID
  /// Completed before the due day.
  public var early: Int
  /// Completed on the due day, not after the due instant.
  public var onTime: Int
  /// Completed after the due instant.
  public var late: Int
  /// Open tasks received before the period's end.
  public var pending: Int
  /// Of the pending, those past due at `now`.
  public var pendingOverdue: Int

  /// Creates statistics.
  public init(unitID: UnitID, early: Int, onTime: Int, late: Int, pending: Int, pendingOverdue: Int) {
    self.unitID = unitID
    self.early = early
    self.onTime = onTime
    self.late = late
    self.pending = pending
    self.pendingOverdue = pendingOverdue
  }
}
