/// A pause of a unit task's clock (tạm dừng tính thời hạn): the unit waits for the citizen
/// (more information requested through the platform) or for another agency.
///
/// Holds live on the ``UnitTask`` they pause, oldest first; at most the last one is open.
/// While a hold is open the case is not overdue and its step has no running deadline; when it
/// ends, the task's, the assignment's and the step's due times move later by the held time
/// (``Deadlines/effectiveDue(of:now:)``, ``CaseReplay``). The rules are in
/// ``CaseWorkflow`` (who, when) and ``Deadlines`` (what the held time changes).
public struct ClockHold: Hashable, Codable, Sendable {
  /// What the unit waits for.
  public enum Kind: String, Hashable, Codable, Sendable, CaseIterable {
    /// Information from the citizen, requested through the platform (the reporter's app is
    /// told); the platform relaying the answer may resume the hold.
    case awaitingCitizen = "awaiting_citizen"
    /// Another agency's input (an opinion, an inspection, a document).
    case awaitingOtherAgency = "awaiting_other_agency"
  }

  /// What the unit waits for.
  public var kind: Kind
  /// Why (the hold entry's content; required).
  public var reason: String
  /// Who put the clock on hold.
  public var heldBy: UserID
  /// When the clock stopped.
  public var heldAt: Timestamp
  /// Who resumed it; nil while open.
  public var resumedBy: UserID?
  /// When the clock restarted; nil while open.
  public var resumedAt: Timestamp?

  public init(
    kind: Kind, reason: String, heldBy: UserID, heldAt: Timestamp, resumedBy: UserID? = nil,
    resumedAt: Timestamp? = nil
  ) {
    self.kind = kind
    self.reason = reason
    self.heldBy = heldBy
    self.heldAt = heldAt
    self.resumedBy = resumedBy
    self.resumedAt = resumedAt
  }

  /// Whether the hold is still open.
  public var isOpen: Bool { resumedAt == nil }

  /// Milliseconds the clock was (or, while open, has so far been) stopped, as of `now`.
  public func heldMilliseconds(now: Timestamp) -> Int64 {
    max(0, (resumedAt ?? now).millisecondsSince1970 - heldAt.millisecondsSince1970)
  }
}
