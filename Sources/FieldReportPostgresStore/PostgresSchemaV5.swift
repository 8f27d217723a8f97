/// Version 5 (issue 14): paused clocks and signed checkpoints, as SQLite's version 13.
///
/// - `unit_tasks.held_ms` (closed holds' milliseconds, already in `due`) and
///   `unit_tasks.held_since` (start of the hold in force, NULL while the clock runs).
/// - `journal_checkpoints`: the signed checkpoints (``FieldReportStore/JournalCheckpoint``).
enum PostgresSchemaV5 {
  static let step = PostgresMigrator.Step(
    version: 5, summary: "clock holds on unit tasks; signed journal checkpoints",
    sql: """
      ALTER TABLE unit_tasks ADD COLUMN held_ms BIGINT NOT NULL DEFAULT 0;
      ALTER TABLE unit_tasks ADD COLUMN held_since BIGINT;
      CREATE TABLE journal_checkpoints(
        id TEXT COLLATE "C" PRIMARY KEY,
        created_at BIGINT NOT NULL,
        origin TEXT COLLATE "C" NOT NULL,
        created_by TEXT COLLATE "C",
        payload BYTEA NOT NULL,
        signature BYTEA NOT NULL,
        public_key BYTEA NOT NULL
      );
      """)
}
