/// Version 7: re-reports are findable from the case they re-report.
///
/// No new table: each case whose body names an earlier case (``Case/linkedCaseID``) gets a
/// `case_links` row of kind `rereports` whose subject is that earlier case, which the link
/// table's primary key finds in one index range. Rows for existing re-reports are added here
/// from the case bodies; the store writes them with every case from now on.
enum SchemaV7 {
  static let migration = Migration(version: 7, summary: "re-report links", applyWithPolicy: { database, _ in
    try CaseRows.forEachCase(in: database) { stored in
      guard let earlier = stored.linkedCaseID else { return }
      try database.run(
        "INSERT OR IGNORE INTO case_links(kind, subject, received_at, case_id) VALUES ('rereports', ?, ?, ?)",
        earlier.rawValue, stored.receivedAt.millisecondsSince1970, stored.id.rawValue)
    }
  })
}
