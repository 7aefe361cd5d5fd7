/* table_diff_cmd.c — `materia table_diff SOURCE:TARGET MODEL [--on COL,...]`: a model's data
 * in two environments compared, as SQLMesh's table_diff does (sqlmesh/core/table_diff.py,
 * printed as console.py show_schema_diff / show_row_diff do):
 *   - the schema diff: columns added, removed or of another type in TARGET;
 *   - row counts over a FULL JOIN on the grain (--on, else the model's `grain`): FULL MATCH
 *     (joined, every compared column equal), PARTIAL MATCH (joined, some differ), SOURCE
 *     ONLY, TARGET ONLY, each with its share of all rows (joined rows count twice:
 *     table_diff.py RowDiff._pct);
 *   - per column of the same name and type, the share of joined rows where it matches.
 * Each environment's table is the physical version its view points at (prod:
 * _materia.models, others: _materia.environments — env.c). Read-only. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "transform/engine.h"
#include "transform/env.h"
#include "util/cli.h"
#include "util/common.h"
#include "util/db.h"
#include "util/err.h"
#include "util/fsutil.h"

static const char usage[] =
    "usage: materia table_diff SOURCE:TARGET MODEL [--on COL[,COL...]]\n\n"
    "Compares MODEL's data in two environments (e.g. prod:dev), as `sqlmesh table_diff`:\n"
    "the schema differences, then the rows joined on the grain — FULL MATCH, PARTIAL MATCH,\n"
    "SOURCE ONLY, TARGET ONLY — and, for the columns both have with the same type, the\n"
    "percentage of joined rows where the column matches.\n\n"
    "  --on COL,...   the join columns (repeatable); default the model's `grain`\n";

/* v as Python prints round(v, digits): trailing zeros dropped, at least one decimal
 * ("40.0", "33.33") — the way SQLMesh's console shows its percentages. */
static const char *pyfloat(double v, int digits, char buf[48])
{
    snprintf(buf, 48, "%.*f", digits, v);
    char *dot = strchr(buf, '.');
    if (!dot) return buf;
    char *end = buf + strlen(buf) - 1;
    while (end > dot + 1 && *end == '0') *end-- = '\0';
    return buf;
}

/* The physical table env's view of model points at (*out, caller frees), or -1. */
static int physical_of(duckdb_connection con, const char *env, const char *model, char **out, struct mt_err *err)
{
    strbuf sql;
    sb_init(&sql);
    if (!strcmp(env, "prod")) sb_append(&sql, "SELECT physical FROM _materia.models WHERE model = ");
    else {
        sb_append(&sql, "SELECT physical FROM _materia.environments WHERE environment = ");
        db_quote_literal(&sql, env);
        sb_append(&sql, " AND model = ");
    }
    db_quote_literal(&sql, model);
    *out = NULL;
    struct mt_err e = MT_ERR_INIT;
    int r = db_query_str(con, sql.buf, out, &e);
    sb_free(&sql);
    if (r < 0 || !*out) {
        free(*out);
        *out = NULL;
        return mt_errf(err, "model '%s' is not in environment '%s'%s%s", model, env, r < 0 ? ": " : "",
                       r < 0 ? e.msg : "");
    }
    return 0;
}

static int columns_of(duckdb_connection con, const char *table, struct strlist *names, struct strlist *types,
                      struct mt_err *err)
{
    char *sql = xasprintf("DESCRIBE SELECT * FROM %s", table);
    duckdb_result res;
    int r = db_query(con, sql, &res, err);
    free(sql);
    if (r < 0) return -1;
    for (idx_t i = 0; i < duckdb_row_count(&res); i++) {
        char *n = duckdb_value_varchar(&res, 0, i), *t = duckdb_value_varchar(&res, 1, i);
        strlist_push(names, n ? n : "");
        strlist_push(types, t ? t : "");
        duckdb_free(n);
        duckdb_free(t);
    }
    duckdb_destroy_result(&res);
    return 0;
}

static long find(const struct strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i], s)) return (long)i;
    return -1;
}

static void upper(char *s)
{
    for (; *s; s++) *s = (char)(*s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s);
}

/* The model's grain from the project (`grain x` / `grain (a, b)`), or nothing. */
static void grain_of(const char *model, struct strlist *on)
{
    struct project p;
    struct mt_err e = MT_ERR_INIT;
    if (project_load(&g_config, &p, &e) < 0) return;
    long j = project_find(&p, model);
    if (j >= 0) {
        for (size_t k = 0; k < p.models[j].meta.grains.n; k++) strlist_push(on, p.models[j].meta.grains.v[k]);
        for (size_t k = 0; k < on->n; k++) {
            char *c = on->v[k];
            size_t n = strlen(c);
            if (n >= 2 && c[0] == '"' && c[n - 1] == '"') {
                memmove(c, c + 1, n - 2);
                c[n - 2] = '\0';
            }
        }
    }
    project_free(&p);
}

static int diff(duckdb_connection con, const char *src_env, const char *tgt_env, const char *model,
                const struct strlist *on, struct mt_err *err)
{
    char *src = NULL, *tgt = NULL;
    struct strlist sn = {0}, st = {0}, tn = {0}, tt = {0}, cmp = {0};
    strbuf sql;
    sb_init(&sql);
    duckdb_result res;
    bool have_res = false;
    int rc = physical_of(con, src_env, model, &src, err);
    if (rc == 0) rc = physical_of(con, tgt_env, model, &tgt, err);
    if (rc == 0) rc = columns_of(con, src, &sn, &st, err);
    if (rc == 0) rc = columns_of(con, tgt, &tn, &tt, err);
    for (size_t k = 0; rc == 0 && k < on->n; k++)
        if (find(&sn, on->v[k]) < 0 || find(&tn, on->v[k]) < 0)
            rc = mt_errf(err, "--on column '%s' is not a column of %s in both environments", on->v[k], model);
    if (rc < 0) goto out;
    char *S = xstrdup(src_env), *T = xstrdup(tgt_env);
    upper(S);
    upper(T);
    printf("Schema Diff Between '%s' and '%s' environments for model '%s':\n", S, T, model);
    bool differ = false;
    for (size_t i = 0; i < tn.n; i++)
        if (find(&sn, tn.v[i]) < 0) printf("  Added Column: %s (%s)\n", tn.v[i], tt.v[i]), differ = true;
    for (size_t i = 0; i < sn.n; i++) {
        long j = find(&tn, sn.v[i]);
        if (j < 0) printf("  Removed Column: %s (%s)\n", sn.v[i], st.v[i]), differ = true;
        else if (strcmp(st.v[i], tt.v[j])) printf("  Modified Column: %s (%s -> %s)\n", sn.v[i], st.v[i], tt.v[j]), differ = true;
        else if (find(on, sn.v[i]) < 0) strlist_push(&cmp, sn.v[i]);
    }
    if (!differ) printf("  Schemas match\n");
    /* one pass over the FULL JOIN (table_diff.py's stats query) */
    sb_append(&sql, "SELECT count(*) FILTER (WHERE _s_exists) AS s_count, count(*) FILTER (WHERE _t_exists) AS t_count, "
                    "count(*) FILTER (WHERE _s_exists AND _t_exists) AS joined, count(*) FILTER (WHERE _s_exists AND "
                    "_t_exists");
    for (size_t c = 0; c < cmp.n; c++) sb_appendf(&sql, " AND _m%zu", c);
    sb_append(&sql, ") AS full_match");
    for (size_t c = 0; c < cmp.n; c++)
        sb_appendf(&sql, ", round(100 * sum(CASE WHEN _m%zu THEN 1 ELSE 0 END) FILTER (WHERE _s_exists AND _t_exists)"
                   "::DOUBLE / nullif(count(*) FILTER (WHERE _s_exists AND _t_exists), 0), 9)", c);
    sb_append(&sql, " FROM (SELECT s._e IS NOT NULL AS _s_exists, t._e IS NOT NULL AS _t_exists");
    for (size_t c = 0; c < cmp.n; c++) {
        sb_append(&sql, ", s.");
        db_quote_ident(&sql, cmp.v[c]);
        sb_append(&sql, " IS NOT DISTINCT FROM t.");
        db_quote_ident(&sql, cmp.v[c]);
        sb_appendf(&sql, " AS _m%zu", c);
    }
    sb_appendf(&sql, " FROM (SELECT *, true AS _e FROM %s) AS s FULL JOIN (SELECT *, true AS _e FROM %s) AS t ON ", src, tgt);
    for (size_t k = 0; k < on->n; k++) {
        sb_append(&sql, k ? " AND s." : "s.");
        db_quote_ident(&sql, on->v[k]);
        sb_append(&sql, " = t.");
        db_quote_ident(&sql, on->v[k]);
    }
    sb_append(&sql, ")");
    if ((rc = db_query(con, sql.buf, &res, err)) == 0) {
        have_res = true;
        int64_t s_count = duckdb_value_int64(&res, 0, 0), t_count = duckdb_value_int64(&res, 1, 0);
        int64_t joined = duckdb_value_int64(&res, 2, 0), full = duckdb_value_int64(&res, 3, 0);
        int64_t partial = joined - full, s_only = s_count - joined, t_only = t_count - joined;
        double all = (double)(s_count + t_count);
        if (s_count + t_count == 0) {
            printf("\nNeither the source nor the target table contained any records\n");
        } else {
            char b[48];
            printf("\nRow Counts:\n");
            if (full) printf("  FULL MATCH: %lld rows (%s%%)\n", (long long)full, pyfloat(200.0 * (double)full / all, 2, b));
            if (partial)
                printf("  PARTIAL MATCH: %lld rows (%s%%)\n", (long long)partial, pyfloat(200.0 * (double)partial / all, 2, b));
            if (s_only) printf("  %s ONLY: %lld rows (%s%%)\n", S, (long long)s_only, pyfloat(100.0 * (double)s_only / all, 2, b));
            if (t_only) printf("  %s ONLY: %lld rows (%s%%)\n", T, (long long)t_only, pyfloat(100.0 * (double)t_only / all, 2, b));
            printf("\nCOMMON ROWS column comparison stats:\n");
            if (cmp.n == 0) printf("  No columns with same name and data type in both tables\n");
            else printf("  %-24s %s\n", "", "pct_match");
            for (size_t c = 0; c < cmp.n; c++) {
                if (duckdb_value_is_null(&res, 4 + c, 0)) printf("  %-24s %s\n", cmp.v[c], "-");
                else printf("  %-24s %s\n", cmp.v[c], pyfloat(duckdb_value_double(&res, 4 + c, 0), 6, b));
            }
        }
    }
    free(S);
    free(T);
out:
    if (have_res) duckdb_destroy_result(&res);
    sb_free(&sql);
    free(src);
    free(tgt);
    strlist_free(&sn);
    strlist_free(&st);
    strlist_free(&tn);
    strlist_free(&tt);
    strlist_free(&cmp);
    return rc;
}

int cmd_table_diff(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return cli_help(usage);
    static const struct option opts[] = {{"on", required_argument, NULL, 'o'}, {NULL, 0, NULL, 0}};
    struct strlist on = {0};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:", opts, NULL)) != -1) {
        if (c == 'o') {
            struct strlist parts = {0};
            sql_split_list(optarg, &parts);
            for (size_t k = 0; k < parts.n; k++) strlist_push(&on, parts.v[k]);
            strlist_free(&parts);
        } else {
            strlist_free(&on);
            return cli_getopt_error(usage, argv[0], c, argv);
        }
    }
    if (argc - optind != 2) {
        strlist_free(&on);
        return cli_usage_error(usage, "%s: expected SOURCE:TARGET and MODEL", argv[0]);
    }
    char *envs = xstrdup(argv[optind]), *model = xstrdup(argv[optind + 1]);
    char *colon = strchr(envs, ':');
    struct mt_err err = MT_ERR_INIT;
    int rc = 0;
    if (!colon) {
        free(envs);
        free(model);
        strlist_free(&on);
        return cli_usage_error(usage, "%s: expected SOURCE:TARGET (e.g. prod:dev), got '%s'", argv[0], argv[optind]);
    }
    *colon = '\0';
    char *src = envs, *tgt = colon + 1;
    if (env_name_check(src, &err) < 0 || env_name_check(tgt, &err) < 0) rc = -1;
    for (char *p = model; *p; p++) *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    if (rc == 0 && on.n == 0) grain_of(model, &on);
    if (rc == 0 && on.n == 0) /* context.py table_diff */
        rc = mt_errf(&err, "SQLMesh doesn't know how to join the two tables. Specify the `grains` in each model "
                     "definition or pass join column names in separate `-o` flags.");
    const char *path = g_config.s.duckdb_path;
    struct db d = {0};
    if (rc == 0 && !fs_exists(path)) rc = mt_errf(&err, "no lakehouse at %s", path);
    if (rc == 0 && db_open(&d, path, true, 0, &err) < 0) rc = -1;
    if (rc == 0) rc = diff(d.con, src, tgt, model, &on, &err);
    if (d.con) db_close(&d);
    free(envs);
    free(model);
    strlist_free(&on);
    return rc < 0 ? cli_fail(err.msg) : MT_EXIT_OK;
}
