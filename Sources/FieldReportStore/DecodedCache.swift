import FieldReportWorkflow
import Synchronization

/// Decoded case bodies and journals, so that the inbox's and a case's hot rows are not decoded
/// again on every read (decoding is most of a listing's cost: docs/PERFORMANCE.md).
///
/// # Invalidation
/// None is needed: a case body is cached under its id **and version**, and a stored version
/// never changes (every change writes version + 1); a journal entry never changes once
/// written (the chain forbids it), so a cached journal is a valid prefix and only entries past
/// it are read. Reads pass the row's current version, so a newer version is a miss.
///
/// # Memory
/// Two generations of at most ``capacity`` cases each: lookups promote an entry from the old
/// generation to the new one; when the new one is full the old one is dropped. At most
/// 2 × capacity cases (and their journals) are held.
///
/// A journal has no length limit (every contribution, hold and reassignment adds an entry), so
/// journals are also bounded by their entries: a generation holds at most ``journalEntryBudget``
/// entries (by default 16 per case of ``capacity``, several times the usual journal), and a
/// journal longer than that is not kept at all. Without it, a few thousand cases with long
/// journals could hold gigabytes.
package final class DecodedCache: Sendable {
  struct State {
    var current: [CaseID: Case] = [:]
    var previous: [CaseID: Case] = [:]
    var journals: [CaseID: [StoredJournalEntry]] = [:]
    var previousJournals: [CaseID: [StoredJournalEntry]] = [:]
    /// The entries in `journals` (the current generation).
    var journalEntries = 0
    /// The entries in `previousJournals`.
    var previousJournalEntries = 0
  }

  let capacity: Int
  /// The most journal entries one generation holds.
  let journalEntryBudget: Int
  private let state = Mutex(State())

  /// Journal entries per case of capacity, by default.
  package static let journalEntriesPerCase = 16

  package init(capacity: Int, journalEntryBudget: Int? = nil) {
    self.capacity = max(0, capacity)
    self.journalEntryBudget = max(0, journalEntryBudget ?? self.capacity * Self.journalEntriesPerCase)
  }

  /// The journal entries held in both generations (tests).
  package var heldJournalEntries: Int {
    state.withLock { $0.journalEntries + $0.previousJournalEntries }
  }

  /// The decoded body of case `id` at `version`, if held.
  package func `case`(_ id: CaseID, version: Int64) -> Case? {
    guard capacity > 0 else { return nil }
    // A dropped generation (see `Dropped`) is released here, after the lock.
    return state.withLock { state -> (Case, Dropped)? in
      if let found = state.current[id], found.version == version { return (found, Dropped()) }
      if let found = state.previous[id], found.version == version {
        return (found, Self.insert(found, into: &state, capacity: capacity))
      }
      return nil
    }?.0
  }

  /// The decoded body of case `id` at `version` and its whole journal up to that version, in
  /// one lookup; nil unless both are held (what a view from memory needs, with one lock taken).
  package func caseWithJournal(_ id: CaseID, version: Int64) -> (Case, [StoredJournalEntry])? {
    guard capacity > 0 else { return nil }
    // Generations dropped by the promotions are released after the lock (see `Dropped`).
    return state.withLock { state -> ((Case, [StoredJournalEntry]), Dropped, Dropped)? in
      var droppedForCase = Dropped()
      var droppedForJournal = Dropped()
      let found: Case
      if let hit = state.current[id], hit.version == version {
        found = hit
      } else if let hit = state.previous[id], hit.version == version {
        found = hit
        droppedForCase = Self.insert(hit, into: &state, capacity: capacity)
      } else {
        return nil
      }
      var journal: [StoredJournalEntry]
      if let hit = state.journals[id] {
        journal = hit
      } else if let hit = state.previousJournals[id] {
        journal = hit
        droppedForJournal = Self.insertJournal(hit, for: id, into: &state, capacity: capacity, budget: journalEntryBudget)
      } else {
        return nil
      }
      guard journal.count >= Int(version) else { return nil }
      if journal.count > Int(version) { journal = Array(journal.prefix(Int(version))) }
      return ((found, journal), droppedForCase, droppedForJournal)
    }?.0
  }

  /// Keeps a decoded body (replacing an older version of the same case).
  package func insert(_ c: Case) {
    guard capacity > 0 else { return }
    _ = state.withLock { Self.insert(c, into: &$0, capacity: capacity) }
  }

  /// A generation dropped under the lock, handed out so that its (up to ``capacity``) entries
  /// are released after the lock is let go: freeing thousands of decoded cases is the costly
  /// part of a drop, and other threads must not wait for it.
  struct Dropped {
    var cases: [CaseID: Case] = [:]
    var journals: [CaseID: [StoredJournalEntry]] = [:]
  }

  private static func insert(_ c: Case, into state: inout State, capacity: Int) -> Dropped {
    var dropped = Dropped()
    if state.current.count >= capacity, state.current[c.id] == nil {
      dropped.cases = state.previous
      state.previous = state.current
      state.current = [:]
      state.current.reserveCapacity(capacity)
    }
    state.current[c.id] = c
    return dropped
  }

  /// The cached prefix of a case's journal (possibly empty).
  package func journal(_ id: CaseID) -> [StoredJournalEntry] {
    guard capacity > 0 else { return [] }
    return state.withLock { state -> ([StoredJournalEntry], Dropped)? in
      if let found = state.journals[id] { return (found, Dropped()) }
      if let found = state.previousJournals[id] {
        return (found, Self.insertJournal(found, for: id, into: &state, capacity: capacity, budget: journalEntryBudget))
      }
      return nil
    }?.0 ?? []
  }

  /// The hash of case `id`'s journal entry number `version` (its head at that version), if
  /// that entry is held.
  package func journalHead(_ id: CaseID, version: Int64) -> [UInt8]? {
    guard capacity > 0, version > 0 else { return nil }
    let hex = state.withLock { state -> String? in
      guard let journal = state.journals[id] ?? state.previousJournals[id], journal.count >= Int(version) else {
        return nil
      }
      return journal[Int(version) - 1].hashHex
    }
    return hex.flatMap(JournalChain.bytes(fromHex:))
  }

  /// The cached prefix of a case's journal, cut at `version` when given (a read of the case at
  /// that version): the entries a read need not fetch again.
  package func journalPrefix(_ id: CaseID, upTo version: Int64? = nil) -> [StoredJournalEntry] {
    let cached = journal(id)
    guard let version, cached.count > Int(version) else { return cached }
    return Array(cached.prefix(Int(version)))
  }

  /// `prefix` (from ``journalPrefix(_:upTo:)``) followed by `rest`, the entries read after it;
  /// kept for the next read when `rest` added any. The one place both engines merge a read
  /// with the cache.
  package func extendJournal(
    _ id: CaseID, prefix: [StoredJournalEntry], with rest: [StoredJournalEntry]
  ) -> [StoredJournalEntry] {
    if rest.isEmpty { return prefix }
    let all = prefix + rest
    insertJournal(all, for: id)
    return all
  }

  /// Keeps a case's journal (entries 1...n in order).
  package func insertJournal(_ entries: [StoredJournalEntry], for id: CaseID) {
    guard capacity > 0 else { return }
    _ = state.withLock { Self.insertJournal(entries, for: id, into: &$0, capacity: capacity, budget: journalEntryBudget) }
  }

  private static func insertJournal(
    _ entries: [StoredJournalEntry], for id: CaseID, into state: inout State, capacity: Int, budget: Int
  ) -> Dropped {
    var dropped = Dropped()
    // Too long to keep: the read that fetched it uses it once.
    guard entries.count <= budget else { return dropped }
    let replaced = state.journals[id]?.count ?? 0
    let full = state.journals.count >= capacity && state.journals[id] == nil
    if full || state.journalEntries - replaced + entries.count > budget {
      dropped.journals = state.previousJournals
      state.previousJournals = state.journals
      state.previousJournalEntries = state.journalEntries
      state.journals = [:]
      state.journals.reserveCapacity(capacity)
      state.journalEntries = 0
    }
    // A journal promoted from the previous generation is counted in this one only.
    if let old = state.previousJournals.removeValue(forKey: id) { state.previousJournalEntries -= old.count }
    state.journalEntries += entries.count - (state.journals[id]?.count ?? 0)
    state.journals[id] = entries
    return dropped
  }

  /// Keeps what a committed write produced: the case's new version, and its new journal entry
  /// when the cached journal ends just before it.
  package func recordWrite(_ c: Case, entry: StoredJournalEntry) {
    guard capacity > 0 else { return }
    let dropped = state.withLock { state -> (Dropped, Dropped) in
      let cases = Self.insert(c, into: &state, capacity: capacity)
      let cached = state.journals[c.id] ?? state.previousJournals[c.id] ?? []
      guard Int64(cached.count) == entry.entry.sequence - 1 else { return (cases, Dropped()) }
      return (cases, Self.insertJournal(cached + [entry], for: c.id, into: &state, capacity: capacity, budget: journalEntryBudget))
    }
    _ = dropped
  }

  /// Drops everything (tests that edit rows behind the store's back).
  package func removeAll() {
    state.withLock { $0 = State() }
  }
}

extension CaseRows {
  /// The columns ``decodeCase(_:cache:)`` reads, in order.
  static let cachedCaseColumns = "c.id, c.version, c.body"

  /// The case with this id or report code, through the decoded-case cache; nil when absent.
  static func findCase(_ key: CaseKey, cache: DecodedCache, in database: Database) throws -> Case? {
    let (column, value) =
      switch key {
      case .id(let id): ("id", id.rawValue)
      case .code(let code): ("report_code", code.rawValue)
      }
    return try database.queryFirst("SELECT \(cachedCaseColumns) FROM cases c WHERE c.\(column) = ?", [value]) {
      try decodeCase($0, cache: cache)
    }
  }

  /// The cases with these rowids (read in the same transaction that found them), in the order
  /// given (absent ones left out), read with one statement: `rowid IN (…)` with the list
  /// padded (by repeating the last rowid) to a power of two of at least 8, so that a handful of
  /// prepared statements serve every page size.
  static func findCases(rowids: [Int64], cache: DecodedCache, in database: Database) throws -> [Case] {
    guard let last = rowids.last else { return [] }
    var width = 8
    while width < rowids.count { width *= 2 }
    let padded = rowids + Array(repeating: last, count: width - rowids.count)
    var found: [Int64: Case] = [:]
    found.reserveCapacity(rowids.count)
    _ = try database.query(findByRowidSQL(width: width), padded) { row in
      found[row.int64(0)] = try decodeCase(row, cache: cache, column: 1)
    }
    return rowids.compactMap { found[$0] }
  }

  /// The statement of ``findCases(rowids:cache:in:)`` for `width` rowids: kept for the widths
  /// pages use (built on every inbox call, its placeholders were a visible share of the
  /// reader's samples), built for others.
  static func findByRowidSQL(width: Int) -> String {
    if width.nonzeroBitCount == 1, width >= 8, width <= 256 { return findByRowidSQLs[width.trailingZeroBitCount - 3] }
    return makeFindByRowidSQL(width: width)
  }

  private static let findByRowidSQLs = (3...8).map { makeFindByRowidSQL(width: 1 << $0) }

  private static func makeFindByRowidSQL(width: Int) -> String {
    let placeholders = Array(repeating: "?", count: width).joined(separator: ", ")
    return "SELECT c.rowid, \(cachedCaseColumns) FROM cases c WHERE c.rowid IN (\(placeholders))"
  }

  /// The case in a row selected with ``cachedCaseColumns`` (starting at `column`): from the
  /// cache when this version was decoded before, else decoded and kept.
  static func decodeCase(_ statement: Statement, cache: DecodedCache, column: Int32 = 0) throws -> Case {
    let id = CaseID(statement.text(column))
    let version = statement.int64(column + 1)
    if let hit = cache.case(id, version: version) { return hit }
    let decoded = try decodeCase(statement, column: column + 2)
    cache.insert(decoded)
    return decoded
  }
}

extension CaseRows {
  /// The journal of `c` as of its version: the cached prefix plus the entries after it (the
  /// entries are immutable, so the prefix stays valid).
  static func journal(of c: Case, in database: Database, cache: DecodedCache) throws -> [StoredJournalEntry] {
    let prefix = cache.journalPrefix(c.id, upTo: c.version)
    guard prefix.count < Int(c.version) else { return prefix }
    let rest = try database.query(
      "SELECT \(journalColumns) FROM journal WHERE case_id = ? AND case_seq > ? AND case_seq <= ? ORDER BY case_seq",
      [c.id.rawValue, prefix.count, c.version]
    ) { try decodeJournal($0) }
    return cache.extendJournal(c.id, prefix: prefix, with: rest)
  }
}
