/// Request metadata or response trailers: an ordered list of key/value entries in which a
/// key may repeat. Values are text or binary.
///
/// Keys are normalised to lowercase; valid keys use ASCII letters, digits, `-`, `_` and `.`
/// (``isValidKey(_:)``). The transport rejects a call whose metadata has an invalid key.
public struct Metadata: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
  /// A metadata value.
  public enum Value: Sendable, Hashable, CustomStringConvertible {
    /// A UTF-8 text value.
    case text(String)
    /// An arbitrary binary value.
    case binary([UInt8])

    /// The value as text, or `nil` if it is binary.
    public var text: String? {
      if case .text(let text) = self { return text }
      return nil
    }

    /// The value's bytes: the UTF-8 of a text value, or the binary value itself.
    public var bytes: [UInt8] {
      switch self {
      case .text(let text): Array(text.utf8)
      case .binary(let bytes): bytes
      }
    }

    public var description: String {
      switch self {
      case .text(let text): text
      case .binary(let bytes): "<\(bytes.count) bytes>"
      }
    }
  }

  /// One entry.
  public struct Entry: Sendable, Hashable {
    /// The lowercase key.
    public var key: String
    /// The value.
    public var value: Value

    /// Creates an entry; the key is lowercased.
    public init(key: String, value: Value) {
      self.key = key.lowercased()
      self.value = value
    }

    /// An entry exactly as a peer sent it (the key is not lowercased, so that an invalid
    /// key, `Authorization` included, is seen and refused: docs/PROTOCOL.md §3.1).
    public init(received key: String, value: Value) {
      self.key = key
      self.value = value
    }
  }

  /// The entries in insertion order.
  public private(set) var entries: [Entry]

  /// Creates empty metadata.
  public init() { self.entries = [] }

  /// Creates metadata from entries.
  public init(_ entries: [Entry]) { self.entries = entries }

  /// Creates metadata from a literal such as `["authorization": .text("Bearer x")]`.
  public init(dictionaryLiteral elements: (String, Value)...) {
    self.entries = elements.map { Entry(key: $0.0, value: $0.1) }
  }

  /// The number of entries.
  public var count: Int { self.entries.count }

  /// Whether there are no entries.
  public var isEmpty: Bool { self.entries.isEmpty }

  /// Appends an entry (keeping any existing entries with the same key).
  public mutating func add(_ key: String, _ value: Value) {
    self.entries.append(Entry(key: key, value: value))
  }

  /// Appends a text entry.
  public mutating func add(_ key: String, text: String) { self.add(key, .text(text)) }

  /// Appends a binary entry.
  public mutating func add(_ key: String, binary: [UInt8]) { self.add(key, .binary(binary)) }

  /// Replaces every entry with this key by one entry.
  public mutating func replace(_ key: String, _ value: Value) {
    self.removeAll(key)
    self.add(key, value)
  }

  /// Removes every entry with this key.
  public mutating func removeAll(_ key: String) {
    let key = key.lowercased()
    self.entries.removeAll { $0.key == key }
  }

  /// Every value for a key, in order.
  public subscript(key: String) -> [Value] {
    let key = key.lowercased()
    return self.entries.compactMap { $0.key == key ? $0.value : nil }
  }

  /// The first value for a key.
  public func first(_ key: String) -> Value? {
    let key = key.lowercased()
    return self.entries.first { $0.key == key }?.value
  }

  /// The first text value for a key.
  public func firstText(_ key: String) -> String? { self.first(key)?.text }

  public func makeIterator() -> IndexingIterator<[Entry]> { self.entries.makeIterator() }

  /// Whether a key is valid: non-empty, at most 256 bytes, ASCII lowercase letters, digits,
  /// `-`, `_` and `.`.
  public static func isValidKey(_ key: String) -> Bool {
    let utf8 = key.utf8
    guard !utf8.isEmpty, utf8.count <= 256 else { return false }
    return utf8.allSatisfy { byte in
      (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
        || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
        || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
    }
  }

  /// The first invalid key, if any.
  public var firstInvalidKey: String? {
    self.entries.first { !Self.isValidKey($0.key) }?.key
  }
}
