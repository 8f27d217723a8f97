public import FieldReportStore
public import FieldReportWorkflow
import PostgresNIO

extension PostgresFieldReportStore {
  public func createCase(
    receivedAt: Timestamp, idempotencyKey: IdempotencyKey?,
    build: @escaping @Sendable (CaseID, ReportCode) throws -> Transition
  ) async throws -> CaseChangeResult {
    try StoreRules.validate(idempotencyKey)
    let policy = configuration.store.policy
    let result = try await writeCaseData { session in
      if let key = idempotencyKey,
        let earlier = try await Self.recordedResult(
          for: key, operation: StoreRules.createOperation, target: nil, in: session)
      {
        return earlier
      }
      return try await Self.insertNewCase(
        receivedAt: receivedAt, idempotencyKey: idempotencyKey, policy: policy, build: build,
        in: session)
    }
    if !result.isReplay {
      decoded.recordWrite(result.storedCase, entry: result.entry)
      eventBell.ring()
    }
    return result
  }

  /// Allocates the day's sequence and an id, builds and inserts the case, its notifications,
  /// the idempotency record (when keyed) and its first journal entry (in the caller's
  /// transaction).
  static func insertNewCase(
    receivedAt: Timestamp, idempotencyKey: IdempotencyKey?, policy: WorkflowPolicy,
    build: (CaseID, ReportCode) throws -> Transition, in session: PostgresSession
  ) async throws -> CaseChangeResult {
    // The day's row stays locked until commit: concurrent submissions of the day (on any
    // replica) take numbers one after the other, and a rollback gives the number back.
    guard
      let sequence = try await session.first(
        """
        INSERT INTO report_sequences(day_key, last_value) VALUES ($1, 1)
        ON CONFLICT (day_key) DO UPDATE SET last_value = report_sequences.last_value + 1
        RETURNING last_value
        """, [Int64(LocalDay(of: receivedAt).key)])?.value(0, as: Int64.self)
    else { throw StoreError.integrity("report sequence allocation returned nothing") }
    let code = try ReportCode.make(dayOf: receivedAt, sequence: Int(sequence))
    let id = CaseID(TimeOrderedID.make())
    let change = try build(id, code)
    try StoreRules.checkNewCase(change, id: id, code: code)
    let body = try EntityCoding.encode(change.entry)
    let hash = Self.chainHash(change.entry, body: body, previous: JournalChain.genesis)
    try await Self.insertCase(change.newCase, head: hash, policy: policy, in: session)
    try await Self.insertNotifications(change.notifications, in: session)
    if let key = idempotencyKey {
      try await Self.record(key, operation: StoreRules.createOperation, change: change, in: session)
    }
    let entry = try await Self.appendJournal(change.entry, body: body, previous: JournalChain.genesis, hash: hash, in: session)
    return CaseChangeResult(storedCase: change.newCase, entry: entry, isReplay: false)
  }

  public func apply(
    _ change: Transition, expectedVersion: Int64, idempotencyKey: IdempotencyKey?
  ) async throws -> CaseChangeResult {
    try StoreRules.validate(idempotencyKey)
    try StoreRules.checkApply(change, expectedVersion: expectedVersion)
    let operation = StoreRules.applyOperation(change)
    let id = change.newCase.id
    let policy = configuration.store.policy
    let body = try EntityCoding.encode(change.entry)
    let caseBody = try EntityCoding.encode(change.newCase)
    let result = try await writeCaseData { session in
      if let key = idempotencyKey,
        let earlier = try await Self.recordedResult(for: key, operation: operation, target: id, in: session)
      {
        return earlier
      }
      // The row lock orders concurrent writers of one case (on any replica): the second
      // waits for the first to commit, then sees its version and is refused.
      guard
        let row = try await session.first(
          "SELECT version, journal_head FROM cases WHERE id = $1 FOR NO KEY UPDATE", [id.rawValue])
      else { throw StoreError.notFound("case \(id)") }
      let version = try row.value(0, as: Int64.self)
      // A concurrent first attempt with the same key may have committed while this one waited
      // for the lock: its record is visible now, and is the answer.
      if version != expectedVersion, let key = idempotencyKey,
        let earlier = try await Self.recordedResult(for: key, operation: operation, target: id, in: session)
      {
        return earlier
      }
      guard version == expectedVersion else {
        throw StoreError.staleVersion(expected: expectedVersion, actual: version)
      }
      let previous = try row.bytes(1)
      let hash = Self.chainHash(change.entry, body: body, previous: previous)
      try await Self.updateCase(
        change.newCase, body: caseBody, expectedVersion: expectedVersion, head: hash, policy: policy, in: session)
      try await Self.insertNotifications(change.notifications, in: session)
      switch change.draftDisposal {
      case .keep: break
      case .discard(let author):
        try await session.query(
          "DELETE FROM case_drafts WHERE case_id = $1 AND author = $2", [id.rawValue, author.rawValue])
      case .discardAll:
        try await session.query("DELETE FROM case_drafts WHERE case_id = $1", [id.rawValue])
      }
      if let key = idempotencyKey {
        try await Self.record(key, operation: operation, change: change, in: session)
      }
      let entry = try await Self.appendJournal(change.entry, body: body, previous: previous, hash: hash, in: session)
      return CaseChangeResult(storedCase: change.newCase, entry: entry, isReplay: false)
    }
    if !result.isReplay {
      decoded.recordWrite(result.storedCase, entry: result.entry)
      eventBell.ring()
    }
    return result
  }

  public func idempotentResult(for key: IdempotencyKey) async throws -> CaseChangeResult? {
    try StoreRules.validate(key)
    // Most keys are new: one statement says so; a recorded one is replayed from one snapshot.
    guard try await single({ try await Self.idempotencyRecord(for: key, in: $0) }) != nil else { return nil }
    return try await read { session in
      guard let record = try await Self.idempotencyRecord(for: key, in: session) else { return nil }
      return try await Self.replay(record, in: session)
    }
  }

  public func actionStart(caseID: CaseID, idempotencyKey: IdempotencyKey?) async throws -> ActionStart {
    try StoreRules.validate(idempotencyKey)
    let cache = decoded
    return try await read { session in
      if let key = idempotencyKey, let record = try await Self.idempotencyRecord(for: key, in: session) {
        return .replay(try await Self.replay(record, in: session))
      }
      return .current(try await Self.findCase(.id(caseID), cache: cache, in: session))
    }
  }

  // MARK: Drafts

  public func saveDraft(_ draft: CaseDraft, expectedVersion: Int64) async throws {
    let body = try EntityCoding.encode(draft)
    try await writeCaseData { session in
      // FOR SHARE: the case cannot move to another version until the draft is stored.
      guard
        let version = try await session.first(
          "SELECT version FROM cases WHERE id = $1 FOR SHARE", [draft.caseID.rawValue])?.value(0, as: Int64.self)
      else { throw StoreError.notFound("case \(draft.caseID)") }
      guard version == expectedVersion else {
        throw StoreError.staleVersion(expected: expectedVersion, actual: version)
      }
      try await session.query(
        """
        INSERT INTO case_drafts(case_id, author, saved_at, body) VALUES ($1, $2, $3, $4)
        ON CONFLICT (case_id, author) DO UPDATE SET saved_at = EXCLUDED.saved_at, body = EXCLUDED.body
        """, [draft.caseID.rawValue, draft.author.rawValue, draft.savedAt.millisecondsSince1970, body])
    }
  }

  public func draft(caseID: CaseID, author: UserID) async throws -> CaseDraft? {
    try await read { session in
      try await Self.draft(caseID: caseID, author: author, in: session)
    }
  }

  static func draft(caseID: CaseID, author: UserID, in session: PostgresSession) async throws -> CaseDraft? {
    guard
      let row = try await session.first(
        "SELECT body FROM case_drafts WHERE case_id = $1 AND author = $2", [caseID.rawValue, author.rawValue])
    else { return nil }
    return try EntityCoding.decode(CaseDraft.self, from: row.bytes(0), what: "draft")
  }
}

// MARK: Rows

extension PostgresFieldReportStore {
  static func chainHash(_ entry: JournalEntry, body: [UInt8], previous: [UInt8]) -> [UInt8] {
    JournalChain.hash(
      caseID: entry.caseID.rawValue, sequence: entry.sequence, at: entry.at.millisecondsSince1970,
      previous: previous, body: body)
  }

  /// Appends an entry as the last statement of its transaction: the event sequence comes from
  /// the one `event_sequence` row, whose lock is held until commit, so entries commit in
  /// event-sequence order (a WatchEvents cursor never skips a late commit).
  static func appendJournal(
    _ entry: JournalEntry, body: [UInt8], previous: [UInt8], hash: [UInt8], in session: PostgresSession
  ) async throws -> StoredJournalEntry {
    guard
      let eventSequence = try await session.first(
        """
        WITH next AS (UPDATE event_sequence SET last_value = last_value + 1 RETURNING last_value)
        INSERT INTO journal(event_seq, case_id, case_seq, at, body, prev_hash, hash)
        SELECT last_value, $1, $2, $3, $4, $5, $6 FROM next
        RETURNING event_seq
        """,
        [entry.caseID.rawValue, entry.sequence, entry.at.millisecondsSince1970, body, previous, hash]
      )?.value(0, as: Int64.self)
    else { throw StoreError.integrity("the journal append returned nothing") }
    return StoredJournalEntry(
      eventSequence: eventSequence, entry: entry, previousHashHex: JournalChain.hex(previous),
      hashHex: JournalChain.hex(hash))
  }

  static let journalColumns = "event_seq, body, prev_hash, hash"

  static func decodeJournal(_ row: PostgresRow) throws -> StoredJournalEntry {
    StoredJournalEntry(
      eventSequence: try row.value(0, as: Int64.self),
      entry: try EntityCoding.decode(JournalEntry.self, from: row.bytes(1), what: "journal entry"),
      previousHashHex: JournalChain.hex(try row.bytes(2)),
      hashHex: JournalChain.hex(try row.bytes(3)))
  }

  static func insertCase(_ stored: Case, head: [UInt8], policy: WorkflowPolicy, in session: PostgresSession)
    async throws
  {
    try await session.query(
      """
      INSERT INTO cases(id, report_code, version, state, holder_unit_id, holder_user_id,
        current_unit_id, ioc_unit_id, category_id, submitted_by, is_public, title, received_at,
        updated_at, step_due, journal_head, body, search_text, step_started, listed_due)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
      """,
      [
        stored.id.rawValue, stored.reportCode.rawValue, stored.version, stored.state.rawValue,
        stored.holder.unitID?.rawValue, stored.holder.userID?.rawValue,
        stored.currentUnitID.rawValue, stored.iocUnitID.rawValue, stored.categoryID.rawValue,
        stored.submittedBy.rawValue, stored.isPublic, stored.title,
        stored.receivedAt.millisecondsSince1970, stored.updatedAt.millisecondsSince1970,
        stored.stepDue?.millisecondsSince1970, head, try EntityCoding.encode(stored),
        CaseIndexing.searchText(of: stored), stored.stepReceivedAt.millisecondsSince1970,
        Deadlines.currentStepDue(stored, policy: policy)?.millisecondsSince1970,
      ])
    try await writeIndexes(of: stored, policy: policy, isNew: true, in: session)
  }

  static func updateCase(
    _ stored: Case, body: [UInt8], expectedVersion: Int64, head: [UInt8], policy: WorkflowPolicy,
    in session: PostgresSession
  ) async throws {
    let changed = try await session.changes(
      """
      UPDATE cases SET version = $1, state = $2, holder_unit_id = $3, holder_user_id = $4,
        current_unit_id = $5, category_id = $6, is_public = $7, title = $8, updated_at = $9,
        step_due = $10, journal_head = $11, body = $12, search_text = $13, step_started = $14, listed_due = $15
      WHERE id = $16 AND version = $17
      RETURNING 1
      """,
      [
        stored.version, stored.state.rawValue, stored.holder.unitID?.rawValue,
        stored.holder.userID?.rawValue, stored.currentUnitID.rawValue, stored.categoryID.rawValue,
        stored.isPublic, stored.title, stored.updatedAt.millisecondsSince1970,
        stored.stepDue?.millisecondsSince1970, head, body, CaseIndexing.searchText(of: stored),
        stored.stepReceivedAt.millisecondsSince1970,
        Deadlines.currentStepDue(stored, policy: policy)?.millisecondsSince1970,
        stored.id.rawValue, expectedVersion,
      ])
    // The row is locked by the caller, so this only fails if the caller skipped the lock.
    guard changed == 1 else { throw StoreError.integrity("case \(stored.id) changed under its row lock") }
    try await writeIndexes(of: stored, policy: policy, isNew: false, in: session)
  }

  /// Brings the case's link rows (``CaseIndexing/links(of:)``, each with the case's step
  /// start) up to date and upserts its tasks; only the links that changed are written.
  static func writeIndexes(of stored: Case, policy: WorkflowPolicy, isNew: Bool, in session: PostgresSession)
    async throws
  {
    let id = stored.id.rawValue
    let received = stored.receivedAt.millisecondsSince1970
    let stepStarted = stored.stepReceivedAt.millisecondsSince1970
    var links = CaseIndexing.links(of: stored)
    if !isNew {
      for row in try await session.query(
        "SELECT kind, subject, step_started FROM case_links WHERE case_id = $1", [id])
      {
        let (kind, subject, started) = try row.decode((String, String, Int64).self)
        let link = CaseIndexing.Link(kind: kind, subject: subject)
        if links.contains(link), started == stepStarted {
          links.remove(link)  // already up to date
        } else {
          try await session.query(
            "DELETE FROM case_links WHERE kind = $1 AND subject = $2 AND received_at = $3 AND case_id = $4",
            [kind, subject, received, id])
        }
      }
    }
    if !links.isEmpty {
      // One statement for every new link: a round trip less per link inside the transaction
      // (a submission holds the day's report-sequence row until it commits).
      let added = Array(links)
      try await session.query(
        """
        INSERT INTO case_links(kind, subject, received_at, case_id, step_started)
        SELECT kind, subject, $3, $4, $5 FROM unnest($1::text[], $2::text[]) AS l(kind, subject)
        """,
        [TextList(added.map(\.kind)), TextList(added.map(\.subject)), received, id, stepStarted])
    }
    for task in stored.tasks {
      try await session.query(
        """
        INSERT INTO unit_tasks(id, case_id, unit_id, received_at, due, completed_at, timeliness, held_ms, held_since,
          outcome, return_confirmed)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        ON CONFLICT (id) DO UPDATE SET due = EXCLUDED.due, completed_at = EXCLUDED.completed_at,
          timeliness = EXCLUDED.timeliness, held_ms = EXCLUDED.held_ms, held_since = EXCLUDED.held_since,
          outcome = EXCLUDED.outcome, return_confirmed = EXCLUDED.return_confirmed
        """,
        [
          task.id.rawValue, id, task.unitID.rawValue, task.receivedAt.millisecondsSince1970,
          task.due.millisecondsSince1970, task.completedAt?.millisecondsSince1970,
          CaseIndexing.timeliness(of: task, policy: policy), Deadlines.closedHeldMilliseconds(of: task),
          task.openHold?.heldAt.millisecondsSince1970, task.outcome?.rawValue,
          Int64(task.returnOutsideCompetence == true ? 1 : 0),
        ])
    }
    try await writeOutcome(of: stored, in: session)
  }

  /// Writes the `case_outcomes` row of an ended case (schema version 4 on); nothing for an
  /// open one.
  static func writeOutcome(of stored: Case, in session: PostgresSession) async throws {
    guard let row = CaseIndexing.outcomeRow(of: stored) else { return }
    try await session.query(
      """
      INSERT INTO case_outcomes(case_id, unit_id, outcome, ended_at) VALUES ($1, $2, $3, $4)
      ON CONFLICT (case_id) DO UPDATE SET unit_id = EXCLUDED.unit_id, outcome = EXCLUDED.outcome,
        ended_at = EXCLUDED.ended_at
      """,
      [stored.id.rawValue, row.unitID, row.outcome, row.endedAt])
  }

  /// Inserts the notifications in one statement, in their order (their ids follow it).
  static func insertNotifications(_ notifications: [Notification], in session: PostgresSession) async throws {
    guard !notifications.isEmpty else { return }
    try await session.query(
      """
      INSERT INTO notifications(recipient, case_id, kind, text, at, via_mobile_app)
      SELECT recipient, case_id, kind, text, at, via_mobile_app
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::boolean[])
        WITH ORDINALITY AS n(recipient, case_id, kind, text, at, via_mobile_app, position)
      ORDER BY position
      """,
      [
        TextList(notifications.map(\.recipient.rawValue)), TextList(notifications.map(\.caseID.rawValue)),
        TextList(notifications.map(\.kind.rawValue)), TextList(notifications.map(\.text)),
        Int64List(notifications.map(\.at.millisecondsSince1970)), BoolList(notifications.map(\.viaMobileApp)),
      ])
  }

  // MARK: Idempotency records

  /// An idempotency record as stored: the operation, the case, and the journal entry (case
  /// sequence) its action wrote.
  struct IdempotencyRecord: Sendable {
    var operation: String
    var target: String
    var sequence: Int64
  }

  static func idempotencyRecord(for key: IdempotencyKey, in session: PostgresSession) async throws
    -> IdempotencyRecord?
  {
    guard
      let row = try await session.first(
        "SELECT operation, target, entry_seq FROM idempotency WHERE scope = $1 AND key = $2", [key.scope, key.key])
    else { return nil }
    let (operation, target, sequence) = try row.decode((String, String, Int64).self)
    return IdempotencyRecord(operation: operation, target: target, sequence: sequence)
  }

  /// The recorded result for `key`, checked against the operation (and case, for an apply).
  static func recordedResult(
    for key: IdempotencyKey, operation: String, target: CaseID?, in session: PostgresSession
  ) async throws -> CaseChangeResult? {
    guard let record = try await idempotencyRecord(for: key, in: session) else { return nil }
    try StoreRules.checkRecord(
      operation: record.operation, target: record.target, for: key, operation: operation, target: target)
    return try await replay(record, in: session)
  }

  /// The answer a record stands for, rebuilt from the journal (``StoreRules/replay(_:target:sequence:)``).
  static func replay(_ record: IdempotencyRecord, in session: PostgresSession) async throws -> CaseChangeResult {
    let entries = try await session.query(
      "SELECT \(journalColumns) FROM journal WHERE case_id = $1 AND case_seq <= $2 ORDER BY case_seq",
      [record.target, record.sequence]
    ).map(decodeJournal)
    return try StoreRules.replay(entries, target: record.target, sequence: record.sequence)
  }

  static func record(_ key: IdempotencyKey, operation: String, change: Transition, in session: PostgresSession)
    async throws
  {
    try await session.query(
      """
      INSERT INTO idempotency(scope, key, operation, target, created_at, entry_seq)
      VALUES ($1, $2, $3, $4, $5, $6)
      """,
      [
        key.scope, key.key, operation, change.newCase.id.rawValue, change.entry.at.millisecondsSince1970,
        change.entry.sequence,
      ])
  }
}
