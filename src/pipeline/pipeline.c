/* pipeline.c — see pipeline.h. Steps and the decision to export.
 *
 * `all` is extract -> transform -> export_serving. The extract step runs every source
 * EXTRACT_SOURCES selects (extract/source.h), one after the other, each logged on its own
 * line ("extract <source>: ..."), then one summary line for the step. A source that fails
 * does not stop the others, nor transform and export: the other sources' data is still
 * transformed and served, and the run then ends failed naming the source(s). Only when
 * every source failed does the step fail and stop the run (nothing new can follow). Export runs only when extract landed a
 * release, transform rebuilt a model, or there is no serving file yet; otherwise it is
 * skipped and, if no step did anything, the pipeline reports "nothing to do" (exit 3).
 * The lakehouse connection opened here is the only one: transform writes through it and
 * export reads through it, so the two never race for DuckDB's file lock. After a
 * successful export the CDN is purged (serving/cdn_purge.h; a failed purge leaves the run
 * ok and its exit status CDN_PURGE_EXIT), and what the run landed and published is noted
 * for the supervisor's alerts (pipeline/webhook.h; no-ops outside the supervisor). */
#include "pipeline/pipeline.h"
#include "util/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/hash.h"

#include "extract/extract.h"
#include "extract/source.h"
#include "pipeline/webhook.h"
#include "serving/cdn_purge.h"
#include "serving/export.h"
#include "serving/publish.h"
#include "transform/transform.h"
#include "util/clock.h"
#include "util/common.h"
#include "util/db.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/runlog.h"
#include "util/strbuf.h"
#include "util/testhook.h"

volatile sig_atomic_t pipeline_stop_requested = 0;

enum step { STEP_EXTRACT, STEP_TRANSFORM, STEP_EXPORT };
static const char *const step_names[] = {"extract", "transform", "export_serving"};

static const struct {
    const char *name;
    enum step steps[3];
    int n;
    const char *summary;
} pipelines[] = {
    {"extract", {STEP_EXTRACT}, 1, "land a new release of every source (EXTRACT_SOURCES), if any"},
    {"transform", {STEP_TRANSFORM}, 1, "run the SQL models into the lakehouse"},
    {"export_serving", {STEP_EXPORT}, 1, "publish serving.duckdb from the lakehouse"},
    {"all", {STEP_EXTRACT, STEP_TRANSFORM, STEP_EXPORT}, 3,
     "extract, transform, export_serving (export only when something changed)"},
};

static void on_stop_signal(int sig)
{
    (void)sig;
    pipeline_stop_requested = 1;
}

int pipeline_install_stop_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    /* SA_RESTART: a SIGTERM arriving mid-step must not turn a read, write or fsync inside
     * DuckDB, libcurl or fsutil into an EINTR failure (the step is to be finished, not
     * broken). Sleeps still end early: nanosleep(2) is never restarted after a handler
     * (signal(7)), and the supervisor's sleep checks pipeline_stop_requested each second. */
    sa.sa_flags = SA_RESTART;
    if (testhook_fail("sigaction")) {
        errno = EINVAL;
        return -1;
    }
    if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0) return -1;
    return 0;
}

bool pipeline_known(const char *name)
{
    for (size_t i = 0; i < MT_ARRAY_LEN(pipelines); i++)
        if (!strcmp(pipelines[i].name, name)) return true;
    return false;
}

void pipeline_list(void)
{
    for (size_t i = 0; i < MT_ARRAY_LEN(pipelines); i++) {
        printf("%-16s", pipelines[i].name);
        for (int s = 0; s < pipelines[i].n; s++)
            printf("%s%s", s ? " -> " : "", step_names[pipelines[i].steps[s]]);
        printf("\t%s\n", pipelines[i].summary);
    }
}

/* Records the run as 'running' in the run log (created with the other state tables when
 * missing). A pipeline row still 'running' was killed: runlog_begin marks it failed first,
 * exactly as transform's own rows are. */
static int runs_begin(duckdb_connection con, const char *run_id, const char *name, struct mt_err *err)
{
    if (state_init(con, err) < 0) return -1;
    return runlog_begin(con, RUNLOG_PIPELINE, run_id, name, err);
}

static void runs_end(duckdb_connection con, const char *run_id, enum runlog_status status, const char *message)
{
    struct mt_err err = MT_ERR_INIT;
    if (runlog_end(con, run_id, status, message, NULL, false, &err) < 0)
        log_warn("pipeline: cannot record the end of run %s in the run log: %s", run_id, err.msg);
}

struct run_state {
    bool changed;    /* a release landed or a model was rebuilt */
    bool did_work;   /* any step did something */
    bool source_failed; /* a source failed while others did not: the run ends failed */
    char note[MT_ERR_LEN]; /* which source(s) failed, and why (the run log's message) */
    bool purge_failed;       /* published, but the CDN purge failed (cdn_purge.h) */
    struct mt_err purge_err;
};

/* The extract step: every selected source (see the file comment). 0, or -1 with err when
 * every source failed. */
static int run_extract(const struct config *cfg, const char *pipeline, struct run_state *st,
                       double t0, struct mt_err *err)
{
    size_t nsrc = 0, nfailed = 0, landed = 0;
    strbuf failed, kinds;
    sb_init(&failed);
    sb_init(&kinds);
    struct mt_err first = MT_ERR_INIT;
    const char *one_path = NULL;
    int64_t one_rows = 0, one_bytes = 0;
    char *one_path_owned = NULL;
    for (size_t i = 0; i < extract_sources_n; i++) {
        const struct extract_source *src = extract_sources[i];
        if (!source_enabled(cfg, src)) continue;
        nsrc++;
        double s0 = clock_mono_ms() / 1e3;
        struct extract_report rep;
        struct mt_err e = MT_ERR_INIT;
        int rc = extract_source_run(cfg, src, &rep, &e);
        for (size_t k = 0; k < rep.n; k++) {
            const struct extract_url_result *u = &rep.v[k];
            char year[16] = "";
            if (u->year) snprintf(year, sizeof year, " %04d", u->year);
            if (u->out.landed) {
                log_info("pipeline %s: extract %s%s: landed %s (%lld rows, %lld bytes)", pipeline, src->name,
                         year, u->out.path, (long long)u->out.rows, (long long)u->out.bytes);
                free(one_path_owned);
                one_path_owned = xstrdup(u->out.path);
                one_rows = u->out.rows;
                one_bytes = u->out.bytes;
                webhook_note_landed(src->name, u->out.path, (long long)u->out.rows);
            } else if (u->failed) {
                log_error("pipeline %s: extract %s%s: failed: %s", pipeline, src->name, year, u->error);
            }
        }
        double dt = clock_mono_ms() / 1e3 - s0;
        if (rc < 0) {
            log_error("pipeline %s: extract %s: failed (%zu of %zu URLs) in %.1fs: %s", pipeline, src->name,
                      rep.failed ? rep.failed : 1, rep.n ? rep.n : 1, dt, e.msg);
            sb_appendf(&failed, "%s%s", nfailed ? ", " : "", src->name);
            if (nfailed++ == 0) first = e;
        } else if (rep.landed) {
            log_info("pipeline %s: extract %s: ok, landed %zu of %zu in %.1fs", pipeline, src->name, rep.landed,
                     rep.n, dt);
        } else {
            log_info("pipeline %s: extract %s: nothing to do, unchanged (%.1fs)", pipeline, src->name, dt);
        }
        if (rep.landed) sb_appendf(&kinds, "%s%s %zu", kinds.len ? ", " : "", src->name, rep.landed);
        landed += rep.landed;
        extract_report_free(&rep);
    }
    one_path = one_path_owned;
    double dt = clock_mono_ms() / 1e3 - t0;
    int rc = 0;
    if (landed) st->changed = st->did_work = true;
    if (nsrc == 0) {
        mt_errf(err, "EXTRACT_SOURCES selects no source");
        rc = -1;
    } else if (nfailed == nsrc) {
        /* every source failed: the step fails as it always did (one source: its message) */
        *err = first;
        if (nsrc > 1) mt_err_prefix(err, "every source failed (%s), first", failed.buf);
        rc = -1;
    } else {
        if (nfailed) {
            st->source_failed = true;
            snprintf(st->note, sizeof st->note, "source %.60s failed: %.900s", failed.buf, first.msg);
            log_error("pipeline %s: step extract: failed for %s; the other sources go on to transform and "
                      "export (%.1fs)", pipeline, failed.buf, dt);
        } else if (landed == 1) {
            log_info("pipeline %s: step extract: ok, landed %s (%lld rows, %lld bytes) in %.1fs", pipeline,
                     one_path ? one_path : "?", (long long)one_rows, (long long)one_bytes, dt);
        } else if (landed) {
            log_info("pipeline %s: step extract: ok, landed %zu releases (%s) in %.1fs", pipeline, landed,
                     kinds.buf, dt);
        } else {
            log_info("pipeline %s: step extract: nothing to do, %s unchanged (%.1fs)", pipeline,
                     nsrc == 1 ? "release" : "every source", dt);
        }
    }
    free(one_path_owned);
    sb_free(&failed);
    sb_free(&kinds);
    return rc;
}

/* One step; returns 0 or -1 (reason in err). Logs its summary line. */
static int run_step(const struct config *cfg, const char *pipeline, enum step step, duckdb_connection lake,
                    struct run_state *st, struct mt_err *err)
{
    double t0 = clock_mono_ms() / 1e3;
    const char *name = step_names[step];
    int rc = 0;
    if (step == STEP_EXTRACT) {
        rc = run_extract(cfg, pipeline, st, t0, err);
    } else if (step == STEP_TRANSFORM) {
        struct transform_outcome to;
        rc = transform_run(cfg, lake, &to, err);
        if (rc == 0 && to.models_rebuilt > 0) {
            st->changed = st->did_work = true;
            log_info("pipeline %s: step %s: ok, run %s rebuilt %d of %d models in %.1fs", pipeline, name,
                     to.run_id, to.models_rebuilt, to.models_total, clock_mono_ms() / 1e3 - t0);
        } else if (rc == 0) {
            log_info("pipeline %s: step %s: nothing to do, %d models up to date (%.1fs)", pipeline, name,
                     to.models_total, clock_mono_ms() / 1e3 - t0);
        } else if (err->code == MT_ERR_AUDIT) {
            log_error("pipeline %s: step %s: audit failed", pipeline, name);
        }
    } else {
        bool want = strcmp(pipeline, "all") != 0 || st->changed || serving_export_needed(cfg, lake);
        bool published = true;
        if (!want && publish_enabled(&cfg->s) && publish_is_current(&cfg->s, &published, err) < 0) {
            log_error("pipeline %s: step %s: cannot read the bucket's manifest: %s", pipeline, name, err->msg);
            return -1;
        }
        if (!want && !published) { /* the last publish failed: publish the live snapshot again */
            struct publish_result pr;
            if (publish_snapshot(&cfg->s, &pr, err) < 0) {
                log_error("pipeline %s: step %s: failed: %s", pipeline, name, err->msg);
                return -1;
            }
            st->did_work = true;
            log_info("pipeline %s: step %s: ok, the bucket was behind: published snapshot %s", pipeline, name,
                     pr.m.snapshot_id);
            webhook_note_published(pr.m.snapshot_id);
            if (cdn_purge_after_export(cfg, pr.m.snapshot_id, &st->purge_err) < 0) st->purge_failed = true;
            return 0;
        }
        if (!want) {
            log_info("pipeline %s: step %s: skipped, nothing changed and the snapshot is current", pipeline, name);
            return 0;
        }
        struct export_outcome xo;
        rc = serving_export(cfg, lake, &xo, err); /* the publish settings were checked at the run's start */
        if (rc == 0) {
            st->did_work = true;
            log_info("pipeline %s: step %s: ok, published snapshot %s (%d tables, %lld rows) in %.1fs", pipeline,
                     name, xo.snapshot_id, xo.tables, (long long)xo.rows, clock_mono_ms() / 1e3 - t0);
        }
        /* SERVING_PUBLISH_URL: a failed upload fails the step (and the run); the local
         * snapshot stays live and replicas stay on the previous manifest. The CDN is purged
         * after the bucket has the snapshot (replicas pick it up within a poll). */
        struct publish_result pr;
        if (rc == 0 && publish_enabled(&cfg->s) && (rc = publish_snapshot(&cfg->s, &pr, err)) < 0)
            mt_err_prefix(err, "snapshot %s is live locally but was not published", xo.snapshot_id);
        if (rc == 0) webhook_note_published(xo.snapshot_id); /* served, and in the bucket when one is set */
        if (rc == 0 && cdn_purge_after_export(cfg, xo.snapshot_id, &st->purge_err) < 0) st->purge_failed = true;
    }
    if (rc < 0) log_error("pipeline %s: step %s: failed: %s", pipeline, name, err->msg);
    return rc;
}

int pipeline_run(const struct config *cfg, const char *name)
{
    size_t pi = 0;
    while (pi < MT_ARRAY_LEN(pipelines) && strcmp(pipelines[pi].name, name) != 0) pi++;
    if (pi == MT_ARRAY_LEN(pipelines)) {
        log_error("pipeline: unknown pipeline '%s'", name);
        return MT_EXIT_FAIL;
    }
    struct mt_err err = MT_ERR_INIT;
    /* settings that cannot work are refused before any step (the supervisor checks the
     * same at its start) */
    if (cdn_purge_check(cfg, &err) < 0 || (publish_enabled(&cfg->s) && publish_check(&cfg->s, &err) < 0)) {
        log_error("pipeline %s: %s", name, err.msg);
        webhook_note_finished("", err.msg); /* a failure alert says why, not only "see the log" */
        return MT_EXIT_FAIL;
    }
    struct db lake;
    if (db_open_lakehouse(&lake, cfg->s.duckdb_path, &err) < 0) {
        log_error("pipeline %s: cannot open the lakehouse: %s", name, err.msg);
        mt_err_prefix(&err, "cannot open the lakehouse");
        webhook_note_finished("", err.msg);
        return MT_EXIT_FAIL;
    }
    char run_id[ID_LEN];
    id_make(run_id, sizeof run_id, "pipeline", time(NULL));
    if (runs_begin(lake.con, run_id, name, &err) < 0) {
        log_error("pipeline %s: cannot record the run in the run log: %s", name, err.msg);
        mt_err_prefix(&err, "cannot record the run in the run log");
        webhook_note_finished("", err.msg);
        db_close(&lake);
        return MT_EXIT_FAIL;
    }
    log_info("pipeline %s: run %s started", name, run_id);
    struct run_state st;
    memset(&st, 0, sizeof st);
    int rc = MT_EXIT_OK;
    for (int s = 0; s < pipelines[pi].n; s++) {
        enum step step = pipelines[pi].steps[s];
        if (pipeline_stop_requested) {
            log_warn("pipeline %s: stop requested, not starting step %s", name, step_names[step]);
            mt_errf(&err, "stopped by signal before step %s", step_names[step]);
            rc = PIPELINE_STOPPED;
            break;
        }
        if (run_step(cfg, name, step, lake.con, &st, &err) < 0) {
            rc = MT_EXIT_FAIL;
            break;
        }
        char point[64];
        snprintf(point, sizeof point, "after_step_%s", step_names[step]);
        testhook_point(point);
    }
    if (rc == MT_EXIT_OK && !st.did_work) rc = MT_EXIT_NOTHING;
    if ((rc == MT_EXIT_OK || rc == MT_EXIT_NOTHING) && st.source_failed) {
        /* the other sources' data went through; the run still failed, and says which */
        log_error("pipeline %s: %s", name, st.note);
        mt_errf(&err, "%s", st.note);
        rc = MT_EXIT_FAIL;
    }
    if (rc == MT_EXIT_OK && st.purge_failed) {
        /* the snapshot is live: the run is ok, its outcome says the CDN was not purged */
        mt_errf(&err, "%s", st.purge_err.msg);
        rc = CDN_PURGE_EXIT;
    }
    enum runlog_status status = rc == MT_EXIT_OK || rc == CDN_PURGE_EXIT ? RUNLOG_OK : rc == MT_EXIT_NOTHING ? RUNLOG_NOTHING_TO_DO
                                                                                  : RUNLOG_FAILED;
    runs_end(lake.con, run_id, status, rc == MT_EXIT_OK || rc == MT_EXIT_NOTHING ? name : err.msg);
    webhook_note_finished(run_id, rc == MT_EXIT_OK || rc == MT_EXIT_NOTHING ? "" : err.msg);
    db_close(&lake);
    log_msg(rc == MT_EXIT_FAIL ? LOG_ERROR : LOG_INFO, "pipeline %s: run %s finished: %s", name, run_id,
            rc == PIPELINE_STOPPED ? "stopped" : runlog_status_name(status));
    return rc;
}
