import Synchronization

/// Pages of case listings as the SQLite store last read them, answered again from memory
/// (no reader thread, no SQL) until the next commit: what a dashboard that polls its inboxes
/// between writes costs (docs/PERFORMANCE.md, twenty-second session).
///
/// # Invalidation
/// A page is valid for the ``generation`` it was read at, and the generation moves with every
/// transaction the store's one writer thread commits, whatever it wrote (``committed()`` runs
/// on that thread right after the COMMIT, before the write's caller is answered). So a page is
/// never answered after a commit, and no write (a case, a link, reference data, a tool's bulk
/// change) needs to know which listings it changes:
/// - A reader takes the generation *before* its read transaction begins and keeps what it read
///   only if the generation is still the same when it is done (``keep(_:for:readAt:)``). Every
///   commit counted in that generation had finished before the read began, so the page shows
///   it; a commit that finished during the read but was not yet counted makes the page newer
///   than its generation, never older, and its count then retires the page.
/// - A listing's caller answered after a write (its own) therefore never gets a page read
///   before that write.
/// - Queries that depend on the clock (``CaseQuery/overdueAt``) are not kept: their key
///   changes with every call.
///
/// Only for the SQLite store, whose one writer is in this process; replicas on PostgreSQL
/// cannot know what the others commit and never use it (as ``LatestCaseIndex``).
///
/// # Memory
/// Two generations of pages, each holding at most ``capacity`` cases (a page's cases count
/// against it, an empty page as one, so at most 2 × ``capacity`` pages): when the current one is full it becomes the previous one and the previous one
/// is dropped; a lookup promotes a page from the previous one. At most 2 × ``capacity`` cases,
/// most of them the same values the ``DecodedCache`` holds. A commit empties both.
package final class ListingCache: Sendable {
  struct Pages {
    var pages: [CaseQuery: CasePage] = [:]
    /// The weight of `pages`: their cases, an empty page counting as one (so that empty answers,
    /// a search for a word nobody wrote, cannot pile up without bound between two commits).
    var cases = 0
  }

  struct State {
    /// The generation the pages below were read at.
    var generation: UInt64 = 0
    var current = Pages()
    var previous = Pages()
  }

  /// Cases (counted over pages) per cache generation; 0 turns the cache off.
  let capacity: Int
  /// Commits of the writer thread (see ``committed()``).
  private let commits = Atomic<UInt64>(0)
  private let state = Mutex(State())
  /// Listings answered from memory (tests; operators read the store's metric).
  package let hits = Atomic<Int>(0)

  package init(capacity: Int = StoreConfiguration.defaultListingCacheSize) {
    self.capacity = max(0, capacity)
  }

  /// The current generation: take it before a read transaction begins.
  package var generation: UInt64 { commits.load(ordering: .acquiring) }

  /// Counts a commit (the writer thread, right after each COMMIT): every page kept so far is
  /// retired. One atomic increment; the pages themselves are dropped by the next lookup or keep.
  package func committed() {
    commits.wrappingAdd(1, ordering: .releasing)
  }

  /// The pages of all of `queries` as read at the current generation, or nil if any is not held.
  package func pages(_ queries: [CaseQuery]) -> [CasePage]? {
    // A query that is never kept is never found: no lock, no hashing.
    guard capacity > 0, !queries.isEmpty, queries.allSatisfy(Self.isKept) else { return nil }
    let now = generation
    // What a commit retired or an overflow dropped is released here, after the lock.
    var released: [Pages] = []
    let found = state.withLock { state -> [CasePage]? in
      if state.generation != now {
        let old = Self.retire(&state, at: now)
        released = [old.current, old.previous]
        return nil
      }
      var found: [CasePage] = []
      found.reserveCapacity(queries.count)
      for query in queries {
        if let page = state.current.pages[query] {
          found.append(page)
        } else if let page = state.previous.pages[query] {
          if let dropped = Self.insert(page, for: query, into: &state, capacity: capacity) { released.append(dropped) }
          found.append(page)
        } else {
          return nil
        }
      }
      return found
    }
    released.removeAll()
    if found != nil { hits.wrappingAdd(1, ordering: .relaxed) }
    return found
  }

  /// Keeps `pages` (one per query, in order), read in a transaction that began at `generation`,
  /// unless a commit was counted since.
  package func keep(_ pages: [CasePage], for queries: [CaseQuery], readAt generation: UInt64) {
    guard capacity > 0, pages.count == queries.count, generation == self.generation else { return }
    // What this retires or drops is released after the lock.
    var released: [Pages] = []
    state.withLock { state in
      if state.generation != generation {
        // Only forward: a reader that began before a commit this state already saw keeps nothing.
        guard state.generation < generation else { return }
        let old = Self.retire(&state, at: generation)
        released = [old.current, old.previous]
      }
      for (query, page) in zip(queries, pages) where Self.isKept(query) && Self.weight(page) <= capacity {
        if let dropped = Self.insert(page, for: query, into: &state, capacity: capacity) { released.append(dropped) }
      }
    }
    released.removeAll()
  }

  /// Whether a page of `query` may be kept: not one that depends on the clock.
  static func isKept(_ query: CaseQuery) -> Bool {
    query.overdueAt == nil
  }

  /// Empties the state for `generation`; returns the old one, to be released after the lock.
  private static func retire(_ state: inout State, at generation: UInt64) -> State {
    let old = state
    state = State(generation: generation)
    return old
  }

  /// What a page counts against the capacity: its cases, at least one.
  private static func weight(_ page: CasePage) -> Int { max(1, page.cases.count) }

  /// The pages held in both generations (tests).
  package var heldPages: Int { state.withLock { $0.current.pages.count + $0.previous.pages.count } }

  /// Puts `page` in the current generation; when that overflows, it becomes the previous one
  /// and the previous one is returned, to be released after the lock.
  private static func insert(
    _ page: CasePage, for query: CaseQuery, into state: inout State, capacity: Int
  ) -> Pages? {
    if let replaced = state.current.pages.updateValue(page, forKey: query) {
      state.current.cases -= weight(replaced)
    }
    state.current.cases += weight(page)
    guard state.current.cases > capacity else { return nil }
    var current = Pages()
    current.pages[query] = page
    current.cases = weight(page)
    state.current.pages[query] = nil
    state.current.cases -= weight(page)
    let dropped = state.previous
    state.previous = state.current
    state.current = current
    return dropped
  }
}
