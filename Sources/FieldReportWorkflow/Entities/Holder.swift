/// Đang XL: who holds a case now, i.e. whose inbox it is in.
///
/// Exactly one holder at a time; monitoring is the one state held by a set (the recipients
/// who have not yet acknowledged). Authorisation is decided by roles, not by this value:
/// any approved leader of a unit may act on a case held by a named leader of that unit.
public enum Holder: Hashable, Codable, Sendable {
  /// A unit as a whole: the IOC centre, or a handling unit's leaders.
  case unit(UnitID)
  /// A named person at a unit (the main handler, or the leader chosen to approve).
  case person(UserID, unit: UnitID)
  /// Monitoring: the recipients at a unit who have not yet acknowledged.
  case recipients([UserID], unit: UnitID)
  /// Nobody: the case is terminal.
  case nobody

  /// The unit whose inbox the case is in, if any.
  public var unitID: UnitID? {
    switch self {
    case .unit(let unit), .person(_, let unit), .recipients(_, let unit): unit
    case .nobody: nil
    }
  }

  /// The named person holding the case, if it is held by exactly one person.
  public var userID: UserID? {
    if case .person(let user, _) = self { return user }
    return nil
  }

  /// Every person named as holder (one person, or the pending monitoring recipients).
  public var userIDs: [UserID] {
    switch self {
    case .person(let user, _): [user]
    case .recipients(let users, _): users
    case .unit, .nobody: []
    }
  }
}
