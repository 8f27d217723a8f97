import FieldReportClient  // ProtoBase64 (WireBridge, re-exported)

/// Proto3 JSON ⇄ protobuf binary for any message of a ``ProtoSchema``, from the descriptors
/// alone (no generated type).
///
/// JSON → binary (``encode(_:as:)``): field names in lowerCamelCase or as in the .proto file;
/// `null` is the default; integers as numbers or decimal strings (64-bit ones may be either);
/// floats also as `"NaN"`, `"Infinity"`, `"-Infinity"`; enums by name or number; bytes as
/// base64 (standard or URL-safe, padding optional); repeated fields as arrays (numbers and
/// bools packed unless the field says `[packed = false]`); maps as objects; a oneof member is
/// written whenever given, even at its default. An unknown field, two members of one oneof,
/// a value of the wrong kind or out of range is an error naming the field, its message and
/// where it is.
///
/// Binary → JSON (``decode(_:as:)``): the proto3 JSON form, fields in declaration order,
/// those at their default left out (a oneof member that is set is kept); 64-bit integers as
/// strings; enums by name (a number the schema does not name stays a number); unknown fields
/// skipped.
struct ProtoJSONCodec: Sendable {
  let schema: ProtoSchema

  /// Deeper nesting is refused (as the wire bridge refuses it).
  static let maxDepth = 100

  init(schema: ProtoSchema) { self.schema = schema }

  // MARK: JSON → binary

  /// Encodes `json` as the message `messageName`.
  /// - Throws: ``ProtoCodecError``.
  func encode(_ json: JSONValue, as messageName: String) throws(ProtoCodecError) -> [UInt8] {
    guard let message = self.schema.message(messageName) else { throw ProtoCodecError("no message \(messageName) in the schema") }
    var out: [UInt8] = []
    try self.encodeMessage(message, json, path: "", depth: 0, into: &out)
    return out
  }

  private func encodeMessage(_ message: MessageSchema, _ json: JSONValue, path: String, depth: Int, into out: inout [UInt8]) throws(ProtoCodecError) {
    guard depth < Self.maxDepth else { throw ProtoCodecError("nested deeper than \(Self.maxDepth) messages", at: path) }
    guard case .object(let members) = json else {
      throw ProtoCodecError("expected an object for \(message.fullName), got \(json.kindName)", at: path)
    }
    var given: [(field: FieldSchema, key: String, value: JSONValue)] = []
    var fieldKeys: [Int: String] = [:]
    var oneofKeys: [Int: String] = [:]
    for (key, value) in members {
      guard let field = message.field(named: key) else {
        throw ProtoCodecError(Self.unknownField(key, in: message), at: path)
      }
      if let other = fieldKeys[field.number] {
        throw ProtoCodecError("\"\(other)\" and \"\(key)\" are the same field of \(message.fullName)", at: path)
      }
      fieldKeys[field.number] = key
      if value == .null { continue }
      if let oneof = field.oneofIndex {
        if let other = oneofKeys[oneof] {
          throw ProtoCodecError(
            "\"\(other)\" and \"\(key)\" are both in oneof \(message.oneofs[oneof]) of \(message.fullName): give one", at: path)
        }
        oneofKeys[oneof] = key
      }
      given.append((field, key, value))
    }
    // Field-number order, as protobuf implementations write.
    for (field, key, value) in given.sorted(by: { $0.field.number < $1.field.number }) {
      try self.encodeField(field, value, path: Self.join(path, key), depth: depth, into: &out)
    }
  }

  private func encodeField(_ field: FieldSchema, _ value: JSONValue, path: String, depth: Int, into out: inout [UInt8]) throws(ProtoCodecError) {
    if field.isRepeated, field.type == .message, let entry = self.schema.message(field.typeName), entry.isMapEntry {
      guard case .object(let members) = value else { throw ProtoCodecError("expected an object (a map) for \(field.name), got \(value.kindName)", at: path) }
      guard let keyField = entry.field(number: 1), let valueField = entry.field(number: 2) else {
        throw ProtoCodecError("the map entry \(entry.fullName) lacks its key or value field", at: path)
      }
      for (key, element) in members {
        let elementPath = "\(path)[\"\(key)\"]"
        guard element != .null else { throw ProtoCodecError("a map value may not be null", at: elementPath) }
        var bytes: [UInt8] = []
        try self.encodeSingle(keyField, try Self.mapKey(key, type: keyField.type, path: elementPath), always: true, path: elementPath, depth: depth + 1, into: &bytes)
        try self.encodeSingle(valueField, element, always: true, path: elementPath, depth: depth + 1, into: &bytes)
        ProtoWire.appendTag(field.number, 2, to: &out)
        ProtoWire.appendLengthDelimited(bytes, to: &out)
      }
      return
    }
    if field.isRepeated {
      guard case .array(let elements) = value else { throw ProtoCodecError("expected an array for the repeated field \(field.name), got \(value.kindName)", at: path) }
      if field.isPacked, field.type.isPackable {
        guard !elements.isEmpty else { return }
        var payload: [UInt8] = []
        for (position, element) in elements.enumerated() {
          try self.encodeScalarPayload(field, element, path: "\(path)[\(position)]", into: &payload)
        }
        ProtoWire.appendTag(field.number, 2, to: &out)
        ProtoWire.appendLengthDelimited(payload, to: &out)
      } else {
        for (position, element) in elements.enumerated() {
          let elementPath = "\(path)[\(position)]"
          guard element != .null else { throw ProtoCodecError("an element of a repeated field may not be null", at: elementPath) }
          try self.encodeSingle(field, element, always: true, path: elementPath, depth: depth, into: &out)
        }
      }
      return
    }
    try self.encodeSingle(field, value, always: field.oneofIndex != nil, path: path, depth: depth, into: &out)
  }

  /// One value with its tag; a scalar at its default is left out unless `always`.
  private func encodeSingle(_ field: FieldSchema, _ value: JSONValue, always: Bool, path: String, depth: Int, into out: inout [UInt8]) throws(ProtoCodecError) {
    switch field.type {
    case .message:
      guard let message = self.schema.message(field.typeName) else { throw ProtoCodecError("no message \(field.typeName) in the schema", at: path) }
      var bytes: [UInt8] = []
      try self.encodeMessage(message, value, path: path, depth: depth + 1, into: &bytes)
      ProtoWire.appendTag(field.number, 2, to: &out)
      ProtoWire.appendLengthDelimited(bytes, to: &out)
    case .group:
      throw ProtoCodecError("groups are not supported (field \(field.name))", at: path)
    case .string, .bytes:
      let bytes: [UInt8]
      if field.type == .string {
        guard case .string(let text) = value else { throw ProtoCodecError("expected a string for \(field.name), got \(value.kindName)", at: path) }
        bytes = Array(text.utf8)
      } else {
        guard case .string(let text) = value, let decoded = ProtoBase64.decode(text) else {
          throw ProtoCodecError("expected base64 text for the bytes field \(field.name), got \(value.kindName == "a string" ? "a string that is not base64" : value.kindName)", at: path)
        }
        bytes = decoded
      }
      if bytes.isEmpty && !always { return }
      ProtoWire.appendTag(field.number, 2, to: &out)
      ProtoWire.appendLengthDelimited(bytes, to: &out)
    default:
      var payload: [UInt8] = []
      let isDefault = try self.encodeScalarPayload(field, value, path: path, into: &payload)
      if isDefault && !always { return }
      ProtoWire.appendTag(field.number, field.type.wireType, to: &out)
      out.append(contentsOf: payload)
    }
  }

  /// A number's, bool's or enum's encoding without a tag.
  /// - Returns: Whether the value is the type's default (0, false, +0.0).
  @discardableResult
  private func encodeScalarPayload(_ field: FieldSchema, _ value: JSONValue, path: String, into out: inout [UInt8]) throws(ProtoCodecError) -> Bool {
    switch field.type {
    case .int32, .sint32, .sfixed32:
      let number = try Self.integer(value, Int64(Int32.min), Int64(Int32.max), type: "int32", field: field, path: path)
      switch field.type {
      case .int32: ProtoWire.appendVarint(UInt64(bitPattern: number), to: &out)
      case .sint32: ProtoWire.appendVarint(ProtoWire.zigZag(number), to: &out)
      default: ProtoWire.appendFixed32(UInt32(bitPattern: Int32(number)), to: &out)
      }
      return number == 0
    case .int64, .sint64, .sfixed64:
      let number = try Self.integer(value, Int64.min, Int64.max, type: "int64", field: field, path: path)
      switch field.type {
      case .int64: ProtoWire.appendVarint(UInt64(bitPattern: number), to: &out)
      case .sint64: ProtoWire.appendVarint(ProtoWire.zigZag(number), to: &out)
      default: ProtoWire.appendFixed64(UInt64(bitPattern: number), to: &out)
      }
      return number == 0
    case .uint32, .fixed32:
      let number = try Self.unsigned(value, UInt64(UInt32.max), type: "uint32", field: field, path: path)
      if field.type == .uint32 { ProtoWire.appendVarint(number, to: &out) } else { ProtoWire.appendFixed32(UInt32(number), to: &out) }
      return number == 0
    case .uint64, .fixed64:
      let number = try Self.unsigned(value, UInt64.max, type: "uint64", field: field, path: path)
      if field.type == .uint64 { ProtoWire.appendVarint(number, to: &out) } else { ProtoWire.appendFixed64(number, to: &out) }
      return number == 0
    case .bool:
      guard case .bool(let flag) = value else { throw ProtoCodecError("expected true or false for \(field.name), got \(value.kindName)", at: path) }
      ProtoWire.appendVarint(flag ? 1 : 0, to: &out)
      return !flag
    case .double:
      let number = try Self.floating(value, field: field, path: path)
      ProtoWire.appendFixed64(number.bitPattern, to: &out)
      return number.bitPattern == 0
    case .float:
      let number = try Self.floating(value, field: field, path: path)
      // Parsed as a Float directly: through a Double, a shortest Float text could round twice.
      var single = Float(number)
      if case .number(let literal) = value, let parsed = Float(literal) { single = parsed }
      if number.isFinite && !single.isFinite {
        throw ProtoCodecError("\(number) is out of the range of the float field \(field.name)", at: path)
      }
      ProtoWire.appendFixed32(single.bitPattern, to: &out)
      return single.bitPattern == 0
    case .enumeration:
      let number: Int32
      switch value {
      case .string(let name):
        guard let enumType = self.schema.enumType(field.typeName) else { throw ProtoCodecError("no enum \(field.typeName) in the schema", at: path) }
        guard let found = enumType.number(for: name) else {
          throw ProtoCodecError(
            "\"\(name)\" is not a value of \(enumType.fullName) (field \(field.name)); the values are: "
              + enumType.values.map(\.name).joined(separator: ", "), at: path)
        }
        number = found
      case .number:
        number = Int32(try Self.integer(value, Int64(Int32.min), Int64(Int32.max), type: "enum", field: field, path: path))
      default:
        throw ProtoCodecError("expected an enum value's name (a string) for \(field.name), got \(value.kindName)", at: path)
      }
      ProtoWire.appendVarint(UInt64(bitPattern: Int64(number)), to: &out)
      return number == 0
    case .string, .bytes, .message, .group:
      throw ProtoCodecError("\(field.name) cannot be packed", at: path)
    }
  }

  // MARK: Binary → JSON

  /// Decodes `bytes` as the message `messageName`.
  /// - Throws: ``ProtoCodecError`` for bytes that are not such a message.
  func decode<Bytes: Collection<UInt8>>(_ bytes: Bytes, as messageName: String) throws(ProtoCodecError) -> JSONValue {
    guard let message = self.schema.message(messageName) else { throw ProtoCodecError("no message \(messageName) in the schema") }
    return try self.decodeMessage(message, ArraySlice(bytes), path: "", depth: 0)
  }

  private enum Slot {
    case single(JSONValue)
    /// A singular message field's bytes; a field seen twice merges, as protobuf says.
    case message([UInt8])
    case list([JSONValue])
    case map([(key: String, value: JSONValue)])
  }

  private func decodeMessage(_ message: MessageSchema, _ bytes: ArraySlice<UInt8>, path: String, depth: Int) throws(ProtoCodecError) -> JSONValue {
    guard depth < Self.maxDepth else { throw ProtoCodecError("nested deeper than \(Self.maxDepth) messages", at: path) }
    var slots: [Int: Slot] = [:]
    var oneofMember: [Int: Int] = [:]
    var reader = ProtoWire.Reader(bytes)
    do {
      while !reader.isAtEnd {
        let (number, wireType) = try reader.tag()
        guard let field = message.field(number: number) else {
          try reader.skip(wireType: wireType, number: number)
          continue
        }
        let fieldPath = Self.join(path, field.jsonName)
        if let oneof = field.oneofIndex {
          if let previous = oneofMember[oneof], previous != number { slots[previous] = nil }
          oneofMember[oneof] = number
        }
        if field.isRepeated, field.type == .message, let entry = self.schema.message(field.typeName), entry.isMapEntry {
          guard wireType == 2 else { throw ProtoCodecError("field \(field.name) has wire type \(wireType), expected 2", at: fieldPath) }
          let (key, value) = try self.decodeMapEntry(entry, try reader.lengthDelimited(), path: fieldPath, depth: depth + 1)
          guard case .map(var entries) = slots[number] ?? .map([]) else { continue }
          if let existing = entries.firstIndex(where: { $0.key == key }) { entries.remove(at: existing) }
          entries.append((key, value))
          slots[number] = .map(entries)
        } else if field.isRepeated {
          guard case .list(var elements) = slots[number] ?? .list([]) else { continue }
          if wireType == 2 && field.type.isPackable {
            var packed = ProtoWire.Reader(try reader.lengthDelimited())
            while !packed.isAtEnd {
              elements.append(try self.decodeValue(field, wireType: field.type.wireType, from: &packed, path: fieldPath, depth: depth))
            }
          } else {
            elements.append(try self.decodeValue(field, wireType: wireType, from: &reader, path: fieldPath, depth: depth))
          }
          slots[number] = .list(elements)
        } else if field.type == .message {
          guard wireType == 2 else { throw ProtoCodecError("field \(field.name) has wire type \(wireType), expected 2", at: fieldPath) }
          var merged: [UInt8] = []
          if case .message(let earlier) = slots[number] { merged = earlier }
          merged.append(contentsOf: try reader.lengthDelimited())
          slots[number] = .message(merged)
        } else {
          slots[number] = .single(try self.decodeValue(field, wireType: wireType, from: &reader, path: fieldPath, depth: depth))
        }
      }
    } catch let error as ProtoWire.Malformed {
      throw ProtoCodecError("not a valid \(message.fullName): \(error.reason)", at: path)
    } catch let error as ProtoCodecError {
      throw error
    } catch {
      throw ProtoCodecError("not a valid \(message.fullName): \(error)", at: path)
    }
    var members: [(key: String, value: JSONValue)] = []
    for field in message.fields {
      guard let slot = slots[field.number] else { continue }
      let fieldPath = Self.join(path, field.jsonName)
      switch slot {
      case .list(let elements):
        if !elements.isEmpty { members.append((field.jsonName, .array(elements))) }
      case .map(let entries):
        if !entries.isEmpty { members.append((field.jsonName, .object(entries))) }
      case .message(let bytes):
        guard let type = self.schema.message(field.typeName) else { throw ProtoCodecError("no message \(field.typeName) in the schema", at: fieldPath) }
        members.append((field.jsonName, try self.decodeMessage(type, bytes[...], path: fieldPath, depth: depth + 1)))
      case .single(let value):
        if field.oneofIndex != nil || !self.isDefault(value, of: field) { members.append((field.jsonName, value)) }
      }
    }
    return .object(members)
  }

  private func decodeMapEntry(_ entry: MessageSchema, _ bytes: ArraySlice<UInt8>, path: String, depth: Int) throws(ProtoCodecError) -> (String, JSONValue) {
    guard case .object(let members) = try self.decodeMessage(entry, bytes, path: path, depth: depth) else { return ("", .null) }
    let keyField = entry.field(number: 1), valueField = entry.field(number: 2)
    let key = members.first { $0.key == keyField?.jsonName }?.value
    var value = members.first { $0.key == valueField?.jsonName }?.value
    if value == nil, let valueField {
      value = self.defaultValue(valueField)
    }
    let keyText: String
    switch key {
    case .string(let text)?: keyText = text
    case .number(let text)?: keyText = text
    case .bool(let flag)?: keyText = flag ? "true" : "false"
    default: keyText = keyField?.type == .bool ? "false" : (keyField?.type == .string ? "" : "0")
    }
    return (keyText, value ?? .null)
  }

  /// A field's default in JSON (for a map value that was left out).
  private func defaultValue(_ field: FieldSchema) -> JSONValue {
    switch field.type {
    case .message: .object([])
    case .string: .string("")
    case .bytes: .string("")
    case .bool: .bool(false)
    case .int64, .uint64, .sint64, .fixed64, .sfixed64: .string("0")
    case .enumeration: self.schema.enumType(field.typeName)?.name(for: 0).map { .string($0) } ?? .number("0")
    default: .number("0")
    }
  }

  private func decodeValue(_ field: FieldSchema, wireType: Int, from reader: inout ProtoWire.Reader, path: String, depth: Int) throws -> JSONValue {
    let expected = field.type.wireType
    guard wireType == expected else { throw ProtoCodecError("field \(field.name) has wire type \(wireType), expected \(expected)", at: path) }
    switch field.type {
    case .int32: return .number(String(Int32(truncatingIfNeeded: try reader.varint())))
    case .sint32: return .number(String(Int32(truncatingIfNeeded: ProtoWire.unZigZag(try reader.varint()))))
    case .uint32: return .number(String(UInt32(truncatingIfNeeded: try reader.varint())))
    case .int64: return .string(String(Int64(bitPattern: try reader.varint())))
    case .sint64: return .string(String(ProtoWire.unZigZag(try reader.varint())))
    case .uint64: return .string(String(try reader.varint()))
    case .fixed32: return .number(String(try reader.fixed32()))
    case .sfixed32: return .number(String(Int32(bitPattern: try reader.fixed32())))
    case .fixed64: return .string(String(try reader.fixed64()))
    case .sfixed64: return .string(String(Int64(bitPattern: try reader.fixed64())))
    case .bool: return .bool(try reader.varint() != 0)
    case .float:
      let value = Float(bitPattern: try reader.fixed32())
      return Self.floatJSON(Double(value), text: "\(value)")
    case .double:
      let value = Double(bitPattern: try reader.fixed64())
      return Self.floatJSON(value, text: "\(value)")
    case .enumeration:
      let number = Int32(truncatingIfNeeded: try reader.varint())
      if let name = self.schema.enumType(field.typeName)?.name(for: number) { return .string(name) }
      return .number(String(number))
    case .string:
      let bytes = try reader.lengthDelimited()
      guard let text = String(validating: bytes, as: UTF8.self) else { throw ProtoCodecError("the string field \(field.name) is not valid UTF-8", at: path) }
      return .string(text)
    case .bytes:
      return .string(ProtoBase64.encode(try reader.lengthDelimited()))
    case .message:
      guard let message = self.schema.message(field.typeName) else { throw ProtoCodecError("no message \(field.typeName) in the schema", at: path) }
      return try self.decodeMessage(message, try reader.lengthDelimited(), path: path, depth: depth + 1)
    case .group:
      throw ProtoCodecError("groups are not supported (field \(field.name))", at: path)
    }
  }

  // MARK: Helpers

  private static func floatJSON(_ value: Double, text: String) -> JSONValue {
    if value.isNaN { return .string("NaN") }
    if value.isInfinite { return .string(value < 0 ? "-Infinity" : "Infinity") }
    return .number(text)
  }

  /// Whether a decoded singular value is its field's default (left out of the JSON).
  private func isDefault(_ value: JSONValue, of field: FieldSchema) -> Bool {
    switch (value, field.type) {
    case (.bool(let flag), _): !flag
    case (.string(let text), .string), (.string(let text), .bytes): text.isEmpty
    case (.string(let name), .enumeration): self.schema.enumType(field.typeName)?.number(for: name) == 0
    case (.string(let text), _): text == "0"
    case (.number(let text), _): !text.hasPrefix("-") && Double(text) == 0
    default: false
    }
  }

  static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

  private static func unknownField(_ key: String, in message: MessageSchema) -> String {
    let names = message.fields.map(\.jsonName)
    let near = NearMatches.find(key, among: names + message.fields.map(\.name))
    var text = "unknown field \"\(key)\" in \(message.fullName)"
    if let first = near.first, let field = message.field(named: first) {
      text += "; did you mean \"\(field.jsonName)\"?"
    } else if names.isEmpty {
      text += ", which has no fields"
    } else {
      text += "; its fields are: " + names.joined(separator: ", ")
    }
    return text
  }

  /// An integer from a JSON number (integral, possibly with a fraction of zero or an
  /// exponent) or a decimal string.
  private static func integer(_ value: JSONValue, _ low: Int64, _ high: Int64, type: String, field: FieldSchema, path: String) throws(ProtoCodecError) -> Int64 {
    let text: String
    switch value {
    case .number(let literal): text = literal
    case .string(let literal): text = literal
    default: throw ProtoCodecError("expected an integer for \(field.name), got \(value.kindName)", at: path)
    }
    var number = Int64(text)
    if number == nil, !text.isEmpty, text.allSatisfy({ "0123456789+-.eE".contains($0) }), let double = Double(text),
      double.rounded() == double, double >= -9.223372036854775808e18, double < 9.223372036854775808e18
    {
      number = Int64(double)
    }
    guard let number else { throw ProtoCodecError("\(Self.quoted(value)) is not an integer (field \(field.name), \(type))", at: path) }
    guard number >= low, number <= high else { throw ProtoCodecError("\(text) is out of the range of the \(type) field \(field.name)", at: path) }
    return number
  }

  private static func unsigned(_ value: JSONValue, _ high: UInt64, type: String, field: FieldSchema, path: String) throws(ProtoCodecError) -> UInt64 {
    let text: String
    switch value {
    case .number(let literal): text = literal
    case .string(let literal): text = literal
    default: throw ProtoCodecError("expected an integer for \(field.name), got \(value.kindName)", at: path)
    }
    var number = UInt64(text)
    if number == nil, !text.isEmpty, !text.hasPrefix("-"), text.allSatisfy({ "0123456789+.eE".contains($0) }), let double = Double(text),
      double.rounded() == double, double >= 0, double < 1.8446744073709552e19
    {
      number = UInt64(double)
    }
    if number == nil, text.hasPrefix("-"), Int64(text) != nil || Double(text) != nil {
      throw ProtoCodecError("\(text) is out of the range of the \(type) field \(field.name)", at: path)
    }
    guard let number else { throw ProtoCodecError("\(Self.quoted(value)) is not an integer (field \(field.name), \(type))", at: path) }
    guard number <= high else { throw ProtoCodecError("\(text) is out of the range of the \(type) field \(field.name)", at: path) }
    return number
  }

  private static func floating(_ value: JSONValue, field: FieldSchema, path: String) throws(ProtoCodecError) -> Double {
    switch value {
    case .number(let literal):
      if let number = Double(literal) { return number }
    case .string("NaN"): return .nan
    case .string("Infinity"): return .infinity
    case .string("-Infinity"): return -.infinity
    case .string(let literal):
      if !literal.isEmpty, literal.allSatisfy({ "0123456789+-.eE".contains($0) }), let number = Double(literal) { return number }
    default:
      throw ProtoCodecError("expected a number for \(field.name), got \(value.kindName)", at: path)
    }
    throw ProtoCodecError("\(Self.quoted(value)) is not a number (field \(field.name))", at: path)
  }

  private static func quoted(_ value: JSONValue) -> String { value.text(pretty: false) }

  /// A map key (always a JSON string) as a value of the key field's type.
  private static func mapKey(_ key: String, type: ProtoFieldType, path: String) throws(ProtoCodecError) -> JSONValue {
    switch type {
    case .string: return .string(key)
    case .bool:
      guard key == "true" || key == "false" else { throw ProtoCodecError("a bool map key must be \"true\" or \"false\", not \"\(key)\"", at: path) }
      return .bool(key == "true")
    default: return .string(key)
    }
  }
}

/// A JSON value that is not the message the schema describes, with where it is
/// (`report.attachments[1].name`).
struct ProtoCodecError: Error, Equatable, CustomStringConvertible {
  /// What is wrong, naming the field and its message.
  let reason: String
  /// The JSON path of the offending value; empty at the top.
  let path: String

  init(_ reason: String, at path: String = "") {
    self.reason = reason
    self.path = path
  }

  var description: String { self.path.isEmpty ? self.reason : "\(self.reason) (at \(self.path))" }
}
