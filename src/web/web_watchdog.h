/* web_watchdog.h — the per-query time limit of `materia serve`.
 *
 * Each worker thread owns one slot. Around every DuckDB call a worker marks its slot busy
 * (web_watch_begin) and idle again (web_watch_end); a watchdog thread scans the slots a few
 * times per limit and calls duckdb_interrupt() on any connection busy for longer than the
 * limit. web_watch_end() reports whether that happened, so the request can answer 503.
 * A per-slot mutex makes "interrupt" and "end" exclusive: the watchdog never touches a
 * connection after its worker has moved on (the connection may be closed right after). */
#ifndef MATERIA_WEB_WATCHDOG_H
#define MATERIA_WEB_WATCHDOG_H

#include <duckdb.h>
#include "util/err.h"
#include <stdbool.h>

#define WEB_MAX_SLOTS 64

/* Starts the watchdog thread (limit_ms <= 0: no limit, no thread). One per process. */
int web_watchdog_start(long limit_ms, struct mt_err *err);
void web_watchdog_stop(void);
/* slot in [0, WEB_MAX_SLOTS); other values are ignored (that query is not watched). */
void web_watch_begin(int slot, duckdb_connection con);
/* Returns true when the watchdog interrupted the query since web_watch_begin. */
bool web_watch_end(int slot);

#endif
