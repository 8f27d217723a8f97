import FieldReportStore
import Foundation

/// Brings a PostgreSQL database to the latest schema version.
///
/// Each applied step is recorded in `schema_migrations` (version, summary, time); the
/// database's version is the highest recorded. All steps run in one transaction holding a
/// transaction-scoped advisory lock, so replicas starting at once migrate one after the other
/// (the later ones find nothing left to do). A database migrated by a newer build (version
/// above ``latestVersion``) is refused rather than guessed at.
///
/// - Important: a released migration is never edited; changes go in a new one.
enum PostgresMigrator {
  /// One step of the schema's history.
  struct Step: Sendable {
    /// The version this step produces (1, 2, 3…).
    let version: Int
    /// What it does, for the record.
    let summary: String
    /// Its statements.
    let sql: String
    /// Work after the statements that SQL cannot do (decoding case bodies), in the same
    /// transaction; nil for most steps.
    var backfill: (@Sendable (PostgresSession) async throws -> Void)? = nil
  }

  /// Every step, oldest first.
  static let steps: [Step] = [
    PostgresSchemaV1.step, PostgresSchemaV2.step, PostgresSchemaV3.step, PostgresSchemaV4.step,
    PostgresSchemaV5.step, PostgresSchemaV6.step,
  ]

  /// The version a new database is migrated to.
  static var latestVersion: Int { steps.last?.version ?? 0 }

  /// The advisory lock key that serializes migrations (any constant; "fieldrep" in ASCII).
  static let lockKey: Int64 = 0x6669_656C_6472_6570

  /// The recorded version (0 for an empty database).
  static func version(in session: PostgresSession) async throws -> Int {
    guard
      try await session.first("SELECT to_regclass('schema_migrations') IS NOT NULL")?.value(0, as: Bool.self)
        == true
    else { return 0 }
    return Int(try await session.first("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")?.value(0, as: Int64.self) ?? 0)
  }

  /// Applies every step above the database's version, up to `target`, in one transaction.
  static func migrate(_ store: PostgresFieldReportStore, upTo target: Int) async throws {
    let now = Int64(Date().timeIntervalSince1970 * 1000)
    try await store.write { session in
      try await session.query("SELECT pg_advisory_xact_lock($1)", [lockKey])
      let current = try await version(in: session)
      guard current <= latestVersion else {
        throw StoreError.integrity(
          "the database has schema version \(current), newer than this build's \(latestVersion)")
      }
      for step in steps where step.version > current && step.version <= target {
        try await session.execute(step.sql)
        try await step.backfill?(session)
        try await session.execute(
          """
          CREATE TABLE IF NOT EXISTS schema_migrations(
            version INTEGER PRIMARY KEY, summary TEXT NOT NULL, applied_at BIGINT NOT NULL)
          """)
        try await session.query(
          "INSERT INTO schema_migrations(version, summary, applied_at) VALUES ($1, $2, $3)",
          [step.version, step.summary, now])
      }
    }
  }
}
