import Foundation
#if canImport(Glibc)
  import Glibc
#endif
public import FieldReportWorkflow

/// The SQLite implementation of ``FieldReportStore``.
///
/// One writer connection runs on its own thread and batches concurrent mutations into one
/// transaction (group commit, each mutation in its own SAVEPOINT); a small pool of reader
/// connections serves queries from WAL snapshots. No SQLite call ever runs on a NIO event
/// loop or the Swift cooperative pool.
///
/// # Thread safety
/// `Sendable`; all methods may be called concurrently from any task.
public final class SQLiteFieldReportStore: FieldReportStore {
  /// The database file.
  public let path: String
  /// The settings it was opened with.
  public let configuration: StoreConfiguration

  let writer: WriterThread
  let readers: ReaderPool
  let checkpointer: CheckpointThread?
  /// Reference data and verified credentials in memory; see ``ReferenceCache`` for when it
  /// is cleared.
  let cache = ReferenceCache()
  /// Decoded case bodies and journals by id and version (no invalidation needed; see
  /// ``DecodedCache``).
  let decoded: DecodedCache
  /// The latest committed version of cases no report re-reports, recorded by the writer
  /// thread (see ``LatestCaseIndex`` for why it stays true): a case's view from memory.
  let latestCases: LatestCaseIndex
  /// Listing pages as last read, until the writer's next commit (see ``ListingCache`` for why
  /// that is enough): an inbox polled between writes is answered from memory.
  package let listings: ListingCache
  let metrics: StoreMetrics
  /// This process's claim to the file: see ``DatabaseFileLock``.
  let fileLock: DatabaseFileLock?
  /// How often an update's expected row (``CaseRows/ExpectedRow``) was taken and how often
  /// the row did not match it and was read after all (runs of the job: a batch that runs again
  /// counts its jobs again; tests only).
  let caseRowHints = (taken: SharedCount(), missed: SharedCount())
  /// Each day's last report number, in memory (loaded when the store opens; see
  /// ``ReportSequences``).
  let reportSequences = ReportSequences()
  /// Which idempotency keys may be recorded, in memory (loaded when the store opens; see
  /// ``IdempotencyKeyFilter``): a fresh key needs no read.
  let idempotencyKeys = IdempotencyKeyFilter()
  /// Rung after each commit that appends to the journal (one process writes a SQLite database,
  /// so its own commits are all the events there are).
  public let eventBell = EventBell()

  /// Opens (creating if needed) the database at `path` and migrates it to the latest schema.
  /// - Throws: ``StoreError/unavailable(_:)`` if the file cannot be opened;
  ///   ``StoreError/integrity(_:)`` if it was written by a newer schema.
  public convenience init(path: String, configuration: StoreConfiguration = StoreConfiguration()) async throws {
    try await self.init(path: path, configuration: configuration, schemaVersion: Migrator.latestVersion)
  }

  /// Opens the file and migrates it up to `schemaVersion` only (tests create old files this way).
  /// `locksFile: false` opens a second store on a file another store serves (tests of rows
  /// changed behind a store's back; never the server: see ``DatabaseFileLock``).
  @_spi(Testing)
  public init(path: String, configuration: StoreConfiguration, schemaVersion: Int, locksFile: Bool = true) async throws {
    self.path = path
    self.configuration = configuration
    self.decoded = DecodedCache(capacity: configuration.decodedCaseCacheSize)
    self.latestCases = LatestCaseIndex(capacity: configuration.decodedCaseCacheSize)
    let listings = ListingCache(capacity: configuration.listingCacheSize)
    self.listings = listings
    try Self.makePrivate(path)
    fileLock = locksFile ? try DatabaseFileLock(databasePath: path) : nil
    let metrics = StoreMetrics()
    self.metrics = metrics
    do {
      let writerConnection = try Database(
        path: path, role: .writer, busyTimeoutMilliseconds: configuration.busyTimeoutMilliseconds)
      writer = WriterThread(database: writerConnection, metrics: metrics, committed: { listings.committed() })
    } catch {
      throw storeError(from: error)
    }
    let now = Int64(Date().timeIntervalSince1970 * 1000)
    do {
      let sequences = reportSequences
      let keys = idempotencyKeys
      _ = try await writer.write { database in
        let migrated = try Migrator.migrate(database, upTo: schemaVersion, now: now, policy: configuration.policy)
        sequences.load(try ReportSequences.stored(in: database))
        try keys.load(from: database)
        return migrated
      }
      var readerConnections: [Database] = []
      for _ in 0..<max(1, configuration.readerCount) {
        readerConnections.append(
          try Database(path: path, role: .reader, busyTimeoutMilliseconds: configuration.busyTimeoutMilliseconds))
      }
      let checkpointConnection = try Database(
        path: path, role: .checkpointer, busyTimeoutMilliseconds: configuration.busyTimeoutMilliseconds)
      readers = ReaderPool(databases: readerConnections, metrics: metrics)
      checkpointer = CheckpointThread(database: checkpointConnection, transactions: writer.transactions)
    } catch {
      readers = ReaderPool(databases: [], metrics: metrics)
      checkpointer = nil
      await Self.join(writer, readers, nil)
      throw storeError(from: error)
    }
  }

  /// The database holds reporters' names and phones and password hashes: it is created
  /// readable by its owner only (0600), whatever the umask, and an existing file (with its
  /// `-wal` and `-shm`) is made so. SQLite creates the `-wal` and `-shm` files with the
  /// database file's permissions.
  static func makePrivate(_ path: String) throws {
    if !FileManager.default.fileExists(atPath: path) {
      let descriptor = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
      if descriptor >= 0 {
        _ = Glibc.close(descriptor)
      } else if errno != EEXIST {
        throw StoreError.unavailable(.store("the database file \(path) cannot be created (errno \(errno))"))
      }
    }
    for file in [path, path + "-wal", path + "-shm", path + "-lock"] where FileManager.default.fileExists(atPath: file) {
      if chmod(file, 0o600) != 0 {
        throw StoreError.unavailable(.store("the permissions of \(file) cannot be set to 0600 (errno \(errno))"))
      }
    }
  }

  deinit {
    checkpointer?.shutdown()
    writer.shutdown()
    readers.shutdown()
  }

  /// Finishes queued work and closes every connection. Later calls fail with
  /// ``StoreError/unavailable(_:)``.
  public func close() async {
    await Self.join(writer, readers, checkpointer)
    fileLock?.release()
  }

  private static func join(_ writer: WriterThread, _ readers: ReaderPool, _ checkpointer: CheckpointThread?) async {
    // Joining the database threads blocks; do it on a throwaway thread, not the cooperative pool.
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
      let thread = Thread {
        checkpointer?.close()
        writer.close()
        readers.close()
        continuation.resume()
      }
      thread.start()
    }
  }

  // MARK: Throttles

  /// In memory: one process owns a SQLite database, so its own counts are all the counts.
  public func attemptCounter(named name: String) -> any AttemptCounter {
    InMemoryAttemptCounter()
  }

  // MARK: Helpers shared by the extensions

  /// A read by key (a case, a session, a user): served before ``scan(_:)``s waiting.
  func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
    try await readers.read(.prompt, body)
  }

  /// A read that may be long (a listing, statistics, a chain verified, a large content): served
  /// after the waiting lookups, so a GetCase that misses the cache does not queue behind inboxes.
  func scan<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
    try await readers.read(.background, body)
  }

  /// Runs `body` in a write transaction, then clears the reference cache and the latest-case
  /// index (whether or not it succeeded): the default for every write, so a new write can
  /// never leave either stale.
  func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
    defer {
      cache.invalidate()
      latestCases.removeAll()
    }
    let latestCases = self.latestCases
    return try await writer.write(body, committed: { _ in latestCases.removeAll() })
  }

  /// A write that touches case data only (cases, journal, notifications, drafts,
  /// attachments, idempotency records, new sessions and keys): the reference cache stays.
  /// A write that changes a case's row must pass `committed` to record it in
  /// ``latestCases`` (``createCase(receivedAt:idempotencyKey:build:)``, ``apply(_:expectedVersion:idempotencyKey:)``).
  ///
  /// `rerunnable`: `body` runs DML only and may run again after a rollback
  /// (``WriteJob/rerunnable``); batches of such writes need no savepoint per write.
  /// `checksOwnReferences`: every row `body` writes references only rows that exist and are
  /// never deleted (``WriteJob/checksOwnReferences``); batches of such writes run without
  /// SQLite's foreign-key enforcement.
  func writeCaseData<T: Sendable>(
    rerunnable: Bool = false, checksOwnReferences: Bool = false, _ body: @escaping @Sendable (Database) throws -> T,
    committed: (@Sendable (T) -> Void)? = nil
  ) async throws -> T {
    try await writer.write(body, rerunnable: rerunnable, checksOwnReferences: checksOwnReferences, committed: committed)
  }

  /// A read whose result is kept in the reference cache: `get` looks it up, `load` reads
  /// the database on a miss and `put` keeps the result unless a write happened meanwhile.
  func cachedRead<T: Sendable>(
    _ get: (ReferenceCache.State) -> T?, put: @escaping (inout ReferenceCache.State, T) -> Void,
    load: @escaping @Sendable (Database) throws -> T
  ) async throws -> T {
    if let hit = cache.lookup(get) { return hit }
    let generation = cache.generation
    let value = try await readers.read(.prompt, load)
    cache.store(ifStill: generation) { put(&$0, value) }
    return value
  }

  static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}

// MARK: Test hooks

extension SQLiteFieldReportStore {
  /// The schema version recorded in the file.
  @_spi(Testing)
  public func schemaVersion() async throws -> Int {
    try await read { try $0.userVersion() }
  }

  /// Runs raw SQL on the writer connection, in a transaction (tests tamper with the file
  /// this way, as someone with access to the file could).
  @_spi(Testing)
  public func executeRawSQLForTesting(_ sql: String) async throws {
    defer { decoded.removeAll() }
    try await write { try $0.execute(sql) }  // `write` also empties latestCases
  }

  /// The query plans (`EXPLAIN QUERY PLAN`, details joined by "; ") of the statements a
  /// listing runs: one per state for a unit's inbox over several states, else one.
  @_spi(Testing)
  public func listingPlansForTesting(_ query: CaseQuery) async throws -> [String] {
    let statements: [(String, [any SQLBindable])] =
      if let parts = Self.stateSplit(of: query) {
        parts.map { Self.listSQL(for: $0, select: Self.mergeColumns(query.order)) }
      } else {
        [Self.listSQL(for: query)]
      }
    return try await read { database in
      try statements.map { sql, values in
        try database.query("EXPLAIN QUERY PLAN " + sql, values) { $0.text(3) }.joined(separator: "; ")
      }
    }
  }

  /// Updates that relied on the row they expected, and those that found another row and read
  /// it (``CaseRows/ExpectedRow``).
  @_spi(Testing)
  public var caseRowHintsForTesting: (taken: Int, missed: Int) {
    (caseRowHints.taken.value, caseRowHints.missed.value)
  }

  /// How many background checkpoint passes have run, and how many write transactions.
  @_spi(Testing)
  public var checkpointActivityForTesting: (passes: Int, transactions: Int) {
    (checkpointer?.passes.value ?? 0, writer.transactions.value)
  }

  /// Reads one integer with raw SQL (tests count rows this way).
  @_spi(Testing)
  public func scalarForTesting(_ sql: String) async throws -> Int64? {
    try await read { try $0.scalarInt64(sql) }
  }

  /// Creates `count` cases in ONE transaction and kills the process with SIGKILL before
  /// committing, after the last row is written (the crash test's helper process calls this).
  @_spi(Testing)
  public func createCasesThenCrashForTesting(
    count: Int, receivedAt: Timestamp,
    build: @escaping @Sendable (CaseID, ReportCode) throws -> Transition
  ) async throws -> Never {
    _ = try await write { database -> Int in
      for _ in 0..<count {
        _ = try self.insertNewCase(receivedAt: receivedAt, build: build, in: database)
      }
      kill(getpid(), SIGKILL)
      return count
    }
    fatalError("unreachable: the process was killed")
  }
}
