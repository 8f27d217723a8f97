/// Version 8: a unit's overdue cases found by index.
///
/// `cases_unit_due (current_unit_id, listed_due) WHERE listed_due IS NOT NULL` lets a unit's
/// overdue listing read only the unit's overdue cases (a range of the index) and sort those,
/// instead of sorting every case of the unit: version 5's partial index on `listed_due` alone
/// could not serve a per-unit filter (74 ms at 1M cases). The cost is now proportional to the
/// unit's overdue cases, the listing's own size (docs/PERFORMANCE.md).
enum SchemaV8 {
  static let migration = Migration(version: 8, summary: "per-unit overdue index", applyWithPolicy: { database, _ in
    try database.execute(
      "CREATE INDEX cases_unit_due ON cases(current_unit_id, listed_due) WHERE listed_due IS NOT NULL;")
  })
}
