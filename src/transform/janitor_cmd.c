/* janitor_cmd.c — `materia janitor [--retention-days N]`: drops physical versions that no
 * model's view references any more and that were retired more than N days ago
 * (JANITOR_RETENTION_DAYS, default 7), in one transaction with their state rows. The live
 * version of every model is never touched (it is not retired), nor one a development
 * environment's view points at (_materia.environments, env.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "util/err.h"
#include "transform/engine.h"
#include "util/cli.h"
#include "util/common.h"
#include "util/db.h"

static const char usage[] =
    "usage: materia janitor [--retention-days N]\n\n"
    "Drops model versions (physical tables in materia__* schemas) no longer referenced by\n"
    "any model's view (prod's or an environment's) and retired more than N days ago\n"
    "(default JANITOR_RETENTION_DAYS).\n";

int cmd_janitor(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return cli_help(usage);
    static const struct option opts[] = {{"retention-days", required_argument, NULL, 'r'}, {NULL, 0, NULL, 0}};
    long days = g_config.s.janitor_retention_days;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'r') {
            char *end;
            days = strtol(optarg, &end, 10);
            if (*end || days < 0) return cli_usage_error(usage, "--retention-days: expected a number >= 0");
        } else return cli_usage_error(usage, "unknown option");
    }
    if (optind < argc) return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
    struct mt_err err = MT_ERR_INIT;
    struct db d;
    if (transform_open_lakehouse(&g_config, &d, &err) < 0 || state_init(d.con, &err) < 0) {
        db_close(&d);
        return cli_fail(err.msg);
    }
    char *q = xasprintf("SELECT physical, kind, model, fingerprint FROM _materia.versions v WHERE dropped_at IS NULL "
                        "AND retired_at IS NOT NULL AND retired_at <= now()::TIMESTAMP - INTERVAL %ld DAY AND NOT EXISTS "
                        "(SELECT 1 FROM _materia.models m WHERE m.model = v.model AND m.fingerprint = v.fingerprint) AND NOT EXISTS "
                        "(SELECT 1 FROM _materia.environments e WHERE e.model = v.model AND e.fingerprint = v.fingerprint) "
                        "ORDER BY physical", days);
    duckdb_result res;
    int rc = 0;
    if (duckdb_query(d.con, q, &res) == DuckDBError) {
        mt_errf(&err, "reading _materia.versions: %s", duckdb_result_error(&res));
        rc = -1;
    }
    free(q);
    idx_t n = rc == 0 ? duckdb_row_count(&res) : 0;
    strbuf sql, dropped;
    sb_init(&sql);
    sb_init(&dropped);
    sb_append(&sql, "BEGIN TRANSACTION;\n");
    for (idx_t r = 0; r < n; r++) {
        char *phys = duckdb_value_varchar(&res, 0, r), *kind = duckdb_value_varchar(&res, 1, r);
        char *model = duckdb_value_varchar(&res, 2, r), *fp = duckdb_value_varchar(&res, 3, r);
        sb_appendf(&sql, "DROP %s IF EXISTS %s;\nUPDATE _materia.versions SET dropped_at = now()::TIMESTAMP WHERE "
                   "physical = ", strcmp(kind, "VIEW") ? "TABLE" : "VIEW", phys);
        db_quote_literal(&sql, phys);
        sb_append(&sql, ";\nDELETE FROM _materia.intervals WHERE model = ");
        db_quote_literal(&sql, model);
        sb_append(&sql, " AND fingerprint = ");
        db_quote_literal(&sql, fp);
        sb_append(&sql, ";\n");
        sb_appendf(&dropped, "  drop %s (%s)\n", phys, model); /* printed once committed */
        duckdb_free(phys);
        duckdb_free(kind);
        duckdb_free(model);
        duckdb_free(fp);
    }
    sb_append(&sql, "COMMIT");
    duckdb_destroy_result(&res);
    if (rc == 0 && n > 0 && db_exec(d.con, sql.buf, &err) < 0) {
        struct mt_err e = MT_ERR_INIT;
        db_exec(d.con, "ROLLBACK", &e);
        rc = -1;
    }
    sb_free(&sql);
    db_close(&d);
    if (rc == 0) fputs(dropped.buf, stdout);
    sb_free(&dropped);
    if (rc < 0) {
        cli_error("janitor: %s", err.msg);
        return MT_EXIT_FAIL;
    }
    printf("janitor: dropped %llu version%s (retention %ld days)\n", (unsigned long long)n, n == 1 ? "" : "s", days);
    return MT_EXIT_OK;
}
