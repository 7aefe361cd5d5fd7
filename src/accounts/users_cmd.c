/* users_cmd.c — `materia users list|disable|enable|delete` and `materia appdb backup`: the
 * operator's view of the account database (APP_DB_PATH).
 *
 * These open the same SQLite file `materia serve` writes (WAL and busy_timeout make that
 * safe while it runs) and go through the same account functions as the web routes, so a
 * disable or a deletion here is exactly what the site would do: disabling also ends the
 * user's sessions (their next request is signed out; a session lookup checks disabled_at
 * too), deleting removes the personal data as POST /account/delete does, cancelling a
 * live subscription first (accounts/account_close.h). Every change is written to the audit
 * log as done by the operator. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accounts/account_close.h"
#include "accounts/appdb.h"
#include "accounts/audit.h"
#include "accounts/http_form.h"
#include "accounts/sessions.h"
#include "accounts/sqlite_util.h"
#include "accounts/users.h"
#include "commands.h"
#include "util/cli.h"
#include "util/common.h"
#include "util/config.h"
#include "util/fsutil.h"

static const char users_usage[] =
    "usage: materia users list [--json]\n"
    "       materia users disable EMAIL\n"
    "       materia users enable EMAIL\n"
    "       materia users delete EMAIL --yes [--keep-subscription]\n"
    "\n"
    "The accounts of the site, in APP_DB_PATH (safe while `materia serve` runs).\n"
    "\n"
    "  list     every user: id, email, plan, created (UTC), status, whether a password is\n"
    "           set, open sessions and live API keys (--json: one JSON object a line)\n"
    "  disable  blocks sign-in (links and password) and ends the user's sessions now\n"
    "  enable   lifts a disable\n"
    "  delete   deletes the account and its personal data (sessions, keys, preferences,\n"
    "           watchlist; the audit log keeps the events without the person, and a paying\n"
    "           user's Stripe customer id is kept, no email, so Stripe's later events about\n"
    "           it are acknowledged): permanent,\n"
    "           so it needs --yes. A live Stripe subscription is cancelled first\n"
    "           (STRIPE_API_KEY); when it cannot be, nothing is deleted and the command\n"
    "           fails naming the subscription\n"
    "  --keep-subscription\n"
    "           delete even so, without asking Stripe, and print the subscription id\n"
    "           to cancel by hand in Stripe's dashboard (it keeps charging until then)\n";

static void iso(long long t, char out[SQLU_ISO_LEN])
{
    if (t <= 0) snprintf(out, SQLU_ISO_LEN, "-");
    else sqlu_iso_utc(t, out);
}

static int users_list(sqlite3 *db, bool json)
{
    sqlite3_stmt *st;
    const char *sql = "SELECT u.id, u.email, u.plan, u.created_at, coalesce(u.disabled_at, 0), "
                      "u.password_hash IS NOT NULL, "
                      "(SELECT count(*) FROM sessions s WHERE s.user_id = u.id), "
                      "(SELECT count(*) FROM api_keys k WHERE k.user_id = u.id AND k.revoked_at IS NULL) "
                      "FROM users u ORDER BY u.id";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        cli_error("users: %s", sqlite3_errmsg(db));
        return MT_EXIT_FAIL;
    }
    if (!json) printf("id\temail\tplan\tcreated\tstatus\tpassword\tsessions\tapi_keys\n");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char created[SQLU_ISO_LEN], disabled[SQLU_ISO_LEN];
        iso(sqlite3_column_int64(st, 3), created);
        iso(sqlite3_column_int64(st, 4), disabled);
        const char *email = (const char *)sqlite3_column_text(st, 1);
        bool dis = sqlite3_column_int64(st, 4) > 0;
        if (json) {
            strbuf sb;
            sb_init(&sb);
            sb_appendf(&sb, "{\"id\":%lld,\"email\":", (long long)sqlite3_column_int64(st, 0));
            sb_append_json_str(&sb, email);
            sb_appendf(&sb, ",\"plan\":\"%s\",\"created_at\":\"%s\",\"disabled_at\":", sqlite3_column_text(st, 2),
                       created);
            if (dis) sb_appendf(&sb, "\"%s\"", disabled);
            else sb_append(&sb, "null");
            sb_appendf(&sb, ",\"has_password\":%s,\"sessions\":%d,\"api_keys\":%d}",
                       sqlite3_column_int(st, 5) ? "true" : "false", sqlite3_column_int(st, 6),
                       sqlite3_column_int(st, 7));
            printf("%s\n", sb.buf);
            sb_free(&sb);
        } else {
            printf("%lld\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n", (long long)sqlite3_column_int64(st, 0), email,
                   sqlite3_column_text(st, 2), created, dis ? "disabled" : "active",
                   sqlite3_column_int(st, 5) ? "yes" : "no", sqlite3_column_int(st, 6), sqlite3_column_int(st, 7));
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        cli_error("users: %s", sqlite3_errmsg(db));
        return MT_EXIT_FAIL;
    }
    return MT_EXIT_OK;
}

/* The user named by an address as typed (normalised as the site does). */
static int find_user(sqlite3 *db, const char *arg, struct user *u)
{
    char email[FORM_EMAIL_MAX + 1];
    struct mt_err err = MT_ERR_INIT;
    if (form_email_normalize(arg, email, &err) < 0) {
        cli_error("users: '%s': %s", arg, err.msg);
        return -1;
    }
    int rc = users_by_email(db, email, u, &err);
    if (rc < 0) cli_error("%s", err.msg);
    else if (rc == 0) cli_error("users: no user with email %s", email);
    return rc == 1 ? 0 : -1;
}

int cmd_users(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return cli_help(users_usage);
    if (argc < 2) return cli_usage_error(users_usage, "users: which action?");
    const char *act = argv[1];
    bool json = false, yes = false, keep_sub = false;
    const char *who = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--json") && !strcmp(act, "list")) json = true;
        else if (!strcmp(argv[i], "--yes") && !strcmp(act, "delete")) yes = true;
        else if (!strcmp(argv[i], "--keep-subscription") && !strcmp(act, "delete")) keep_sub = true;
        else if (argv[i][0] != '-' && !who && strcmp(act, "list") != 0) who = argv[i];
        else return cli_usage_error(users_usage, "users %s: unexpected argument '%s'", act, argv[i]);
    }
    bool known = !strcmp(act, "list") || !strcmp(act, "disable") || !strcmp(act, "enable") || !strcmp(act, "delete");
    if (!known) return cli_usage_error(users_usage, "users: unknown action '%s'", act);
    if (strcmp(act, "list") != 0 && !who) return cli_usage_error(users_usage, "users %s: which EMAIL?", act);
    if (!strcmp(act, "delete") && !yes)
        return cli_usage_error(users_usage, "users delete: deleting %s is permanent: add --yes", who);

    sqlite3 *db = NULL;
    struct mt_err err = MT_ERR_INIT;
    if (appdb_open(g_config.s.app_db_path, &db, &err) < 0) return cli_fail(err.msg);
    int rc = MT_EXIT_OK;
    long long now = (long long)time(NULL);
    if (!strcmp(act, "list")) {
        rc = users_list(db, json);
        goto done;
    }
    struct user u;
    if (find_user(db, who, &u) < 0) {
        rc = MT_EXIT_FAIL;
        goto done;
    }
    if (!strcmp(act, "disable") || !strcmp(act, "enable")) {
        bool dis = !strcmp(act, "disable");
        int n = 0;
        if (users_tx_begin(db, &err) < 0 || users_set_disabled(db, u.id, dis, now, &err) < 0 ||
            (dis && (n = sessions_revoke_user(db, u.id, &err)) < 0) ||
            audit_add(db, now, u.id, dis ? "disable" : "enable", NULL, "by the operator", &err) < 0 ||
            users_tx_commit(db, &err) < 0) {
            users_tx_rollback(db);
            rc = cli_fail(err.msg);
            goto done;
        }
        if (dis) printf("disabled %s: sign-in is blocked, %d session(s) ended\n", u.email, n);
        else printf("enabled %s: sign-in works again\n", u.email);
    } else {
        struct stripe_api api;
        stripe_api_from_config(&api);
        struct account_close_res cr;
        if (account_close(db, u.id, now, &api, keep_sub, &cr, &err) < 0) {
            rc = cli_fail(err.msg);
            goto done;
        }
        if (cr.outcome == ACCOUNT_SUB_REFUSED) {
            cli_error("users delete: %s was not deleted: %s", u.email, err.msg);
            cli_error("users delete: cancel subscription %s in Stripe's dashboard and run this again, or add "
                      "--keep-subscription to delete the account and leave the subscription to cancel by hand",
                      cr.sub_id);
            rc = MT_EXIT_FAIL;
            goto done;
        }
        const struct users_deleted *d = &cr.removed;
        printf("deleted %s: %d session(s), %d API key(s), %d watchlist item(s), %d sign-in link(s) removed; "
               "%d audit entries scrubbed\n",
               u.email, d->sessions, d->api_keys, d->watchlist, d->login_links, d->audit_scrubbed);
        if (cr.sub_cancelled) printf("subscription %s cancelled in Stripe\n", cr.sub_id);
        if (d->stripe_customer_kept)
            printf("Stripe customer id kept (closed_customers, nothing else of the user): Stripe's later events "
                   "about it are acknowledged\n");
        if (cr.sub_kept)
            printf("subscription %s is still live in Stripe: cancel it there by hand (Dashboard > Subscriptions), "
                   "it keeps charging until then\n", cr.sub_id);
    }
done:
    appdb_close(db);
    return rc;
}

static const char appdb_usage[] =
    "usage: materia appdb backup [--db PATH] DEST\n"
    "\n"
    "Copies the account database (APP_DB_PATH, or --db PATH) to DEST with SQLite's online\n"
    "backup API: a consistent copy while `materia serve` writes (a file copy of a live WAL\n"
    "database is not). DEST is written beside itself and renamed into place when complete,\n"
    "mode 0600 (it holds personal data). The copy is an ordinary SQLite file: restore it by\n"
    "stopping serve and putting it at APP_DB_PATH.\n";

int cmd_appdb(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return cli_help(appdb_usage);
    if (argc < 2) return cli_usage_error(appdb_usage, "appdb: which action?");
    if (strcmp(argv[1], "backup") != 0) return cli_usage_error(appdb_usage, "appdb: unknown action '%s'", argv[1]);
    const char *src = g_config.s.app_db_path, *dest = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--db") && i + 1 < argc) src = argv[++i];
        else if (!strncmp(argv[i], "--db=", 5)) src = argv[i] + 5;
        else if (argv[i][0] != '-' && !dest) dest = argv[i];
        else return cli_usage_error(appdb_usage, "appdb backup: unexpected argument '%s'", argv[i]);
    }
    if (!dest) return cli_usage_error(appdb_usage, "appdb backup: which DEST?");
    FILE *f = fopen(src, "rb"); /* the backup must not create an empty database where none was */
    if (!f) {
        cli_error("appdb backup: %s: no account database there (APP_DB_PATH)", src);
        return MT_EXIT_FAIL;
    }
    fclose(f);
    struct mt_err err = MT_ERR_INIT;
    char *dir = xstrdup(dest);
    char *slash = strrchr(dir, '/');
    int mk = 0;
    if (slash && slash != dir) {
        *slash = '\0';
        mk = fs_mkdir_p(dir, &err);
    }
    free(dir);
    if (mk < 0 || appdb_backup(src, dest, &err) < 0) return cli_fail(err.msg);
    printf("backed up %s to %s\n", src, dest);
    return MT_EXIT_OK;
}
