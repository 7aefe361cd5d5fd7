/* web_watchdog.c — see web_watchdog.h. Process-wide state: the slot table and the thread.
 * The thread sleeps limit/4 (10..100 ms) between scans, so a query runs at most about
 * 1.25 x the limit before it is interrupted. */
#include "web/web_watchdog.h"
#include "util/err.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"

struct watch_slot {
    pthread_mutex_t mu;
    duckdb_connection con; /* NULL when idle */
    long long start_ns;
    bool interrupted;
};

static struct watch_slot slots[WEB_MAX_SLOTS];
static pthread_once_t slots_once = PTHREAD_ONCE_INIT;
static pthread_t watch_thread;
static bool watch_running;
static atomic_bool watch_stop;
static long watch_limit_ms;

static void slots_init(void)
{
    for (int i = 0; i < WEB_MAX_SLOTS; i++) pthread_mutex_init(&slots[i].mu, NULL);
}

static void *watch_main(void *arg)
{
    (void)arg;
    long step = watch_limit_ms / 4;
    if (step < 10) step = 10;
    if (step > 100) step = 100;
    struct timespec nap = {step / 1000, (step % 1000) * 1000000L};
    while (!atomic_load(&watch_stop)) {
        nanosleep(&nap, NULL);
        long long now = clock_mono_ns();
        for (int i = 0; i < WEB_MAX_SLOTS; i++) {
            struct watch_slot *s = &slots[i];
            pthread_mutex_lock(&s->mu);
            if (s->con && !s->interrupted && now - s->start_ns > watch_limit_ms * 1000000LL) {
                duckdb_interrupt(s->con);
                s->interrupted = true;
            }
            pthread_mutex_unlock(&s->mu);
        }
    }
    return NULL;
}

int web_watchdog_start(long limit_ms, struct mt_err *err)
{
    pthread_once(&slots_once, slots_init);
    if (limit_ms <= 0 || watch_running) return 0;
    watch_limit_ms = limit_ms;
    atomic_store(&watch_stop, false);
    int rc = pthread_create(&watch_thread, NULL, watch_main, NULL);
    if (rc) {
        mt_errf(err, "serve: cannot start the query watchdog thread: %s", strerror(rc));
        return -1;
    }
    watch_running = true;
    return 0;
}

void web_watchdog_stop(void)
{
    if (!watch_running) return;
    atomic_store(&watch_stop, true);
    pthread_join(watch_thread, NULL);
    watch_running = false;
}

void web_watch_begin(int slot, duckdb_connection con)
{
    if (slot < 0 || slot >= WEB_MAX_SLOTS) return;
    pthread_once(&slots_once, slots_init);
    struct watch_slot *s = &slots[slot];
    pthread_mutex_lock(&s->mu);
    s->con = con;
    s->start_ns = clock_mono_ns();
    s->interrupted = false;
    pthread_mutex_unlock(&s->mu);
}

bool web_watch_end(int slot)
{
    if (slot < 0 || slot >= WEB_MAX_SLOTS) return false;
    struct watch_slot *s = &slots[slot];
    pthread_mutex_lock(&s->mu);
    bool hit = s->interrupted;
    s->con = NULL;
    s->interrupted = false;
    pthread_mutex_unlock(&s->mu);
    return hit;
}
