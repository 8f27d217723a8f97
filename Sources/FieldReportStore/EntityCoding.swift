import Foundation

/// How entity bodies are stored: UTF-8 JSON with sorted keys (deterministic for a given
/// value and build), so that a stored body can be hashed and compared byte for byte.
enum EntityCoding {
  static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    do {
      return Array(try encoder.encode(value))
    } catch {
      throw StoreError.invalidArgument(field: "\(T.self)", reason: "cannot be encoded")
    }
  }

  static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], what: String) throws -> T {
    do {
      return try JSONDecoder().decode(T.self, from: Data(bytes))
    } catch {
      throw StoreError.integrity("stored \(what) cannot be decoded")
    }
  }
}
