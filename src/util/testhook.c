/* testhook.c — see testhook.h. */
#include "util/testhook.h"

#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

static bool point_matches(const char *env, const char *point)
{
    const char *v = getenv(env);
    return v && *v && !strcmp(v, point);
}

void testhook_point(const char *point)
{
    if (point_matches("MATERIA_CRASH_AT", point)) {
        log_warn("test hook: MATERIA_CRASH_AT=%s, killing this process", point);
        raise(SIGKILL);
    }
    if (point_matches("MATERIA_SIGNAL_AT", point)) {
        log_warn("test hook: MATERIA_SIGNAL_AT=%s, sending SIGTERM to this process", point);
        raise(SIGTERM);
    }
    if (point_matches("MATERIA_STOP_AT", point)) {
        log_warn("test hook: MATERIA_STOP_AT=%s, stopping this process (SIGSTOP) until SIGCONT", point);
        raise(SIGSTOP);
    }
}

bool testhook_fail(const char *point)
{
    const char *v = getenv("MATERIA_FAIL_AT");
    if (!v || !*v) return false;
    size_t n = strlen(point);
    for (const char *p = v; *p; ) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && !strncmp(p, point, n)) return true;
        if (!end) break;
        p = end + 1;
    }
    return false;
}
