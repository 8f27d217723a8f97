/// One step of the schema's history. Applied in order, each in the writer's transaction,
/// and recorded in `PRAGMA user_version` (and in `schema_migrations` with its time).
///
/// - Important: a released migration is never edited; changes go in a new one.
struct Migration: Sendable {
  /// The schema version this step produces (1, 2, 3…).
  let version: Int
  /// What it does, for the record.
  let summary: String
  /// Applies the step.
  let apply: @Sendable (Database) throws -> Void
}
