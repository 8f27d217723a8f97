/// Version 7: re-reports are findable from the case they re-report.
///
/// No new table: each case whose body names an earlier case (``Case/linkedCaseID``) gets a
/// `case_links` row of kind `rereports` whose subject is that earlier case, which the link
/// table's primary key finds in one index range. Rows for existing re-reports are added here
/// from the case bodies; the store writes them with every case from now on.
enum SchemaV7 {
  static let migration = Migration(version: 7, summary: "re-report links", applyWithPolicy: { database, _ in
    // In id order, a batch at a time, so a large file is never held in memory at once.
    var last = ""
    while true {
      let batch = try database.query(
        "SELECT id, received_at, body FROM cases WHERE id > ? ORDER BY id LIMIT 500", [last]
      ) { ($0.text(0), $0.int64(1), try CaseRows.decodeCase($0, column: 2)) }
      guard let final = batch.last else { break }
      for (id, received, stored) in batch {
        guard let earlier = stored.linkedCaseID else { continue }
        try database.run(
          "INSERT OR IGNORE INTO case_links(kind, subject, received_at, case_id) VALUES ('rereports', ?, ?, ?)",
          earlier.rawValue, received, id)
      }
      last = final.0
    }
  })
}
