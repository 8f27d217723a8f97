import Crypto
import Foundation

/// A case's journal as the SQLite file holds it, read with the `sqlite3` command-line shell
/// (not through the store under test), and the hash chain recomputed from the documented
/// definition (`JournalChain`'s doc comment), independently of the store's code.
public enum JournalFile {
  /// One stored journal row.
  public struct Row: Sendable, Equatable {
    public let sequence: Int64
    public let at: Int64
    public let body: [UInt8]
    public let previousHash: [UInt8]
    public let hash: [UInt8]
  }

  /// What the `sqlite3` shell could not do.
  public struct ShellError: Error, CustomStringConvertible {
    public let description: String
  }

  /// The case's journal rows, in sequence order.
  public static func rows(database: String, caseID: String) async throws -> [Row] {
    let output = try await sqlite3(
      database,
      "SELECT case_seq, at, hex(body), hex(prev_hash), hex(hash) FROM journal WHERE case_id = '\(caseID)' ORDER BY case_seq;")
    return try output.split(separator: "\n").map { line in
      let fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
      guard fields.count == 5, let sequence = Int64(fields[0]), let at = Int64(fields[1]),
        let body = bytes(hex: fields[2]), let previous = bytes(hex: fields[3]), let hash = bytes(hex: fields[4])
      else { throw ShellError(description: "unexpected row: \(line)") }
      return Row(sequence: sequence, at: at, body: body, previousHash: previous, hash: hash)
    }
  }

  /// The case row's chain head (`journal_head`), as the file holds it.
  public static func head(database: String, caseID: String) async throws -> [UInt8] {
    let output = try await sqlite3(database, "SELECT hex(journal_head) FROM cases WHERE id = '\(caseID)';")
    guard let head = bytes(hex: output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
      throw ShellError(description: "unexpected head: \(output)")
    }
    return head
  }

  /// The chain hash of one entry: SHA-256 over `"fieldreport.journal.v1" 0x00`, the case id
  /// (u32be length, UTF-8), the sequence (i64be), the time (i64be), the previous hash (u32be
  /// length, bytes) and the body (u32be length, bytes).
  public static func chainHash(caseID: String, sequence: Int64, at: Int64, previous: [UInt8], body: [UInt8]) -> [UInt8] {
    func be32(_ value: Int) -> [UInt8] { withUnsafeBytes(of: UInt32(value).bigEndian) { Array($0) } }
    func be64(_ value: Int64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
    let id = Array(caseID.utf8)
    var input = Array("fieldreport.journal.v1".utf8) + [0]
    input += be32(id.count) + id + be64(sequence) + be64(at)
    input += be32(previous.count) + previous + be32(body.count) + body
    return Array(SHA256.hash(data: input))
  }

  /// The head hash of `rows` recomputed from their bodies, times and sequences alone (the
  /// stored hashes are not trusted).
  public static func recomputedHead(caseID: String, rows: [Row]) -> [UInt8] {
    var previous = [UInt8](repeating: 0, count: 32)
    for row in rows {
      previous = chainHash(caseID: caseID, sequence: row.sequence, at: row.at, previous: previous, body: row.body)
    }
    return previous
  }

  /// Lowercase hex.
  public static func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
  }

  /// An SQL blob literal.
  public static func blob(_ bytes: [UInt8]) -> String { "X'\(hex(bytes))'" }

  static func bytes(hex: String) -> [UInt8]? {
    let digits = Array(hex.utf8)
    guard digits.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    var index = 0
    while index < digits.count {
      guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
      out.append(byte)
      index += 2
    }
    return out
  }

  /// Runs one read-only statement with the `sqlite3` shell; its standard output.
  static func sqlite3(_ database: String, _ sql: String) async throws -> String {
    let run = try await Process.runToEnd(URL(fileURLWithPath: "/usr/bin/env"), ["sqlite3", "-readonly", database, sql])
    guard run.status == 0 else {
      throw ShellError(description: "sqlite3 exited \(run.status): \(run.error)")
    }
    return run.output
  }
}

/// A way to tamper with a case's journal of four entries so that exactly one check of the
/// journal verifier fires, with the verdict that check gives.
public enum JournalTamper: String, CaseIterable, Sendable {
  /// Entry 2's time edited, its hash left: its recomputed hash differs from the stored one.
  case entryAltered
  /// Entry 3's stored previous hash replaced: the link to entry 2 is broken.
  case previousHashLink
  /// Entry 2 deleted: the sequence has a gap.
  case entryMissing
  /// Entry 4's time edited and everything rehashed consistently (its hash, the chain head):
  /// only its body (which still says the old time) disagrees with its position.
  case bodyPosition
  /// Entry 4 deleted and the chain head moved to entry 3: a consistent chain, one entry
  /// shorter than the case's version.
  case versionCount
  /// The case's chain head replaced: every entry verifies, the head does not.
  case chainHead

  /// The first bad sequence the verifier reports.
  public var firstBadSequence: Int64 {
    switch self {
    case .entryAltered, .entryMissing: 2
    case .previousHashLink: 3
    case .bodyPosition, .versionCount, .chainHead: 4
    }
  }

  /// The problem the verifier reports.
  public var problem: String {
    switch self {
    case .entryAltered: "the entry was altered"
    case .previousHashLink: "the previous entry's hash does not match"
    case .entryMissing: "entry 2 is missing"
    case .bodyPosition: "the entry's body does not match its position"
    case .versionCount: "the case is at version 4 but the journal has 3 entries"
    case .chainHead: "the last entry does not match the case's chain head"
    }
  }

  /// The SQL that tampers with case `caseID`, whose four rows are `rows` (as
  /// ``JournalFile/rows(database:caseID:)`` read them). It drops the journal's triggers, as
  /// someone with write access to the file could.
  public func sql(caseID: String, rows: [JournalFile.Row]) -> String {
    precondition(rows.map(\.sequence) == [1, 2, 3, 4], "the tampers are defined on four entries")
    let journal = "journal WHERE case_id = '\(caseID)'"
    let drop = "DROP TRIGGER IF EXISTS journal_no_update; DROP TRIGGER IF EXISTS journal_no_delete;"
    switch self {
    case .entryAltered:
      return drop + " UPDATE journal SET at = at + 60000 WHERE case_id = '\(caseID)' AND case_seq = 2;"
    case .previousHashLink:
      return drop
        + " UPDATE journal SET prev_hash = \(JournalFile.blob([UInt8](repeating: 0x11, count: 32))) WHERE case_id = '\(caseID)' AND case_seq = 3;"
    case .entryMissing:
      return drop + " DELETE FROM \(journal) AND case_seq = 2;"
    case .bodyPosition:
      let last = rows[3]
      let at = last.at + 60_000
      let hash = JournalFile.chainHash(caseID: caseID, sequence: 4, at: at, previous: rows[2].hash, body: last.body)
      return drop
        + " UPDATE journal SET at = \(at), hash = \(JournalFile.blob(hash)) WHERE case_id = '\(caseID)' AND case_seq = 4;"
        + " UPDATE cases SET journal_head = \(JournalFile.blob(hash)) WHERE id = '\(caseID)';"
    case .versionCount:
      return drop + " DELETE FROM \(journal) AND case_seq = 4;"
        + " UPDATE cases SET journal_head = \(JournalFile.blob(rows[2].hash)) WHERE id = '\(caseID)';"
    case .chainHead:
      return "UPDATE cases SET journal_head = \(JournalFile.blob([UInt8](repeating: 0x22, count: 32))) WHERE id = '\(caseID)';"
    }
  }
}
