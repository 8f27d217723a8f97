#if canImport(Glibc)
  import Glibc
#endif
import Synchronization

/// One process's claim to serve a SQLite database: an exclusive advisory lock (`flock`) on
/// `<database>-lock` next to it, taken when the store opens and held until it closes.
///
/// The store keeps state in memory that is only true if its process is the file's one writer:
/// the listing cache, the latest-case index, the idempotency-key filter and each day's last
/// report number. A second store on the same file (a second `fieldreport-server`, or a second
/// store in one process) would start, write, and leave both answering stale pages and views;
/// it is refused instead, saying why. Read-only tools (`fieldreport-server backup` and
/// `verify`) open the file without a store and never take the lock.
///
/// A file of its own, not the database: closing any descriptor of the database file would
/// drop every POSIX lock this process holds on it, SQLite's included. The lock goes with the
/// descriptor: ``release()``, the lock's deinit, or the process's end (a crash included) frees it.
/// The store releases it in `close()` after its connections are closed; a store dropped without
/// `close()` (tests) frees it at once while its threads finish their queue.
///
/// # Thread safety
/// `Sendable`; ``release()`` may be called from any thread, any number of times.
final class DatabaseFileLock: Sendable {
  private let descriptor: Mutex<Int32?>

  /// Takes the lock, creating the lock file (0600) if missing.
  /// - Throws: ``StoreError/unavailable(_:)`` when another store holds it, or the file cannot
  ///   be opened.
  init(databasePath: String) throws(StoreError) {
    let path = databasePath + "-lock"
    let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
    guard fd >= 0 else {
      throw StoreError.unavailable(.store("the lock file \(path) cannot be opened (errno \(errno))"))
    }
    if flock(fd, LOCK_EX | LOCK_NB) != 0 {
      let code = errno
      _ = Glibc.close(fd)
      if code == EWOULDBLOCK {
        throw StoreError.unavailable(
          .store(
            "the database \(databasePath) is already open in another process (is a fieldreport-server running on it?): one process serves a SQLite database at a time; stop the other first, or use PostgreSQL for several replicas"
          ))
      }
      throw StoreError.unavailable(.store("the lock file \(path) cannot be locked (errno \(code))"))
    }
    descriptor = Mutex(fd)
  }

  /// Frees the lock (once; later calls do nothing).
  func release() {
    if let fd = descriptor.withLock({ held -> Int32? in
      defer { held = nil }
      return held
    }) {
      _ = Glibc.close(fd)
    }
  }

  deinit {
    release()
  }
}
