/// Version 6: what fair unit statistics count, as task columns (as SQLite's version 14).
///
/// - `unit_tasks.outcome`: how the task ended (`UnitTask.Outcome` raw value; NULL while open),
///   so handling times are measured over approved tasks only; backfilled from the stored
///   columns (timeliness `not_counted` is a return; any other completed task is its case's
///   last, closed by monitoring exactly when the case is `closed`).
/// - `unit_tasks.return_confirmed`: 1 when the IOC confirmed a returned task's case was outside
///   the unit's competence.
/// - Indexes by receipt and by completion time, for the period's volume and completions.
enum PostgresSchemaV6 {
  static let step = PostgresMigrator.Step(
    version: 6, summary: "unit tasks: outcome, confirmed returns; statistics indexes",
    sql: """
      ALTER TABLE unit_tasks ADD COLUMN outcome TEXT COLLATE "C";
      ALTER TABLE unit_tasks ADD COLUMN return_confirmed BIGINT NOT NULL DEFAULT 0;
      UPDATE unit_tasks SET outcome = CASE
        WHEN timeliness = 'not_counted' THEN 'returned_to_ioc'
        WHEN (SELECT c.state FROM cases c WHERE c.id = unit_tasks.case_id) = 'closed' THEN 'monitoring_closed'
        ELSE 'resolved' END
      WHERE completed_at IS NOT NULL;
      CREATE INDEX unit_tasks_by_received ON unit_tasks(received_at);
      CREATE INDEX unit_tasks_by_completed ON unit_tasks(completed_at);
      """)
}
