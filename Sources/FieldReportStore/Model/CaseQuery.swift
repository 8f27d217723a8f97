public import FieldReportWorkflow

/// An inbox / case listing query. Every filter set must match (AND); unset filters match all.
/// Results are ordered by ``order`` (newest report first by default) and paged with
/// ``CaseCursor``.
public struct CaseQuery: Hashable, Sendable {
  /// Cases currently held by this person (named holder or pending monitoring recipient).
  public var heldBy: UserID?
  /// Cases whose current unit (whose inbox they are in) is this unit.
  public var currentUnit: UnitID?
  /// Cases that are at, or have passed through, this unit.
  public var involvingUnit: UnitID?
  /// Cases on which this person is main handler, coordinator or follower.
  public var participant: UserID?
  /// Cases submitted by this account (a citizen's own reports).
  public var submittedBy: UserID?
  /// Only these states (nil: any state).
  public var states: Set<CaseState>?
  /// Only this category.
  public var category: CategoryID?
  /// Only ended cases with one of these outcomes (`case_outcomes`, schema 12; nil: any case,
  /// open or ended).
  public var outcomes: Set<CaseOutcome>? = nil
  /// Only cases whose current step is past due at this instant (by
  /// ``Deadlines/currentStepDue(_:policy:)``; terminal cases never are).
  public var overdueAt: Timestamp?
  /// Only cases received at or after this instant.
  public var receivedFrom: Timestamp?
  /// Only cases received before this instant.
  public var receivedBefore: Timestamp?
  /// Diacritic- and case-insensitive text contained in the code, title, description or address.
  public var text: String?
  /// Only public cases (for public listings).
  public var publicOnly: Bool
  /// The order of the results.
  public var order: CaseListOrder
  /// Page size, 1...``maximumLimit``.
  public var limit: Int
  /// Continue after this position (from the previous page's ``CasePage/nextCursor``; it must
  /// have been taken in the same ``order``).
  public var after: CaseCursor?

  /// The largest page size.
  public static let maximumLimit = 500

  /// Creates a query; by default, the first 50 cases of everything.
  public init(
    heldBy: UserID? = nil, currentUnit: UnitID? = nil, involvingUnit: UnitID? = nil,
    participant: UserID? = nil, submittedBy: UserID? = nil, states: Set<CaseState>? = nil,
    category: CategoryID? = nil, overdueAt: Timestamp? = nil, receivedFrom: Timestamp? = nil,
    receivedBefore: Timestamp? = nil, text: String? = nil, publicOnly: Bool = false,
    order: CaseListOrder = .reportedNewest, limit: Int = 50, after: CaseCursor? = nil
  ) {
    self.heldBy = heldBy
    self.currentUnit = currentUnit
    self.involvingUnit = involvingUnit
    self.participant = participant
    self.submittedBy = submittedBy
    self.states = states
    self.category = category
    self.overdueAt = overdueAt
    self.receivedFrom = receivedFrom
    self.receivedBefore = receivedBefore
    self.text = text
    self.publicOnly = publicOnly
    self.order = order
    self.limit = limit
    self.after = after
  }
}
