/* pipeline.c — see pipeline.h. Steps and the decision to export.
 *
 * `all` is extract -> transform -> export_serving. Export runs only when extract landed a
 * release, transform rebuilt a model, or there is no serving file yet; otherwise it is
 * skipped and, if no step did anything, the pipeline reports "nothing to do" (exit 3).
 * The lakehouse connection opened here is the only one: transform writes through it and
 * export reads through it, so the two never race for DuckDB's file lock. */
#include "pipeline/pipeline.h"
#include "util/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/hash.h"

#include "extract/extract.h"
#include "serving/export.h"
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
    {"extract", {STEP_EXTRACT}, 1, "land a new USDA PSD release, if any"},
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
    char note[MT_ERR_LEN];
};

/* One step; returns 0 or -1 (reason in err). Logs its summary line. */
static int run_step(const struct config *cfg, const char *pipeline, enum step step, duckdb_connection lake,
                    struct run_state *st, struct mt_err *err)
{
    double t0 = clock_mono_ms() / 1e3;
    const char *name = step_names[step];
    int rc = 0;
    if (step == STEP_EXTRACT) {
        struct extract_outcome eo;
        rc = extract_psd(cfg, &eo, err);
        if (rc == 0 && eo.landed) {
            st->changed = st->did_work = true;
            log_info("pipeline %s: step %s: ok, landed %s (%lld rows, %lld bytes) in %.1fs", pipeline, name,
                     eo.path ? eo.path : "?", (long long)eo.rows, (long long)eo.bytes, clock_mono_ms() / 1e3 - t0);
        } else if (rc == 0) {
            log_info("pipeline %s: step %s: nothing to do, release unchanged (%.1fs)", pipeline, name,
                     clock_mono_ms() / 1e3 - t0);
        }
        extract_outcome_free(&eo);
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
        if (!want) {
            log_info("pipeline %s: step %s: skipped, nothing changed and the snapshot is current", pipeline, name);
            return 0;
        }
        struct export_outcome xo;
        rc = serving_export(cfg, lake, &xo, err);
        if (rc == 0) {
            st->did_work = true;
            log_info("pipeline %s: step %s: ok, published snapshot %s (%d tables, %lld rows) in %.1fs", pipeline,
                     name, xo.snapshot_id, xo.tables, (long long)xo.rows, clock_mono_ms() / 1e3 - t0);
        }
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
    const char *lake_path = cfg->s.duckdb_path;
    char *lake_dir = fs_dirname(lake_path);
    int mk = fs_mkdir_p(lake_dir, &err);
    free(lake_dir);
    struct db lake;
    if (mk < 0 || db_open(&lake, lake_path, false, 0, &err) < 0) {
        log_error("pipeline %s: cannot open the lakehouse: %s", name, err.msg);
        return MT_EXIT_FAIL;
    }
    char run_id[ID_LEN];
    id_make(run_id, sizeof run_id, "pipeline", time(NULL));
    if (runs_begin(lake.con, run_id, name, &err) < 0) {
        log_error("pipeline %s: cannot record the run in the run log: %s", name, err.msg);
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
    enum runlog_status status = rc == MT_EXIT_OK ? RUNLOG_OK : rc == MT_EXIT_NOTHING ? RUNLOG_NOTHING_TO_DO
                                                                                  : RUNLOG_FAILED;
    runs_end(lake.con, run_id, status, rc == MT_EXIT_OK || rc == MT_EXIT_NOTHING ? name : err.msg);
    db_close(&lake);
    log_msg(rc == MT_EXIT_FAIL ? LOG_ERROR : LOG_INFO, "pipeline %s: run %s finished: %s", name, run_id,
            rc == PIPELINE_STOPPED ? "stopped" : runlog_status_name(status));
    return rc;
}
