public import FieldReportWorkflow

extension SQLiteFieldReportStore {
  public func findCase(id: CaseID) async throws -> Case? {
    let cache = decoded
    return try await read { try CaseRows.findCase(.id(id), cache: cache, in: $0) }
  }

  public func findCase(code: ReportCode) async throws -> Case? {
    let cache = decoded
    return try await read { try CaseRows.findCase(.code(code), cache: cache, in: $0) }
  }

  public func caseView(_ key: CaseKey, draftAuthor: UserID?) async throws -> CaseView? {
    let cache = decoded
    return try await read { database in
      guard let found = try CaseRows.findCase(key, cache: cache, in: database) else { return nil }
      let journal = try CaseRows.journal(of: found, in: database, cache: cache)
      let later = try database.query(
        """
        SELECT \(CaseRows.cachedCaseColumns) FROM case_links l JOIN cases c ON c.id = l.case_id
        WHERE l.kind = 'rereports' AND l.subject = ? ORDER BY l.received_at, l.case_id
        """, [found.id.rawValue]
      ) { try CaseRows.decodeCase($0, cache: cache) }
      var draft: CaseDraft?
      if let draftAuthor, CaseWorkflow.keepsDraft(found, author: draftAuthor) {
        draft = try database.queryFirst(
          "SELECT body FROM case_drafts WHERE case_id = ? AND author = ?", [found.id.rawValue, draftAuthor.rawValue]
        ) { try EntityCoding.decode(CaseDraft.self, from: $0.blob(0), what: "draft") }
      }
      return CaseView(case: found, journal: journal, rereports: later, draft: draft)
    }
  }

  public func rereports(of id: CaseID) async throws -> [CaseID] {
    try await read { database in
      try database.query(
        "SELECT case_id FROM case_links WHERE kind = 'rereports' AND subject = ? ORDER BY received_at, case_id",
        [id.rawValue]
      ) { CaseID($0.text(0)) }
    }
  }

  public func listCases(_ query: CaseQuery) async throws -> CasePage {
    try await listCases([query])[0]
  }

  public func listCases(_ queries: [CaseQuery]) async throws -> [CasePage] {
    for query in queries {
      guard (1...CaseQuery.maximumLimit).contains(query.limit) else {
        throw StoreError.invalidArgument(field: "limit", reason: "must be 1...\(CaseQuery.maximumLimit)")
      }
      if let cursor = query.after, cursor.order != query.order {
        throw StoreError.invalidArgument(field: "after", reason: "was taken in another order")
      }
    }
    let policy = configuration.policy
    let cache = decoded
    // One read transaction for every query of a scope: one snapshot, one thread hop.
    return try await read { database in
      try queries.map { try Self.listPage($0, policy: policy, cache: cache, in: database) }
    }
  }

  /// One page of `query` (reader thread).
  static func listPage(
    _ query: CaseQuery, policy: WorkflowPolicy, cache: DecodedCache, in database: Database
  ) throws -> CasePage {
    let limit = query.limit
    let order = query.order
    var cases: [Case]
    if let parts = stateSplit(of: query) {
      // A unit's inbox over several states: each state is one ordered range of a
      // (current_unit_id, state, key, id) index; merge the ranges' heads by (key, id) and
      // read the bodies of the page's rows only.
      var keyed: [(key: Int64, id: String)] = []
      for part in parts {
        let (sql, values) = listSQL(for: part, select: "\(order.keyExpression), c.id")
        keyed += try database.query(sql, values) { ($0.int64(0), $0.text(1)) }
      }
      keyed.sort { order.isDescending ? ($0.key, $0.id) > ($1.key, $1.id) : ($0.key, $0.id) < ($1.key, $1.id) }
      cases = try keyed.prefix(limit + 1).compactMap { row in
        try CaseRows.findCase(.id(CaseID(row.id)), cache: cache, in: database)
      }
    } else {
      let (sql, values) = listSQL(for: query, select: CaseRows.cachedCaseColumns)
      cases = try database.query(sql, values) { try CaseRows.decodeCase($0, cache: cache) }
    }
    var next: CaseCursor?
    if cases.count > limit {
      cases.removeLast(cases.count - limit)
      if let last = cases.last { next = order.cursor(after: last, policy: policy) }
    }
    return CasePage(cases: cases, nextCursor: next)
  }

  /// The single-state parts of a query over one current unit and several states (the IOC's
  /// and a leader's inboxes), or nil when the query is not of that shape.
  static func stateSplit(of query: CaseQuery) -> [CaseQuery]? {
    guard query.currentUnit != nil, let states = query.states, states.count > 1, query.heldBy == nil,
      query.involvingUnit == nil, query.participant == nil, query.submittedBy == nil
    else { return nil }
    return states.sorted { $0.rawValue < $1.rawValue }.map { state in
      var part = query
      part.states = [state]
      return part
    }
  }

  /// Builds the listing statement. The first person/unit filter drives the query through the
  /// `case_links` primary key (already in paging order for the report-time orders); the rest
  /// are index lookups. Other orders sort on the `cases` row's key column and id.
  static func listSQL(for query: CaseQuery, select: String = "c.body") -> (String, [any SQLBindable]) {
    var links: [(String, String)] = []
    if let user = query.heldBy { links.append(("holder", user.rawValue)) }
    if let unit = query.involvingUnit { links.append(("unit", unit.rawValue)) }
    if let user = query.participant { links.append(("participant", user.rawValue)) }
    if let user = query.submittedBy { links.append(("submitter", user.rawValue)) }

    var sql: String
    var conditions: [String] = []
    var values: [any SQLBindable] = []
    let orderKey: (String, String)
    if let driver = links.first {
      sql = "SELECT \(select) FROM case_links l JOIN cases c ON c.id = l.case_id"
      conditions.append("l.kind = ? AND l.subject = ?")
      values += [driver.0, driver.1]
      // The link rows carry the report time and (schema version 9) the step start, so the
      // default inbox orders walk the link index in paging order.
      switch query.order {
      case .reportedNewest, .reportedOldest: orderKey = ("l.received_at", "l.case_id")
      case .stepStartedNewest: orderKey = ("l.step_started", "l.case_id")
      case .stepDueSoonest, .updatedNewest: orderKey = (query.order.keyExpression, "c.id")
      }
    } else {
      sql = "SELECT \(select) FROM cases c"
      orderKey = (query.order.keyExpression, "c.id")
    }
    for link in links.dropFirst() {
      conditions.append(
        """
        EXISTS (SELECT 1 FROM case_links x WHERE x.kind = ? AND x.subject = ?
          AND x.received_at = c.received_at AND x.case_id = c.id)
        """)
      values += [link.0, link.1]
    }
    if let unit = query.currentUnit {
      conditions.append("c.current_unit_id = ?")
      values.append(unit.rawValue)
    }
    if let states = query.states {
      let sorted = states.map(\.rawValue).sorted()
      if sorted.isEmpty {
        conditions.append("0")
      } else {
        conditions.append("c.state IN (\(Array(repeating: "?", count: sorted.count).joined(separator: ", ")))")
        values += sorted as [any SQLBindable]
      }
    }
    if let category = query.category {
      conditions.append("c.category_id = ?")
      values.append(category.rawValue)
    }
    if let now = query.overdueAt {
      // listed_due is NULL for terminal cases and steps without a due time.
      conditions.append("c.listed_due IS NOT NULL AND c.listed_due < ?")
      values.append(now.millisecondsSince1970)
    }
    if let from = query.receivedFrom {
      conditions.append("c.received_at >= ?")
      values.append(from.millisecondsSince1970)
    }
    if let before = query.receivedBefore {
      conditions.append("c.received_at < ?")
      values.append(before.millisecondsSince1970)
    }
    if let text = query.text.map(TextFolding.fold), !text.isEmpty {
      conditions.append("c.search_text LIKE ? ESCAPE '\\'")
      values.append(TextFolding.likePattern(containing: text))
    }
    if query.publicOnly { conditions.append("c.is_public = 1") }
    if let cursor = query.after {
      conditions.append("(\(orderKey.0), \(orderKey.1)) \(query.order.isDescending ? "<" : ">") (?, ?)")
      values += [cursor.key, cursor.caseID.rawValue]
    }
    if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
    let direction = query.order.isDescending ? "DESC" : "ASC"
    sql += " ORDER BY \(orderKey.0) \(direction), \(orderKey.1) \(direction) LIMIT ?"
    values.append(query.limit + 1)
    return (sql, values)
  }

  // MARK: Journal and events

  public func journal(caseID: CaseID) async throws -> [StoredJournalEntry] {
    let cache = decoded
    return try await read { database in
      let cached = cache.journal(caseID)
      let rest = try database.query(
        "SELECT \(CaseRows.journalColumns) FROM journal WHERE case_id = ? AND case_seq > ? ORDER BY case_seq",
        [caseID.rawValue, cached.count]
      ) { try CaseRows.decodeJournal($0) }
      if rest.isEmpty { return cached }
      let all = cached + rest
      cache.insertJournal(all, for: caseID)
      return all
    }
  }

  public func events(after cursor: Int64, limit: Int) async throws -> [StoredJournalEntry] {
    guard limit >= 1 else { throw StoreError.invalidArgument(field: "limit", reason: "must be at least 1") }
    let bounded = min(limit, 10_000)
    return try await read { database in
      try database.query(
        "SELECT \(CaseRows.journalColumns) FROM journal WHERE event_seq > ? ORDER BY event_seq LIMIT ?",
        [cursor, bounded]
      ) { try CaseRows.decodeJournal($0) }
    }
  }

  public func latestEventSequence() async throws -> Int64 {
    try await read { database in try database.scalarInt64("SELECT MAX(event_seq) FROM journal") ?? 0 }
  }

  public func verifyJournal(caseID: CaseID) async throws -> JournalVerification {
    try await read { database in
      guard let verdict = try Self.verifyChain(of: caseID, in: database) else {
        throw StoreError.notFound("case \(caseID)")
      }
      return verdict
    }
  }

  /// Checks one case's journal hash chain (see ``JournalChain``) against its case row: every
  /// entry present and in order, each hash recomputed from the stored bytes, each body decoding
  /// to its own position, the entry count equal to the case version and the last hash equal to
  /// the chain head. The one verifier: the VerifyJournal RPC and `fieldreport-server verify`
  /// both call it.
  /// - Returns: The verdict, or nil if there is no such case.
  /// - Important: Run it inside a read transaction, so the case row and its journal come from
  ///   one snapshot.
  static func verifyChain(of caseID: CaseID, in database: Database) throws -> JournalVerification? {
    guard
      let (version, head) = try database.queryFirst(
        "SELECT version, journal_head FROM cases WHERE id = ?", [caseID.rawValue],
        { ($0.int64(0), $0.blob(1)) })
    else { return nil }
    let rows = try database.query(
      "SELECT case_seq, at, body, prev_hash, hash FROM journal WHERE case_id = ? ORDER BY case_seq",
      [caseID.rawValue]
    ) { ($0.int64(0), $0.int64(1), $0.blob(2), $0.blob(3), $0.blob(4)) }
    var previous = JournalChain.genesis
    var expectedSequence: Int64 = 1
    for (sequence, at, body, storedPrevious, storedHash) in rows {
      guard sequence == expectedSequence else {
        return .broken(sequence: expectedSequence, reason: "entry \(expectedSequence) is missing")
      }
      guard storedPrevious == previous else {
        return .broken(sequence: sequence, reason: "the previous entry's hash does not match")
      }
      let hash = JournalChain.hash(
        caseID: caseID.rawValue, sequence: sequence, at: at, previous: previous, body: body)
      guard hash == storedHash else {
        return .broken(sequence: sequence, reason: "the entry was altered")
      }
      guard let entry = try? EntityCoding.decode(JournalEntry.self, from: body, what: "journal entry"),
        entry.caseID == caseID, entry.sequence == sequence, entry.at.millisecondsSince1970 == at
      else {
        return .broken(sequence: sequence, reason: "the entry's body does not match its position")
      }
      previous = hash
      expectedSequence += 1
    }
    guard Int64(rows.count) == version else {
      return .broken(
        sequence: Int64(rows.count) + 1,
        reason: "the case is at version \(version) but the journal has \(rows.count) entries")
    }
    guard previous == head else {
      return .broken(sequence: Int64(rows.count), reason: "the last entry does not match the case's chain head")
    }
    return .intact(entries: rows.count, headHashHex: JournalChain.hex(head))
  }

  // MARK: Notifications

  public func notifications(for user: UserID, after: Int64, unreadOnly: Bool, limit: Int) async throws
    -> [StoredNotification]
  {
    guard limit >= 1 else { throw StoreError.invalidArgument(field: "limit", reason: "must be at least 1") }
    let sql =
      "SELECT id, recipient, case_id, kind, text, at, via_mobile_app, read_at FROM notifications "
      + "WHERE recipient = ? AND id > ?" + (unreadOnly ? " AND read_at IS NULL" : "") + " ORDER BY id LIMIT ?"
    return try await read { database in
      try database.query(sql, [user.rawValue, after, min(limit, 1_000)]) { row in
        guard let kind = Notification.Kind(rawValue: row.text(3)) else {
          throw StoreError.integrity("stored notification kind \(row.text(3)) is unknown")
        }
        return StoredNotification(
          id: row.int64(0),
          notification: Notification(
            recipient: UserID(row.text(1)), caseID: CaseID(row.text(2)), kind: kind, text: row.text(4),
            at: Timestamp(millisecondsSince1970: row.int64(5)), viaMobileApp: row.bool(6)),
          readAt: row.optionalInt64(7).map { Timestamp(millisecondsSince1970: $0) })
      }
    }
  }

  public func markNotificationsRead(for user: UserID, ids: [Int64], at: Timestamp) async throws -> Int {
    try await writeCaseData { database in
      var changed = 0
      for id in Set(ids) {
        try database.run(
          "UPDATE notifications SET read_at = ? WHERE id = ? AND recipient = ? AND read_at IS NULL",
          at.millisecondsSince1970, id, user.rawValue)
        changed += database.changes
      }
      return changed
    }
  }

  // MARK: Statistics

  public func unitStatistics(unitID: UnitID?, byCategory: Bool, from: Timestamp, to: Timestamp, now: Timestamp)
    async throws -> [UnitStatistics]
  {
    let unitFilter = unitID == nil ? "" : " AND t.unit_id = ?"
    let unitValue: [any SQLBindable] = unitID.map { [$0.rawValue] } ?? []
    // The category is the case's; joined only when asked for.
    let source = byCategory ? "unit_tasks t JOIN cases c ON c.id = t.case_id" : "unit_tasks t"
    let category = byCategory ? "c.category_id" : "''"
    return try await read { database in
      var rows: [String: UnitStatistics] = [:]
      func entry(_ unit: String, _ category: String) -> UnitStatistics {
        rows[unit + "\u{0}" + category]
          ?? UnitStatistics(
            unitID: UnitID(unit), categoryID: byCategory ? CategoryID(category) : nil, early: 0, onTime: 0, late: 0,
            pending: 0, pendingOverdue: 0)
      }
      let completed = try database.query(
        """
        SELECT t.unit_id, \(category), SUM(t.timeliness = 'early'), SUM(t.timeliness = 'on_time'),
          SUM(t.timeliness = 'late'), SUM(t.timeliness NOT IN ('early', 'on_time', 'late')),
          SUM(t.timeliness = 'not_counted')
        FROM \(source) WHERE t.completed_at >= ? AND t.completed_at < ?\(unitFilter) GROUP BY 1, 2
        """, [from.millisecondsSince1970, to.millisecondsSince1970] + unitValue
      ) { ($0.text(0), $0.text(1), $0.int(2), $0.int(3), $0.int(4), $0.int(5), $0.int(6)) }
      for (unit, category, early, onTime, late, unclassified, returned) in completed {
        var stats = entry(unit, category)
        stats.early = early
        stats.onTime = onTime
        stats.late = late
        stats.unclassified = unclassified
        stats.returnedToIoc = returned
        rows[unit + "\u{0}" + category] = stats
      }
      let open = try database.query(
        """
        SELECT t.unit_id, \(category), COUNT(*), SUM(t.due < ?) FROM \(source)
        WHERE t.completed_at IS NULL AND t.received_at < ?\(unitFilter) GROUP BY 1, 2
        """, [now.millisecondsSince1970, to.millisecondsSince1970] + unitValue
      ) { ($0.text(0), $0.text(1), $0.int(2), $0.int(3)) }
      for (unit, category, pending, overdue) in open {
        var stats = entry(unit, category)
        stats.pending = pending
        stats.pendingOverdue = overdue
        rows[unit + "\u{0}" + category] = stats
      }
      return rows.values.sorted {
        ($0.unitID.rawValue, $0.categoryID?.rawValue ?? "") < ($1.unitID.rawValue, $1.categoryID?.rawValue ?? "")
      }
    }
  }
}
