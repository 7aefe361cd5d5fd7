/* webhook.c — see webhook.h. Owns the alert queue, its sender thread and the run notes.
 *
 * The body (one JSON object that both receivers accept):
 *   {"text": "<title>: <text>",              Slack incoming webhooks: `text` is the message
 *    "topic": "<ALERT_WEBHOOK_TOPIC>",       ntfy's JSON publishing (only when set)
 *    "title": "...", "message": "...",      ntfy: the notification's title and body
 *    "tags": ["warning"], "priority": 4,     ntfy: emoji tag, 1..5 (4 for a failure)
 *    "event": "failure", "host": "...", "at": "2026-12-02T06:00:00Z"}   for any other receiver
 * Slack reads `text` (its required field) and ignores the others; ntfy reads the JSON body
 * as a message only when it is POSTed to the server's root URL (https://ntfy.sh/, not
 * https://ntfy.sh/<topic>, where the JSON would be published as literal text) with the topic
 * in the body — hence ALERT_WEBHOOK_TOPIC — and ntfy's JSON decoder ignores fields it does
 * not know (`text`, `event`, `host`, `at`). A generic receiver gets `event` to switch on.
 *
 * Never blocking the pipeline: webhook_post() formats the body and appends it to a bounded
 * queue under a mutex (no I/O); one thread drains the queue, each body POSTed by
 * util/http_post.c (its retry rule is the one below). An attempt has
 * WEBHOOK_TIMEOUT_S; a timeout, a connection error, a 5xx or a 429 is retried after
 * WEBHOOK_BACKOFF_MS, doubling, up to WEBHOOK_ATTEMPTS in all; another 4xx is not (the URL
 * or the body is wrong: retrying cannot help) and is logged as an error.
 *
 * Never hanging shutdown: webhook_stop() sets a deadline (now + WEBHOOK_STOP_GRACE_MS) and
 * wakes the thread. A transfer in progress is aborted by http_post's cancel check
 * (polled at least once a second, even while waiting on a silent receiver) once the
 * deadline passes; a retry wait is a condition wait that ends at the deadline; what is
 * still queued then is dropped with one log line. So the supervisor's SIGTERM exit takes
 * at most the grace plus about a second, whatever the receiver does. */
#include "pipeline/webhook.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/http_post.h"
#include "util/log.h"
#include "util/strbuf.h"

static const struct {
    const char *name, *tag;
    int priority;
} events[] = {
    [WEBHOOK_FAILURE] = {"failure", "warning", 4},
    [WEBHOOK_RECOVERY] = {"recovery", "white_check_mark", 3},
    [WEBHOOK_RELEASE] = {"release", "package", 3},
    [WEBHOOK_PURGE_FAILED] = {"purge_failed", "warning", 4},
};

struct item {
    struct item *next;
    char *body;
    const char *event;
};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool running;
    bool stopping;
    _Atomic int64_t deadline_ns; /* 0 until webhook_stop */
    struct item *head, *tail;
    int n;
    char *url, *topic;
    char landing[512]; /* LANDING_DIR: landed paths are named relative to it */
} w = {.mu = PTHREAD_MUTEX_INITIALIZER}; /* cv: made in webhook_start, on CLOCK_MONOTONIC */

static struct webhook_run_notes notes;

bool webhook_enabled(void)
{
    return w.running;
}

/* ntfy's topic rule: [-_A-Za-z0-9]{1,64}. */
static bool topic_ok(const char *t)
{
    size_t n = strlen(t);
    if (!n || n > 64) return false;
    for (const char *c = t; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-' ||
              *c == '_'))
            return false;
    return true;
}

/* http_post's cancel: a transfer in progress ends once the stop deadline has passed. */
static bool past_deadline(void *ud)
{
    (void)ud;
    int64_t dl = atomic_load(&w.deadline_ns);
    return dl && clock_mono_ns() >= dl;
}

/* Waits ms, or until the stop deadline. Returns false when the deadline has passed. Called
 * with w.mu held. */
static bool wait_backoff(long ms)
{
    int64_t until = clock_mono_ns() + (int64_t)ms * 1000000LL;
    for (;;) {
        int64_t dl = atomic_load(&w.deadline_ns);
        int64_t end = dl && dl < until ? dl : until;
        int64_t now = clock_mono_ns();
        if (dl && now >= dl) return false;
        if (now >= end) return true;
        struct timespec at = {(time_t)(end / 1000000000LL), (long)(end % 1000000000LL)};
        pthread_cond_timedwait(&w.cv, &w.mu, &at);
    }
}

/* http_post's wait between attempts: false when the stop deadline cut it short. */
static bool backoff(long ms, void *ud)
{
    (void)ud;
    pthread_mutex_lock(&w.mu);
    bool go_on = wait_backoff(ms);
    pthread_mutex_unlock(&w.mu);
    return go_on;
}

static void log_retry(int attempt, int attempts, const char *why, long delay_ms, void *ud)
{
    const struct item *it = ud;
    log_warn("supervise: alert %s: attempt %d of %d failed (%s); retrying in %ld ms", it->event, attempt, attempts,
             why, delay_ms);
}

static void deliver(struct item *it)
{
    struct http_post_req req = {
        .url = w.url,
        .body = it->body,
        .timeout_s = WEBHOOK_TIMEOUT_S,
        .attempts = WEBHOOK_ATTEMPTS,
        .backoff_ms = WEBHOOK_BACKOFF_MS,
        .cancelled = past_deadline,
        .wait = backoff,
        .on_retry = log_retry,
        .ud = it,
    };
    struct http_post_res res;
    struct mt_err err = MT_ERR_INIT;
    if (http_post_json(&req, &res, &err) == 0) {
        log_info("supervise: alert %s delivered (attempt %d)", it->event, res.attempts);
        return;
    }
    log_error("supervise: alert %s not delivered: %s", it->event, res.cancelled ? "abandoned at shutdown" : err.msg);
}

static void item_free(struct item *it)
{
    free(it->body);
    free(it);
}

static void *sender(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&w.mu);
    for (;;) {
        while (!w.head && !w.stopping) pthread_cond_wait(&w.cv, &w.mu);
        int64_t dl = atomic_load(&w.deadline_ns);
        if (!w.head || (dl && clock_mono_ns() >= dl)) break;
        struct item *it = w.head;
        w.head = it->next;
        if (!w.head) w.tail = NULL;
        w.n--;
        pthread_mutex_unlock(&w.mu);
        deliver(it);
        item_free(it);
        pthread_mutex_lock(&w.mu);
    }
    int dropped = 0;
    while (w.head) {
        struct item *it = w.head;
        w.head = it->next;
        item_free(it);
        dropped++;
    }
    w.tail = NULL;
    w.n = 0;
    pthread_mutex_unlock(&w.mu);
    if (dropped) log_error("supervise: %d alert(s) not sent: shutting down", dropped);
    return NULL;
}

int webhook_start(const struct config *cfg, struct mt_err *err)
{
    const char *url = cfg->s.alert_webhook_url, *topic = cfg->s.alert_webhook_topic;
    if (*topic && !*url) {
        mt_errf(err, "ALERT_WEBHOOK_TOPIC is set but ALERT_WEBHOOK_URL is empty: nothing would be sent");
        return -1;
    }
    if (*topic && !topic_ok(topic)) {
        mt_errf(err, "ALERT_WEBHOOK_TOPIC '%s': an ntfy topic is 1 to 64 of A-Z, a-z, 0-9, - and _", topic);
        return -1;
    }
    if (!*url || w.running) return 0;
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) ||
        pthread_cond_init(&w.cv, &ca)) {
        mt_errf(err, "ALERT_WEBHOOK_URL: cannot make the alert thread's condition variable");
        return -1;
    }
    pthread_condattr_destroy(&ca);
    w.url = xstrdup(url);
    w.topic = xstrdup(topic);
    snprintf(w.landing, sizeof w.landing, "%s", cfg->s.landing_dir);
    w.stopping = false;
    atomic_store(&w.deadline_ns, 0);
    /* SIGTERM/SIGINT stay with the supervisor's thread (its sleep ends on them): the sender
     * is created with them blocked */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int e = pthread_create(&w.thread, NULL, sender, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e) {
        mt_errf(err, "ALERT_WEBHOOK_URL: cannot start the alert thread: %s", strerror(e));
        free(w.url);
        free(w.topic);
        w.url = w.topic = NULL;
        pthread_cond_destroy(&w.cv);
        return -1;
    }
    w.running = true;
    return 0;
}

void webhook_stop(void)
{
    if (!w.running) return;
    pthread_mutex_lock(&w.mu);
    w.stopping = true;
    atomic_store(&w.deadline_ns, clock_mono_ns() + (int64_t)WEBHOOK_STOP_GRACE_MS * 1000000LL);
    pthread_cond_broadcast(&w.cv);
    pthread_mutex_unlock(&w.mu);
    pthread_join(w.thread, NULL);
    w.running = false;
    free(w.url);
    free(w.topic);
    w.url = w.topic = NULL;
    pthread_cond_destroy(&w.cv);
}

void webhook_post(enum webhook_event ev, const char *title, const char *fmt, ...)
{
    if (!w.running) return;
    char text[WEBHOOK_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    /* a longer text is cut at a character boundary: a partial UTF-8 sequence would make
     * the body invalid JSON text, which Slack and ntfy refuse */
    if (n >= (int)sizeof text) text[utf8_whole_len(text, sizeof text - 1)] = '\0';
    char host[128] = "";
    if (gethostname(host, sizeof host - 1) < 0) snprintf(host, sizeof host, "?");
    char at[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    strbuf sb, line;
    sb_init(&sb);
    sb_init(&line);
    sb_appendf(&line, "%s: %s", title, text);
    sb_append(&sb, "{\"text\":");
    sb_append_json_str(&sb, line.buf);
    if (*w.topic) {
        sb_append(&sb, ",\"topic\":");
        sb_append_json_str(&sb, w.topic);
    }
    sb_append(&sb, ",\"title\":");
    sb_append_json_str(&sb, title);
    sb_append(&sb, ",\"message\":");
    sb_append_json_str(&sb, text);
    sb_appendf(&sb, ",\"tags\":[\"%s\"],\"priority\":%d,\"event\":\"%s\",\"host\":", events[ev].tag,
               events[ev].priority, events[ev].name);
    sb_append_json_str(&sb, host);
    sb_appendf(&sb, ",\"at\":\"%s\"}", at);
    sb_free(&line);
    struct item *it = xcalloc(1, sizeof *it);
    it->body = sb_detach(&sb);
    it->event = events[ev].name;
    struct item *dropped = NULL;
    pthread_mutex_lock(&w.mu);
    if (w.n == WEBHOOK_QUEUE_MAX) { /* the receiver is far behind: the oldest goes */
        dropped = w.head;
        w.head = dropped->next;
        if (!w.head) w.tail = NULL;
        w.n--;
    }
    if (w.tail) w.tail->next = it;
    else w.head = it;
    w.tail = it;
    w.n++;
    pthread_cond_broadcast(&w.cv);
    pthread_mutex_unlock(&w.mu);
    if (dropped) {
        log_error("supervise: alert queue full (%d): dropped the oldest (%s)", WEBHOOK_QUEUE_MAX, dropped->event);
        item_free(dropped);
    }
    log_info("supervise: alert %s queued", events[ev].name);
}

/* ---- run notes ---------------------------------------------------------------------- */

void webhook_notes_clear(void)
{
    memset(&notes, 0, sizeof notes);
}

void webhook_note_landed(const char *source, const char *path, long long rows)
{
    if (!w.running || notes.n_landed == WEBHOOK_MAX_LANDED) return;
    str_copy_utf8(notes.landed[notes.n_landed].source, sizeof notes.landed[0].source, source);
    size_t ll = strlen(w.landing);
    if (path && ll && !strncmp(path, w.landing, ll) && path[ll] == '/') path += ll + 1;
    str_copy_utf8(notes.landed[notes.n_landed].path, sizeof notes.landed[0].path, path ? path : "?");
    notes.landed[notes.n_landed].rows = rows;
    notes.n_landed++;
}

void webhook_note_published(const char *snapshot_id)
{
    if (w.running) str_copy_utf8(notes.snapshot_id, sizeof notes.snapshot_id, snapshot_id);
}

void webhook_note_finished(const char *run_id, const char *message)
{
    if (!w.running) return;
    str_copy_utf8(notes.run_id, sizeof notes.run_id, run_id);
    str_copy_utf8(notes.message, sizeof notes.message, message ? message : ""); /* cut like the text */
}

const struct webhook_run_notes *webhook_notes(void)
{
    return &notes;
}
