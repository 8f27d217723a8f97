import Foundation
#if canImport(Glibc)
  import Glibc
#endif

/// An online, consistent copy of a store's database file, taken while a server may be
/// serving from it (`fieldreport-server backup`).
///
/// The copy is made with SQLite's online backup API (``OnlineBackup``) from a read-only
/// connection, into a new file created 0600 in the target's folder
/// (`.<name>.partial-<pid>-<random>`), flushed to disk, and only then given the target's
/// name: a reader of the target never sees a half-written backup, and a failed or interrupted
/// copy leaves at most that hidden partial file (removed on failure). Without `replacing`,
/// the final name is taken with `link(2)`, which refuses an existing file atomically; with
/// it, `rename(2)` replaces the file in one step. The backup is one self-contained file in
/// rollback-journal mode (no `-wal`); the server switches it to WAL when it starts on it.
///
/// # Thread safety
/// ``copy(database:to:replacing:pagesPerStep:progress:)`` blocks its thread until the copy is
/// done; call it from a thread that may block (not a NIO event loop).
public enum StoreBackup {
  /// What a finished backup wrote.
  public struct Summary: Sendable, Hashable {
    /// The backup file.
    public let path: String
    /// Its size in bytes.
    public let bytes: Int64
    /// Its size in database pages.
    public let pages: Int
    /// The schema version recorded in the copy (`PRAGMA user_version`).
    public let schemaVersion: Int
    /// How many times a concurrent write made SQLite restart the copy.
    public let restarts: Int
  }

  /// Copies the database at `source` to a new file at `target`.
  /// - Parameters:
  ///   - source: The database file; it is only read.
  ///   - target: The backup file to create; its folder must exist.
  ///   - replacing: Whether an existing file at `target` may be replaced.
  ///   - pagesPerStep: Pages copied per step of the backup API (1024 pages: 4 MiB at the
  ///     default page size).
  ///   - progress: Called after each step with the pages copied so far and the total.
  /// - Returns: What was written.
  /// - Throws: ``MaintenanceError``: the source is missing or not a database, the target
  ///   exists (without `replacing`), is the database itself, or its folder is missing; a file
  ///   call or the copy failed.
  public static func copy(
    database source: String, to target: String, replacing: Bool, pagesPerStep: Int = 1024,
    progress: (_ copied: Int, _ total: Int) -> Void = { _, _ in }
  ) throws -> Summary {
    guard FileManager.default.fileExists(atPath: source) else { throw MaintenanceError.databaseMissing(path: source) }
    let targetURL = URL(fileURLWithPath: target).standardizedFileURL
    let folder = targetURL.deletingLastPathComponent().path
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
      throw MaintenanceError.targetFolderMissing(path: folder)
    }
    try refuseDatabaseFiles(source: source, target: targetURL.path)
    if !replacing && FileManager.default.fileExists(atPath: targetURL.path) {
      throw MaintenanceError.targetExists(path: targetURL.path)
    }

    let partial = URL(fileURLWithPath: folder)
      .appendingPathComponent(".\(targetURL.lastPathComponent).partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
      .path
    let descriptor = open(partial, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else { throw MaintenanceError.fileSystem(operation: "creating", path: partial, errno: errno) }
    // Exactly 0600 whatever the umask; SQLite keeps the mode of a file it opens.
    let modeSet = fchmod(descriptor, 0o600) == 0 ? 0 : errno
    _ = Glibc.close(descriptor)
    do {
      guard modeSet == 0 else { throw MaintenanceError.fileSystem(operation: "setting mode 0600 on", path: partial, errno: modeSet) }
      let (outcome, schemaVersion) = try copyPages(from: source, to: partial, pagesPerStep: pagesPerStep, progress: progress)
      try flush(partial, what: "flushing")
      try publish(partial, as: targetURL.path, replacing: replacing)
      // The new name is durable once the folder's entry is on disk; a failure here is not
      // worth failing a finished backup for (the file itself is flushed).
      let folderDescriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
      if folderDescriptor >= 0 {
        _ = fsync(folderDescriptor)
        _ = Glibc.close(folderDescriptor)
      }
      var status = stat()
      let size = stat(targetURL.path, &status) == 0 ? Int64(status.st_size) : 0
      return Summary(
        path: targetURL.path, bytes: size, pages: outcome.pages, schemaVersion: schemaVersion,
        restarts: outcome.restarts)
    } catch {
      unlink(partial)
      unlink(partial + "-journal")
      throw error
    }
  }

  /// Refuses a target that is the database file itself (by path or by inode) or one of its
  /// companion files: replacing the live file under a running server would lose its writes.
  private static func refuseDatabaseFiles(source: String, target: String) throws {
    let sourcePath = URL(fileURLWithPath: source).standardizedFileURL.resolvingSymlinksInPath().path
    let targetPath = URL(fileURLWithPath: target).resolvingSymlinksInPath().path
    if [sourcePath, sourcePath + "-wal", sourcePath + "-shm", sourcePath + "-journal"].contains(targetPath) {
      throw MaintenanceError.targetIsDatabase(path: target)
    }
    var sourceStatus = stat()
    var targetStatus = stat()
    if stat(source, &sourceStatus) == 0, stat(target, &targetStatus) == 0,
      sourceStatus.st_dev == targetStatus.st_dev, sourceStatus.st_ino == targetStatus.st_ino
    {
      throw MaintenanceError.targetIsDatabase(path: target)
    }
  }

  /// Runs the backup API from a read-only connection on `source` into `destination`.
  private static func copyPages(
    from source: String, to destination: String, pagesPerStep: Int,
    progress: (_ copied: Int, _ total: Int) -> Void
  ) throws -> (OnlineBackup.Outcome, Int) {
    let sourceDatabase: Database
    do {
      sourceDatabase = try Database(path: source, role: .inspector)
    } catch {
      throw MaintenanceError.cannotOpen(path: source, error.publicFailure)
    }
    let destinationDatabase: Database
    do {
      destinationDatabase = try Database(path: destination, role: .backupTarget)
    } catch {
      throw MaintenanceError.cannotOpen(path: destination, error.publicFailure)
    }
    // Both connections are closed when this returns (deinit), before the file is flushed and renamed.
    do {
      let outcome = try OnlineBackup.copy(
        from: sourceDatabase, to: destinationDatabase, pagesPerStep: pagesPerStep, progress: progress)
      // The copy's header says WAL, like its source's. Rollback-journal mode makes the backup
      // one self-contained file: opening it read-only (verify) leaves no -wal and -shm beside
      // it. The server's writer sets WAL again when it opens a restored copy.
      try destinationDatabase.execute("PRAGMA journal_mode=DELETE")
      return (outcome, try destinationDatabase.userVersion())
    } catch let error as SQLiteError {
      throw MaintenanceError.backupFailed(error.publicFailure)
    }
  }

  /// `fsync(2)` on a file.
  private static func flush(_ path: String, what: String) throws {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw MaintenanceError.fileSystem(operation: what, path: path, errno: errno) }
    defer { _ = Glibc.close(descriptor) }
    guard fsync(descriptor) == 0 else { throw MaintenanceError.fileSystem(operation: what, path: path, errno: errno) }
  }

  /// Gives the finished partial file its final name.
  private static func publish(_ partial: String, as target: String, replacing: Bool) throws {
    if replacing {
      guard rename(partial, target) == 0 else {
        throw MaintenanceError.fileSystem(operation: "renaming the finished copy to", path: target, errno: errno)
      }
      return
    }
    // link(2) fails with EEXIST if the target appeared since the check: never replaced.
    if link(partial, target) == 0 {
      unlink(partial)
      return
    }
    let code = errno
    if code == EEXIST { throw MaintenanceError.targetExists(path: target) }
    if code == EPERM || code == EOPNOTSUPP {
      // A file system without hard links: check, then rename (a narrow race, no atomic refusal).
      guard !FileManager.default.fileExists(atPath: target) else { throw MaintenanceError.targetExists(path: target) }
      guard rename(partial, target) == 0 else {
        throw MaintenanceError.fileSystem(operation: "renaming the finished copy to", path: target, errno: errno)
      }
      return
    }
    throw MaintenanceError.fileSystem(operation: "linking the finished copy to", path: target, errno: code)
  }
}
