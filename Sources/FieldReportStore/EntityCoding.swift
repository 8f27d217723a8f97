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
    try encoding(T.self) { try BodyEncoder.encode(value) }
  }

  package static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], what: String) throws -> T {
    try decoding(bytes, what: what) { try BodyDecoder.decode(T.self, from: bytes) }
  }

  // Cases and journal entries, the bodies read and written on every call, have codecs written
  // for the format (``BodyCodable``): the same bytes, without `Codable`'s machinery. These
  // overloads are picked wherever the type is known; other entities go through `Codable`.

  package static func encode(_ value: Case) throws -> [UInt8] {
    try encoding(Case.self) { try Case.encodeBody(value) }
  }

  package static func encode(_ value: JournalEntry) throws -> [UInt8] {
    try encoding(JournalEntry.self) { try JournalEntry.encodeBody(value) }
  }

  package static func decode(_ type: Case.Type, from bytes: [UInt8], what: String) throws -> Case {
    try decoding(bytes, what: what) { try Case.decodeBody(bytes) }
  }

  package static func decode(_ type: JournalEntry.Type, from bytes: [UInt8], what: String) throws -> JournalEntry {
    try decoding(bytes, what: what) { try JournalEntry.decodeBody(bytes) }
  }

  /// Runs a binary encoder, converting its failure to the store's error.
  private static func encoding<T>(_ type: T.Type, _ binary: () throws -> [UInt8]) throws -> [UInt8] {
    do {
      return try binary()
    } catch {
      throw StoreError.invalidArgument(field: "\(T.self)", reason: "cannot be encoded")
    }
  }

  /// The one place the first byte picks the decoder: `binary` for the binary format, JSON for
  /// a legacy row; any failure is the store's integrity error.
  private static func decoding<T: Decodable>(_ bytes: [UInt8], what: String, binary: () throws -> T) throws -> T {
    do {
      if bytes.first == BodyFormat.magic { return try binary() }
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
