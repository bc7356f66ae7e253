#ifndef TASKR_CSQLITE_SHIM_H
#define TASKR_CSQLITE_SHIM_H

/* SQLite from Debian's libsqlite3-dev (3.40 on bookworm: ON CONFLICT … DO
   UPDATE, RETURNING and the online backup API are all there). */
#include <sqlite3.h>

/* SQLITE_TRANSIENT is a macro over a cast Swift cannot import: SQLite copies
   a bound value before the bind call returns. */
static inline sqlite3_destructor_type taskr_sqlite_transient(void) { return SQLITE_TRANSIENT; }

/* sqlite3_config is variadic, which Swift cannot call. Memory statistics
   off: with them on, every allocation SQLite makes takes one process-wide
   mutex (the memstatus mutex), which every worker's page read contends for.
   Must run before SQLite initialises (before the first connection opens). */
static inline int taskr_sqlite_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

#endif
