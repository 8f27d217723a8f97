/// A coding key made from any string: the generated proto3-JSON `Codable` conformances use
/// field names straight from the .proto files.
struct _JSONKey: CodingKey, ExpressibleByStringLiteral {
  let stringValue: String
  var intValue: Int? { nil }
  init(stringValue: String) { self.stringValue = stringValue }
  init?(intValue: Int) { return nil }
  init(stringLiteral value: String) { self.stringValue = value }
}

/// `bytes` in proto3 JSON: standard base64 with padding (decoding also accepts the URL-safe
/// alphabet and missing padding).
struct _Base64: Codable {
  let bytes: [UInt8]

  init(_ bytes: [UInt8]) { self.bytes = bytes }

  init(from decoder: any Decoder) throws {
    let c = try decoder.singleValueContainer()
    let text = try c.decode(String.self)
    guard let bytes = ProtoBase64.decode(text) else {
      throw DecodingError.dataCorruptedError(in: c, debugDescription: "not base64")
    }
    self.bytes = bytes
  }

  func encode(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    try c.encode(ProtoBase64.encode(bytes))
  }
}

/// `bytes` in proto3 JSON: standard base64 with padding when written; the URL-safe alphabet
/// and missing padding accepted when read (padding only at the end, at most two). The one
/// implementation: the generated conformances (`_Base64`) and the CLI's descriptor-driven
/// codec both use it.
public enum ProtoBase64 {
  private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

  public static func encode<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
    let bytes = Array(bytes)
    var out: [UInt8] = []
    out.reserveCapacity((bytes.count + 2) / 3 * 4)
    var i = 0
    while i < bytes.count {
      let b0 = bytes[i]
      let b1 = i + 1 < bytes.count ? bytes[i + 1] : 0
      let b2 = i + 2 < bytes.count ? bytes[i + 2] : 0
      out.append(self.alphabet[Int(b0 >> 2)])
      out.append(self.alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
      out.append(i + 1 < bytes.count ? self.alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
      out.append(i + 2 < bytes.count ? self.alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
      i += 3
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// The bytes, or `nil` if `text` is not base64.
  public static func decode(_ text: String) -> [UInt8]? {
    var values: [UInt8] = []
    var padding = 0
    for ch in text.utf8 {
      if ch == UInt8(ascii: "=") {
        padding += 1
        continue
      }
      guard padding == 0 else { return nil }
      switch ch {
      case UInt8(ascii: "A")...UInt8(ascii: "Z"): values.append(ch - UInt8(ascii: "A"))
      case UInt8(ascii: "a")...UInt8(ascii: "z"): values.append(ch - UInt8(ascii: "a") + 26)
      case UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(ch - UInt8(ascii: "0") + 52)
      case UInt8(ascii: "+"), UInt8(ascii: "-"): values.append(62)
      case UInt8(ascii: "/"), UInt8(ascii: "_"): values.append(63)
      default: return nil
      }
    }
    guard values.count % 4 != 1, padding <= 2, padding == 0 || (values.count + padding) % 4 == 0 else { return nil }
    var out: [UInt8] = []
    var i = 0
    while i + 1 < values.count {
      let v0 = values[i], v1 = values[i + 1]
      out.append(v0 << 2 | v1 >> 4)
      if i + 2 < values.count { out.append((v1 & 0x0F) << 4 | values[i + 2] >> 2) }
      if i + 3 < values.count { out.append((values[i + 2] & 0x03) << 6 | values[i + 3]) }
      i += 4
    }
    return out
  }
}

/// A 64-bit integer in proto3 JSON: written as a number by our encoder, but accepted as a
/// number or a decimal string (the form proto3 JSON prescribes, since JavaScript numbers lose
/// precision past 2^53).
struct _JSONInt64<T: FixedWidthInteger & Codable>: Decodable {
  let value: T

  init(from decoder: any Decoder) throws {
    let c = try decoder.singleValueContainer()
    if let n = try? c.decode(T.self) {
      value = n
      return
    }
    let text = try c.decode(String.self)
    guard let n = T(text) else {
      throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a \(T.self): \(text)")
    }
    value = n
  }
}
