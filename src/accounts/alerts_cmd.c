/* alerts_cmd.c — `materia alerts preview EMAIL` (the release digest that user would get from
 * the current serving snapshot, and whether it was already sent: sends and records nothing)
 * and `materia alerts send` (alerts_run: the same job `materia serve` runs by itself for
 * every new snapshot it serves, web/web_alerts.h — this is the operator's way to run it by
 * hand). Both read SERVING_DUCKDB_PATH read-only and APP_DB_PATH. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accounts/alerts.h"
#include "accounts/appdb.h"
#include "accounts/mail.h"
#include "commands.h"
#include "util/cli.h"
#include "util/common.h"
#include "util/config.h"
#include "util/db.h"
#include "util/fsutil.h"
#include "util/strbuf.h"

static const char usage[] =
    "usage: materia alerts preview EMAIL\n"
    "       materia alerts send\n\n"
    "preview prints the release alert EMAIL would get for the newest USDA PSD release in\n"
    "the serving snapshot (SERVING_DUCKDB_PATH): the changed numbers on their watchlist,\n"
    "old -> new, as the mail says it, and whether it was already sent. Nothing is sent or\n"
    "recorded.\n\n"
    "send mails every user whose watchlist the release touches (SMTP_URL; without one the\n"
    "mails are written to the log) — at most once per user per release, even across a crash\n"
    "(a mail whose delivery is unknown is never sent again). `materia serve` does this by\n"
    "itself within seconds of serving a new snapshot; send is for running it by hand.\n";

struct mail_target {
    struct mail_cfg mc;
    int64_t now;
};

static enum alert_send_result send_by_mail(void *ud, const char *to, const char *subject,
                                           const char *body, struct mt_err *err)
{
    struct mail_target *t = ud;
    bool maybe = false;
    if (mail_send_ex(&t->mc, to, subject, body, t->now, &maybe, err) == 0) return ALERT_SEND_OK;
    return maybe ? ALERT_SEND_UNKNOWN : ALERT_SEND_NOT_SENT;
}

int alerts_run(const struct config *cfg, int64_t now, struct alert_send_report *rep, bool *no_db,
               struct mt_err *err)
{
    const struct settings *s = &cfg->s;
    memset(rep, 0, sizeof *rep);
    *no_db = !fs_exists(s->app_db_path);
    if (*no_db) return 0;
    sqlite3 *app = NULL;
    struct db serving = {0};
    struct alert_batch b = {0};
    int rc = -1;
    if (appdb_open(s->app_db_path, &app, err) < 0) goto done;
    if (db_open(&serving, s->serving_duckdb_path, true, 1, err) < 0) {
        mt_err_prefix(err, "%s", s->serving_duckdb_path);
        goto done;
    }
    if (alerts_compute(app, serving.con, NULL, &b, err) < 0) goto done;
    db_close(&serving); /* not held while mail goes out */
    char *base = config_site_base(s, NULL);
    struct mail_target t = {{s->smtp_url, s->smtp_username, s->smtp_password, s->mail_from}, now};
    rc = alerts_send(app, &b, base, send_by_mail, &t, now, rep, err);
    free(base);
done:
    alert_batch_free(&b);
    if (serving.open) db_close(&serving);
    appdb_close(app);
    return rc;
}

static int alerts_send_cmd(void)
{
    struct alert_send_report rep;
    bool no_db;
    struct mt_err err = MT_ERR_INIT;
    if (alerts_run(&g_config, (int64_t)time(NULL), &rep, &no_db, &err) < 0) return cli_fail(err.msg);
    if (no_db) {
        printf("no account database (%s): nobody to alert\n", g_config.s.app_db_path);
        return MT_EXIT_OK;
    }
    printf("alerts: %zu sent, %zu already sent before, %zu not sent (retried next time), "
           "%zu delivery unknown (not resent)\n", rep.sent, rep.already, rep.not_sent, rep.unknown);
    return rep.not_sent || rep.unknown ? MT_EXIT_FAIL : MT_EXIT_OK;
}

int cmd_alerts(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return cli_help(usage);
    if (argc == 2 && !strcmp(argv[1], "send")) return alerts_send_cmd();
    if (argc != 3 || strcmp(argv[1], "preview") != 0)
        return cli_usage_error(usage, "alerts: expected `preview EMAIL` or `send`");
    const struct settings *s = &g_config.s;
    struct mt_err err = MT_ERR_INIT;
    if (!fs_exists(s->app_db_path)) {
        mt_errf(&err, "alerts: %s: no account database yet (APP_DB_PATH; `materia serve` creates it)",
                s->app_db_path);
        return cli_fail(err.msg);
    }
    sqlite3 *app = NULL;
    struct db serving = {0};
    struct alert_batch b = {0};
    int rc = MT_EXIT_FAIL;
    if (appdb_open(s->app_db_path, &app, &err) < 0) goto done;
    if (db_open(&serving, s->serving_duckdb_path, true, 1, &err) < 0) {
        mt_err_prefix(&err, "%s", s->serving_duckdb_path);
        goto done;
    }
    if (alerts_compute(app, serving.con, argv[2], &b, &err) < 0) goto done;
    if (!b.has_release) {
        printf("no release in %s: nothing to alert\n", s->serving_duckdb_path);
    } else if (b.n == 0) {
        printf("%s: no digest for the release of %s (unknown or disabled user, or no change on "
               "their watchlist)\n", argv[2], b.rel.release_date);
    } else {
        char *base = config_site_base(s, NULL), *subject, *body;
        alerts_render(&b.rel, &b.d[0], base, &subject, &body);
        printf("To: %s\nSubject: %s\nStatus: %s\n\n%s", b.d[0].email, subject,
               !b.d[0].sent_state ? "not sent yet"
               : !strcmp(b.d[0].sent_state, "sent") ? "sent"
                                                     : "handed to the mail server, delivery unknown (not resent)",
               body);
        free(subject);
        free(body);
        free(base);
    }
    rc = MT_EXIT_OK;
done:
    alert_batch_free(&b);
    if (serving.open) db_close(&serving);
    appdb_close(app);
    return rc == MT_EXIT_OK ? rc : cli_fail(err.msg);
}
