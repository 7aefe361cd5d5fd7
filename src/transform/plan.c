/* plan.c — fingerprints and the plan: what a run would do, and why.
 *
 * def_hash covers one model alone: kind and kind arguments, columns, start, the query
 * rendered with fixed placeholder times (so @start_ds does not change it), for a SEED
 * the CSV's bytes, and the pre-/post-statements (statements.c). The fingerprint adds the parents' fingerprints (sorted by name), so a
 * change flows to every descendant. Metadata (cron, audits, description, owner, tags,
 * grain, column descriptions, session_properties, ON_VIRTUAL_UPDATE statements) is not
 * fingerprinted, as in SQLMesh.
 *
 * Reasons, in topological order, against the live environment (_materia.models):
 *   new        no live version                           → build a new version
 *   changed    own definition differs                    → build a new version
 *   downstream a parent's fingerprint changed            → build a new version
 *              or a parent's data changed in this run    → refresh the live version
 *   inputs     the files its query reads changed         → refresh
 *   due        cron: FULL last ran before the current tick; incremental has complete
 *              intervals not yet processed               → refresh
 *   unchanged  nothing to do
 * A changed model SQLMesh would change forward-only keeps its live table instead of a new
 * version (forward_only.c), with only its missing intervals to process.
 * A refresh of an incremental model processes only its missing intervals (plus the
 * current partial interval when its inputs or parents changed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transform/engine.h"
#include "transform/kinds.h"
#include "transform/incr.h"
#include "transform/env.h"
#include "transform/schedule.h"
#include "transform/statements.h"
#include "util/err.h"
#include "util/db.h"
#include "util/fsutil.h"
#include "util/clock.h"
#include "util/log.h"

const char *reason_name(enum reason r)
{
    static const char *names[] = {"unchanged", "new", "changed", "downstream", "due", "inputs", "restated", "removed"};
    return names[r];
}

int plan_exec_time(const struct config *cfg, const char *override, int64_t *us, struct mt_err *err)
{
    const char *v = override && *override ? override : config_get(cfg, "MATERIA_EXECUTION_TIME");
    if (!v || !*v) {
        *us = time_now_us();
        return 0;
    }
    if (time_parse(v, us) < 0) {
        mt_errf(err, "execution time '%s': expected YYYY-MM-DD[ HH:MM[:SS]]", v);
        return -1;
    }
    return 0;
}

char *seed_abs_path(const struct model *m)
{
    if (m->seed_path[0] == '/') return xstrdup(m->seed_path);
    char *dir = fs_dirname(m->file);
    char *p = fs_join(dir, m->seed_path);
    free(dir);
    return p;
}

static int def_hash(const struct project *p, size_t i, const struct config *cfg, char out[HASH_HEX_LEN], struct mt_err *err)
{
    const struct model *m = &p->models[i];
    struct hash_ctx h;
    hash_init(&h);
    /* stamp only when set: a model without one keeps the fingerprint it had before stamps */
    /* and the interval unit when it is not a day (definition.py _data_hash has interval_unit) */
    char *hdr = xasprintf("kind=%s\nargs=%s\ncolumns=%s\nstart=%s\n%s%s%s%s%s%squery=\n", model_kind_name(m->kind),
                          m->kind_args, m->columns ? m->columns : "", m->start ? m->start : "", m->stamp ? "stamp=" : "",
                          m->stamp ? m->stamp : "", m->stamp ? "\n" : "", m->unit != CRON_DAILY ? "unit=" : "",
                          m->unit != CRON_DAILY ? cron_unit_name(m->unit) : "", m->unit != CRON_DAILY ? "\n" : "");
    hash_update(&h, hdr, strlen(hdr));
    free(hdr);
    /* only when set: the fingerprints of models without one stay as they were */
    for (size_t k = 0; k < m->partitioned_by.n; k++) {
        hash_update(&h, "partitioned_by=", 15);
        hash_update(&h, m->partitioned_by.v[k], strlen(m->partitioned_by.v[k]) + 1);
    }
    if (m->kind == KIND_SEED) {
        char *path = seed_abs_path(m), *data;
        size_t len;
        struct mt_err e = MT_ERR_INIT;
        if (fs_read_all(path, &data, &len, &e) < 0) {
            mt_errf(err, "%s:%d: seed: %s", m->file, m->line, e.msg);
            free(path);
            hash_discard(&h);
            return -1;
        }
        hash_update(&h, data, len);
        free(data);
        free(path);
    } else {
        /* the DAG's render of the model (the same fixed render), else a render of our own */
        const char *kept = dag_fixed_sql(p, i);
        char *q = kept ? NULL : dag_render_fixed(p, i, cfg, err);
        if (!kept && !q) {
            hash_discard(&h);
            return -1;
        }
        hash_update(&h, kept ? kept : q, strlen(kept ? kept : q));
        free(q);
    }
    if (stmts_hash(p, i, cfg, &h, err) < 0) { /* pre-/post-statements, as SQLMesh's data hash */
        hash_discard(&h);
        return -1;
    }
    hash_final_hex(&h, out);
    return 0;
}

int plan_build(const struct config *cfg, duckdb_connection con, bool with_state, int64_t exec_us, struct plan *pl,
               struct mt_err *err)
{
    return plan_build_env(cfg, con, with_state, exec_us, NULL, pl, err);
}

int plan_build_env(const struct config *cfg, duckdb_connection con, bool with_state, int64_t exec_us, const char *env,
                   struct plan *pl, struct mt_err *err)
{
    memset(pl, 0, sizeof *pl);
    pl->exec_us = exec_us;
    if (env && strcmp(env, "prod")) pl->env = xstrdup(env);
    double t0 = clock_mono_ms();
    if (project_load(cfg, &pl->proj, err) < 0) return -1;
    struct project *p = &pl->proj;
    double t1 = clock_mono_ms();
    if (dag_build(p, cfg, con, err) < 0) goto fail;
    double t2 = clock_mono_ms();
    for (size_t i = 0; i < p->n; i++) {
        const struct model *m = &p->models[i];
        /* config.yaml's model_defaults.start is reported where it is written */
        char *where = m->start_default ? xasprintf("%s:%d: model_defaults.", p->conf->path, p->conf->d_start_line)
                                       : xasprintf("%s:%d: ", m->file, m->line);
        int rc = model_schedule_check(m, exec_us, where, err);
        free(where);
        if (rc < 0) goto fail;
        if (m->partitioned_by.n && kind_partitioned_by_check(m, con, err) < 0) goto fail;
    }
    schedule_infer_starts(p, exec_us);
    if (with_state && (pl->env ? env_state_load(con, pl->env, &pl->st, err) : state_load(con, &pl->st, err)) < 0)
        goto fail;
    double t3 = clock_mono_ms();
    pl->n = p->n;
    pl->items = xcalloc(p->n ? p->n : 1, sizeof *pl->items);
    size_t *item_of = xcalloc(p->n ? p->n : 1, sizeof *item_of);
    for (size_t k = 0; k < p->n; k++) item_of[p->order[k]] = k;
    for (size_t k = 0; k < p->n; k++) {
        size_t i = p->order[k];
        const struct model *m = &p->models[i];
        struct plan_item *it = &pl->items[k];
        it->m = i;
        if (def_hash(p, i, cfg, it->def_hash, err) < 0) { free(item_of); goto fail; }
        /* fingerprint = H(def_hash, parents' name=fp sorted by name) */
        struct strlist par = {0};
        bool parent_data_changed = false;
        for (size_t q = 0; q < p->parent_names[i].n; q++) {
            long j = project_find(p, p->parent_names[i].v[q]);
            const struct plan_item *pi = j >= 0 ? &pl->items[item_of[j]] : NULL;
            char *e = xasprintf("%s=%s", p->parent_names[i].v[q], pi ? pi->fp : "external");
            strlist_push(&par, e);
            free(e);
            if (pi && pi->data_changed) parent_data_changed = true;
        }
        strlist_sort(&par);
        struct hash_ctx h;
        hash_init(&h);
        hash_update(&h, it->def_hash, 64);
        for (size_t q = 0; q < par.n; q++) {
            hash_update(&h, "\n", 1);
            hash_update(&h, par.v[q], strlen(par.v[q]));
        }
        hash_final_hex(&h, it->fp);
        strlist_free(&par);
        it->physical = xasprintf("\"materia__%s\".\"%s__%.16s\"", m->schema, m->table, it->fp);
        dag_inputs_fingerprint(p, i, it->inputs_fp, &it->n_files);
        const struct model_state *cur = state_find(&pl->st, m->name);
        it->cur = cur;
        bool incremental = kind_interval_based(m->kind);
        if (cur && strcmp(cur->fingerprint, it->fp) && kind_forward_only_check(m, err) < 0) {
            free(item_of);
            goto fail;
        }
        if (!cur || strcmp(cur->fingerprint, it->fp)) {
            it->reason = !cur ? R_NEW : strcmp(cur->def_hash, it->def_hash) ? R_CHANGED : R_DOWNSTREAM;
            it->new_version = it->run = true;
            /* SCD kinds are forward-only by default (model/kind.py _SCDType2Kind forward_only
             * True): SQLMesh's new snapshot of a forward-only change — own or upstream — keeps
             * the live table and its intervals (snapshot/definition.py categorize_as: a
             * forward-only snapshot takes the previous version's table; evaluator.py migrate
             * alters that table to the new columns), so no history is lost and only missing intervals
             * run, with the new query. Here: the new version starts as a copy of the live one
             * (kind_scd2.c copy_live) with the live one's intervals (runner.c). */
            it->keep = kind_is_scd2(m->kind) && m->scd2.forward_only && cur && !strcmp(cur->kind, model_kind_name(m->kind));
            if (it->keep) schedule_missing(m, &cur->done, exec_us, false, &it->todo);
            else if (incremental) schedule_missing(m, &(struct ranges){0}, exec_us, true, &it->todo);
            if (!kind_is_scd2(m->kind)) forward_only_plan(pl, k, item_of, parent_data_changed); /* may keep cur's table */
        } else {
            /* the live table: after a forward-only change it is not named by this fingerprint */
            free(it->physical);
            it->physical = xstrdup(cur->physical);
            bool inputs = strcmp(cur->inputs_fp, it->inputs_fp) != 0;
            if (m->kind == KIND_FULL) {
                bool due = schedule_full_due(m, cur->last_run_us, exec_us);
                it->reason = parent_data_changed ? R_DOWNSTREAM : inputs ? R_INPUTS : due ? R_DUE : R_UNCHANGED;
            } else if (incremental) {
                /* not these two: SQLMesh runs a model only for complete intervals, and a partial
                 * one processed again would append its rows twice (kind_partition.c) */
                bool partial = (parent_data_changed || inputs) && m->kind != KIND_INCR_PARTITION &&
                               m->kind != KIND_INCR_UNMANAGED;
                schedule_missing(m, &cur->done, exec_us, partial, &it->todo);
                it->reason = it->todo.n == 0 ? R_UNCHANGED : parent_data_changed ? R_DOWNSTREAM
                           : inputs ? R_INPUTS : R_DUE;
            } else if ((m->kind == KIND_VIEW || m->kind == KIND_EMBEDDED) && parent_data_changed) {
                it->data_changed = true; /* nothing to build, but readers see new data */
            }
            it->run = it->reason != R_UNCHANGED;
        }
        if (it->run) {
            if (!it->forward_only) it->data_changed = true; /* forward_only_plan says */
            pl->n_run++;
        }
    }
    free(item_of);
    log_debug("transform: plan: %zu models: load %.1f ms, dag %.1f ms, state %.1f ms, fingerprints %.1f ms", p->n,
              t1 - t0, t2 - t1, t3 - t2, clock_mono_ms() - t3);
    for (size_t s = 0; s < pl->st.n; s++)
        if (project_find(p, pl->st.v[s].model) < 0) strlist_push(&pl->removed, pl->st.v[s].model);
    return 0;
fail:
    plan_free(pl);
    return -1;
}

void plan_noop_window(const struct plan *pl, int64_t *lo, int64_t *hi)
{
    *lo = INT64_MIN;
    *hi = INT64_MAX;
    for (size_t k = 0; k < pl->n; k++) {
        const struct model *m = &pl->proj.models[pl->items[k].m];
        int64_t f = cron_expr_floor(&m->cronx, pl->exec_us), nx = cron_expr_next(&m->cronx, pl->exec_us);
        if (f > *lo) *lo = f;
        if (nx < *hi) *hi = nx;
        int64_t st = model_start_at(m, pl->exec_us);
        if (st > pl->exec_us && st < *hi) *hi = st;
    }
}

void plan_free(struct plan *pl)
{
    for (size_t k = 0; k < pl->n; k++) {
        ranges_free(&pl->items[k].todo);
        free(pl->items[k].physical);
    }
    free(pl->items);
    strlist_free(&pl->removed);
    free(pl->env);
    state_free(&pl->st);
    project_free(&pl->proj);
    memset(pl, 0, sizeof *pl);
}

void plan_print(const struct plan *pl, FILE *out)
{
    char ts[32];
    time_fmt_ts(pl->exec_us, ts);
    fprintf(out, "plan at execution time %.19s\n", ts);
    size_t counts[R_REMOVED + 1] = {0};
    for (size_t k = 0; k < pl->n; k++) {
        const struct plan_item *it = &pl->items[k];
        const struct model *m = &pl->proj.models[it->m];
        counts[it->reason]++;
        /* promote: an existing version the environment's view will point at (env.c) */
        fprintf(out, "  %-10s %-40s %s%s", it->promote_only ? "promote" : reason_name(it->reason), m->name,
                model_kind_name(m->kind), it->forward_only ? " forward-only" : "");
        for (size_t r = 0; r < it->todo.n; r++) {
            char a[32], b[32];
            time_fmt_ts(it->todo.v[r].s, a);
            time_fmt_ts(it->todo.v[r].e, b);
            fprintf(out, " [%.19s, %.19s)", a, b);
        }
        fputc('\n', out);
    }
    for (size_t r = 0; r < pl->removed.n; r++) {
        counts[R_REMOVED]++;
        fprintf(out, "  %-10s %s\n", "removed", pl->removed.v[r]);
    }
    if (pl->n_run == 0 && pl->removed.n == 0) {
        fprintf(out, "nothing to do (%zu models unchanged)\n", pl->n);
        return;
    }
    if (counts[R_RESTATED]) fprintf(out, "%zu restated, ", counts[R_RESTATED]);
    fprintf(out, "%zu models: %zu to run (%zu new, %zu changed, %zu downstream, %zu inputs, %zu due), "
            "%zu unchanged, %zu removed\n", pl->n, pl->n_run, counts[R_NEW], counts[R_CHANGED], counts[R_DOWNSTREAM],
            counts[R_INPUTS], counts[R_DUE], counts[R_UNCHANGED], counts[R_REMOVED]);
}
