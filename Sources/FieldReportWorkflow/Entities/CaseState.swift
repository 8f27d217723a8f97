/// Where a case is in the process (DOMAIN.md, "Case states"). Overdue is a flag, not a state.
public enum CaseState: String, Hashable, Codable, Sendable, CaseIterable {
  /// Submitted, at the IOC, awaiting dispatch or rejection.
  case received
  /// Dispatched to a handling unit; its leader triages it.
  case atUnit = "at_unit"
  /// Sent back to the IOC by a unit that is not competent; awaiting re-dispatch or rejection.
  case returnedToIoc = "returned_to_ioc"
  /// Assigned; the main handler is processing it.
  case inProgress = "in_progress"
  /// The main handler submitted a result; the unit's leader decides.
  case awaitingApproval = "awaiting_approval"
  /// The leader approved the result; it is at the IOC for publication.
  case resolved
  /// Transferred for monitoring (awareness only): recipients acknowledge.
  case monitoring
  /// The IOC published the result to the citizen's app. Terminal.
  case published
  /// Rejected by the IOC, or monitoring finished. Terminal.
  case closed

  /// Whether no action is accepted any more.
  public var isTerminal: Bool { self == .published || self == .closed }
}
