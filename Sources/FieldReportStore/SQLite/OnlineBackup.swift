internal import CSQLite

/// SQLite's online backup API (`sqlite3_backup_init` / `_step` / `_finish`): a page-by-page
/// copy of a live database that other connections and processes keep reading and writing.
///
/// The copy runs in steps of `pagesPerStep` pages; between steps the source holds no lock, so
/// a server on the same file keeps serving (in WAL mode a reader never blocks its writer in
/// any case). A write by another connection between steps makes SQLite restart the copy from
/// the first page; after ``restartLimit`` restarts the rest is copied in one step, from one
/// read snapshot, so a busy server cannot starve the backup.
///
/// # Thread safety
/// Runs on the caller's thread, which must own both connections (see ``Database``).
enum OnlineBackup {
  /// What one copy did.
  struct Outcome {
    /// Pages in the copy.
    let pages: Int
    /// How many times a concurrent write restarted the copy.
    let restarts: Int
  }

  /// Restarts tolerated before the rest is copied in one step.
  static let restartLimit = 3
  /// Consecutive SQLITE_BUSY / SQLITE_LOCKED answers tolerated (50 ms apart: 30 s in all).
  static let busyRetryLimit = 600

  /// Copies the `main` database of `source` over the `main` database of `destination`.
  /// - Parameters:
  ///   - pagesPerStep: Pages per step (at least 1).
  ///   - progress: Called after each step with the pages copied so far and the total.
  /// - Throws: ``SQLiteError`` when SQLite refuses the copy or stays busy past the retry limit.
  static func copy(
    from source: Database, to destination: Database, pagesPerStep: Int,
    progress: (_ copied: Int, _ total: Int) -> Void
  ) throws(SQLiteError) -> Outcome {
    guard let backup = sqlite3_backup_init(destination.handle, "main", source.handle, "main") else {
      // The error is left on the destination connection.
      throw SQLiteError(code: sqlite3_extended_errcode(destination.handle), connection: destination.handle)
    }
    var step = Int32(clamping: max(1, pagesPerStep))
    var restarts = 0
    var busyRetries = 0
    var lastRemaining = Int32.max
    while true {
      let rc = sqlite3_backup_step(backup, step)
      switch rc & 0xFF {
      case SQLITE_DONE:
        let total = Int(sqlite3_backup_pagecount(backup))
        progress(total, total)
        let finished = sqlite3_backup_finish(backup)
        guard finished == SQLITE_OK else { throw SQLiteError(code: finished, connection: destination.handle) }
        return Outcome(pages: total, restarts: restarts)
      case SQLITE_OK:
        busyRetries = 0
        let remaining = sqlite3_backup_remaining(backup)
        let total = sqlite3_backup_pagecount(backup)
        if remaining >= lastRemaining {
          // Another connection wrote to the source: SQLite started again from page 1.
          restarts += 1
          if restarts >= restartLimit { step = -1 }
        }
        lastRemaining = remaining
        progress(Int(total - remaining), Int(total))
      case SQLITE_BUSY, SQLITE_LOCKED:
        busyRetries += 1
        guard busyRetries <= busyRetryLimit else {
          sqlite3_backup_finish(backup)
          throw SQLiteError(code: rc, connection: nil)
        }
        sqlite3_sleep(50)
      default:
        sqlite3_backup_finish(backup)
        throw SQLiteError(code: rc, connection: nil)
      }
    }
  }
}
