import FieldReportWorkflow

/// Reading and writing the rows that make up a case: the `cases` row (indexed columns plus
/// the encoded body), its `case_links`, its `unit_tasks`, its journal entries and notifications.
///
/// Runs only on the writer thread (writes) or a reader thread (reads), inside their transaction.
enum CaseRows {
  static let caseColumns = "body"

  /// Calls `body` with every stored case, in id order, 500 at a time, so a large file is never
  /// held in memory at once (migrations that backfill from the case bodies).
  static func forEachCase(in database: Database, _ body: (Case) throws -> Void) throws {
    var last = ""
    while true {
      let batch = try database.query("SELECT id, body FROM cases WHERE id > ? ORDER BY id LIMIT 500", [last]) {
        ($0.text(0), try decodeCase($0, column: 1))
      }
      guard let final = batch.last else { return }
      for (_, stored) in batch { try body(stored) }
      last = final.0
    }
  }

  static func decodeCase(_ statement: Statement, column: Int32 = 0) throws -> Case {
    try EntityCoding.decode(Case.self, from: statement.blob(column), what: "case")
  }

  /// The folded search text (``CaseIndexing/searchText(of:)``).
  static func searchText(of stored: Case) -> String {
    CaseIndexing.searchText(of: stored)
  }

  static func insert(
    _ stored: Case, prepared: PreparedCase, head: [UInt8], policy: WorkflowPolicy, into database: Database
  ) throws {
    let body = prepared.body
    try database.run(
      """
      INSERT INTO cases(id, report_code, version, state, holder_unit_id, holder_user_id,
        current_unit_id, ioc_unit_id, category_id, submitted_by, is_public, title, received_at,
        updated_at, step_due, journal_head, body, search_text, step_started, listed_due)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      """,
      [
        stored.id.rawValue, stored.reportCode.rawValue, stored.version, stored.state.rawValue,
        stored.holder.unitID?.rawValue, stored.holder.userID?.rawValue,
        stored.currentUnitID.rawValue, stored.iocUnitID.rawValue, stored.categoryID.rawValue,
        stored.submittedBy.rawValue, stored.isPublic, stored.title,
        stored.receivedAt.millisecondsSince1970, stored.updatedAt.millisecondsSince1970,
        stored.stepDue?.millisecondsSince1970, head, body, prepared.searchText ?? CaseRows.searchText(of: stored),
        stored.stepReceivedAt.millisecondsSince1970,
        Deadlines.currentStepDue(stored, policy: policy)?.millisecondsSince1970,
      ])
    try writeIndexes(of: stored, policy: policy, linksStarted: nil, into: database)
  }

  /// A case's row values that do not depend on the database (its encoded body and folded
  /// search text), computed by the caller before the write is queued: the writer thread is
  /// the one serial resource, so it only runs SQL.
  struct PreparedCase: Sendable {
    var body: [UInt8]
    /// The folded search text, or nil when the case before the action is known and its
    /// searched fields are the same (``CaseIndexing/searchesTheSame(_:_:)``): an update then
    /// keeps the row's (`COALESCE`), and the text is not folded again at every step.
    var searchText: String?
    /// The link rows the case has before the action, when the caller had the case at the
    /// version the write expects (the decoded cache): the writer then does not read them.
    var previousLinks: Set<Link>?
    /// The tasks the action added or changed, under the same condition: the writer upserts
    /// only these (every other task's row already holds what it would write). nil: all.
    var changedTasks: [UnitTask]?
    /// What the case row holds before the action, when the caller had the case and its journal
    /// at the version the write expects: the writer then does not read the row first, it
    /// updates it on the condition that it holds exactly this (``update(_:prepared:expectedVersion:head:policy:expecting:in:)``).
    var expected: ExpectedRow?

    /// - Parameters:
    ///   - before: The case at the version the update expects, if the caller has it (its rows
    ///     are what a write of it left: ``writeIndexes(of:policy:linksStarted:previousLinks:tasks:into:)``).
    ///   - beforeHead: The hash of `before`'s last journal entry, if the caller has it.
    ///   - policy: The store's policy (the listed due time it derives).
    init(_ stored: Case, before: Case? = nil, beforeHead: [UInt8]? = nil, policy: WorkflowPolicy? = nil) throws {
      self.body = try EntityCoding.encode(stored)
      guard let before, before.id == stored.id else {
        self.searchText = CaseRows.searchText(of: stored)
        return
      }
      self.searchText = CaseIndexing.searchesTheSame(before, stored) ? nil : CaseRows.searchText(of: stored)
      previousLinks = CaseIndexing.links(of: before)
      let earlier = Dictionary(before.tasks.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
      changedTasks = stored.tasks.filter { earlier[$0.id] != $0 }
      if let beforeHead, let policy {
        expected = ExpectedRow(head: beforeHead, indexed: IndexedColumns(of: before, policy: policy))
      }
    }
  }

  /// The journal head and indexed columns a case row is expected to hold, as a write of the
  /// case before the action left them. Only a hint: the update that relies on it names every
  /// value in its condition, so a row that differs in any (another version; a listed due time
  /// written under other rules, as a task dispatched before its return time was recorded has
  /// under another return window) is not touched, and the writer reads the row and updates it
  /// as without the hint.
  struct ExpectedRow: Sendable {
    var head: [UInt8]
    var indexed: IndexedColumns
  }

  /// The stored values of the `cases` columns that secondary indexes are built on (besides
  /// `updated_at`, which every change moves): what an update compares the new values with.
  struct IndexedColumns: Equatable, Sendable {
    var state: String
    var currentUnitID: String
    var categoryID: String
    var stepStarted: Int64?
    var listedDue: Int64?

    /// The selected columns, in order (``init(_:from:)`` reads them from that offset).
    static let select = "state, current_unit_id, category_id, step_started, listed_due"

    init(state: String, currentUnitID: String, categoryID: String, stepStarted: Int64?, listedDue: Int64?) {
      self.state = state
      self.currentUnitID = currentUnitID
      self.categoryID = categoryID
      self.stepStarted = stepStarted
      self.listedDue = listedDue
    }

    /// The values a row holds, read from the statement's columns `offset` on.
    init(_ statement: Statement, from offset: Int32) {
      self.init(
        state: statement.text(offset), currentUnitID: statement.text(offset + 1),
        categoryID: statement.text(offset + 2), stepStarted: statement.optionalInt64(offset + 3),
        listedDue: statement.optionalInt64(offset + 4))
    }

    /// The values `stored` writes.
    init(of stored: Case, policy: WorkflowPolicy) {
      self.init(
        state: stored.state.rawValue, currentUnitID: stored.currentUnitID.rawValue,
        categoryID: stored.categoryID.rawValue, stepStarted: stored.stepReceivedAt.millisecondsSince1970,
        listedDue: Deadlines.currentStepDue(stored, policy: policy)?.millisecondsSince1970)
    }

    /// One bit per column whose value differs from `other`'s, in ``select``'s order.
    func changes(from other: IndexedColumns) -> Int {
      (state != other.state ? 1 : 0) | (currentUnitID != other.currentUnitID ? 2 : 0)
        | (categoryID != other.categoryID ? 4 : 0) | (stepStarted != other.stepStarted ? 8 : 0)
        | (listedDue != other.listedDue ? 16 : 0)
    }
  }

  /// The UPDATE of a case row, by the indexed columns it sets (``IndexedColumns/changes(from:)``):
  /// SQLite deletes and re-inserts the entry of every index on a column named in SET, changed
  /// or not, so a column is only named when its value changed (a contribution leaves the
  /// state, unit, category, step and due time as they were: of the thirteen indexes on `cases`
  /// only the two on `updated_at` move; an assignment keeps the unit and the category). Texts
  /// built once.
  static let updateSQL: [String] = (0..<32).map { mask in
    let indexed = ["state", "current_unit_id", "category_id", "step_started", "listed_due"]
      .enumerated().filter { mask & (1 << $0.offset) != 0 }.map { "\($0.element) = ?" }
    let set = ["version = ?", "holder_unit_id = ?", "holder_user_id = ?", "is_public = ?", "title = ?",
      "updated_at = ?", "step_due = ?", "journal_head = ?", "body = ?", "search_text = COALESCE(?, search_text)"]
      + indexed
    return "UPDATE cases SET \(set.joined(separator: ", ")) WHERE id = ? AND version = ?"
  }

  /// ``updateSQL`` on the further condition that the row holds an ``ExpectedRow``: its journal
  /// head and every indexed column (``IndexedColumns/select``'s order).
  static let expectingUpdateSQL: [String] = updateSQL.map {
    $0 + " AND journal_head = ? AND state = ? AND current_unit_id = ? AND category_id = ?"
      + " AND step_started IS ? AND listed_due IS ?"
  }

  /// Replaces the case row if it is still at `expectedVersion`.
  /// - Parameter previous: The indexed columns' values the row holds now (read in the same
  ///   transaction).
  static func update(
    _ stored: Case, prepared: PreparedCase, expectedVersion: Int64, head: [UInt8], policy: WorkflowPolicy,
    previous: IndexedColumns, in database: Database
  ) throws {
    let new = IndexedColumns(of: stored, policy: policy)
    let mask = new.changes(from: previous)
    try database.run(
      updateSQL[mask],
      updateValues(stored, prepared: prepared, expectedVersion: expectedVersion, head: head, new: new, mask: mask))
    guard database.changes == 1 else {
      let actual = try database.scalarInt64("SELECT version FROM cases WHERE id = ?", [stored.id.rawValue])
      guard let actual else { throw StoreError.notFound("case \(stored.id)") }
      throw StoreError.staleVersion(expected: expectedVersion, actual: actual)
    }
    try writeIndexes(of: stored, prepared: prepared, policy: policy, previous: previous, into: database)
  }

  /// Replaces the case row if it holds exactly `expected` at `expectedVersion`, without reading
  /// it first; returns false, having written nothing, if it does not (the caller then reads the
  /// row and calls ``update(_:prepared:expectedVersion:head:policy:previous:in:)``, which tells a
  /// stale version from a row that only differs from the hint).
  static func update(
    _ stored: Case, prepared: PreparedCase, expectedVersion: Int64, head: [UInt8], policy: WorkflowPolicy,
    expecting expected: ExpectedRow, in database: Database
  ) throws -> Bool {
    let previous = expected.indexed
    let new = IndexedColumns(of: stored, policy: policy)
    let mask = new.changes(from: previous)
    var values = updateValues(stored, prepared: prepared, expectedVersion: expectedVersion, head: head, new: new, mask: mask)
    values += [
      expected.head, previous.state, previous.currentUnitID, previous.categoryID, previous.stepStarted,
      previous.listedDue,
    ] as [any SQLBindable]
    try database.run(expectingUpdateSQL[mask], values)
    guard database.changes == 1 else { return false }
    try writeIndexes(of: stored, prepared: prepared, policy: policy, previous: previous, into: database)
    return true
  }

  /// The values ``updateSQL``'s text for `mask` binds (`new`: the indexed columns `stored` writes).
  private static func updateValues(
    _ stored: Case, prepared: PreparedCase, expectedVersion: Int64, head: [UInt8], new: IndexedColumns, mask: Int
  ) -> [any SQLBindable] {
    var values: [any SQLBindable] = [
      stored.version, stored.holder.unitID?.rawValue, stored.holder.userID?.rawValue, stored.isPublic,
      stored.title, stored.updatedAt.millisecondsSince1970, stored.stepDue?.millisecondsSince1970, head,
      prepared.body, prepared.searchText,
    ]
    if mask & 1 != 0 { values.append(new.state) }
    if mask & 2 != 0 { values.append(new.currentUnitID) }
    if mask & 4 != 0 { values.append(new.categoryID) }
    if mask & 8 != 0 { values.append(new.stepStarted) }
    if mask & 16 != 0 { values.append(new.listedDue) }
    values += [stored.id.rawValue, expectedVersion]
    return values
  }

  /// The rest of an update once the `cases` row is written: links and tasks.
  private static func writeIndexes(
    of stored: Case, prepared: PreparedCase, policy: WorkflowPolicy, previous: IndexedColumns, into database: Database
  ) throws {
    // Every link row of a stepped kind carries its case's step start (schema versions 9 and
    // 15), so the row's previous value is those links' too.
    try writeIndexes(
      of: stored, policy: policy, linksStarted: previous.stepStarted ?? 0, previousLinks: prepared.previousLinks,
      tasks: prepared.changedTasks, into: database)
  }

  /// The columns that order listings and filter overdue cases (schema version 5).
  static func writeListingKeys(of stored: Case, policy: WorkflowPolicy, into database: Database) throws {
    try database.run(
      "UPDATE cases SET step_started = ?, listed_due = ? WHERE id = ?",
      [
        stored.stepReceivedAt.millisecondsSince1970,
        Deadlines.currentStepDue(stored, policy: policy)?.millisecondsSince1970, stored.id.rawValue,
      ])
  }

  /// Brings the case's link rows up to date (each of a stepped kind carrying the case's step
  /// start, schema versions 9 and 15; the others 0) and upserts its tasks. The listing keys on
  /// the `cases` row itself are written
  /// by ``insert(_:prepared:head:policy:into:)`` and ``update(_:prepared:expectedVersion:head:policy:previous:in:)`` in
  /// the same statement as the row. Only the links that changed are written.
  /// - Parameters:
  ///   - linksStarted: The step start the case's link rows carry now (the case row's, read in
  ///     this transaction), or nil for a new case (it has no link rows yet).
  ///   - previousLinks: The case's link rows now, when the caller knows them
  ///     (``PreparedCase/previousLinks``); nil: read from `case_links_by_case`.
  ///   - tasks: The tasks to upsert (``PreparedCase/changedTasks``); nil: every task.
  static func writeIndexes(
    of stored: Case, policy: WorkflowPolicy, linksStarted: Int64?, previousLinks: Set<Link>? = nil,
    tasks: [UnitTask]? = nil, into database: Database
  ) throws {
    let id = stored.id.rawValue
    let received = stored.receivedAt.millisecondsSince1970
    let stepStarted = stored.stepReceivedAt.millisecondsSince1970
    // Re-report links (kind `rereports`) exist from schema version 7.
    var links = CaseIndexing.links(of: stored)
    if let linksStarted {
      // With the step start known, `case_links_by_case` answers alone (it holds the primary
      // key's columns); reading `step_started` searched the table once per row.
      let existing =
        try previousLinks.map(Array.init)
        ?? database.query("SELECT kind, subject FROM case_links WHERE case_id = ?", [id]) {
          Link(kind: $0.text(0), subject: $0.text(1))
        }
      for link in existing {
        if links.remove(link) != nil {
          // Kept: only a new step moves it. An UPDATE rewrites the row in place and moves its
          // `case_links_by_step` entry; a DELETE and INSERT also rewrote its `case_links_by_case`
          // entry and searched every tree twice. (One UPDATE for all of a case's kept rows,
          // `WHERE case_id = ?`, took longer than one per row by its key: per-statement times,
          // fourteenth session in docs/PERFORMANCE.md.)
          if linksStarted != stepStarted, CaseIndexing.isStepped(link.kind) {
            try database.run(
              "UPDATE case_links SET step_started = ? WHERE kind = ? AND subject = ? AND received_at = ? AND case_id = ?",
              stepStarted, link.kind, link.subject, received, id)
          }
        } else {
          try database.run(
            "DELETE FROM case_links WHERE kind = ? AND subject = ? AND received_at = ? AND case_id = ?",
            link.kind, link.subject, received, id)
        }
      }
    }
    for link in links {
      try database.run(
        "INSERT INTO case_links(kind, subject, received_at, case_id, step_started) VALUES (?, ?, ?, ?, ?)",
        link.kind, link.subject, received, id, CaseIndexing.isStepped(link.kind) ? stepStarted : 0)
    }
    try upsertTasks(tasks ?? stored.tasks, of: stored, policy: policy, into: database)
    try writeOutcome(of: stored, into: database)
  }

  /// Writes the `case_outcomes` row of an ended case (schema version 12 on); nothing for an
  /// open one.
  static func writeOutcome(of stored: Case, into database: Database) throws {
    guard let row = CaseIndexing.outcomeRow(of: stored) else { return }
    try database.run(
      """
      INSERT INTO case_outcomes(case_id, unit_id, outcome, ended_at) VALUES (?, ?, ?, ?)
      ON CONFLICT(case_id) DO UPDATE SET unit_id = excluded.unit_id, outcome = excluded.outcome,
        ended_at = excluded.ended_at
      """,
      [stored.id.rawValue, row.unitID, row.outcome, row.endedAt])
  }

  /// Inserts or updates the `unit_tasks` rows of `tasks`, the case's (schema version 2 on; the
  /// held-time columns from version 13, see ``upsertTasksV2(of:policy:into:)`` for the
  /// migrations before).
  static func upsertTasks(
    _ tasks: [UnitTask], of stored: Case, policy: WorkflowPolicy, into database: Database
  ) throws {
    for task in tasks {
      try database.run(
        """
        INSERT INTO unit_tasks(id, case_id, unit_id, received_at, due, completed_at, timeliness, held_ms, held_since,
          outcome, return_confirmed)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(id) DO UPDATE SET due = excluded.due, completed_at = excluded.completed_at,
          timeliness = excluded.timeliness, held_ms = excluded.held_ms, held_since = excluded.held_since,
          outcome = excluded.outcome, return_confirmed = excluded.return_confirmed
        """,
        [
          task.id.rawValue, stored.id.rawValue, task.unitID.rawValue, task.receivedAt.millisecondsSince1970,
          task.due.millisecondsSince1970, task.completedAt?.millisecondsSince1970,
          timeliness(of: task, policy: policy), Deadlines.closedHeldMilliseconds(of: task),
          task.openHold?.heldAt.millisecondsSince1970, task.outcome?.rawValue,
          Int64(task.returnOutsideCompetence == true ? 1 : 0),
        ])
    }
  }

  /// The `unit_tasks` rows as schema versions 2 to 12 defined them (the backfills of the
  /// migrations before version 13, which run before the held-time columns of 13 and the
  /// outcome columns of 14 exist; 14 fills its own columns).
  static func upsertTasksV2(of stored: Case, policy: WorkflowPolicy, into database: Database) throws {
    for task in stored.tasks {
      try database.run(
        """
        INSERT INTO unit_tasks(id, case_id, unit_id, received_at, due, completed_at, timeliness)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(id) DO UPDATE SET due = excluded.due, completed_at = excluded.completed_at,
          timeliness = excluded.timeliness
        """,
        [
          task.id.rawValue, stored.id.rawValue, task.unitID.rawValue, task.receivedAt.millisecondsSince1970,
          task.due.millisecondsSince1970, task.completedAt?.millisecondsSince1970,
          timeliness(of: task, policy: policy),
        ])
    }
  }

  /// One `case_links` row's identity (with the case's id and report time).
  typealias Link = CaseIndexing.Link

  /// The link and task rows as schema version 3 defined them (its backfill; later versions
  /// add their columns and fill them themselves).
  static func writeIndexesV3(of stored: Case, policy: WorkflowPolicy, into database: Database) throws {
    let id = stored.id.rawValue
    let received = stored.receivedAt.millisecondsSince1970
    try database.run("DELETE FROM case_links WHERE case_id = ?", id)
    var links: Set<[String]> = []
    for user in stored.holder.userIDs { links.insert(["holder", user.rawValue]) }
    for unit in stored.unitsPassedThrough + [stored.currentUnitID] { links.insert(["unit", unit.rawValue]) }
    if let assignment = stored.assignment {
      for user in assignment.participants { links.insert(["participant", user.rawValue]) }
    }
    links.insert(["submitter", stored.submittedBy.rawValue])
    if let reporter = stored.reporter.userID { links.insert(["submitter", reporter.rawValue]) }
    for link in links {
      try database.run(
        "INSERT INTO case_links(kind, subject, received_at, case_id) VALUES (?, ?, ?, ?)",
        link[0], link[1], received, id)
    }
    try upsertTasksV2(of: stored, policy: policy, into: database)
  }

  /// A completed task's timeliness (``CaseIndexing/timeliness(of:policy:)``).
  static func timeliness(of task: UnitTask, policy: WorkflowPolicy) -> String? {
    CaseIndexing.timeliness(of: task, policy: policy)
  }

  /// An entry encoded and hashed onto its chain, ready to be inserted: the body is encoded
  /// once and the hash computed once per action.
  struct ChainedEntry {
    var entry: JournalEntry
    var body: [UInt8]
    var previous: [UInt8]
    var hash: [UInt8]

    init(_ entry: JournalEntry, previous: [UInt8]) throws {
      try self.init(entry, body: EntityCoding.encode(entry), previous: previous)
    }

    /// Chains an entry whose body was encoded beforehand (off the writer thread).
    init(_ entry: JournalEntry, body: [UInt8], previous: [UInt8]) {
      self.entry = entry
      self.body = body
      self.previous = previous
      self.hash = JournalChain.hash(
        caseID: entry.caseID.rawValue, sequence: entry.sequence, at: entry.at.millisecondsSince1970,
        previous: previous, body: body)
    }
  }

  /// Appends an entry to the case's chain; returns it as stored.
  static func appendJournal(_ chained: ChainedEntry, into database: Database) throws -> StoredJournalEntry {
    let entry = chained.entry
    try database.run(
      "INSERT INTO journal(case_id, case_seq, at, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)",
      [entry.caseID.rawValue, entry.sequence, entry.at.millisecondsSince1970, chained.body, chained.previous, chained.hash])
    return StoredJournalEntry(
      eventSequence: database.lastInsertRowID, entry: entry,
      previousHashHex: JournalChain.hex(chained.previous), hashHex: JournalChain.hex(chained.hash))
  }

  static let journalColumns = "event_seq, body, prev_hash, hash"

  static func decodeJournal(_ statement: Statement) throws -> StoredJournalEntry {
    StoredJournalEntry(
      eventSequence: statement.int64(0),
      entry: try EntityCoding.decode(JournalEntry.self, from: statement.blob(1), what: "journal entry"),
      previousHashHex: JournalChain.hex(statement.blob(2)),
      hashHex: JournalChain.hex(statement.blob(3)))
  }

  /// Stores (or replaces) the author's draft of a case.
  static func saveDraft(_ draft: CaseDraft, into database: Database) throws {
    try database.run(
      """
      INSERT INTO case_drafts(case_id, author, saved_at, body) VALUES (?, ?, ?, ?)
      ON CONFLICT(case_id, author) DO UPDATE SET saved_at = excluded.saved_at, body = excluded.body
      """,
      [draft.caseID.rawValue, draft.author.rawValue, draft.savedAt.millisecondsSince1970,
       try EntityCoding.encode(draft)])
  }

  /// Deletes the drafts an action disposes of. Every step that changes hands discards all of
  /// a case's drafts, and most cases have none: a read finds that first, because a DELETE that
  /// matches nothing still costs a write statement (about ten times a read's instructions in a
  /// replay of the writer's statements: fifteenth session in docs/PERFORMANCE.md). One
  /// author's draft is discarded by that author's own action, which usually has one.
  static func dispose(_ disposal: DraftDisposal, of caseID: CaseID, in database: Database) throws {
    switch disposal {
    case .keep: break
    case .discard(let author):
      try database.run("DELETE FROM case_drafts WHERE case_id = ? AND author = ?", caseID.rawValue, author.rawValue)
    case .discardAll:
      guard try database.scalarInt64("SELECT 1 FROM case_drafts WHERE case_id = ? LIMIT 1", [caseID.rawValue]) != nil
      else { return }
      try database.run("DELETE FROM case_drafts WHERE case_id = ?", caseID.rawValue)
    }
  }

  static func insertNotifications(_ notifications: [Notification], into database: Database) throws {
    for notification in notifications {
      try database.run(
        """
        INSERT INTO notifications(recipient, case_id, kind, text, at, via_mobile_app)
        VALUES (?, ?, ?, ?, ?, ?)
        """,
        [
          notification.recipient.rawValue, notification.caseID.rawValue, notification.kind.rawValue,
          notification.text, notification.at.millisecondsSince1970, notification.viaMobileApp,
        ])
    }
  }
}
