/// A JSON document as the descriptor-driven codec reads and writes it: numbers keep their
/// literal text (a 64-bit integer never passes through a `Double`), objects keep their order
/// (the codec writes fields in declaration order).
enum JSONValue: Equatable, Sendable {
  case null
  case bool(Bool)
  /// A number, exactly as written (`-12`, `1.5e3`).
  case number(String)
  case string(String)
  case array([JSONValue])
  /// Members in order; the parser refuses a key given twice.
  case object([(key: String, value: JSONValue)])

  static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
    switch (lhs, rhs) {
    case (.null, .null): true
    case (.bool(let a), .bool(let b)): a == b
    case (.number(let a), .number(let b)): a == b
    case (.string(let a), .string(let b)): a == b
    case (.array(let a), .array(let b)): a == b
    case (.object(let a), .object(let b)): a.map(\.key) == b.map(\.key) && a.map(\.value) == b.map(\.value)
    default: false
    }
  }

  /// What the value is, for error messages ("a string", "an object").
  var kindName: String {
    switch self {
    case .null: "null"
    case .bool: "a boolean"
    case .number: "a number"
    case .string: "a string"
    case .array: "an array"
    case .object: "an object"
    }
  }
}

// MARK: - Parsing

/// A JSON text that is not valid JSON, with where.
struct JSONSyntaxError: Error, CustomStringConvertible, Equatable {
  /// What is wrong.
  let reason: String
  /// 1-based line and column of the offending character.
  let line: Int
  let column: Int

  var description: String { "\(reason) at line \(line), column \(column)" }
}

extension JSONValue {
  /// Parses one JSON value (RFC 8259; surrounding whitespace allowed, nothing else after it).
  /// - Throws: ``JSONSyntaxError`` naming the line and column.
  init(parsing text: String) throws(JSONSyntaxError) {
    var parser = JSONParser(Array(text.utf8))
    self = try parser.parseDocument()
  }
}

/// A recursive-descent parser over UTF-8 bytes.
private struct JSONParser {
  let bytes: [UInt8]
  var index = 0
  var depth = 0
  /// Deeper documents are refused rather than risk the stack.
  static let maxDepth = 200

  init(_ bytes: [UInt8]) { self.bytes = bytes }

  func error(_ reason: String, at position: Int? = nil) -> JSONSyntaxError {
    let end = min(position ?? self.index, self.bytes.count)
    var line = 1, column = 1
    for byte in self.bytes[..<end] {
      if byte == UInt8(ascii: "\n") {
        line += 1
        column = 1
      } else if byte & 0xC0 != 0x80 {
        column += 1
      }
    }
    return JSONSyntaxError(reason: reason, line: line, column: column)
  }

  mutating func parseDocument() throws(JSONSyntaxError) -> JSONValue {
    self.skipWhitespace()
    guard self.index < self.bytes.count else { throw self.error("empty JSON text") }
    let value = try self.parseValue()
    self.skipWhitespace()
    guard self.index == self.bytes.count else { throw self.error("unexpected text after the JSON value") }
    return value
  }

  mutating func skipWhitespace() {
    while self.index < self.bytes.count {
      switch self.bytes[self.index] {
      case 0x20, 0x09, 0x0A, 0x0D: self.index += 1
      default: return
      }
    }
  }

  mutating func parseValue() throws(JSONSyntaxError) -> JSONValue {
    guard self.index < self.bytes.count else { throw self.error("unexpected end of the JSON text") }
    switch self.bytes[self.index] {
    case UInt8(ascii: "{"): return try self.nested { (p: inout JSONParser) throws(JSONSyntaxError) in try p.parseObject() }
    case UInt8(ascii: "["): return try self.nested { (p: inout JSONParser) throws(JSONSyntaxError) in try p.parseArray() }
    case UInt8(ascii: "\""): return .string(try self.parseString())
    case UInt8(ascii: "t"): try self.literal("true"); return .bool(true)
    case UInt8(ascii: "f"): try self.literal("false"); return .bool(false)
    case UInt8(ascii: "n"): try self.literal("null"); return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try self.parseNumber())
    default: throw self.error("unexpected character '\(Self.printable(self.bytes[self.index]))'")
    }
  }

  mutating func nested(_ body: (inout JSONParser) throws(JSONSyntaxError) -> JSONValue) throws(JSONSyntaxError) -> JSONValue {
    self.depth += 1
    defer { self.depth -= 1 }
    guard self.depth <= Self.maxDepth else { throw self.error("nested deeper than \(Self.maxDepth) levels") }
    return try body(&self)
  }

  static func printable(_ byte: UInt8) -> String {
    byte >= 0x20 && byte < 0x7F ? String(UnicodeScalar(byte)) : "\\u{\(String(byte, radix: 16))}"
  }

  mutating func literal(_ word: String) throws(JSONSyntaxError) {
    let expected = Array(word.utf8)
    guard self.bytes.count - self.index >= expected.count, Array(self.bytes[self.index..<self.index + expected.count]) == expected else {
      throw self.error("invalid literal (expected \(word))")
    }
    self.index += expected.count
  }

  mutating func parseObject() throws(JSONSyntaxError) -> JSONValue {
    self.index += 1
    var members: [(key: String, value: JSONValue)] = []
    var seen: Set<String> = []
    self.skipWhitespace()
    if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "}") {
      self.index += 1
      return .object(members)
    }
    while true {
      self.skipWhitespace()
      guard self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\"") else {
        throw self.error("expected a member name in double quotes")
      }
      let keyStart = self.index
      let key = try self.parseString()
      guard seen.insert(key).inserted else { throw self.error("the key \"\(key)\" appears twice", at: keyStart) }
      self.skipWhitespace()
      guard self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: ":") else { throw self.error("expected ':' after \"\(key)\"") }
      self.index += 1
      self.skipWhitespace()
      members.append((key, try self.parseValue()))
      self.skipWhitespace()
      guard self.index < self.bytes.count else { throw self.error("unexpected end of the JSON text (an object is not closed)") }
      switch self.bytes[self.index] {
      case UInt8(ascii: ","): self.index += 1
      case UInt8(ascii: "}"):
        self.index += 1
        return .object(members)
      default: throw self.error("expected ',' or '}' in an object")
      }
    }
  }

  mutating func parseArray() throws(JSONSyntaxError) -> JSONValue {
    self.index += 1
    var elements: [JSONValue] = []
    self.skipWhitespace()
    if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "]") {
      self.index += 1
      return .array(elements)
    }
    while true {
      self.skipWhitespace()
      elements.append(try self.parseValue())
      self.skipWhitespace()
      guard self.index < self.bytes.count else { throw self.error("unexpected end of the JSON text (an array is not closed)") }
      switch self.bytes[self.index] {
      case UInt8(ascii: ","): self.index += 1
      case UInt8(ascii: "]"):
        self.index += 1
        return .array(elements)
      default: throw self.error("expected ',' or ']' in an array")
      }
    }
  }

  mutating func parseNumber() throws(JSONSyntaxError) -> String {
    let start = self.index
    func digits(_ parser: inout JSONParser) -> Int {
      let from = parser.index
      while parser.index < parser.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(parser.bytes[parser.index]) { parser.index += 1 }
      return parser.index - from
    }
    if self.bytes[self.index] == UInt8(ascii: "-") { self.index += 1 }
    let integerStart = self.index
    let integerDigits = digits(&self)
    guard integerDigits > 0 else { throw self.error("invalid number") }
    if integerDigits > 1, self.bytes[integerStart] == UInt8(ascii: "0") { throw self.error("invalid number (leading zero)", at: integerStart) }
    if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: ".") {
      self.index += 1
      guard digits(&self) > 0 else { throw self.error("invalid number (no digit after '.')") }
    }
    if self.index < self.bytes.count, self.bytes[self.index] | 0x20 == UInt8(ascii: "e") {
      self.index += 1
      if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "+") || self.bytes[self.index] == UInt8(ascii: "-") { self.index += 1 }
      guard digits(&self) > 0 else { throw self.error("invalid number (no digit in the exponent)") }
    }
    return String(decoding: self.bytes[start..<self.index], as: UTF8.self)
  }

  mutating func parseString() throws(JSONSyntaxError) -> String {
    let start = self.index
    self.index += 1
    var out: [UInt8] = []
    while true {
      guard self.index < self.bytes.count else { throw self.error("unterminated string", at: start) }
      let byte = self.bytes[self.index]
      switch byte {
      case UInt8(ascii: "\""):
        self.index += 1
        guard let text = String(validating: out, as: UTF8.self) else { throw self.error("a string is not valid UTF-8", at: start) }
        return text
      case UInt8(ascii: "\\"):
        self.index += 1
        guard self.index < self.bytes.count else { throw self.error("unterminated string", at: start) }
        let escape = self.bytes[self.index]
        self.index += 1
        switch escape {
        case UInt8(ascii: "\""): out.append(0x22)
        case UInt8(ascii: "\\"): out.append(0x5C)
        case UInt8(ascii: "/"): out.append(0x2F)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
          var scalar = try self.hex4()
          if (0xD800..<0xDC00).contains(scalar) {
            guard self.bytes.count - self.index >= 6, self.bytes[self.index] == UInt8(ascii: "\\"), self.bytes[self.index + 1] == UInt8(ascii: "u") else {
              throw self.error("a lone UTF-16 surrogate in a \\u escape")
            }
            self.index += 2
            let low = try self.hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw self.error("a lone UTF-16 surrogate in a \\u escape") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
          } else if (0xDC00..<0xE000).contains(scalar) {
            throw self.error("a lone UTF-16 surrogate in a \\u escape")
          }
          guard let unicode = Unicode.Scalar(scalar) else { throw self.error("invalid \\u escape") }
          out.append(contentsOf: Array(String(Character(unicode)).utf8))
        default:
          throw self.error("invalid escape '\\\(Self.printable(escape))'", at: self.index - 2)
        }
      case 0x00..<0x20:
        throw self.error("a control character inside a string (escape it)")
      default:
        out.append(byte)
        self.index += 1
      }
    }
  }

  mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
    guard self.bytes.count - self.index >= 4 else { throw self.error("invalid \\u escape") }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let byte = self.bytes[self.index]
      let digit: UInt32
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
      default: throw self.error("invalid \\u escape")
      }
      value = value << 4 | digit
      self.index += 1
    }
    return value
  }
}

// MARK: - Printing

extension JSONValue {
  /// The JSON text: pretty (two-space indent, one member per line) or compact (one line).
  /// Non-ASCII text is written as UTF-8, not escaped.
  func text(pretty: Bool) -> String {
    var out = ""
    self.write(to: &out, pretty: pretty, indent: 0)
    return out
  }

  private func write(to out: inout String, pretty: Bool, indent: Int) {
    switch self {
    case .null: out += "null"
    case .bool(let value): out += value ? "true" : "false"
    case .number(let text): out += text
    case .string(let text): Self.writeString(text, to: &out)
    case .array(let elements):
      guard !elements.isEmpty else {
        out += "[]"
        return
      }
      out += "["
      for (position, element) in elements.enumerated() {
        if position > 0 { out += "," }
        if pretty { out += "\n" + String(repeating: " ", count: indent + 2) }
        element.write(to: &out, pretty: pretty, indent: indent + 2)
      }
      if pretty { out += "\n" + String(repeating: " ", count: indent) }
      out += "]"
    case .object(let members):
      guard !members.isEmpty else {
        out += "{}"
        return
      }
      out += "{"
      for (position, member) in members.enumerated() {
        if position > 0 { out += "," }
        if pretty { out += "\n" + String(repeating: " ", count: indent + 2) }
        Self.writeString(member.key, to: &out)
        out += pretty ? ": " : ":"
        member.value.write(to: &out, pretty: pretty, indent: indent + 2)
      }
      if pretty { out += "\n" + String(repeating: " ", count: indent) }
      out += "}"
    }
  }

  private static func writeString(_ text: String, to out: inout String) {
    out += "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case "\u{08}": out += "\\b"
      case "\u{0C}": out += "\\f"
      case _ where scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029:
        let hex = String(scalar.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(scalar)
      }
    }
    out += "\""
  }
}
