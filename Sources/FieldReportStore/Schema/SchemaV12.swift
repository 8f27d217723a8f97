import FieldReportWorkflow

/// Version 12: how each ended case ended, per unit (issue 14, item 3).
///
/// `case_outcomes` holds one row per ended case (``Case/outcome``): the unit it counts for
/// (``Case/outcomeUnitID``: the last handling unit, else the IOC), the outcome's raw value
/// (``CaseOutcome``: `resolved`, `routed_onward`, `cannot_be_resolved`, `duplicate`,
/// `not_valid`, `monitored`) and when it ended. Written with the case row in the action's
/// transaction (``CaseIndexing/outcomeRow(of:)``). Counting each outcome of a unit over a
/// period is one index range:
///
/// ```sql
/// SELECT outcome, COUNT(*) FROM case_outcomes
///   WHERE unit_id = ? AND ended_at >= ? AND ended_at < ? GROUP BY outcome
/// ```
///
/// Cases that ended before version 12 are backfilled from their bodies, and cases closed as
/// duplicates get their `duplicates` link to the original (`case_links`).
///
/// `case_verdicts` holds the reporter's verdict on a published case (issue 14, item 1), one
/// per case: the unit that handled it (``CaseVerdict/unitID``), the rating (1 to 5), the
/// "not resolved" flag (0/1), when, the re-report it opened, the idempotency key, and the
/// encoded verdict. Satisfaction and the reopen rate of a unit over a period:
///
/// ```sql
/// SELECT COUNT(*), AVG(rating), SUM(not_resolved) FROM case_verdicts
///   WHERE unit_id = ? AND recorded_at >= ? AND recorded_at < ?
/// ```
///
/// (the reopen rate divides `SUM(not_resolved)` by the unit's published cases, counted in
/// `case_outcomes` with outcome `resolved` or `cannot_be_resolved`, or by the verdicts).
enum SchemaV12 {
  static let migration = Migration(version: 12, summary: "case outcomes and verdicts per unit") { database in
    try database.execute(
      """
      CREATE TABLE case_outcomes(
        case_id TEXT PRIMARY KEY REFERENCES cases(id),
        unit_id TEXT NOT NULL,
        outcome TEXT NOT NULL,
        ended_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX case_outcomes_by_unit ON case_outcomes(unit_id, ended_at, outcome);
      CREATE TABLE case_verdicts(
        case_id TEXT PRIMARY KEY REFERENCES cases(id),
        unit_id TEXT NOT NULL,
        rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
        not_resolved INTEGER NOT NULL,
        recorded_at INTEGER NOT NULL,
        recorded_by TEXT NOT NULL,
        reopened_case_id TEXT REFERENCES cases(id),
        idempotency_scope TEXT,
        idempotency_key TEXT,
        body BLOB NOT NULL,
        UNIQUE(idempotency_scope, idempotency_key)
      ) WITHOUT ROWID;
      CREATE INDEX case_verdicts_by_unit ON case_verdicts(unit_id, recorded_at);
      """)
    try CaseRows.forEachCase(in: database) { stored in
      try CaseRows.writeOutcome(of: stored, into: database)
      if let original = stored.rejection?.duplicateOf {
        try database.run(
          """
          INSERT OR IGNORE INTO case_links(kind, subject, received_at, case_id, step_started)
          VALUES ('duplicates', ?, ?, ?, ?)
          """,
          original.rawValue, stored.receivedAt.millisecondsSince1970, stored.id.rawValue,
          stored.stepReceivedAt.millisecondsSince1970)
      }
    }
  }
}
