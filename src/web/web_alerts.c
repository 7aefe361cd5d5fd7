/* web_alerts.c — see web_alerts.h. */
#include "web/web_alerts.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accounts/alerts.h"
#include "accounts/appdb.h"
#include "accounts/mail.h"
#include "util/common.h"
#include "util/config.h"
#include "util/log.h"
#include "util/strbuf.h"

static struct {
    pthread_t thread;
    bool running;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    struct web_reader *reader;
    char *app_db_path, *base;
    char *done_snapshot; /* the last snapshot_id whose digests were handled */
} A = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static enum alert_send_result send_by_mail(void *ud, const char *to, const char *subject,
                                           const char *body, struct mt_err *err)
{
    (void)ud;
    const struct settings *s = &g_config.s;
    struct mail_cfg mc = {s->smtp_url, s->smtp_username, s->smtp_password, s->mail_from};
    bool maybe = false;
    if (mail_send_ex(&mc, to, subject, body, (long long)time(NULL), &maybe, err) == 0) return ALERT_SEND_OK;
    return maybe ? ALERT_SEND_UNKNOWN : ALERT_SEND_NOT_SENT;
}

/* One check: the digests of the served snapshot if not handled yet. */
static void check_once(void)
{
    struct mt_err err = MT_ERR_INIT;
    struct web_snapshot *snap = web_reader_acquire(A.reader, &err);
    if (!snap) return; /* nothing served yet: /health says why */
    if (A.done_snapshot && !strcmp(A.done_snapshot, snap->snapshot_id)) {
        web_snapshot_release(snap);
        return;
    }
    char *snapshot_id = xstrdup(snap->snapshot_id);
    struct web_conn tmp = {0};
    struct web_conn *wc = web_snapshot_conn(snap, -1, &tmp, &err);
    sqlite3 *app = NULL;
    struct alert_batch b = {0};
    struct alert_send_report rep = {0};
    int rc = -1;
    bool computed = wc && appdb_open(A.app_db_path, &app, &err) == 0 &&
                    alerts_compute(app, wc->con, NULL, &b, &err) == 0;
    /* the batch owns what it read: the snapshot is let go before any mail is sent, so an
     * old snapshot is never kept open for the length of an SMTP exchange */
    if (wc) web_conn_close(&tmp);
    web_snapshot_release(snap);
    if (computed) rc = alerts_send(app, &b, A.base, send_by_mail, NULL, (int64_t)time(NULL), &rep, &err);
    if (rc == 0) {
        if (rep.sent || rep.not_sent || rep.unknown)
            log_msg(rep.not_sent || rep.unknown ? LOG_WARN : LOG_INFO,
                    "alerts: snapshot %s, release %s: %zu sent, %zu already sent, %zu not sent, %zu "
                    "delivery unknown", snapshot_id, b.has_release ? b.rel.key : "(none)", rep.sent,
                    rep.already, rep.not_sent, rep.unknown);
        free(A.done_snapshot);
        A.done_snapshot = snapshot_id;
        snapshot_id = NULL;
    } else {
        log_warn("alerts: snapshot %s: %s (retried in %d s)", snapshot_id, err.msg, WEB_ALERTS_POLL_S);
    }
    free(snapshot_id);
    alert_batch_free(&b);
    appdb_close(app);
}

static void *alerts_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&A.mu);
    while (!A.stop) {
        pthread_mutex_unlock(&A.mu);
        check_once();
        pthread_mutex_lock(&A.mu);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += WEB_ALERTS_POLL_S;
        while (!A.stop && pthread_cond_timedwait(&A.cv, &A.mu, &until) != ETIMEDOUT) {}
    }
    pthread_mutex_unlock(&A.mu);
    return NULL;
}

int web_alerts_start(struct web_reader *reader, const char *app_db_path, const char *local_base,
                     struct mt_err *err)
{
    A.reader = reader;
    A.app_db_path = xstrdup(app_db_path);
    A.base = config_site_base(&g_config.s, local_base);
    A.stop = false;
    int e = pthread_create(&A.thread, NULL, alerts_main, NULL);
    if (e != 0) {
        free(A.app_db_path);
        free(A.base);
        A.app_db_path = A.base = NULL;
        return mt_errf(err, "serve: cannot start the alerts thread: %s", strerror(e));
    }
    A.running = true;
    return 0;
}

void web_alerts_stop(void)
{
    if (!A.running) return;
    pthread_mutex_lock(&A.mu);
    A.stop = true;
    pthread_cond_signal(&A.cv);
    pthread_mutex_unlock(&A.mu);
    pthread_join(A.thread, NULL);
    A.running = false;
    free(A.app_db_path);
    free(A.base);
    free(A.done_snapshot);
    A.app_db_path = A.base = A.done_snapshot = NULL;
}
