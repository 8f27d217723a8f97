public import FieldReportWorkflow

/// The order of a case listing. Each order sorts by one key column of the `cases` row and
/// then by case id, so positions are total and a ``CaseCursor`` carrying (key, id) pages
/// without skipping or repeating a case whose key does not change while paging.
public enum CaseListOrder: String, Hashable, Codable, Sendable, CaseIterable {
  /// Newest report first (received time, descending).
  case reportedNewest = "r"
  /// Oldest report first (received time, ascending).
  case reportedOldest = "o"
  /// Newest current step first (when the current holder received it, descending).
  case stepStartedNewest = "s"
  /// Earliest current-step due time first (``Deadlines/currentStepDue(_:policy:)``); cases
  /// without a due time (and terminal cases) last.
  case stepDueSoonest = "d"
  /// Most recently changed first.
  case updatedNewest = "u"

  /// Whether the key sorts descending.
  public var isDescending: Bool {
    switch self {
    case .reportedNewest, .stepStartedNewest, .updatedNewest: true
    case .reportedOldest, .stepDueSoonest: false
    }
  }

  /// The SQL expression of the key on the `cases` row aliased `c` (the due key maps "no due
  /// time" to the largest integer so that those cases come last, as its index does).
  package var keyExpression: String {
    switch self {
    case .reportedNewest, .reportedOldest: "c.received_at"
    case .stepStartedNewest: "c.step_started"
    case .stepDueSoonest: "COALESCE(c.listed_due, 9223372036854775807)"
    case .updatedNewest: "c.updated_at"
    }
  }

  /// The key of `c` in this order, as the store's columns hold it.
  public func key(of c: Case, policy: WorkflowPolicy) -> Int64 {
    switch self {
    case .reportedNewest, .reportedOldest: c.receivedAt.millisecondsSince1970
    case .stepStartedNewest: c.stepReceivedAt.millisecondsSince1970
    case .stepDueSoonest: Deadlines.currentStepDue(c, policy: policy)?.millisecondsSince1970 ?? Int64.max
    case .updatedNewest: c.updatedAt.millisecondsSince1970
    }
  }

  /// Whether `a` comes before `b` in this order (merging several pages of one order).
  public func precedes(_ a: Case, _ b: Case, policy: WorkflowPolicy) -> Bool {
    let left = (key(of: a, policy: policy), a.id.rawValue)
    let right = (key(of: b, policy: policy), b.id.rawValue)
    return isDescending ? left > right : left < right
  }

  /// The cursor just after `c` in this order.
  public func cursor(after c: Case, policy: WorkflowPolicy) -> CaseCursor {
    CaseCursor(order: self, key: key(of: c, policy: policy), caseID: c.id)
  }
}
