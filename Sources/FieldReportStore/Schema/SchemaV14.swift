/// Version 14: what fair unit statistics count (``FairStatistics``), as task columns.
///
/// - `unit_tasks.outcome`: how the task ended (``UnitTask/Outcome`` raw value; NULL while
///   open), so handling times are measured over approved tasks only. Backfilled from the
///   stored columns: a task returned to the IOC has timeliness `not_counted`; any other
///   completed task is the case's last (after an approval or a closed monitoring the case never
///   returns to a unit except by SendBackToUnit, which reopens that same task), and it was
///   closed by monitoring exactly when the case is `closed`.
/// - `unit_tasks.return_confirmed`: 1 when the IOC confirmed that a returned task's case was
///   outside the unit's competence (``UnitTask/returnOutsideCompetence``); 0 before.
/// - Indexes by receipt and by completion time, for the period's volume and completions over
///   every unit.
enum SchemaV14 {
  static let migration = Migration(version: 14, summary: "unit tasks: outcome, confirmed returns; statistics indexes") { database in
    try database.execute(SchemaV14.sql)
  }

  /// The statements (PostgreSQL's version 6 runs the same ones).
  static let sql = """
    ALTER TABLE unit_tasks ADD COLUMN outcome TEXT;
    ALTER TABLE unit_tasks ADD COLUMN return_confirmed INTEGER NOT NULL DEFAULT 0;
    UPDATE unit_tasks SET outcome = CASE
      WHEN timeliness = 'not_counted' THEN 'returned_to_ioc'
      WHEN (SELECT c.state FROM cases c WHERE c.id = unit_tasks.case_id) = 'closed' THEN 'monitoring_closed'
      ELSE 'resolved' END
    WHERE completed_at IS NOT NULL;
    CREATE INDEX unit_tasks_by_received ON unit_tasks(received_at);
    CREATE INDEX unit_tasks_by_completed ON unit_tasks(completed_at);
    """
}
