/* macros.c — the macro expander's entry point (macro_render), the predefined variables,
 * and Materia's @LANDED_FILES extension. The expander itself is macro_lex.c (text to
 * tree), macro_eval.c (SQLMesh's evaluation order, variables, lambdas, clause macros) and
 * macro_builtins.c (SQLMesh's built-in macros); macro.h says how they fit together.
 *
 * Predefined variables, as SQLMesh's renderer defines them (sqlmesh/utils/date.py
 * date_dict, sqlmesh/core/renderer.py): for each prefix start, end, execution (and the
 * older latest) the suffixes
 *   _ds     '2020-10-28'                      _date   CAST('2020-10-28' AS DATE)
 *   _ts     '2020-10-28 00:00:00'             _dt     CAST('… 00:00:00+00:00' AS TIMESTAMPTZ)
 *   _tstz   '2020-10-28 00:00:00+00:00'       _dtntz  CAST('… 00:00:00' AS TIMESTAMP)
 *   _epoch  1603843200.0 (seconds, float)     _millis 1603843200000
 *   _hour   0
 * (microseconds appear only when not zero, as Python's isoformat writes them). End values
 * are inclusive: the interval [start, end) renders end as end - 1 microsecond, so
 * `BETWEEN @start_ts AND @end_ts` is right and @end_epoch is 1603929599.999. Also
 * @this_model (the physical table), @gateway, @model_kind_name and @runtime_stage
 * ('loading' for the fixed render behind fingerprints, 'auditing', else 'evaluating').
 *
 * @LANDED_FILES('dataset') — Materia extension (not in SQLMesh): the data files
 * $LANDING_DIR/<dataset>/YYYY/MM/{etag}.csv.gzip landed in the interval, as a parenthesised
 * list of string literals for `filename IN @LANDED_FILES('psd')`, `(NULL)` when none (an
 * IN list matching nothing). A file's landed_at is its {etag}.meta.json `landed_at`, else
 * its modification time (ARCHITECTURE §1). The list is a superset: it keeps files within
 * 1 s of the interval and any file whose meta landed_at this parser cannot read, so a
 * model must still filter rows on landed_at itself; the list only lets DuckDB's
 * multi-file scan skip the files of other intervals (a constant filename IN list is
 * pushed down into read_csv; a join on the meta files is not). The fixed render behind
 * fingerprints and the DAG lists no file (`(NULL)`). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <glob.h>
#include <sys/stat.h>

#include "transform/engine.h"
#include "transform/macro.h"
#include "util/err.h"
#include "extract/landing_meta.h"
#include "util/db.h"
#include "util/fsutil.h"

const char *macro_var_value(const struct config *cfg, const char *name)
{
    if (!cfg) return NULL;
    const char *val = config_get(cfg, name);
    if (val) return val;
    char up[256];
    size_t i = 0;
    for (; name[i] && i + 1 < sizeof up; i++) up[i] = (char)toupper((unsigned char)name[i]);
    up[i] = 0;
    return config_get(cfg, up);
}

/* landed_at of one data file (see @LANDED_FILES above); false when unknown. */
static bool landed_at_of(const char *data_path, int64_t *us)
{
    size_t n = strlen(data_path), sfx = strlen(".csv.gzip");
    char *meta = xasprintf("%.*s.meta.json", (int)(n - sfx), data_path);
    char *text = NULL;
    struct mt_err e = MT_ERR_INIT;
    size_t len = 0;
    int rd = fs_read_all(meta, &text, &len, &e);
    free(meta);
    if (rd == 0) {
        struct landing_meta lm; /* extract owns the meta format: read it through its parser */
        int pr = landing_meta_parse(text, len, &lm, &e);
        free(text);
        if (pr < 0) return false;
        bool use_mtime = !lm.landed_at;
        bool known = lm.landed_at && time_parse(lm.landed_at, us) == 0;
        landing_meta_free(&lm);
        if (!use_mtime) return known;
    }
    struct stat st; /* no meta, or no landed_at in it: the model uses the mtime */
    if (stat(data_path, &st) != 0) return false;
    *us = (int64_t)st.st_mtim.tv_sec * US_PER_SEC + st.st_mtim.tv_nsec / 1000;
    return true;
}

int macro_landed_files(const struct render_ctx *rc, const char *ds, strbuf *out, struct mt_err *err)
{
    if (!*ds || strchr(ds, '/') || strchr(ds, '*') || strchr(ds, '[') || strchr(ds, '?')) {
        mt_errf(err, "expected @LANDED_FILES('dataset') (a folder name under LANDING_DIR)");
        return -1;
    }
    const char *dir = macro_var_value(rc->cfg, "landing_dir");
    if (!dir) {
        mt_errf(err, "@LANDED_FILES: no configuration value LANDING_DIR");
        return -1;
    }
    /* the same pattern text the model gives read_csv, so paths compare equal to `filename` */
    char *pat = xasprintf("%s/%s/[0-9][0-9][0-9][0-9]/[0-9][0-9]/*.csv.gzip", dir, ds);
    glob_t g;
    size_t kept = 0;
    if (!rc->fixed && glob(pat, 0, NULL, &g) == 0) {
        for (size_t k = 0; k < g.gl_pathc; k++) {
            int64_t t = 0;
            if (landed_at_of(g.gl_pathv[k], &t) && (t < rc->start_us - US_PER_SEC || t > rc->end_us + US_PER_SEC))
                continue;
            sb_append(out, kept++ ? ", " : "(");
            db_quote_literal(out, g.gl_pathv[k]);
        }
        globfree(&g);
    }
    free(pat);
    sb_append(out, kept ? ")" : "(NULL)");
    return 0;
}

/* ---- predefined variables ---- */
/* The SQL of predefined time variable <prefix>_<sfx> at us, or NULL when sfx is not one. */
static const char *time_value(struct mctx *c, const char *sfx, int64_t us)
{
    char ds[32], ts[32], num[48];
    time_fmt_ds(us, ds);
    time_fmt_ts(us, ts);
    size_t tn = strlen(ts); /* Python's isoformat: no fraction when it is zero */
    if (tn > 7 && !strcmp(ts + tn - 7, ".000000")) ts[tn - 7] = 0;
    int64_t millis = us >= 0 ? us / 1000 : -((-us) / 1000);
    if (!strcmp(sfx, "ds")) return ma_printf(c->a, "'%s'", ds);
    if (!strcmp(sfx, "ts")) return ma_printf(c->a, "'%s'", ts);
    if (!strcmp(sfx, "tstz")) return ma_printf(c->a, "'%s+00:00'", ts);
    if (!strcmp(sfx, "date")) return ma_printf(c->a, "CAST('%s' AS DATE)", ds);
    if (!strcmp(sfx, "dt")) return ma_printf(c->a, "CAST('%s+00:00' AS TIMESTAMPTZ)", ts);
    if (!strcmp(sfx, "dtntz")) return ma_printf(c->a, "CAST('%s' AS TIMESTAMP)", ts);
    if (!strcmp(sfx, "millis")) return ma_printf(c->a, "%lld", (long long)millis);
    if (!strcmp(sfx, "epoch")) { /* Python: millis / 1000, printed as repr(float) */
        mfloat_repr((double)millis / 1000.0, num, sizeof num);
        return ma_strndup(c->a, num, strlen(num));
    }
    if (!strcmp(sfx, "hour")) return ma_printf(c->a, "%d", atoi(ts + 11)); /* "YYYY-MM-DD HH..." */
    return NULL;
}


/* Predefined variables are made when first looked up (mctx_lookup calls this after the
 * bindings above them): a render formats only the few it uses. */
const struct mbinding *macro_predefined_bind(struct mctx *c, const char *lname)
{
    const struct render_ctx *rc = c->rc;
    const char *sql = NULL;
    static const struct { const char *prefix; size_t n; int which; } prefixes[] = {
        {"latest_", 7, 0}, {"execution_", 10, 0}, {"start_", 6, 1}, {"end_", 4, 2}};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0] && !sql; i++)
        if (!strncmp(lname, prefixes[i].prefix, prefixes[i].n)) {
            int64_t us = prefixes[i].which == 0 ? rc->exec_us : prefixes[i].which == 1 ? rc->start_us : rc->end_us - 1;
            sql = time_value(c, lname + prefixes[i].n, us);
        }
    if (!sql) {
        if (!strcmp(lname, "runtime_stage"))
            sql = rc->runtime_stage ? ma_printf(c->a, "'%s'", rc->runtime_stage)
                  : rc->fixed ? "'loading'" : rc->arg_names ? "'auditing'" : "'evaluating'";
        else if (!strcmp(lname, "gateway")) sql = (rc->gateway ? mquote(c, rc->gateway, '\'') : "NULL");
        else if (!strcmp(lname, "model_kind_name")) sql = (rc->kind_name ? mquote(c, rc->kind_name, '\'') : "NULL");
        else if (!strcmp(lname, "this_model") && rc->this_model && rc->this_model[0]) sql = rc->this_model;
    }
    if (!sql) return NULL;
    struct mseq v = {0};
    struct mt_err e = MT_ERR_INIT;
    if (macro_parse_fragment(c->a, sql, 0, &v, &e) < 0) return NULL;
    mctx_bind(c, ma_strndup(c->a, lname, strlen(lname)), &v, NULL);
    return c->locals;
}

/* Blueprint variables sit below the predefined names and @DEF (mctx_lookup). */
static int bind_blueprint_vars(struct mctx *c)
{
    const struct render_ctx *rc = c->rc;
    for (size_t i = 0; rc->bp_names && i < rc->bp_names->n; i++) {
        struct mseq v = {0};
        if (macro_parse_fragment(c->a, rc->bp_values->v[i], c->line, &v, c->err) < 0) return -1;
        mctx_bind(c, rc->bp_names->v[i], &v, NULL);
        c->locals->low = true;
    }
    return 0;
}

/* Audit arguments shadow everything else. Their values are SQL, expanded here (SQLMesh
 * renders them with the model), so a macro in one (`threshold := @VAR('t')`) works and a
 * Python macro is refused by name. */
static int bind_audit_args(struct mctx *c)
{
    const struct render_ctx *rc = c->rc;
    for (size_t i = 0; rc->arg_names && i < rc->arg_names->n; i++) {
        char *n = ma_lower(c->a, rc->arg_names->v[i], strlen(rc->arg_names->v[i]));
        struct mseq raw = {0}, val = {0};
        if (macro_parse_fragment(c->a, rc->arg_values->v[i], c->line, &raw, c->err) < 0) return -1;
        if (meval_seq(c, &raw, &val) < 0) return -1;
        mctx_bind(c, n, &val, NULL);
    }
    return 0;
}

/* Drops a comma that ends a list: before FROM at the top level (`SELECT a, FROM t`, which
 * DuckDB accepts and sqlglot does not print) or before a closing bracket. */
static void drop_trailing_commas(struct mseq *s)
{
    size_t o = 0;
    for (size_t i = 0; i < s->n; i++) {
        struct mnode *nd = &s->v[i];
        if (nd->inner && nd->k == N_GROUP) drop_trailing_commas(nd->inner);
        if (nd->k == N_TOK && nd->tok.t == MT_COMMA) {
            const struct mnode *nx = i + 1 < s->n ? &s->v[i + 1] : NULL;
            if (!nx || (nx->k == N_TOK && nx->tok.t == MT_WORD && nx->tok.n == 4 && !strncasecmp(nx->tok.s, "from", 4)))
                continue;
        }
        s->v[o++] = *nd;
    }
    s->n = o;
}

/* True when the statement is one @DEF(...) call. */
static bool is_def(const struct mseq *st)
{
    return st->n == 1 && st->v[0].k == N_CALL && st->v[0].tok.n == 3 && !strncasecmp(st->v[0].tok.s, "def", 3);
}

int macro_render(const char *sql, const char *file, int line0, const struct render_ctx *rc, strbuf *out,
                 struct mt_err *err)
{
    struct marena a = {0};
    struct mctx c = {.a = &a, .rc = rc, .file = file, .line = line0, .err = err};
    struct mseq *stmts;
    size_t n;
    int ret = macro_parse(&a, sql, file, line0, &stmts, &n, err);
    if (ret == 0) {
        ret = bind_blueprint_vars(&c);
        if (ret == 0) ret = bind_audit_args(&c);
    }
    size_t printed = 0;
    int first_line = 0;
    for (size_t i = 0; i < n && ret == 0; i++) {
        struct mseq ev = {0};
        ret = meval_seq(&c, &stmts[i], &ev);
        if (ret < 0 || is_def(&stmts[i]) || !ev.n) continue;
        if (printed && !rc->statements) {
            mt_errf(err, "%s:%d: pre-/post-statements are not supported by materia: a model's query must be one "
                    "statement (the one at line %d), with only @DEF(...) statements besides it",
                    file ? file : "<query>", stmts[i].v[0].tok.line, first_line);
            ret = -1;
            break;
        }
        if (!printed) first_line = stmts[i].v[0].tok.line;
        if (printed++) sb_append(out, ";\n");
        drop_trailing_commas(&ev);
        mseq_print(&ev, out);
    }
    marena_free(&a);
    return ret;
}

