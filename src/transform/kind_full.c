/* kind_full.c — a FULL model's later runs: the table is replaced only when its rows change.
 *
 * SQLMesh re-runs a FULL model on every cron interval and replaces its table with the query's
 * result (snapshot/evaluator.py FullRefreshStrategy.insert → _replace_query_for_model →
 * replace_query, a CREATE OR REPLACE TABLE on DuckDB). What the table holds after the run is
 * that result, and so it is here. But a FULL model downstream of data that did not change
 * (the PSD serving tables on the week a CFTC file lands) gives the same rows again, and
 * replacing a table with equal rows is not free in DuckDB: the checkpoint at close writes the
 * whole new table, its statistics and compression analysis included — ~65 ms for
 * serving.coffee_balance's 4,103 rows of 20 columns, most of a weekly COT run's checkpoint
 * after the COT tables themselves (bench/cot, bench/RESULTS.md).
 *
 * So on a later run (the table exists, the version is not new) the query's rows go to a temp
 * table first and are compared with the table's:
 *   - the column names and types, in order (DESCRIBE of both): a query whose columns differ
 *     (an upstream forward-only change under SELECT *) always replaces;
 *   - the rows, as multisets: equal counts and an empty `new EXCEPT ALL old`. Set operations
 *     compare NULLs as equal (IS NOT DISTINCT FROM), which is what "the same rows" means here.
 * Equal: the table is kept as it is. Otherwise it is replaced from the temp table. Either way
 * the table then holds exactly the query's rows, and the run reports their count.
 * Not for models with pre- or post-statements: they may act on the table (@this_model), and
 * what they do to a replaced table they must not do twice to a kept one. Those, and a first
 * run, replace as before (runner.c build). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transform/engine.h"
#include "transform/kinds.h"
#include "util/db.h"
#include "util/strbuf.h"

bool kind_full_may_keep(const struct model *m)
{
    if (m->kind != KIND_FULL) return false;
    for (size_t k = 0; k < m->n_stmts; k++)
        if (m->stmts[k].kind == STMT_PRE || m->stmts[k].kind == STMT_POST) return false;
    return true;
}

/* "name type\n" for each column of relation, in order, into out; -1 with err when DESCRIBE
 * fails. */
static int signature(duckdb_connection con, const char *relation, strbuf *out, struct mt_err *err)
{
    char *sql = xasprintf("DESCRIBE %s", relation);
    duckdb_result res;
    int r = db_query(con, sql, &res, err);
    free(sql);
    if (r < 0) return -1;
    for (idx_t i = 0; i < duckdb_row_count(&res); i++) {
        char *name = duckdb_value_varchar(&res, 0, i), *type = duckdb_value_varchar(&res, 1, i);
        sb_appendf(out, "%s %s\n", name ? name : "", type ? type : "");
        duckdb_free(name);
        duckdb_free(type);
    }
    duckdb_destroy_result(&res);
    return 0;
}

int kind_full_refresh(duckdb_connection con, const char *physical, const char *query, int64_t *rows, bool *kept,
                      struct mt_err *err)
{
    *kept = false;
    *rows = -1;
    if (db_execf(con, err, "CREATE OR REPLACE TEMP TABLE _materia_full AS SELECT * FROM (%s\n) AS _materia_q",
                 query) < 0)
        return -1;
    strbuf now, before;
    sb_init(&now);
    sb_init(&before);
    struct mt_err gone = MT_ERR_INIT;
    int r = signature(con, "temp._materia_full", &now, err);
    /* the table itself may be gone (dropped by hand): then it is simply made again */
    bool same = r == 0 && signature(con, physical, &before, &gone) == 0 && !strcmp(now.buf, before.buf);
    if (r == 0 && same) {
        char *sql = xasprintf("SELECT (SELECT count(*) FROM temp._materia_full) = (SELECT count(*) FROM %s) "
                              "AND NOT EXISTS (SELECT * FROM temp._materia_full EXCEPT ALL SELECT * FROM %s)",
                              physical, physical);
        duckdb_result res;
        if (db_query(con, sql, &res, err) < 0) {
            r = -1;
        } else {
            same = duckdb_value_boolean(&res, 0, 0);
            duckdb_destroy_result(&res);
        }
        free(sql);
    }
    if (r == 0 && !same)
        r = db_execf(con, err, "CREATE OR REPLACE TABLE %s AS SELECT * FROM temp._materia_full", physical);
    if (r == 0) r = db_query_i64(con, "SELECT count(*) FROM temp._materia_full", rows, NULL, err);
    if (r == 0) *kept = same;
    sb_free(&now);
    sb_free(&before);
    struct mt_err e2 = MT_ERR_INIT; /* a failed drop must not hide the first error */
    if (db_exec(con, "DROP TABLE IF EXISTS temp._materia_full", r == 0 ? err : &e2) < 0) r = -1;
    return r;
}
