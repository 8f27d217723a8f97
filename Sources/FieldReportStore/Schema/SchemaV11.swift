/// Version 11: one journal index fewer.
///
/// `journal_by_case(case_id, case_seq, event_seq)` repeated the index SQLite already keeps for
/// `UNIQUE(case_id, case_seq)`: an index of a rowid table holds the rowid (`event_seq`) too,
/// so the two held the same entries in the same order, and every appended entry was written
/// into both. Every journal query by case uses the unique index (`EXPLAIN QUERY PLAN`:
/// `SEARCH journal USING INDEX sqlite_autoindex_journal_1`).
enum SchemaV11 {
  static let migration = Migration(version: 11, summary: "journal: drop the index that repeated the unique one", applyWithPolicy: { database, _ in
    try database.execute("DROP INDEX IF EXISTS journal_by_case")
  })
}
