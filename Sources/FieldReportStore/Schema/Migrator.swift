import FieldReportWorkflow

/// Brings a database file to the latest schema version.
///
/// The version lives in `PRAGMA user_version` (read without parsing any table), and each
/// applied step is also recorded in `schema_migrations`. A file written by a newer build
/// (version above ``latestVersion``) is refused rather than guessed at.
enum Migrator {
  /// Every migration, oldest first.
  static let migrations: [Migration] = [
    SchemaV1.migration,
    SchemaV2.migration,
    SchemaV3.migration,
    SchemaV4.migration,
    SchemaV5.migration,
    SchemaV6.migration,
    SchemaV7.migration,
    SchemaV8.migration,
    SchemaV9.migration,
    SchemaV10.migration,
    SchemaV11.migration,
    SchemaV12.migration,
    SchemaV13.migration,
    SchemaV14.migration,
    SchemaV15.migration,
  ]

  /// The version a fresh file is migrated to.
  static var latestVersion: Int { migrations.last?.version ?? 0 }

  /// Applies every migration above the file's version, up to `target`, inside the caller's
  /// transaction (the writer's batch transaction).
  /// - Returns: the version reached.
  static func migrate(
    _ database: Database, upTo target: Int = latestVersion, now: Int64, policy: WorkflowPolicy = .standard
  ) throws -> Int {
    var version = try database.userVersion()
    guard version <= latestVersion else {
      throw StoreError.integrity(
        "the database file has schema version \(version), newer than this build's \(latestVersion)")
    }
    for migration in migrations where migration.version > version && migration.version <= target {
      try migration.apply(database, policy)
      try database.execute(
        """
        CREATE TABLE IF NOT EXISTS schema_migrations(
          version INTEGER PRIMARY KEY, summary TEXT NOT NULL, applied_at INTEGER NOT NULL)
        """)
      try database.run(
        "INSERT INTO schema_migrations(version, summary, applied_at) VALUES (?, ?, ?)",
        migration.version, migration.summary, now)
      // PRAGMA does not take bound parameters; the value is our own integer.
      try database.execute("PRAGMA user_version = \(migration.version)")
      version = migration.version
    }
    return version
  }
}
