public import FieldReportWorkflow

extension SQLiteFieldReportStore {
  // MARK: Units

  public func createUnit(_ unit: Unit) async throws {
    let body = try EntityCoding.encode(unit)
    try await write { database in
      try Self.mapConstraints(duplicate: "unit \(unit.id)", missing: "parent unit \(unit.parentID?.rawValue ?? "")") {
        try database.run(
          "INSERT INTO units(id, name, kind, parent_id, body) VALUES (?, ?, ?, ?, ?)",
          [unit.id.rawValue, unit.name, unit.kind.rawValue, unit.parentID?.rawValue, body])
      }
    }
  }

  public func units() async throws -> [Unit] {
    try await cachedRead({ $0.units }, put: { $0.units = $1 }) { database in
      try database.query("SELECT body FROM units ORDER BY name, id") {
        try EntityCoding.decode(Unit.self, from: $0.blob(0), what: "unit")
      }
    }
  }

  public func unitsByID() async throws -> [UnitID: Unit] {
    if let built = cache.lookup({ $0.unitsByID }) { return built }
    let generation = cache.generation
    let built = try await units().keyedByFirst(\.id)
    cache.store(ifStill: generation) { $0.unitsByID = built }
    return built
  }

  public func findUnit(id: UnitID) async throws -> Unit? {
    // Every lookup is served from the cached units by id (a province has hundreds of units;
    // each case action looks up three or four).
    try await unitsByID()[id]
  }

  // MARK: Users

  public func createUser(_ account: UserAccount) async throws {
    let user = account.user
    let body = try EntityCoding.encode(user)
    if let username = account.username, username.isEmpty {
      throw StoreError.invalidArgument(field: "username", reason: "must not be empty")
    }
    try await write { database in
      if let username = account.username,
        try database.scalarInt64("SELECT 1 FROM users WHERE username = ?", [username]) != nil
      {
        throw StoreError.duplicate("username \(username)")
      }
      try Self.mapConstraints(duplicate: "user \(user.id)", missing: "home unit \(user.homeUnitID?.rawValue ?? "")") {
        try database.run(
          """
          INSERT INTO users(id, username, full_name, kind, home_unit_id, is_active, password_hash,
            password_salt, password_scheme, body, folded_name)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
    try await write { database in
      try Self.mapConstraints(duplicate: "user \(user.id)", missing: "home unit \(user.homeUnitID?.rawValue ?? "")") {
        try database.run(
          """
          UPDATE users SET full_name = ?, kind = ?, home_unit_id = ?, is_active = ?, body = ?,
            folded_name = ? WHERE id = ?
          """,
          [
            user.fullName, user.kind.rawValue, user.homeUnitID?.rawValue, user.isActive, body,
            TextFolding.fold(user.fullName), user.id.rawValue,
          ])
      }
      guard database.changes == 1 else { throw StoreError.notFound("user \(user.id)") }
    }
  }

  public func setCredentials(_ credentials: PasswordCredentials, for user: UserID) async throws {
    try await write { database in
      try database.run(
        "UPDATE users SET password_hash = ?, password_salt = ?, password_scheme = ? WHERE id = ?",
        credentials.hash, credentials.salt, credentials.scheme, user.rawValue)
      guard database.changes == 1 else { throw StoreError.notFound("user \(user)") }
    }
  }

  static let accountColumns = "body, username, password_hash, password_salt, password_scheme"

  static func decodeAccount(_ row: Statement) throws -> UserAccount {
    let user = try EntityCoding.decode(User.self, from: row.blob(0), what: "user")
    var credentials: PasswordCredentials?
    if let hash = row.optionalBlob(2), let salt = row.optionalBlob(3), let scheme = row.optionalText(4) {
      credentials = PasswordCredentials(hash: hash, salt: salt, scheme: scheme)
    }
    return UserAccount(user: user, username: row.optionalText(1), credentials: credentials)
  }

  public func findUser(id: UserID) async throws -> UserAccount? {
    try await cachedRead({ $0.users[id] }, put: { $0.users.insertBounded($1, for: id) }) { database in
      try database.queryFirst("SELECT \(Self.accountColumns) FROM users WHERE id = ?", [id.rawValue]) {
        try Self.decodeAccount($0)
      }
    }
  }

  public func users(ids: [UserID]) async throws -> [UserID: User] {
    // One lookup of the reference cache for all of them; only those it has not seen are read.
    var found: [UserID: User] = [:]
    var unseen: [UserID] = []
    _ = cache.lookup { state -> Void? in
      for id in ids {
        switch state.users[id] {
        case .some(.some(let account)): found[id] = account.user
        case .some(.none): break  // known not to exist
        case .none: unseen.append(id)
        }
      }
      return nil
    }
    for id in unseen where found[id] == nil {
      if let account = try await findUser(id: id) { found[id] = account.user }
    }
    return found
  }

  public func findUser(username: String) async throws -> UserAccount? {
    try await read { database in
      try database.queryFirst("SELECT \(Self.accountColumns) FROM users WHERE username = ?", [username]) {
        try Self.decodeAccount($0)
      }
    }
  }

  public func searchUsers(text: String, limit: Int) async throws -> [User] {
    let bounded = try StoreRules.bounded(limit: limit, cap: 500)
    let pattern = TextFolding.likePattern(containing: TextFolding.fold(text))
    return try await scan { database in
      try database.query(
        "SELECT body FROM users WHERE folded_name LIKE ? ESCAPE '\\' ORDER BY folded_name, id LIMIT ?",
        [pattern, bounded]
      ) { try EntityCoding.decode(User.self, from: $0.blob(0), what: "user") }
    }
  }

  // MARK: Categories

  public func createCategory(_ category: FieldReportWorkflow.Category) async throws {
    let body = try EntityCoding.encode(category)
    try await write { database in
      try Self.mapConstraints(duplicate: "category \(category.id)", missing: "") {
        try database.run(
          "INSERT INTO categories(id, name, is_active, body) VALUES (?, ?, ?, ?)",
          category.id.rawValue, category.name, category.isActive, body)
      }
    }
  }

  public func categoriesByID() async throws -> [CategoryID: FieldReportWorkflow.Category] {
    if let built = cache.lookup({ $0.categoriesByID }) { return built }
    let generation = cache.generation
    let built = try await categories().keyedByFirst(\.id)
    cache.store(ifStill: generation) { $0.categoriesByID = built }
    return built
  }

  public func categories() async throws -> [FieldReportWorkflow.Category] {
    try await cachedRead({ $0.categories }, put: { $0.categories = $1 }) { database in
      try database.query("SELECT body FROM categories ORDER BY name, id") {
        try EntityCoding.decode(FieldReportWorkflow.Category.self, from: $0.blob(0), what: "category")
      }
    }
  }

  // MARK: Role grants

  public func createRoleGrant(_ grant: RoleGrant) async throws {
    let body = try EntityCoding.encode(grant)
    try await write { database in
      if grant.status == .pending || grant.status == .approved {
        let existing = try database.scalarInt64(
          """
          SELECT 1 FROM role_grants WHERE user_id = ? AND unit_id = ? AND role = ?
            AND status IN ('pending', 'approved')
          """, [grant.userID.rawValue, grant.unitID.rawValue, grant.role.rawValue])
        if existing != nil {
          throw StoreError.duplicate("role \(grant.role.rawValue) of user \(grant.userID) at unit \(grant.unitID)")
        }
      }
      try Self.mapConstraints(duplicate: "role grant \(grant.id)", missing: "user \(grant.userID) or unit \(grant.unitID)") {
        try database.run(
          "INSERT INTO role_grants(id, user_id, unit_id, role, status, requested_at, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
          [
            grant.id.rawValue, grant.userID.rawValue, grant.unitID.rawValue, grant.role.rawValue,
            grant.status.rawValue, grant.requestedAt.millisecondsSince1970, body,
          ])
      }
    }
  }

  public func updateRoleGrant(_ grant: RoleGrant, expectedStatus: RoleGrant.Status) async throws {
    let body = try EntityCoding.encode(grant)
    try await write { database in
      guard
        let stored = try database.queryFirst(
          "SELECT status, user_id, unit_id, role FROM role_grants WHERE id = ?", [grant.id.rawValue],
          { ($0.text(0), $0.text(1), $0.text(2), $0.text(3)) })
      else { throw StoreError.notFound("role grant \(grant.id)") }
      guard stored.0 == expectedStatus.rawValue else {
        throw StoreError.conflict("role grant \(grant.id) is \(stored.0), not \(expectedStatus.rawValue)")
      }
      guard stored.1 == grant.userID.rawValue, stored.2 == grant.unitID.rawValue, stored.3 == grant.role.rawValue
      else {
        throw StoreError.invalidArgument(field: "grant", reason: "user, unit and role of a grant cannot change")
      }
      try database.run(
        "UPDATE role_grants SET status = ?, body = ? WHERE id = ?", grant.status.rawValue, body, grant.id.rawValue)
    }
  }

  public func findRoleGrant(id: RoleGrantID) async throws -> RoleGrant? {
    try await read { database in
      try database.queryFirst("SELECT body FROM role_grants WHERE id = ?", [id.rawValue]) {
        try EntityCoding.decode(RoleGrant.self, from: $0.blob(0), what: "role grant")
      }
    }
  }

  public func roleGrants(userID: UserID) async throws -> [RoleGrant] {
    try await cachedRead({ $0.grantsByUser[userID] }, put: { $0.grantsByUser.insertBounded($1, for: userID) }) {
      database in
      try database.query(
        "SELECT body FROM role_grants WHERE user_id = ? ORDER BY requested_at DESC, id DESC", [userID.rawValue]
      ) { try EntityCoding.decode(RoleGrant.self, from: $0.blob(0), what: "role grant") }
    }
  }

  public func roleGrants(unitID: UnitID, status: RoleGrant.Status?) async throws -> [RoleGrant] {
    let sql =
      "SELECT body FROM role_grants WHERE unit_id = ?" + (status == nil ? "" : " AND status = ?")
      + " ORDER BY requested_at DESC, id DESC"
    let values: [any SQLBindable] = [unitID.rawValue] + (status.map { [$0.rawValue] } ?? [])
    let key = unitID.rawValue + "\u{0}" + (status?.rawValue ?? "*")
    return try await cachedRead({ $0.grantsByUnit[key] }, put: { $0.grantsByUnit.insertBounded($1, for: key) }) {
      database in
      try database.query(sql, values) { try EntityCoding.decode(RoleGrant.self, from: $0.blob(0), what: "role grant") }
    }
  }

  // MARK: Transfer groups

  public func createTransferGroup(_ group: TransferGroup) async throws {
    try await write { database in
      try Self.mapConstraints(duplicate: "transfer group \(group.id)", missing: "unit \(group.unitID) or a member") {
        try database.run(
          "INSERT INTO transfer_groups(id, unit_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
          [group.id.rawValue, group.unitID.rawValue, group.name, group.createdAt?.millisecondsSince1970,
           (group.updatedAt ?? group.createdAt)?.millisecondsSince1970])
        try Self.writeMembers(group.memberIDs, of: group.id, in: database)
      }
    }
  }

  public func setTransferGroupMembers(
    groupID: TransferGroupID, members: [UserID], at now: Timestamp, expectedUpdatedAt: Timestamp?
  ) async throws {
    try await write { database in
      guard
        let updated = try database.queryFirst(
          "SELECT updated_at FROM transfer_groups WHERE id = ?", [groupID.rawValue], { $0.optionalInt64(0) })
      else { throw StoreError.notFound("transfer group \(groupID)") }
      if let expectedUpdatedAt, expectedUpdatedAt.millisecondsSince1970 != (updated ?? 0) {
        throw StoreError.conflict("transfer group \(groupID) changed since it was read")
      }
      try database.run(
        "UPDATE transfer_groups SET updated_at = ? WHERE id = ?", now.millisecondsSince1970, groupID.rawValue)
      try Self.mapConstraints(duplicate: "member", missing: "a member") {
        try database.run("DELETE FROM transfer_group_members WHERE group_id = ?", groupID.rawValue)
        try Self.writeMembers(members, of: groupID, in: database)
      }
    }
  }

  static func writeMembers(_ members: [UserID], of group: TransferGroupID, in database: Database) throws {
    var seen: Set<UserID> = []
    var position = 0
    for member in members where seen.insert(member).inserted {
      try database.run(
        "INSERT INTO transfer_group_members(group_id, position, user_id) VALUES (?, ?, ?)",
        group.rawValue, position, member.rawValue)
      position += 1
    }
  }

  static let groupColumns = "id, unit_id, name, created_at, updated_at"

  static func loadGroup(_ row: Statement, in database: Database) throws -> TransferGroup {
    let id = row.text(0)
    let members = try database.query(
      "SELECT user_id FROM transfer_group_members WHERE group_id = ? ORDER BY position", [id]
    ) { UserID($0.text(0)) }
    return TransferGroup(
      id: TransferGroupID(id), unitID: UnitID(row.text(1)), name: row.text(2), memberIDs: members,
      createdAt: row.optionalInt64(3).map(Timestamp.init(millisecondsSince1970:)),
      updatedAt: row.optionalInt64(4).map(Timestamp.init(millisecondsSince1970:)))
  }

  public func findTransferGroup(id: TransferGroupID) async throws -> TransferGroup? {
    try await cachedRead({ $0.groups[id] }, put: { $0.groups.insertBounded($1, for: id) }) { database in
      try database.queryFirst(
        "SELECT \(Self.groupColumns) FROM transfer_groups WHERE id = ?", [id.rawValue]
      ) { try Self.loadGroup($0, in: database) }
    }
  }

  public func transferGroups(unitID: UnitID) async throws -> [TransferGroup] {
    try await read { database in
      try database.query(
        "SELECT \(Self.groupColumns) FROM transfer_groups WHERE unit_id = ? ORDER BY name, id", [unitID.rawValue]
      ) { try Self.loadGroup($0, in: database) }
    }
  }

  // MARK: Constraint mapping

  /// Runs `body`, turning uniqueness and foreign-key violations into typed errors.
  static func mapConstraints(duplicate: String, missing: String, _ body: () throws -> Void) throws {
    do {
      try body()
    } catch let error as SQLiteError where error.isUniqueViolation {
      throw StoreError.duplicate(duplicate)
    } catch let error as SQLiteError where error.isForeignKeyViolation {
      throw StoreError.notFound(missing)
    }
  }
}
