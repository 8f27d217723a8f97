/// Version 4: durable upload records.
///
/// `attachment_uploads` records who uploaded which content under which name, type and size,
/// and when: one row per (content, uploader), keyed by the attachment id (the content's
/// SHA-256, as in `attachments`) and the uploader. A re-upload of the same bytes by the same
/// person refreshes the row (its name, type and time). Before version 4 this lived only in
/// the server's memory; files uploaded then have no row (their uploader is unknown).
enum SchemaV4 {
  static let migration = Migration(version: 4, summary: "attachment uploads") { database in
    try database.execute(
      """
      CREATE TABLE attachment_uploads(
        sha256 BLOB NOT NULL REFERENCES attachments(sha256),
        uploader TEXT NOT NULL REFERENCES users(id),
        file_name TEXT NOT NULL,
        mime_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        uploaded_at INTEGER NOT NULL,
        PRIMARY KEY(sha256, uploader)
      ) WITHOUT ROWID;
      CREATE INDEX attachment_uploads_by_time ON attachment_uploads(sha256, uploaded_at);
      """)
  }
}
