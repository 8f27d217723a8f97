import FieldReportWorkflow

/// Version 3: the inbox's indexes and link table, and a folded search text on cases
/// (backfilled from the stored case bodies).
///
/// `case_links` lists, for each case, the people and units it is linked to (`kind` is
/// `holder`, `unit` (passed through or current), `participant` (on the assignment),
/// `submitter`, or, from version 7, `rereports` (the earlier case a re-report links to)), each with the case's immutable `received_at`, so that an inbox query for
/// one person or unit walks one index range in paging order.
enum SchemaV3 {
  static let migration = Migration(version: 3, summary: "inbox indexes and search") { database in
    try database.execute(
      """
      CREATE TABLE case_links(
        kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        case_id TEXT NOT NULL REFERENCES cases(id),
        PRIMARY KEY(kind, subject, received_at, case_id)
      ) WITHOUT ROWID;
      CREATE INDEX case_links_by_case ON case_links(case_id);
      ALTER TABLE cases ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
      CREATE INDEX cases_by_received ON cases(received_at, id);
      CREATE INDEX cases_by_unit_state ON cases(current_unit_id, state, received_at, id);
      CREATE INDEX cases_by_state_due ON cases(state, step_due);
      CREATE INDEX cases_by_category ON cases(category_id, received_at, id);
      CREATE INDEX cases_by_holder ON cases(holder_user_id, received_at, id)
        WHERE holder_user_id IS NOT NULL;
      CREATE INDEX journal_by_case ON journal(case_id, case_seq, event_seq);
      """)
    // Backfill links and search text for cases written under earlier versions.
    let bodies = try database.query("SELECT body FROM cases") { $0.blob(0) }
    for body in bodies {
      let stored = try EntityCoding.decode(Case.self, from: body, what: "case")
      try CaseRows.writeIndexesV3(of: stored, policy: .standard, into: database)
    }
  }
}
