/// Version 15: a submitter's link rows leave the step index.
///
/// Every step of a case moved all of its link rows in `case_links_by_step`, including its two
/// `submitter` rows (the platform account's and the citizen's): of a lifecycle step's writer
/// time, the link updates were about a third (per-statement times, fifteenth session in
/// docs/PERFORMANCE.md), and each citizen's rows sit on a random page of both link trees. A
/// submitter's listing walks the primary key (newest report first, its default order); the
/// holder, unit and participant listings walk the step index in paging order.
///
/// - `case_links_by_step` becomes a partial index without the submitter rows
///   (``CaseIndexing/stepIndexCondition(alias:)``); a listing that walks it states the same
///   condition.
/// - The submitter rows' `step_started` is set to 0 and is never moved again.
enum SchemaV15 {
  static let migration = Migration(version: 15, summary: "step index without submitter links") {
    database in
    try database.execute(
      """
      DROP INDEX case_links_by_step;
      UPDATE case_links SET step_started = 0 WHERE NOT (\(CaseIndexing.stepIndexCondition(alias: "")));
      CREATE INDEX case_links_by_step ON case_links(kind, subject, step_started, case_id)
        WHERE \(CaseIndexing.stepIndexCondition(alias: ""));
      """)
  }
}
