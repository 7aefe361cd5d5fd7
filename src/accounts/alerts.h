/* alerts.h — release alerts (issue 15): after an export whose newest USDA PSD release moved
 * numbers, each user whose watchlist it touches gets one digest: what changed, old → new.
 *
 * Inputs: the serving snapshot (read-only DuckDB: `releases` names the newest release,
 * `psd_revisions` holds each estimate's value and its previous release's value) and the
 * account database (users, watchlist, alert_sends). The newest release is the one with the
 * latest release_date (then landed_at); its changes are the psd_revisions rows of that
 * release_date whose change is not zero (a key's first release has no previous value and is
 * not a change). The watchlist's country 'WORLD' matches the sum of the revised countries'
 * values (old and new) per attribute and market year. A user gets the digest when not disabled, signed up before the release was
 * landed (nobody is told old news on sign-up), and at least one watchlist entry (country,
 * attribute) has a change.
 *
 * At most once per user per release, across crashes (alerts_send): a row (user, release)
 * in state 'sending' is committed BEFORE the mail is handed to SMTP and set to 'sent'
 * after. A rerun skips every user with a row, whatever its state: a crash between the hand-
 * over and the record leaves 'sending', and that user is not mailed again (reported as
 * "delivery unknown", never resent). A send that certainly did not hand the mail over
 * (ALERT_SEND_NOT_SENT: no connection, refused before DATA) removes the row so the next run
 * retries; an ambiguous failure (ALERT_SEND_UNKNOWN) keeps it. */
#ifndef MATERIA_ACCOUNTS_ALERTS_H
#define MATERIA_ACCOUNTS_ALERTS_H

#include <duckdb.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct alert_change {
    char *country_code, *country_name, *attribute;
    int market_year;
    double old_value, new_value;
};

struct alert_release {
    char *release_date; /* YYYY-MM-DD */
    char *etag;
    char *key;          /* "<release_date>/<etag>": alert_sends.release_key */
    int64_t landed_at;  /* Unix seconds */
};

struct alert_digest {
    int64_t user_id;
    char *email;
    struct alert_change *v; /* borrowed from the batch's changes: not freed per digest */
    size_t n;
    const char *sent_state; /* alert_sends state already recorded ("sent", "sending"), or NULL */
};

struct alert_batch {
    bool has_release;          /* false: the snapshot has no release (nothing to alert) */
    struct alert_release rel;
    struct alert_change *changes; /* every change of the release (owned) */
    size_t n_changes;
    struct alert_digest *d;    /* one per user to alert (owned), users in id order */
    size_t n;
};

/* Computes the digests of the newest release for every eligible user, or only for the user
 * with email only_email (NULL: all; a preview shows that user's digest even when already
 * sent, with sent_state saying so). 0, or -1 with err. */
int alerts_compute(sqlite3 *app, duckdb_connection serving, const char *only_email,
                   struct alert_batch *out, struct mt_err *err);
void alert_batch_free(struct alert_batch *b);

/* The mail for one digest: subject and plain-text body (malloc'd, caller frees). base_url
 * (no trailing slash) makes each country a link to its dashboard page. */
void alerts_render(const struct alert_release *rel, const struct alert_digest *d,
                   const char *base_url, char **subject, char **body);

enum alert_send_result {
    ALERT_SEND_OK = 0,
    ALERT_SEND_NOT_SENT = -1, /* certainly not handed over: retried next run */
    ALERT_SEND_UNKNOWN = -2,  /* may have been handed over: never retried */
};
typedef enum alert_send_result (*alert_send_fn)(void *ud, const char *to, const char *subject,
                                                const char *body, struct mt_err *err);

struct alert_send_report {
    size_t sent, already, not_sent, unknown;
};

/* Sends each digest of b not already recorded, with the protocol above. now is Unix
 * seconds. stop (NULL: never) is read before each digest: once set, the rest are left for
 * the next run, unclaimed (a server's shutdown waits for one mail at most, not for every
 * due digest against an unreachable SMTP server). 0 (see rep; a failed send is counted and
 * logged, the others still go), or -1 with err when the account database fails (nothing
 * after that point is sent). */
int alerts_send(sqlite3 *app, const struct alert_batch *b, const char *base_url,
                alert_send_fn send, void *ud, int64_t now, const atomic_bool *stop,
                struct alert_send_report *rep, struct mt_err *err);

struct config;
struct settings;

/* The alert_send_fn that mails a digest over SMTP with the settings' SMTP_URL, credentials
 * and MAIL_FROM (accounts/mail.h: the log without an SMTP_URL), the one both senders use
 * (`materia alerts send`, serve's alerts thread). ud is the struct settings. A failure that
 * may have delivered the message is ALERT_SEND_UNKNOWN, never retried. */
enum alert_send_result alerts_send_by_mail(void *ud, const char *to, const char *subject,
                                           const char *body, struct mt_err *err);

/* The whole job as `materia alerts send` runs it (serve runs the same steps on the snapshot
 * it serves: web/web_alerts.h): the digests
 * of the newest release in SERVING_DUCKDB_PATH for every eligible user of APP_DB_PATH, sent
 * over SMTP (accounts/mail.h: SMTP_URL, or the log without one) with the protocol above.
 * *no_db is set (and 0 returned, nothing done) when APP_DB_PATH does not exist yet: no
 * account, nobody to alert. 0 with rep, or -1 with err. */
int alerts_run(const struct config *cfg, int64_t now, struct alert_send_report *rep,
               bool *no_db, struct mt_err *err);

#endif
