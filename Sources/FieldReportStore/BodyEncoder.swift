/// Encodes a `Codable` value into the binary body format (``BodyFormat``).
///
/// One buffer is written front to back. `Codable` gives containers no "end" call, so the
/// writer keeps a stack of open containers and closes (back-patches the length and count of)
/// every container deeper than the one being written to; the rest close when the top-level
/// value is done. This relies on the ordinary `Codable` discipline that a nested container is
/// finished before its parent is written to again, which synthesized conformances follow.
struct BodyEncoder {
  static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
    let writer = BodyWriter()
    writer.bytes.reserveCapacity(1024)
    writer.bytes.append(BodyFormat.magic)
    writer.bytes.append(BodyFormat.version1)
    try writer.writeValue(value)
    writer.close(downTo: 0)
    if let failure = writer.failure { throw failure }
    return writer.bytes
  }
}

/// The shared output buffer and container stack of one ``BodyEncoder/encode(_:)`` call; a
/// class because every container and nested encoder of that call writes into it.
final class BodyWriter {
  struct OpenContainer {
    var headerAt: Int
    var count: UInt32
  }

  // Unchecked exclusivity: each is touched by every value written, and the dynamic checks
  // (a thread-local access set per read or write) cost a fifth of an encode. Safe because one
  // encode runs on one thread and no access to these overlaps another (no inout escapes).
  @exclusivity(unchecked) var bytes: [UInt8] = []
  @exclusivity(unchecked) var open: [OpenContainer] = []
  @exclusivity(unchecked) var failure: EncodingError?

  /// Closes every container at stack index `depth` or deeper, writing its length and count.
  func close(downTo depth: Int) {
    while open.count > depth {
      let container = open.removeLast()
      let length = bytes.count - container.headerAt - BodyFormat.containerHeaderSize
      guard let length32 = UInt32(exactly: length) else {
        failure = EncodingError.invalidValue(length, .init(codingPath: [], debugDescription: "container over 4 GiB"))
        continue
      }
      patch(length32, at: container.headerAt + 1)
      patch(container.count, at: container.headerAt + 5)
    }
  }

  func patch(_ value: UInt32, at index: Int) {
    bytes[index] = UInt8(truncatingIfNeeded: value)
    bytes[index + 1] = UInt8(truncatingIfNeeded: value >> 8)
    bytes[index + 2] = UInt8(truncatingIfNeeded: value >> 16)
    bytes[index + 3] = UInt8(truncatingIfNeeded: value >> 24)
  }

  /// Opens a container at the current position and returns its stack index.
  func openContainer(tag: UInt8) -> Int {
    open.append(OpenContainer(headerAt: bytes.count, count: 0))
    bytes.append(tag)
    bytes.append(contentsOf: repeatElement(0, count: 8))
    return open.count - 1
  }

  /// Prepares to add one entry to the container at `depth`: closes deeper ones and counts it.
  func beginEntry(depth: Int) {
    close(downTo: depth + 1)
    open[depth].count &+= 1
  }

  func writeVarint(_ value: UInt64) {
    var rest = value
    while rest >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
      rest >>= 7
    }
    bytes.append(UInt8(rest))
  }

  func writeKey(_ key: some CodingKey) {
    writeRawString(key.stringValue)
  }

  func writeRawString(_ string: String) {
    var string = string
    string.withUTF8 { utf8 in
      writeVarint(UInt64(utf8.count))
      bytes.append(contentsOf: utf8)
    }
  }

  func writeNil() { bytes.append(BodyFormat.tagNil) }
  func writeBool(_ value: Bool) { bytes.append(value ? BodyFormat.tagTrue : BodyFormat.tagFalse) }
  func writeString(_ value: String) {
    bytes.append(BodyFormat.tagString)
    writeRawString(value)
  }
  func writeSigned(_ value: Int64) {
    bytes.append(BodyFormat.tagSigned)
    writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
  }
  func writeUnsigned(_ value: UInt64) {
    bytes.append(BodyFormat.tagUnsigned)
    writeVarint(value)
  }
  func writeDouble(_ value: Double) {
    bytes.append(BodyFormat.tagDouble)
    var bits = value.bitPattern
    for _ in 0..<8 {
      bytes.append(UInt8(truncatingIfNeeded: bits))
      bits >>= 8
    }
  }
  func writeFloat(_ value: Float) {
    bytes.append(BodyFormat.tagFloat)
    var bits = value.bitPattern
    for _ in 0..<4 {
      bytes.append(UInt8(truncatingIfNeeded: bits))
      bits >>= 8
    }
  }

  /// Writes any encodable value as exactly one format value.
  func writeValue<T: Encodable>(_ value: T) throws {
    // Fast paths for the leaves, which are most of a body's values: a metatype comparison
    // each, not a dynamic cast (`value as? String` searched the conformance tables for every
    // value that was not a leaf, which cost more than writing it; fieldreport-store-bench --codec).
    if T.self == String.self { writeString(unsafeBitCast(value, to: String.self)); return }
    if T.self == Int.self { writeSigned(Int64(unsafeBitCast(value, to: Int.self))); return }
    if T.self == Int64.self { writeSigned(unsafeBitCast(value, to: Int64.self)); return }
    if T.self == Bool.self { writeBool(unsafeBitCast(value, to: Bool.self)); return }
    let start = bytes.count
    let depth = open.count
    try value.encode(to: BodyValueEncoder(writer: self, depth: depth, start: start))
    close(downTo: depth)
    // A value that asked for no container encodes as an empty keyed container (as JSON's `{}`).
    if bytes.count == start {
      _ = openContainer(tag: BodyFormat.tagKeyed)
      close(downTo: depth)
    }
  }
}

/// The `Encoder` handed to one value's `encode(to:)`.
private struct BodyValueEncoder: Encoder {
  let writer: BodyWriter
  /// Stack index the value's own container gets.
  let depth: Int
  /// Buffer offset where the value starts.
  let start: Int

  var codingPath: [any CodingKey] { [] }
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  /// The value's container: the one already opened for this value if asked twice.
  private func container(tag: UInt8) -> Int {
    writer.close(downTo: depth + 1)
    if writer.open.count > depth, writer.open[depth].headerAt == start, writer.bytes[start] == tag {
      return depth
    }
    return writer.openContainer(tag: tag)
  }

  func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
    KeyedEncodingContainer(BodyKeyedEncoder<Key>(writer: writer, depth: container(tag: BodyFormat.tagKeyed)))
  }

  func unkeyedContainer() -> any UnkeyedEncodingContainer {
    BodyUnkeyedEncoder(writer: writer, depth: container(tag: BodyFormat.tagUnkeyed))
  }

  func singleValueContainer() -> any SingleValueEncodingContainer {
    BodySingleValueEncoder(writer: writer)
  }
}

private struct BodyKeyedEncoder<Key: CodingKey>: KeyedEncodingContainerProtocol {
  let writer: BodyWriter
  let depth: Int
  var codingPath: [any CodingKey] { [] }

  private func begin(_ key: Key) {
    writer.beginEntry(depth: depth)
    writer.writeKey(key)
  }

  mutating func encodeNil(forKey key: Key) throws { begin(key); writer.writeNil() }
  mutating func encode(_ value: Bool, forKey key: Key) throws { begin(key); writer.writeBool(value) }
  mutating func encode(_ value: String, forKey key: Key) throws { begin(key); writer.writeString(value) }
  mutating func encode(_ value: Double, forKey key: Key) throws { begin(key); writer.writeDouble(value) }
  mutating func encode(_ value: Float, forKey key: Key) throws { begin(key); writer.writeFloat(value) }
  mutating func encode(_ value: Int, forKey key: Key) throws { begin(key); writer.writeSigned(Int64(value)) }
  mutating func encode(_ value: Int8, forKey key: Key) throws { begin(key); writer.writeSigned(Int64(value)) }
  mutating func encode(_ value: Int16, forKey key: Key) throws { begin(key); writer.writeSigned(Int64(value)) }
  mutating func encode(_ value: Int32, forKey key: Key) throws { begin(key); writer.writeSigned(Int64(value)) }
  mutating func encode(_ value: Int64, forKey key: Key) throws { begin(key); writer.writeSigned(value) }
  mutating func encode(_ value: UInt, forKey key: Key) throws { begin(key); writer.writeUnsigned(UInt64(value)) }
  mutating func encode(_ value: UInt8, forKey key: Key) throws { begin(key); writer.writeUnsigned(UInt64(value)) }
  mutating func encode(_ value: UInt16, forKey key: Key) throws { begin(key); writer.writeUnsigned(UInt64(value)) }
  mutating func encode(_ value: UInt32, forKey key: Key) throws { begin(key); writer.writeUnsigned(UInt64(value)) }
  mutating func encode(_ value: UInt64, forKey key: Key) throws { begin(key); writer.writeUnsigned(value) }
  mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { begin(key); try writer.writeValue(value) }

  mutating func nestedContainer<NestedKey: CodingKey>(
    keyedBy keyType: NestedKey.Type, forKey key: Key
  ) -> KeyedEncodingContainer<NestedKey> {
    begin(key)
    return KeyedEncodingContainer(BodyKeyedEncoder<NestedKey>(writer: writer, depth: writer.openContainer(tag: BodyFormat.tagKeyed)))
  }

  mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
    begin(key)
    return BodyUnkeyedEncoder(writer: writer, depth: writer.openContainer(tag: BodyFormat.tagUnkeyed))
  }

  mutating func superEncoder() -> any Encoder {
    writer.beginEntry(depth: depth)
    writer.writeRawString("super")
    return BodySuperEncoder(writer: writer)
  }

  mutating func superEncoder(forKey key: Key) -> any Encoder {
    begin(key)
    return BodySuperEncoder(writer: writer)
  }
}

/// An encoder for `superEncoder`: it must write exactly one value at the current position.
private struct BodySuperEncoder: Encoder {
  let writer: BodyWriter
  var codingPath: [any CodingKey] { [] }
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
    KeyedEncodingContainer(BodyKeyedEncoder<Key>(writer: writer, depth: writer.openContainer(tag: BodyFormat.tagKeyed)))
  }
  func unkeyedContainer() -> any UnkeyedEncodingContainer {
    BodyUnkeyedEncoder(writer: writer, depth: writer.openContainer(tag: BodyFormat.tagUnkeyed))
  }
  func singleValueContainer() -> any SingleValueEncodingContainer { BodySingleValueEncoder(writer: writer) }
}

private struct BodyUnkeyedEncoder: UnkeyedEncodingContainer {
  let writer: BodyWriter
  let depth: Int
  var codingPath: [any CodingKey] { [] }
  var count: Int { Int(writer.open.count > depth ? writer.open[depth].count : 0) }

  mutating func encodeNil() throws { writer.beginEntry(depth: depth); writer.writeNil() }
  mutating func encode(_ value: Bool) throws { writer.beginEntry(depth: depth); writer.writeBool(value) }
  mutating func encode(_ value: String) throws { writer.beginEntry(depth: depth); writer.writeString(value) }
  mutating func encode(_ value: Double) throws { writer.beginEntry(depth: depth); writer.writeDouble(value) }
  mutating func encode(_ value: Float) throws { writer.beginEntry(depth: depth); writer.writeFloat(value) }
  mutating func encode(_ value: Int) throws { writer.beginEntry(depth: depth); writer.writeSigned(Int64(value)) }
  mutating func encode(_ value: Int8) throws { writer.beginEntry(depth: depth); writer.writeSigned(Int64(value)) }
  mutating func encode(_ value: Int16) throws { writer.beginEntry(depth: depth); writer.writeSigned(Int64(value)) }
  mutating func encode(_ value: Int32) throws { writer.beginEntry(depth: depth); writer.writeSigned(Int64(value)) }
  mutating func encode(_ value: Int64) throws { writer.beginEntry(depth: depth); writer.writeSigned(value) }
  mutating func encode(_ value: UInt) throws { writer.beginEntry(depth: depth); writer.writeUnsigned(UInt64(value)) }
  mutating func encode(_ value: UInt8) throws { writer.beginEntry(depth: depth); writer.writeUnsigned(UInt64(value)) }
  mutating func encode(_ value: UInt16) throws { writer.beginEntry(depth: depth); writer.writeUnsigned(UInt64(value)) }
  mutating func encode(_ value: UInt32) throws { writer.beginEntry(depth: depth); writer.writeUnsigned(UInt64(value)) }
  mutating func encode(_ value: UInt64) throws { writer.beginEntry(depth: depth); writer.writeUnsigned(value) }
  mutating func encode<T: Encodable>(_ value: T) throws { writer.beginEntry(depth: depth); try writer.writeValue(value) }

  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
    writer.beginEntry(depth: depth)
    return KeyedEncodingContainer(BodyKeyedEncoder<NestedKey>(writer: writer, depth: writer.openContainer(tag: BodyFormat.tagKeyed)))
  }

  mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
    writer.beginEntry(depth: depth)
    return BodyUnkeyedEncoder(writer: writer, depth: writer.openContainer(tag: BodyFormat.tagUnkeyed))
  }

  mutating func superEncoder() -> any Encoder {
    writer.beginEntry(depth: depth)
    return BodySuperEncoder(writer: writer)
  }
}

private struct BodySingleValueEncoder: SingleValueEncodingContainer {
  let writer: BodyWriter
  var codingPath: [any CodingKey] { [] }

  mutating func encodeNil() throws { writer.writeNil() }
  mutating func encode(_ value: Bool) throws { writer.writeBool(value) }
  mutating func encode(_ value: String) throws { writer.writeString(value) }
  mutating func encode(_ value: Double) throws { writer.writeDouble(value) }
  mutating func encode(_ value: Float) throws { writer.writeFloat(value) }
  mutating func encode(_ value: Int) throws { writer.writeSigned(Int64(value)) }
  mutating func encode(_ value: Int8) throws { writer.writeSigned(Int64(value)) }
  mutating func encode(_ value: Int16) throws { writer.writeSigned(Int64(value)) }
  mutating func encode(_ value: Int32) throws { writer.writeSigned(Int64(value)) }
  mutating func encode(_ value: Int64) throws { writer.writeSigned(value) }
  mutating func encode(_ value: UInt) throws { writer.writeUnsigned(UInt64(value)) }
  mutating func encode(_ value: UInt8) throws { writer.writeUnsigned(UInt64(value)) }
  mutating func encode(_ value: UInt16) throws { writer.writeUnsigned(UInt64(value)) }
  mutating func encode(_ value: UInt32) throws { writer.writeUnsigned(UInt64(value)) }
  mutating func encode(_ value: UInt64) throws { writer.writeUnsigned(value) }
  mutating func encode<T: Encodable>(_ value: T) throws { try writer.writeValue(value) }
}
