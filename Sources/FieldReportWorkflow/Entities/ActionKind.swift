/// The kind of every step that can be journaled, creation included.
///
/// Raw values are stable and may be stored.
public enum ActionKind: String, Hashable, Codable, Sendable, CaseIterable {
  /// Gửi phản ánh: the report is submitted (creates the case).
  case submit
  /// Điều phối: the IOC dispatches the case to a handling unit.
  case dispatch
  /// The IOC rejects the report (spam, duplicate, out of scope).
  case reject
  /// Trả lại trung tâm giám sát: the unit's leader returns the case to the IOC.
  case returnToIoc = "return_to_ioc"
  /// Phân công: the leader assigns the case.
  case assign
  /// The leader changes the assignment while in progress.
  case reassign
  /// Chuyển theo dõi: the leader transfers the case for monitoring.
  case transferForMonitoring = "transfer_for_monitoring"
  /// A monitoring recipient acknowledges.
  case acknowledgeMonitoring = "acknowledge_monitoring"
  /// The leader closes monitoring before everyone acknowledged.
  case closeMonitoring = "close_monitoring"
  /// Lưu: the main handler saves a draft result (journaled, no state change).
  case saveDraft = "save_draft"
  /// Xử lý → trình lãnh đạo: the main handler submits the result for approval.
  case submitResult = "submit_result"
  /// A coordinator adds a contribution while in progress.
  case addContribution = "add_contribution"
  /// Phê duyệt: the leader approves; the result goes to the IOC.
  case approve
  /// Trả bước trước: the leader returns the result to the officer for rework.
  case returnToOfficer = "return_to_officer"
  /// The IOC sends the result back to the unit for more work.
  case sendBackToUnit = "send_back_to_unit"
  /// Đăng tải kết quả: the IOC publishes the result.
  case publish
  /// The unit puts the task's clock on hold (waiting for the citizen or another agency).
  case holdClock = "hold_clock"
  /// The clock restarts; the deadlines move later by the held time.
  case resumeClock = "resume_clock"
}
