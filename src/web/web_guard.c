/* web_guard.c — see web_guard.h. Invariants: a record is in g->head exactly while its
 * connection is open (between the STARTED and CLOSED notifications); its fd is valid
 * while it is in the list; `waiting`/`since_ns` are written by the connection's own
 * worker thread and read by the reaper, hence atomics. */
#include "web/web_guard.h"
#include "util/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "util/clock.h"
#include "util/log.h"


struct web_guard_conn {
    struct web_guard_conn *prev, *next;
    int fd;
    atomic_bool waiting;      /* no complete request head yet (since since_ns) */
    atomic_llong since_ns;    /* accept, or the end of the previous request */
    bool shut;                /* the reaper already shut it down */
};

static struct web_guard_conn *rec_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

void web_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                      enum MHD_ConnectionNotificationCode code)
{
    struct web_guard *g = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct web_guard_conn *r = calloc(1, sizeof *r);
        if (!r || !ci) { /* untracked: it still has libmicrohttpd's idle timeout */
            free(r);
            *socket_context = NULL;
            return;
        }
        r->fd = ci->connect_fd;
        atomic_store(&r->waiting, true);
        atomic_store(&r->since_ns, clock_mono_ns());
        pthread_mutex_lock(&g->mu);
        r->next = g->head;
        if (g->head) g->head->prev = r;
        g->head = r;
        g->open++;
        pthread_mutex_unlock(&g->mu);
        *socket_context = r;
        return;
    }
    struct web_guard_conn *r = *socket_context;
    if (!r) return;
    pthread_mutex_lock(&g->mu);
    if (r->prev) r->prev->next = r->next;
    else g->head = r->next;
    if (r->next) r->next->prev = r->prev;
    g->open--;
    pthread_mutex_unlock(&g->mu);
    *socket_context = NULL;
    free(r);
}

void web_guard_head_done(struct MHD_Connection *c)
{
    struct web_guard_conn *r = rec_of(c);
    if (r) atomic_store(&r->waiting, false);
}

void web_guard_request_done(struct MHD_Connection *c)
{
    struct web_guard_conn *r = rec_of(c);
    if (!r) return;
    atomic_store(&r->since_ns, clock_mono_ns());
    atomic_store(&r->waiting, true);
}

int web_guard_open(struct web_guard *g)
{
    pthread_mutex_lock(&g->mu);
    int n = g->open;
    pthread_mutex_unlock(&g->mu);
    return n;
}

/* One pass over the list: shut down every connection past its allowance. */
static void reap(struct web_guard *g)
{
    long long now = clock_mono_ns();
    bool pressure = g->limit > 0 && g->open * 4 >= g->limit * 3;
    long long allow_ns = (pressure ? g->pressure_ms : g->head_timeout_ms) * 1000000LL;
    int n_deadline = 0, n_pressure = 0;
    for (struct web_guard_conn *r = g->head; r; r = r->next) {
        if (r->shut || !atomic_load(&r->waiting)) continue;
        long long waited = now - atomic_load(&r->since_ns);
        if (waited < allow_ns) continue;
        /* The fd is still open: CLOSED removes r under g->mu before MHD closes it. */
        if (shutdown(r->fd, SHUT_RDWR) < 0 && errno != ENOTCONN)
            log_warn("serve: cannot shut down a stalled connection: %s", strerror(errno));
        r->shut = true;
        if (waited >= g->head_timeout_ms * 1000000LL) n_deadline++;
        else n_pressure++;
    }
    if (n_deadline) atomic_fetch_add(&g->reaped_deadline, (unsigned long long)n_deadline);
    if (n_pressure) atomic_fetch_add(&g->reaped_pressure, (unsigned long long)n_pressure);
    if (n_deadline + n_pressure)
        log_warn("serve: closed %d connection(s) without a complete request (%d past the %ld ms "
                 "head deadline, %d shed under pressure; %d open of %d)",
                 n_deadline + n_pressure, n_deadline, g->head_timeout_ms, n_pressure, g->open,
                 g->limit);
}

static void *reaper_main(void *arg)
{
    struct web_guard *g = arg;
    /* Scan often enough that a deadline is kept to within ~1/4 of the shorter allowance. */
    long period_ms = g->pressure_ms / 4;
    if (period_ms < 20) period_ms = 20;
    if (period_ms > 250) period_ms = 250;
    pthread_mutex_lock(&g->mu);
    while (!g->stop) {
        struct timespec dl;
        clock_gettime(CLOCK_MONOTONIC, &dl);
        dl.tv_nsec += period_ms * 1000000L;
        dl.tv_sec += dl.tv_nsec / 1000000000L;
        dl.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&g->cv, &g->mu, &dl);
        if (!g->stop) reap(g);
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

int web_guard_start(struct web_guard *g, int limit, long head_timeout_ms, long pressure_ms,
                    struct mt_err *err)
{
    memset(g, 0, sizeof *g);
    g->limit = limit;
    g->head_timeout_ms = head_timeout_ms;
    g->pressure_ms = pressure_ms < head_timeout_ms ? pressure_ms : head_timeout_ms;
    int e;
    pthread_condattr_t ca;
    if ((e = pthread_mutex_init(&g->mu, NULL)) != 0 || (e = pthread_condattr_init(&ca)) != 0) {
        mt_errf(err, "serve: cannot initialise the connection guard: %s", strerror(e));
        return -1;
    }
    e = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (!e) e = pthread_cond_init(&g->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (e) {
        pthread_mutex_destroy(&g->mu);
        mt_errf(err, "serve: cannot initialise the connection guard: %s", strerror(e));
        return -1;
    }
    if ((e = pthread_create(&g->thread, NULL, reaper_main, g)) != 0) {
        pthread_cond_destroy(&g->cv);
        pthread_mutex_destroy(&g->mu);
        mt_errf(err, "serve: cannot start the connection guard: %s", strerror(e));
        return -1;
    }
    g->running = true;
    return 0;
}

void web_guard_stop(struct web_guard *g)
{
    if (!g->running) return;
    pthread_mutex_lock(&g->mu);
    g->stop = true;
    pthread_cond_signal(&g->cv);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->thread, NULL);
    g->running = false;
    /* Called after MHD_stop_daemon: every connection was closed and notified. */
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
}
