import FieldReportWorkflow
import Foundation

/// How entity bodies are stored.
///
/// New bodies are written in the compact binary format of ``BodyFormat`` (first byte 0xFB,
/// then a format version byte). Bodies written before it are UTF-8 JSON objects (first byte
/// `{`) and stay readable: ``decode(_:from:what:)`` picks the decoder by the first byte, so old
/// rows migrate lazily, when they are next rewritten. Both encodings use the same `Codable`
/// keys, so legacy-field handling in the model types works the same for either.
///
/// The journal hash covers a body's bytes *as stored* (see ``JournalChain``), so changing the
/// encoding of new entries leaves old chains verifiable; bodies are never re-encoded for hashing.
package enum EntityCoding {
  package static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
    do {
      return try BodyEncoder.encode(value)
    } catch {
      throw StoreError.invalidArgument(field: "\(T.self)", reason: "cannot be encoded")
    }
  }

  package static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], what: String) throws -> T {
    do {
      if bytes.first == BodyFormat.magic {
        return try BodyDecoder.decode(T.self, from: bytes)
      }
      return try JSONDecoder().decode(T.self, from: Data(bytes))
    } catch {
      throw StoreError.integrity("stored \(what) cannot be decoded")
    }
  }

  // Cases and journal entries, the bodies read and written on every call, have codecs written
  // for the format (``BodyCodable``): the same bytes, without `Codable`'s machinery. These
  // overloads are picked wherever the type is known; other entities go through `Codable`.

  package static func encode(_ value: Case) throws -> [UInt8] { try encodeWritten(value) }
  package static func encode(_ value: JournalEntry) throws -> [UInt8] { try encodeWritten(value) }

  package static func decode(_ type: Case.Type, from bytes: [UInt8], what: String) throws -> Case {
    try decodeWritten(type, from: bytes, what: what)
  }

  package static func decode(_ type: JournalEntry.Type, from bytes: [UInt8], what: String) throws -> JournalEntry {
    try decodeWritten(type, from: bytes, what: what)
  }

  private static func encodeWritten<T: BodyCodable>(_ value: T) throws -> [UInt8] {
    do {
      return try T.encodeBody(value)
    } catch {
      throw StoreError.invalidArgument(field: "\(T.self)", reason: "cannot be encoded")
    }
  }

  private static func decodeWritten<T: BodyCodable & Decodable>(_ type: T.Type, from bytes: [UInt8], what: String) throws -> T {
    do {
      if bytes.first == BodyFormat.magic {
        return try T.decodeBody(bytes)
      }
      return try JSONDecoder().decode(T.self, from: Data(bytes))
    } catch {
      throw StoreError.integrity("stored \(what) cannot be decoded")
    }
  }

  /// The legacy encoding (UTF-8 JSON), kept so tests can write rows in the old format.
  package static func encodeLegacyJSON<T: Encodable>(_ value: T) throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes]
    return Array(try encoder.encode(value))
  }
}
