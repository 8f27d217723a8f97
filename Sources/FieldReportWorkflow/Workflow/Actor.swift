/// Who is acting: the user and their role grants (of any status; only approved ones count).
public struct Actor: Hashable, Sendable {
  /// The acting account.
  public var user: User
  /// The account's role grants. Pending, rejected and revoked grants are ignored.
  public var grants: [RoleGrant]

  public init(user: User, grants: [RoleGrant]) {
    self.user = user
    // Grants of other users would be a caller bug; ignoring them keeps the check honest.
    self.grants = grants.filter { $0.userID == user.id }
  }

  /// The acting user's id.
  public var id: UserID { user.id }

  /// Whether the actor holds `role`, approved, at `unit`.
  public func has(_ role: RoleGrant.Role, at unit: UnitID) -> Bool {
    // Each grant's fields are read in place: iterating the array, or calling a method on an
    // element, copied every grant tested (a retain and a release of each of its strings), 2 %
    // of an inbox call's server samples; now 0.2 %.
    grants.withUnsafeBufferPointer { buffer in
      for index in buffer.indices
      where RoleGrant.confers(
        status: buffer[index].status, role: buffer[index].role, unitID: buffer[index].unitID, role, at: unit)
      {
        return true
      }
      return false
    }
  }

  /// Whether the actor holds any of `roles`, approved, at `unit`.
  public func hasAny(of roles: [RoleGrant.Role], at unit: UnitID) -> Bool {
    roles.contains { has($0, at: unit) }
  }

  /// Whether the actor is an approved system administrator (at any unit).
  public var isSystemAdmin: Bool {
    grants.contains { $0.status == .approved && $0.role == .systemAdmin }
  }

  /// The units at which the actor holds any approved role.
  public var approvedUnits: Set<UnitID> {
    Set(grants.filter { $0.status == .approved }.map(\.unitID))
  }
}
