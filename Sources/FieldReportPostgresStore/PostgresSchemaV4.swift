import FieldReportStore
import FieldReportWorkflow

/// Version 4: how each ended case ended, per unit (issue 14, item 3), and the reporters'
/// verdicts (item 1); the same tables as the SQLite schema's version 12 (see `SchemaV12`
/// there for the columns and the counting queries, with `$n` parameters; `not_resolved` is a
/// BOOLEAN here: `COUNT(*) FILTER (WHERE not_resolved)`).
///
/// Cases that ended before version 4 are backfilled from their bodies by ``backfill(_:)``,
/// in the migration's transaction.
enum PostgresSchemaV4 {
  static let step = PostgresMigrator.Step(
    version: 4, summary: "case outcomes and verdicts per unit",
    sql: """
      CREATE TABLE case_outcomes(
        case_id TEXT COLLATE "C" PRIMARY KEY REFERENCES cases(id),
        unit_id TEXT COLLATE "C" NOT NULL,
        outcome TEXT COLLATE "C" NOT NULL,
        ended_at BIGINT NOT NULL
      );
      CREATE INDEX case_outcomes_by_unit ON case_outcomes(unit_id, ended_at, outcome);
      CREATE TABLE case_verdicts(
        case_id TEXT COLLATE "C" PRIMARY KEY REFERENCES cases(id),
        unit_id TEXT COLLATE "C" NOT NULL,
        rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
        not_resolved BOOLEAN NOT NULL,
        recorded_at BIGINT NOT NULL,
        recorded_by TEXT COLLATE "C" NOT NULL,
        reopened_case_id TEXT COLLATE "C" REFERENCES cases(id),
        idempotency_scope TEXT COLLATE "C",
        idempotency_key TEXT COLLATE "C",
        body BYTEA NOT NULL,
        UNIQUE(idempotency_scope, idempotency_key)
      );
      CREATE INDEX case_verdicts_by_unit ON case_verdicts(unit_id, recorded_at);
      """,
    backfill: backfill)

  /// Writes the outcome row of every ended case, 500 cases at a time.
  @Sendable static func backfill(_ session: PostgresSession) async throws {
    var last = ""
    while true {
      let rows = try await session.query(
        "SELECT id, body FROM cases WHERE id > $1 AND state IN ('published', 'closed') ORDER BY id LIMIT 500",
        [last])
      guard !rows.isEmpty else { return }
      for row in rows {
        last = try row.value(0, as: String.self)
        let stored = try EntityCoding.decode(Case.self, from: row.bytes(1), what: "case")
        try await PostgresFieldReportStore.writeOutcome(of: stored, in: session)
        if let original = stored.rejection?.duplicateOf {
          try await session.query(
            """
            INSERT INTO case_links(kind, subject, received_at, case_id, step_started)
            VALUES ('duplicates', $1, $2, $3, $4) ON CONFLICT DO NOTHING
            """,
            [original.rawValue, stored.receivedAt.millisecondsSince1970, stored.id.rawValue,
             stored.stepReceivedAt.millisecondsSince1970])
        }
      }
    }
  }
}
