public import FieldReportStore
public import FieldReportWorkflow

/// First run: makes sure a system administrator exists.
///
/// There is no default password anywhere: the caller passes one (from the environment,
/// `FIELDREPORT_ADMIN_PASSWORD`) or lets this generate a random one, which it returns so
/// the server can print it once.
public enum SystemAdminBootstrap {
  /// The administrator's login name.
  public static let username = "admin"
  /// The administrator's fixed user id.
  public static let userID = UserID("u-admin")

  /// What the bootstrap did.
  public enum Outcome: Sendable, Equatable {
    /// A system admin already existed; nothing changed.
    case alreadyPresent
    /// The admin was created with the given password.
    case created
    /// The admin was created with this generated password (show it once, never log it).
    case createdWithGeneratedPassword(String)
  }

  /// Creates the `admin` account with a system-admin grant at the IOC unit (creating an IOC
  /// unit named `iocName` if there is none) unless some system admin exists.
  /// - Parameters:
  ///   - store: The store.
  ///   - password: The admin password (at least 10 bytes), or nil to generate one.
  ///   - hashing: How to derive the stored key.
  ///   - now: The grant time.
  /// - Throws: ``FieldReportStore/StoreError``; `StoreError.invalidArgument` for a password
  ///   shorter than 10 bytes.
  public static func ensureSystemAdmin(
    store: any FieldReportStore, password: String?, hashing: PasswordHashing, now: Timestamp,
    iocName: String = "Trung tâm IOC"
  ) async throws -> Outcome {
    let units = try await store.units()
    for unit in units where try await store.roleGrants(unitID: unit.id, status: .approved).contains(where: { $0.role == .systemAdmin }) {
      return .alreadyPresent
    }
    if let password, password.utf8.count < 10 {
      throw StoreError.invalidArgument(field: "FIELDREPORT_ADMIN_PASSWORD", reason: "at least 10 bytes")
    }
    let chosen = password ?? Secrets.password()
    let ioc: UnitID
    if let existing = units.first(where: { $0.kind == .ioc }) {
      ioc = existing.id
    } else {
      ioc = UnitID("IOC")
      try await store.createUnit(Unit(id: ioc, name: iocName, kind: .ioc))
    }
    let credentials = try hashing.credentials(for: chosen)
    if let account = try await store.findUser(username: username) {
      // An `admin` whose grant was lost: restore the grant, reset the password.
      try await store.setCredentials(credentials, for: account.user.id)
      try await grant(account.user.id, at: ioc, store: store, now: now)
    } else {
      try await store.createUser(
        UserAccount(
          user: User(id: userID, fullName: "Quản trị hệ thống", kind: .staff, homeUnitID: ioc),
          username: username, credentials: credentials))
      try await grant(userID, at: ioc, store: store, now: now)
    }
    return password == nil ? .createdWithGeneratedPassword(chosen) : .created
  }

  private static func grant(_ user: UserID, at ioc: UnitID, store: any FieldReportStore, now: Timestamp) async throws {
    try await store.createRoleGrant(
      RoleGrant(
        id: RoleGrantID(Secrets.id("g-admin-")), userID: user, unitID: ioc, role: .systemAdmin,
        position: "Quản trị hệ thống", status: .approved, requestedAt: now, decidedAt: now,
        decisionNote: "first run"))
  }
}
