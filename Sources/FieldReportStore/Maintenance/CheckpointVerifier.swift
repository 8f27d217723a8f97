import FieldReportWorkflow
import Foundation

/// What `fieldreport-server verify --checkpoint` found: whether no journal entry covered by a
/// signed checkpoint was changed, added or removed since.
public struct CheckpointReport: Sendable {
  /// One thing that does not match the checkpoint.
  public struct Failure: Sendable, CustomStringConvertible {
    /// The case's report code (the checkpoint's when the case is gone), if about a case.
    public var reportCode: String?
    /// The case id, if about a case.
    public var caseID: String?
    /// The journal entry (1-based), if about one.
    public var entry: Int64?
    /// What differs.
    public var message: String

    public var description: String {
      var place: [String] = []
      if let reportCode { place.append("case \(reportCode)" + (caseID.map { " (\($0))" } ?? "")) }
      if let entry { place.append("entry \(entry)") }
      return (place.isEmpty ? "" : place.joined(separator: ", ") + ": ") + message
    }
  }

  /// Whether the signature verifies with the checkpoint's own public key.
  public var signatureValid: Bool
  /// Whether a trusted key was given and the checkpoint's key is it (nil: none given).
  public var keyTrusted: Bool?
  /// Cases the checkpoint covers, and how many were checked.
  public var casesCovered: Int
  /// Covered cases whose journal grew after the checkpoint (allowed: the chain continues).
  public var casesGrown: Int
  /// Cases created after the checkpoint (allowed; their chains are the ordinary check's).
  public var casesAdded: Int
  /// Entries recomputed.
  public var entriesRecomputed: Int64
  /// Everything that does not match, in head order; the first is the first failure.
  public var failures: [Failure]

  /// The checkpoint holds: signature valid, made with the trusted key, no failure. Without a
  /// trusted key it does not hold: anyone who can edit the file can also sign a new checkpoint
  /// of it with a key of their own.
  public var holds: Bool { signatureValid && keyTrusted == true && failures.isEmpty }
}

/// Proves offline, from a SQLite file alone, that no journal entry covered by a checkpoint was
/// changed, added or removed since it was signed: every checkpointed case still exists, and
/// its chain, recomputed from the stored entry bytes (the stored hashes are not trusted),
/// reaches the signed head at the signed entry count. Entries after that count and cases
/// created later are allowed (the chains continue).
///
/// Opens the file read-only and reads one snapshot; blocks its thread (not for an event loop).
public enum CheckpointVerifier {
  /// How long before a checkpoint's time a case it does not cover may have been received: the
  /// writes in flight while the heads were read (a case's receipt time is taken before its commit).
  static let inFlightAllowanceMilliseconds: Int64 = 60_000

  /// Verifies `checkpoint` against the database at `path`.
  /// - Parameter trustedKey: The public key the inspector trusts (raw 32 bytes); nil checks
  ///   the signature with the checkpoint's own key, which proves only that the file is
  ///   self-consistent, not who made it.
  /// - Throws: ``MaintenanceError`` when the file cannot be opened or read.
  public static func verify(
    database path: String, checkpoint: JournalCheckpoint, trustedKey: [UInt8]?
  ) throws -> CheckpointReport {
    var report = CheckpointReport(
      signatureValid: checkpoint.signatureIsValid, keyTrusted: trustedKey.map { $0 == checkpoint.publicKey },
      casesCovered: checkpoint.heads.count, casesGrown: 0, casesAdded: 0, entriesRecomputed: 0, failures: [])
    try StoreVerifier.inspecting(path) { database in
      let covered = Set(checkpoint.heads.map(\.caseID.rawValue))
      let all = try database.query("SELECT id, report_code, received_at FROM cases") {
        ($0.text(0), $0.text(1), $0.int64(2))
      }
      // A case the checkpoint does not cover must have been received after it was signed
      // (allowing for writes in flight while it was made): one received before was added
      // behind the checkpoint's back.
      let signedAt = checkpoint.createdAt.millisecondsSince1970
      for (id, code, received) in all where !covered.contains(id) {
        report.casesAdded += 1
        if received < signedAt - Self.inFlightAllowanceMilliseconds {
          report.failures.append(
            CheckpointReport.Failure(
              reportCode: code, caseID: id, entry: nil,
              message: "the case is not in the checkpoint but was received \((signedAt - received) / 1000) s before it was signed: it was added since"))
        }
      }
      for head in checkpoint.heads {
        let (failure, recomputed, grown) = try check(head, in: database)
        report.entriesRecomputed += recomputed
        if grown { report.casesGrown += 1 }
        if let failure { report.failures.append(failure) }
      }
    }
    return report
  }

  /// One head: nil when the case's first `entryCount` entries recompute to the head.
  private static func check(_ head: CheckpointHead, in database: Database) throws -> (CheckpointReport.Failure?, Int64, Bool) {
    let id = head.caseID.rawValue
    func failure(_ code: String, _ entry: Int64?, _ message: String) -> CheckpointReport.Failure {
      CheckpointReport.Failure(reportCode: code, caseID: id, entry: entry, message: message)
    }
    guard
      let (code, version) = try database.queryFirst(
        "SELECT report_code, version FROM cases WHERE id = ?", [id], { ($0.text(0), $0.int64(1)) })
    else {
      return (failure(head.reportCode, nil, "the case was deleted: the checkpoint covers \(head.entryCount) entries of it"), 0, false)
    }
    let rows = try database.query(
      "SELECT case_seq, at, body, hash FROM journal WHERE case_id = ? AND case_seq <= ? ORDER BY case_seq",
      [id, head.entryCount]
    ) { ($0.int64(0), $0.int64(1), $0.blob(2), $0.blob(3)) }
    var previous = JournalChain.genesis
    var firstAltered: Int64?
    var expected: Int64 = 1
    for (sequence, at, body, stored) in rows {
      guard sequence == expected else {
        return (
          failure(code, expected, "entry \(expected) is missing (deleted, or later entries renumbered): "
            + "the checkpoint covers entries 1…\(head.entryCount)"), expected - 1, false)
      }
      let hash = JournalChain.hash(caseID: id, sequence: sequence, at: at, previous: previous, body: body)
      if hash != stored, firstAltered == nil { firstAltered = sequence }
      previous = hash
      expected += 1
    }
    let recomputed = Int64(rows.count)
    guard recomputed == head.entryCount else {
      return (
        failure(code, recomputed + 1, "the journal has \(recomputed) entries where the checkpoint covers \(head.entryCount): entries were deleted"),
        recomputed, false)
    }
    guard previous == head.headHash else {
      if let firstAltered {
        return (
          failure(code, firstAltered, "its stored bytes no longer give its recorded hash: the entry was changed "
            + "(entries 1…\(head.entryCount) recompute to head \(JournalChain.hex(previous).prefix(16))…, the checkpoint signed \(JournalChain.hex(head.headHash).prefix(16))…)"),
          recomputed, false)
      }
      return (
        failure(code, head.entryCount, "entries 1…\(head.entryCount) recompute to head \(JournalChain.hex(previous).prefix(16))…, "
          + "the checkpoint signed \(JournalChain.hex(head.headHash).prefix(16))…: an entry at or before \(head.entryCount) was "
          + "changed, added or removed and the stored hashes rewritten to match"),
        recomputed, false)
    }
    return (nil, recomputed, version > head.entryCount)
  }
}
