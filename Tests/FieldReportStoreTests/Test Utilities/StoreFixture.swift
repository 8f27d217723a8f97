import Foundation
import Testing

@_spi(Testing) import FieldReportStore
import FieldReportWorkflow
import StoreTestSupport

/// A store on a fresh temporary SQLite file or a fresh PostgreSQL database of the test
/// cluster, seeded with a small province; removed on `finish()`.
struct StoreFixture {
  static let ioc: UnitID = "ioc"
  static let dongLoc: UnitID = "ubnd-xa-dong-loc"
  static let tranPhu: UnitID = "ubnd-phuong-tran-phu"
  static let iocOperator: UserID = "ioc-operator"
  static let duong: UserID = "le-van-duong"
  static let thang: UserID = "le-dai-thang"
  static let toan: UserID = "dinh-truong-toan"
  static let hai: UserID = "pham-minh-hai"
  static let platform: UserID = "platform"
  static let environment: CategoryID = "moi-truong"
  static let publicOrder: CategoryID = "trat-tu-cong-cong"

  static let units = [
    Unit(id: ioc, name: "Trung tâm IOC tỉnh Hà Tĩnh", kind: .ioc),
    Unit(id: dongLoc, name: "UBND Xã Đồng Lộc", kind: .communeWard, parentID: ioc),
    Unit(id: tranPhu, name: "UBND Phường Trần Phú", kind: .communeWard, parentID: ioc),
  ]
  static let users = [
    User(id: iocOperator, fullName: "Nguyễn Thị Điều Phối", kind: .staff, homeUnitID: ioc),
    User(id: duong, fullName: "Lê Văn Đường", kind: .staff, homeUnitID: dongLoc),
    User(id: thang, fullName: "Lê Đại Thắng", kind: .staff, homeUnitID: dongLoc),
    User(id: toan, fullName: "Đinh Trường Toàn", kind: .staff, homeUnitID: dongLoc),
    User(id: hai, fullName: "Phạm Minh Hải", kind: .staff, homeUnitID: tranPhu),
    User(id: platform, fullName: "Nền tảng chính quyền số", kind: .serviceAccount),
  ]
  static func approved(_ user: UserID, _ role: RoleGrant.Role, _ unit: UnitID) -> RoleGrant {
    RoleGrant(
      id: RoleGrantID("\(user)@\(unit):\(role.rawValue)"), userID: user, unitID: unit, role: role,
      status: .approved, requestedAt: Timestamp(millisecondsSince1970: 0))
  }
  static let grants = [
    approved(iocOperator, .iocOperator, ioc),
    approved(duong, .leader, dongLoc),
    approved(thang, .officer, dongLoc),
    approved(toan, .officer, dongLoc),
    approved(hai, .leader, tranPhu),
  ]
  static let categories = [
    FieldReportWorkflow.Category(id: environment, name: "Môi trường"),
    FieldReportWorkflow.Category(id: publicOrder, name: "Trật tự công cộng"),
  ]
  static let directory = Directory(units: units, users: users, grants: grants, categories: categories)

  /// 09:00 local time on a day of March 2026.
  static func at(_ day: Int, hour: Int = 9, minute: Int = 0) -> Timestamp {
    let start = LocalDay(year: 2026, month: 3, day: day)?.start ?? Timestamp(millisecondsSince1970: 0)
    return start.adding(
      milliseconds: Int64(hour) * Timestamp.millisecondsPerHour + Int64(minute) * Timestamp.millisecondsPerMinute)
  }

  /// The fixture's own database.
  let database: TestDatabase
  let store: any TestableStore

  var engine: StoreEngine { database.engine }
  /// The SQLite file's folder (SQLite only).
  var directory: URL { database.directory }
  /// The SQLite file (SQLite only).
  var path: String { database.path }

  /// The store as SQLite (for tests of SQLite's own file format, migrations and plans).
  var sqlite: SQLiteFieldReportStore { store as! SQLiteFieldReportStore }

  /// A fixture around an already opened SQLite store.
  init(directory: URL, path: String, store: SQLiteFieldReportStore) {
    self.init(database: TestDatabase(sqliteFile: path, in: directory), store: store)
  }

  /// A fixture around a store opened on `database` by the test itself.
  init(database: TestDatabase, store: any TestableStore) {
    self.database = database
    self.store = store
  }

  /// Opens (and seeds, unless `seed` is false) a store on a new temporary file (SQLite) or a
  /// new database of the test cluster (PostgreSQL).
  static func make(
    engine: StoreEngine = .sqlite, seed: Bool = true, configuration: StoreConfiguration = StoreConfiguration()
  ) async throws -> StoreFixture {
    let database = try TestDatabase(engine: engine)
    let fixture = StoreFixture(database: database, store: try await database.open(configuration: configuration))
    if seed { try await fixture.seed() }
    return fixture
  }

  /// Opens a second store on the same file or database (a restart, or another replica).
  func reopen() async throws -> any TestableStore {
    try await database.open()
  }

  /// Removes the file or drops the database (every store on it must be closed).
  func removeStorage() {
    database.remove()
  }

  /// Takes the file back to exactly what schema version 14 left (undoing 15: the step index
  /// over every link kind, each link carrying its case's step start).
  func rewindToVersion14() async throws {
    try await store.executeRawSQLForTesting(
      """
      DROP INDEX case_links_by_step;
      UPDATE case_links SET step_started = COALESCE((SELECT c.step_started FROM cases c WHERE c.id = case_links.case_id), 0);
      CREATE INDEX case_links_by_step ON case_links(kind, subject, step_started, case_id);
      DELETE FROM schema_migrations WHERE version = 15;
      PRAGMA user_version = 14;
      """)
  }

  /// Takes the file back to exactly what schema version 11 left (undoing 12: case outcomes and
  /// verdicts; 13: clock holds on unit tasks, signed checkpoints; 14: task outcomes and
  /// confirmed returns; and 15).
  func rewindToVersion11() async throws {
    try await rewindToVersion14()
    try await store.executeRawSQLForTesting(
      """
      DROP INDEX unit_tasks_by_received;
      DROP INDEX unit_tasks_by_completed;
      ALTER TABLE unit_tasks DROP COLUMN outcome;
      ALTER TABLE unit_tasks DROP COLUMN return_confirmed;
      ALTER TABLE unit_tasks DROP COLUMN held_ms;
      ALTER TABLE unit_tasks DROP COLUMN held_since;
      DROP TABLE journal_checkpoints;
      DROP TABLE case_verdicts;
      DROP TABLE case_outcomes;
      DELETE FROM case_links WHERE kind = 'duplicates';
      DELETE FROM schema_migrations WHERE version IN (12, 13, 14);
      PRAGMA user_version = 11;
      """)
  }

  /// Takes the file back to exactly what schema version 10 left.
  func rewindToVersion10() async throws {
    try await rewindToVersion11()
    try await store.executeRawSQLForTesting(
      """
      CREATE INDEX journal_by_case ON journal(case_id, case_seq, event_seq);
      DELETE FROM schema_migrations WHERE version = 11;
      PRAGMA user_version = 10;
      """)
  }

  /// Takes the file back to exactly what schema version 9 left.
  func rewindToVersion9() async throws {
    try await rewindToVersion10()
    try await store.executeRawSQLForTesting(
      """
      DROP TABLE method_rights;
      DROP TABLE method_rights_accounts;
      DROP TABLE client_certificates;
      DELETE FROM schema_migrations WHERE version = 10;
      PRAGMA user_version = 9;
      """)
  }

  /// Takes the file back to exactly what schema version 8 left.
  func rewindToVersion8() async throws {
    try await rewindToVersion9()
    try await store.executeRawSQLForTesting(
      """
      DROP INDEX case_links_by_step;
      DROP INDEX cases_unit_state_step;
      DROP INDEX cases_unit_state_due;
      DROP INDEX cases_unit_state_updated;
      ALTER TABLE case_links DROP COLUMN step_started;
      DELETE FROM idempotency WHERE entry_seq IS NOT NULL;
      ALTER TABLE idempotency DROP COLUMN entry_seq;
      CREATE INDEX cases_by_state_due ON cases(state, step_due);
      CREATE INDEX cases_by_holder ON cases(holder_user_id, received_at, id) WHERE holder_user_id IS NOT NULL;
      DELETE FROM schema_migrations WHERE version = 9;
      PRAGMA user_version = 8;
      """)
  }

  /// Takes the file back to exactly what schema version 7 left.
  func rewindToVersion7() async throws {
    try await rewindToVersion8()
    try await store.executeRawSQLForTesting(
      """
      DROP INDEX cases_unit_due;
      DELETE FROM schema_migrations WHERE version = 8;
      PRAGMA user_version = 7;
      """)
  }

  /// Takes the file back to exactly what schema version 6 left.
  func rewindToVersion6() async throws {
    try await rewindToVersion7()
    try await store.executeRawSQLForTesting(
      """
      DELETE FROM case_links WHERE kind = 'rereports';
      DELETE FROM schema_migrations WHERE version = 7;
      PRAGMA user_version = 6;
      """)
  }

  /// Takes the file back to exactly what schema version 5 left.
  func rewindToVersion5() async throws {
    try await rewindToVersion6()
    try await store.executeRawSQLForTesting(
      """
      ALTER TABLE api_keys DROP COLUMN expires_at;
      DELETE FROM schema_migrations WHERE version = 6;
      PRAGMA user_version = 5;
      """)
  }

  /// Takes the file back to exactly what schema version 4 left (the current code writes
  /// cases only at the latest version, so old files with cases are made this way).
  func rewindToVersion4() async throws {
    try await rewindToVersion5()
    try await store.executeRawSQLForTesting(
      """
      DROP INDEX cases_by_step_started;
      DROP INDEX cases_by_listed_due;
      DROP INDEX cases_by_updated;
      DROP INDEX cases_overdue;
      ALTER TABLE cases DROP COLUMN step_started;
      ALTER TABLE cases DROP COLUMN listed_due;
      DELETE FROM schema_migrations WHERE version = 5;
      PRAGMA user_version = 4;
      """)
  }

  /// Takes the file back to exactly what schema version 3 left.
  func rewindToVersion3() async throws {
    try await rewindToVersion4()
    try await store.executeRawSQLForTesting(
      """
      DROP TABLE case_drafts;
      DROP TABLE attachment_uploads;
      ALTER TABLE transfer_groups DROP COLUMN created_at;
      ALTER TABLE transfer_groups DROP COLUMN updated_at;
      DELETE FROM schema_migrations WHERE version = 4;
      PRAGMA user_version = 3;
      """)
  }

  func seed() async throws {
    for unit in Self.units { try await store.createUnit(unit) }
    for user in Self.users { try await store.createUser(UserAccount(user: user, username: user.id.rawValue, credentials: nil)) }
    for grant in Self.grants { try await store.createRoleGrant(grant) }
    for category in Self.categories { try await store.createCategory(category) }
  }

  /// Closes the store and deletes the files (or drops the database).
  func finish() async {
    await store.close()
    removeStorage()
  }

  static func report(_ title: String, category: CategoryID = environment, isPublic: Bool = true) -> NewReport {
    NewReport(
      iocUnitID: ioc, reporter: Case.Reporter(fullName: "Trần Thị Dân", phone: "0912345678"),
      categoryID: category, title: title, description: "Nội dung phản ánh: \(title)",
      location: Case.Location(address: "81 Ngô Quyền, Phường Trần Phú"), isPublic: isPublic)
  }

  /// Builds the submission transition for the store's `createCase`.
  static func submission(_ report: NewReport, at now: Timestamp)
    -> @Sendable (CaseID, ReportCode) throws -> Transition
  {
    { id, code in
      let actor = Self.directory.actor(platform)!
      return try CaseWorkflow.submit(
        report, caseID: id, reportCode: code, by: actor, now: now, directory: Self.directory
      ).get()
    }
  }

  /// Submits a report through the store.
  @discardableResult
  func submit(_ title: String, at now: Timestamp = at(6), category: CategoryID = environment,
    isPublic: Bool = true, key: IdempotencyKey? = nil
  ) async throws -> Case {
    try await store.createCase(
      receivedAt: now, idempotencyKey: key,
      build: Self.submission(Self.report(title, category: category, isPublic: isPublic), at: now)
    ).storedCase
  }

  /// Decides `action` on the stored case as `user` and applies it.
  @discardableResult
  func act(
    _ user: UserID, _ action: CaseAction, on id: CaseID, content: String = "Nội dung", at now: Timestamp,
    key: IdempotencyKey? = nil
  ) async throws -> CaseChangeResult {
    let current = try #require(try await store.findCase(id: id))
    let transition = try Self.decide(user, action, on: current, content: content, at: now)
    return try await store.apply(transition, expectedVersion: current.version, idempotencyKey: key)
  }

  static func decide(
    _ user: UserID, _ action: CaseAction, on current: Case, content: String = "Nội dung", at now: Timestamp
  ) throws -> Transition {
    let actor = try #require(directory.actor(user))
    return try CaseWorkflow.decide(
      current, by: actor, command: CaseCommand(expectedVersion: current.version, action: action, content: content),
      now: now, directory: directory
    ).get()
  }
}
