import FieldReportStore
import FieldReportWorkflow
import Synchronization

/// Reference data held in memory by one replica: units, categories, accounts (profile,
/// active flag, password hash), role grants, transfer groups and method rights, so that a
/// call's authentication and the names on a rendered case cost no round trip.
///
/// # Invalidation across replicas
/// The database keeps a *reference generation* (`reference_generation`, one row): a trigger on
/// every table read here bumps it in the writing transaction and sends
/// `NOTIFY fieldreport_reference, '<new generation>'` (PostgresSchemaV3). The cache remembers
/// which generation its contents belong to, and holds them only while that is the newest
/// generation it has seen:
///
/// - **Every credential lookup reads the generation** in the same statement (sessions, API
///   keys, client certificates: never cached) and calls ``observe(_:)``; a newer generation
///   clears the cache before the call reads its account and grants. A call starts after every
///   write that returned before it, so a revocation, a disabled account or a revoked role
///   committed through any replica is seen by the very next call on every replica — not
///   when the notification arrives, which is later.
/// - **The notification** clears it too (``observe(_:)`` with the payload), so a long-lived
///   stream's names do not wait for another call.
/// - **A write through this replica** clears it after commit (``invalidate()``).
/// - A value read from the database is kept only if nothing was cleared since *before* the
///   read began and the read's own generation (read in the same snapshot) is the cache's; a
///   read that overlapped a change can never leave stale data behind.
/// - While the listener is not connected (notifications would be lost), nothing is kept or
///   served.
///
/// Every map is bounded (cleared when full).
///
/// # Thread safety
/// A `Mutex` guards the state.
final class PostgresReferenceCache: Sendable {
  /// The most entries any one map holds before it is cleared.
  static let maximumEntries = 50_000

  struct State {
    /// Bumped by every clear (a read keeps its value only if this has not moved).
    var clears: UInt64 = 0
    /// The reference generation the contents belong to; nil until a read or a credential
    /// lookup tells it.
    var generation: Int64?
    /// Whether the listener is connected (else nothing is kept or served).
    var listening = false
    var units: [Unit]?
    /// `units` by id, built once when the list is kept (every case action looks units up).
    var unitsByID: [UnitID: Unit]?
    var categories: [FieldReportWorkflow.Category]?
    /// `categories` by id, built once when the list is kept.
    var categoriesByID: [CategoryID: FieldReportWorkflow.Category]?
    var users: [UserID: UserAccount?] = [:]
    var grantsByUser: [UserID: [RoleGrant]] = [:]
    var groups: [TransferGroupID: TransferGroup?] = [:]
    var groupsByUnit: [UnitID: [TransferGroup]] = [:]
    var methodRights: [UserID: MethodRights] = [:]

    mutating func clear() {
      clears &+= 1
      units = nil
      unitsByID = nil
      categories = nil
      categoriesByID = nil
      users = [:]
      grantsByUser = [:]
      groups = [:]
      groupsByUnit = [:]
      methodRights = [:]
    }
  }

  /// An account's method rights as cached (`methods` nil: not limited).
  struct MethodRights: Sendable {
    var methods: [String]?
  }

  private let state = Mutex(State())

  /// The clear count (taken before a database read whose result may be kept).
  var clears: UInt64 { state.withLock { $0.clears } }

  /// Drops everything (after a write through this replica); the next read tells the generation.
  func invalidate() {
    state.withLock { state in
      state.clear()
      state.generation = nil
    }
  }

  /// The listener connected (or reconnected) or was lost: what was heard before is no guide.
  func setListening(_ listening: Bool) {
    state.withLock { state in
      state.clear()
      state.generation = nil
      state.listening = listening
    }
  }

  /// Learns the database's reference generation (from a credential lookup or a
  /// notification): a newer one than the contents' clears them.
  func observe(_ generation: Int64) {
    state.withLock { state in
      guard let known = state.generation else {
        // Nothing is kept without a generation: adopting it clears nothing.
        state.generation = generation
        return
      }
      if generation > known {
        state.clear()
        state.generation = generation
      }
    }
  }

  /// Reads from the cache (nil while not listening).
  func lookup<T>(_ body: (borrowing State) -> T?) -> T? {
    state.withLock { state in
      guard state.listening, state.generation != nil else { return nil }
      return body(state)
    }
  }

  /// Keeps a value read from the database at reference generation `generation`, unless the
  /// cache was cleared since `clears` was taken, or the contents belong to another generation.
  func store(ifStill clears: UInt64, generation: Int64, _ body: (inout State) -> Void) {
    state.withLock { state in
      guard state.listening, state.clears == clears else { return }
      if state.generation == nil { state.generation = generation }
      guard state.generation == generation else {
        if generation > state.generation! {
          state.clear()
          state.generation = generation
        }
        return
      }
      body(&state)
    }
  }
}

extension Dictionary {
  /// Inserts, clearing the map first when it is full (the cache's memory bound).
  mutating func insertBounded(_ value: Value, for key: Key) {
    if count >= PostgresReferenceCache.maximumEntries, self[key] == nil { removeAll(keepingCapacity: true) }
    self[key] = value
  }
}
