import FieldReportWorkflow

// Signed checkpoints of the journal (issue 14, item 6): the heads they sign and their rows
// (`journal_checkpoints`, schema version 13).
extension SQLiteFieldReportStore {
  public func journalHeads() async throws -> [CheckpointHead] {
    let heads = try await scan { database in
      try database.query("SELECT id, report_code, version, journal_head FROM cases") {
        CheckpointHead(caseID: CaseID($0.text(0)), reportCode: $0.text(1), entryCount: $0.int64(2), headHash: $0.blob(3))
      }
    }
    return JournalCheckpoint.sorted(heads)
  }

  public func saveCheckpoint(_ checkpoint: JournalCheckpoint) async throws {
    try await writeCaseData { database in
      guard try database.scalarInt64("SELECT 1 FROM journal_checkpoints WHERE id = ?", [checkpoint.id]) == nil else {
        throw StoreError.duplicate("checkpoint \(checkpoint.id)")
      }
      try database.run(
        """
        INSERT INTO journal_checkpoints(id, created_at, origin, created_by, payload, signature, public_key)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        """,
        [
          checkpoint.id, checkpoint.createdAt.millisecondsSince1970, checkpoint.origin.rawValue,
          checkpoint.createdBy?.rawValue, checkpoint.message, checkpoint.signature, checkpoint.publicKey,
        ])
    }
  }

  public func checkpoints(before: String?, limit: Int) async throws -> [JournalCheckpoint] {
    let bounded = try StoreRules.bounded(limit: limit, cap: 1_000)
    return try await scan { database in
      try database.query(
        "SELECT \(Self.checkpointColumns) FROM journal_checkpoints WHERE id < ? ORDER BY id DESC LIMIT ?",
        [before ?? "\u{10FFFF}", bounded], Self.decodeCheckpoint)
    }
  }

  public func findCheckpoint(id: String?) async throws -> JournalCheckpoint? {
    try await read { database in
      if let id {
        return try database.queryFirst(
          "SELECT \(Self.checkpointColumns) FROM journal_checkpoints WHERE id = ?", [id], Self.decodeCheckpoint)
      }
      return try database.queryFirst(
        "SELECT \(Self.checkpointColumns) FROM journal_checkpoints ORDER BY id DESC LIMIT 1", [], Self.decodeCheckpoint)
    }
  }

  static let checkpointColumns = "id, origin, created_by, payload, signature, public_key"

  static func decodeCheckpoint(_ row: Statement) throws -> JournalCheckpoint {
    guard let (createdAt, heads) = JournalCheckpoint.parse(message: row.blob(3)),
      let origin = JournalCheckpoint.Origin(rawValue: row.text(1))
    else { throw StoreError.integrity("stored checkpoint \(row.text(0)) cannot be decoded") }
    return JournalCheckpoint(
      id: row.text(0), createdAt: createdAt, origin: origin,
      createdBy: row.isNull(2) ? nil : UserID(row.text(2)), heads: heads, signature: row.blob(4),
      publicKey: row.blob(5))
  }
}
