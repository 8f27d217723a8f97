public import FieldReportWorkflow

/// Cases of one category received by the IOC in one week (GetCaseVolume's grouping).
public struct CaseVolumeCount: Hashable, Sendable {
  /// The category.
  public var categoryID: CategoryID
  /// Monday 00:00 Asia/Ho_Chi_Minh of the week (``CaseVolumeSQL/weekStart(of:)``).
  public var weekStart: Timestamp
  /// The cases.
  public var count: Int

  /// Creates a count.
  public init(categoryID: CategoryID, weekStart: Timestamp, count: Int) {
    self.categoryID = categoryID
    self.weekStart = weekStart
    self.count = count
  }
}
