import FieldReportWorkflow
import Foundation

/// The offline checks of a database file (`fieldreport-server verify`): SQLite's own
/// `PRAGMA integrity_check` and `PRAGMA foreign_key_check`, then every case's journal hash
/// chain with the same verifier as the VerifyJournal RPC
/// (``SQLiteFieldReportStore/verifyChain(of:in:)``).
///
/// The file is opened read-only (`SQLITE_OPEN_READONLY`) and never migrated; a server may be
/// serving from it meanwhile. Every check reads one snapshot (one read transaction), so a
/// case written during the run is seen whole or not at all.
///
/// Schema versions: a file of this build's version, or of an older one, is checked as it is
/// (the `cases` and `journal` columns the chain reads, and the chain's definition, are the
/// same since version 1; the server migrates an older file when it next starts on it). A file
/// of a newer version, or with no fieldreport schema, gets SQLite's checks only, and that is
/// reported as a problem: this build does not know its layout.
///
/// # Thread safety
/// ``verify(database:progress:)`` blocks its thread until done; call it from a thread that
/// may block (not a NIO event loop).
public enum StoreVerifier {
  /// Checks the database at `path`.
  /// - Parameters:
  ///   - path: The database file; it is only read.
  ///   - progress: Called before each case's chain is checked, with the cases checked so far
  ///     and the total (and once more at the end).
  /// - Returns: What was found; ``VerificationReport/isClean`` if nothing.
  /// - Throws: ``MaintenanceError``: the file is missing or cannot be opened, or reading it
  ///   failed for a reason other than damage (damage is reported, not thrown).
  public static func verify(
    database path: String, progress: (_ checked: Int, _ total: Int) -> Void = { _, _ in }
  ) throws -> VerificationReport {
    try inspecting(path) { try check($0, progress: progress) }
  }

  /// Opens the file at `path` read-only (an inspector) and runs `body` in one read snapshot:
  /// the one way the offline checks (this and ``CheckpointVerifier``) read a database.
  /// - Throws: ``MaintenanceError``: missing, cannot be opened, or a read failed.
  static func inspecting<T>(_ path: String, _ body: (Database) throws -> T) throws -> T {
    guard FileManager.default.fileExists(atPath: path) else { throw MaintenanceError.databaseMissing(path: path) }
    let database: Database
    do {
      database = try Database(path: path, role: .inspector)
    } catch {
      throw MaintenanceError.cannotOpen(path: path, error.publicFailure)
    }
    do {
      try database.execute("BEGIN DEFERRED")
      defer { try? database.execute("COMMIT") }
      return try body(database)
    } catch let error as SQLiteError {
      throw MaintenanceError.checkFailed(error.publicFailure)
    }
  }

  private static func check(_ database: Database, progress: (Int, Int) -> Void) throws -> VerificationReport {
    let current = Migrator.latestVersion
    var report = VerificationReport(
      schemaVersion: try database.userVersion(), currentSchemaVersion: current, journalsChecked: false,
      casesChecked: 0, journalEntries: 0, problems: [])

    // integrity_check reports damage as rows, and may then stop on it with SQLITE_CORRUPT: the
    // rows read until then are kept.
    let (integrity, stopped) = try rowsUntilCorruption(database, "PRAGMA integrity_check")
    if integrity != ["ok"] || stopped != nil {
      // One problem a line; SQLite's "*** in database main ***" headings name no problem.
      report.problems += integrity.flatMap { $0.split(separator: "\n") }
        .filter { !$0.hasPrefix("***") }
        .map { VerificationReport.Problem(check: .integrity, message: String($0)) }
    }
    if let stopped {
      report.problems.append(.init(check: .integrity, message: "the check stopped: \(stopped.publicFailure.reason)"))
    }

    let violations: [(String, Int64?, String)]
    do {
      violations = try database.query("PRAGMA foreign_key_check") { ($0.text(0), $0.optionalInt64(1), $0.text(2)) }
    } catch let error as SQLiteError where error.isCorruption {
      violations = []
      report.problems.append(.init(check: .foreignKey, message: "the check stopped: \(error.publicFailure.reason)"))
    }
    for (table, rowid, parent) in violations {
      if table == "journal", let rowid,
        let (caseID, sequence) = try database.queryFirst(
          "SELECT case_id, case_seq FROM journal WHERE rowid = ?", [rowid], { ($0.text(0), $0.int64(1)) })
      {
        report.problems.append(
          .init(check: .foreignKey, caseID: caseID, sequence: sequence, message: "the journal entry's case is not in the cases table"))
      } else {
        let row = rowid.map { "row \($0)" } ?? "a row"
        report.problems.append(
          .init(check: .foreignKey, message: "\(row) of table \(table) refers to a row of \(parent) that does not exist"))
      }
    }

    switch report.schemaVersion {
    case 0:
      report.problems.append(
        .init(
          check: .schema,
          message: "the file has no fieldreport schema (user_version 0): not a fieldreport database, "
            + "or one the server never finished creating; journal chains not checked"))
      return report
    case (current + 1)...:
      report.problems.append(
        .init(
          check: .schema,
          message: "the file has schema version \(report.schemaVersion), newer than this build's \(current): "
            + "journal chains not checked; verify it with the fieldreport-server that wrote it"))
      return report
    default:
      break
    }

    let cases: [(CaseID, String)]
    do {
      report.journalEntries = Int(try database.scalarInt64("SELECT COUNT(*) FROM journal") ?? 0)
      cases = try database.query("SELECT id, report_code FROM cases ORDER BY received_at, id") {
        (CaseID($0.text(0)), $0.text(1))
      }
    } catch let error as SQLiteError where error.isCorruption {
      report.problems.append(
        .init(check: .journal, message: "the cases and journal tables cannot be read: \(error.publicFailure.reason)"))
      return report
    }
    report.journalsChecked = true
    for (index, (caseID, reportCode)) in cases.enumerated() {
      progress(index, cases.count)
      do {
        switch try SQLiteFieldReportStore.verifyChain(of: caseID, in: database) {
        case .broken(let sequence, let reason):
          report.problems.append(
            .init(check: .journal, reportCode: reportCode, caseID: caseID.rawValue, sequence: sequence, message: reason))
        case .intact, nil:
          break
        }
      } catch let error as SQLiteError where error.isCorruption {
        // Damage under one case is reported and the next case is checked.
        report.problems.append(
          .init(
            check: .journal, reportCode: reportCode, caseID: caseID.rawValue,
            message: "its rows cannot be read: \(error.publicFailure.reason)"))
      }
      report.casesChecked += 1
    }
    progress(cases.count, cases.count)
    return report
  }

  /// The first column of every row of `sql` up to the end, or up to a corruption error,
  /// returned with the rows; any other failure is thrown.
  private static func rowsUntilCorruption(_ database: Database, _ sql: String) throws -> ([String], SQLiteError?) {
    let statement = try database.statement(sql)
    try statement.bind([])
    defer { statement.reset() }
    var rows: [String] = []
    while true {
      switch Result(catching: { () throws(SQLiteError) -> Bool in try statement.step() }) {
      case .success(true): rows.append(statement.text(0))
      case .success(false): return (rows, nil)
      case .failure(let error) where error.isCorruption: return (rows, error)
      case .failure(let error): throw error
      }
    }
  }
}
