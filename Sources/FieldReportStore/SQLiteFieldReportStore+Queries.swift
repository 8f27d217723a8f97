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
    if let view = latestCaseView(key, draftAuthor: draftAuthor) { return view }
    return try await queriedCaseView(key, draftAuthor: draftAuthor)
  }

  /// ``caseView(_:draftAuthor:)`` from one read transaction (and, when the case has no
  /// re-reports, offered to ``latestCases``).
  @_spi(Testing)
  public func queriedCaseView(_ key: CaseKey, draftAuthor: UserID?) async throws -> CaseView? {
    let cache = decoded
    let latestCases = self.latestCases
    let epoch = latestCases.epoch
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
      let duplicates = try database.query(
        "SELECT case_id FROM case_links WHERE kind = 'duplicates' AND subject = ? ORDER BY received_at, case_id",
        [found.id.rawValue]
      ) { CaseID($0.text(0)) }
      let verdict: CaseVerdict? =
        found.state == .published
        ? try database.queryFirst("SELECT body FROM case_verdicts WHERE case_id = ?", [found.id.rawValue]) {
          try EntityCoding.decode(CaseVerdict.self, from: $0.blob(0), what: "verdict")
        } : nil
      // The index holds only cases whose view has none of these (LatestCaseIndex).
      latestCases.observe(found, rereported: !later.isEmpty || !duplicates.isEmpty || verdict != nil, since: epoch)
      return CaseView(
        case: found, journal: journal, rereports: later, draft: draft, duplicates: duplicates, verdict: verdict)
    }
  }

  /// A case's view from memory alone: when ``latestCases`` knows its latest version, the
  /// decoded cache holds that version and its whole journal, and no draft is to be shown
  /// (no re-reports: the index holds only cases without). Nil sends the caller to the query.
  @_spi(Testing)
  public func latestCaseView(_ key: CaseKey, draftAuthor: UserID?) -> CaseView? {
    guard let (id, version) = latestCases.latest(key),
      let (found, journal) = decoded.caseWithJournal(id, version: version)
    else { return nil }
    if let draftAuthor, CaseWorkflow.keepsDraft(found, author: draftAuthor) { return nil }
    return CaseView(case: found, journal: journal, rereports: [], draft: nil)
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
    try StoreRules.validate(queries)
    let policy = configuration.policy
    let cache = decoded
    // Pages read since the last commit are answered again from memory (ListingCache).
    if let held = listings.pages(queries) {
      metrics.listingsFromMemory.increment()
      return held
    }
    metrics.listingsFromDatabase.increment()
    let generation = listings.generation
    // One read transaction for every query of a scope: one snapshot, one thread hop.
    let pages = try await scan { database in
      try queries.map { try Self.listPage($0, policy: policy, cache: cache, in: database) }
    }
    listings.keep(pages, for: queries, readAt: generation)
    return pages
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
      var keyed: [(key: Int64, id: String, rowid: Int64)] = []
      for part in parts {
        let (sql, values) = listSQL(for: part, select: Self.mergeColumns(order))
        keyed += try database.query(sql, values) { ($0.int64(0), $0.text(1), $0.int64(2)) }
      }
      keyed.sort { order.isDescending ? ($0.key, $0.id) > ($1.key, $1.id) : ($0.key, $0.id) < ($1.key, $1.id) }
      cases = try CaseRows.findCases(rowids: keyed.prefix(limit + 1).map(\.rowid), cache: cache, in: database)
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

  /// What each single-state part of a unit's inbox selects: the order's key and the id (to
  /// merge the parts by), and the rowid, to read the page's rows by (one b-tree search each;
  /// by id it was two, the id index's and then the table's). All three are in the listing
  /// indexes, so the parts read no table rows; the rowids are read back in the same read
  /// transaction, where they cannot change.
  static func mergeColumns(_ order: CaseListOrder) -> String {
    "\(order.keyExpression), c.id, c.rowid"
  }

  /// The single-state parts of a query (``CaseListingSQL/stateSplit(of:)``).
  static func stateSplit(of query: CaseQuery) -> [CaseQuery]? {
    CaseListingSQL.stateSplit(of: query)
  }

  /// The listing statement in SQLite's dialect (``CaseListingSQL/build(for:select:dialect:)``).
  static func listSQL(for query: CaseQuery, select: String = "c.body") -> (String, [any SQLBindable]) {
    let (sql, values) = CaseListingSQL.build(for: query, select: select, dialect: .sqlite)
    return (
      sql,
      values.map { value -> any SQLBindable in
        switch value {
        case .text(let text): text
        case .integer(let integer): integer
        }
      }
    )
  }

  // MARK: Journal and events

  public func journal(caseID: CaseID) async throws -> [StoredJournalEntry] {
    let cache = decoded
    return try await read { database in
      let prefix = cache.journalPrefix(caseID)
      let rest = try database.query(
        "SELECT \(CaseRows.journalColumns) FROM journal WHERE case_id = ? AND case_seq > ? ORDER BY case_seq",
        [caseID.rawValue, prefix.count]
      ) { try CaseRows.decodeJournal($0) }
      return cache.extendJournal(caseID, prefix: prefix, with: rest)
    }
  }

  public func events(after cursor: Int64, limit: Int) async throws -> [StoredJournalEntry] {
    let bounded = try StoreRules.bounded(limit: limit, cap: 10_000)
    return try await scan { database in
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
    try await scan { database in
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
    ) { JournalChain.Row(sequence: $0.int64(0), at: $0.int64(1), body: $0.blob(2), previous: $0.blob(3), hash: $0.blob(4)) }
    return JournalChain.verify(caseID: caseID, version: version, head: head, rows: rows)
  }

  // MARK: Notifications

  public func notifications(for user: UserID, after: Int64, unreadOnly: Bool, limit: Int) async throws
    -> [StoredNotification]
  {
    let bounded = try StoreRules.bounded(limit: limit, cap: 1_000)
    let sql =
      "SELECT id, recipient, case_id, kind, text, at, via_mobile_app, read_at FROM notifications "
      + "WHERE recipient = ? AND id > ?" + (unreadOnly ? " AND read_at IS NULL" : "") + " ORDER BY id LIMIT ?"
    return try await scan { database in
      try database.query(sql, [user.rawValue, after, bounded]) { row in
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

  public func caseVolume(units: [UnitID]?, from: Timestamp, to: Timestamp) async throws -> [CaseVolumeCount] {
    if units?.isEmpty == true { return [] }
    let unitFilter = units.map {
      " AND EXISTS (SELECT 1 FROM unit_tasks t WHERE t.case_id = c.id AND t.unit_id IN (\($0.map { _ in "?" }.joined(separator: ", "))))"
    } ?? ""
    let values: [any SQLBindable] = [from.millisecondsSince1970, to.millisecondsSince1970] + (units ?? []).map(\.rawValue)
    let week = CaseVolumeSQL.weekStart("c.received_at")
    return try await scan { database in
      try database.query(
        """
        SELECT c.category_id, \(week), COUNT(*) FROM cases c
        WHERE c.received_at >= ? AND c.received_at < ?\(unitFilter) GROUP BY 1, 2
        """, values
      ) {
        CaseVolumeCount(
          categoryID: CategoryID($0.text(0)), weekStart: Timestamp(millisecondsSince1970: $0.int64(1)), count: $0.int(2))
      }
    }
  }

  public func unitStatistics(unitID: UnitID?, byCategory: Bool, from: Timestamp, to: Timestamp, now: Timestamp)
    async throws -> [UnitStatistics]
  {
    let unitFilter = unitID == nil ? "" : " AND t.unit_id = ?"
    let unitValue: [any SQLBindable] = unitID.map { [$0.rawValue] } ?? []
    // The category is the case's; joined only when asked for.
    let source = byCategory ? "unit_tasks t JOIN cases c ON c.id = t.case_id" : "unit_tasks t"
    let category = byCategory ? "c.category_id" : "''"
    return try await scan { database in
      var table = UnitStatisticsTable(byCategory: byCategory)
      let completed = try database.query(
        """
        SELECT t.unit_id, \(category), SUM(t.timeliness = 'early'), SUM(t.timeliness = 'on_time'),
          SUM(t.timeliness = 'late'), SUM(t.timeliness NOT IN ('early', 'on_time', 'late')),
          SUM(t.timeliness = 'not_counted'), SUM(t.timeliness = 'not_counted' AND t.return_confirmed = 1)
        FROM \(source) WHERE t.completed_at >= ? AND t.completed_at < ?\(unitFilter) GROUP BY 1, 2
        """, [from.millisecondsSince1970, to.millisecondsSince1970] + unitValue
      ) { ($0.text(0), $0.text(1), [$0.int(2), $0.int(3), $0.int(4), $0.int(5), $0.int(6), $0.int(7)]) }
      for (unit, category, n) in completed {
        table.addCompleted(
          unit: unit, category: category, early: n[0], onTime: n[1], late: n[2], unclassified: n[3],
          returned: n[4], returnedConfirmed: n[5])
      }
      let received = try database.query(
        """
        SELECT t.unit_id, \(category), COUNT(*) FROM \(source)
        WHERE t.received_at >= ? AND t.received_at < ?\(unitFilter) GROUP BY 1, 2
        """, [from.millisecondsSince1970, to.millisecondsSince1970] + unitValue
      ) { ($0.text(0), $0.text(1), $0.int(2)) }
      for (unit, category, count) in received {
        table.addVolume(unit: unit, category: category, received: count)
      }
      // One stored column per approved task (no body decoded); the percentiles are
      // FairStatistics'.
      let handled = try database.query(
        """
        SELECT t.unit_id, \(category), t.completed_at - t.received_at - t.held_ms FROM \(source)
        WHERE t.outcome = 'resolved' AND t.completed_at >= ? AND t.completed_at < ?\(unitFilter) ORDER BY 3
        """, [from.millisecondsSince1970, to.millisecondsSince1970] + unitValue
      ) { ($0.text(0), $0.text(1), $0.int64(2)) }
      for (unit, category, milliseconds) in handled {
        table.addHandling(unit: unit, category: category, milliseconds: milliseconds)
      }
      let open = try database.query(
        """
        SELECT t.unit_id, \(category), COUNT(*), SUM(t.due < ? AND t.held_since IS NULL) FROM \(source)
        WHERE t.completed_at IS NULL AND t.received_at < ?\(unitFilter) GROUP BY 1, 2
        """, [now.millisecondsSince1970, to.millisecondsSince1970] + unitValue
      ) { ($0.text(0), $0.text(1), $0.int(2), $0.int(3)) }
      for (unit, category, pending, overdue) in open {
        table.addOpen(unit: unit, category: category, pending: pending, overdue: overdue)
      }
      // How the cases that ended in the period ended, and the reporters' verdicts, per unit
      // they count for (case_outcomes, case_verdicts: schema version 12).
      let joined = { (alias: String) in byCategory ? " JOIN cases c ON c.id = \(alias).case_id" : "" }
      let filter = { (alias: String) in unitID == nil ? "" : " AND \(alias).unit_id = ?" }
      let outcomes = try database.query(
        """
        SELECT o.unit_id, \(category), o.outcome, COUNT(*) FROM case_outcomes o\(joined("o"))
        WHERE o.ended_at >= ? AND o.ended_at < ?\(filter("o")) GROUP BY 1, 2, 3
        """, [from.millisecondsSince1970, to.millisecondsSince1970] + unitValue
      ) { ($0.text(0), $0.text(1), $0.text(2), $0.int(3)) }
      for (unit, category, outcome, count) in outcomes {
        table.addOutcome(unit: unit, category: category, outcome: outcome, count: count)
      }
      let verdicts = try database.query(
        """
        SELECT v.unit_id, \(category), COUNT(*), SUM(v.rating), SUM(v.not_resolved) FROM case_verdicts v\(joined("v"))
        WHERE v.recorded_at >= ? AND v.recorded_at < ?\(filter("v")) GROUP BY 1, 2
        """, [from.millisecondsSince1970, to.millisecondsSince1970] + unitValue
      ) { ($0.text(0), $0.text(1), $0.int(2), $0.int(3), $0.int(4)) }
      for (unit, category, count, ratingSum, notResolved) in verdicts {
        table.addVerdicts(unit: unit, category: category, count: count, ratingSum: ratingSum, notResolved: notResolved)
      }
      return table.sorted
    }
  }
}
