import FieldReportWorkflow
import Synchronization

/// Which version of a case is the latest committed one, for cases that no later report
/// re-reports: what lets ``SQLiteFieldReportStore/caseView(_:draftAuthor:)`` answer from the
/// ``DecodedCache`` alone, without a reader thread or a query (docs/PERFORMANCE.md, seventh
/// session). Only for the SQLite store, whose one writer is in this process; replicas on
/// PostgreSQL cannot know what the others wrote and never use it.
///
/// # What an entry promises
/// `latest[id] == v` means: version `v` of case `id` is committed, no version after it had
/// committed when the entry was last set (see the window below), no case re-reports `id` or
/// was closed as its duplicate, and `id` has no verdict (a view from memory has none of these).
///
/// # How it stays true
/// - The writer thread records every case it commits through ``SQLiteFieldReportStore/createCase(receivedAt:idempotencyKey:build:)``
///   and ``SQLiteFieldReportStore/apply(_:expectedVersion:idempotencyKey:)`` *right after the
///   COMMIT, before that write's caller is answered* (``recordCommitted(_:isNew:)``): a new case enters
///   (nothing can re-report a case before it exists), a written case already held moves to its
///   new version (versions only grow: the higher is kept), and the case it re-reports, if any,
///   leaves.
/// - Any other write (``SQLiteFieldReportStore/write(_:)``: reference data, bulk tools) empties
///   the index, so a write added later cannot leave it wrong.
/// - A reader that found a case with no re-reports may add it (``observe(_:rereported:since:)``)
///   only if the writer recorded nothing since *before* its read began (``epoch``): every commit
///   that its snapshot may have missed has then not been recorded yet, and its recording will
///   move the entry on (or remove it) afterwards.
///
/// The window: between a COMMIT and its recording (the same writer-thread turn, microseconds)
/// a read through the index can still answer the version before; the write's caller has not
/// been answered yet then, so the read is concurrent with the write and may see either.
///
/// # Memory
/// Two generations of at most ``capacity`` entries (a lookup promotes from the older one); a
/// dropped generation only sends its cases back to the query path.
package final class LatestCaseIndex: Sendable {
  struct Entry {
    var version: Int64
    var code: ReportCode
  }

  struct Generation {
    var latest: [CaseID: Entry] = [:]
    var codes: [ReportCode: CaseID] = [:]
  }

  struct State {
    var current = Generation()
    var previous = Generation()
    /// Moves with every recording and every clear; see ``observe(_:rereported:since:)``.
    var epoch: UInt64 = 0
  }

  let capacity: Int
  private let state = Mutex(State())

  package init(capacity: Int) {
    self.capacity = max(0, capacity)
  }

  /// Taken before a read whose result may be offered to ``observe(_:rereported:since:)``.
  package var epoch: UInt64 { state.withLock { $0.epoch } }

  /// The case's id and latest committed version, if held.
  package func latest(_ key: CaseKey) -> (id: CaseID, version: Int64)? {
    guard capacity > 0 else { return nil }
    return state.withLock { state -> ((id: CaseID, version: Int64), Generation)? in
      let id: CaseID
      switch key {
      case .id(let found): id = found
      case .code(let code):
        guard let found = state.current.codes[code] ?? state.previous.codes[code] else { return nil }
        id = found
      }
      if let entry = state.current.latest[id] { return ((id, entry.version), Generation()) }
      guard let entry = state.previous.latest[id] else { return nil }
      return ((id, entry.version), Self.set(id, entry, in: &state, capacity: capacity))
    }.map { $0.0 }
  }

  /// Records a case the writer thread just committed (called after COMMIT, before the write's
  /// caller is answered).
  package func recordCommitted(_ c: Case, isNew: Bool) {
    guard capacity > 0 else { return }
    let dropped = state.withLock { state -> Generation in
      state.epoch &+= 1
      var dropped = Generation()
      // The case it re-reports, or duplicates, now has a link its view must show.
      for subject in [c.linkedCaseID, c.rejection?.duplicateOf].compactMap({ $0 }) {
        state.current.latest[subject] = nil
        state.previous.latest[subject] = nil
      }
      let held = (state.current.latest[c.id] ?? state.previous.latest[c.id])?.version
      if isNew || held != nil {
        dropped = Self.set(
          c.id, Entry(version: max(c.version, held ?? 0), code: c.reportCode), in: &state, capacity: capacity)
      }
      return dropped
    }
    _ = dropped
  }

  /// Offers what a reader found: case `c` as of a snapshot begun after `epoch` was taken,
  /// with (`rereported`) or without re-reports. Kept only when the writer recorded nothing since.
  package func observe(_ c: Case, rereported: Bool, since epoch: UInt64) {
    guard capacity > 0, !rereported else { return }
    let dropped = state.withLock { state -> Generation in
      guard state.epoch == epoch else { return Generation() }
      let held = (state.current.latest[c.id] ?? state.previous.latest[c.id])?.version ?? 0
      return Self.set(c.id, Entry(version: max(c.version, held), code: c.reportCode), in: &state, capacity: capacity)
    }
    _ = dropped
  }

  /// Forgets one case (its view gained something the index does not hold: a verdict).
  package func remove(_ id: CaseID) {
    guard capacity > 0 else { return }
    state.withLock { state in
      state.epoch &+= 1
      state.current.latest[id] = nil
      state.previous.latest[id] = nil
    }
  }

  /// Forgets everything (every write other than a case's own).
  package func removeAll() {
    let dropped = state.withLock { state -> State in
      let old = state
      state = State(epoch: old.epoch &+ 1)
      return old
    }
    _ = dropped
  }

  /// Sets an entry in the current generation; returns a generation dropped to make room, to be
  /// released after the lock.
  private static func set(_ id: CaseID, _ entry: Entry, in state: inout State, capacity: Int) -> Generation {
    var dropped = Generation()
    if state.current.latest.count >= capacity, state.current.latest[id] == nil {
      dropped = state.previous
      state.previous = state.current
      state.current = Generation()
      state.current.latest.reserveCapacity(capacity)
      state.current.codes.reserveCapacity(capacity)
    }
    state.current.latest[id] = entry
    state.current.codes[entry.code] = id
    return dropped
  }
}
