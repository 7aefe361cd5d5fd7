/* restate.c — SQLMesh's restatement plans: `materia plan|run --restate-model M [--start S]
 * [--end E]`.
 *
 * The reference is sqlmesh/core/plan/builder.py _build_restatements (with context.py plan:
 * the selections are expanded by selector.py expand_model_selections, and a restatement
 * plan works from the deployed state, ignoring local changes — force_no_diff):
 *   - the selected models and, walking the DAG in topological order, every model with a
 *     restated parent are restated, except (a warning each, and the walk goes on without
 *     them) a model with disable_restatement true in prod, a model whose version is prod's
 *     in a dev environment ("the current version is used in production"), and seeds
 *     (skipped silently);
 *   - a model's restated range is its removal interval (snapshot/definition.py
 *     get_removal_interval: [start, end) floored/expanded to its cron; a self-reading model
 *     up to the execution time; FULL, VIEW and INCREMENTAL_BY_UNIQUE_KEY — the kinds with
 *     full_history_restatement_only — from their first processed interval), widened to
 *     the ranges of its incremental restated parents, then expanded to whole intervals of
 *     its own cron when its end is not on one;
 *   - the restated ranges are removed from the intervals (in prod from every version of the
 *     model: restate_all_snapshots) and processed again; a model left with no interval is
 *     rebuilt from scratch (SQLMesh's is_first_insert); FULL and VIEW models are rebuilt;
 *   - only the restated models (over their restated range) and their upstream (their missing
 *     intervals in [start, end)) run (builder.py _build_models_to_backfill).
 * No new version is made: the run refreshes the live tables in its one transaction. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transform/engine.h"
#include "transform/schedule.h"
#include "transform/env.h"
#include "util/common.h"
#include "util/db.h"
#include "util/err.h"
#include "util/log.h"

static bool incremental(const struct model *m)
{
    return m->kind == KIND_INCR_TIME || m->kind == KIND_INCR_KEY;
}

static bool has_tag(const struct model *m, const char *pattern)
{
    /* model_meta.c keeps the tags unquoted; selector.py compares them lower-cased */
    bool hit = false;
    for (size_t t = 0; t < m->meta.tags.n && !hit; t++) {
        char *tag = xstrdup(m->meta.tags.v[t]);
        for (char *c = tag; *c; c++) *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
        hit = strchr(pattern, '*') ? fnmatch(pattern, tag, 0) == 0 : !strcmp(pattern, tag);
        free(tag);
    }
    return hit;
}

/* Adds the models one selection names to chosen (indexes into the project's models), as
 * selector.py expand_model_selections does for a name (a model's, or an external model's:
 * then its children), a `*` pattern (fnmatch on the model's name), tag:TAG and the +up /
 * down+ directions. */
static int select_one(const struct project *p, const char *given, bool *chosen, struct mt_err *err)
{
    if (strpbrk(given, "&|^()") || !strncmp(given, "git:", 4) || strstr(given, "resource_type:"))
        return mt_errf(err, "--restate-model '%s': the selector operators &, |, ^, ( ) and git: are not supported "
                       "by materia: select with names, * patterns, tag:TAG, +MODEL and MODEL+ (repeat the option "
                       "for a union)", given);
    char *sel = xstrdup(given);
    char *s = sel;
    bool up = *s == '+', down = false;
    if (up) s++;
    size_t n = strlen(s);
    if (n && s[n - 1] == '+') {
        down = true;
        s[--n] = '\0';
    }
    bool *base = xcalloc(p->n ? p->n : 1, sizeof *base);
    if (!strncmp(s, "tag:", 4)) {
        char *tag = xstrdup(s + 4);
        for (char *c = tag; *c; c++) *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
        for (size_t i = 0; i < p->n; i++) base[i] = has_tag(&p->models[i], tag);
        free(tag);
    } else if (strchr(s, '*')) {
        for (size_t i = 0; i < p->n; i++) base[i] = fnmatch(s, p->models[i].name, 0) == 0;
    } else {
        char *canon = project_canon_name(p, s);
        long j = project_find(p, canon);
        if (j >= 0) base[j] = true;
        /* an external model (context.py plan: "either internal or external models"): it has
         * nothing to restate itself, its children are restated as downstream of it */
        for (size_t i = 0; j < 0 && strlist_has(&p->externals, canon) && i < p->n; i++)
            base[i] = strlist_has(&p->parent_names[i], canon);
        free(canon);
    }
    /* directions: every ancestor / descendant (DAG.upstream / downstream), in topological
     * order so one pass reaches them all */
    bool *out = xcalloc(p->n ? p->n : 1, sizeof *out);
    for (size_t i = 0; i < p->n; i++) out[i] = base[i];
    if (down)
        for (size_t k = 0; k < p->n; k++) {
            size_t i = p->order[k];
            for (size_t q = 0; q < p->n_parents[i] && !out[i]; q++)
                if (out[p->parents[i][q]]) out[i] = true;
        }
    if (up) {
        bool *anc = xcalloc(p->n ? p->n : 1, sizeof *anc);
        for (size_t i = 0; i < p->n; i++) anc[i] = base[i];
        for (size_t k = p->n; k-- > 0;) {
            size_t i = p->order[k];
            if (anc[i])
                for (size_t q = 0; q < p->n_parents[i]; q++) anc[p->parents[i][q]] = true;
        }
        for (size_t i = 0; i < p->n; i++) out[i] = out[i] || anc[i];
        free(anc);
    }
    for (size_t i = 0; i < p->n; i++) chosen[i] = chosen[i] || out[i];
    free(out);
    free(base);
    free(sel);
    return 0;
}

/* snapshot/definition.py inclusive_exclusive (strict=False, expand=True): [cron_floor(start),
 * end) with a date-only end meaning the end of that day, and end expanded to the next cron
 * tick when not on one (unless the model allows partial intervals). */
static struct range inclusive_exclusive(const struct model *m, int64_t start, int64_t end, bool end_is_date)
{
    struct range r = {.s = cron_floor(m->unit, start)};
    if (end_is_date) end += 86400 * US_PER_SEC;
    if (m->allow_partials) r.e = end;
    else {
        r.e = cron_floor(m->unit, end);
        if (r.e != end) r.e = cron_next(m->unit, r.e);
    }
    return r;
}

/* r cut to [s, e), in place. */
static void ranges_clip(struct ranges *r, int64_t s, int64_t e)
{
    struct ranges out = {0};
    for (size_t k = 0; k < r->n; k++) {
        int64_t a = r->v[k].s > s ? r->v[k].s : s, b = r->v[k].e < e ? r->v[k].e : e;
        if (a < b) ranges_add(&out, a, b);
    }
    ranges_free(r);
    *r = out;
}

/* done minus [s, e), into out. */
static void ranges_minus(const struct ranges *done, int64_t s, int64_t e, struct ranges *out)
{
    for (size_t k = 0; k < done->n; k++) {
        const struct range *r = &done->v[k];
        if (r->e <= s || r->s >= e) ranges_add(out, r->s, r->e);
        else {
            if (r->s < s) ranges_add(out, r->s, s);
            if (r->e > e) ranges_add(out, e, r->e);
        }
    }
}

static int parse_time(const char *what, const char *v, int64_t *us, bool *is_date, struct mt_err *err)
{
    if (time_parse(v, us) < 0) return mt_errf(err, "%s '%s': expected YYYY-MM-DD[ HH:MM[:SS]]", what, v);
    *is_date = strlen(v) == 10;
    return 0;
}

int restate_apply(struct plan *pl, duckdb_connection con, const struct plan_opts *o, struct mt_err *err)
{
    (void)con;
    const struct project *p = &pl->proj;
    /* context.py plan: restatements work from the deployed state (force_no_diff); materia
     * builds from the project's files, so it refuses to mix them */
    for (size_t k = 0; k < pl->n || (k == 0 && pl->removed.n); k++)
        if (pl->removed.n || pl->items[k].new_version || pl->items[k].reused)
            return mt_errf(err, "--restate-model while the project differs from the %s environment (%s: %s) is not "
                           "supported by materia: SQLMesh restates the deployed versions and ignores local changes "
                           "(context.py plan, force_no_diff); run the changes first", pl->env ? pl->env : "prod",
                           pl->removed.n ? pl->removed.v[0] : p->models[pl->items[k].m].name,
                           pl->removed.n ? "removed" : reason_name(pl->items[k].reason));
    bool *chosen = xcalloc(p->n ? p->n : 1, sizeof *chosen);
    int rc = 0;
    for (size_t s = 0; s < o->restate.n && rc == 0; s++) rc = select_one(p, o->restate.v[s], chosen, err);
    bool any = false;
    for (size_t i = 0; i < p->n; i++) any = any || chosen[i];
    if (rc == 0 && !any) /* context.py plan */
        rc = mt_errf(err, "Selector did not return any models. Please check your model selection and try again.");
    /* builder.py: start = self._start or earliest_interval_start, end = self._end or now() */
    int64_t start = INT64_MAX, end = pl->exec_us;
    bool start_date = false, end_date = false;
    if (rc == 0 && o->start) rc = parse_time("--start", o->start, &start, &start_date, err);
    if (rc == 0 && o->end) rc = parse_time("--end", o->end, &end, &end_date, err);
    if (rc == 0 && !o->start)
        for (size_t i = 0; i < p->n; i++)
            if (model_start_at(&p->models[i], pl->exec_us) < start) start = model_start_at(&p->models[i], pl->exec_us);
    if (rc == 0 && start >= end + (end_date ? 86400 * US_PER_SEC : 0))
        rc = mt_errf(err, "--start must be before --end");
    if (rc < 0) {
        free(chosen);
        return -1;
    }
    size_t *item_of = xcalloc(p->n ? p->n : 1, sizeof *item_of);
    for (size_t k = 0; k < pl->n; k++) item_of[pl->items[k].m] = k;
    bool *in = xcalloc(pl->n ? pl->n : 1, sizeof *in);
    int rc_fail = 0;
    for (size_t k = 0; k < pl->n; k++) {
        struct plan_item *it = &pl->items[k];
        const struct model *m = &p->models[it->m];
        struct range w = {INT64_MAX, INT64_MIN};
        bool restating_parent = false;
        for (size_t q = 0; q < p->n_parents[it->m]; q++) {
            size_t pk = item_of[p->parents[it->m][q]];
            if (!in[pk]) continue;
            restating_parent = true;
            if (!incremental(&p->models[pl->items[pk].m])) continue;
            if (pl->items[pk].clear.s < w.s) w.s = pl->items[pk].clear.s;
            if (pl->items[pk].clear.e > w.e) w.e = pl->items[pk].clear.e;
        }
        if (!restating_parent && !chosen[it->m]) continue;
        if (pl->env && it->cur_shared) {
            fprintf(stderr, "warning: Cannot restate model '%s' because the current version is used in production. "
                    "Run the restatement against the production environment instead to restate this model.\n", m->name);
            continue;
        }
        if (!pl->env && m->disable_restatement) {
            fprintf(stderr, "warning: Cannot restate model '%s'. Restatement is disabled for this model to prevent "
                    "possible data loss. If you want to restate this model, change the model's `disable_restatement` "
                    "setting to `false`.\n", m->name);
            continue;
        }
        if (!incremental(m) && m->kind != KIND_FULL && m->kind != KIND_VIEW && m->kind != KIND_SEED) {
            /* INCREMENTAL_BY_PARTITION / _UNMANAGED and SCD kinds with disable_restatement false:
             * SQLMesh restates their whole history (kind.py full_history_restatement_only) by
             * rebuilding the table, which would lose an SCD model's history or an unmanaged
             * model's appended rows; materia refuses rather than guess */
            rc_fail = mt_errf(err, "restating %s (%s) is not supported by materia: only INCREMENTAL_BY_TIME_RANGE, "
                              "INCREMENTAL_BY_UNIQUE_KEY, FULL and VIEW models are restated", m->name,
                              model_kind_name(m->kind));
            break;
        }
        if (m->kind == KIND_SEED) {
            log_info("transform: skipping restatement for model '%s' (a seed)", m->name);
            continue;
        }
        bool self_ref = p->self_ref && p->self_ref[it->m]; /* depends_on_past */
        struct range own = inclusive_exclusive(m, start, self_ref ? pl->exec_us : end, self_ref ? false : end_date);
        bool full_history = m->kind == KIND_FULL || m->kind == KIND_VIEW || m->kind == KIND_INCR_KEY;
        if (full_history && it->cur && it->cur->done.n) own.s = cron_floor(m->unit, it->cur->done.v[0].s);
        if (own.s < w.s) w.s = own.s;
        if (own.e > w.e) w.e = own.e;
        /* a range narrower than the model's interval unit covers the whole interval */
        int64_t fs = cron_floor(m->unit, w.s), fe = cron_floor(m->unit, w.e);
        if (fe < w.e) {
            w.s = fs;
            w.e = cron_next(m->unit, fe);
        }
        in[k] = true;
        it->clear = w;
    }
    if (rc_fail < 0) {
        free(in);
        free(item_of);
        free(chosen);
        return -1;
    }
    /* what runs: the restated models and their upstream (builder.py _build_models_to_backfill) */
    bool *keep = xcalloc(p->n ? p->n : 1, sizeof *keep);
    for (size_t k = pl->n; k-- > 0;) {
        size_t i = pl->items[k].m;
        if (in[k]) keep[i] = true;
        if (keep[i])
            for (size_t q = 0; q < p->n_parents[i]; q++) keep[p->parents[i][q]] = true;
    }
    for (size_t k = 0; k < pl->n; k++) {
        struct plan_item *it = &pl->items[k];
        const struct model *m = &p->models[it->m];
        if (in[k]) {
            it->restated = true;
            it->reason = R_RESTATED;
            if (!it->run) pl->n_run++;
            it->run = it->data_changed = true;
            if (incremental(m)) {
                struct ranges left = {0};
                if (it->cur) ranges_minus(&it->cur->done, it->clear.s, it->clear.e, &left);
                ranges_free(&it->todo);
                schedule_missing(m, &left, pl->exec_us, false, &it->todo);
                ranges_clip(&it->todo, it->clear.s, it->clear.e); /* the plan's range only */
                it->recreate = left.n == 0; /* SQLMesh's is_first_insert: no interval left */
                ranges_free(&left);
            }
        } else if (keep[it->m] && it->run && it->reason == R_DUE) {
            /* upstream of a restated model: its missing intervals in the plan's range */
            if (incremental(m)) ranges_clip(&it->todo, start, end + (end_date ? 86400 * US_PER_SEC : 0));
            if (incremental(m) && it->todo.n == 0) {
                it->run = it->data_changed = false;
                it->reason = R_UNCHANGED;
                pl->n_run--;
            }
        } else if (it->run && !it->promote_only) {
            /* materia's own triggers (input files, a parent's refresh) are not SQLMesh's
             * missing intervals: a restatement plan leaves them to the next run */
            it->run = it->data_changed = false;
            it->reason = R_UNCHANGED;
            ranges_free(&it->todo);
            pl->n_run--;
        }
    }
    free(keep);
    free(in);
    free(item_of);
    free(chosen);
    return 0;
}

int restate_clear(const struct plan *pl, duckdb_connection con, struct mt_err *err)
{
    strbuf sql, w;
    sb_init(&sql);
    sb_init(&w);
    for (size_t k = 0; k < pl->n; k++) {
        const struct plan_item *it = &pl->items[k];
        const struct model *m = &pl->proj.models[it->m];
        if (!it->restated || !incremental(m)) continue;
        sb_reset(&w);
        sb_append(&w, "model = ");
        db_quote_literal(&w, m->name);
        if (pl->env) sb_appendf(&w, " AND fingerprint = '%s'", it->fp); /* else every version: restate_all_snapshots */
        char s[32], e[32];
        time_fmt_ts(it->clear.s, s);
        time_fmt_ts(it->clear.e, e);
        /* the parts of an interval row outside [s, e) stay; the row itself goes */
        sb_appendf(&sql, "INSERT INTO _materia.intervals SELECT model, fingerprint, start_ts, TIMESTAMP '%s', run_id, "
                   "NULL, processed_at FROM _materia.intervals WHERE %s AND start_ts < TIMESTAMP '%s' AND end_ts > "
                   "TIMESTAMP '%s';\n", s, w.buf, s, s);
        sb_appendf(&sql, "INSERT INTO _materia.intervals SELECT model, fingerprint, TIMESTAMP '%s', end_ts, run_id, "
                   "NULL, processed_at FROM _materia.intervals WHERE %s AND start_ts < TIMESTAMP '%s' AND end_ts > "
                   "TIMESTAMP '%s';\n", e, w.buf, e, e);
        sb_appendf(&sql, "DELETE FROM _materia.intervals WHERE %s AND start_ts < TIMESTAMP '%s' AND end_ts > "
                   "TIMESTAMP '%s';\n", w.buf, e, s);
    }
    int r = sql.len ? db_exec(con, sql.buf, err) : 0;
    sb_free(&sql);
    sb_free(&w);
    return r;
}
