/* webhook.h — the supervisor's alerts: one JSON POST to ALERT_WEBHOOK_URL per event
 * (a failed run, the first good run after a failure, each new release landed, a failed
 * CDN purge), sent by a thread of its own so the pipeline never waits on the receiver.
 *
 * Only `materia supervise` starts the sender; everywhere else (a `materia pipeline run` by
 * hand) webhook_post() and the notes are no-ops, so the pipeline's hooks cost nothing.
 * The notes are how the pipeline tells the supervisor what a run did (which releases it
 * landed, the snapshot it published, its run id and message) without a new return type:
 * pipeline.c records them as it goes, supervise_cmd.c reads them after the run, both on
 * the supervisor's own thread. docs/CDN.md ("Alerting") has the body and the receivers. */
#ifndef MATERIA_WEBHOOK_H
#define MATERIA_WEBHOOK_H

#include <stdbool.h>

#include "util/config.h"
#include "util/err.h"

enum webhook_event { WEBHOOK_FAILURE, WEBHOOK_RECOVERY, WEBHOOK_RELEASE, WEBHOOK_PURGE_FAILED };

#define WEBHOOK_ATTEMPTS 5            /* one post and up to four retries */
#define WEBHOOK_BACKOFF_MS 1000       /* before the first retry, doubled each time */
#define WEBHOOK_TIMEOUT_S 10          /* one attempt, connection included */
#define WEBHOOK_QUEUE_MAX 64          /* events waiting; past it the oldest is dropped (logged) */
#define WEBHOOK_STOP_GRACE_MS 5000    /* at shutdown, pending posts get this long, then are dropped */
#define WEBHOOK_TEXT_MAX 1024         /* an event's formatted text, NUL included */

/* Starts the sender thread when ALERT_WEBHOOK_URL is set (returns 0 and does nothing when
 * it is empty). Refuses ALERT_WEBHOOK_TOPIC without a URL, or a topic ntfy would refuse. */
int webhook_start(const struct config *cfg, struct mt_err *err);
/* Stops the sender: queued posts get WEBHOOK_STOP_GRACE_MS (a transfer in progress is
 * aborted at that deadline, a retry wait ends there), whatever is left is dropped and
 * logged. Returns within the grace plus about a second; safe when never started. */
void webhook_stop(void);
/* Queues one event (never blocks on the network). title and text are plain text; a text
 * over WEBHOOK_TEXT_MAX - 1 bytes is cut at a UTF-8 character boundary. */
void webhook_post(enum webhook_event ev, const char *title, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Whether the sender runs (tests and the supervisor's log line). */
bool webhook_enabled(void);

/* ---- what the last pipeline run did (set by pipeline.c, read by supervise_cmd.c) ----
 * Each text is cut to its field at a UTF-8 character boundary. */
#define WEBHOOK_MAX_LANDED 16
struct webhook_run_notes {
    char run_id[64];
    char message[512];           /* the run log's message: the reason of a failure */
    char snapshot_id[64];        /* published by this run, or "" */
    int n_landed;
    struct { char source[16]; char path[256]; long long rows; } landed[WEBHOOK_MAX_LANDED];
};
void webhook_notes_clear(void);
void webhook_note_landed(const char *source, const char *path, long long rows);
void webhook_note_published(const char *snapshot_id);
void webhook_note_finished(const char *run_id, const char *message);
const struct webhook_run_notes *webhook_notes(void);

#endif
