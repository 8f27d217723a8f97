import FieldReportWorkflow

/// Version 5: listing orders and a store-side overdue filter.
///
/// `cases` gains `step_started` (when the current holder received the case) and
/// `listed_due` (the current step's due time as the contract shows it,
/// ``Deadlines/currentStepDue(_:policy:)``: the end of the return window while at a unit;
/// NULL for terminal cases and steps without a due time). Both are derived from the case
/// body, so existing rows are filled from their bodies here, by the store's policy.
/// Indexes keep each ``CaseListOrder`` and the overdue filter logarithmic.
enum SchemaV5 {
  static let migration = Migration(version: 5, summary: "listing orders, overdue filter", applyWithPolicy: {
    database, policy in
    try database.execute(
      """
      ALTER TABLE cases ADD COLUMN step_started INTEGER;
      ALTER TABLE cases ADD COLUMN listed_due INTEGER;
      """)
    try CaseRows.forEachCase(in: database) { stored in
      try CaseRows.writeListingKeys(of: stored, policy: policy, into: database)
    }
    try database.execute(
      """
      CREATE INDEX cases_by_step_started ON cases(step_started, id);
      CREATE INDEX cases_by_listed_due ON cases(COALESCE(listed_due, 9223372036854775807), id);
      CREATE INDEX cases_by_updated ON cases(updated_at, id);
      CREATE INDEX cases_overdue ON cases(listed_due) WHERE listed_due IS NOT NULL;
      """)
  })
}
