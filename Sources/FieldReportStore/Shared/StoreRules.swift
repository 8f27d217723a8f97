import Crypto
package import FieldReportWorkflow

/// The engine-neutral rules every ``FieldReportStore`` implementation applies, in one place:
/// argument checks, what a transition must look like before it is stored, how an idempotency
/// record is replayed, how credentials are digested. The SQLite store and the PostgreSQL
/// store (module `FieldReportPostgresStore`) both call these; neither restates them.
package enum StoreRules {
  // MARK: Idempotency

  /// Checks a client's idempotency key (1 to ``IdempotencyKey/maximumLength`` bytes).
  package static func validate(_ key: IdempotencyKey?) throws {
    guard let key else { return }
    guard !key.key.isEmpty, key.key.utf8.count <= IdempotencyKey.maximumLength else {
      throw StoreError.invalidArgument(
        field: "idempotencyKey", reason: "must be 1 to \(IdempotencyKey.maximumLength) bytes")
    }
  }

  /// The operation an idempotency record of a create names.
  package static let createOperation = "create"

  /// The operation an idempotency record of an apply names.
  package static func applyOperation(_ change: Transition) -> String {
    "apply:" + change.entry.action.rawValue
  }

  /// Checks that a record found for a key was recorded for the same operation (and case, for
  /// an apply). - Throws: ``StoreError/idempotencyConflict(key:)``.
  package static func checkRecord(
    operation recorded: String, target recordedTarget: String, for key: IdempotencyKey, operation: String,
    target: CaseID?
  ) throws {
    guard recorded == operation, target == nil || recordedTarget == target?.rawValue else {
      throw StoreError.idempotencyConflict(key: key.key)
    }
  }

  /// The answer an idempotency record stands for, rebuilt from the case's journal entries
  /// 1...`sequence` (the case as of the recorded entry, by ``FieldReportWorkflow/CaseReplay``).
  package static func replay(_ entries: [StoredJournalEntry], target: String, sequence: Int64) throws
    -> CaseChangeResult
  {
    guard Int64(entries.count) == sequence, let last = entries.last else {
      throw StoreError.integrity("the journal of case \(target) lacks the entry an idempotency record names")
    }
    guard let replayed = try? CaseReplay.replay(entries.map(\.entry)) else {
      throw StoreError.integrity("the journal of case \(target) does not replay")
    }
    return CaseChangeResult(storedCase: replayed, entry: last, isReplay: true)
  }

  // MARK: Transitions

  /// Checks what `build` made of the id and code the store allocated for a new case.
  package static func checkNewCase(_ change: Transition, id: CaseID, code: ReportCode) throws {
    let stored = change.newCase
    guard stored.id == id, change.entry.caseID == id else {
      throw StoreError.invalidArgument(field: "case.id", reason: "must be the id the store allocated")
    }
    guard stored.reportCode == code else {
      throw StoreError.invalidArgument(field: "case.reportCode", reason: "must be the code the store allocated")
    }
    guard stored.version == 1, change.entry.sequence == 1 else {
      throw StoreError.invalidArgument(field: "case.version", reason: "a new case starts at version 1")
    }
  }

  /// Checks a transition before it is applied on top of `expectedVersion`.
  package static func checkApply(_ change: Transition, expectedVersion: Int64) throws {
    guard change.entry.caseID == change.newCase.id else {
      throw StoreError.invalidArgument(field: "entry.caseID", reason: "must be the case's id")
    }
    guard change.newCase.version == expectedVersion + 1, change.entry.sequence == change.newCase.version
    else {
      throw StoreError.invalidArgument(
        field: "case.version", reason: "must be expectedVersion + 1 and equal the entry's sequence")
    }
  }

  // MARK: Listings

  /// Checks a scope's queries: the page size and that a cursor was taken in the same order.
  package static func validate(_ queries: [CaseQuery]) throws {
    for query in queries {
      guard (1...CaseQuery.maximumLimit).contains(query.limit) else {
        throw StoreError.invalidArgument(field: "limit", reason: "must be 1...\(CaseQuery.maximumLimit)")
      }
      if let cursor = query.after, cursor.order != query.order {
        throw StoreError.invalidArgument(field: "after", reason: "was taken in another order")
      }
    }
  }

  /// A `limit` argument of at least 1, capped at `cap`.
  package static func bounded(limit: Int, cap: Int) throws -> Int {
    guard limit >= 1 else { throw StoreError.invalidArgument(field: "limit", reason: "must be at least 1") }
    return min(limit, cap)
  }

  // MARK: Credentials and content

  /// Tokens and API keys are stored as SHA-256 digests: a copy of the database reveals no
  /// usable credential.
  package static func digest(_ secret: String) -> [UInt8] {
    Array(SHA256.hash(data: Array(secret.utf8)))
  }

  /// The SHA-256 of content (an attachment's id, as bytes).
  package static func digest(bytes content: [UInt8]) -> [UInt8] {
    Array(SHA256.hash(data: content))
  }

  /// Refuses secrets shorter than 16 bytes.
  package static func requireSecret(_ secret: String, field: String) throws {
    guard secret.utf8.count >= 16 else {
      throw StoreError.invalidArgument(field: field, reason: "must be at least 16 bytes")
    }
  }

  /// An API key's id: the first 16 lowercase hex digits of its digest.
  package static func hexPrefix(_ digest: [UInt8]) -> String {
    JournalChain.hex(Array(digest.prefix(8)))
  }

  /// Whether `id` has the shape of an API key id (16 lowercase hex digits).
  package static func isAPIKeyID(_ id: String) -> Bool {
    id.utf8.count == 16 && id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
  }

  /// The digest named by an attachment id (64 hex digits).
  package static func attachmentDigest(_ sha256Hex: String) throws -> [UInt8] {
    guard sha256Hex.utf8.count == 64, let digest = JournalChain.bytes(fromHex: sha256Hex.lowercased()) else {
      throw StoreError.invalidArgument(field: "sha256", reason: "must be 64 hexadecimal digits")
    }
    return digest
  }
}
