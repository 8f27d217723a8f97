#ifndef CSQLITEVFS_H
#define CSQLITEVFS_H

/// The name of the write-coalescing VFS: pass it to `sqlite3_open_v2` for the connection that
/// writes (the store's writer thread). Readers use SQLite's default VFS; both share its locks.
#define FIELDREPORT_COALESCING_VFS_NAME "fieldreport-coalescing"

/// Registers the write-coalescing VFS (not as the default) on top of SQLite's default VFS.
/// Call it once per process, before any connection opens through it (the store does, with
/// its other process-wide SQLite settings); returns an SQLite result code.
///
/// Why: SQLite appends each WAL frame with two `pwrite` calls (its 24-byte header, then the
/// page), so a commit of 230 pages made 460 system calls. This VFS gathers the frames of a
/// transaction in a buffer and writes them in 64 KiB pieces, just before the commit frame. See
/// coalescing_vfs.c for the rules that keep every committed frame in the file before SQLite
/// publishes the commit to other connections.
int fieldreport_coalescing_vfs_register(void);

/// What a connection's WAL file did: `requested` writes SQLite asked for, `performed` writes
/// that reached the file.
typedef struct {
  long long requested;
  long long performed;
} fieldreport_coalesced_writes;

/// The `sqlite3_file_control` opcode (on the "main" database of a connection opened through
/// this VFS) that fills a `fieldreport_coalesced_writes` with its WAL's counts (tests and
/// diagnostics). Other VFSes answer SQLITE_NOTFOUND.
#define FIELDREPORT_FCNTL_COALESCED_WRITES 0x46520001

#endif
