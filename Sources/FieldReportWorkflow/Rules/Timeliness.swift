/// How a completed step compares to its deadline (the dashboards' "trước hạn / đúng hạn /
/// trễ hạn").
///
/// Held time (``ClockHold``) is not the unit's: a task's due time moves later by each hold when
/// it is resumed, so completions are classified against ``Deadlines/effectiveDue(of:now:)``
/// (``Deadlines/timeliness(of:policy:)``), and handling times are
/// ``Deadlines/effectiveHandlingMilliseconds(of:now:)``.
public enum Timeliness: String, Hashable, Codable, Sendable, CaseIterable {
  /// Trước hạn: completed at least the policy's early margin (default one day) before due.
  case early
  /// Đúng hạn: completed by the due time, but within the early margin.
  case onTime = "on_time"
  /// Trễ hạn: completed after the due time.
  case late
}
