/// Deadline rules: overdue flags, the return window, and early / on time / late statistics.
///
/// Overdue is a flag, not a state: a step is overdue when `now > due` (a step completed
/// exactly at its due time is on time).
public enum Deadlines {
  /// Whether a step due at `due` is overdue at `now`.
  public static func isOverdue(due: Timestamp?, now: Timestamp) -> Bool {
    guard let due else { return false }
    return now > due
  }

  /// Whether the case's current step is overdue at `now` (terminal cases never are, nor is a
  /// case whose clock is on hold).
  public static func isOverdue(_ c: Case, now: Timestamp) -> Bool {
    !c.state.isTerminal && c.currentTask?.openHold == nil && isOverdue(due: c.stepDue, now: now)
  }

  /// Due time of the case's current step as the contract and the inbox show it: the end of
  /// the return window while the case waits at a unit, the workflow's step due time
  /// otherwise, nil for a terminal case and while the clock is on hold (no deadline runs; it
  /// comes back moved later by the held time on resume). Overdue filters and the due-soonest
  /// order use it (the stores' `listed_due`), so a held case is never overdue and sorts last.
  public static func currentStepDue(_ c: Case, policy: WorkflowPolicy = .standard) -> Timestamp? {
    if let window = returnDeadline(c, policy: policy) { return window }
    if c.currentTask?.openHold != nil { return nil }
    return c.state.isTerminal ? nil : c.stepDue
  }

  // MARK: Held time (ClockHold): the one place statistics and views take it from

  /// Milliseconds a task's clock was stopped, closed holds plus the open one up to `now`.
  public static func heldMilliseconds(of task: UnitTask, now: Timestamp) -> Int64 {
    task.holds.reduce(0) { $0 + $1.heldMilliseconds(now: now) }
  }

  /// Milliseconds of the task's closed holds only: what its stored due time already includes,
  /// and the `unit_tasks.held_ms` column of both stores.
  public static func closedHeldMilliseconds(of task: UnitTask) -> Int64 {
    task.holds.reduce(0) { $0 + ($1.isOpen ? 0 : $1.heldMilliseconds(now: $1.heldAt)) }
  }

  /// The task's deadline with every hold excluded, as of `now`: `task.due` already moved by
  /// each closed hold (on resume), plus the running part of an open one. A task completes only
  /// with its clock running, so for a completed task this is `task.due`.
  public static func effectiveDue(of task: UnitTask, now: Timestamp) -> Timestamp {
    guard let open = task.openHold else { return task.due }
    return task.due.adding(milliseconds: open.heldMilliseconds(now: now))
  }

  /// The unit's own handling time of a task: from receipt to completion (or `now` while
  /// open), minus every held millisecond. Statistics (median, percentiles) use it.
  public static func effectiveHandlingMilliseconds(of task: UnitTask, now: Timestamp) -> Int64 {
    let end = task.completedAt ?? now
    return max(0, end.millisecondsSince1970 - task.receivedAt.millisecondsSince1970
      - heldMilliseconds(of: task, now: end))
  }

  /// Timeliness of a completed task with its held time excluded (nil while open):
  /// ``classify(completedAt:due:policy:)`` against ``effectiveDue(of:now:)``.
  public static func timeliness(of task: UnitTask, policy: WorkflowPolicy = .standard) -> Timeliness? {
    guard let done = task.completedAt else { return nil }
    return classify(completedAt: done, due: effectiveDue(of: task, now: done), policy: policy)
  }

  /// The last instant the unit's leader may return the case to the IOC, while it is at a
  /// unit (``returnDeadline(of:policy:)`` of its task); nil otherwise.
  public static func returnDeadline(_ c: Case, policy: WorkflowPolicy = .standard) -> Timestamp? {
    guard c.state == .atUnit, let task = c.currentTask else { return nil }
    return returnDeadline(of: task, policy: policy)
  }

  /// The last instant a task's unit may return the case to the IOC: fixed at dispatch (the
  /// IOC's window for that dispatch, else the province's), or for a task dispatched before
  /// that was recorded, its receipt plus the policy's window (one day by default).
  public static func returnDeadline(of task: UnitTask, policy: WorkflowPolicy = .standard) -> Timestamp {
    task.returnBy ?? task.receivedAt.adding(milliseconds: policy.returnWindowMilliseconds)
  }

  /// Classifies a completion: early if `completedAt <= due - earlyMargin`, on time if
  /// `completedAt <= due`, late otherwise.
  public static func classify(
    completedAt: Timestamp, due: Timestamp, policy: WorkflowPolicy = .standard
  ) -> Timeliness {
    if completedAt > due { return .late }
    if completedAt <= due.adding(milliseconds: -policy.earlyMarginMilliseconds) { return .early }
    return .onTime
  }

  /// Per-unit counts for a set of tasks.
  public struct UnitCounts: Hashable, Codable, Sendable {
    /// Completed early.
    public var early = 0
    /// Completed on time.
    public var onTime = 0
    /// Completed late.
    public var late = 0
    /// Still open and not yet due.
    public var open = 0
    /// Still open and overdue.
    public var openOverdue = 0

    public init() {}

    /// All tasks counted.
    public var total: Int { early + onTime + late + open + openOverdue }
  }

  /// Counts tasks per unit for the statistics screen.
  ///
  /// Counted: open tasks, and tasks that ended in a handling outcome (resolved, or monitoring
  /// closed). A task returned to the IOC is not counted: the unit was not competent, so it
  /// says nothing about its timeliness.
  public static func statistics(
    _ tasks: [UnitTask], now: Timestamp, policy: WorkflowPolicy = .standard
  ) -> [UnitID: UnitCounts] {
    var result: [UnitID: UnitCounts] = [:]
    for task in tasks {
      var counts = result[task.unitID] ?? UnitCounts()
      switch (task.completedAt, task.outcome) {
      case (_, .returnedToIoc?):
        continue
      case (let done?, _):
        switch classify(completedAt: done, due: effectiveDue(of: task, now: done), policy: policy) {
        case .early: counts.early += 1
        case .onTime: counts.onTime += 1
        case .late: counts.late += 1
        }
      case (nil, _):
        // A held task is not overdue while held.
        if task.openHold == nil, isOverdue(due: task.due, now: now) {
          counts.openOverdue += 1
        } else {
          counts.open += 1
        }
      }
      result[task.unitID] = counts
    }
    return result
  }
}
