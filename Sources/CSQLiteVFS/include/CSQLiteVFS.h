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

/// What the VFS did since the process started (all WAL files opened through it): `requested`
/// writes SQLite asked for, `performed` writes it made to the underlying file.
typedef struct {
  long long requested;
  long long performed;
} fieldreport_coalescing_vfs_counts;

/// The counts so far (relaxed atomic reads; for tests and diagnostics).
fieldreport_coalescing_vfs_counts fieldreport_coalescing_vfs_statistics(void);

#endif
