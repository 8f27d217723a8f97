import Foundation

/// How entity bodies are stored: UTF-8 JSON.
///
/// The journal hash covers a body's bytes *as stored* (see ``JournalChain``), so the
/// encoding need not be canonical across builds; keys are not sorted because sorting costs
/// a measurable share of the writer's time.
enum EntityCoding {
  static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes]
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
