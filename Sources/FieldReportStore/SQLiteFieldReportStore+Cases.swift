import Foundation
public import FieldReportWorkflow

extension SQLiteFieldReportStore {
  public func createCase(
    receivedAt: Timestamp, idempotencyKey: IdempotencyKey?,
    build: @escaping @Sendable (CaseID, ReportCode) throws -> Transition
  ) async throws -> CaseChangeResult {
    try Self.validate(idempotencyKey)
    // Built, encoded and hashed here, in the caller's task: the number comes from memory
    // (``ReportSequences``), so the writer thread, the one serial resource, only runs SQL.
    let new = try prepareNewCase(receivedAt: receivedAt, build: build)
    let result: CaseChangeResult
    do {
      // Re-runnable: SQL only, and the key filter's insert (`record`) may happen twice. Its
      // own references: the case row is inserted here; its units and category are the
      // workflow's directory's (units and categories are never deleted).
      result = try await writeCaseData(rerunnable: true, checksOwnReferences: true) { database in
        if let key = idempotencyKey,
          let earlier = try self.recordedResult(for: key, operation: StoreRules.createOperation, target: nil, in: database)
        {
          return earlier  // the number taken for `new` is given back below
        }
        let result = try new.insert(policy: self.configuration.policy, into: database)
        if let key = idempotencyKey {
          try self.record(result, for: key, operation: StoreRules.createOperation, in: database)
        }
        return result
      } committed: { [latestCases, decoded] result in
        // Both before the write's caller resumes: a read that follows the answer finds this
        // version decoded, so it is answered from memory too (LatestCaseIndex).
        guard !result.isReplay else { return }
        decoded.recordWrite(result.storedCase, entry: result.entry)
        latestCases.recordCommitted(result.storedCase, isNew: true)
      }
    } catch {
      reportSequences.giveBack(new.sequence, dayKey: new.dayKey)
      throw error
    }
    // Each path gives its number back at most once, after the write ended.
    if result.isReplay {
      reportSequences.giveBack(new.sequence, dayKey: new.dayKey)
    } else {
      eventBell.ring()
    }
    return result
  }

  /// A new case ready to insert: its number taken, the case built, its body encoded and its
  /// first journal entry encoded and hashed (any thread).
  struct NewCaseRows {
    var change: Transition
    var sequence: Int64
    var dayKey: Int
    var prepared: CaseRows.PreparedCase
    var chained: CaseRows.ChainedEntry

    /// Inserts the rows (writer thread, inside its transaction).
    func insert(policy: WorkflowPolicy, into database: Database) throws -> CaseChangeResult {
      try ReportSequences.record(sequence, dayKey: dayKey, in: database)
      try CaseRows.insert(change.newCase, prepared: prepared, head: chained.hash, policy: policy, into: database)
      let entry = try CaseRows.appendJournal(chained, into: database)
      try CaseRows.insertNotifications(change.notifications, into: database)
      return CaseChangeResult(storedCase: change.newCase, entry: entry, isReplay: false)
    }
  }

  /// Takes the day's next report number and an id, then builds, checks and encodes the case.
  func prepareNewCase(
    receivedAt: Timestamp, build: (CaseID, ReportCode) throws -> Transition
  ) throws -> NewCaseRows {
    let dayKey = LocalDay(of: receivedAt).key
    let sequence = reportSequences.next(dayKey: dayKey)
    do {
      let code = try ReportCode.make(dayOf: receivedAt, sequence: Int(sequence))
      let id = CaseID(TimeOrderedID.make())
      let change = try build(id, code)
      try StoreRules.checkNewCase(change, id: id, code: code)
      return NewCaseRows(
        change: change, sequence: sequence, dayKey: dayKey, prepared: try CaseRows.PreparedCase(change.newCase),
        chained: try CaseRows.ChainedEntry(change.entry, previous: JournalChain.genesis))
    } catch {
      reportSequences.giveBack(sequence, dayKey: dayKey)
      throw error
    }
  }

  /// Builds and inserts a new case inside a write that is already running (writer thread):
  /// the verdict's re-report, the benchmark's and the crash test's bulk inserts.
  func insertNewCase(
    receivedAt: Timestamp, build: (CaseID, ReportCode) throws -> Transition, in database: Database
  ) throws -> CaseChangeResult {
    try prepareNewCase(receivedAt: receivedAt, build: build).insert(policy: configuration.policy, into: database)
  }

  public func apply(
    _ change: Transition, expectedVersion: Int64, idempotencyKey: IdempotencyKey?
  ) async throws -> CaseChangeResult {
    try Self.validate(idempotencyKey)
    try StoreRules.checkApply(change, expectedVersion: expectedVersion)
    let operation = StoreRules.applyOperation(change)
    // Encoding and folding happen here, in the caller's task; the writer thread runs SQL only.
    // The case as the caller decided from it, if still decoded (``DecodedCache``, keyed by
    // version): the writer then skips reading its links and rewriting unchanged tasks; with
    // its journal head too, it updates the row without reading it first, and the entry is
    // chained here.
    let id = change.newCase.id
    let before = decoded.case(id, version: expectedVersion)
    let beforeHead = before == nil ? nil : decoded.journalHead(id, version: expectedVersion)
    let prepared = try CaseRows.PreparedCase(
      change.newCase, before: before, beforeHead: beforeHead, policy: configuration.policy)
    let entryBody = try EntityCoding.encode(change.entry)
    let chained = prepared.expected.map { CaseRows.ChainedEntry(change.entry, body: entryBody, previous: $0.head) }
    // Re-runnable: SQL only, and the key filter's insert (`record`) and the hint counters may
    // happen twice. Its own references: the case row is read, or updated on condition, in the
    // same transaction (``applyInTransaction``); its units and category were looked up by the
    // service and the workflow (never deleted).
    let result = try await writeCaseData(rerunnable: true, checksOwnReferences: true) { database in
      try self.applyInTransaction(
        change, expectedVersion: expectedVersion, idempotencyKey: idempotencyKey, operation: operation,
        prepared: prepared, entryBody: entryBody, chained: chained, in: database)
    } committed: { [latestCases, decoded] result in
      // Both before the write's caller resumes: a read that follows the answer finds this
      // version decoded, so it is answered from memory too (LatestCaseIndex).
      guard !result.isReplay else { return }
      decoded.recordWrite(result.storedCase, entry: result.entry)
      latestCases.recordCommitted(result.storedCase, isNew: false)
    }
    if !result.isReplay { eventBell.ring() }
    return result
  }

  /// The body of ``apply(_:expectedVersion:idempotencyKey:)`` on the writer thread.
  /// - Parameter chained: The entry chained to the head ``CaseRows/PreparedCase/expected``
  ///   names, when the caller had it: then the row is updated on the condition that it holds
  ///   what `prepared` expects, without reading it first; a row that does not (another version,
  ///   a hint that does not match) is read and updated as without it.
  func applyInTransaction(
    _ change: Transition, expectedVersion: Int64, idempotencyKey: IdempotencyKey?, operation: String,
    prepared: CaseRows.PreparedCase? = nil, entryBody: [UInt8]? = nil, chained: CaseRows.ChainedEntry? = nil,
    in database: Database
  ) throws -> CaseChangeResult {
    let id = change.newCase.id
    if let key = idempotencyKey,
      let earlier = try recordedResult(for: key, operation: operation, target: id, in: database)
    {
      return earlier
    }
    let prepared = try prepared ?? CaseRows.PreparedCase(change.newCase)
    let entry: StoredJournalEntry
    if let expected = prepared.expected, let chained,
      try CaseRows.update(
        change.newCase, prepared: prepared, expectedVersion: expectedVersion, head: chained.hash,
        policy: configuration.policy, expecting: expected, in: database)
    {
      caseRowHints.taken.increment()
      entry = try CaseRows.appendJournal(chained, into: database)
    } else {
      if prepared.expected != nil { caseRowHints.missed.increment() }
      guard
        let (version, head, indexed) = try database.queryFirst(
          "SELECT version, journal_head, \(CaseRows.IndexedColumns.select) FROM cases WHERE id = ?", [id.rawValue],
          { ($0.int64(0), $0.blob(1), CaseRows.IndexedColumns($0, from: 2)) })
      else { throw StoreError.notFound("case \(id)") }
      guard version == expectedVersion else {
        throw StoreError.staleVersion(expected: expectedVersion, actual: version)
      }
      let chained = try CaseRows.ChainedEntry(
        change.entry, body: entryBody ?? EntityCoding.encode(change.entry), previous: head)
      entry = try CaseRows.appendJournal(chained, into: database)
      try CaseRows.update(
        change.newCase, prepared: prepared, expectedVersion: expectedVersion, head: chained.hash,
        policy: configuration.policy, previous: indexed, in: database)
    }
    try CaseRows.insertNotifications(change.notifications, into: database)
    try CaseRows.dispose(change.draftDisposal, of: id, in: database)
    let result = CaseChangeResult(storedCase: change.newCase, entry: entry, isReplay: false)
    if let key = idempotencyKey {
      try record(result, for: key, operation: operation, in: database)
    }
    return result
  }

  public func idempotentResult(for key: IdempotencyKey) async throws -> CaseChangeResult? {
    try Self.validate(key)
    // A key never recorded (nearly every call's) needs no reader thread.
    guard idempotencyKeys.mayContain(key) else { return nil }
    return try await read { database in
      guard let record = try Self.idempotencyRecord(for: key, in: database) else { return nil }
      return try Self.replayResult(record, in: database)
    }
  }

  /// An idempotency record as stored.
  struct IdempotencyRecord {
    var operation: String
    var target: String
    /// The full result (records written before schema version 9), else empty.
    var response: [UInt8]
    /// The journal entry the action wrote (schema version 9 on).
    var sequence: Int64?
  }

  /// The record kept for `key`, or nil.
  static func idempotencyRecord(for key: IdempotencyKey, in database: Database) throws -> IdempotencyRecord? {
    try database.queryFirst(
      "SELECT operation, target, response, entry_seq FROM idempotency WHERE scope = ? AND key = ?",
      [key.scope, key.key]
    ) { IdempotencyRecord(operation: $0.text(0), target: $0.text(1), response: $0.blob(2), sequence: $0.optionalInt64(3)) }
  }

  public func actionStart(caseID: CaseID, idempotencyKey: IdempotencyKey?) async throws -> ActionStart {
    try Self.validate(idempotencyKey)
    let cache = decoded
    // A case whose latest version is decoded in memory and a fresh key (or none): no reader
    // thread (``LatestCaseIndex``, ``IdempotencyKeyFilter``). The case is read first and the
    // key after: a key recorded by a transaction whose version of the case was read is
    // already in the filter then (it is added before that COMMIT), so a retry of an action
    // that just succeeded is sent to the read below and replayed, never answered with the
    // version its own first attempt wrote. The write checks the version it expects, as after
    // a read.
    if let (id, version) = latestCases.latest(.id(caseID)), let found = cache.case(id, version: version),
      idempotencyKey.map({ !idempotencyKeys.mayContain($0) }) ?? true
    {
      return .current(found)
    }
    return try await read { database in
      if let key = idempotencyKey, let record = try Self.idempotencyRecord(for: key, in: database) {
        return .replay(try Self.replayResult(record, in: database))
      }
      return .current(try CaseRows.findCase(.id(caseID), cache: cache, in: database))
    }
  }

  /// The answer an idempotency record stands for: rebuilt from the journal (the case as of the
  /// recorded entry, by ``FieldReportWorkflow/CaseReplay``, and that entry), or the full copy
  /// kept by records written before schema version 9.
  static func replayResult(_ record: IdempotencyRecord, in database: Database) throws -> CaseChangeResult {
    let target = record.target
    guard let sequence = record.sequence else {
      var result = try EntityCoding.decode(CaseChangeResult.self, from: record.response, what: "idempotency record")
      result.isReplay = true
      return result
    }
    let entries = try database.query(
      "SELECT \(CaseRows.journalColumns) FROM journal WHERE case_id = ? AND case_seq <= ? ORDER BY case_seq",
      [target, sequence]
    ) { try CaseRows.decodeJournal($0) }
    return try StoreRules.replay(entries, target: target, sequence: sequence)
  }

  // MARK: Idempotency records

  static func validate(_ key: IdempotencyKey?) throws {
    try StoreRules.validate(key)
  }

  /// The recorded result for `key`, checking that it was recorded for the same operation
  /// (and case, for an apply).
  ///
  /// The key filter answers first: it holds every key recorded, committed or in this
  /// transaction (``record(_:for:operation:in:)`` adds it before the COMMIT), so a fresh key,
  /// nearly every write's, is not searched for in the `idempotency` tree on the writer
  /// thread, the one serial resource.
  func recordedResult(
    for key: IdempotencyKey, operation: String, target: CaseID?, in database: Database
  ) throws -> CaseChangeResult? {
    guard idempotencyKeys.mayContain(key) else { return nil }
    guard let record = try Self.idempotencyRecord(for: key, in: database) else { return nil }
    try StoreRules.checkRecord(
      operation: record.operation, target: record.target, for: key, operation: operation, target: target)
    return try Self.replayResult(record, in: database)
  }

  /// Records `key` for `result`, and adds it to the filter of recorded keys before the
  /// transaction commits (so the filter never says no to a committed key).
  func record(
    _ result: CaseChangeResult, for key: IdempotencyKey, operation: String, in database: Database
  ) throws {
    idempotencyKeys.insert(key)
    // The record names the journal entry; the answer is rebuilt from the journal on a replay.
    try database.run(
      """
      INSERT INTO idempotency(scope, key, operation, target, response, created_at, entry_seq)
      VALUES (?, ?, ?, ?, X'', ?, ?)
      """,
      [
        key.scope, key.key, operation, result.storedCase.id.rawValue,
        result.entry.entry.at.millisecondsSince1970, result.entry.entry.sequence,
      ])
  }
}

// MARK: Drafts

extension SQLiteFieldReportStore {
  public func saveDraft(_ draft: CaseDraft, expectedVersion: Int64) async throws {
    try await writeCaseData { database in
      guard
        let version = try database.scalarInt64(
          "SELECT version FROM cases WHERE id = ?", [draft.caseID.rawValue])
      else { throw StoreError.notFound("case \(draft.caseID)") }
      guard version == expectedVersion else {
        throw StoreError.staleVersion(expected: expectedVersion, actual: version)
      }
      try CaseRows.saveDraft(draft, into: database)
    }
  }

  public func draft(caseID: CaseID, author: UserID) async throws -> CaseDraft? {
    try await read { database in
      try database.queryFirst(
        "SELECT body FROM case_drafts WHERE case_id = ? AND author = ?", [caseID.rawValue, author.rawValue]
      ) { try EntityCoding.decode(CaseDraft.self, from: $0.blob(0), what: "draft") }
    }
  }
}
