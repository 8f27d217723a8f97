import Crypto

/// Random secrets: session tokens, API keys, ids.
enum Secrets {
  /// `count` random bytes from the system's secure generator.
  static func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
  }

  /// A session token: 32 random bytes, base64url without padding (43 characters).
  static func sessionToken() -> String { base64url(randomBytes(32)) }

  /// An API key: `frk_` and 32 random bytes, base64url.
  static func apiKey() -> String { "frk_" + base64url(randomBytes(32)) }

  /// A random id with a prefix, e.g. `u-3f9a…` (16 hex digits).
  static func id(_ prefix: String) -> String { prefix + hex(randomBytes(8)) }

  /// A deterministic id from a caller's idempotency key: the same caller and key give the same
  /// id, so a retried create finds its first result.
  static func id(_ prefix: String, caller: String, idempotencyKey: String) -> String {
    let digest = SHA256.hash(data: Array("\(caller)\u{0}\(idempotencyKey)".utf8))
    return prefix + hex(Array(digest).prefix(8))
  }

  /// A human-typable random password: 16 characters from an alphabet without look-alikes.
  static func password() -> String {
    let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
    var generator = SystemRandomNumberGenerator()
    return String((0..<16).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
  }

  static func hex(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef")
    var text = ""
    for byte in bytes {
      text.append(digits[Int(byte >> 4)])
      text.append(digits[Int(byte & 0x0F)])
    }
    return text
  }

  static func base64url(_ bytes: [UInt8]) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    var text = ""
    var index = 0
    while index + 2 < bytes.count {
      let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
      for shift in [18, 12, 6, 0] { text.append(alphabet[Int((value >> UInt32(shift)) & 0x3F)]) }
      index += 3
    }
    let rest = bytes.count - index
    if rest == 1 {
      let value = UInt32(bytes[index]) << 16
      for shift in [18, 12] { text.append(alphabet[Int((value >> UInt32(shift)) & 0x3F)]) }
    } else if rest == 2 {
      let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
      for shift in [18, 12, 6] { text.append(alphabet[Int((value >> UInt32(shift)) & 0x3F)]) }
    }
    return text
  }
}
