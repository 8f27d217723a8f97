/// The underlying cause of ``StoreError/unavailable(_:)``: which database failure occurred,
/// without any statement text or data.
///
/// It is safe to log. It is never meant for end users: services map it to UNAVAILABLE or
/// INTERNAL with a generic message.
public struct DatabaseFailure: Error, Sendable, Hashable, CustomStringConvertible {
  /// The engine's primary result code (for SQLite: `SQLITE_BUSY` = 5, `SQLITE_IOERR` = 10, …).
  public let code: Int32
  /// The engine's extended result code, when it has one (otherwise equal to `code`).
  public let extendedCode: Int32
  /// A fixed description of the code (for SQLite: `sqlite3_errstr`), never containing SQL or data.
  public let reason: String

  /// Creates a failure description.
  public init(code: Int32, extendedCode: Int32, reason: String) {
    self.code = code
    self.extendedCode = extendedCode
    self.reason = reason
  }

  /// A failure raised by the store itself rather than the engine (closed store, lost thread).
  public static func store(_ reason: String) -> DatabaseFailure {
    DatabaseFailure(code: -1, extendedCode: -1, reason: reason)
  }

  public var description: String { "database failure \(extendedCode): \(reason)" }
}
