/* alerts_cmd.c — `materia alerts preview EMAIL`: the release digest that user would get
 * from the current serving snapshot (alerts.h), and whether it was already sent. Reads
 * SERVING_DUCKDB_PATH read-only and APP_DB_PATH; sends nothing, records nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/alerts.h"
#include "accounts/appdb.h"
#include "commands.h"
#include "util/cli.h"
#include "util/common.h"
#include "util/config.h"
#include "util/db.h"
#include "util/fsutil.h"
#include "util/strbuf.h"

static const char usage[] =
    "usage: materia alerts preview EMAIL\n\n"
    "Prints the release alert EMAIL would get for the newest USDA PSD release in the\n"
    "serving snapshot (SERVING_DUCKDB_PATH): the changed numbers on their watchlist, old\n"
    "-> new, as the mail says it, and whether it was already sent. Nothing is sent or\n"
    "recorded. Digests go out after each export (at most once per user per release).\n";

/* The site's address for links: PUBLIC_BASE_URL without a trailing slash, else
 * http://MATERIA_HTTP_ADDR. Caller frees. */
static char *base_url(const struct settings *s)
{
    if (*s->public_base_url) {
        size_t n = strlen(s->public_base_url);
        while (n > 0 && s->public_base_url[n - 1] == '/') n--;
        return xasprintf("%.*s", (int)n, s->public_base_url);
    }
    return xasprintf("http://%s", s->http_addr);
}

int cmd_alerts(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return cli_help(usage);
    if (argc != 3 || strcmp(argv[1], "preview") != 0)
        return cli_usage_error(usage, "alerts: expected `preview EMAIL`");
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
        char *base = base_url(s), *subject, *body;
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
