#ifndef CSQLITE_SHIM_H
#define CSQLITE_SHIM_H
#include <sqlite3.h>

/// SQLITE_TRANSIENT is a macro that casts -1 to a destructor pointer; Swift cannot import it.
static inline sqlite3_destructor_type csqlite_transient(void) { return SQLITE_TRANSIENT; }
/// SQLITE_STATIC likewise.
static inline sqlite3_destructor_type csqlite_static(void) { return SQLITE_STATIC; }
/// Turns off SQLite's memory statistics (sqlite3_config is variadic; Swift cannot call it).
/// With them on, every sqlite3_malloc and sqlite3_free takes one process-wide mutex. Only
/// effective before SQLite initializes (the first connection opened); returns SQLITE_MISUSE
/// after.
static inline int csqlite_disable_memory_statistics(void) { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }
#endif
