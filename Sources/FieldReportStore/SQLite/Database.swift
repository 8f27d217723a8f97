internal import CSQLite
internal import CSQLiteVFS

/// One SQLite connection, configured for the store: WAL, `foreign_keys=ON`,
/// `synchronous=NORMAL`, a busy timeout, and a prepared-statement cache.
///
/// # Thread safety
/// Not thread-safe. A `Database` is created, used and closed on a single thread: the
/// writer thread or one reader thread (see ``ConnectionThread``).
final class Database {
  /// How a connection is opened.
  enum Role {
    /// The single writer: creates the file if needed, sets WAL mode.
    case writer
    /// A reader: never writes (`query_only`).
    case reader
    /// The background checkpointer: copies the WAL back into the file, never writes rows.
    case checkpointer
    /// An operator's tool (`verify`, the source of `backup`): opened read-only
    /// (`SQLITE_OPEN_READONLY`), never creates the file, never migrates it.
    case inspector
    /// The fresh file a backup is copied into: read-write, in SQLite's default rollback-journal
    /// mode (the copy's header keeps the source's WAL setting).
    case backupTarget
  }

  /// SQLite's process-wide settings, made once before the first connection opens: no memory
  /// statistics (kept, every allocation SQLite made took one global mutex: 5 % of the writer
  /// thread's time in SubmitReport's profile, and the reader threads contended for it too;
  /// nothing here reads the statistics), and the write-coalescing VFS the writer opens its
  /// file through (``Role/writer``).
  private static let configureProcess: Bool = {
    _ = csqlite_disable_memory_statistics()
    return fieldreport_coalescing_vfs_register() == SQLITE_OK
  }()

  /// Whether SQLite counts its memory (it reports none when it does not).
  static var keepsMemoryStatistics: Bool { sqlite3_memory_used() != 0 }

  let handle: OpaquePointer
  let path: String
  private var cache: [String: Statement] = [:]

  /// Opens (and for the writer, creates) the database file.
  /// - Parameters:
  ///   - path: the file path.
  ///   - role: writer or reader.
  ///   - busyTimeoutMilliseconds: how long a statement waits on a lock before failing.
  init(path: String, role: Role, busyTimeoutMilliseconds: Int32 = 5_000) throws(SQLiteError) {
    let coalescing = Self.configureProcess
    var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
    flags |= role == .inspector ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE
    if role == .writer { flags |= SQLITE_OPEN_CREATE }
    var handle: OpaquePointer?
    // The writer appends the WAL through the write-coalescing VFS (CSQLiteVFS): SQLite writes
    // each WAL frame as two `pwrite` calls, and COMMIT (a batch's ~230 frames) took about as
    // long as all of its inserts; the VFS writes a transaction's frames in 64 KiB pieces before
    // the commit frame. Everything else, and every other connection, uses the default VFS.
    let vfs = role == .writer && coalescing ? FIELDREPORT_COALESCING_VFS_NAME : nil
    let rc = sqlite3_open_v2(path, &handle, flags, vfs)
    guard rc == SQLITE_OK, let handle else {
      let error = SQLiteError(code: rc, connection: handle)
      sqlite3_close_v2(handle)
      throw error
    }
    self.handle = handle
    self.path = path
    sqlite3_extended_result_codes(handle, 1)
    sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
    do {
      // Page caches sized for a file of a year's cases (the default 2 MB made every write
      // read its index pages from the OS: pread was a fifth of the writer's time at 16k
      // cases). Memory: the writer's 16 MiB plus 8 MiB per reader at most.
      switch role {
      case .writer:
        try execute("PRAGMA journal_mode=WAL")
        try execute("PRAGMA cache_size=-16384")
        // Checkpoints run on their own thread (``CheckpointThread``); the writer checkpoints
        // itself only if the WAL reaches ~80 MB (the checkpointer fell behind), so commits do
        // not wait for the file's fsync (the writer's stalls at 1,000 pages, the default).
        try execute("PRAGMA wal_autocheckpoint=20000")
        // Group commit runs each job in a SAVEPOINT, and SQLite keeps the pages a savepoint
        // may have to restore in a statement journal: a temporary *file* by default, past
        // 64 KiB. That file's writes were 70 % of the writer's pwrite calls (strace, SubmitReport
        // at 64 in flight). In memory it costs at most one batch's changed pages.
        try execute("PRAGMA temp_store=MEMORY")
      case .reader:
        try execute("PRAGMA query_only=ON")
        try execute("PRAGMA cache_size=-8192")
      case .checkpointer:
        try execute("PRAGMA cache_size=-512")
      case .inspector:
        try execute("PRAGMA query_only=ON")
        try execute("PRAGMA cache_size=-8192")
      case .backupTarget:
        break
      }
      try execute("PRAGMA foreign_keys=ON")
      try execute("PRAGMA synchronous=NORMAL")
    } catch {
      cache.removeAll()
      sqlite3_close_v2(handle)
      throw error
    }
  }

  deinit {
    // Statements must be finalized before the connection can close cleanly.
    cache.removeAll()
    sqlite3_close_v2(handle)
  }

  /// Runs one or more statements without parameters or results (DDL, pragmas, BEGIN/COMMIT).
  func execute(_ sql: String) throws(SQLiteError) {
    var message: UnsafeMutablePointer<CChar>?
    let rc = sqlite3_exec(handle, sql, nil, nil, &message)
    if rc != SQLITE_OK {
      let text = message.map { String(cString: $0) } ?? SQLiteError.genericText(rc)
      sqlite3_free(message)
      throw SQLiteError(code: sqlite3_extended_errcode(handle), message: text, sql: sql)
    }
  }

  /// Returns the cached prepared statement for `sql`, preparing it on first use.
  func statement(_ sql: String) throws(SQLiteError) -> Statement {
    if let cached = cache[sql] { return cached }
    let statement = try Statement(database: self, sql: sql)
    cache[sql] = statement
    return statement
  }

  /// Runs a statement that returns no rows.
  func run(_ sql: String, _ values: any SQLBindable...) throws(SQLiteError) {
    try run(sql, values)
  }

  /// Runs a statement that returns no rows.
  func run(_ sql: String, _ values: [any SQLBindable]) throws(SQLiteError) {
    let statement = try statement(sql)
    try statement.bind(values)
    defer { statement.reset() }
    while try statement.step() {}
  }

  /// Runs a query, mapping each row.
  func query<T>(
    _ sql: String, _ values: [any SQLBindable] = [], _ row: (Statement) throws -> T
  ) throws -> [T] {
    let statement = try statement(sql)
    try statement.bind(values)
    defer { statement.reset() }
    var rows: [T] = []
    while try statement.step() { rows.append(try row(statement)) }
    return rows
  }

  /// Runs a query and maps its first row, if any.
  func queryFirst<T>(
    _ sql: String, _ values: [any SQLBindable] = [], _ row: (Statement) throws -> T
  ) throws -> T? {
    let statement = try statement(sql)
    try statement.bind(values)
    defer { statement.reset() }
    guard try statement.step() else { return nil }
    return try row(statement)
  }

  /// The value of the first column of the first row, as an integer.
  func scalarInt64(_ sql: String, _ values: [any SQLBindable] = []) throws -> Int64? {
    try queryFirst(sql, values) { $0.isNull(0) ? nil : $0.int64(0) } ?? nil
  }

  /// The rowid of the last inserted row on this connection.
  var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

  /// The number of rows changed by the last statement.
  var changes: Int { Int(sqlite3_changes(handle)) }

  /// `PRAGMA user_version`: the schema version the migrator recorded.
  func userVersion() throws -> Int {
    Int(try scalarInt64("PRAGMA user_version") ?? 0)
  }

  /// Whether the connection is inside an explicit transaction.
  var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

  /// The writes SQLite asked this connection's WAL file for, and the writes that reached the
  /// file, if the connection was opened through the write-coalescing VFS (the writer; tests).
  var coalescedWrites: (requested: Int, performed: Int)? {
    var counts = fieldreport_coalesced_writes()
    guard sqlite3_file_control(handle, "main", FIELDREPORT_FCNTL_COALESCED_WRITES, &counts) == SQLITE_OK else { return nil }
    return (Int(counts.requested), Int(counts.performed))
  }

  /// Rows inserted, updated or deleted through this connection since it opened (a failed
  /// statement's own changes are undone, so they do not count).
  var totalChanges: Int64 { sqlite3_total_changes64(handle) }
}
