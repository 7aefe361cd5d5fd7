/* log.c — see log.h.
 *
 * Queued mode, invariants: q.lines[q.head .. q.head + q.n) (mod q.cap) are owned by the
 * queue; the log thread takes a batch out under q.mu and owns it while it writes, so a
 * write(2) that blocks holds no lock and no caller of log_msg() ever waits on the reader.
 * q.on is read without the lock by log_msg() only to choose the mode; the switch itself
 * happens under q.mu, and a line that raced with the switch is written synchronously. */
#include "util/log.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static enum log_level g_level = LOG_INFO;
static int g_fd = 2;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char **lines;
    size_t *lens;
    size_t cap, head, n;
    bool stop;
    pthread_t thread;
    atomic_bool on;
} q = {.mu = PTHREAD_MUTEX_INITIALIZER};
static pthread_once_t cv_once = PTHREAD_ONCE_INIT;
static int cv_err;

/* q.cv waits on CLOCK_MONOTONIC (a wall-clock step must not stall the log thread). */
static void cv_init(void)
{
    pthread_condattr_t ca;
    cv_err = pthread_condattr_init(&ca);
    if (!cv_err) cv_err = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (!cv_err) cv_err = pthread_cond_init(&q.cv, &ca);
    pthread_condattr_destroy(&ca);
}
static atomic_ullong g_dropped;
static atomic_bool g_stalled; /* queued mode ended with the reader stalled (log_queue_stop) */

void log_set_level(enum log_level level) { g_level = level; }
void log_set_fd(int fd) { g_fd = fd; }
unsigned long long log_dropped(void) { return atomic_load(&g_dropped); }

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return; /* nowhere to report a failing log */
        p += w;
        n -= (size_t)w;
    }
}

/* ---- queued mode ------------------------------------------------------------------------ */

#define BATCH 64
#define LOG_TICK_MS 20 /* a queued line reaches the log within this (or sooner, when busy) */

/* Writes one batch taken out of the queue (no lock held: this is where a stalled reader
 * blocks, and only this thread), then frees it. */
static void write_batch(char **batch, const size_t *lens, size_t k)
{
    /* One writev per batch: lines stay whole (each is contiguous), fewer syscalls. */
    struct iovec iov[BATCH];
    size_t total = 0;
    for (size_t i = 0; i < k; i++) {
        iov[i] = (struct iovec){batch[i], lens[i]};
        total += lens[i];
    }
    ssize_t w;
    do w = writev(g_fd, iov, (int)k);
    while (w < 0 && errno == EINTR);
    if (w >= 0 && (size_t)w < total) { /* short write: finish line by line */
        size_t done = (size_t)w;
        for (size_t i = 0; i < k; i++) {
            if (done >= lens[i]) {
                done -= lens[i];
                continue;
            }
            write_all(g_fd, batch[i] + done, lens[i] - done);
            done = 0;
        }
    }
    for (size_t i = 0; i < k; i++) free(batch[i]);
}

/* Wakes every LOG_TICK_MS (or when the queue is half full, or at stop), drains the whole
 * queue in batches, sleeps again. Exits once stop is set and the queue is empty. */
static void *log_thread(void *arg)
{
    (void)arg;
    char *batch[BATCH];
    size_t lens[BATCH];
    pthread_mutex_lock(&q.mu);
    for (;;) {
        if (!q.stop && q.n < q.cap / 2) {
            struct timespec dl;
            clock_gettime(CLOCK_MONOTONIC, &dl);
            dl.tv_nsec += LOG_TICK_MS * 1000000L;
            dl.tv_sec += dl.tv_nsec / 1000000000L;
            dl.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&q.cv, &q.mu, &dl);
        }
        bool stopping = q.stop;
        while (q.n) {
            size_t k = 0;
            while (q.n && k < BATCH) {
                batch[k] = q.lines[q.head];
                lens[k++] = q.lens[q.head];
                q.head = (q.head + 1) % q.cap;
                q.n--;
            }
            pthread_mutex_unlock(&q.mu);
            write_batch(batch, lens, k);
            pthread_mutex_lock(&q.mu);
        }
        if (stopping) break;
    }
    pthread_mutex_unlock(&q.mu);
    return NULL;
}

static void free_arrays(void)
{
    free(q.lines);
    free(q.lens);
    q.lines = NULL;
    q.lens = NULL;
}

int log_queue_start(size_t max_lines)
{
    if (max_lines < 16) max_lines = 16;
    pthread_once(&cv_once, cv_init);
    if (cv_err) return -1;
    pthread_mutex_lock(&q.mu);
    if (atomic_load(&q.on)) {
        pthread_mutex_unlock(&q.mu);
        return 0;
    }
    q.lines = calloc(max_lines, sizeof *q.lines);
    q.lens = calloc(max_lines, sizeof *q.lens);
    q.cap = max_lines;
    q.head = q.n = 0;
    q.stop = false;
    int rc = -1;
    if (q.lines && q.lens && pthread_create(&q.thread, NULL, log_thread, NULL) == 0) {
        atomic_store(&q.on, true);
        rc = 0;
    } else {
        free_arrays();
    }
    pthread_mutex_unlock(&q.mu);
    return rc;
}

void log_queue_stop(long wait_ms)
{
    pthread_mutex_lock(&q.mu);
    if (!atomic_load(&q.on)) {
        pthread_mutex_unlock(&q.mu);
        return;
    }
    atomic_store(&q.on, false); /* new lines are written synchronously from here on */
    q.stop = true;
    pthread_cond_signal(&q.cv);
    pthread_mutex_unlock(&q.mu);

    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += wait_ms / 1000;
    dl.tv_nsec += (wait_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    if (pthread_timedjoin_np(q.thread, NULL, &dl) == 0) {
        free_arrays();
        return;
    }
    /* The reader is stalled: leave the thread blocked in its write, drop what is queued.
     * The thread exits on its own once the write returns (the queue is then empty). From
     * here on a line is written only if the reader has room for it (log_msg), so a stalled
     * reader can never keep the process from exiting. */
    atomic_store(&g_stalled, true);
    pthread_mutex_lock(&q.mu);
    atomic_fetch_add(&g_dropped, q.n);
    while (q.n) {
        free(q.lines[q.head]);
        q.head = (q.head + 1) % q.cap;
        q.n--;
    }
    pthread_mutex_unlock(&q.mu);
    pthread_detach(q.thread);
}

/* Queues line (taking ownership) or drops it; false when queued mode is off. */
static bool enqueue(char *line, size_t n)
{
    pthread_mutex_lock(&q.mu);
    if (!atomic_load(&q.on)) {
        pthread_mutex_unlock(&q.mu);
        return false;
    }
    if (q.n == q.cap) {
        pthread_mutex_unlock(&q.mu);
        atomic_fetch_add(&g_dropped, 1);
        free(line);
        return true;
    }
    size_t at = (q.head + q.n) % q.cap;
    q.lines[at] = line;
    q.lens[at] = n;
    /* No wake-up per line: the log thread drains the queue every LOG_TICK_MS on its own, and
     * is woken early only when the queue is half full (a futex wake per line cost the cached
     * routes a quarter of their throughput). */
    if (++q.n == q.cap / 2) pthread_cond_signal(&q.cv);
    pthread_mutex_unlock(&q.mu);
    return true;
}

/* ---- formatting ------------------------------------------------------------------------- */

/* Copies src into dst escaping control bytes as \xHH; returns the bytes written. */
static size_t escape_into(char *dst, size_t cap, const char *src, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src[i];
        if (c < 0x20 || c == 0x7f) {
            if (o + 4 > cap) break;
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[c >> 4];
            dst[o++] = hex[c & 15];
        } else {
            if (o + 1 > cap) break;
            dst[o++] = (char)c;
        }
    }
    return o;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const char *names[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};
    if (level < g_level) return;
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t mlen = m < 0 ? 0 : (size_t)m >= sizeof msg ? sizeof msg - 1 : (size_t)m;

    char line[4096 + 64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    size_t n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%SZ ", &tm);
    n += (size_t)snprintf(line + n, sizeof line - n, "%s ", names[level]);
    n += escape_into(line + n, sizeof line - n - 1, msg, mlen);
    line[n++] = '\n';
    if (atomic_load(&q.on)) {
        char *copy = malloc(n);
        if (!copy) {
            atomic_fetch_add(&g_dropped, 1);
            return;
        }
        memcpy(copy, line, n);
        if (enqueue(copy, n)) return;
        free(copy); /* queued mode ended meanwhile */
    }
    if (atomic_load(&g_stalled)) {
        /* the reader stopped reading: write only what fits now (a pipe with POLLOUT has
         * PIPE_BUF bytes free, and such a write is whole), else drop the line */
        struct pollfd pfd = {.fd = g_fd, .events = POLLOUT};
        if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLOUT)) {
            atomic_fetch_add(&g_dropped, 1);
            return;
        }
        if (n > PIPE_BUF) {
            n = PIPE_BUF;
            line[n - 1] = '\n';
        }
    }
    write_all(g_fd, line, n);
}
