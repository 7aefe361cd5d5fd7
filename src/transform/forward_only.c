/* forward_only.c — forward-only changes, as SQLMesh makes them in production.
 *
 * Which changes (plan/builder.py _categorize_snapshots, _categorize_snapshot,
 * _is_forward_only_change; snapshot/definition.py categorize_as): a changed model that has a
 * live version keeps that version's physical table when
 *   - it sets `forward_only true` (its own definition changed, or an ancestor's), or
 *   - its definition is unchanged and every ancestor changed in this plan is itself a
 *     forward-only change (all_upstream_forward_only == {True});
 * never for a SEED, nor when the kind changed between two kinds that are not both
 * incremental (plan/common.py is_breaking_kind_change). Everything else builds a new
 * version, as before.
 *
 * What a forward-only change does (snapshot/evaluator.py _migrate_target_table): no rebuild.
 * The live table's columns are compared with the new query's (schema_diff.py, with the
 * DuckDB adapter's differ: no positional add, no nested support, no compatible types): a
 * column only in the table is dropped (destructive), one only in the query is added at the
 * end (additive), a changed type is altered in place when it is a precision increase
 * (DECIMAL(10,2) → DECIMAL(12,2): additive), else dropped and re-added (destructive).
 * on_destructive_change / on_additive_change (model/kind.py; incremental kinds default to
 * ERROR / ALLOW, other kinds ALLOW): IGNORE leaves those changes out; ERROR fails the run
 * ("Plan requires a destructive change ..." — plan/builder.py _check_destructive_additive_
 * changes, evaluator.py _check_destructive_schema_change); WARN logs it and goes on; ALLOW
 * goes on. The processed intervals carry over to the new fingerprint (builder.py:
 * new.merge_intervals(old) for the same version), so only intervals not yet processed get
 * the new query; a FULL model is rebuilt when it is next due, a VIEW is re-created. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transform/engine.h"
#include "transform/schedule.h"
#include "transform/incr.h"
#include "util/db.h"
#include "util/log.h"


static bool kind_is_incremental(const char *kind)
{
    return !strncmp(kind, "INCREMENTAL_", 12) || !strncmp(kind, "SCD_TYPE_2", 10);
}

enum change_policy change_policy_of(const struct model *m, bool destructive)
{
    enum change_policy p = destructive ? m->incr.on_destructive : m->incr.on_additive;
    if (p != CHANGE_DEFAULT) return p;
    return destructive && kind_is_incremental(model_kind_name(m->kind)) ? CHANGE_ERROR : CHANGE_ALLOW;
}

void forward_only_plan(struct plan *pl, size_t k, const size_t *item_of, bool parent_data_changed)
{
    struct plan_item *it = &pl->items[k];
    const struct project *p = &pl->proj;
    const struct model *m = &p->models[it->m];
    for (size_t q = 0; q < p->parent_names[it->m].n; q++) {
        long j = project_find(p, p->parent_names[it->m].v[q]);
        if (j < 0) continue;
        const struct plan_item *pi = &pl->items[item_of[j]];
        bool pnew = !pi->cur || strcmp(pi->cur->fingerprint, pi->fp) != 0;
        it->up_new |= pnew || pi->up_new;
        it->up_nonfo |= (pnew && !pi->forward_only) || pi->up_nonfo;
    }
    const struct model_state *cur = it->cur;
    if (!cur || m->kind == KIND_SEED) return;
    const char *kind = model_kind_name(m->kind);
    if (strcmp(cur->kind, kind) && !(kind_is_incremental(cur->kind) && kind_is_incremental(kind))) return;
    bool fo = m->incr.forward_only || (it->reason == R_DOWNSTREAM && it->up_new && !it->up_nonfo);
    if (!fo) return;
    it->forward_only = true;
    it->new_version = false;
    free(it->physical);
    it->physical = xstrdup(cur->physical);
    ranges_free(&it->todo);
    bool inputs = strcmp(cur->inputs_fp, it->inputs_fp) != 0;
    if (m->kind == KIND_INCR_TIME || m->kind == KIND_INCR_KEY)
        schedule_missing(m, &cur->done, pl->exec_us, parent_data_changed || inputs, &it->todo);
    it->fo_rebuild = m->kind == KIND_FULL &&
                     (parent_data_changed || inputs || schedule_full_due(m, cur->last_run_us, pl->exec_us));
    /* a table only migrated holds the same rows: its FULL children need no rebuild */
    it->data_changed = m->kind == KIND_VIEW ? parent_data_changed : !forward_only_migrate_only(m, it);
}

bool forward_only_migrate_only(const struct model *m, const struct plan_item *it)
{
    return it->forward_only && (m->kind == KIND_FULL ? !it->fo_rebuild : m->kind != KIND_VIEW && it->todo.n == 0);
}

static long find_ci(const struct strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcasecmp(l->v[i], s)) return (long)i;
    return -1;
}

/* schema_diff.py _is_compatible_type for DuckDB: the same type, or the same parameterized
 * type (DECIMAL) with every parameter at least as large (_is_precision_increase). */
static bool compatible_type(const char *cur, const char *new)
{
    if (!strcasecmp(cur, new)) return true;
    if (strncasecmp(cur, "DECIMAL(", 8) || strncasecmp(new, "DECIMAL(", 8)) return false;
    int cp = 0, cs = 0, np = 0, ns = 0;
    if (sscanf(cur + 8, "%d,%d", &cp, &cs) != 2 || sscanf(new + 8, "%d,%d", &np, &ns) != 2) return false;
    return np >= cp && ns >= cs;
}

struct diff {
    strbuf alters;                  /* ALTER TABLE statements, ";\n"-separated */
    strbuf shown;                   /* the same, "; "-separated, for messages */
    struct strlist dropped, added;  /* column names (get_dropped/additive_column_names) */
};

static void op(struct diff *d, const char *table, const char *what, const char *col, const char *type)
{
    strbuf one;
    sb_init(&one);
    sb_appendf(&one, "ALTER TABLE %s %s ", table, what);
    db_quote_ident(&one, col);
    if (type) sb_appendf(&one, "%s%s", strcmp(what, "ALTER COLUMN") ? " " : " TYPE ", type);
    sb_appendf(&d->alters, "%s;\n", one.buf);
    sb_appendf(&d->shown, "%s%s", d->shown.len ? "; " : "", one.buf);
    sb_free(&one);
}

/* errors.py _format_schema_change_msg, on one line (materia has no --allow-*-model). */
static void change_msg(strbuf *out, const struct model *m, bool destructive, const struct diff *d, bool error)
{
    const struct strlist *cols = destructive ? &d->dropped : &d->added;
    sb_appendf(out, "%s:%d: Plan requires %s change to forward-only model '%s's schema", m->file, m->line,
               destructive ? "destructive" : "additive", m->name);
    if (cols->n) {
        sb_appendf(out, " that %s column%s '", destructive ? "drops" : "adds", cols->n > 1 ? "s" : "");
        for (size_t i = 0; i < cols->n; i++) sb_appendf(out, "%s%s", i ? "', '" : "", cols->v[i]);
        sb_append(out, "'");
    }
    sb_appendf(out, ". Schema changes: %s.", d->shown.buf);
    if (error)
        sb_appendf(out, " To allow the %s change, set the model's `%s` setting to `warn`, `allow`, or `ignore`.",
                   destructive ? "destructive" : "additive", destructive ? "on_destructive_change" : "on_additive_change");
}

int forward_only_migrate(duckdb_connection con, const struct plan *pl, const struct plan_item *it, const char *query,
                         strbuf *warnings, struct mt_err *err)
{
    const struct model *m = &pl->proj.models[it->m];
    struct strlist tn = {0}, tt = {0}, sn = {0}, st = {0};
    struct diff d = {0};
    sb_init(&d.alters);
    sb_init(&d.shown);
    char *src = xasprintf("(%s\n)", query);
    int r = db_describe(con, it->physical, &tn, &tt, err);
    if (r == 0) r = db_describe(con, src, &sn, &st, err);
    free(src);
    enum change_policy pd = change_policy_of(m, true), pa = change_policy_of(m, false);
    bool destructive = false, additive = false;
    for (size_t c = 0; r == 0 && pd != CHANGE_IGNORE && c < tn.n; c++)
        if (find_ci(&sn, tn.v[c]) < 0) {
            op(&d, it->physical, "DROP COLUMN", tn.v[c], NULL);
            strlist_push(&d.dropped, tn.v[c]);
            destructive = true;
        }
    for (size_t c = 0; r == 0 && pa != CHANGE_IGNORE && c < sn.n; c++)
        if (find_ci(&tn, sn.v[c]) < 0) {
            op(&d, it->physical, "ADD COLUMN", sn.v[c], st.v[c]);
            strlist_push(&d.added, sn.v[c]);
            additive = true;
        }
    for (size_t c = 0; r == 0 && c < tn.n; c++) {
        long j = find_ci(&sn, tn.v[c]);
        if (j < 0 || !strcasecmp(tt.v[c], st.v[j])) continue;
        if (compatible_type(tt.v[c], st.v[j])) {
            if (pa == CHANGE_IGNORE) continue;
            op(&d, it->physical, "ALTER COLUMN", tn.v[c], st.v[j]);
            strlist_push(&d.added, tn.v[c]);
            additive = true;
        } else if (pd != CHANGE_IGNORE) {
            op(&d, it->physical, "DROP COLUMN", tn.v[c], NULL);
            op(&d, it->physical, "ADD COLUMN", tn.v[c], st.v[j]);
            strlist_push(&d.dropped, tn.v[c]);
            destructive = true;
        }
    }
    /* destructive first, then additive (builder.py _check_destructive_additive_changes) */
    for (int pass = 0; r == 0 && pass < 2; pass++) {
        bool is_d = pass == 0;
        enum change_policy pol = is_d ? pd : pa;
        if (!(is_d ? destructive : additive) || (pol != CHANGE_ERROR && pol != CHANGE_WARN)) continue;
        strbuf msg;
        sb_init(&msg);
        change_msg(&msg, m, is_d, &d, pol == CHANGE_ERROR);
        if (pol == CHANGE_ERROR) {
            mt_errf(err, "%s", msg.buf);
            r = -1;
        } else {
            log_warn("transform: %s", msg.buf);
            if (warnings) sb_appendf(warnings, "%s%s", warnings->len ? "\n" : "", msg.buf);
        }
        sb_free(&msg);
    }
    if (r == 0 && d.alters.len) r = db_exec(con, d.alters.buf, err);
    /* the processed intervals carry over to the new fingerprint (same table, same rows) */
    if (r == 0 && (m->kind == KIND_INCR_TIME || m->kind == KIND_INCR_KEY)) {
        strbuf sql;
        sb_init(&sql);
        sb_appendf(&sql, "INSERT INTO _materia.intervals SELECT model, '%s', start_ts, end_ts, run_id, rows, "
                   "processed_at FROM _materia.intervals WHERE fingerprint = '%s' AND model = ", it->fp,
                   it->cur->fingerprint);
        db_quote_literal(&sql, m->name);
        r = db_exec(con, sql.buf, err);
        sb_free(&sql);
    }
    strlist_free(&tn);
    strlist_free(&tt);
    strlist_free(&sn);
    strlist_free(&st);
    strlist_free(&d.dropped);
    strlist_free(&d.added);
    sb_free(&d.alters);
    sb_free(&d.shown);
    return r;
}

int forward_only_insert_columns(duckdb_connection con, const struct model *m, const char *table, const char *query,
                                strbuf *out, struct mt_err *err)
{
    if (change_policy_of(m, false) != CHANGE_IGNORE) {
        sb_append(out, "*");
        return 0;
    }
    /* on_additive_change ignore: the query may have columns the table was not given; insert
     * the table's columns only (base.py _get_source_queries_and_columns_to_types) */
    struct strlist tn = {0}, tt = {0}, sn = {0}, st = {0};
    char *src = xasprintf("(%s\n)", query);
    int r = db_describe(con, table, &tn, &tt, err);
    if (r == 0) r = db_describe(con, src, &sn, &st, err);
    free(src);
    size_t n = 0;
    for (size_t c = 0; r == 0 && c < sn.n; c++)
        if (find_ci(&tn, sn.v[c]) >= 0) {
            sb_append(out, n++ ? ", " : "");
            db_quote_ident(out, sn.v[c]);
        }
    if (r == 0 && n == 0) sb_append(out, "*");
    strlist_free(&tn);
    strlist_free(&tt);
    strlist_free(&sn);
    strlist_free(&st);
    return r;
}
