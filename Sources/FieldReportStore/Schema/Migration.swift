import FieldReportWorkflow

/// One step of the schema's history. Applied in order, each in the writer's transaction,
/// and recorded in `PRAGMA user_version` (and in `schema_migrations` with its time).
///
/// - Important: a released migration is never edited; changes go in a new one.
struct Migration: Sendable {
  /// The schema version this step produces (1, 2, 3…).
  let version: Int
  /// What it does, for the record.
  let summary: String
  /// Applies the step; given the store's workflow policy for steps that derive columns from
  /// case bodies.
  let apply: @Sendable (Database, WorkflowPolicy) throws -> Void

  /// A step that needs only the database.
  init(version: Int, summary: String, apply: @escaping @Sendable (Database) throws -> Void) {
    self.version = version
    self.summary = summary
    self.apply = { database, _ in try apply(database) }
  }

  /// A step that derives columns by the workflow's rules.
  init(version: Int, summary: String, applyWithPolicy: @escaping @Sendable (Database, WorkflowPolicy) throws -> Void) {
    self.version = version
    self.summary = summary
    self.apply = applyWithPolicy
  }
}
