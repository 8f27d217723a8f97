public import FieldReportWorkflow

/// Early / on time / late counts of one unit's tasks (trước hạn / đúng hạn / trễ hạn), for
/// the unit as a whole or for one category of its cases.
///
/// Completed tasks are counted by completion time within the period and classified by the
/// workflow's ``Deadlines/classify(completedAt:due:policy:)`` (early: at least the policy's
/// early margin before due; on time: by the due time; late: after it). Tasks returned to the
/// IOC are not classified (the unit was not competent: it says nothing about timeliness):
/// they count as returned and as unclassified. Open tasks are counted as pending, and as
/// overdue when past due at the query's `now`.
public struct UnitStatistics: Hashable, Sendable {
  /// The unit.
  public var unitID: UnitID
  /// The category of the cases counted; nil when the row covers every category.
  public var categoryID: CategoryID?
  /// Completed early (trước hạn).
  public var early: Int
  /// Completed on time (đúng hạn).
  public var onTime: Int
  /// Completed late (trễ hạn).
  public var late: Int
  /// Completed without a timeliness class (returned to the IOC, or no due time).
  public var unclassified: Int
  /// Of the completed, those completed by returning the case to the IOC.
  public var returnedToIoc: Int
  /// Open tasks received before the period's end.
  public var pending: Int
  /// Of the pending, those past due at `now`.
  public var pendingOverdue: Int
  /// Tasks received (dispatched to the unit) in the period.
  public var volume = 0
  /// Of `returnedToIoc`, those the IOC confirmed were outside the unit's competence.
  public var returnedConfirmed = 0
  /// Handling times (receipt to approval, milliseconds) of the tasks approved in the period,
  /// ascending.
  public var handlingMilliseconds: [Int64] = []

  /// The completed-task counts ``FairStatistics`` derives its rates from.
  public var fairCounts: FairStatistics.Counts {
    var counts = FairStatistics.Counts()
    counts.volume = volume
    counts.early = early
    counts.onTime = onTime
    counts.late = late
    counts.returned = returnedToIoc
    counts.returnedConfirmed = returnedConfirmed
    counts.completed = early + onTime + late + unclassified
    counts.handlingMilliseconds = handlingMilliseconds
    return counts
  }

  /// Creates statistics.
  public init(
    unitID: UnitID, categoryID: CategoryID? = nil, early: Int, onTime: Int, late: Int, unclassified: Int = 0,
    returnedToIoc: Int = 0, pending: Int, pendingOverdue: Int
  ) {
    self.unitID = unitID
    self.categoryID = categoryID
    self.early = early
    self.onTime = onTime
    self.late = late
    self.unclassified = unclassified
    self.returnedToIoc = returnedToIoc
    self.pending = pending
    self.pendingOverdue = pendingOverdue
  }
}
