/* log.h — leveled, one-line log messages.
 *
 * Format: "2026-11-25T14:50:00Z INFO  extract: landed ..." — UTC timestamp, level, the
 * caller's text. Logs go to stderr by default so stdout stays for a command's own output;
 * `materia supervise` points them at stdout for journald. Thread-safe (one write(2) per
 * line). The threshold is MATERIA_LOG_LEVEL=debug|info|warn|error from the configuration
 * (environment, then .env), set by main() once the configuration is loaded. */
#ifndef MATERIA_LOG_H
#define MATERIA_LOG_H

#include <stdio.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
void log_set_fd(int fd);
/* Sets the threshold by name (debug, info, warn, error); NULL or an unknown name is ignored. */
void log_set_level_name(const char *name);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
