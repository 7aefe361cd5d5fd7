/* log.h — leveled, one-line log messages.
 *
 * Format: "2026-11-25T14:50:00Z INFO  extract: landed ..." — UTC timestamp, level, the
 * caller's text. Logs go to stderr by default so stdout stays for a command's own output;
 * `materia supervise` points them at stdout for journald. The threshold is
 * MATERIA_LOG_LEVEL=debug|info|warn|error from the configuration (environment, then .env),
 * set by main() once the configuration is loaded.
 *
 * Every line is one write(2), so lines from threads never interleave. Control bytes in a
 * message (ESC, CR, LF, ...) are written as \xHH: a request URI or a DuckDB error cannot
 * forge a line or a terminal sequence.
 *
 * Two modes:
 *  - synchronous (default): log_msg() writes the line itself. Right for commands.
 *  - queued (log_queue_start(), used by `materia serve`): log_msg() only copies the line
 *    into a bounded in-memory queue that one log thread drains. A caller never waits for
 *    the log's reader (journald under pressure, a full pipe): when the queue is full the
 *    line is dropped and counted (log_dropped(), exported as a metric). log_queue_stop()
 *    writes what it can of the queue within its deadline and returns. */
#ifndef MATERIA_LOG_H
#define MATERIA_LOG_H

#include <stddef.h>
#include <stdio.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
void log_set_fd(int fd);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Switches to queued mode with room for max_lines lines. 0, or -1 when the log thread
 * cannot be started (the mode stays synchronous). */
int log_queue_start(size_t max_lines);
/* Back to synchronous mode: the log thread writes the queued lines, waiting at most
 * wait_ms for the reader; lines still queued after that are counted as dropped. */
void log_queue_stop(long wait_ms);
/* Lines dropped because the queue was full (or abandoned at stop), since start. */
unsigned long long log_dropped(void);

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
