public import FieldReportStore
public import FieldReportWorkflow
import PostgresNIO

extension PostgresFieldReportStore {
  // MARK: Units

  public func createUnit(_ unit: Unit) async throws {
    let body = try EntityCoding.encode(unit)
    try await write { session in
      try await Self.mapConstraints(
        duplicate: "unit \(unit.id)", missing: "parent unit \(unit.parentID?.rawValue ?? "")"
      ) {
        try await session.query(
          "INSERT INTO units(id, name, kind, parent_id, body) VALUES ($1, $2, $3, $4, $5)",
          [unit.id.rawValue, unit.name, unit.kind.rawValue, unit.parentID?.rawValue, body])
      }
    }
  }

  public func units() async throws -> [Unit] {
    try await cachedRead { $0.units } put: {
      $0.units = $1
      $0.unitsByID = $1.keyedByFirst(\.id)
    } load: { session in
      try await session.query("SELECT body FROM units ORDER BY name, id").map {
        try EntityCoding.decode(Unit.self, from: $0.bytes(0), what: "unit")
      }
    }
  }

  /// The units by id: kept with the list (``units()``), so a case action's three or four unit
  /// lookups and its renderer build no dictionary (the protocol's default builds one per call).
  public func unitsByID() async throws -> [UnitID: Unit] {
    if let built = referenceCache.lookup({ $0.unitsByID }) { return built }
    return try await units().keyedByFirst(\.id)
  }

  public func findUnit(id: UnitID) async throws -> Unit? {
    try await unitsByID()[id]
  }

  // MARK: Users

  public func createUser(_ account: UserAccount) async throws {
    let user = account.user
    let body = try EntityCoding.encode(user)
    if let username = account.username, username.isEmpty {
      throw StoreError.invalidArgument(field: "username", reason: "must not be empty")
    }
    try await write { session in
      if let username = account.username,
        try await session.first("SELECT 1 FROM users WHERE username = $1", [username]) != nil
      {
        throw StoreError.duplicate("username \(username)")
      }
      try await Self.mapConstraints(
        duplicate: "user \(user.id)", missing: "home unit \(user.homeUnitID?.rawValue ?? "")"
      ) {
        try await session.query(
          """
          INSERT INTO users(id, username, full_name, kind, home_unit_id, is_active, password_hash,
            password_salt, password_scheme, body, folded_name)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
          """,
          [
            user.id.rawValue, account.username, user.fullName, user.kind.rawValue,
            user.homeUnitID?.rawValue, user.isActive, account.credentials?.hash,
            account.credentials?.salt, account.credentials?.scheme, body,
            TextFolding.fold(user.fullName),
          ])
      }
    }
  }

  public func updateUser(_ user: User) async throws {
    let body = try EntityCoding.encode(user)
    try await write { session in
      let changed = try await Self.mapConstraints(
        duplicate: "user \(user.id)", missing: "home unit \(user.homeUnitID?.rawValue ?? "")"
      ) {
        try await session.changes(
          """
          UPDATE users SET full_name = $1, kind = $2, home_unit_id = $3, is_active = $4, body = $5,
            folded_name = $6 WHERE id = $7 RETURNING 1
          """,
          [
            user.fullName, user.kind.rawValue, user.homeUnitID?.rawValue, user.isActive, body,
            TextFolding.fold(user.fullName), user.id.rawValue,
          ])
      }
      guard changed == 1 else { throw StoreError.notFound("user \(user.id)") }
    }
  }

  public func setCredentials(_ credentials: PasswordCredentials, for user: UserID) async throws {
    try await write { session in
      let changed = try await session.changes(
        "UPDATE users SET password_hash = $1, password_salt = $2, password_scheme = $3 WHERE id = $4 RETURNING 1",
        [credentials.hash, credentials.salt, credentials.scheme, user.rawValue])
      guard changed == 1 else { throw StoreError.notFound("user \(user)") }
    }
  }

  static let accountColumns = "body, username, password_hash, password_salt, password_scheme"

  static func decodeAccount(_ row: PostgresRow) throws -> UserAccount {
    let user = try EntityCoding.decode(User.self, from: row.bytes(0), what: "user")
    var credentials: PasswordCredentials?
    if let hash = try row.optionalBytes(2), let salt = try row.optionalBytes(3),
      let scheme = try row.value(4, as: String?.self)
    {
      credentials = PasswordCredentials(hash: hash, salt: salt, scheme: scheme)
    }
    return UserAccount(user: user, username: try row.value(1, as: String?.self), credentials: credentials)
  }

  public func findUser(id: UserID) async throws -> UserAccount? {
    try await cachedRead { $0.users[id] } put: { $0.users.insertBounded($1, for: id) } load: { session in
      try await session.first("SELECT \(Self.accountColumns) FROM users WHERE id = $1", [id.rawValue])
        .map(Self.decodeAccount)
    }
  }

  public func findUser(username: String) async throws -> UserAccount? {
    try await read { session in
      try await session.first("SELECT \(Self.accountColumns) FROM users WHERE username = $1", [username])
        .map(Self.decodeAccount)
    }
  }

  public func searchUsers(text: String, limit: Int) async throws -> [User] {
    let bounded = try StoreRules.bounded(limit: limit, cap: 500)
    let pattern = TextFolding.likePattern(containing: TextFolding.fold(text))
    return try await read { session in
      try await session.query(
        "SELECT body FROM users WHERE folded_name LIKE $1 ESCAPE '\\' ORDER BY folded_name, id LIMIT $2",
        [pattern, bounded]
      ).map { try EntityCoding.decode(User.self, from: $0.bytes(0), what: "user") }
    }
  }

  // MARK: Categories

  public func createCategory(_ category: FieldReportWorkflow.Category) async throws {
    let body = try EntityCoding.encode(category)
    try await write { session in
      try await Self.mapConstraints(duplicate: "category \(category.id)", missing: "") {
        try await session.query(
          "INSERT INTO categories(id, name, is_active, body) VALUES ($1, $2, $3, $4)",
          [category.id.rawValue, category.name, category.isActive, body])
      }
    }
  }

  public func categories() async throws -> [FieldReportWorkflow.Category] {
    try await cachedRead { $0.categories } put: {
      $0.categories = $1
      $0.categoriesByID = $1.keyedByFirst(\.id)
    } load: { session in
      try await session.query("SELECT body FROM categories ORDER BY name, id").map {
        try EntityCoding.decode(FieldReportWorkflow.Category.self, from: $0.bytes(0), what: "category")
      }
    }
  }

  /// The categories by id, kept with the list (``categories()``).
  public func categoriesByID() async throws -> [CategoryID: FieldReportWorkflow.Category] {
    if let built = referenceCache.lookup({ $0.categoriesByID }) { return built }
    return try await categories().keyedByFirst(\.id)
  }

  // MARK: Role grants

  public func createRoleGrant(_ grant: RoleGrant) async throws {
    let body = try EntityCoding.encode(grant)
    try await write { session in
      if grant.status == .pending || grant.status == .approved {
        // Serializes grants of one user: two replicas cannot both pass the check below.
        try await session.query("SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE", [grant.userID.rawValue])
        let existing = try await session.first(
          """
          SELECT 1 FROM role_grants WHERE user_id = $1 AND unit_id = $2 AND role = $3
            AND status IN ('pending', 'approved')
          """, [grant.userID.rawValue, grant.unitID.rawValue, grant.role.rawValue])
        if existing != nil {
          throw StoreError.duplicate("role \(grant.role.rawValue) of user \(grant.userID) at unit \(grant.unitID)")
        }
      }
      try await Self.mapConstraints(
        duplicate: "role grant \(grant.id)", missing: "user \(grant.userID) or unit \(grant.unitID)"
      ) {
        try await session.query(
          """
          INSERT INTO role_grants(id, user_id, unit_id, role, status, requested_at, body)
          VALUES ($1, $2, $3, $4, $5, $6, $7)
          """,
          [
            grant.id.rawValue, grant.userID.rawValue, grant.unitID.rawValue, grant.role.rawValue,
            grant.status.rawValue, grant.requestedAt.millisecondsSince1970, body,
          ])
      }
    }
  }

  public func updateRoleGrant(_ grant: RoleGrant, expectedStatus: RoleGrant.Status) async throws {
    let body = try EntityCoding.encode(grant)
    try await write { session in
      guard
        let row = try await session.first(
          "SELECT status, user_id, unit_id, role FROM role_grants WHERE id = $1 FOR NO KEY UPDATE", [grant.id.rawValue])
      else { throw StoreError.notFound("role grant \(grant.id)") }
      let (status, user, unit, role) = try row.decode((String, String, String, String).self)
      guard status == expectedStatus.rawValue else {
        throw StoreError.conflict("role grant \(grant.id) is \(status), not \(expectedStatus.rawValue)")
      }
      guard user == grant.userID.rawValue, unit == grant.unitID.rawValue, role == grant.role.rawValue else {
        throw StoreError.invalidArgument(field: "grant", reason: "user, unit and role of a grant cannot change")
      }
      try await session.query(
        "UPDATE role_grants SET status = $1, body = $2 WHERE id = $3", [grant.status.rawValue, body, grant.id.rawValue])
    }
  }

  public func findRoleGrant(id: RoleGrantID) async throws -> RoleGrant? {
    try await read { session in
      try await session.first("SELECT body FROM role_grants WHERE id = $1", [id.rawValue]).map {
        try EntityCoding.decode(RoleGrant.self, from: $0.bytes(0), what: "role grant")
      }
    }
  }

  public func roleGrants(userID: UserID) async throws -> [RoleGrant] {
    try await cachedRead { $0.grantsByUser[userID] } put: { $0.grantsByUser.insertBounded($1, for: userID) } load: {
      session in
      try await session.query(
        "SELECT body FROM role_grants WHERE user_id = $1 ORDER BY requested_at DESC, id DESC", [userID.rawValue]
      ).map { try EntityCoding.decode(RoleGrant.self, from: $0.bytes(0), what: "role grant") }
    }
  }

  public func roleGrants(unitID: UnitID, status: RoleGrant.Status?) async throws -> [RoleGrant] {
    let sql =
      "SELECT body FROM role_grants WHERE unit_id = $1" + (status == nil ? "" : " AND status = $2")
      + " ORDER BY requested_at DESC, id DESC"
    let values: [any PostgresArgument] = [unitID.rawValue] + (status.map { [$0.rawValue] } ?? [])
    return try await read { session in
      try await session.query(sql, values).map {
        try EntityCoding.decode(RoleGrant.self, from: $0.bytes(0), what: "role grant")
      }
    }
  }

  // MARK: Transfer groups

  public func createTransferGroup(_ group: TransferGroup) async throws {
    try await write { session in
      try await Self.mapConstraints(
        duplicate: "transfer group \(group.id)", missing: "unit \(group.unitID) or a member"
      ) {
        try await session.query(
          "INSERT INTO transfer_groups(id, unit_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)",
          [
            group.id.rawValue, group.unitID.rawValue, group.name, group.createdAt?.millisecondsSince1970,
            (group.updatedAt ?? group.createdAt)?.millisecondsSince1970,
          ])
        try await Self.writeMembers(group.memberIDs, of: group.id, in: session)
      }
    }
  }

  public func setTransferGroupMembers(
    groupID: TransferGroupID, members: [UserID], at now: Timestamp, expectedUpdatedAt: Timestamp?
  ) async throws {
    try await write { session in
      guard
        let row = try await session.first(
          "SELECT updated_at FROM transfer_groups WHERE id = $1 FOR NO KEY UPDATE", [groupID.rawValue])
      else { throw StoreError.notFound("transfer group \(groupID)") }
      let updated = try row.value(0, as: Int64?.self)
      if let expectedUpdatedAt, expectedUpdatedAt.millisecondsSince1970 != (updated ?? 0) {
        throw StoreError.conflict("transfer group \(groupID) changed since it was read")
      }
      try await session.query(
        "UPDATE transfer_groups SET updated_at = $1 WHERE id = $2", [now.millisecondsSince1970, groupID.rawValue])
      try await Self.mapConstraints(duplicate: "member", missing: "a member") {
        try await session.query("DELETE FROM transfer_group_members WHERE group_id = $1", [groupID.rawValue])
        try await Self.writeMembers(members, of: groupID, in: session)
      }
    }
  }

  static func writeMembers(_ members: [UserID], of group: TransferGroupID, in session: PostgresSession) async throws {
    var seen: Set<UserID> = []
    var position = 0
    for member in members where seen.insert(member).inserted {
      try await session.query(
        "INSERT INTO transfer_group_members(group_id, position, user_id) VALUES ($1, $2, $3)",
        [group.rawValue, position, member.rawValue])
      position += 1
    }
  }

  static let groupColumns = "id, unit_id, name, created_at, updated_at"

  static func loadGroup(_ row: PostgresRow, in session: PostgresSession) async throws -> TransferGroup {
    let (id, unit, name, created, updated) = try row.decode((String, String, String, Int64?, Int64?).self)
    let members = try await session.query(
      "SELECT user_id FROM transfer_group_members WHERE group_id = $1 ORDER BY position", [id]
    ).map { UserID(try $0.value(0, as: String.self)) }
    return TransferGroup(
      id: TransferGroupID(id), unitID: UnitID(unit), name: name, memberIDs: members,
      createdAt: created.map(Timestamp.init(millisecondsSince1970:)),
      updatedAt: updated.map(Timestamp.init(millisecondsSince1970:)))
  }

  public func findTransferGroup(id: TransferGroupID) async throws -> TransferGroup? {
    try await cachedRead { $0.groups[id] } put: { $0.groups.insertBounded($1, for: id) } load: {
      session -> TransferGroup? in
      guard let row = try await session.first("SELECT \(Self.groupColumns) FROM transfer_groups WHERE id = $1", [id.rawValue])
      else { return nil }
      return try await Self.loadGroup(row, in: session)
    }
  }

  public func transferGroups(unitID: UnitID) async throws -> [TransferGroup] {
    try await cachedRead { $0.groupsByUnit[unitID] } put: { $0.groupsByUnit.insertBounded($1, for: unitID) } load: {
      session -> [TransferGroup] in
      var groups: [TransferGroup] = []
      for row in try await session.query(
        "SELECT \(Self.groupColumns) FROM transfer_groups WHERE unit_id = $1 ORDER BY name, id", [unitID.rawValue])
      {
        groups.append(try await Self.loadGroup(row, in: session))
      }
      return groups
    }
  }

  public func deleteTransferGroup(id: TransferGroupID) async throws {
    try await write { session in
      try await session.query("DELETE FROM transfer_group_members WHERE group_id = $1", [id.rawValue])
      let changed = try await session.changes("DELETE FROM transfer_groups WHERE id = $1 RETURNING 1", [id.rawValue])
      guard changed == 1 else { throw StoreError.notFound("transfer group \(id)") }
    }
  }
}
