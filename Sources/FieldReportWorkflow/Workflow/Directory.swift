/// The slice of reference data a decision may need: units, users, their role grants,
/// transfer groups and categories.
///
/// The workflow does no I/O, so the caller loads this first. ``CaseCommand/referencedUsers``
/// and ``CaseCommand/referencedUnits(in:)`` say what a command needs; the case's current unit
/// and IOC (with their grants, for notifications) should always be included.
public struct Directory: Sendable {
  /// Units by id.
  public var units: [UnitID: Unit]
  /// Users by id.
  public var users: [UserID: User]
  /// Role grants (any status; only approved ones count).
  public var grants: [RoleGrant]
  /// Transfer groups by id.
  public var groups: [TransferGroupID: TransferGroup]
  /// Categories by id.
  public var categories: [CategoryID: Category]

  public init(
    units: [Unit] = [], users: [User] = [], grants: [RoleGrant] = [],
    groups: [TransferGroup] = [], categories: [Category] = []
  ) {
    self.units = Dictionary(units.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
    self.users = Dictionary(users.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
    self.grants = grants
    self.groups = Dictionary(groups.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
    self.categories = Dictionary(
      categories.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
  }

  /// Whether `user` is active and holds `role`, approved, at `unit`.
  public func has(_ user: UserID, _ role: RoleGrant.Role, at unit: UnitID) -> Bool {
    guard users[user]?.isActive ?? false else { return false }
    return grants.contains { $0.userID == user && $0.grants(role, at: unit) }
  }

  /// Active users holding `role`, approved, at `unit`, sorted by id (deterministic output).
  public func holders(of role: RoleGrant.Role, at unit: UnitID) -> [UserID] {
    Set(grants.filter { $0.grants(role, at: unit) }.map(\.userID))
      .filter { users[$0]?.isActive ?? false }
      .sorted()
  }

  /// The ``Actor`` for a known user, with their grants from this directory.
  public func actor(_ user: UserID) -> Actor? {
    users[user].map { user in Actor(user: user, grants: grants.filter { $0.userID == user.id }) }
  }
}
