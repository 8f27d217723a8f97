/// Công việc: the unit-level work item created each time a case is dispatched to a unit.
///
/// Statistics per unit (early / on time / late) are computed from tasks (see ``Deadlines``).
/// Its id is derived from the case id and the dispatch number, so the workflow stays pure.
public struct UnitTask: Hashable, Codable, Sendable, Identifiable {
  /// Loại công việc.
  public enum TaskType: String, Hashable, Codable, Sendable, CaseIterable {
    /// Phản ánh hiện trường: a citizen's field report.
    case fieldReport = "field_report"
    /// Công việc chuyên môn: professional work.
    case professionalWork = "professional_work"
  }

  /// How a task ended at its unit.
  public enum Outcome: String, Hashable, Codable, Sendable, CaseIterable {
    /// The leader returned the case to the IOC (not competent).
    case returnedToIoc = "returned_to_ioc"
    /// The result was approved and went to the IOC.
    case resolved
    /// A monitoring transfer was acknowledged by everyone or closed by the leader.
    case monitoringClosed = "monitoring_closed"
  }

  /// `"<case id>/<dispatch number>"`.
  public var id: UnitTaskID
  /// The case it belongs to.
  public var caseID: CaseID
  /// The handling unit.
  public var unitID: UnitID
  /// The task type.
  public var taskType: TaskType
  /// When the unit received the case (the return window counts from here).
  public var receivedAt: Timestamp
  /// Từ ngày.
  public var start: Timestamp
  /// Đến ngày: the unit's deadline for the case.
  public var due: Timestamp
  /// When the unit finished with it; nil while open.
  public var completedAt: Timestamp?
  /// How it ended; nil while open.
  public var outcome: Outcome?
  /// Tiêu đề: the title the IOC gave the task; nil means the report's title.
  public var title: String?
  /// The last instant the unit's leader may return the case to the IOC, fixed at dispatch
  /// (the IOC's window for this dispatch, else the province's); nil for tasks dispatched before
  /// the window was recorded, whose deadline is their receipt plus the policy's window
  /// (``Deadlines/returnDeadline(of:policy:)``).
  public var returnBy: Timestamp?
  /// The task's clock holds (``ClockHold``), oldest first; stored only when there are some, so
  /// tasks without holds keep their encoded form.
  var clockHolds: [ClockHold]?

  /// The task's clock holds, oldest first; at most the last is open (``openHold``).
  public var holds: [ClockHold] {
    get { clockHolds ?? [] }
    set { clockHolds = newValue.isEmpty ? nil : newValue }
  }

  /// The hold in force, if the clock is stopped now.
  public var openHold: ClockHold? {
    guard let last = clockHolds?.last, last.isOpen else { return nil }
    return last
  }
  /// For a task returned to the IOC: true when the IOC, handling the returned case (its next
  /// dispatch or its rejection), confirmed the case was outside the unit's competence; then
  /// the return does not count against the unit (``FairStatistics``). nil otherwise.
  public var returnOutsideCompetence: Bool?

  public init(
    id: UnitTaskID, caseID: CaseID, unitID: UnitID, taskType: TaskType, receivedAt: Timestamp,
    start: Timestamp, due: Timestamp, completedAt: Timestamp? = nil, outcome: Outcome? = nil,
    title: String? = nil, returnBy: Timestamp? = nil
  ) {
    self.title = title
    self.returnBy = returnBy
    self.id = id
    self.caseID = caseID
    self.unitID = unitID
    self.taskType = taskType
    self.receivedAt = receivedAt
    self.start = start
    self.due = due
    self.completedAt = completedAt
    self.outcome = outcome
  }

  /// The deterministic id of the `number`-th dispatch (1-based) of a case.
  public static func makeID(caseID: CaseID, number: Int) -> UnitTaskID {
    UnitTaskID("\(caseID.rawValue)/\(number)")
  }
}
