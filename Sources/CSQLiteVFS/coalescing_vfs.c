// The write-coalescing VFS (see include/CSQLiteVFS.h).
//
// SQLite writes a WAL frame as two writes: the 24-byte frame header, then the page. Its WAL
// file format (https://sqlite.org/fileformat2.html#walformat) says a frame header's bytes 4-7
// hold, for a commit frame, the database size in pages after the commit, and zero for every
// other frame. A commit is published to other connections (the wal-index header in shared
// memory) only after its commit frame was written, and through no VFS call this file sees.
//
// The rules, which keep the file's bytes exactly what SQLite wrote, in the same order, and
// every frame of a commit in the file before the commit frame:
//
// 1. Only two kinds of write are held in the buffer: a frame header whose commit field is zero,
//    and the write that immediately follows such a held header (its page). Each held write
//    must start where the held bytes end; otherwise the held bytes are written first.
// 2. Every other write (the WAL header, a commit frame's header and page, a page rewritten in
//    place, a checksum rewrite) first writes the held bytes, then itself, directly.
// 3. Every other operation on the WAL file (read, sync, truncate, size, file control, memory
//    map, close) first writes the held bytes.
//
// A commit frame's header is never held (rule 2), so when SQLite writes it, everything before it
// is already in the file, and the commit frame itself is written directly: when the commit is
// published, nothing of it is held. A held write that fails to reach the file fails the write
// (or operation) that flushed it, so SQLite aborts the transaction as it would have. A process
// that dies with bytes held loses only frames of a transaction that had not committed, which
// SQLite's recovery ignores anyway (it stops at the last valid commit frame).
//
// Files other than the WAL are opened by the default VFS itself, in place, and never see this
// file's code.
#include "CSQLiteVFS.h"

#include <sqlite3.h>
#include <stdatomic.h>
#include <string.h>

enum {
  HOLD_CAPACITY = 2 * 1024 * 1024,
  FRAME_HEADER_SIZE = 24,
  WRITE_PIECE = 64 * 1024,
};

typedef struct CoalescingFile {
  sqlite3_file base;          // pMethods: coalescingMethods
  sqlite3_file *real;         // the default VFS's file, in the same allocation, after this
  unsigned char *held;        // HOLD_CAPACITY bytes once the first write is held
  sqlite3_int64 heldStart;    // the file offset of held[0]
  int heldLength;
  int holdNextWrite;          // the last write was a held non-commit frame header
} CoalescingFile;

static sqlite3_vfs *underlying;
static sqlite3_vfs coalescingVfs;
static sqlite3_io_methods coalescingMethods;
static atomic_llong requestedWrites;
static atomic_llong performedWrites;

static int writeHeld(CoalescingFile *file) {
  int length = file->heldLength;
  file->heldLength = 0;
  // In pieces: the default VFS writes at most 128 KiB per call (larger writes come back short,
  // as SQLITE_FULL), since SQLite itself never writes more than one 64 KiB page at once.
  for (int done = 0; done < length; done += WRITE_PIECE) {
    int piece = length - done < WRITE_PIECE ? length - done : WRITE_PIECE;
    atomic_fetch_add_explicit(&performedWrites, 1, memory_order_relaxed);
    int rc = file->real->pMethods->xWrite(file->real, file->held + done, piece, file->heldStart + done);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

static int writeDirectly(CoalescingFile *file, const void *data, int amount, sqlite3_int64 offset) {
  int rc = writeHeld(file);
  if (rc != SQLITE_OK) return rc;
  atomic_fetch_add_explicit(&performedWrites, 1, memory_order_relaxed);
  return file->real->pMethods->xWrite(file->real, data, amount, offset);
}

static int isCommitFrameHeader(const void *data, int amount) {
  if (amount != FRAME_HEADER_SIZE) return 0;
  const unsigned char *bytes = data;
  return (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0;
}

static int coalescingWrite(sqlite3_file *base, const void *data, int amount, sqlite3_int64 offset) {
  CoalescingFile *file = (CoalescingFile *)base;
  atomic_fetch_add_explicit(&requestedWrites, 1, memory_order_relaxed);
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

// Rule 3: everything else writes the held bytes first.
#define FLUSH_OR_RETURN(file)                          \
  do {                                                 \
    int flushed = writeHeld(file);                     \
    if (flushed != SQLITE_OK) return flushed;          \
  } while (0)

static int coalescingClose(sqlite3_file *base) {
  CoalescingFile *file = (CoalescingFile *)base;
  int flushed = writeHeld(file);
  int rc = file->real->pMethods->xClose(file->real);
  sqlite3_free(file->held);
  file->held = NULL;
  return flushed != SQLITE_OK ? flushed : rc;
}

static int coalescingRead(sqlite3_file *base, void *data, int amount, sqlite3_int64 offset) {
  CoalescingFile *file = (CoalescingFile *)base;
  FLUSH_OR_RETURN(file);
  return file->real->pMethods->xRead(file->real, data, amount, offset);
}

static int coalescingTruncate(sqlite3_file *base, sqlite3_int64 size) {
  CoalescingFile *file = (CoalescingFile *)base;
  FLUSH_OR_RETURN(file);
  return file->real->pMethods->xTruncate(file->real, size);
}

static int coalescingSync(sqlite3_file *base, int flags) {
  CoalescingFile *file = (CoalescingFile *)base;
  FLUSH_OR_RETURN(file);
  return file->real->pMethods->xSync(file->real, flags);
}

static int coalescingFileSize(sqlite3_file *base, sqlite3_int64 *size) {
  CoalescingFile *file = (CoalescingFile *)base;
  FLUSH_OR_RETURN(file);
  return file->real->pMethods->xFileSize(file->real, size);
}

static int coalescingLock(sqlite3_file *base, int level) {
  CoalescingFile *file = (CoalescingFile *)base;
  return file->real->pMethods->xLock(file->real, level);
}

static int coalescingUnlock(sqlite3_file *base, int level) {
  CoalescingFile *file = (CoalescingFile *)base;
  return file->real->pMethods->xUnlock(file->real, level);
}

static int coalescingCheckReservedLock(sqlite3_file *base, int *reserved) {
  CoalescingFile *file = (CoalescingFile *)base;
  return file->real->pMethods->xCheckReservedLock(file->real, reserved);
}

static int coalescingFileControl(sqlite3_file *base, int op, void *argument) {
  CoalescingFile *file = (CoalescingFile *)base;
  FLUSH_OR_RETURN(file);
  return file->real->pMethods->xFileControl(file->real, op, argument);
}

static int coalescingSectorSize(sqlite3_file *base) {
  CoalescingFile *file = (CoalescingFile *)base;
  return file->real->pMethods->xSectorSize(file->real);
}

static int coalescingDeviceCharacteristics(sqlite3_file *base) {
  CoalescingFile *file = (CoalescingFile *)base;
  return file->real->pMethods->xDeviceCharacteristics(file->real);
}

static int coalescingShmMap(sqlite3_file *base, int page, int size, int extend, void volatile **memory) {
  CoalescingFile *file = (CoalescingFile *)base;
  return file->real->pMethods->xShmMap(file->real, page, size, extend, memory);
}

static int coalescingShmLock(sqlite3_file *base, int offset, int count, int flags) {
  CoalescingFile *file = (CoalescingFile *)base;
  return file->real->pMethods->xShmLock(file->real, offset, count, flags);
}

static void coalescingShmBarrier(sqlite3_file *base) {
  CoalescingFile *file = (CoalescingFile *)base;
  file->real->pMethods->xShmBarrier(file->real);
}

static int coalescingShmUnmap(sqlite3_file *base, int deleteFlag) {
  CoalescingFile *file = (CoalescingFile *)base;
  return file->real->pMethods->xShmUnmap(file->real, deleteFlag);
}

static int coalescingFetch(sqlite3_file *base, sqlite3_int64 offset, int amount, void **pointer) {
  CoalescingFile *file = (CoalescingFile *)base;
  *pointer = NULL;
  FLUSH_OR_RETURN(file);
  return file->real->pMethods->xFetch(file->real, offset, amount, pointer);
}

static int coalescingUnfetch(sqlite3_file *base, sqlite3_int64 offset, void *pointer) {
  CoalescingFile *file = (CoalescingFile *)base;
  return file->real->pMethods->xUnfetch(file->real, offset, pointer);
}

static int coalescingOpen(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *base, int flags, int *outFlags) {
  (void)vfs;
  if ((flags & SQLITE_OPEN_WAL) == 0) {
    // Not the WAL: the default VFS's own file, in place (this allocation is at least as large).
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
  // The version of the methods this file offers must not exceed the underlying file's.
  coalescingMethods.iVersion = file->real->pMethods->iVersion < 3 ? file->real->pMethods->iVersion : 3;
  file->base.pMethods = &coalescingMethods;
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
  coalescingMethods = (sqlite3_io_methods){
      .iVersion = 3,
      .xClose = coalescingClose,
      .xRead = coalescingRead,
      .xWrite = coalescingWrite,
      .xTruncate = coalescingTruncate,
      .xSync = coalescingSync,
      .xFileSize = coalescingFileSize,
      .xLock = coalescingLock,
      .xUnlock = coalescingUnlock,
      .xCheckReservedLock = coalescingCheckReservedLock,
      .xFileControl = coalescingFileControl,
      .xSectorSize = coalescingSectorSize,
      .xDeviceCharacteristics = coalescingDeviceCharacteristics,
      .xShmMap = coalescingShmMap,
      .xShmLock = coalescingShmLock,
      .xShmBarrier = coalescingShmBarrier,
      .xShmUnmap = coalescingShmUnmap,
      .xFetch = coalescingFetch,
      .xUnfetch = coalescingUnfetch,
  };
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

fieldreport_coalescing_vfs_counts fieldreport_coalescing_vfs_statistics(void) {
  return (fieldreport_coalescing_vfs_counts){
      .requested = atomic_load_explicit(&requestedWrites, memory_order_relaxed),
      .performed = atomic_load_explicit(&performedWrites, memory_order_relaxed),
  };
}
