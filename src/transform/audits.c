/* audits.c — audits: queries that return bad rows; any row fails the audit.
 *
 * Built-in (SQLMesh names and argument syntax):
 *   not_null(columns := (a, b))                 rows where any column is NULL
 *   unique_values(columns := (a, b))            values of each column seen more than once
 *   unique_combination_of_columns(columns := (a, b))  duplicated combinations
 *   accepted_values(column := c, is_in := ('x', 'y'))  rows whose c is not in the list
 *   accepted_range(column := c, min_v := 0, max_v := 9[, inclusive := false])
 *   number_of_rows(threshold := 10)             fails unless the table has more rows
 *   forall(criteria := (a > 0, b < c))          rows violating any criterion
 * Custom: AUDIT (name x[, defaults (arg := value)]); in audits/ *.sql, with @this_model
 * and @arg placeholders. Audits run against the new physical version (for a refresh of an
 * INCREMENTAL_BY_TIME_RANGE model: the rows of the intervals just processed, runner.c), before the view
 * swap; a failure reports the model, the audit, the number of bad rows and up to 5 of them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transform/engine.h"
#include "util/err.h"
#include "util/common.h"
#include "util/db.h"

static const char *arg(const struct audit_call *a, const char *name)
{
    for (size_t i = 0; i < a->arg_names.n; i++)
        if (!strcmp(a->arg_names.v[i], name)) return a->arg_values.v[i];
    return NULL;
}

/* Builds the bad-rows query of a built-in audit; 1 when name is not built in. */
static int builtin_sql(const struct model *m, const struct audit_call *a, const char *t, strbuf *q, struct mt_err *err)
{
    struct strlist items = {0};
    const char *n = a->name;
    const char *cols = arg(a, "columns"), *col = arg(a, "column");
    int rc = 0;
#define NEED(x, what)                                                                                 \
    if (!(x)) {                                                                                       \
        mt_errf(err, "%s:%d: audit %s: expected argument %s", m->file, a->line, n, what);    \
        rc = -1;                                                                                      \
        goto out;                                                                                     \
    }
    if (!strcmp(n, "not_null")) {
        NEED(cols, "columns := (...)");
        sql_split_list(cols, &items);
        sb_appendf(q, "SELECT * FROM %s WHERE ", t);
        for (size_t i = 0; i < items.n; i++) sb_appendf(q, "%s(%s) IS NULL", i ? " OR " : "", items.v[i]);
    } else if (!strcmp(n, "unique_values")) {
        NEED(cols, "columns := (...)");
        sql_split_list(cols, &items);
        for (size_t i = 0; i < items.n; i++) {
            sb_appendf(q, "%sSELECT ", i ? " UNION ALL " : "");
            db_quote_literal(q, items.v[i]);
            sb_appendf(q, " AS column_name, CAST(%s AS VARCHAR) AS value, count(*) AS n FROM %s GROUP BY %s "
                       "HAVING count(*) > 1", items.v[i], t, items.v[i]);
        }
    } else if (!strcmp(n, "unique_combination_of_columns")) {
        NEED(cols, "columns := (...)");
        sql_split_list(cols, &items);
        strbuf l;
        sb_init(&l);
        for (size_t i = 0; i < items.n; i++) sb_appendf(&l, "%s%s", i ? ", " : "", items.v[i]);
        /* Grouping on the combination's 64-bit hash first is ~3x cheaper than grouping on
         * the columns (long text keys: 33 -> 11 ms on 78k staging rows); only the hashes seen
         * twice — duplicates, or rarely a hash collision — are then grouped exactly. */
        sb_appendf(q, "SELECT %s, count(*) AS n FROM %s WHERE hash(%s) IN (SELECT hash(%s) FROM %s GROUP BY 1 "
                   "HAVING count(*) > 1) GROUP BY %s HAVING count(*) > 1", l.buf, t, l.buf, l.buf, t, l.buf);
        sb_free(&l);
    } else if (!strcmp(n, "accepted_values")) {
        const char *in = arg(a, "is_in");
        NEED(col && in, "column := c, is_in := (...)");
        sql_split_list(in, &items);
        sb_appendf(q, "SELECT * FROM %s WHERE %s NOT IN (", t, col);
        for (size_t i = 0; i < items.n; i++) sb_appendf(q, "%s%s", i ? ", " : "", items.v[i]);
        sb_append(q, ")");
    } else if (!strcmp(n, "accepted_range")) {
        const char *lo = arg(a, "min_v"), *hi = arg(a, "max_v"), *inc = arg(a, "inclusive");
        NEED(col && (lo || hi), "column := c and min_v := x and/or max_v := y");
        bool strict = inc && !strcasecmp(inc, "false");
        sb_appendf(q, "SELECT * FROM %s WHERE ", t);
        if (lo) sb_appendf(q, "(%s) %s (%s)", col, strict ? "<=" : "<", lo);
        if (hi) sb_appendf(q, "%s(%s) %s (%s)", lo ? " OR " : "", col, strict ? ">=" : ">", hi);
    } else if (!strcmp(n, "number_of_rows")) {
        const char *th = arg(a, "threshold");
        NEED(th, "threshold := N");
        sb_appendf(q, "SELECT count(*) AS n FROM %s HAVING count(*) <= (%s)", t, th);
    } else if (!strcmp(n, "forall")) {
        const char *cr = arg(a, "criteria");
        NEED(cr, "criteria := (...)");
        sql_split_list(cr, &items);
        sb_appendf(q, "SELECT * FROM %s WHERE ", t);
        for (size_t i = 0; i < items.n; i++) sb_appendf(q, "%sNOT (%s)", i ? " OR " : "", items.v[i]);
    } else {
        rc = 1;
    }
#undef NEED
out:
    strlist_free(&items);
    return rc;
}

static void describe_call(const struct audit_call *a, strbuf *sb)
{
    sb_append(sb, a->name);
    if (!a->arg_names.n) return;
    sb_append_char(sb, '(');
    for (size_t i = 0; i < a->arg_names.n; i++) sb_appendf(sb, "%s%s := %s", i ? ", " : "", a->arg_names.v[i], a->arg_values.v[i]);
    sb_append_char(sb, ')');
}

/* The bad-rows query of audit a against physical, into q. */
static int audit_query(const struct project *p, const struct model *m, const struct audit_call *a,
                       const char *physical, const struct config *cfg, int64_t exec_us, strbuf *q, struct mt_err *err)
{
    int rc = builtin_sql(m, a, physical, q, err);
    if (rc != 1) return rc;
    const struct audit_def *def = NULL;
    /* the model's own inline audits first, then audits/ (SQLMesh: inline audits are the
     * model's, docs/concepts/audits.md "Inline audits") */
    for (size_t i = 0; i < m->n_inline_audits && !def; i++)
        if (!strcmp(m->inline_audits[i].name, a->name)) def = &m->inline_audits[i];
    for (size_t i = 0; i < p->n_audits && !def; i++)
        if (!strcmp(p->audits[i].name, a->name)) def = &p->audits[i];
    if (!def) {
        mt_errf(err, "%s:%d: unknown audit '%s': not built in, not defined in the model file and not in audits/ *.sql", m->file,
                 a->line, a->name);
        return -1;
    }
    struct strlist names = {0}, values = {0};
    for (size_t i = 0; i < a->arg_names.n; i++) {
        strlist_push(&names, a->arg_names.v[i]);
        strlist_push(&values, a->arg_values.v[i]);
    }
    for (size_t i = 0; i < def->default_names.n; i++)
        if (!strlist_has(&names, def->default_names.v[i])) {
            strlist_push(&names, def->default_names.v[i]);
            strlist_push(&values, def->default_values.v[i]);
        }
    struct render_ctx ctx;
    project_render_ctx(p, (size_t)(m - p->models), cfg, &ctx);
    ctx.this_model = physical;
    ctx.end_us = ctx.exec_us = exec_us;
    ctx.arg_names = &names;
    ctx.arg_values = &values;
    if (names_collide(p) && p->con) {
        /* a lakehouse named like a schema: the audit's two-part names need the catalog too */
        strbuf raw;
        sb_init(&raw);
        rc = macro_render(def->query, def->file, 1, &ctx, &raw, err);
        if (rc == 0) rc = names_qualify(p, (size_t)(m - p->models), p->con, raw.buf, NULL, q, err);
        sb_free(&raw);
    } else {
        rc = macro_render(def->query, def->file, 1, &ctx, q, err);
    }
    strlist_free(&names);
    strlist_free(&values);
    return rc;
}

/* Runs audit a's query q on its own: the error names the model, the audit, the number of
 * bad rows and up to 5 of them. */
static int run_one(const struct model *m, const struct audit_call *a, const char *q, duckdb_connection con,
                   struct mt_err *err)
{
    strbuf sql, desc;
    sb_init(&sql);
    sb_init(&desc);
    describe_call(a, &desc);
    int rc = 0;
    sb_appendf(&sql, "SELECT count(*) OVER () AS _materia_bad, * FROM (%s\n) AS _materia_a LIMIT 5", q);
    duckdb_result res;
    if (duckdb_query(con, sql.buf, &res) == DuckDBError) {
        mt_errf(err, "%s: audit %s could not run: %s", m->name, desc.buf, duckdb_result_error(&res));
        rc = -1;
    } else if (duckdb_row_count(&res) > 0) {
        strbuf rows;
        sb_init(&rows);
        idx_t nr = duckdb_row_count(&res), nc = duckdb_column_count(&res);
        for (idx_t r = 0; r < nr; r++) {
            sb_append(&rows, r ? "; {" : "{");
            for (idx_t c = 1; c < nc; c++) {
                char *v = duckdb_value_is_null(&res, c, r) ? NULL : duckdb_value_varchar(&res, c, r);
                sb_appendf(&rows, "%s%s=%s", c > 1 ? ", " : "", duckdb_column_name(&res, c), v ? v : "NULL");
                duckdb_free(v);
            }
            sb_append(&rows, "}");
        }
        mt_err_set(err, MT_ERR_AUDIT, "audit failed: model %s, audit %s: %lld bad rows: %s", m->name, desc.buf,
                 (long long)duckdb_value_int64(&res, 0, 0), rows.buf);
        sb_free(&rows);
        rc = -1;
    }
    duckdb_destroy_result(&res);
    sb_free(&sql);
    sb_free(&desc);
    return rc;
}

/* Every audit of m in one query first — the number of bad rows of each, in declaration order
 * — because ~20 small queries cost a run more than their scans (bench/RESULTS.md, engine
 * overhead). Only when that query fails or finds bad rows are the audits run one by one,
 * for the first failing audit's message and rows. */
int audits_run(const struct project *p, const struct model *m, const char *physical, const struct config *cfg,
               duckdb_connection con, int64_t exec_us, struct mt_err *err)
{
    if (m->n_audits == 0) return 0;
    strbuf *qs = xcalloc(m->n_audits, sizeof *qs), all;
    sb_init(&all);
    int rc = 0;
    for (size_t i = 0; i < m->n_audits && rc == 0; i++) {
        sb_init(&qs[i]);
        rc = audit_query(p, m, &m->audits[i], physical, cfg, exec_us, &qs[i], err);
        sb_appendf(&all, "%sSELECT %zu AS i, count(*) AS n FROM (%s\n) AS _materia_a%zu", i ? " UNION ALL " : "", i,
                   qs[i].buf, i);
    }
    bool bad = true; /* unless the combined query says otherwise */
    if (rc == 0) {
        strbuf sql;
        sb_init(&sql);
        sb_appendf(&sql, "SELECT count(*) FROM (%s) WHERE n > 0", all.buf);
        int64_t n = 0;
        struct mt_err e = MT_ERR_INIT;
        if (db_query_i64(con, sql.buf, &n, NULL, &e) == 0) bad = n > 0;
        sb_free(&sql);
    }
    for (size_t i = 0; i < m->n_audits && rc == 0 && bad; i++) rc = run_one(m, &m->audits[i], qs[i].buf, con, err);
    for (size_t i = 0; i < m->n_audits; i++) sb_free(&qs[i]);
    free(qs);
    sb_free(&all);
    return rc;
}
