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
///   new version (versions only grow: the higher is kept), and the case it re-reports or
///   duplicates, if any, leaves. Each recording stamps the cases it touched with the epoch it
///   moved the index to; a case not held (or leaving) keeps a stamp-only entry that answers
///   nothing.
/// - Any other write (``SQLiteFieldReportStore/write(_:)``: reference data, bulk tools) empties
///   the index, so a write added later cannot leave it wrong.
/// - A reader that found a case with no re-reports may add it (``observe(_:rereported:since:)``)
///   only if the writer recorded nothing *of that case* since *before* its read began
///   (``epoch``), and nothing was forgotten meanwhile (a generation dropped, the index
///   emptied): every commit of that case its snapshot may have missed has then not been
///   recorded yet, and its recording will move the entry on (or make it stamp-only)
///   afterwards. (Until the tenth session any recording at all refused the finding, so under a
///   steady stream of writes no case read by a query ever entered, and GetCase of a case not
///   written since the server started always went to a reader thread.)
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
    /// The latest committed version known (0 when unknown).
    var version: Int64
    var code: ReportCode?
    /// The epoch the writer's last recording of this case moved the index to; 0 when only
    /// readers offered it.
    var recordedAt: UInt64
    /// Whether ``latest(_:)`` may answer it: false for a stamp-only entry (a case the writer
    /// recorded without knowing that its view has no links, or that leaves because it now has
    /// one).
    var answers: Bool
  }

  struct Generation {
    var latest: [CaseID: Entry] = [:]
    var codes: [ReportCode: CaseID] = [:]
  }

  struct State {
    var current = Generation()
    var previous = Generation()
    /// Moves with every recording, every forgetting and every clear; see
    /// ``observe(_:rereported:since:)``.
    var epoch: UInt64 = 0
    /// The epoch of the last forgetting (a generation dropped, the index emptied): a read
    /// begun before it may not offer what it found, since the stamps it must be checked
    /// against may be gone.
    var forgottenAt: UInt64 = 0

    func entry(_ id: CaseID) -> Entry? { current.latest[id] ?? previous.latest[id] }
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
      if let entry = state.current.latest[id] {
        guard entry.answers else { return nil }
        return ((id: id, version: entry.version), Generation())
      }
      guard let entry = state.previous.latest[id], entry.answers else { return nil }
      return ((id: id, version: entry.version), Self.set(id, entry, in: &state, capacity: capacity))
    }.map { $0.0 }
  }

  /// Records a case the writer thread just committed (called after COMMIT, before the write's
  /// caller is answered).
  package func recordCommitted(_ c: Case, isNew: Bool) {
    guard capacity > 0 else { return }
    let dropped = state.withLock { state -> [Generation] in
      state.epoch &+= 1
      let stamp = state.epoch
      var dropped: [Generation] = []
      // The case it re-reports, or duplicates, now has a link its view must show: it leaves,
      // stamped, so that a read begun before this cannot put it back.
      for subject in [c.linkedCaseID, c.rejection?.duplicateOf].compactMap({ $0 }) {
        dropped.append(Self.leave(subject, stamp: stamp, in: &state, capacity: capacity))
      }
      let held = state.entry(c.id)
      dropped.append(
        Self.set(
          c.id,
          Entry(
            version: max(c.version, held?.version ?? 0), code: c.reportCode, recordedAt: stamp,
            answers: isNew || held?.answers == true),
          in: &state, capacity: capacity))
      return dropped
    }
    _ = dropped
  }

  /// Offers what a reader found: case `c` as of a snapshot begun after `epoch` was taken,
  /// with (`rereported`) or without re-reports. Kept only when the writer recorded nothing of
  /// `c` since, and nothing was forgotten since.
  package func observe(_ c: Case, rereported: Bool, since epoch: UInt64) {
    guard capacity > 0, !rereported else { return }
    let dropped = state.withLock { state -> Generation in
      guard state.forgottenAt <= epoch else { return Generation() }
      let known = state.entry(c.id)
      if let known, known.recordedAt > epoch { return Generation() }
      return Self.set(
        c.id,
        Entry(
          version: max(c.version, known?.version ?? 0), code: c.reportCode, recordedAt: known?.recordedAt ?? 0,
          answers: true),
        in: &state, capacity: capacity)
    }
    _ = dropped
  }

  /// Forgets one case (its view gained something the index does not hold: a verdict).
  package func remove(_ id: CaseID) {
    guard capacity > 0 else { return }
    let dropped = state.withLock { state -> Generation in
      state.epoch &+= 1
      return Self.leave(id, stamp: state.epoch, in: &state, capacity: capacity)
    }
    _ = dropped
  }

  /// Forgets everything (every write other than a case's own).
  package func removeAll() {
    let dropped = state.withLock { state -> State in
      let old = state
      state = State(epoch: old.epoch &+ 1)
      state.forgottenAt = state.epoch
      return old
    }
    _ = dropped
  }

  /// Makes `id`'s entry stamp-only at `stamp` (it answers nothing, and refuses readers' findings
  /// begun before `stamp`); returns a generation dropped to make room, as ``set(_:_:in:capacity:)``.
  private static func leave(_ id: CaseID, stamp: UInt64, in state: inout State, capacity: Int) -> Generation {
    let known = state.entry(id)
    return set(
      id, Entry(version: known?.version ?? 0, code: known?.code, recordedAt: stamp, answers: false),
      in: &state, capacity: capacity)
  }

  /// Sets an entry in the current generation; returns a generation dropped to make room, to be
  /// released after the lock. Dropping forgets stamps, so it moves ``State/forgottenAt``.
  private static func set(_ id: CaseID, _ entry: Entry, in state: inout State, capacity: Int) -> Generation {
    var dropped = Generation()
    if state.current.latest.count >= capacity, state.current.latest[id] == nil {
      dropped = state.previous
      state.previous = state.current
      state.current = Generation()
      state.current.latest.reserveCapacity(capacity)
      state.current.codes.reserveCapacity(capacity)
      state.epoch &+= 1
      state.forgottenAt = state.epoch
    }
    state.current.latest[id] = entry
    if let code = entry.code { state.current.codes[code] = id }
    return dropped
  }
}
