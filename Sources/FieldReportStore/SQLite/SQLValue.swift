/// A value bound to a statement parameter.
enum SQLValue: Sendable {
  case null
  case integer(Int64)
  case real(Double)
  case text(String)
  case blob([UInt8])
}

/// Types that can be bound to a statement parameter.
protocol SQLBindable: Sendable {
  var sqlValue: SQLValue { get }
}

extension Int64: SQLBindable {
  var sqlValue: SQLValue { .integer(self) }
}
extension Int: SQLBindable {
  var sqlValue: SQLValue { .integer(Int64(self)) }
}
extension Int32: SQLBindable {
  var sqlValue: SQLValue { .integer(Int64(self)) }
}
extension Bool: SQLBindable {
  var sqlValue: SQLValue { .integer(self ? 1 : 0) }
}
extension Double: SQLBindable {
  var sqlValue: SQLValue { .real(self) }
}
extension String: SQLBindable {
  var sqlValue: SQLValue { .text(self) }
}
extension Array: SQLBindable where Element == UInt8 {
  var sqlValue: SQLValue { .blob(self) }
}
extension SQLValue: SQLBindable {
  var sqlValue: SQLValue { self }
}
extension Optional: SQLBindable where Wrapped: SQLBindable {
  var sqlValue: SQLValue {
    switch self {
    case .none: .null
    case .some(let value): value.sqlValue
    }
  }
}
