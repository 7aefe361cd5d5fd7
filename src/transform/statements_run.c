/* statements_run.c — a model's pre-/post-statements and ON_VIRTUAL_UPDATE statements
 * (split by statements.c) fingerprinted and run: rendered by the macro renderer and executed
 * on the run's connection, inside the run's one transaction (SQLMesh runs them in the
 * model's transaction: snapshot/evaluator.py _evaluate_snapshot, _promote_snapshot). A
 * statement rendering to nothing is skipped. In a pre-/post-statement the model's own name
 * means its physical table, as SQLMesh's renderer maps every model to its table there
 * (test_snapshot_evaluator.py test_create_post_statements_use_non_deployable_table,
 * test_on_virtual_update_statements: `CREATE INDEX ... ON db.test_model` gets the physical
 * table); in an ON_VIRTUAL_UPDATE statement the name is the view, as written. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transform/engine.h"
#include "transform/macro.h"
#include "transform/statements.h"
#include "util/db.h"
#include "util/err.h"
#include "util/strbuf.h"

int stmts_hash(const struct project *p, size_t i, const struct config *cfg, struct hash_ctx *h, struct mt_err *err)
{
    /* SQLMesh's data hash covers the pre- and post-statements (definition.py
     * _data_hash_values_sql); on_virtual_update is metadata (_additional_metadata). Each is
     * hashed as the query is (plan.c): rendered with fixed times, which also refuses a
     * statement that cannot render (a Python macro) when the project loads, not mid-run. */
    const struct model *m = &p->models[i];
    for (size_t k = 0; k < m->n_stmts; k++) {
        struct render_ctx ctx;
        project_render_ctx(p, i, cfg, &ctx);
        ctx.start_us = 0;
        ctx.end_us = ctx.exec_us = 86400 * US_PER_SEC;
        ctx.fixed = true;
        ctx.statements = true;
        strbuf sql;
        sb_init(&sql);
        int rc = macro_render(m->stmts[k].text, m->file, m->stmts[k].text_line, &ctx, &sql, err);
        if (rc == 0 && m->stmts[k].kind != STMT_ON_VIRTUAL_UPDATE) {
            char *hdr = xasprintf("\n%s=", stmt_kind_name(m->stmts[k].kind));
            hash_update(h, hdr, strlen(hdr));
            free(hdr);
            hash_update(h, sql.buf ? sql.buf : "", sql.len);
        }
        sb_free(&sql);
        if (rc < 0) return -1;
    }
    return 0;
}

/* One name part (a plain word, lower-cased, or a "quoted" identifier) equal to want. */
static bool part_is(const struct mnode *nd, const char *want)
{
    if (nd->k != N_TOK) return false;
    size_t n = strlen(want);
    if (nd->tok.t == MT_WORD) return nd->tok.n == n && !strncasecmp(nd->tok.s, want, n);
    if (nd->tok.t != MT_QID || nd->tok.n < 2) return false;
    strbuf sb;
    sb_init(&sb);
    for (size_t i = 1; i + 1 < nd->tok.n; i++) {
        if (nd->tok.s[i] == '"' && i + 2 < nd->tok.n && nd->tok.s[i + 1] == '"') i++;
        sb_append_char(&sb, nd->tok.s[i]);
    }
    bool eq = sb.buf && !strcmp(sb.buf, want);
    sb_free(&sb);
    return eq;
}

static bool is_dot(const struct mnode *nd)
{
    return nd->k == N_TOK && nd->tok.t == MT_OP && nd->tok.n == 1 && nd->tok.s[0] == '.';
}

/* Replaces [catalog.]schema.table naming model m (a name not continued by another '.') with
 * physical, in s and the groups inside it. */
static void self_refs(struct marena *a, struct mseq *s, const struct model *m, const char *catalog,
                      const char *physical)
{
    struct mseq out = {0};
    for (size_t i = 0; i < s->n; i++) {
        struct mnode *nd = &s->v[i];
        if (nd->inner && nd->k == N_GROUP) self_refs(a, nd->inner, m, catalog, physical);
        size_t len = 0;
        bool after_dot = i > 0 && is_dot(&s->v[i - 1]);
        if (!after_dot && i + 4 < s->n && catalog && part_is(nd, catalog) && is_dot(&s->v[i + 1]) &&
            part_is(&s->v[i + 2], m->schema) && is_dot(&s->v[i + 3]) && part_is(&s->v[i + 4], m->table))
            len = 5;
        else if (!after_dot && i + 2 < s->n && part_is(nd, m->schema) && is_dot(&s->v[i + 1]) &&
                 part_is(&s->v[i + 2], m->table))
            len = 3;
        if (len && i + len < s->n && is_dot(&s->v[i + len])) len = 0; /* a column: schema.table.col */
        if (!len) {
            mseq_push(a, &out, nd);
            continue;
        }
        struct mnode r = {.k = N_TOK};
        r.tok = nd->tok;
        r.tok.t = MT_WORD;
        r.tok.s = ma_strndup(a, physical, strlen(physical));
        r.tok.n = strlen(physical);
        mseq_push(a, &out, &r);
        i += len - 1;
    }
    *s = out;
}

/* sql with model i's own name made its physical table (see the top of the file). */
static void self_to_physical(const struct project *p, size_t i, const char *sql, const char *physical, strbuf *out)
{
    struct marena a = {0};
    struct mseq *st = NULL;
    size_t n = 0;
    struct mt_err e = MT_ERR_INIT;
    if (macro_parse(&a, ma_strndup(&a, sql, strlen(sql)), NULL, 1, &st, &n, &e) < 0) {
        sb_append(out, sql); /* DuckDB then says what is wrong with it */
        marena_free(&a);
        return;
    }
    for (size_t k = 0; k < n; k++) {
        self_refs(&a, &st[k], &p->models[i], p->catalog, physical);
        if (k) sb_append(out, ";\n");
        mseq_print(&st[k], out);
    }
    marena_free(&a);
}

int stmts_run(const struct project *p, size_t i, const struct config *cfg, duckdb_connection con,
              enum stmt_kind kind, const struct stmts_env *env, struct mt_err *err)
{
    const struct model *m = &p->models[i];
    int rc = 0;
    for (size_t k = 0; k < m->n_stmts && rc == 0; k++) {
        const struct model_stmt *s = &m->stmts[k];
        if (s->kind != kind) continue;
        struct render_ctx ctx;
        project_render_ctx(p, i, cfg, &ctx);
        ctx.con = con;
        ctx.this_model = env->this_model;
        ctx.runtime_stage = env->runtime_stage;
        ctx.start_us = env->start_us;
        ctx.end_us = env->end_us;
        ctx.exec_us = env->exec_us;
        ctx.statements = true;
        strbuf sql;
        sb_init(&sql);
        rc = macro_render(s->text, m->file, s->text_line, &ctx, &sql, err);
        strbuf run;
        sb_init(&run);
        if (rc == 0 && kind != STMT_ON_VIRTUAL_UPDATE && sql.buf) self_to_physical(p, i, sql.buf, env->this_model, &run);
        else if (rc == 0 && sql.buf) sb_append(&run, sql.buf);
        const char *c = run.buf ? run.buf : "";
        while (*c && isspace((unsigned char)*c)) c++;
        struct mt_err e = MT_ERR_INIT;
        if (rc == 0 && *c && db_exec(con, c, &e) < 0)
            rc = mt_errf(err, "%s:%d: %s failed: %s", m->file, s->line, stmt_kind_name(kind), e.msg);
        sb_free(&run);
        sb_free(&sql);
    }
    return rc < 0 ? -1 : 0;
}
