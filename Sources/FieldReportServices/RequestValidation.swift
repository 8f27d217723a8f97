import FieldReportWorkflow
import RPCCore

/// Field checks shared by the handlers; each failure is INVALID_ARGUMENT naming the field.
enum RequestValidation {
  /// A text of `min`…`maxBytes` UTF-8 bytes (leading/trailing spaces allowed but not counted
  /// as content for the minimum), without control characters other than newlines and tabs.
  static func text(_ value: String, _ field: String, min: Int = 0, maxBytes: Int) throws(RPCError) {
    let bytes = value.utf8.count
    if bytes > maxBytes { throw invalidArgument(field, "at most \(maxBytes) bytes, got \(bytes)") }
    if min > 0 && value.allSatisfy(\.isWhitespace) {
      throw invalidArgument(field, "must not be empty")
    }
    if bytes < min { throw invalidArgument(field, "at least \(min) bytes") }
    if value.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" && $0 != "\t" && $0 != "\r" }) {
      throw invalidArgument(field, "must not contain control characters")
    }
  }

  /// A required opaque id: 1 to 64 bytes of printable ASCII.
  static func id(_ value: String, _ field: String) throws(RPCError) {
    if value.isEmpty { throw invalidArgument(field, "required") }
    if value.utf8.count > 64 || !value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
      throw invalidArgument(field, "not a valid id (1 to 64 printable ASCII bytes)")
    }
  }

  /// An optional id (empty means none).
  static func optionalID(_ value: String, _ field: String) throws(RPCError) {
    if !value.isEmpty { try id(value, field) }
  }

  /// A login name: 3 to 64 characters of `[a-z0-9._-]`.
  static func username(_ value: String, _ field: String = "username") throws(RPCError) {
    guard (3...64).contains(value.utf8.count),
      value.utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D })
    else { throw invalidArgument(field, "3 to 64 characters of a-z, 0-9, '.', '_' and '-'") }
  }

  /// A unit code: 1 to 32 characters of `[A-Za-z0-9_-]`.
  static func unitCode(_ value: String, _ field: String = "unit_code") throws(RPCError) {
    guard (1...32).contains(value.utf8.count),
      value.utf8.allSatisfy({
        (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F || $0 == 0x2D
      })
    else { throw invalidArgument(field, "1 to 32 characters of A-Z, a-z, 0-9, '_' and '-'") }
  }

  /// A new password: 10 to 1,024 bytes, not equal to the username.
  static func newPassword(_ value: String, _ field: String, username: String?) throws(RPCError) {
    let bytes = value.utf8.count
    if bytes < 10 { throw invalidArgument(field, "at least 10 bytes") }
    if bytes > 1024 { throw invalidArgument(field, "at most 1,024 bytes") }
    if let username, value.lowercased() == username.lowercased() {
      throw invalidArgument(field, "must differ from the username")
    }
  }

  /// An optional idempotency key: empty, or 1 to 128 printable ASCII bytes.
  static func idempotencyKey(_ value: String, _ field: String = "idempotency_key") throws(RPCError) {
    guard !value.isEmpty else { return }
    if value.utf8.count > 128 || !value.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
      throw invalidArgument(field, "1 to 128 printable ASCII bytes")
    }
  }

  /// A page size: 0 (default) or positive.
  static func pageSize(_ value: Int32, _ field: String = "page_size") throws(RPCError) {
    if value < 0 { throw invalidArgument(field, "must not be negative") }
  }

  /// A member list: at most `max`, no duplicates, each a valid id.
  static func memberList(_ ids: [String], _ field: String, max: Int = 500) throws(RPCError) {
    if ids.count > max { throw invalidArgument(field, "at most \(max) members, got \(ids.count)") }
    var seen = Set<String>()
    for (index, id) in ids.enumerated() {
      try Self.id(id, "\(field)[\(index)]")
      if !seen.insert(id).inserted { throw invalidArgument("\(field)[\(index)]", "duplicate member \(id)") }
    }
  }
}
