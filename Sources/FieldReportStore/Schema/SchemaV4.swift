import FieldReportWorkflow
import Foundation

/// Version 4: durable upload records, drafts outside the journal, transfer-group times.
///
/// `attachment_uploads` records who uploaded which content under which name, type and size,
/// and when: one row per (content, uploader), keyed by the attachment id (the content's
/// SHA-256, as in `attachments`) and the uploader. A re-upload of the same bytes by the same
/// person refreshes the row (its name, type and time). Before version 4 this lived only in
/// the server's memory; files uploaded then have no row (their uploader is unknown).
///
/// `case_drafts` keeps the main handler's saved drafts per (case, author), outside the
/// journal and the case version (a draft is private work in progress). Drafts that earlier
/// versions kept inside the case body are copied here.
///
/// `transfer_groups` gains `created_at` and `updated_at` (NULL for groups created earlier).
enum SchemaV4 {
  static let migration = Migration(version: 4, summary: "attachment uploads, drafts, group times") { database in
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
      CREATE TABLE case_drafts(
        case_id TEXT NOT NULL REFERENCES cases(id),
        author TEXT NOT NULL,
        saved_at INTEGER NOT NULL,
        body BLOB NOT NULL,
        PRIMARY KEY(case_id, author)
      ) WITHOUT ROWID;
      ALTER TABLE transfer_groups ADD COLUMN created_at INTEGER;
      ALTER TABLE transfer_groups ADD COLUMN updated_at INTEGER;
      """)
    // Backfill: a draft stored in a case body (versions 1 to 3) becomes a row.
    let bodies = try database.query("SELECT id, body FROM cases WHERE instr(body, '\"draft\"') > 0") {
      ($0.text(0), $0.blob(1))
    }
    for (id, body) in bodies {
      guard let legacy = try? JSONDecoder().decode(LegacyDraftHolder.self, from: Data(body)),
        let note = legacy.draft
      else { continue }
      let draft = CaseDraft(
        caseID: CaseID(id), author: note.author, content: note.content, attachments: note.attachments,
        savedAt: note.at)
      try CaseRows.saveDraft(draft, into: database)
    }
  }

  /// The draft field of a case body as versions 1 to 3 wrote it.
  private struct LegacyDraftHolder: Decodable {
    var draft: Case.Note?
  }
}
