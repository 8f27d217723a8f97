internal import CSQLite

/// A prepared statement with typed binding and column reading.
///
/// # Thread safety
/// Confined to the thread of the ``Database`` that prepared it.
final class Statement {
  let handle: OpaquePointer
  let sql: String
  private unowned let database: Database

  init(database: Database, sql: String) throws(SQLiteError) {
    var handle: OpaquePointer?
    let rc = sqlite3_prepare_v3(
      database.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &handle, nil)
    guard rc == SQLITE_OK, let handle else {
      sqlite3_finalize(handle)
      throw SQLiteError(code: rc, connection: database.handle, sql: sql)
    }
    self.handle = handle
    self.sql = sql
    self.database = database
  }

  deinit {
    sqlite3_finalize(handle)
  }

  /// Clears previous bindings and state, then binds `values` to parameters 1...n.
  func bind(_ values: [any SQLBindable]) throws(SQLiteError) {
    sqlite3_reset(handle)
    sqlite3_clear_bindings(handle)
    let expected = Int(sqlite3_bind_parameter_count(handle))
    guard expected == values.count else {
      throw SQLiteError(
        code: SQLITE_RANGE,
        message: "statement takes \(expected) parameters, \(values.count) given", sql: sql)
    }
    for (offset, value) in values.enumerated() {
      try bind(value.sqlValue, at: Int32(offset + 1))
    }
  }

  private func bind(_ value: SQLValue, at index: Int32) throws(SQLiteError) {
    let rc: Int32
    switch value {
    case .null:
      rc = sqlite3_bind_null(handle, index)
    case .integer(let v):
      rc = sqlite3_bind_int64(handle, index, v)
    case .real(let v):
      rc = sqlite3_bind_double(handle, index, v)
    case .text(var v):
      // With its length, from the string's own UTF-8: passing `v` as a C string made Swift copy
      // every short (inline) string into a new NUL-terminated array first, a malloc per bound
      // text (7 % of the writer's mallocs in a SubmitReport profile). SQLite copies the bytes
      // (SQLITE_TRANSIENT). An empty string still needs a non-NULL pointer (NULL binds SQL NULL).
      rc = v.withUTF8 { utf8 in
        guard let base = utf8.baseAddress, !utf8.isEmpty else {
          return sqlite3_bind_text(handle, index, "", 0, csqlite_transient())
        }
        return base.withMemoryRebound(to: CChar.self, capacity: utf8.count) {
          sqlite3_bind_text(handle, index, $0, Int32(utf8.count), csqlite_transient())
        }
      }
    case .blob(let bytes):
      rc = bytes.withUnsafeBytes { raw in
        // An empty array may have no base address; SQLite needs a non-NULL pointer for
        // a zero-length blob (NULL would bind SQL NULL).
        if raw.isEmpty { return sqlite3_bind_zeroblob(handle, index, 0) }
        return sqlite3_bind_blob(handle, index, raw.baseAddress, Int32(raw.count), csqlite_transient())
      }
    }
    guard rc == SQLITE_OK else { throw SQLiteError(code: rc, connection: database.handle, sql: sql) }
  }

  /// Advances to the next row; returns `false` when done.
  func step() throws(SQLiteError) -> Bool {
    let rc = sqlite3_step(handle)
    switch rc {
    case SQLITE_ROW: return true
    case SQLITE_DONE: return false
    default:
      let error = SQLiteError(code: sqlite3_extended_errcode(database.handle), connection: database.handle, sql: sql)
      sqlite3_reset(handle)
      throw error
    }
  }

  /// Resets the statement so that it releases its read snapshot and can be reused.
  func reset() {
    sqlite3_reset(handle)
  }

  // MARK: Columns

  func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

  func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

  func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(handle, column)) }

  func bool(_ column: Int32) -> Bool { sqlite3_column_int64(handle, column) != 0 }

  func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }

  func optionalInt64(_ column: Int32) -> Int64? { isNull(column) ? nil : int64(column) }

  func text(_ column: Int32) -> String {
    guard let pointer = sqlite3_column_text(handle, column) else { return "" }
    let count = Int(sqlite3_column_bytes(handle, column))
    // Decoding with replacement: text columns were written from Swift strings, so they are
    // valid UTF-8 unless the file was edited; then the hash chain reports it.
    return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
  }

  func optionalText(_ column: Int32) -> String? { isNull(column) ? nil : text(column) }

  func blob(_ column: Int32) -> [UInt8] {
    let count = Int(sqlite3_column_bytes(handle, column))
    guard count > 0, let pointer = sqlite3_column_blob(handle, column) else { return [] }
    return Array(UnsafeRawBufferPointer(start: pointer, count: count))
  }

  func optionalBlob(_ column: Int32) -> [UInt8]? { isNull(column) ? nil : blob(column) }
}
