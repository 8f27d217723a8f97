import FieldReportStore
import FieldReportWorkflow
import PostgresNIO

// Signed checkpoints of the journal (issue 14, item 6), as on SQLite (PostgresSchemaV5).
extension PostgresFieldReportStore {
  public func journalHeads() async throws -> [CheckpointHead] {
    let heads = try await read { session in
      try await session.query("SELECT id, report_code, version, journal_head FROM cases").map { row in
        CheckpointHead(
          caseID: CaseID(try row.value(0, as: String.self)), reportCode: try row.value(1, as: String.self),
          entryCount: try row.value(2, as: Int64.self), headHash: try row.bytes(3))
      }
    }
    return JournalCheckpoint.sorted(heads)
  }

  public func saveCheckpoint(_ checkpoint: JournalCheckpoint) async throws {
    try await writeCaseData { session in
      let inserted = try await session.changes(
        """
        INSERT INTO journal_checkpoints(id, created_at, origin, created_by, payload, signature, public_key)
        VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING RETURNING 1
        """,
        [
          checkpoint.id, checkpoint.createdAt.millisecondsSince1970, checkpoint.origin.rawValue,
          checkpoint.createdBy?.rawValue, checkpoint.message, checkpoint.signature, checkpoint.publicKey,
        ])
      guard inserted == 1 else { throw StoreError.duplicate("checkpoint \(checkpoint.id)") }
    }
  }

  public func checkpoints(before: String?, limit: Int) async throws -> [JournalCheckpoint] {
    let bounded = try StoreRules.bounded(limit: limit, cap: 1_000)
    return try await read { session in
      try await session.query(
        "SELECT \(Self.checkpointColumns) FROM journal_checkpoints WHERE id < $1 ORDER BY id DESC LIMIT $2",
        [before ?? "\u{10FFFF}", Int64(bounded)]
      ).map(Self.decodeCheckpoint)
    }
  }

  public func findCheckpoint(id: String?) async throws -> JournalCheckpoint? {
    try await read { session in
      let row: PostgresRow?
      if let id {
        row = try await session.first("SELECT \(Self.checkpointColumns) FROM journal_checkpoints WHERE id = $1", [id])
      } else {
        row = try await session.first("SELECT \(Self.checkpointColumns) FROM journal_checkpoints ORDER BY id DESC LIMIT 1")
      }
      return try row.map(Self.decodeCheckpoint)
    }
  }

  static let checkpointColumns = "id, origin, created_by, payload, signature, public_key"

  static func decodeCheckpoint(_ row: PostgresRow) throws -> JournalCheckpoint {
    let id = try row.value(0, as: String.self)
    let originText = try row.value(1, as: String.self)
    let createdBy = try row.value(2, as: String?.self)
    guard let (createdAt, heads) = JournalCheckpoint.parse(message: try row.bytes(3)),
      let origin = JournalCheckpoint.Origin(rawValue: originText)
    else { throw StoreError.integrity("stored checkpoint \(id) cannot be decoded") }
    return JournalCheckpoint(
      id: id, createdAt: createdAt, origin: origin, createdBy: createdBy.map { UserID($0) }, heads: heads,
      signature: try row.bytes(4), publicKey: try row.bytes(5))
  }
}
