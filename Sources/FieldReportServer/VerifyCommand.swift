import ArgumentParser
import FieldReportStore
import Foundation

/// `fieldreport-server verify`: checks a database file offline and read-only
/// (``StoreVerifier``): SQLite's integrity and foreign-key checks, then every case's journal
/// hash chain.
struct VerifyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "verify",
    abstract: "Check the database file: SQLite's integrity and foreign keys, every case's journal hash chain.",
    discussion: """
      Opens the file read-only and never migrates it; a running server may keep serving from it (the \
      checks read one snapshot). A file of an older schema version is checked as it is (the journal and \
      its chain are unchanged since version 1; the server migrates the file when it next starts on it). \
      A file of a newer schema version gets SQLite's checks only and counts as a problem.

      Each problem is printed on its own line with the case's report code, the journal entry and what is \
      wrong; progress (cases checked / total) goes to stderr when it is a terminal.

      Exit status: 0 no problem; 1 problems found; 2 the file could not be checked.
      """)

  @Option(help: "The database file (env FIELDREPORT_DATABASE; default \(DatabaseLocation.defaultPath)).")
  var database: String?

  func run() throws {
    let path = try DatabaseLocation.sqlitePath(flag: self.database, command: "verify")
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
  }
}
