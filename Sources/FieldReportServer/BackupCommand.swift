import ArgumentParser
import FieldReportStore
import Foundation

/// `fieldreport-server backup --to FILE`: an online, consistent copy of the database file,
/// safe while the server is serving from it (``StoreBackup``).
struct BackupCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "backup",
    abstract: "Copy the database to a file, consistently, even while the server is running.",
    discussion: """
      Uses SQLite's online backup API from a read-only connection, a few MiB at a time, so a running \
      server keeps serving. The copy is written to a hidden partial file in the folder of --to, flushed, \
      then renamed: a file under the --to name is always a whole backup. It is created readable by its \
      owner only (0600). An existing file is never replaced without --force.

      Exit status: 0 backed up; 1 not backed up (the reason is printed on stderr).
      """)

  @Option(help: ArgumentHelp("The backup file to create; its folder must exist.", valueName: "file"))
  var to: String

  @Option(help: "The database file (env FIELDREPORT_DATABASE; default \(DatabaseLocation.defaultPath)).")
  var database: String?

  @Flag(help: "Replace the file at --to if it exists.")
  var force = false

  func run() throws {
    let source = try DatabaseLocation.sqlitePath(flag: self.database, command: "backup")
    let progress = ProgressLine()
    do {
      let summary = try StoreBackup.copy(database: source, to: self.to, replacing: self.force) { copied, total in
        progress.update("backing up: \(copied)/\(total) pages", force: copied == total)
      }
      progress.finish()
      let restarts =
        summary.restarts == 0 ? "" : " (restarted \(summary.restarts) times by the server's writes)"
      print(
        "Backed up \(source) to \(summary.path): \(summary.bytes) bytes, \(summary.pages) pages, "
          + "schema version \(summary.schemaVersion)\(restarts).")
    } catch let error as MaintenanceError {
      progress.finish()
      ProgressLine.writeError("fieldreport-server backup: \(Self.explain(error, source: source, force: self.force))\n")
      throw ExitCode.failure
    }
  }

  /// The failure in the operator's words, naming the flag to change.
  static func explain(_ error: MaintenanceError, source: String, force: Bool) -> String {
    switch error {
    case .databaseMissing(let path):
      "there is no database file at \(path) (set --database or FIELDREPORT_DATABASE to the server's database)"
    case .targetExists(let path):
      force
        ? "\(path) appeared while the backup ran; it was left as it is: run again"
        : "\(path) already exists; pass --force to replace it, or choose another --to"
    case .targetIsDatabase(let path):
      "--to \(path) is the database \(source) itself or one of its -wal/-shm files; choose another file"
    case .targetFolderMissing(let path):
      "the folder of --to, \(path), does not exist; create it first (e.g. install -d -m 700 \(path))"
    case .cannotOpen(let path, _) where path == source:
      "\(error) (is --database a fieldreport database?)"
    default:
      "\(error)"
    }
  }
}
