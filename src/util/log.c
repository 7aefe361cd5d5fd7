/* log.c — see log.h. One formatted line, one write(2): lines from threads never interleave. */
#include "util/log.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static enum log_level g_level = LOG_INFO;
static int g_fd = 2;

void log_set_level(enum log_level level) { g_level = level; }
void log_set_fd(int fd) { g_fd = fd; }

void log_set_level_name(const char *name)
{
    if (!name) return;
    if (!strcasecmp(name, "debug")) g_level = LOG_DEBUG;
    else if (!strcasecmp(name, "info")) g_level = LOG_INFO;
    else if (!strcasecmp(name, "warn")) g_level = LOG_WARN;
    else if (!strcasecmp(name, "error")) g_level = LOG_ERROR;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const char *names[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};
    if (level < g_level) return;
    char line[4096];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    size_t n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%SZ ", &tm);
    n += (size_t)snprintf(line + n, sizeof line - n, "%s ", names[level]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
    va_end(ap);
    if (m < 0) m = 0;
    n += (size_t)m;
    if (n > sizeof line - 2) n = sizeof line - 2;
    line[n++] = '\n';
    ssize_t w = write(g_fd, line, n);
    (void)w;
}
