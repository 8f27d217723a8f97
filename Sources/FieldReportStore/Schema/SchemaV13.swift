/// Version 13 (issue 14): paused clocks and signed checkpoints.
///
/// - `unit_tasks.held_ms`: milliseconds of the task's closed clock holds (already included in
///   its `due`, which moves later on each resume); `unit_tasks.held_since`: the start of the
///   hold in force, NULL while the clock runs. Statistics exclude held time with them: a task
///   with `held_since` set is never overdue, and its effective due at `now` is
///   `due + (now - held_since)` (``FieldReportWorkflow/Deadlines/effectiveDue(of:now:)``).
///   No task had holds before this version, so the defaults are right for every old row.
/// - `journal_checkpoints`: signed checkpoints of every case's journal chain head
///   (``JournalCheckpoint``): the canonical signed message as `payload`, its Ed25519 signature
///   and public key.
enum SchemaV13 {
  static let migration = Migration(version: 13, summary: "clock holds on unit tasks; signed journal checkpoints", applyWithPolicy: { database, _ in
    try database.execute(
      """
      ALTER TABLE unit_tasks ADD COLUMN held_ms INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE unit_tasks ADD COLUMN held_since INTEGER;
      CREATE TABLE journal_checkpoints(
        id TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL,
        origin TEXT NOT NULL,
        created_by TEXT,
        payload BLOB NOT NULL,
        signature BLOB NOT NULL,
        public_key BLOB NOT NULL
      );
      """)
  })
}
