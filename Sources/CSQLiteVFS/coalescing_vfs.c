// The write-coalescing VFS (see include/CSQLiteVFS.h).
//
// SQLite writes a WAL frame as two writes: the 24-byte frame header, then the page. Its WAL
// file format (https://sqlite.org/fileformat2.html#walformat) says a frame header's bytes 4-7
// hold, for a commit frame, the database size in pages after the commit, and zero for every
// other frame. A commit is published to other connections (the wal-index header in shared
// memory) only after its commit frame was written, through no call on the WAL file.
//
// The rules, which keep the file's bytes exactly what SQLite wrote, in the same order, every
// frame of a commit in the file before the commit frame, and nothing held once the connection
// gives up the WAL's write lock:
//
// 1. Only two kinds of write are held in the buffer: a frame header whose commit field is zero,
//    and the write that immediately follows such a held header (its page). Each held write
//    must start where the held bytes end; otherwise the held bytes are written first.
// 2. Every other write (the WAL header, a commit frame's header and page, a page rewritten in
//    place, a checksum rewrite) first writes the held bytes, then itself, directly.
// 3. Every other operation on the WAL file (read, sync, truncate, size, file control, memory
//    map, close) first writes the held bytes.
// 4. Releasing the WAL write lock (a shared-memory lock on the main database file) and the
//    memory barrier SQLite raises before it publishes a commit first write the held bytes. Held
//    bytes can only be left there by a transaction that spilled pages and then rolled back;
//    written before the lock is released, they can never land on frames another connection
//    writes after it.
//
// A commit frame's header is never held (rule 2), so when SQLite writes it, everything before it
// is already in the file, and the commit frame itself is written directly: when the commit is
// published, nothing of it is held. A held write that fails to reach the file fails the write
// (or operation) that flushed it, so SQLite aborts the transaction as it would have. A process
// that dies with bytes held loses only frames of a transaction that had not committed, which
// SQLite's recovery ignores anyway (it stops at the last valid commit frame).
//
// The main database file goes through this VFS only to see rule 4's two calls; every other file
// (journals, temporary files) is opened by the default VFS itself, in place.
#include "CSQLiteVFS.h"

#include <sqlite3.h>
#include <string.h>

enum {
  HOLD_CAPACITY = 2 * 1024 * 1024,
  FRAME_HEADER_SIZE = 24,
  WRITE_PIECE = 64 * 1024,
};

typedef struct CoalescingFile CoalescingFile;
struct CoalescingFile {
  sqlite3_file base;          // pMethods: walMethods or databaseMethods
  sqlite3_file *real;         // the default VFS's file, in the same allocation, after this
  CoalescingFile *partner;    // the WAL's main database file, or the database's WAL (open)
  unsigned char *held;        // WAL: HOLD_CAPACITY bytes once the first write is held
  sqlite3_int64 heldStart;    // WAL: the file offset of held[0]
  int heldLength;             // WAL
  int holdNextWrite;          // WAL: the last write was a held non-commit frame header
  fieldreport_coalesced_writes counts;  // WAL: what SQLite asked for, what reached the file
};

static sqlite3_vfs *underlying;
static sqlite3_vfs coalescingVfs;
static sqlite3_io_methods walMethods;
static sqlite3_io_methods databaseMethods;

static int writeHeld(CoalescingFile *file) {
  int length = file->heldLength;
  file->heldLength = 0;
  // In pieces: the default VFS writes at most 128 KiB per call (larger writes come back short,
  // as SQLITE_FULL), since SQLite itself never writes more than one 64 KiB page at once.
  for (int done = 0; done < length; done += WRITE_PIECE) {
    int piece = length - done < WRITE_PIECE ? length - done : WRITE_PIECE;
    file->counts.performed += 1;
    int rc = file->real->pMethods->xWrite(file->real, file->held + done, piece, file->heldStart + done);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

static int writeDirectly(CoalescingFile *file, const void *data, int amount, sqlite3_int64 offset) {
  int rc = writeHeld(file);
  if (rc != SQLITE_OK) return rc;
  file->counts.performed += 1;
  return file->real->pMethods->xWrite(file->real, data, amount, offset);
}

static int isCommitFrameHeader(const void *data, int amount) {
  if (amount != FRAME_HEADER_SIZE) return 0;
  const unsigned char *bytes = data;
  return (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0;
}

static int coalescingWrite(sqlite3_file *base, const void *data, int amount, sqlite3_int64 offset) {
  CoalescingFile *file = (CoalescingFile *)base;
  file->counts.requested += 1;
  int isHeader = amount == FRAME_HEADER_SIZE;
  // Rule 1: a non-commit frame header, or the one write after a held header (its page).
  int holdable = !isCommitFrameHeader(data, amount) && (isHeader || file->holdNextWrite) && amount <= HOLD_CAPACITY;
  file->holdNextWrite = holdable && isHeader && !file->holdNextWrite;
  if (!holdable) return writeDirectly(file, data, amount, offset);  // rule 2
  if (file->heldLength > 0
      && (offset != file->heldStart + file->heldLength || file->heldLength + amount > HOLD_CAPACITY)) {
    int rc = writeHeld(file);
    if (rc != SQLITE_OK) {
      file->holdNextWrite = 0;
      return rc;
    }
  }
  if (file->held == NULL) {
    file->held = sqlite3_malloc(HOLD_CAPACITY);
    if (file->held == NULL) {  // no memory for the buffer: write through, as without this VFS
      file->holdNextWrite = 0;
      return writeDirectly(file, data, amount, offset);
    }
  }
  if (file->heldLength == 0) file->heldStart = offset;
  memcpy(file->held + file->heldLength, data, (size_t)amount);
  file->heldLength += amount;
  return SQLITE_OK;
}

// Rule 3: everything else on the WAL writes the held bytes first.
#define FLUSH_OR_RETURN(file)                          \
  do {                                                 \
    int flushed = writeHeld(file);                     \
    if (flushed != SQLITE_OK) return flushed;          \
  } while (0)

#define REAL(base) (((CoalescingFile *)(base))->real)

// Plain forwarding, shared by both kinds of file.
static int forwardRead(sqlite3_file *base, void *data, int amount, sqlite3_int64 offset) {
  return REAL(base)->pMethods->xRead(REAL(base), data, amount, offset);
}
static int forwardWrite(sqlite3_file *base, const void *data, int amount, sqlite3_int64 offset) {
  return REAL(base)->pMethods->xWrite(REAL(base), data, amount, offset);
}
static int forwardTruncate(sqlite3_file *base, sqlite3_int64 size) {
  return REAL(base)->pMethods->xTruncate(REAL(base), size);
}
static int forwardSync(sqlite3_file *base, int flags) {
  return REAL(base)->pMethods->xSync(REAL(base), flags);
}
static int forwardFileSize(sqlite3_file *base, sqlite3_int64 *size) {
  return REAL(base)->pMethods->xFileSize(REAL(base), size);
}
static int forwardLock(sqlite3_file *base, int level) {
  return REAL(base)->pMethods->xLock(REAL(base), level);
}
static int forwardUnlock(sqlite3_file *base, int level) {
  return REAL(base)->pMethods->xUnlock(REAL(base), level);
}
static int forwardCheckReservedLock(sqlite3_file *base, int *reserved) {
  return REAL(base)->pMethods->xCheckReservedLock(REAL(base), reserved);
}
static int forwardFileControl(sqlite3_file *base, int op, void *argument) {
  return REAL(base)->pMethods->xFileControl(REAL(base), op, argument);
}
static int forwardSectorSize(sqlite3_file *base) {
  return REAL(base)->pMethods->xSectorSize(REAL(base));
}
static int forwardDeviceCharacteristics(sqlite3_file *base) {
  return REAL(base)->pMethods->xDeviceCharacteristics(REAL(base));
}
static int forwardShmMap(sqlite3_file *base, int page, int size, int extend, void volatile **memory) {
  return REAL(base)->pMethods->xShmMap(REAL(base), page, size, extend, memory);
}
static int forwardShmLock(sqlite3_file *base, int offset, int count, int flags) {
  return REAL(base)->pMethods->xShmLock(REAL(base), offset, count, flags);
}
static void forwardShmBarrier(sqlite3_file *base) {
  REAL(base)->pMethods->xShmBarrier(REAL(base));
}
static int forwardShmUnmap(sqlite3_file *base, int deleteFlag) {
  return REAL(base)->pMethods->xShmUnmap(REAL(base), deleteFlag);
}
static int forwardFetch(sqlite3_file *base, sqlite3_int64 offset, int amount, void **pointer) {
  *pointer = NULL;
  if (REAL(base)->pMethods->iVersion < 3) return SQLITE_OK;  // no mapping: SQLite reads instead
  return REAL(base)->pMethods->xFetch(REAL(base), offset, amount, pointer);
}
static int forwardUnfetch(sqlite3_file *base, sqlite3_int64 offset, void *pointer) {
  if (REAL(base)->pMethods->iVersion < 3) return SQLITE_OK;
  return REAL(base)->pMethods->xUnfetch(REAL(base), offset, pointer);
}

static int walClose(sqlite3_file *base) {
  CoalescingFile *file = (CoalescingFile *)base;
  int flushed = writeHeld(file);
  if (file->partner != NULL) file->partner->partner = NULL;
  int rc = file->real->pMethods->xClose(file->real);
  sqlite3_free(file->held);
  file->held = NULL;
  return flushed != SQLITE_OK ? flushed : rc;
}

static int walRead(sqlite3_file *base, void *data, int amount, sqlite3_int64 offset) {
  FLUSH_OR_RETURN((CoalescingFile *)base);
  return forwardRead(base, data, amount, offset);
}

static int walTruncate(sqlite3_file *base, sqlite3_int64 size) {
  FLUSH_OR_RETURN((CoalescingFile *)base);
  return forwardTruncate(base, size);
}

static int walSync(sqlite3_file *base, int flags) {
  FLUSH_OR_RETURN((CoalescingFile *)base);
  return forwardSync(base, flags);
}

static int walFileSize(sqlite3_file *base, sqlite3_int64 *size) {
  FLUSH_OR_RETURN((CoalescingFile *)base);
  return forwardFileSize(base, size);
}

static int walFileControl(sqlite3_file *base, int op, void *argument) {
  FLUSH_OR_RETURN((CoalescingFile *)base);
  return forwardFileControl(base, op, argument);
}

static int walFetch(sqlite3_file *base, sqlite3_int64 offset, int amount, void **pointer) {
  *pointer = NULL;
  FLUSH_OR_RETURN((CoalescingFile *)base);
  return forwardFetch(base, offset, amount, pointer);
}

// The main database file: everything is the default VFS's, but for rule 4.
static int databaseClose(sqlite3_file *base) {
  CoalescingFile *file = (CoalescingFile *)base;
  if (file->partner != NULL) file->partner->partner = NULL;
  return file->real->pMethods->xClose(file->real);
}

/// Rule 4: the held bytes are written before the lock is released (an unlock has no failure to
/// report; the bytes belong to a transaction that did not commit, since a commit wrote them).
static int databaseShmLock(sqlite3_file *base, int offset, int count, int flags) {
  CoalescingFile *file = (CoalescingFile *)base;
  // The WAL write lock is the first shared-memory lock (wal.c's WAL_WRITE_LOCK).
  if (file->partner != NULL && offset == 0 && (flags & SQLITE_SHM_UNLOCK) != 0) (void)writeHeld(file->partner);
  return file->real->pMethods->xShmLock(file->real, offset, count, flags);
}

/// FIELDREPORT_FCNTL_COALESCED_WRITES: the WAL's counts (zero while it is not open).
static int databaseFileControl(sqlite3_file *base, int op, void *argument) {
  CoalescingFile *file = (CoalescingFile *)base;
  if (op == FIELDREPORT_FCNTL_COALESCED_WRITES) {
    fieldreport_coalesced_writes *counts = argument;
    *counts = file->partner != NULL ? file->partner->counts : (fieldreport_coalesced_writes){0, 0};
    return SQLITE_OK;
  }
  return forwardFileControl(base, op, argument);
}

static void databaseShmBarrier(sqlite3_file *base) {
  CoalescingFile *file = (CoalescingFile *)base;
  if (file->partner != NULL) (void)writeHeld(file->partner);  // rule 4; nothing held by then
  file->real->pMethods->xShmBarrier(file->real);
}

static int coalescingOpen(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *base, int flags, int *outFlags) {
  (void)vfs;
  int isWal = (flags & SQLITE_OPEN_WAL) != 0;
  if (!isWal && (flags & SQLITE_OPEN_MAIN_DB) == 0) {
    // A journal or temporary file: the default VFS's own file, in place (this allocation is
    // at least as large), never seen again here.
    return underlying->xOpen(underlying, name, base, flags, outFlags);
  }
  CoalescingFile *file = (CoalescingFile *)base;
  memset(file, 0, sizeof(*file));
  file->real = (sqlite3_file *)(file + 1);
  int rc = underlying->xOpen(underlying, name, file->real, flags, outFlags);
  if (file->real->pMethods == NULL) {
    file->base.pMethods = NULL;  // nothing to close
    return rc;
  }
  file->base.pMethods = isWal ? &walMethods : &databaseMethods;
  if (isWal && name != NULL) {
    // Rule 4 needs the WAL's main database file, opened through this VFS too.
    sqlite3_file *database = sqlite3_database_file_object(name);
    if (database != NULL && database->pMethods == &databaseMethods) {
      file->partner = (CoalescingFile *)database;
      file->partner->partner = file;
    }
  }
  return rc;
}

// The rest of the VFS is the default VFS's.
static int coalescingDelete(sqlite3_vfs *vfs, const char *name, int syncDirectory) {
  (void)vfs;
  return underlying->xDelete(underlying, name, syncDirectory);
}
static int coalescingAccess(sqlite3_vfs *vfs, const char *name, int flags, int *result) {
  (void)vfs;
  return underlying->xAccess(underlying, name, flags, result);
}
static int coalescingFullPathname(sqlite3_vfs *vfs, const char *name, int size, char *out) {
  (void)vfs;
  return underlying->xFullPathname(underlying, name, size, out);
}
static void *coalescingDlOpen(sqlite3_vfs *vfs, const char *name) {
  (void)vfs;
  return underlying->xDlOpen(underlying, name);
}
static void coalescingDlError(sqlite3_vfs *vfs, int size, char *message) {
  (void)vfs;
  underlying->xDlError(underlying, size, message);
}
static void (*coalescingDlSym(sqlite3_vfs *vfs, void *handle, const char *symbol))(void) {
  (void)vfs;
  return underlying->xDlSym(underlying, handle, symbol);
}
static void coalescingDlClose(sqlite3_vfs *vfs, void *handle) {
  (void)vfs;
  underlying->xDlClose(underlying, handle);
}
static int coalescingRandomness(sqlite3_vfs *vfs, int size, char *out) {
  (void)vfs;
  return underlying->xRandomness(underlying, size, out);
}
static int coalescingSleep(sqlite3_vfs *vfs, int microseconds) {
  (void)vfs;
  return underlying->xSleep(underlying, microseconds);
}
static int coalescingCurrentTime(sqlite3_vfs *vfs, double *now) {
  (void)vfs;
  return underlying->xCurrentTime(underlying, now);
}
static int coalescingGetLastError(sqlite3_vfs *vfs, int size, char *message) {
  (void)vfs;
  return underlying->xGetLastError ? underlying->xGetLastError(underlying, size, message) : 0;
}
static int coalescingCurrentTimeInt64(sqlite3_vfs *vfs, sqlite3_int64 *now) {
  (void)vfs;
  return underlying->xCurrentTimeInt64(underlying, now);
}

static int registerOnce(void) {
  // Not thread-safe by itself: called once per process (see the header).
  if (sqlite3_vfs_find(FIELDREPORT_COALESCING_VFS_NAME) != NULL) return SQLITE_OK;
  underlying = sqlite3_vfs_find(NULL);
  if (underlying == NULL) return SQLITE_ERROR;
  // Version 3 (memory-mapped I/O; the default VFS's files on Unix are version 3, and the
  // forwarders of version 3's two calls check the underlying file's version).
  int version = 3;
  walMethods = (sqlite3_io_methods){
      .iVersion = version,
      .xClose = walClose,
      .xRead = walRead,
      .xWrite = coalescingWrite,
      .xTruncate = walTruncate,
      .xSync = walSync,
      .xFileSize = walFileSize,
      .xLock = forwardLock,
      .xUnlock = forwardUnlock,
      .xCheckReservedLock = forwardCheckReservedLock,
      .xFileControl = walFileControl,
      .xSectorSize = forwardSectorSize,
      .xDeviceCharacteristics = forwardDeviceCharacteristics,
      .xShmMap = forwardShmMap,
      .xShmLock = forwardShmLock,
      .xShmBarrier = forwardShmBarrier,
      .xShmUnmap = forwardShmUnmap,
      .xFetch = walFetch,
      .xUnfetch = forwardUnfetch,
  };
  databaseMethods = walMethods;
  databaseMethods.xClose = databaseClose;
  databaseMethods.xRead = forwardRead;
  databaseMethods.xWrite = forwardWrite;
  databaseMethods.xTruncate = forwardTruncate;
  databaseMethods.xSync = forwardSync;
  databaseMethods.xFileSize = forwardFileSize;
  databaseMethods.xFileControl = databaseFileControl;
  databaseMethods.xShmLock = databaseShmLock;
  databaseMethods.xShmBarrier = databaseShmBarrier;
  databaseMethods.xFetch = forwardFetch;
  int size = (int)sizeof(CoalescingFile) + underlying->szOsFile;
  coalescingVfs = (sqlite3_vfs){
      .iVersion = underlying->iVersion < 2 ? underlying->iVersion : 2,
      .szOsFile = size > underlying->szOsFile ? size : underlying->szOsFile,
      .mxPathname = underlying->mxPathname,
      .zName = FIELDREPORT_COALESCING_VFS_NAME,
      .xOpen = coalescingOpen,
      .xDelete = coalescingDelete,
      .xAccess = coalescingAccess,
      .xFullPathname = coalescingFullPathname,
      .xDlOpen = coalescingDlOpen,
      .xDlError = coalescingDlError,
      .xDlSym = coalescingDlSym,
      .xDlClose = coalescingDlClose,
      .xRandomness = coalescingRandomness,
      .xSleep = coalescingSleep,
      .xCurrentTime = coalescingCurrentTime,
      .xGetLastError = coalescingGetLastError,
      .xCurrentTimeInt64 = coalescingCurrentTimeInt64,
  };
  return sqlite3_vfs_register(&coalescingVfs, 0);
}

int fieldreport_coalescing_vfs_register(void) {
  return registerOnce();
}
