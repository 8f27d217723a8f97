/// The reporter's verdict on a published case (issue 14, item 1): a rating, a comment and,
/// optionally, "not resolved", relayed by the platform or given by the citizen themselves.
///
/// One per case. A "not resolved" verdict reopens the case as a re-report
/// (``reopenedCaseID``) at the unit that handled it. Stored per handling unit (``unitID``)
/// so statistics can show satisfaction per unit and the reopen rate.
public struct CaseVerdict: Hashable, Codable, Sendable {
  /// The published case judged.
  public var caseID: CaseID
  /// The unit that handled it (``Case/outcomeUnitID``): whose satisfaction this counts for.
  public var unitID: UnitID
  /// 1 (very unsatisfied) to 5 (very satisfied).
  public var rating: Int
  /// The reporter's words; may be empty.
  public var comment: String
  /// The reporter says the problem is not resolved.
  public var notResolved: Bool
  /// The account that relayed it (the platform's service account, or the citizen).
  public var recordedBy: UserID
  /// When.
  public var recordedAt: Timestamp
  /// The re-report a "not resolved" verdict opened; nil otherwise.
  public var reopenedCaseID: CaseID?

  /// The ratings accepted.
  public static let ratings = 1...5

  public init(
    caseID: CaseID, unitID: UnitID, rating: Int, comment: String, notResolved: Bool,
    recordedBy: UserID, recordedAt: Timestamp, reopenedCaseID: CaseID? = nil
  ) {
    self.caseID = caseID
    self.unitID = unitID
    self.rating = rating
    self.comment = comment
    self.notResolved = notResolved
    self.recordedBy = recordedBy
    self.recordedAt = recordedAt
    self.reopenedCaseID = reopenedCaseID
  }
}
