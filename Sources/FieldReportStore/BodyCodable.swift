/// A type whose body-format codec is written out by hand instead of going through `Codable`.
///
/// Why: decoding a case or journal entry through `Codable` was 60 % of the reader threads' time
/// when GetCase missed the caches, and encoding 15 % of SubmitReport's event-loop time
/// (docs/PERFORMANCE.md, eleventh session); most of it was the `Decoder`/`Encoder` protocol
/// machinery (existential containers, generic metadata, a class per container), not the bytes.
///
/// The rule: a conforming type writes **exactly the bytes its synthesized `Codable` conformance
/// writes through ``BodyEncoder``** (same keys, same order, nil optionals left out, enums with
/// associated values as one-key containers), and reads whatever that conformance reads. So
/// bodies stay byte for byte what they were, old rows and the journal's hashes are untouched,
/// and ``EntityCoding`` may use either path. `BodyCodableTests` holds both paths to this over
/// random values of every conforming type. Legacy JSON bodies still go through `Codable`.
protocol BodyCodable {
  /// Writes the value as exactly one format value.
  func write(to body: BodyWriter)
  /// Reads the value that starts at `index`.
  init(body: BodyReader, at index: Int) throws
}

extension BodyCodable {
  /// The whole body (magic, version, value).
  static func encodeBody(_ value: Self) throws -> [UInt8] {
    let writer = BodyWriter()
    writer.bytes.reserveCapacity(1024)
    writer.bytes.append(BodyFormat.magic)
    writer.bytes.append(BodyFormat.version1)
    value.write(to: writer)
    if let failure = writer.failure { throw failure }
    return writer.bytes
  }

  /// Reads a whole body written by ``encodeBody(_:)`` or by ``BodyEncoder``.
  static func decodeBody(_ bytes: [UInt8]) throws -> Self {
    try Self(body: BodyReader.whole(bytes), at: BodyReader.valueOffset)
  }
}

// MARK: - Leaves

/// A string-backed enum or identifier: one string value, read back through `init?(rawValue:)`
/// (as `Codable`'s default for `RawRepresentable` does).
protocol BodyCodableRawString: BodyCodable, RawRepresentable where RawValue == String {}

extension BodyCodableRawString {
  func write(to body: BodyWriter) { body.writeString(rawValue) }

  init(body: BodyReader, at index: Int) throws {
    let raw = try body.readString(at: index)
    guard let value = Self(rawValue: raw) else {
      throw BodyReader.corrupted("cannot initialize \(Self.self) from invalid value \(raw)")
    }
    self = value
  }
}

extension String: BodyCodable {
  func write(to body: BodyWriter) { body.writeString(self) }
  init(body: BodyReader, at index: Int) throws { self = try body.readString(at: index) }
}

extension Int64: BodyCodable {
  func write(to body: BodyWriter) { body.writeSigned(self) }
  init(body: BodyReader, at index: Int) throws { self = try body.readInteger(Int64.self, at: index) }
}

extension Bool: BodyCodable {
  func write(to body: BodyWriter) { body.writeBool(self) }
  init(body: BodyReader, at index: Int) throws { self = try body.readBool(at: index) }
}

extension Double: BodyCodable {
  func write(to body: BodyWriter) { body.writeDouble(self) }
  init(body: BodyReader, at index: Int) throws { self = try body.readDouble(at: index) }
}

extension Array: BodyCodable where Element: BodyCodable {
  func write(to body: BodyWriter) {
    let header = body.beginContainer(BodyFormat.tagUnkeyed)
    for element in self { element.write(to: body) }
    body.endContainer(at: header, count: count)
  }

  init(body: BodyReader, at index: Int) throws {
    let header = try body.container(at: index, tag: BodyFormat.tagUnkeyed)
    var elements: [Element] = []
    elements.reserveCapacity(Swift.min(header.count, 1024))
    var cursor = header.first
    for _ in 0..<header.count {
      let start = cursor
      try body.skipValue(at: start, end: &cursor)
      guard cursor <= header.end else { throw BodyReader.corrupted("element past the end of its container") }
      elements.append(try Element(body: body, at: start))
    }
    guard cursor == header.end else { throw BodyReader.corrupted("container length does not match its elements") }
    self = elements
  }
}

// MARK: - Writing keyed containers

extension BodyWriter {
  /// Writes a container header with a zero length and count, to be filled in by
  /// ``endContainer(at:count:)``; returns where the header is.
  func beginContainer(_ tag: UInt8) -> Int {
    let at = bytes.count
    bytes.append(tag)
    bytes.append(contentsOf: repeatElement(0, count: 8))
    return at
  }

  /// Fills in the length and count of the container whose header is at `header`.
  func endContainer(at header: Int, count: Int) {
    let length = bytes.count - header - BodyFormat.containerHeaderSize
    guard let length32 = UInt32(exactly: length), let count32 = UInt32(exactly: count) else {
      failure = EncodingError.invalidValue(length, .init(codingPath: [], debugDescription: "container over 4 GiB"))
      return
    }
    patch(length32, at: header + 1)
    patch(count32, at: header + 5)
  }

  /// Writes a key (its varint length and UTF-8 bytes).
  func writeKey(_ key: StaticString) {
    writeVarint(UInt64(key.utf8CodeUnitCount))
    bytes.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
  }

  /// Writes one keyed container: `body` adds its entries.
  func keyed(_ body: (inout BodyKeyedWriter) -> Void) {
    var container = BodyKeyedWriter(writer: self, header: beginContainer(BodyFormat.tagKeyed))
    body(&container)
    endContainer(at: container.header, count: container.count)
  }

  /// Writes an enum case with associated values as `Codable` synthesizes it: a keyed
  /// container with one entry, the case's name, whose value is a keyed container of the
  /// associated values (labelled by their labels, `_0` when unlabelled; empty for none).
  func enumCase(_ name: StaticString, _ values: (inout BodyKeyedWriter) -> Void = { _ in }) {
    keyed { outer in
      outer.count += 1
      writeKey(name)
      keyed(values)
    }
  }
}

/// Adds the entries of one keyed container (``BodyWriter/keyed(_:)``). An optional that is nil
/// is left out, as synthesized `Codable` conformances do (`encodeIfPresent`).
struct BodyKeyedWriter {
  let writer: BodyWriter
  let header: Int
  var count = 0

  mutating func callAsFunction<T: BodyCodable>(_ key: StaticString, _ value: T) {
    count += 1
    writer.writeKey(key)
    value.write(to: writer)
  }

  mutating func callAsFunction<T: BodyCodable>(_ key: StaticString, _ value: T?) {
    if let value { self(key, value) }
  }
}

// MARK: - Reading keyed containers

/// The key names of one keyed container, in the order they are written.
struct BodyKeys: Sendable {
  /// At most ``BodyEntries/capacity`` names.
  let names: [StaticString]

  init(_ names: StaticString...) {
    precondition(names.count <= BodyEntries.capacity, "a keyed container of more than \(BodyEntries.capacity) keys")
    self.names = names
  }
}

/// Where the value of each known key of one keyed container starts (by the key's position in
/// its ``BodyKeys``), found in one pass over the container. Unknown keys are skipped (as
/// synthesized conformances ignore them); a repeated key's first value counts.
struct BodyEntries {
  static let capacity = 32
  var offsets = InlineArray<32, Int>(repeating: -1)
  /// How many known keys were found.
  var found = 0
}

extension BodyReader {
  /// Indexes the keyed container at `index` against `keys`, trying the next key in order
  /// first (bodies are written in key order).
  func entries(at index: Int, _ keys: BodyKeys) throws -> BodyEntries {
    let header = try container(at: index, tag: BodyFormat.tagKeyed)
    var entries = BodyEntries()
    var cursor = header.first
    var next = 0
    try bytes.withUnsafeBufferPointer { all in
      for _ in 0..<header.count {
        let key = try lengthPrefixed(at: &cursor)
        let value = cursor
        try skipValue(at: value, end: &cursor)
        guard cursor <= header.end else { throw Self.corrupted("entry past the end of its container") }
        func matches(_ position: Int) -> Bool {
          let name = keys.names[position]
          return name.utf8CodeUnitCount == key.count
            && (key.isEmpty || memcmpBytes(name.utf8Start, all.baseAddress! + key.lowerBound, key.count))
        }
        var position = -1
        if next < keys.names.count, matches(next) {
          position = next
        } else {
          for candidate in keys.names.indices where matches(candidate) {
            position = candidate
            break
          }
        }
        guard position >= 0 else { continue }
        next = position + 1
        if entries.offsets[position] < 0 {
          entries.offsets[position] = value
          entries.found += 1
        }
      }
    }
    guard cursor == header.end else { throw Self.corrupted("container length does not match its entries") }
    return entries
  }

  /// The value of a required key: a missing key or a nil value is an error.
  func required<T: BodyCodable>(_ entries: BodyEntries, _ position: Int, _ keys: BodyKeys) throws -> T {
    let index = entries.offsets[position]
    guard index >= 0 else { throw Self.corrupted("no value for \(keys.names[position])") }
    return try T(body: self, at: index)
  }

  /// The value of an optional key: nil when the key is missing or its value is nil.
  func optional<T: BodyCodable>(_ entries: BodyEntries, _ position: Int) throws -> T? {
    let index = entries.offsets[position]
    guard index >= 0, bytes[index] != BodyFormat.tagNil else { return nil }
    return try T(body: self, at: index)
  }

  /// The case name of a synthesized enum's one-key container and where its associated values
  /// start: exactly one known key, as `Codable` requires.
  func enumCase(at index: Int, _ cases: BodyKeys) throws -> (position: Int, values: Int) {
    let entries = try entries(at: index, cases)
    guard entries.found == 1 else { throw Self.corrupted("an enum value needs exactly one case key") }
    for position in cases.names.indices where entries.offsets[position] >= 0 {
      return (position, entries.offsets[position])
    }
    throw Self.corrupted("an enum value needs exactly one case key")
  }
}

/// Byte equality of two buffers of `count` bytes.
@inline(__always)
private func memcmpBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
  var index = 0
  while index < count {
    if a[index] != b[index] { return false }
    index += 1
  }
  return true
}
