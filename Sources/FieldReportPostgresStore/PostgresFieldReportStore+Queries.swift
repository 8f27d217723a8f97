public import FieldReportStore
public import FieldReportWorkflow
import PostgresNIO

extension PostgresFieldReportStore {
  static let cachedCaseColumns = "c.id, c.version, c.body"

  /// The case in a row selected with ``cachedCaseColumns``: from the decoded cache when this
  /// version was decoded before, else decoded and kept.
  static func decodeCase(_ row: PostgresRow, cache: DecodedCache) throws -> Case {
    let caseID = CaseID(try row.value(0, as: String.self))
    let version = try row.value(1, as: Int64.self)
    if let hit = cache.case(caseID, version: version) { return hit }
    let decoded = try EntityCoding.decode(Case.self, from: row.bytes(2), what: "case")
    cache.insert(decoded)
    return decoded
  }

  static func findCase(_ key: CaseKey, cache: DecodedCache, in session: PostgresSession) async throws -> Case? {
    let (column, value) =
      switch key {
      case .id(let id): ("id", id.rawValue)
      case .code(let code): ("report_code", code.rawValue)
      }
    guard let row = try await session.first("SELECT \(cachedCaseColumns) FROM cases c WHERE c.\(column) = $1", [value])
    else { return nil }
    return try decodeCase(row, cache: cache)
  }

  /// The journal of `c` as of its version: the cached prefix plus the entries after it.
  static func journal(of c: Case, cache: DecodedCache, in session: PostgresSession) async throws
    -> [StoredJournalEntry]
  {
    let prefix = cache.journalPrefix(c.id, upTo: c.version)
    guard prefix.count < Int(c.version) else { return prefix }
    let rest = try await session.query(
      "SELECT \(journalColumns) FROM journal WHERE case_id = $1 AND case_seq > $2 AND case_seq <= $3 ORDER BY case_seq",
      [c.id.rawValue, prefix.count, c.version]
    ).map(decodeJournal)
    return cache.extendJournal(c.id, prefix: prefix, with: rest)
  }

  public func findCase(id: CaseID) async throws -> Case? {
    let cache = decoded
    return try await single { try await Self.findCase(.id(id), cache: cache, in: $0) }
  }

  public func findCase(code: ReportCode) async throws -> Case? {
    let cache = decoded
    return try await single { try await Self.findCase(.code(code), cache: cache, in: $0) }
  }

  public func caseView(_ key: CaseKey, draftAuthor: UserID?) async throws -> CaseView? {
    let cache = decoded
    return try await read { session in
      guard let found = try await Self.findCase(key, cache: cache, in: session) else { return nil }
      let journal = try await Self.journal(of: found, cache: cache, in: session)
      let later = try await session.query(
        """
        SELECT \(Self.cachedCaseColumns) FROM case_links l JOIN cases c ON c.id = l.case_id
        WHERE l.kind = 'rereports' AND l.subject = $1 ORDER BY l.received_at, l.case_id
        """, [found.id.rawValue]
      ).map { try Self.decodeCase($0, cache: cache) }
      var draft: CaseDraft?
      if let draftAuthor, CaseWorkflow.keepsDraft(found, author: draftAuthor) {
        draft = try await Self.draft(caseID: found.id, author: draftAuthor, in: session)
      }
      let duplicates = try await session.query(
        "SELECT case_id FROM case_links WHERE kind = 'duplicates' AND subject = $1 ORDER BY received_at, case_id",
        [found.id.rawValue]
      ).map { CaseID(try $0.value(0, as: String.self)) }
      var verdict: CaseVerdict?
      if found.state == .published,
        let row = try await session.first("SELECT body FROM case_verdicts WHERE case_id = $1", [found.id.rawValue])
      {
        verdict = try EntityCoding.decode(CaseVerdict.self, from: row.bytes(0), what: "verdict")
      }
      return CaseView(
        case: found, journal: journal, rereports: later, draft: draft, duplicates: duplicates, verdict: verdict)
    }
  }

  public func rereports(of id: CaseID) async throws -> [CaseID] {
    try await single { session in
      try await session.query(
        "SELECT case_id FROM case_links WHERE kind = 'rereports' AND subject = $1 ORDER BY received_at, case_id",
        [id.rawValue]
      ).map { CaseID(try $0.value(0, as: String.self)) }
    }
  }

  public func listCases(_ query: CaseQuery) async throws -> CasePage {
    try await listCases([query])[0]
  }

  public func listCases(_ queries: [CaseQuery]) async throws -> [CasePage] {
    try StoreRules.validate(queries)
    let policy = configuration.store.policy
    let cache = decoded
    // One snapshot for every query of a scope.
    return try await read { session in
      var pages: [CasePage] = []
      for query in queries { pages.append(try await Self.listPage(query, policy: policy, cache: cache, in: session)) }
      return pages
    }
  }

  /// One page of `query` (``CaseListingSQL`` builds the statement, as for SQLite).
  static func listPage(_ query: CaseQuery, policy: WorkflowPolicy, cache: DecodedCache, in session: PostgresSession)
    async throws -> CasePage
  {
    let limit = query.limit
    let order = query.order
    var cases: [Case] = []
    if let parts = CaseListingSQL.stateSplit(of: query) {
      // A unit's inbox over several states: the head of one index range per state, merged.
      var keyed: [(key: Int64, id: String)] = []
      for part in parts {
        let (sql, values) = CaseListingSQL.build(
          for: part, select: "\(order.keyExpression), c.id", dialect: .postgres)
        for row in try await session.query(sql, values) {
          let (key, id) = try row.decode((Int64, String).self)
          keyed.append((key, id))
        }
      }
      keyed.sort { order.isDescending ? ($0.key, $0.id) > ($1.key, $1.id) : ($0.key, $0.id) < ($1.key, $1.id) }
      // The page's cases in one statement (one round trip, not one per case), put back in the
      // merged order.
      let ids = keyed.prefix(limit + 1).map(\.id)
      var byID: [String: Case] = [:]
      for row in try await session.query(
        "SELECT \(cachedCaseColumns) FROM cases c WHERE c.id = ANY($1)", [TextList(ids)])
      {
        let found = try decodeCase(row, cache: cache)
        byID[found.id.rawValue] = found
      }
      cases = ids.compactMap { byID[$0] }
    } else {
      let (sql, values) = CaseListingSQL.build(for: query, select: cachedCaseColumns, dialect: .postgres)
      cases = try await session.query(sql, values).map { try decodeCase($0, cache: cache) }
    }
    var next: CaseCursor?
    if cases.count > limit {
      cases.removeLast(cases.count - limit)
      if let last = cases.last { next = order.cursor(after: last, policy: policy) }
    }
    return CasePage(cases: cases, nextCursor: next)
  }

  // MARK: Journal and events

  public func journal(caseID: CaseID) async throws -> [StoredJournalEntry] {
    let cache = decoded
    return try await read { session in
      let prefix = cache.journalPrefix(caseID)
      let rest = try await session.query(
        "SELECT \(Self.journalColumns) FROM journal WHERE case_id = $1 AND case_seq > $2 ORDER BY case_seq",
        [caseID.rawValue, prefix.count]
      ).map(Self.decodeJournal)
      return cache.extendJournal(caseID, prefix: prefix, with: rest)
    }
  }

  public func events(after cursor: Int64, limit: Int) async throws -> [StoredJournalEntry] {
    let bounded = try StoreRules.bounded(limit: limit, cap: 10_000)
    return try await single { session in
      try await session.query(
        "SELECT \(Self.journalColumns) FROM journal WHERE event_seq > $1 ORDER BY event_seq LIMIT $2",
        [cursor, bounded]
      ).map(Self.decodeJournal)
    }
  }

  public func latestEventSequence() async throws -> Int64 {
    try await single { session in
      try await session.first("SELECT COALESCE(MAX(event_seq), 0) FROM journal")?.value(0, as: Int64.self) ?? 0
    }
  }

  public func verifyJournal(caseID: CaseID) async throws -> JournalVerification {
    try await read { session in
      guard
        let head = try await session.first(
          "SELECT version, journal_head FROM cases WHERE id = $1", [caseID.rawValue])
      else { throw StoreError.notFound("case \(caseID)") }
      let rows = try await session.query(
        "SELECT case_seq, at, body, prev_hash, hash FROM journal WHERE case_id = $1 ORDER BY case_seq",
        [caseID.rawValue]
      ).map { row in
        JournalChain.Row(
          sequence: try row.value(0, as: Int64.self), at: try row.value(1, as: Int64.self), body: try row.bytes(2),
          previous: try row.bytes(3), hash: try row.bytes(4))
      }
      return JournalChain.verify(
        caseID: caseID, version: try head.value(0, as: Int64.self), head: try head.bytes(1), rows: rows)
    }
  }

  // MARK: Notifications

  public func notifications(for user: UserID, after: Int64, unreadOnly: Bool, limit: Int) async throws
    -> [StoredNotification]
  {
    let bounded = try StoreRules.bounded(limit: limit, cap: 1_000)
    let sql =
      "SELECT id, recipient, case_id, kind, text, at, via_mobile_app, read_at FROM notifications "
      + "WHERE recipient = $1 AND id > $2" + (unreadOnly ? " AND read_at IS NULL" : "") + " ORDER BY id LIMIT $3"
    return try await read { session in
      try await session.query(sql, [user.rawValue, after, bounded]).map { row in
        let (id, recipient, caseID, kindName, text, at, viaApp, readAt) = try row.decode(
          (Int64, String, String, String, String, Int64, Bool, Int64?).self)
        guard let kind = Notification.Kind(rawValue: kindName) else {
          throw StoreError.integrity("stored notification kind \(kindName) is unknown")
        }
        return StoredNotification(
          id: id,
          notification: Notification(
            recipient: UserID(recipient), caseID: CaseID(caseID), kind: kind, text: text,
            at: Timestamp(millisecondsSince1970: at), viaMobileApp: viaApp),
          readAt: readAt.map { Timestamp(millisecondsSince1970: $0) })
      }
    }
  }

  public func markNotificationsRead(for user: UserID, ids: [Int64], at: Timestamp) async throws -> Int {
    try await writeCaseData { session in
      try await session.changes(
        """
        UPDATE notifications SET read_at = $1
        WHERE id = ANY($2) AND recipient = $3 AND read_at IS NULL RETURNING 1
        """, [at.millisecondsSince1970, Int64List(Array(Set(ids))), user.rawValue])
    }
  }

  // MARK: Statistics

  public func caseVolume(units: [UnitID]?, from: Timestamp, to: Timestamp) async throws -> [CaseVolumeCount] {
    if units?.isEmpty == true { return [] }
    let unitFilter = units == nil ? "" : " AND EXISTS (SELECT 1 FROM unit_tasks t WHERE t.case_id = c.id AND t.unit_id = ANY($3))"
    let values: [any PostgresArgument] =
      [from.millisecondsSince1970, to.millisecondsSince1970] + (units.map { [TextList($0.map(\.rawValue))] } ?? [])
    let week = CaseVolumeSQL.weekStart("c.received_at")
    return try await read { session in
      var counts: [CaseVolumeCount] = []
      for row in try await session.query(
        """
        SELECT c.category_id, \(week), COUNT(*) FROM cases c
        WHERE c.received_at >= $1 AND c.received_at < $2\(unitFilter) GROUP BY 1, 2
        """, values)
      {
        let (category, week, count) = try row.decode((String, Int64, Int64).self)
        counts.append(
          CaseVolumeCount(
            categoryID: CategoryID(category), weekStart: Timestamp(millisecondsSince1970: week), count: Int(count)))
      }
      return counts
    }
  }

  public func unitStatistics(unitID: UnitID?, byCategory: Bool, from: Timestamp, to: Timestamp, now: Timestamp)
    async throws -> [UnitStatistics]
  {
    // The category is the case's; joined only when asked for.
    let source = byCategory ? "unit_tasks t JOIN cases c ON c.id = t.case_id" : "unit_tasks t"
    let category = byCategory ? "c.category_id" : "''::text"
    return try await read { session in
      var table = UnitStatisticsTable(byCategory: byCategory)
      let unitFilter = unitID == nil ? "" : " AND t.unit_id = $3"
      let unitValue: [any PostgresArgument] = unitID.map { [$0.rawValue] } ?? []
      for row in try await session.query(
        """
        SELECT t.unit_id, \(category), COUNT(*) FILTER (WHERE t.timeliness = 'early'),
          COUNT(*) FILTER (WHERE t.timeliness = 'on_time'), COUNT(*) FILTER (WHERE t.timeliness = 'late'),
          COUNT(*) FILTER (WHERE t.timeliness NOT IN ('early', 'on_time', 'late')),
          COUNT(*) FILTER (WHERE t.timeliness = 'not_counted'),
          COUNT(*) FILTER (WHERE t.timeliness = 'not_counted' AND t.return_confirmed = 1)
        FROM \(source) WHERE t.completed_at >= $1 AND t.completed_at < $2\(unitFilter) GROUP BY 1, 2
        """, [from.millisecondsSince1970, to.millisecondsSince1970] + unitValue)
      {
        let (unit, category, early, onTime, late, unclassified, returned, confirmed) = try row.decode(
          (String, String, Int64, Int64, Int64, Int64, Int64, Int64).self)
        table.addCompleted(
          unit: unit, category: category, early: Int(early), onTime: Int(onTime), late: Int(late),
          unclassified: Int(unclassified), returned: Int(returned), returnedConfirmed: Int(confirmed))
      }
      for row in try await session.query(
        """
        SELECT t.unit_id, \(category), COUNT(*) FROM \(source)
        WHERE t.received_at >= $1 AND t.received_at < $2\(unitFilter) GROUP BY 1, 2
        """, [from.millisecondsSince1970, to.millisecondsSince1970] + unitValue)
      {
        let (unit, category, count) = try row.decode((String, String, Int64).self)
        table.addVolume(unit: unit, category: category, received: Int(count))
      }
      // One stored column per approved task (no body decoded); the percentiles are
      // FairStatistics'.
      for row in try await session.query(
        """
        SELECT t.unit_id, \(category), t.completed_at - t.received_at - t.held_ms FROM \(source)
        WHERE t.outcome = 'resolved' AND t.completed_at >= $1 AND t.completed_at < $2\(unitFilter) ORDER BY 3
        """, [from.millisecondsSince1970, to.millisecondsSince1970] + unitValue)
      {
        let (unit, category, milliseconds) = try row.decode((String, String, Int64).self)
        table.addHandling(unit: unit, category: category, milliseconds: milliseconds)
      }
      for row in try await session.query(
        """
        SELECT t.unit_id, \(category), COUNT(*), COUNT(*) FILTER (WHERE t.due < $1 AND t.held_since IS NULL) FROM \(source)
        WHERE t.completed_at IS NULL AND t.received_at < $2\(unitFilter) GROUP BY 1, 2
        """, [now.millisecondsSince1970, to.millisecondsSince1970] + unitValue)
      {
        let (unit, category, pending, overdue) = try row.decode((String, String, Int64, Int64).self)
        table.addOpen(unit: unit, category: category, pending: Int(pending), overdue: Int(overdue))
      }
      // How the cases that ended in the period ended, and the reporters' verdicts, per unit
      // they count for (case_outcomes, case_verdicts: schema version 4).
      let joined = { (alias: String) in byCategory ? " JOIN cases c ON c.id = \(alias).case_id" : "" }
      let filter = { (alias: String) in unitID == nil ? "" : " AND \(alias).unit_id = $3" }
      for row in try await session.query(
        """
        SELECT o.unit_id, \(category), o.outcome, COUNT(*) FROM case_outcomes o\(joined("o"))
        WHERE o.ended_at >= $1 AND o.ended_at < $2\(filter("o")) GROUP BY 1, 2, 3
        """, [from.millisecondsSince1970, to.millisecondsSince1970] + unitValue)
      {
        let (unit, category, outcome, count) = try row.decode((String, String, String, Int64).self)
        table.addOutcome(unit: unit, category: category, outcome: outcome, count: Int(count))
      }
      for row in try await session.query(
        """
        SELECT v.unit_id, \(category), COUNT(*), SUM(v.rating)::bigint, COUNT(*) FILTER (WHERE v.not_resolved)
        FROM case_verdicts v\(joined("v"))
        WHERE v.recorded_at >= $1 AND v.recorded_at < $2\(filter("v")) GROUP BY 1, 2
        """, [from.millisecondsSince1970, to.millisecondsSince1970] + unitValue)
      {
        let (unit, category, count, ratingSum, notResolved) = try row.decode((String, String, Int64, Int64, Int64).self)
        table.addVerdicts(
          unit: unit, category: category, count: Int(count), ratingSum: Int(ratingSum), notResolved: Int(notResolved))
      }
      return table.sorted
    }
  }
}
