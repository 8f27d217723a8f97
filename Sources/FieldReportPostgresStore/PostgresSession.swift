import FieldReportStore
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// A value bound to a statement parameter (`$1`, `$2`, …).
protocol PostgresArgument: Sendable {
  func bind(into bindings: inout PostgresBindings)
}

extension String: PostgresArgument {
  func bind(into bindings: inout PostgresBindings) { bindings.append(self) }
}
extension Int64: PostgresArgument {
  func bind(into bindings: inout PostgresBindings) { bindings.append(self) }
}
extension Int: PostgresArgument {
  func bind(into bindings: inout PostgresBindings) { bindings.append(Int64(self)) }
}
extension Bool: PostgresArgument {
  func bind(into bindings: inout PostgresBindings) { bindings.append(self) }
}
extension Array: PostgresArgument where Element == UInt8 {
  // bytea: `[UInt8]` itself would bind as an array of "char".
  func bind(into bindings: inout PostgresBindings) { bindings.append(ByteBuffer(bytes: self)) }
}
extension Optional: PostgresArgument where Wrapped: PostgresArgument {
  func bind(into bindings: inout PostgresBindings) {
    switch self {
    case .none: bindings.appendNull()
    case .some(let value): value.bind(into: &bindings)
    }
  }
}
/// A `bigint[]` argument (`= ANY($n)`).
struct Int64List: PostgresArgument {
  var values: [Int64]
  init(_ values: [Int64]) { self.values = values }
  func bind(into bindings: inout PostgresBindings) { bindings.append(values) }
}
/// A `boolean[]` argument (`unnest`).
struct BoolList: PostgresArgument {
  var values: [Bool]
  init(_ values: [Bool]) { self.values = values }
  func bind(into bindings: inout PostgresBindings) { bindings.append(values) }
}
/// A `text[]` argument (`= ANY($n)`, `unnest`).
struct TextList: PostgresArgument {
  var values: [String]
  init(_ values: [String]) { self.values = values }
  func bind(into bindings: inout PostgresBindings) { bindings.append(values) }
}

extension CaseListingSQL.Value: PostgresArgument {
  func bind(into bindings: inout PostgresBindings) {
    switch self {
    case .text(let text): bindings.append(text)
    case .integer(let integer): bindings.append(integer)
    }
  }
}

/// One leased connection inside one transaction (or one snapshot): what the store's methods
/// run their statements on. It never outlives the closure it is given to.
struct PostgresSession {
  let connection: PostgresConnection
  let logger: Logger

  /// Runs a statement and returns every row.
  @discardableResult
  func query(_ sql: String, _ arguments: [any PostgresArgument] = []) async throws -> [PostgresRow] {
    var bindings = PostgresBindings(capacity: arguments.count)
    for argument in arguments { argument.bind(into: &bindings) }
    return try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger).collect()
  }

  /// Runs a statement and returns its first row, if any.
  func first(_ sql: String, _ arguments: [any PostgresArgument] = []) async throws -> PostgresRow? {
    try await query(sql, arguments).first
  }

  /// Runs a statement ending in `RETURNING 1` (or any RETURNING) and returns how many rows it
  /// changed.
  func changes(_ sql: String, _ arguments: [any PostgresArgument] = []) async throws -> Int {
    try await query(sql, arguments).count
  }

  /// Runs statements without parameters, one after the other (schema migrations): postgres-nio
  /// speaks only the extended protocol, which takes one statement per query.
  func execute(_ sql: String) async throws {
    for statement in Self.statements(in: sql) {
      _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger).collect()
    }
  }

  /// `sql` split at each `;` that ends a statement: outside quotes and `$$` bodies.
  static func statements(in sql: String) -> [String] {
    var statements: [String] = []
    var current = ""
    var inDollarBody = false
    var inQuote = false
    var previous: Character = " "
    for character in sql {
      if character == "'" && !inDollarBody { inQuote.toggle() }
      if character == "$" && previous == "$" && !inQuote { inDollarBody.toggle() }
      if character == ";" && !inQuote && !inDollarBody {
        let statement = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !statement.isEmpty { statements.append(statement) }
        current = ""
      } else {
        current.append(character)
      }
      previous = character == "$" && previous == "$" ? " " : character
    }
    let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
    if !rest.isEmpty { statements.append(rest) }
    return statements
  }
}

extension PostgresRow {
  /// A `bytea` column as bytes.
  func bytes(_ column: Int) throws -> [UInt8] {
    let buffer = try makeRandomAccess()[column].decode(ByteBuffer.self)
    return Array(buffer.readableBytesView)
  }

  /// A nullable `bytea` column as bytes.
  func optionalBytes(_ column: Int) throws -> [UInt8]? {
    try makeRandomAccess()[column].decode(ByteBuffer?.self).map { Array($0.readableBytesView) }
  }

  /// A column of any decodable type.
  func value<T: PostgresDecodable>(_ column: Int, as type: T.Type = T.self) throws -> T {
    try makeRandomAccess()[column].decode(T.self)
  }
}
