import ArgumentParser
import FieldReportStore
import Foundation

/// `fieldreport-server verify`: checks a database file offline and read-only
/// (``StoreVerifier``): SQLite's integrity and foreign-key checks, then every case's journal
/// hash chain.
struct VerifyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "verify",
    abstract: "Check the database file: SQLite's integrity and foreign keys, every case's journal hash chain, and optionally a signed checkpoint.",
    discussion: """
      Opens the file read-only and never migrates it; a running server may keep serving from it (the \
      checks read one snapshot). A file of an older schema version is checked as it is (the journal and \
      its chain are unchanged since version 1; the server migrates the file when it next starts on it). \
      A file of a newer schema version gets SQLite's checks only and counts as a problem.

      Each problem is printed on its own line with the case's report code, the journal entry and what is \
      wrong; progress (cases checked / total) goes to stderr when it is a terminal.

      With --checkpoint FILE (a signed checkpoint exported by `fieldreport journal checkpoint export`) it also \
      proves, from the file alone, that no journal entry the checkpoint covers was changed, added or removed \
      since: the signature verifies, every checkpointed case still exists, and its chain, recomputed from the \
      stored entries, reaches the signed head at the signed entry count (later entries and later cases are \
      allowed, but not a case received before the checkpoint that it does not cover). Give --public-key with \
      the key you trust (the server prints it at start): a checkpoint's own key proves nothing about who \
      signed it, so without --public-key the checkpoint is never reported as holding. The first failure \
      names the case, the entry and what differs.

      Exit status: 0 no problem; 1 problems found (or the checkpoint does not hold, or no --public-key was \
      given); 2 the file could not be checked.
      """)

  @Option(help: "The database file (env FIELDREPORT_DATABASE; default \(DatabaseLocation.defaultPath)).")
  var database: String?

  @Option(help: "A signed journal checkpoint file (fieldreport journal checkpoint export): also prove that no journal entry it covers was changed, added or removed since.")
  var checkpoint: String?

  @Option(name: .customLong("public-key"), help: "The checkpoint public key you trust: 64 hex digits, or a file holding them (the server prints it at start). Without it the checkpoint's own key is used, which proves nothing about who signed it: the run then exits 1.")
  var publicKey: String?

  func run() throws {
    let path = try DatabaseLocation.sqlitePath(flag: self.database, command: "verify")
    var checkpointHolds = true
    if let checkpoint {
      checkpointHolds = try Self.verifyCheckpoint(file: checkpoint, publicKey: publicKey, database: path)
      print("")
    } else if publicKey != nil {
      throw ValidationError("--public-key goes with --checkpoint")
    }
    let progress = ProgressLine()
    let report: VerificationReport
    do {
      report = try StoreVerifier.verify(database: path) { checked, total in
        progress.update("checking journal chains: \(checked)/\(total) cases", force: checked == total)
      }
      progress.finish()
    } catch let error as MaintenanceError {
      progress.finish()
      let hint = if case .databaseMissing = error { " (set --database or FIELDREPORT_DATABASE)" } else { "" }
      ProgressLine.writeError("fieldreport-server verify: \(error)\(hint)\n")
      throw ExitCode(2)
    }

    print("Database: \(path) (schema version \(report.schemaVersion), this build's is \(report.currentSchemaVersion))")
    if (1..<report.currentSchemaVersion).contains(report.schemaVersion) {
      print("note: an older schema, checked as it is; the server migrates it to \(report.currentSchemaVersion) when it next starts on it")
    }
    for problem in report.problems {
      print("PROBLEM \(problem)")
    }
    let checks = report.problems.map(\.check)
    print("integrity_check: \(checks.contains(.integrity) ? "FAILED" : "ok")")
    print("foreign_key_check: \(checks.contains(.foreignKey) ? "FAILED" : "ok")")
    if report.journalsChecked {
      let broken = Set(report.problems.filter { $0.check == .journal }.compactMap(\.caseID)).count
      print(
        "journal chains: \(report.casesChecked) cases, \(report.journalEntries) entries, "
          + (broken == 0 ? "all intact" : "\(broken) broken"))
    } else {
      print("journal chains: not checked (see the problems above)")
    }
    if report.isClean {
      print("OK: no problem found.")
    } else {
      print("FAILED: \(report.problems.count) problem\(report.problems.count == 1 ? "" : "s") found.")
      throw ExitCode.failure
    }
    if !checkpointHolds { throw ExitCode.failure }
  }

  /// Checks a checkpoint file against the database (``CheckpointVerifier``) and prints what it
  /// found; returns whether it holds.
  static func verifyCheckpoint(file: String, publicKey: String?, database path: String) throws -> Bool {
    guard let data = FileManager.default.contents(atPath: file) else {
      ProgressLine.writeError("fieldreport-server verify: cannot read the checkpoint file \(file)\n")
      throw ExitCode(2)
    }
    let checkpoint: JournalCheckpoint
    do {
      checkpoint = try JournalCheckpoint.importJSON(Array(data))
    } catch {
      ProgressLine.writeError("fieldreport-server verify: \(file): \(error)\n")
      throw ExitCode(2)
    }
    var trusted: [UInt8]?
    if let publicKey {
      var text = publicKey
      if FileManager.default.fileExists(atPath: publicKey), let contents = FileManager.default.contents(atPath: publicKey) {
        text = String(decoding: contents, as: UTF8.self)
      }
      text = text.trimmingCharacters(in: .whitespacesAndNewlines)
      guard let key = JournalChain.bytes(fromHex: text), key.count == 32 else {
        throw ValidationError("--public-key must be 64 hex digits (a raw Ed25519 public key) or a file holding them")
      }
      trusted = key
    }
    let report: CheckpointReport
    do {
      report = try CheckpointVerifier.verify(database: path, checkpoint: checkpoint, trustedKey: trusted)
    } catch let error as MaintenanceError {
      ProgressLine.writeError("fieldreport-server verify: \(error)\n")
      throw ExitCode(2)
    }
    print(
      "Checkpoint: \(file) (\(checkpoint.id), signed \(checkpoint.createdAt), \(checkpoint.caseCount) cases, "
        + "\(checkpoint.entryCount) entries)")
    print("signature (Ed25519 over the digest): \(report.signatureValid ? "valid" : "INVALID: the file was not signed by its key, or was altered")")
    switch report.keyTrusted {
    case true?:
      print("signing key: trusted (the key given with --public-key, fingerprint \(checkpoint.keyFingerprint))")
    case false?:
      print(
        "signing key: NOT TRUSTED: the checkpoint was signed by \(checkpoint.keyFingerprint), "
          + "not by the key given with --public-key (\(JournalCheckpoint.fingerprint(of: trusted ?? [])))")
    case nil:
      print(
        "signing key: NOT CHECKED: no --public-key given; the checkpoint's own key (fingerprint \(checkpoint.keyFingerprint)) "
          + "proves only that the file is self-consistent, not who signed it: compare it with the fingerprint the server printed at start")
    }
    print(
      "journals: \(report.casesCovered) checkpointed cases, \(report.entriesRecomputed) entries recomputed; "
        + "\(report.casesGrown) grew since (allowed), \(report.casesAdded) cases created since (allowed)")
    for (index, failure) in report.failures.enumerated() {
      print("\(index == 0 ? "FIRST FAILURE" : "FAILURE") \(failure)")
    }
    if report.holds {
      print("CHECKPOINT HOLDS: no journal entry it covers was changed, added or removed.")
    } else if report.keyTrusted == nil, report.signatureValid, report.failures.isEmpty {
      // Not a pass: whoever can edit the file can also sign a checkpoint of it with their own key.
      print(
        "CHECKPOINT NOT PROVEN: the journals match the checkpoint, but without --public-key nothing says who signed it; "
          + "run again with the key you trust.")
    } else {
      print("CHECKPOINT FAILED: \(report.failures.count) case\(report.failures.count == 1 ? "" : "s") differ"
        + (report.signatureValid ? "" : "; the signature is invalid") + (report.keyTrusted == false ? "; the key is not the trusted one" : "") + ".")
    }
    return report.holds
  }
}
