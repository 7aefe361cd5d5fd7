/* audits.c — audits: queries that return bad rows; any row fails the audit.
 *
 * Which audit a call names, as SQLMesh resolves it (model/definition.py: `{**BUILT_IN_AUDITS,
 * **audit_definitions}`): the model file's own inline AUDIT blocks, then audits/ *.sql, then
 * SQLMesh's 29 built-ins (audit_builtins.c, their SQL copied from SQLMesh) and their
 * `<name>_non_blocking` copies. Every one is rendered by the macro expander with the call's
 * arguments over the audit's defaults bound as macro variables, @this_model the table
 * audited and the run's processed interval (@start_ds, @end_ds, ...), as SQLMesh's
 * render_audit_query does.
 *
 * Blocking (snapshot/evaluator.py _audit): a `blocking := true|false` argument at the use
 * site wins over the audit's own `blocking` (built-ins: true; `_non_blocking` copies:
 * false). A failing blocking audit fails the run; a failing non-blocking one is a warning
 * (logged, and handed back for the run's message) and the run goes on, as SQLMesh's
 * scheduler (audit_errors_to_warn) does. An audit with `skip true` is not run.
 *
 * Audits run against the new physical version (for a refresh of an INCREMENTAL_BY_TIME_RANGE
 * model: the rows of the intervals just processed, runner.c), before the view swap; a
 * failure reports the model, the audit, the number of bad rows and up to 5 of them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transform/audit_builtins.h"
#include "transform/engine.h"
#include "util/err.h"
#include "util/common.h"
#include "util/db.h"
#include "util/log.h"

/* The definition an audit call resolves to: a custom audit_def or a built-in, seen alike. */
struct audit_src {
    const char *name, *file, *query, *expressions;
    int line;
    struct strlist defaults_n, defaults_v; /* owned copies */
    bool blocking, skip;
    bool builtin;
};

static void audit_src_free(struct audit_src *s)
{
    strlist_free(&s->defaults_n);
    strlist_free(&s->defaults_v);
}

/* Resolves call a of model m. 0, or -1 with "file:line: unknown audit". */
static int audit_resolve(const struct project *p, const struct model *m, const struct audit_call *a,
                         struct audit_src *out, struct mt_err *err)
{
    memset(out, 0, sizeof *out);
    const struct audit_def *def = NULL;
    for (size_t i = 0; i < m->n_inline_audits && !def; i++)
        if (!strcmp(m->inline_audits[i].name, a->name)) def = &m->inline_audits[i];
    for (size_t i = 0; i < p->n_audits && !def; i++) /* a standalone audit is no model's (SQLMesh) */
        if (!p->audits[i].standalone && !strcmp(p->audits[i].name, a->name)) def = &p->audits[i];
    if (def) {
        out->name = def->name;
        out->file = def->file;
        out->query = def->query;
        out->line = def->query_line ? def->query_line : 1;
        out->blocking = !def->non_blocking;
        out->skip = def->skip;
        for (size_t i = 0; i < def->default_names.n; i++) {
            strlist_push(&out->defaults_n, def->default_names.v[i]);
            strlist_push(&out->defaults_v, def->default_values.v[i]);
        }
        return 0;
    }
    bool nb = false;
    const struct audit_builtin *b = audit_builtin_find(a->name, &nb);
    if (!b) {
        mt_errf(err, "%s:%d: unknown audit '%s': not built in, not defined in the model file and not in audits/ *.sql",
                m->file, a->line, a->name);
        return -1;
    }
    out->name = a->name;
    out->file = "sqlmesh/core/audit/builtin.py";
    out->query = b->query;
    out->expressions = b->expressions;
    out->line = b->line;
    out->blocking = !nb;
    out->builtin = true;
    for (size_t i = 0; b->defaults[i][0]; i++) {
        strlist_push(&out->defaults_n, b->defaults[i][0]);
        strlist_push(&out->defaults_v, b->defaults[i][1]);
    }
    return 0;
}

/* Whether call a blocks: its `blocking` argument when given (true/false), else the audit's. */
static int call_blocking(const struct model *m, const struct audit_call *a, const struct audit_src *src, bool *out,
                         struct mt_err *err)
{
    *out = src->blocking;
    for (size_t i = 0; i < a->arg_names.n; i++) {
        if (strcmp(a->arg_names.v[i], "blocking")) continue;
        const char *v = a->arg_values.v[i];
        if (!strcasecmp(v, "true")) *out = true;
        else if (!strcasecmp(v, "false")) *out = false;
        else {
            mt_errf(err, "%s:%d: audit %s: expected blocking := true or false, not %s", m->file, a->line, a->name, v);
            return -1;
        }
    }
    return 0;
}

static void describe_call(const struct audit_call *a, strbuf *sb)
{
    sb_append(sb, a->name);
    if (!a->arg_names.n) return;
    sb_append_char(sb, '(');
    for (size_t i = 0; i < a->arg_names.n; i++) sb_appendf(sb, "%s%s := %s", i ? ", " : "", a->arg_names.v[i], a->arg_values.v[i]);
    sb_append_char(sb, ')');
}

/* unique_combination_of_columns reads only the rows whose combination's 64-bit hash is seen
 * twice: grouping on the hash first is ~3x cheaper than grouping on the columns (long text
 * keys: 33 -> 11 ms on 78k staging rows). The answer is SQLMesh's query's: a combination
 * seen once in the table is seen at most once under any condition, and every row of a hash
 * seen twice is kept. Only for plain column lists (no macro in them). */
static void narrow_unique_combination(const struct audit_call *a, const char *physical, strbuf *out)
{
    const char *cols = NULL;
    for (size_t i = 0; i < a->arg_names.n; i++)
        if (!strcmp(a->arg_names.v[i], "columns")) cols = a->arg_values.v[i];
    if (!cols || strchr(cols, '@')) {
        sb_append(out, physical);
        return;
    }
    struct strlist items = {0};
    sql_split_list(cols, &items);
    strbuf l;
    sb_init(&l);
    for (size_t i = 0; i < items.n; i++) sb_appendf(&l, "%s%s", i ? ", " : "", items.v[i]);
    sb_appendf(out, "(SELECT * FROM %s WHERE hash(%s) IN (SELECT hash(%s) FROM %s GROUP BY 1 HAVING count(*) > 1))",
               physical, l.buf, l.buf, physical);
    sb_free(&l);
    strlist_free(&items);
}

/* The bad-rows query of audit call a (resolved to src) against physical, into q: the
 * audit's query rendered with the call's arguments (less `blocking`, which is not the
 * query's) over its defaults, and the processed interval of t. */
static int audit_query(const struct project *p, const struct model *m, const struct audit_call *a,
                       const struct audit_src *src, const char *physical, const struct config *cfg,
                       const struct audit_times *t, strbuf *q, struct mt_err *err)
{
    struct strlist names = {0}, values = {0};
    for (size_t i = 0; i < a->arg_names.n; i++) {
        if (!strcmp(a->arg_names.v[i], "blocking")) continue;
        strlist_push(&names, a->arg_names.v[i]);
        strlist_push(&values, a->arg_values.v[i]);
    }
    for (size_t i = 0; i < src->defaults_n.n; i++)
        if (!strlist_has(&names, src->defaults_n.v[i])) {
            strlist_push(&names, src->defaults_n.v[i]);
            strlist_push(&values, src->defaults_v.v[i]);
        }
    strbuf target, text;
    sb_init(&target);
    sb_init(&text);
    if (src->builtin && !strncmp(src->name, "unique_combination_of_columns", 29))
        narrow_unique_combination(a, physical, &target);
    else
        sb_append(&target, physical);
    int line = src->line;
    if (src->expressions) {
        /* chi_square's @def statements come before its query (builtin.py's `expressions`) */
        sb_append(&text, src->expressions);
        for (const char *c = src->expressions; *c; c++) line -= *c == '\n';
    }
    sb_append(&text, src->query);
    struct render_ctx ctx;
    project_render_ctx(p, (size_t)(m - p->models), cfg, &ctx);
    ctx.this_model = target.buf;
    ctx.start_us = t->start_us;
    ctx.end_us = t->end_us;
    ctx.exec_us = t->exec_us;
    ctx.arg_names = &names;
    ctx.arg_values = &values;
    int rc;
    if (names_collide(p) && p->con) {
        /* a lakehouse named like a schema: the audit's two-part names need the catalog too */
        strbuf raw;
        sb_init(&raw);
        rc = macro_render(text.buf, src->file, line, &ctx, &raw, err);
        if (rc == 0) rc = names_qualify(p, (size_t)(m - p->models), p->con, raw.buf, NULL, q, err);
        sb_free(&raw);
    } else {
        rc = macro_render(text.buf, src->file, line, &ctx, q, err);
    }
    if (rc < 0 && src->builtin) {
        /* the render error names builtin.py's line: say which call it was */
        char msg[MT_ERR_LEN];
        snprintf(msg, sizeof msg, "%s", err->msg);
        mt_errf(err, "%s:%d: audit %s: %s", m->file, a->line, a->name, msg);
    }
    strlist_free(&names);
    strlist_free(&values);
    sb_free(&target);
    sb_free(&text);
    return rc;
}

/* Runs bad-rows query q. 0 when it returns no row; 1 when it does, with "N bad rows: {...}"
 * (up to 5 rows) appended to *bad; -1 with DuckDB's message in err when it cannot run. */
static int bad_rows(const char *q, duckdb_connection con, strbuf *bad, struct mt_err *err)
{
    strbuf sql;
    sb_init(&sql);
    int rc = 0;
    sb_appendf(&sql, "SELECT count(*) OVER () AS _materia_bad, * FROM (%s\n) AS _materia_a LIMIT 5", q);
    duckdb_result res;
    if (duckdb_query(con, sql.buf, &res) == DuckDBError) {
        mt_errf(err, "%s", duckdb_result_error(&res));
        rc = -1;
    } else if (duckdb_row_count(&res) > 0) {
        idx_t nr = duckdb_row_count(&res), nc = duckdb_column_count(&res);
        sb_appendf(bad, "%lld bad rows: ", (long long)duckdb_value_int64(&res, 0, 0));
        for (idx_t r = 0; r < nr; r++) {
            sb_append(bad, r ? "; {" : "{");
            for (idx_t c = 1; c < nc; c++) {
                char *v = duckdb_value_is_null(&res, c, r) ? NULL : duckdb_value_varchar(&res, c, r);
                sb_appendf(bad, "%s%s=%s", c > 1 ? ", " : "", duckdb_column_name(&res, c), v ? v : "NULL");
                duckdb_free(v);
            }
            sb_append(bad, "}");
        }
        rc = 1;
    }
    duckdb_destroy_result(&res);
    sb_free(&sql);
    return rc;
}

/* Runs audit a's query q on its own. 0 when it returns no row; 1 when it does, with "model
 * M, audit A(args): N bad rows: {...}" (up to 5 rows) in *bad; -1 when it cannot run. */
static int run_one(const struct model *m, const struct audit_call *a, const char *q, duckdb_connection con,
                   strbuf *bad, struct mt_err *err)
{
    strbuf desc;
    sb_init(&desc);
    describe_call(a, &desc);
    sb_appendf(bad, "model %s, audit %s: ", m->name, desc.buf);
    struct mt_err e = MT_ERR_INIT;
    int rc = bad_rows(q, con, bad, &e);
    if (rc < 0) mt_errf(err, "%s: audit %s could not run: %s", m->name, desc.buf, e.msg);
    sb_free(&desc);
    return rc;
}

/* Every audit of m in one query first — the number of bad rows of each, in declaration order
 * — because ~20 small queries cost a run more than their scans (bench/RESULTS.md, engine
 * overhead). Only the audits that query finds bad rows in (all of them, when it cannot run)
 * are run one by one, for their message and rows. */
int audits_run(const struct project *p, const struct model *m, const char *physical, const struct config *cfg,
               duckdb_connection con, const struct audit_times *t, strbuf *warnings, struct mt_err *err)
{
    if (m->n_audits == 0) return 0;
    size_t n = m->n_audits;
    strbuf *qs = xcalloc(n, sizeof *qs), all;
    struct audit_src *srcs = xcalloc(n, sizeof *srcs);
    bool *blocking = xcalloc(n, sizeof *blocking), *bad = xcalloc(n, sizeof *bad);
    sb_init(&all);
    int rc = 0;
    size_t n_run = 0;
    for (size_t i = 0; i < n; i++) sb_init(&qs[i]);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct audit_call *a = &m->audits[i];
        rc = audit_resolve(p, m, a, &srcs[i], err);
        if (rc == 0) rc = call_blocking(m, a, &srcs[i], &blocking[i], err);
        if (rc < 0 || srcs[i].skip) continue; /* skip true: SQLMesh's _audit returns skipped */
        rc = audit_query(p, m, a, &srcs[i], physical, cfg, t, &qs[i], err);
        if (rc == 0) log_msg(LOG_DEBUG, "transform: %s: audit %s query: %s", m->name, a->name, qs[i].buf);
        sb_appendf(&all, "%sSELECT %zu AS i, count(*) AS n FROM (%s\n) AS _materia_a%zu", n_run ? " UNION ALL " : "",
                   i, qs[i].buf, i);
        bad[i] = true; /* unless the combined query says otherwise */
        n_run++;
    }
    if (rc == 0 && n_run > 0) {
        strbuf sql;
        sb_init(&sql);
        sb_appendf(&sql, "SELECT i FROM (%s) WHERE n > 0", all.buf);
        duckdb_result res;
        if (duckdb_query(con, sql.buf, &res) != DuckDBError) {
            for (size_t i = 0; i < n; i++) bad[i] = false;
            for (idx_t r = 0; r < duckdb_row_count(&res); r++) {
                int64_t i = duckdb_value_int64(&res, 0, r);
                if (i >= 0 && (size_t)i < n) bad[i] = true;
            }
        }
        duckdb_destroy_result(&res);
        sb_free(&sql);
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!bad[i]) continue;
        strbuf msg;
        sb_init(&msg);
        int r = run_one(m, &m->audits[i], qs[i].buf, con, &msg, err);
        if (r < 0) rc = -1;
        else if (r == 1 && blocking[i]) {
            mt_err_set(err, MT_ERR_AUDIT, "audit failed: %s", msg.buf);
            rc = -1;
        } else if (r == 1) {
            /* non-blocking: SQLMesh's scheduler warns and goes on */
            log_msg(LOG_WARN, "transform: non-blocking audit failed: %s", msg.buf);
            if (warnings) sb_appendf(warnings, "%snon-blocking audit failed: %s", warnings->len ? "\n" : "", msg.buf);
        }
        sb_free(&msg);
    }
    for (size_t i = 0; i < n; i++) {
        sb_free(&qs[i]);
        audit_src_free(&srcs[i]);
    }
    free(qs);
    free(srcs);
    free(blocking);
    free(bad);
    sb_free(&all);
    return rc;
}

/* Standalone audits (SQLMesh's StandaloneAudit: `standalone true` in audits/ *.sql). SQLMesh
 * makes each a node of its own, after the tables its query reads, never blocking; materia
 * runs them after every model of a run (so after the ones they read, whose views the run
 * has already swapped), rendered with the run's last complete day ([exec's day - 1 day,
 * exec's day): the interval of SQLMesh's default @daily cron) and the execution time. A
 * failure is a warning, as SQLMesh's scheduler warns for a non-blocking audit; a query
 * that cannot run fails the run. Differs from SQLMesh: it runs on each run that builds
 * something, not once per cron interval. */
int audits_run_standalone(const struct project *p, const struct config *cfg, duckdb_connection con, int64_t exec_us,
                          strbuf *warnings, struct mt_err *err)
{
    const int64_t day = 86400LL * 1000000LL;
    int64_t end = exec_us - ((exec_us % day) + day) % day;
    for (size_t i = 0; i < p->n_audits; i++) {
        const struct audit_def *d = &p->audits[i];
        if (!d->standalone || d->skip) continue;
        struct render_ctx ctx = {.cfg = cfg, .vars = p->vars, .gateway = p->conf ? p->conf->gateway : NULL, .con = con,
                                 .start_us = end - day, .end_us = end, .exec_us = exec_us,
                                 .arg_names = &d->default_names, .arg_values = &d->default_values};
        strbuf q;
        sb_init(&q);
        int rc = macro_render(d->query, d->file, d->query_line ? d->query_line : 1, &ctx, &q, err);
        if (rc == 0) {
            struct mt_err e = MT_ERR_INIT;
            strbuf msg;
            sb_init(&msg);
            sb_appendf(&msg, "standalone audit %s: ", d->name);
            int r = bad_rows(q.buf, con, &msg, &e);
            if (r < 0) {
                mt_errf(err, "standalone audit %s (%s) could not run: %s", d->name, d->file, e.msg);
                rc = -1;
            } else if (r == 1) {
                log_msg(LOG_WARN, "transform: non-blocking audit failed: %s", msg.buf);
                if (warnings) sb_appendf(warnings, "%snon-blocking audit failed: %s", warnings->len ? "\n" : "", msg.buf);
            }
            sb_free(&msg);
        }
        sb_free(&q);
        if (rc < 0) return -1;
    }
    return 0;
}
