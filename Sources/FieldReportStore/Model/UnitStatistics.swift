public import FieldReportWorkflow

/// Early / on time / late counts of one unit's tasks (trước hạn / đúng hạn / trễ hạn).
///
/// Completed tasks are counted by completion time within the period and classified by the
/// workflow's ``Deadlines/classify(completedAt:due:policy:)`` (early: at least the policy's
/// early margin before due; on time: by the due time; late: after it). Tasks returned to the
/// IOC are not counted. Open tasks are counted as pending, and as overdue when past due at
/// the query's `now`.
public struct UnitStatistics: Hashable, Sendable {
  /// The unit.
  public var unitID: UnitID
  /// Completed early (trước hạn).
  public var early: Int
  /// Completed on time (đúng hạn).
  public var onTime: Int
  /// Completed late (trễ hạn).
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
