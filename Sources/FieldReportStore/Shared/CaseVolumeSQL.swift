public import FieldReportWorkflow

/// The week arithmetic of GetCaseVolume, the same in SQL (both engines) and in Swift: weeks
/// start on Monday 00:00 Asia/Ho_Chi_Minh (UTC+7).
public enum CaseVolumeSQL {
  /// A week in milliseconds.
  public static let weekMilliseconds: Int64 = 7 * Timestamp.millisecondsPerDay
  /// Monday 1970-01-05 00:00 at UTC+7, in Unix milliseconds: the first week start after the epoch.
  public static let firstMonday: Int64 = 4 * Timestamp.millisecondsPerDay - LocalDay.utcOffsetMilliseconds

  /// The SQL expression of the week start of `column` (an instant after 1970-01-05, where
  /// integer division truncating toward zero is a floor).
  package static func weekStart(_ column: String) -> String {
    "((\(column) - \(firstMonday)) / \(weekMilliseconds)) * \(weekMilliseconds) + \(firstMonday)"
  }

  /// The start of the week containing `instant`.
  public static func weekStart(of instant: Timestamp) -> Timestamp {
    let offset = instant.millisecondsSince1970 - firstMonday
    let weeks = offset >= 0 ? offset / weekMilliseconds : (offset - weekMilliseconds + 1) / weekMilliseconds
    return Timestamp(millisecondsSince1970: weeks * weekMilliseconds + firstMonday)
  }
}
