/// How a case ended: the one closure vocabulary of the product (issue 14, item 3).
///
/// Every case in a terminal state (``CaseState/isTerminal``) has exactly one outcome, derived
/// from how it ended (``Case/outcome``); an open case has none. The citizen's wording for each
/// outcome is ``ClosureWording``'s; the store indexes the outcome per handling unit
/// (`case_outcomes`) so statistics count each separately.
///
/// | outcome | how a case gets it |
/// |---|---|
/// | ``resolved`` | the IOC published a unit's result that solves the problem |
/// | ``routedOnward`` | the IOC closed it as out of scope, naming the outside agency that receives it (a matter for a unit inside the system is re-dispatched instead, never closed) |
/// | ``cannotBeResolved`` | the IOC published a unit's result that says, with the reason, that it cannot be solved |
/// | ``duplicate`` | the IOC closed it as a duplicate of another case (that case's handling answers it) |
/// | ``notValid`` | the IOC rejected it as spam or for insufficient information |
/// | ``monitored`` | information only: transferred for monitoring and closed (nothing to solve) |
public enum CaseOutcome: String, Hashable, Codable, Sendable, CaseIterable {
  /// Handled and solved: the published result fixes the problem.
  case resolved
  /// Not a matter for this system: handed to the named outside agency.
  case routedOnward = "routed_onward"
  /// Handled, but it cannot be solved (the result gives the reason).
  case cannotBeResolved = "cannot_be_resolved"
  /// The same event as another case, which carries the one handling.
  case duplicate
  /// Not a valid report (spam, insufficient information).
  case notValid = "not_valid"
  /// Content for awareness only, transferred for monitoring and closed.
  case monitored
}

extension Case {
  /// How the case ended; nil while it is open.
  public var outcome: CaseOutcome? {
    switch state {
    case .published:
      return result?.cannotBeResolvedReason == nil ? .resolved : .cannotBeResolved
    case .closed:
      if let rejection {
        switch rejection.reason {
        case .duplicate: return .duplicate
        case .outOfScope: return .routedOnward
        case .spam, .insufficientInformation: return .notValid
        }
      }
      return .monitored
    default:
      return nil
    }
  }

  /// The reason or destination that goes with the outcome: the agency for
  /// ``CaseOutcome/routedOnward`` (nil when a legacy rejection did not name one), the unit's
  /// reason for ``CaseOutcome/cannotBeResolved``, the rejection ground (`spam`,
  /// `insufficient_information`) for ``CaseOutcome/notValid``; nil otherwise.
  public var outcomeReason: String? {
    switch outcome {
    case .routedOnward: rejection?.routedTo
    case .cannotBeResolved: result?.cannotBeResolvedReason
    case .notValid: rejection?.reason.rawValue
    case .resolved, .duplicate, .monitored, nil: nil
    }
  }

  /// When the case ended (its last step), nil while open.
  public var endedAt: Timestamp? { state.isTerminal ? stepReceivedAt : nil }

  /// The unit an ended case's outcome is counted for: the last handling unit it was
  /// dispatched to, else (closed by the IOC before any dispatch) the IOC.
  public var outcomeUnitID: UnitID { tasks.last?.unitID ?? iocUnitID }
}
