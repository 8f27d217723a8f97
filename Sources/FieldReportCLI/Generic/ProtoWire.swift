/// The protobuf binary encoding's primitives: varints, zig-zag, little-endian fixed widths,
/// tags, and a reader over encoded bytes.
enum ProtoWire {
  static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
    var value = value
    while value >= 0x80 {
      out.append(UInt8(truncatingIfNeeded: value) | 0x80)
      value >>= 7
    }
    out.append(UInt8(value))
  }

  static func appendTag(_ number: Int, _ wireType: Int, to out: inout [UInt8]) {
    self.appendVarint(UInt64(number) << 3 | UInt64(wireType), to: &out)
  }

  static func appendLengthDelimited(_ bytes: [UInt8], to out: inout [UInt8]) {
    self.appendVarint(UInt64(bytes.count), to: &out)
    out.append(contentsOf: bytes)
  }

  static func appendFixed32(_ value: UInt32, to out: inout [UInt8]) {
    for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
  }

  static func appendFixed64(_ value: UInt64, to out: inout [UInt8]) {
    for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
  }

  static func zigZag(_ value: Int64) -> UInt64 { UInt64(bitPattern: (value << 1) ^ (value >> 63)) }

  static func unZigZag(_ value: UInt64) -> Int64 { Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1) }

  /// Why bytes are not a protobuf encoding.
  struct Malformed: Error {
    let reason: String
  }

  /// Reads fields one by one.
  struct Reader {
    let bytes: ArraySlice<UInt8>
    var index: Int

    init(_ bytes: ArraySlice<UInt8>) {
      self.bytes = bytes
      self.index = bytes.startIndex
    }

    var isAtEnd: Bool { self.index >= self.bytes.endIndex }

    mutating func varint() throws(Malformed) -> UInt64 {
      var value: UInt64 = 0
      var shift: UInt64 = 0
      while true {
        guard self.index < self.bytes.endIndex else { throw Malformed(reason: "truncated varint") }
        guard shift < 64 else { throw Malformed(reason: "varint longer than 10 bytes") }
        let byte = self.bytes[self.index]
        self.index += 1
        value |= UInt64(byte & 0x7F) << shift
        if byte & 0x80 == 0 { return value }
        shift += 7
      }
    }

    mutating func fixed32() throws(Malformed) -> UInt32 {
      guard self.bytes.endIndex - self.index >= 4 else { throw Malformed(reason: "truncated fixed32") }
      var value: UInt32 = 0
      for offset in 0..<4 { value |= UInt32(self.bytes[self.index + offset]) << UInt32(8 * offset) }
      self.index += 4
      return value
    }

    mutating func fixed64() throws(Malformed) -> UInt64 {
      guard self.bytes.endIndex - self.index >= 8 else { throw Malformed(reason: "truncated fixed64") }
      var value: UInt64 = 0
      for offset in 0..<8 { value |= UInt64(self.bytes[self.index + offset]) << UInt64(8 * offset) }
      self.index += 8
      return value
    }

    mutating func lengthDelimited() throws(Malformed) -> ArraySlice<UInt8> {
      let length = try self.varint()
      guard length <= UInt64(self.bytes.endIndex - self.index) else { throw Malformed(reason: "length beyond the end of the message") }
      let start = self.index
      self.index += Int(length)
      return self.bytes[start..<self.index]
    }

    /// The next tag: field number and wire type.
    mutating func tag() throws(Malformed) -> (number: Int, wireType: Int) {
      let key = try self.varint()
      let number = key >> 3
      guard number >= 1, number <= 536_870_911 else { throw Malformed(reason: "invalid field number \(number)") }
      return (Int(number), Int(key & 7))
    }

    /// Skips one value of `wireType` (of field `number`, for groups).
    mutating func skip(wireType: Int, number: Int, depth: Int = 0) throws(Malformed) {
      switch wireType {
      case 0: _ = try self.varint()
      case 1: _ = try self.fixed64()
      case 2: _ = try self.lengthDelimited()
      case 5: _ = try self.fixed32()
      case 3:
        guard depth < 100 else { throw Malformed(reason: "groups nested too deep") }
        while true {
          guard !self.isAtEnd else { throw Malformed(reason: "unterminated group \(number)") }
          let (inner, innerType) = try self.tag()
          if innerType == 4 {
            guard inner == number else { throw Malformed(reason: "mismatched end of group \(number)") }
            return
          }
          try self.skip(wireType: innerType, number: inner, depth: depth + 1)
        }
      default: throw Malformed(reason: "invalid wire type \(wireType)")
      }
    }
  }
}
