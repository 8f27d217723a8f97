public import FieldReportWorkflow

// Entry points for `fieldreport-store-bench`: bulk generation in big transactions, and the
// bare SQLite reference loop (kept here because this module is the only one that may call
// sqlite3_*).
extension SQLiteFieldReportStore {
  /// Creates one case per element of `receivedAt`, all in ONE transaction.
  @_spi(Benchmark)
  public func bulkCreateForBenchmark(
    receivedAt: [Timestamp], build: @escaping @Sendable (CaseID, ReportCode) throws -> Transition
  ) async throws -> [CaseChangeResult] {
    try await write { database in
      try receivedAt.map { try self.insertNewCase(receivedAt: $0, build: build, in: database) }
    }
  }

  /// Applies transitions (each on its case's previous version), all in ONE transaction.
  @_spi(Benchmark)
  public func bulkApplyForBenchmark(_ transitions: [Transition]) async throws {
    try await write { database in
      for transition in transitions {
        _ = try self.applyInTransaction(
          transition, expectedVersion: transition.newCase.version - 1, idempotencyKey: nil,
          operation: "apply:" + transition.entry.action.rawValue, in: database)
      }
    }
  }
}

/// The reference for the store's commit rate: a bare loop inserting one ~250-byte row per
/// transaction, on a connection opened exactly like the store's writer (WAL,
/// `synchronous=NORMAL`, `foreign_keys=ON`), with one cached prepared statement.
@_spi(Benchmark)
public enum BareSQLiteBenchmark {
  /// Inserts `rows` rows, one per autocommit transaction, into a new file at `path`.
  /// - Returns: the elapsed nanoseconds of the insert loop.
  public static func singleRowInserts(path: String, rows: Int, rowBytes: Int = 250) throws -> UInt64 {
    let database = try Database(path: path, role: .writer)
    try database.execute("CREATE TABLE IF NOT EXISTS bench(id INTEGER PRIMARY KEY, payload BLOB NOT NULL)")
    let payload = [UInt8](repeating: 0x61, count: rowBytes)
    let start = ContinuousClock.now
    for _ in 0..<rows {
      try database.run("INSERT INTO bench(payload) VALUES (?)", payload)
    }
    let elapsed = ContinuousClock.now - start
    return UInt64(elapsed.components.seconds) * 1_000_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000)
  }
}
