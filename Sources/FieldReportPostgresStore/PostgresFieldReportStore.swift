public import FieldReportStore
public import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import Synchronization

/// The PostgreSQL implementation of ``FieldReportStore``: several `fieldreport-server`
/// replicas on one database.
///
/// Every use case is one transaction on a connection leased from a pool (sized by
/// ``PostgresStoreConfiguration/poolSize``); reads that need one snapshot run in a
/// `REPEATABLE READ READ ONLY` transaction. The same guarantees as the SQLite store hold
/// across replicas, each from a lock or a constraint *in the database* (never from this
/// process's memory):
///
/// - **No forked journal.** ``apply(_:expectedVersion:idempotencyKey:)`` locks the case row
///   (`SELECT … FOR NO KEY UPDATE`, the lock its UPDATE takes) and checks its version before anything is written, so of two
///   writers acting on one version the second waits, then sees the new version and gets
///   ``StoreError/staleVersion(expected:actual:)``. Behind that, `journal` has
///   `UNIQUE (case_id, case_seq)`, and a trigger refuses an entry whose `prev_hash` is not the
///   hash of the case's entry `case_seq − 1` (or 32 zero bytes for entry 1).
/// - **Append-only journal.** Triggers refuse `UPDATE`, `DELETE` and `TRUNCATE` on `journal`.
/// - **No reused or skipped report code.** The day's row of `report_sequences` is
///   incremented by `INSERT … ON CONFLICT DO UPDATE … RETURNING` inside the case's
///   transaction: the row lock serializes concurrent submissions of one day until commit, and
///   a rolled-back submission rolls its increment back. `cases.report_code` is `UNIQUE`.
/// - **Gapless event order.** A journal entry's event sequence is taken from the single row
///   of `event_sequence` as the last statement before commit, so entries become visible in
///   event-sequence order and a WatchEvents reader resuming after sequence *n* can never
///   miss an entry committed later with a smaller number.
/// - **Idempotency.** Records live in `idempotency` (primary key scope, key); of two
///   concurrent first attempts with one key, the second blocks on the key, fails on commit
///   of the first, and is retried once, which then returns the recorded answer.
///
/// # Caches and notifications
/// Decoded case bodies are cached by id and version (a version never changes, on any replica,
/// so nothing needs invalidating). Reference data (units, categories, accounts, role grants,
/// transfer groups, method rights) is cached in ``PostgresReferenceCache``, kept exact across
/// replicas by the database's reference generation, read by every credential lookup; sessions,
/// API keys and client certificates are never cached (docs/ARCHITECTURE.md). A
/// ``PostgresListener`` on a connection of its own hears `NOTIFY` from every replica: journal
/// appends ring ``eventBell``, reference changes clear the cache.
///
/// # Thread safety
/// `Sendable`; all methods may be called concurrently from any task.
public final class PostgresFieldReportStore: FieldReportStore {
  /// The settings it was opened with.
  public let configuration: PostgresStoreConfiguration
  let client: PostgresClient
  let logger: Logger
  private let running: Task<Void, Never>
  /// Decoded case bodies and journals by id and version.
  let decoded: DecodedCache
  /// Attempts counted by this process's throttles since the last sweep of expired ones
  /// (``PostgresAttemptCounter``).
  let attemptTicks = Atomic<Int>(0)
  /// Reference data in memory; see ``PostgresReferenceCache`` for when it is cleared.
  let referenceCache = PostgresReferenceCache()
  /// Rung after this process's journal appends and on every `NOTIFY fieldreport_events`.
  public let eventBell = EventBell()
  let listener: PostgresListener
  private let listening: Task<Void, Never>

  /// Connects to the database and migrates it to the latest schema (replicas starting
  /// together take turns: migrations hold an advisory lock).
  /// - Parameters:
  ///   - configuration: where and how to connect.
  ///   - logger: the store's background logger (connection events).
  /// - Throws: ``StoreError/unavailable(_:)`` if the database cannot be reached;
  ///   ``StoreError/integrity(_:)`` if it was migrated by a newer build.
  public convenience init(configuration: PostgresStoreConfiguration, logger: Logger) async throws {
    try await self.init(configuration: configuration, logger: logger, schemaVersion: PostgresMigrator.latestVersion)
  }

  /// Connects and migrates up to `schemaVersion` only (tests start from earlier versions this way).
  @_spi(Testing)
  public convenience init(configuration: PostgresStoreConfiguration, logger: Logger, schemaVersion: Int)
    async throws
  {
    self.init(connecting: configuration, logger: logger)
    do {
      try await PostgresMigrator.migrate(self, upTo: schemaVersion)
    } catch {
      await close()
      throw error
    }
  }

  private init(connecting configuration: PostgresStoreConfiguration, logger: Logger) {
    self.configuration = configuration
    self.logger = logger
    self.decoded = DecodedCache(capacity: configuration.store.decodedCaseCacheSize)
    let tls: PostgresClient.Configuration.TLS
    switch configuration.tls {
    case .disable: tls = .disable
    case .prefer: tls = .prefer(.makeClientConfiguration())
    case .require: tls = .require(.makeClientConfiguration())
    }
    var clientConfiguration = PostgresClient.Configuration(
      host: configuration.host, port: configuration.port, username: configuration.username,
      password: configuration.password, database: configuration.database, tls: tls)
    clientConfiguration.options.maximumConnections = max(1, configuration.poolSize)
    clientConfiguration.options.connectTimeout = .seconds(10)
    let client = PostgresClient(configuration: clientConfiguration, backgroundLogger: logger)
    self.client = client
    self.running = Task { await client.run() }
    let (bell, cache) = (eventBell, referenceCache)
    let listener = PostgresListener(
      configuration: configuration, logger: logger,
      events: .init(
        journalAppended: { bell.ring() },
        referenceChanged: { generation in
          if let generation { cache.observe(generation) } else { cache.invalidate() }
        },
        listening: { listening in
          cache.setListening(listening)
          // Whatever was committed while nobody listened: streams look again.
          bell.ring()
        }))
    self.listener = listener
    self.listening = Task { await listener.run() }
  }

  deinit {
    listening.cancel()
    running.cancel()
  }

  /// Closes every connection. Later calls fail with ``StoreError/unavailable(_:)``.
  public func close() async {
    listening.cancel()
    await listening.value
    running.cancel()
    await running.value
  }

  // MARK: Throttles

  /// In the database: every replica counts the same attempts (``PostgresAttemptCounter``).
  public func attemptCounter(named name: String) -> any AttemptCounter {
    PostgresAttemptCounter(store: self, name: name)
  }

  // MARK: Transactions

  /// Runs `body`, which issues exactly **one** statement, outside a transaction (autocommit:
  /// one round trip instead of three; a single statement sees one snapshot anyway).
  func single<T: Sendable>(_ body: (PostgresSession) async throws -> T) async throws -> T {
    let logger = self.logger
    do {
      return try await client.withConnection { connection in
        try await body(PostgresSession(connection: connection, logger: logger))
      }
    } catch let error as PSQLError {
      throw Self.storeError(from: error)
    }
  }

  /// Runs one statement on its own (autocommit: one round trip, no `BEGIN`/`COMMIT`) and
  /// returns its rows.
  @discardableResult
  func statement(_ sql: String, _ arguments: [any PostgresArgument] = []) async throws -> [PostgresRow] {
    let logger = self.logger
    do {
      return try await client.withConnection { connection in
        try await PostgresSession(connection: connection, logger: logger).query(sql, arguments)
      }
    } catch let error as PSQLError {
      throw Self.storeError(from: error)
    }
  }

  /// Runs `body` in a read-write transaction and commits it; rolls back if it throws.
  /// A transaction that lost a serialization or deadlock race, or a uniqueness race on an
  /// idempotency key, is run again once. Then clears the reference cache (whether or not it
  /// succeeded): the default for every write, so a new write can never leave it stale.
  @discardableResult
  func write<T: Sendable>(_ body: (PostgresSession) async throws -> T) async throws -> T {
    defer { referenceCache.invalidate() }
    return try await writeCaseData(body)
  }

  /// A write that touches no cached table (cases, journal, notifications, drafts, attachments,
  /// idempotency records, sessions, API keys, certificates): the reference cache stays.
  @discardableResult
  func writeCaseData<T: Sendable>(_ body: (PostgresSession) async throws -> T) async throws -> T {
    do {
      return try await transaction("BEGIN", body)
    } catch let error as RetryableConflict {
      logger.debug("retrying a transaction after \(error.reason)")
      do {
        return try await transaction("BEGIN", body)
      } catch let again as RetryableConflict {
        throw StoreError.unavailable(.store("a transaction lost a race twice (\(again.reason))"))
      }
    }
  }

  /// A read whose result is kept in the reference cache: `get` looks it up; on a miss `load`
  /// reads the database in one snapshot with the reference generation, and `put` keeps the
  /// result unless the cache was cleared meanwhile or belongs to another generation.
  func cachedRead<T: Sendable>(
    _ get: (borrowing PostgresReferenceCache.State) -> T?,
    put: (inout PostgresReferenceCache.State, T) -> Void,
    load: (PostgresSession) async throws -> T
  ) async throws -> T {
    if let hit = referenceCache.lookup(get) { return hit }
    let clears = referenceCache.clears
    let (value, generation) = try await read { session in
      let value = try await load(session)
      let generation = try await Self.referenceGeneration(in: session)
      return (value, generation)
    }
    referenceCache.store(ifStill: clears, generation: generation) { put(&$0, value) }
    return value
  }

  /// The database's reference generation (see ``PostgresReferenceCache``).
  static func referenceGeneration(in session: PostgresSession) async throws -> Int64 {
    guard let row = try await session.first("SELECT value FROM reference_generation") else {
      throw StoreError.integrity("the reference generation row is missing")
    }
    return try row.value(0, as: Int64.self)
  }

  /// Runs `body` in a read-only snapshot (`REPEATABLE READ`): every statement sees the same
  /// committed state.
  func read<T: Sendable>(_ body: (PostgresSession) async throws -> T) async throws -> T {
    try await transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
  }

  private func transaction<T: Sendable>(_ begin: String, _ body: (PostgresSession) async throws -> T)
    async throws -> T
  {
    let logger = self.logger
    do {
      return try await client.withConnection { connection in
        let session = PostgresSession(connection: connection, logger: logger)
        try await session.execute(begin)
        do {
          let value = try await body(session)
          try await session.execute("COMMIT")
          return value
        } catch {
          // The connection goes back to the pool: it must not stay inside the failed
          // transaction. If even the rollback fails, the pool drops the broken connection.
          _ = try? await session.execute("ROLLBACK")
          throw error
        }
      }
    } catch let error as PSQLError {
      throw Self.storeError(from: error)
    }
  }

  /// A conflict that another attempt of the same transaction may not hit.
  struct RetryableConflict: Error {
    var reason: String
  }

  /// Maps a database error to ``StoreError`` (or ``RetryableConflict``): never with SQL text.
  static func storeError(from error: PSQLError) -> any Error {
    let state = error.serverInfo?[.sqlState]
    switch state {
    case "40001", "40P01": return RetryableConflict(reason: "SQLSTATE \(state ?? "")")
    case "23505" where error.serverInfo?[.tableName] == "idempotency":
      return RetryableConflict(reason: "a concurrent use of an idempotency key")
    case let state?:
      return StoreError.unavailable(
        DatabaseFailure(code: 0, extendedCode: 0, reason: "PostgreSQL error SQLSTATE \(state)"))
    case nil:
      return StoreError.unavailable(DatabaseFailure.store("PostgreSQL connection failure (\(error.code))"))
    }
  }

  /// Runs `body`, turning uniqueness and foreign-key violations into typed errors.
  @discardableResult
  static func mapConstraints<T>(duplicate: String, missing: String, _ body: () async throws -> T) async throws
    -> T
  {
    do {
      return try await body()
    } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
      throw StoreError.duplicate(duplicate)
    } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23503" {
      throw StoreError.notFound(missing)
    }
  }
}

// MARK: Test hooks

extension PostgresFieldReportStore {
  /// The schema version this build migrates to.
  @_spi(Testing)
  public static var latestSchemaVersion: Int { PostgresMigrator.latestVersion }

  /// How many times the store's listening connection has been established (1 once it first
  /// listens; more after reconnections).
  @_spi(Testing)
  public var listeningSessionsForTesting: Int { listener.listeningSessions }

  /// The schema version recorded in the database.
  @_spi(Testing)
  public func schemaVersion() async throws -> Int {
    try await read { try await PostgresMigrator.version(in: $0) }
  }

  /// Runs raw SQL in a transaction (tests tamper with rows this way).
  @_spi(Testing)
  public func executeRawSQLForTesting(_ sql: String) async throws {
    defer { decoded.removeAll() }
    try await write { try await $0.execute(sql) }
  }

  /// Reads one integer with raw SQL (tests count rows this way).
  @_spi(Testing)
  public func scalarForTesting(_ sql: String) async throws -> Int64? {
    try await read { session in
      guard let row = try await session.first(sql) else { return nil }
      return try row.value(0, as: Int64?.self)
    }
  }
}
