/// The compact binary body format, version 1 (see ``EntityCoding`` for how a stored body
/// announces it).
///
/// A body is `0xFB 0x01` followed by exactly one *value*. A value is a one-byte tag, then:
///
/// | tag | value | payload |
/// |---:|---|---|
/// | 0 | nil | — |
/// | 1 | false | — |
/// | 2 | true | — |
/// | 3 | signed integer | zigzag LEB128 varint |
/// | 4 | unsigned integer | LEB128 varint |
/// | 5 | Double | 8 bytes, IEEE-754 bits little-endian |
/// | 6 | Float | 4 bytes, IEEE-754 bits little-endian |
/// | 7 | string | varint byte length, UTF-8 bytes |
/// | 8 | keyed container | u32le byte length of the rest, u32le entry count, then per entry: varint key length, key (UTF-8 `CodingKey.stringValue`), value |
/// | 9 | unkeyed container | u32le byte length of the rest, u32le element count, then the values |
///
/// Containers carry their byte length so a reader can skip a field it does not look up in
/// O(1); keys are the same strings the JSON encoding used, so a `Codable` type that evolves
/// (fields added as optionals, legacy keys) decodes the same way from either encoding.
enum BodyFormat {
  /// First byte of a binary body: never the first byte of UTF-8 JSON (0xFB is not valid UTF-8).
  static let magic: UInt8 = 0xFB
  static let version1: UInt8 = 0x01

  static let tagNil: UInt8 = 0
  static let tagFalse: UInt8 = 1
  static let tagTrue: UInt8 = 2
  static let tagSigned: UInt8 = 3
  static let tagUnsigned: UInt8 = 4
  static let tagDouble: UInt8 = 5
  static let tagFloat: UInt8 = 6
  static let tagString: UInt8 = 7
  static let tagKeyed: UInt8 = 8
  static let tagUnkeyed: UInt8 = 9
  /// Tag byte plus the two u32 header fields of a container.
  static let containerHeaderSize = 9
}
