public import FieldReportStore
public import Logging
import NIOCore
import NIOSSL
import PostgresNIO

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
/// # Caches
/// Decoded case bodies are cached by id and version (a version never changes, on any replica,
/// so nothing needs invalidating). Reference data, sessions and API keys are **not** cached:
/// each lookup reads the database, so a revocation on another replica takes effect on the
/// next call (docs/ARCHITECTURE.md).
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
  }

  deinit {
    running.cancel()
  }

  /// Closes every connection. Later calls fail with ``StoreError/unavailable(_:)``.
  public func close() async {
    running.cancel()
    await running.value
  }

  // MARK: Transactions

  /// Runs `body` in a read-write transaction and commits it; rolls back if it throws.
  /// A transaction that lost a serialization or deadlock race, or a uniqueness race on an
  /// idempotency key, is run again once.
  @discardableResult
  func write<T: Sendable>(_ body: (PostgresSession) async throws -> T) async throws -> T {
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
