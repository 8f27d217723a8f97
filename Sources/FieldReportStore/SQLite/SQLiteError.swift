internal import CSQLite

/// A failure reported by the SQLite C library, as seen inside the store.
///
/// It keeps the statement text and SQLite's own message for logs and tests, but
/// its `description` says only the result code: SQL text must never travel past
/// the store (callers see ``StoreError`` and ``DatabaseFailure``).
struct SQLiteError: Error, CustomStringConvertible {
  /// The extended result code (`sqlite3_extended_errcode`).
  let extendedCode: Int32
  /// SQLite's message for this failure; may quote schema names. Internal only.
  let message: String
  /// The statement that failed, if any. Internal only.
  let sql: String?

  /// The primary result code (the low byte of the extended code).
  var code: Int32 { extendedCode & 0xFF }

  var isConstraintViolation: Bool { code == SQLITE_CONSTRAINT }
  var isUniqueViolation: Bool {
    // SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY are macro expressions that
    // Swift does not import: SQLITE_CONSTRAINT | (8 << 8) and SQLITE_CONSTRAINT | (6 << 8).
    extendedCode == SQLITE_CONSTRAINT | (8 << 8) || extendedCode == SQLITE_CONSTRAINT | (6 << 8)
  }
  /// SQLITE_CONSTRAINT_FOREIGNKEY: SQLITE_CONSTRAINT | (3 << 8).
  var isForeignKeyViolation: Bool { extendedCode == SQLITE_CONSTRAINT | (3 << 8) }
  var isBusy: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }
  /// The file's content is damaged (SQLITE_CORRUPT) or is not a database (SQLITE_NOTADB).
  var isCorruption: Bool { code == SQLITE_CORRUPT || code == SQLITE_NOTADB }

  init(code: Int32, connection: OpaquePointer?, sql: String? = nil) {
    self.extendedCode = code
    if let connection, let text = sqlite3_errmsg(connection) {
      self.message = String(cString: text)
    } else {
      self.message = Self.genericText(code)
    }
    self.sql = sql
  }

  init(code: Int32, message: String, sql: String? = nil) {
    self.extendedCode = code
    self.message = message
    self.sql = sql
  }

  var description: String { "SQLite error \(extendedCode) (\(Self.genericText(extendedCode)))" }

  /// SQLite's fixed English text for a result code; it never contains data or SQL.
  static func genericText(_ code: Int32) -> String {
    guard let text = sqlite3_errstr(code) else { return "unknown error" }
    return String(cString: text)
  }

  /// The public face of this failure: the code only.
  var publicFailure: DatabaseFailure {
    DatabaseFailure(code: code, extendedCode: extendedCode, reason: Self.genericText(extendedCode))
  }
}
