import FieldReportWorkflow
import Synchronization

/// Reference data and verified credentials held in memory, so that the hot path (every call's
/// authentication, every rendered case's unit, category and people names) costs no database
/// round trip.
///
/// # Invalidation
/// One rule, owned here: **every store write clears the whole cache after it returns**, unless
/// the write is declared to touch case data only (``SQLiteFieldReportStore/write(_:)`` clears,
/// ``SQLiteFieldReportStore/writeCaseData(_:)`` does not). A write added later therefore
/// invalidates by default. Clearing bumps a generation; a value read from the database is
/// put in the cache only if the generation has not moved since *before* the read began, so a
/// read that overlapped a write can never leave stale data behind. Because the clear happens
/// before the writing call returns, logout, revocation, a disabled account or a revoked role
/// takes effect on the very next call. Expiry is checked on every lookup (``session(token:at:)``,
/// ``apiKey(_:at:)``) against the caller's clock.
///
/// Only positive credential lookups are kept (an unknown token is always looked up), and every
/// map is bounded (cleared when full), so a flood of bad tokens or ids cannot grow memory.
///
/// The cache is per process: with several server processes on one database each would need to
/// be told of the others' writes (PostgreSQL `LISTEN/NOTIFY`); the SQLite store has one writer
/// process.
final class ReferenceCache: Sendable {
  /// The most entries any one map holds before it is cleared.
  static let maximumEntries = 50_000

  struct State {
    var generation: UInt64 = 0
    var units: [Unit]?
    var categories: [FieldReportWorkflow.Category]?
    /// ``units`` and ``categories`` by id, built once per generation for the renderers.
    var unitsByID: [UnitID: Unit]?
    var categoriesByID: [CategoryID: FieldReportWorkflow.Category]?
    var users: [UserID: UserAccount?] = [:]
    var grantsByUser: [UserID: [RoleGrant]] = [:]
    var grantsByUnit: [String: [RoleGrant]] = [:]
    var groups: [TransferGroupID: TransferGroup?] = [:]
    var sessions: [String: Session] = [:]
    var apiKeys: [String: APIKeyGrant] = [:]
    /// Live client certificate fingerprints and their accounts.
    var clientCertificates: [String: UserID] = [:]
    /// Accounts' method rights (`methods` nil: not limited).
    var methodRights: [UserID: MethodRights] = [:]
  }

  /// An account's method rights as cached.
  struct MethodRights: Sendable {
    var methods: [String]?
  }

  /// A verified API key: its account and expiry.
  struct APIKeyGrant: Sendable {
    var userID: UserID
    var expiresAt: Timestamp?
  }

  private let state = Mutex(State())

  /// The current generation (taken before a database read whose result may be cached).
  var generation: UInt64 { state.withLock { $0.generation } }

  /// Drops everything; called after every write that may change reference data. The whole
  /// state is replaced (the old one released after the lock), so a field added later is
  /// dropped too.
  func invalidate() {
    let dropped = state.withLock { state -> State in
      let old = state
      state = State(generation: old.generation &+ 1)
      return old
    }
    _ = dropped
  }

  /// Reads from the cache.
  func lookup<T>(_ body: (borrowing State) -> T?) -> T? {
    state.withLock { body($0) }
  }

  /// Stores a value read from the database, unless a write happened since `generation`.
  func store(ifStill generation: UInt64, _ body: (inout State) -> Void) {
    state.withLock { state in
      guard state.generation == generation else { return }
      body(&state)
    }
  }

  /// A cached session that is still valid at `now`.
  func session(token: String, at now: Timestamp) -> Session? {
    lookup { state in
      guard let session = state.sessions[token], session.expiresAt > now else { return nil }
      return session
    }
  }

  /// A cached API key that is still valid at `now`.
  func apiKey(_ key: String, at now: Timestamp) -> APIKeyGrant? {
    lookup { state in
      guard let grant = state.apiKeys[key] else { return nil }
      if let expiresAt = grant.expiresAt, expiresAt <= now { return nil }
      return grant
    }
  }
}

extension Dictionary {
  /// Inserts, clearing the map first when it is full (the cache's memory bound).
  mutating func insertBounded(_ value: Value, for key: Key) {
    if count >= ReferenceCache.maximumEntries, self[key] == nil { removeAll(keepingCapacity: true) }
    self[key] = value
  }
}
