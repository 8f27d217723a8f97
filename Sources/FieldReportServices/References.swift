public import FieldReportStore
public import FieldReportWorkflow
public import WireBridge

/// A per-call cache of the units and users a response names, so that building many wire
/// values costs one store read per distinct id.
///
/// Use one per call (it is a value; copy semantics keep it out of concurrent use).
public struct References: Sendable {
  private let store: any FieldReportStore
  /// Units by id (every unit, loaded on first use: units are few).
  public private(set) var units: [UnitID: FieldReportWorkflow.Unit] = [:]
  private var unitsLoaded = false
  /// Users looked up so far, by id.
  public private(set) var users: [UserID: User] = [:]
  private var accounts: [UserID: UserAccount] = [:]
  private var missingUsers: Set<UserID> = []

  /// Creates an empty cache over `store`.
  public init(store: any FieldReportStore) {
    self.store = store
  }

  /// Loads every unit (once).
  public mutating func loadUnits() async throws {
    guard !self.unitsLoaded else { return }
    for unit in try await self.store.units() { self.units[unit.id] = unit }
    self.unitsLoaded = true
  }

  /// The unit with this id, or nil.
  public mutating func unit(_ id: UnitID) async throws -> FieldReportWorkflow.Unit? {
    try await self.loadUnits()
    return self.units[id]
  }

  /// The account with this id, or nil.
  public mutating func account(_ id: UserID) async throws -> UserAccount? {
    if let account = self.accounts[id] { return account }
    if self.missingUsers.contains(id) { return nil }
    guard let account = try await self.store.findUser(id: id) else {
      self.missingUsers.insert(id)
      return nil
    }
    self.accounts[id] = account
    self.users[id] = account.user
    return account
  }

  /// The user with this id, or nil.
  public mutating func user(_ id: UserID) async throws -> User? {
    try await self.account(id)?.user
  }

  /// Loads every user in `ids` (skipping known ones).
  public mutating func loadUsers(_ ids: some Sequence<UserID>) async throws {
    for id in ids { _ = try await self.account(id) }
  }

  /// A wire reference to a unit (id only when unknown).
  public mutating func unitRef(_ id: UnitID) async throws -> Fieldreport_V1_UnitRef {
    if let unit = try await self.unit(id) { return Fieldreport_V1_UnitRef(unit) }
    var ref = Fieldreport_V1_UnitRef()
    ref.unitId = id.rawValue
    return ref
  }

  /// A wire reference to a user (id only when unknown).
  public mutating func userRef(_ id: UserID) async throws -> Fieldreport_V1_UserRef {
    if let user = try await self.user(id) { return Fieldreport_V1_UserRef(user) }
    return Fieldreport_V1_UserRef(id: id)
  }

  /// A grant as the contract shows it.
  public mutating func wire(_ grant: RoleGrant) async throws -> Fieldreport_V1_RoleGrant {
    try await self.loadUnits()
    try await self.loadUsers([grant.userID] + (grant.decidedBy.map { [$0] } ?? []))
    return Fieldreport_V1_RoleGrant(grant, users: self.users, units: self.units)
  }

  /// A transfer group as the contract shows it.
  public mutating func wire(_ group: TransferGroup) async throws -> Fieldreport_V1_TransferGroup {
    try await self.loadUnits()
    try await self.loadUsers(group.memberIDs)
    return Fieldreport_V1_TransferGroup(group, users: self.users, units: self.units)
  }

  /// A user summary (with the display unit from the user's grants).
  public mutating func summary(_ account: UserAccount) async throws -> Fieldreport_V1_UserSummary {
    try await self.loadUnits()
    let grants = try await self.store.roleGrants(userID: account.user.id)
    return Fieldreport_V1_UserSummary(account, grants: grants, units: self.units)
  }
}
