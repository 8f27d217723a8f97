import Foundation

/// Why an operator's tool (``StoreBackup``, ``StoreVerifier``) could not do its work.
///
/// Each case names the file and the reason in words an operator acts on; none carries SQL
/// text. The executable adds which flag to change.
public enum MaintenanceError: Error, Sendable, Hashable, CustomStringConvertible {
  /// There is no database file at `path`.
  case databaseMissing(path: String)
  /// SQLite could not open `path` (not a database, unreadable, …).
  case cannotOpen(path: String, DatabaseFailure)
  /// The backup target already exists and replacing it was not asked for.
  case targetExists(path: String)
  /// The backup target is the database itself or one of its `-wal`, `-shm`, `-journal` files.
  case targetIsDatabase(path: String)
  /// The folder the backup should go into does not exist (it is not created).
  case targetFolderMissing(path: String)
  /// A file-system call failed: `operation` on `path`, with the C `errno`.
  case fileSystem(operation: String, path: String, errno: Int32)
  /// SQLite failed while copying.
  case backupFailed(DatabaseFailure)
  /// SQLite failed while checking.
  case checkFailed(DatabaseFailure)

  public var description: String {
    switch self {
    case .databaseMissing(let path):
      "there is no database file at \(path)"
    case .cannotOpen(let path, let failure):
      "\(path) cannot be opened as a SQLite database: \(failure.reason)"
    case .targetExists(let path):
      "\(path) already exists"
    case .targetIsDatabase(let path):
      "\(path) is the database itself (or one of its -wal, -shm, -journal files)"
    case .targetFolderMissing(let path):
      "the folder \(path) does not exist"
    case .fileSystem(let operation, let path, let code):
      "\(operation) \(path) failed: \(String(cString: strerror(code)))"
    case .backupFailed(let failure):
      "the copy failed: \(failure.reason) (SQLite code \(failure.extendedCode))"
    case .checkFailed(let failure):
      "the check could not finish: \(failure.reason) (SQLite code \(failure.extendedCode))"
    }
  }
}
