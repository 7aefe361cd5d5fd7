/* statements_run.c — a model's pre-/post-statements and ON_VIRTUAL_UPDATE statements
 * (split by statements.c) fingerprinted and run: rendered by the macro renderer and executed
 * on the run's connection, inside the run's one transaction (SQLMesh runs them in the
 * model's transaction: snapshot/evaluator.py _evaluate_snapshot, _promote_snapshot). A
 * statement rendering to nothing is skipped. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transform/engine.h"
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
        int rc = macro_render(m->stmts[k].text, m->file, m->stmts_line, &ctx, &sql, err);
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
        rc = macro_render(s->text, m->file, m->stmts_line, &ctx, &sql, err);
        const char *c = sql.buf ? sql.buf : "";
        while (*c && isspace((unsigned char)*c)) c++;
        struct mt_err e = MT_ERR_INIT;
        if (rc == 0 && *c && db_exec(con, c, &e) < 0)
            rc = mt_errf(err, "%s:%d: %s failed: %s", m->file, s->line, stmt_kind_name(kind), e.msg);
        sb_free(&sql);
    }
    return rc < 0 ? -1 : 0;
}
