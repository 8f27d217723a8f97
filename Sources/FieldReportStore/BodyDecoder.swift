/// Decodes a `Codable` value from the binary body format (``BodyFormat``).
///
/// Every read is bounds-checked: a truncated or corrupted body throws `DecodingError`, it
/// never traps. Keyed containers index their entries once (skipping nested containers by
/// their byte length) and look keys up in order first, since synthesized `Decodable`
/// conformances read fields in the order they were written.
struct BodyDecoder {
  static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
    try BodyReader.whole(bytes).readValue(T.self, at: BodyReader.valueOffset)
  }
}

/// The bytes of one body and the primitive reads over them; a class so that every container
/// of one decode shares the buffer without copying it.
final class BodyReader {
  let bytes: [UInt8]

  init(bytes: [UInt8]) { self.bytes = bytes }

  /// Where a whole body's one value starts (after the magic and version bytes).
  static let valueOffset = 2

  /// A reader of a whole body, checked to be one: the magic, a known version, and exactly one
  /// value after them (no trailing bytes). Its value starts at ``valueOffset``.
  static func whole(_ bytes: [UInt8]) throws -> BodyReader {
    guard bytes.count >= valueOffset, bytes[0] == BodyFormat.magic else { throw corrupted("not a binary body") }
    guard bytes[1] == BodyFormat.version1 else { throw corrupted("unknown body format version \(bytes[1])") }
    let reader = BodyReader(bytes: bytes)
    var end = valueOffset
    try reader.skipValue(at: valueOffset, end: &end)
    guard end == bytes.count else { throw corrupted("trailing bytes after the body") }
    return reader
  }

  static func corrupted(_ reason: String) -> DecodingError {
    .dataCorrupted(.init(codingPath: [], debugDescription: reason))
  }

  func byte(at index: Int) throws -> UInt8 {
    guard index >= 0, index < bytes.count else { throw Self.corrupted("truncated body") }
    return bytes[index]
  }

  func varint(at index: inout Int) throws -> UInt64 {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      let b = try byte(at: index)
      index += 1
      guard shift < 64 else { throw Self.corrupted("varint too long") }
      result |= UInt64(b & 0x7F) << shift
      if b < 0x80 { return result }
      shift += 7
    }
  }

  func u32(at index: Int) throws -> Int {
    guard index >= 0, index + 4 <= bytes.count else { throw Self.corrupted("truncated body") }
    return Int(bytes[index]) | Int(bytes[index + 1]) << 8 | Int(bytes[index + 2]) << 16 | Int(bytes[index + 3]) << 24
  }

  /// Reads a varint length and returns the range of that many following bytes.
  func lengthPrefixed(at index: inout Int) throws -> Range<Int> {
    let length = try varint(at: &index)
    guard length <= UInt64(bytes.count - index) else { throw Self.corrupted("length past the end of the body") }
    let range = index..<(index + Int(length))
    index = range.upperBound
    return range
  }

  /// A container's header: where its entries start, where it ends, and its entry count.
  func container(at index: Int, tag: UInt8) throws -> (first: Int, end: Int, count: Int) {
    let found = try byte(at: index)
    guard found == tag else {
      throw Self.corrupted(tag == BodyFormat.tagKeyed ? "expected a keyed container" : "expected an unkeyed container")
    }
    let length = try u32(at: index + 1)
    let count = try u32(at: index + 5)
    let first = index + BodyFormat.containerHeaderSize
    guard length <= bytes.count - first else { throw Self.corrupted("container past the end of the body") }
    return (first, first + length, count)
  }

  /// Moves past the value at `index`, setting `end` to the offset after it.
  func skipValue(at index: Int, end: inout Int) throws {
    var cursor = index + 1
    switch try byte(at: index) {
    case BodyFormat.tagNil, BodyFormat.tagFalse, BodyFormat.tagTrue: break
    case BodyFormat.tagSigned, BodyFormat.tagUnsigned: _ = try varint(at: &cursor)
    case BodyFormat.tagDouble: cursor += 8
    case BodyFormat.tagFloat: cursor += 4
    case BodyFormat.tagString: _ = try lengthPrefixed(at: &cursor)
    case BodyFormat.tagKeyed: cursor = try container(at: index, tag: BodyFormat.tagKeyed).end
    case BodyFormat.tagUnkeyed: cursor = try container(at: index, tag: BodyFormat.tagUnkeyed).end
    case let tag: throw Self.corrupted("unknown value tag \(tag)")
    }
    guard cursor <= bytes.count else { throw Self.corrupted("truncated body") }
    end = cursor
  }

  func isNil(at index: Int) throws -> Bool { try byte(at: index) == BodyFormat.tagNil }

  func readBool(at index: Int) throws -> Bool {
    switch try byte(at: index) {
    case BodyFormat.tagTrue: return true
    case BodyFormat.tagFalse: return false
    default: throw Self.corrupted("expected a Bool")
    }
  }

  func readString(at index: Int) throws -> String {
    guard try byte(at: index) == BodyFormat.tagString else { throw Self.corrupted("expected a string") }
    var cursor = index + 1
    let range = try lengthPrefixed(at: &cursor)
    // Through a buffer pointer: an `ArraySlice` of `bytes` cost a retain and release per
    // string. ASCII (identifiers, codes, most keys) needs no validation: `String(validating:)`
    // is not specialized and looked up generic metadata on every call (perf, store-bench --codec).
    let validated = bytes.withUnsafeBufferPointer { all in
      let utf8 = UnsafeBufferPointer(rebasing: all[range])
      return Self.isASCII(utf8) ? String(decoding: utf8, as: UTF8.self) : String(validating: utf8, as: UTF8.self)
    }
    guard let string = validated else {
      throw Self.corrupted("invalid UTF-8 in a string")
    }
    return string
  }

  /// Whether every byte is below 0x80, eight at a time.
  static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let base = bytes.baseAddress else { return true }
    let raw = UnsafeRawPointer(base)
    var index = 0
    var any: UInt64 = 0
    while index + 8 <= bytes.count {
      any |= raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
      index += 8
    }
    while index < bytes.count {
      any |= UInt64(base[index])
      index += 1
    }
    return any & 0x8080_8080_8080_8080 == 0
  }

  func readInteger<T: FixedWidthInteger>(_ type: T.Type, at index: Int) throws -> T {
    var cursor = index + 1
    let result: T?
    switch try byte(at: index) {
    case BodyFormat.tagSigned:
      let raw = try varint(at: &cursor)
      let value = Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
      result = T(exactly: value)
    case BodyFormat.tagUnsigned:
      result = T(exactly: try varint(at: &cursor))
    default:
      throw Self.corrupted("expected an integer")
    }
    guard let result else { throw Self.corrupted("integer out of range for \(T.self)") }
    return result
  }

  func readDouble(at index: Int) throws -> Double {
    switch try byte(at: index) {
    case BodyFormat.tagDouble:
      guard index + 9 <= bytes.count else { throw Self.corrupted("truncated body") }
      var bits: UInt64 = 0
      for offset in (1...8).reversed() { bits = bits << 8 | UInt64(bytes[index + offset]) }
      return Double(bitPattern: bits)
    case BodyFormat.tagFloat:
      return Double(try readFloat(at: index))
    case BodyFormat.tagSigned, BodyFormat.tagUnsigned:
      return Double(try readInteger(Int64.self, at: index))
    default:
      throw Self.corrupted("expected a number")
    }
  }

  func readFloat(at index: Int) throws -> Float {
    switch try byte(at: index) {
    case BodyFormat.tagFloat:
      guard index + 5 <= bytes.count else { throw Self.corrupted("truncated body") }
      var bits: UInt32 = 0
      for offset in (1...4).reversed() { bits = bits << 8 | UInt32(bytes[index + offset]) }
      return Float(bitPattern: bits)
    default:
      return Float(try readDouble(at: index))
    }
  }

  func readValue<T: Decodable>(_ type: T.Type, at index: Int) throws -> T {
    // Fast paths for the leaves, which are most of a body's values.
    if T.self == String.self, let value = try readString(at: index) as? T { return value }
    if T.self == Int.self, let value = try readInteger(Int.self, at: index) as? T { return value }
    if T.self == Int64.self, let value = try readInteger(Int64.self, at: index) as? T { return value }
    if T.self == Bool.self, let value = try readBool(at: index) as? T { return value }
    return try T(from: BodyValueDecoder(reader: self, index: index))
  }
}

/// The `Decoder` handed to one value's `init(from:)`.
private struct BodyValueDecoder: Decoder {
  let reader: BodyReader
  let index: Int
  var codingPath: [any CodingKey] { [] }
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
    KeyedDecodingContainer(try BodyKeyedDecoder<Key>(reader: reader, index: index))
  }

  func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
    try BodyUnkeyedDecoder(reader: reader, index: index)
  }

  func singleValueContainer() throws -> any SingleValueDecodingContainer {
    BodySingleValueDecoder(reader: reader, index: index)
  }
}

/// A keyed container: its entries indexed once. A class because lookups move a shared
/// in-order hint through non-mutating protocol methods.
private final class BodyKeyedDecoder<Key: CodingKey>: KeyedDecodingContainerProtocol {
  let reader: BodyReader
  /// Per entry: the key's byte range and the value's offset.
  // Unchecked exclusivity, as in ``BodyWriter``: one decode runs on one thread.
  @exclusivity(unchecked) private var keys: [Range<Int>] = []
  @exclusivity(unchecked) private var values: [Int] = []
  @exclusivity(unchecked) private var hint = 0
  var codingPath: [any CodingKey] { [] }

  init(reader: BodyReader, index: Int) throws {
    self.reader = reader
    let header = try reader.container(at: index, tag: BodyFormat.tagKeyed)
    keys.reserveCapacity(min(header.count, 64))
    values.reserveCapacity(min(header.count, 64))
    var cursor = header.first
    for _ in 0..<header.count {
      let key = try reader.lengthPrefixed(at: &cursor)
      keys.append(key)
      values.append(cursor)
      try reader.skipValue(at: cursor, end: &cursor)
      guard cursor <= header.end else { throw BodyReader.corrupted("entry past the end of its container") }
    }
    guard cursor == header.end else { throw BodyReader.corrupted("container length does not match its entries") }
  }

  var allKeys: [Key] {
    keys.compactMap { range in
      String(validating: reader.bytes[range], as: UTF8.self).flatMap { Key(stringValue: $0) }
    }
  }

  private func matches(_ entry: Int, _ key: String) -> Bool {
    var key = key
    return key.withUTF8 { wanted in
      let range = keys[entry]
      guard range.count == wanted.count else { return false }
      return reader.bytes.withUnsafeBufferPointer { all in
        var index = 0
        while index < wanted.count {
          if all[range.lowerBound + index] != wanted[index] { return false }
          index += 1
        }
        return true
      }
    }
  }

  private func find(_ key: Key) -> Int? {
    let name = key.stringValue
    if hint < keys.count, matches(hint, name) {
      hint += 1
      return values[hint - 1]
    }
    for entry in keys.indices where matches(entry, name) {
      hint = entry + 1
      return values[entry]
    }
    return nil
  }

  private func value(_ key: Key) throws -> Int {
    guard let index = find(key) else {
      throw DecodingError.keyNotFound(key, .init(codingPath: [], debugDescription: "no value for \(key.stringValue)"))
    }
    return index
  }

  func contains(_ key: Key) -> Bool {
    let saved = hint
    defer { hint = saved }
    return find(key) != nil
  }

  func decodeNil(forKey key: Key) throws -> Bool { try reader.isNil(at: value(key)) }
  func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try reader.readBool(at: value(key)) }
  func decode(_ type: String.Type, forKey key: Key) throws -> String { try reader.readString(at: value(key)) }
  func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try reader.readDouble(at: value(key)) }
  func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try reader.readFloat(at: value(key)) }
  func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try reader.readInteger(type, at: value(key)) }
  func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try reader.readInteger(type, at: value(key)) }
  func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try reader.readInteger(type, at: value(key)) }
  func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try reader.readInteger(type, at: value(key)) }
  func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try reader.readInteger(type, at: value(key)) }
  func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try reader.readInteger(type, at: value(key)) }
  func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try reader.readInteger(type, at: value(key)) }
  func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try reader.readInteger(type, at: value(key)) }
  func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try reader.readInteger(type, at: value(key)) }
  func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try reader.readInteger(type, at: value(key)) }
  func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try reader.readValue(type, at: value(key)) }

  func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
    guard let index = find(key), try !reader.isNil(at: index) else { return nil }
    return try reader.readValue(type, at: index)
  }
  func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? {
    guard let index = find(key), try !reader.isNil(at: index) else { return nil }
    return try reader.readString(at: index)
  }
  func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? {
    guard let index = find(key), try !reader.isNil(at: index) else { return nil }
    return try reader.readInteger(type, at: index)
  }
  func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? {
    guard let index = find(key), try !reader.isNil(at: index) else { return nil }
    return try reader.readInteger(type, at: index)
  }
  func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? {
    guard let index = find(key), try !reader.isNil(at: index) else { return nil }
    return try reader.readBool(at: index)
  }

  func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
    KeyedDecodingContainer(try BodyKeyedDecoder<NestedKey>(reader: reader, index: value(key)))
  }

  func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
    try BodyUnkeyedDecoder(reader: reader, index: value(key))
  }

  func superDecoder() throws -> any Decoder {
    guard let key = Key(stringValue: "super") else { throw BodyReader.corrupted("no 'super' key") }
    return try superDecoder(forKey: key)
  }

  func superDecoder(forKey key: Key) throws -> any Decoder {
    BodyValueDecoder(reader: reader, index: try value(key))
  }
}

private struct BodyUnkeyedDecoder: UnkeyedDecodingContainer {
  let reader: BodyReader
  let end: Int
  private(set) var count: Int?
  private(set) var currentIndex = 0
  private var cursor: Int
  var codingPath: [any CodingKey] { [] }
  var isAtEnd: Bool { currentIndex >= (count ?? 0) }

  init(reader: BodyReader, index: Int) throws {
    self.reader = reader
    let header = try reader.container(at: index, tag: BodyFormat.tagUnkeyed)
    self.end = header.end
    self.count = header.count
    self.cursor = header.first
  }

  /// The offset of the next element, advancing past it.
  private mutating func next() throws -> Int {
    guard !isAtEnd else { throw BodyReader.corrupted("no more elements in an unkeyed container") }
    let index = cursor
    try reader.skipValue(at: index, end: &cursor)
    guard cursor <= end else { throw BodyReader.corrupted("element past the end of its container") }
    currentIndex += 1
    return index
  }

  mutating func decodeNil() throws -> Bool {
    guard !isAtEnd, try reader.isNil(at: cursor) else { return false }
    _ = try next()
    return true
  }
  mutating func decode(_ type: Bool.Type) throws -> Bool { try reader.readBool(at: next()) }
  mutating func decode(_ type: String.Type) throws -> String { try reader.readString(at: next()) }
  mutating func decode(_ type: Double.Type) throws -> Double { try reader.readDouble(at: next()) }
  mutating func decode(_ type: Float.Type) throws -> Float { try reader.readFloat(at: next()) }
  mutating func decode(_ type: Int.Type) throws -> Int { try reader.readInteger(type, at: next()) }
  mutating func decode(_ type: Int8.Type) throws -> Int8 { try reader.readInteger(type, at: next()) }
  mutating func decode(_ type: Int16.Type) throws -> Int16 { try reader.readInteger(type, at: next()) }
  mutating func decode(_ type: Int32.Type) throws -> Int32 { try reader.readInteger(type, at: next()) }
  mutating func decode(_ type: Int64.Type) throws -> Int64 { try reader.readInteger(type, at: next()) }
  mutating func decode(_ type: UInt.Type) throws -> UInt { try reader.readInteger(type, at: next()) }
  mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try reader.readInteger(type, at: next()) }
  mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try reader.readInteger(type, at: next()) }
  mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try reader.readInteger(type, at: next()) }
  mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try reader.readInteger(type, at: next()) }
  mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try reader.readValue(type, at: next()) }

  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
    KeyedDecodingContainer(try BodyKeyedDecoder<NestedKey>(reader: reader, index: next()))
  }

  mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
    try BodyUnkeyedDecoder(reader: reader, index: next())
  }

  mutating func superDecoder() throws -> any Decoder {
    BodyValueDecoder(reader: reader, index: try next())
  }
}

private struct BodySingleValueDecoder: SingleValueDecodingContainer {
  let reader: BodyReader
  let index: Int
  var codingPath: [any CodingKey] { [] }

  func decodeNil() -> Bool { (try? reader.isNil(at: index)) ?? false }
  func decode(_ type: Bool.Type) throws -> Bool { try reader.readBool(at: index) }
  func decode(_ type: String.Type) throws -> String { try reader.readString(at: index) }
  func decode(_ type: Double.Type) throws -> Double { try reader.readDouble(at: index) }
  func decode(_ type: Float.Type) throws -> Float { try reader.readFloat(at: index) }
  func decode(_ type: Int.Type) throws -> Int { try reader.readInteger(type, at: index) }
  func decode(_ type: Int8.Type) throws -> Int8 { try reader.readInteger(type, at: index) }
  func decode(_ type: Int16.Type) throws -> Int16 { try reader.readInteger(type, at: index) }
  func decode(_ type: Int32.Type) throws -> Int32 { try reader.readInteger(type, at: index) }
  func decode(_ type: Int64.Type) throws -> Int64 { try reader.readInteger(type, at: index) }
  func decode(_ type: UInt.Type) throws -> UInt { try reader.readInteger(type, at: index) }
  func decode(_ type: UInt8.Type) throws -> UInt8 { try reader.readInteger(type, at: index) }
  func decode(_ type: UInt16.Type) throws -> UInt16 { try reader.readInteger(type, at: index) }
  func decode(_ type: UInt32.Type) throws -> UInt32 { try reader.readInteger(type, at: index) }
  func decode(_ type: UInt64.Type) throws -> UInt64 { try reader.readInteger(type, at: index) }
  func decode<T: Decodable>(_ type: T.Type) throws -> T { try reader.readValue(type, at: index) }
}
