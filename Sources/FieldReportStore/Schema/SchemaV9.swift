/// Version 9: every inbox answered from an index range in paging order.
///
/// - `case_links.step_started`: each link row carries its case's step start (when the current
///   holder received it), and `case_links_by_step (kind, subject, step_started, case_id)` lets a
///   person's or unit's listing in the default order (newest step first) walk one range and
///   stop after the page, instead of sorting every case the person holds.
/// - `(current_unit_id, state, <key>, id)` for the step-start, due and update orders (version 3
///   has it for the report order): the IOC's and a leader's inboxes (one unit, a few states)
///   read the head of one range per state and merge them
///   (``SQLiteFieldReportStore/stateSplit(of:)``), so their cost does not grow with the number
///   of cases the unit holds.
/// - `idempotency.entry_seq`: a new idempotency record names the journal entry its action
///   wrote instead of holding a copy of the whole result (2.3 KB a record, most of the file
///   at 70k cases); a replay rebuilds the result from the journal
///   (``SQLiteFieldReportStore/recordedResult(for:operation:target:in:)``). Records written
///   before keep their full copy (`entry_seq` NULL) and are read as before.
/// - Version 3's `cases_by_state_due` and `cases_by_holder` are dropped: no query uses them
///   (a person's inbox walks `case_links`), and every case write paid for them.
enum SchemaV9 {
  static let migration = Migration(version: 9, summary: "inbox ranges in paging order", applyWithPolicy: { database, _ in
    try database.execute(
      """
      DROP INDEX cases_by_state_due;
      DROP INDEX cases_by_holder;
      ALTER TABLE idempotency ADD COLUMN entry_seq INTEGER;
      ALTER TABLE case_links ADD COLUMN step_started INTEGER NOT NULL DEFAULT 0;
      UPDATE case_links SET step_started =
        COALESCE((SELECT c.step_started FROM cases c WHERE c.id = case_links.case_id), 0);
      CREATE INDEX case_links_by_step ON case_links(kind, subject, step_started, case_id);
      CREATE INDEX cases_unit_state_step ON cases(current_unit_id, state, step_started, id);
      CREATE INDEX cases_unit_state_due
        ON cases(current_unit_id, state, COALESCE(listed_due, 9223372036854775807), id, listed_due);
      CREATE INDEX cases_unit_state_updated ON cases(current_unit_id, state, updated_at, id);
      """)
  })
}
