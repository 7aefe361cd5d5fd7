/* supervise_cmd.c — `materia supervise`: the long-running loop systemd keeps alive.
 *
 * Holds an flock on SUPERVISE_LOCK for its whole life (a second supervisor exits 1 at
 * once), runs the `all` pipeline at start when serving is missing and then daily at
 * SUPERVISE_AT (UTC HH:MM), retrying a failed run with exponential backoff. `all` extracts
 * every source EXTRACT_SOURCES names (PSD and COT by default) before transform and
 * export; a run where one source failed is a failed run (the other sources' data is
 * already served), so it is retried like any other — a retry re-asks the failed source
 * and finds the others unchanged. Logs go to
 * stdout, one line per step with a level, for journald. SIGTERM/SIGINT set
 * pipeline_stop_requested: a running step is finished, the next one is not started, and
 * the process exits 0 — so systemd's stop never leaves a partial file.
 *
 * Alerts (pipeline/webhook.h, ALERT_WEBHOOK_URL): a failed run (each attempt, saying
 * whether a retry follows), the first good run after a failure (recovery), each release a
 * run landed, and a published snapshot whose CDN purge failed. They are queued to a sender
 * thread, so a slow or hanging receiver never delays the next run; at shutdown pending
 * posts get WEBHOOK_STOP_GRACE_MS, then are dropped (logged), so SIGTERM still exits.
 *
 * Test knobs: --once (one run now, then exit), --interval-seconds N (run every N seconds
 * instead of daily), --pipeline NAME, --retries N, --backoff-seconds N, --at HH:MM. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "util/err.h"
#include "pipeline/pipeline.h"
#include "pipeline/schedule.h"
#include "pipeline/webhook.h"
#include "serving/cdn_purge.h"
#include "serving/publish.h"
#include "util/cli.h"
#include "util/common.h"
#include "util/config.h"
#include "util/fsutil.h"
#include "util/log.h"

static const char usage[] =
    "usage: materia supervise [--once] [--interval-seconds N] [--at HH:MM] [--pipeline NAME]\n"
    "                         [--retries N] [--backoff-seconds N]\n\n"
    "Runs the `all` pipeline (extract every source in EXTRACT_SOURCES, transform, export)\n"
    "daily at SUPERVISE_AT (UTC, HH:MM), and at start when the serving file is missing.\n"
    "Holds an flock on SUPERVISE_LOCK (a second supervisor exits 1). A failed run (one\n"
    "source failing is one) is retried with exponential backoff. Logs to stdout.\n"
    "SIGTERM/SIGINT finish the current step and exit 0.\n\n"
    "  --once                run the pipeline once now (with retries), then exit\n"
    "  --interval-seconds N  run every N seconds instead of daily (tests, demos)\n"
    "  --at HH:MM            daily UTC time (default SUPERVISE_AT)\n"
    "  --pipeline NAME       pipeline to run (default all)\n"
    "  --retries N           retries after a failed run (default 3)\n"
    "  --backoff-seconds N   first retry delay, doubled each time (default 60)\n";

struct supervise_opts {
    bool once;
    long interval;
    int at_min;  /* minutes after 00:00 UTC */
    const char *pipeline;
    long retries;
    long backoff;
};

static bool parse_long(const char *s, long min, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min) return false;
    *out = v;
    return true;
}

/* Sleeps up to seconds, returning early when a stop is requested. */
static void sleep_interruptible(long seconds)
{
    time_t until = time(NULL) + seconds;
    while (!pipeline_stop_requested && time(NULL) < until) {
        struct timespec ts = {1, 0};
        nanosleep(&ts, NULL);
    }
}

static bool last_run_failed; /* for the recovery alert: the previous run of this process failed */

/* The alerts one finished run calls for (see the file comment). retry_in: seconds until the
 * retry of a failed run, or -1 when none follows. */
static void alert_after_run(const struct supervise_opts *o, int rc, long attempt, long retry_in)
{
    const struct webhook_run_notes *n = webhook_notes();
    const char *run = n->run_id[0] ? n->run_id : "(not recorded)";
    for (int i = 0; i < n->n_landed; i++)
        webhook_post(WEBHOOK_RELEASE, "materia: new release landed", "%s: %s (%lld rows) landed by run %s; %s%s",
                     n->landed[i].source, n->landed[i].path, n->landed[i].rows, run,
                     n->snapshot_id[0] ? "served from snapshot " : "not served yet (the run did not publish)",
                     n->snapshot_id);
    if (rc == PIPELINE_STOPPED) return;
    if (rc == MT_EXIT_FAIL) {
        char next[96];
        if (retry_in >= 0) snprintf(next, sizeof next, "retry %ld of %ld in %lds", attempt + 1, o->retries, retry_in);
        else snprintf(next, sizeof next, "no retry left: waiting for the next scheduled run");
        webhook_post(WEBHOOK_FAILURE, "materia: pipeline failed", "pipeline %s, run %s (attempt %ld): %s; %s",
                     o->pipeline, run, attempt + 1, n->message[0] ? n->message : "see the supervisor's log", next);
        last_run_failed = true;
        return;
    }
    if (rc == CDN_PURGE_EXIT)
        webhook_post(WEBHOOK_PURGE_FAILED, "materia: CDN purge failed", "pipeline %s, run %s: %s", o->pipeline, run,
                     n->message);
    if (last_run_failed)
        webhook_post(WEBHOOK_RECOVERY, "materia: pipeline recovered", "pipeline %s, run %s: %s after a failed run",
                     o->pipeline, run, rc == MT_EXIT_NOTHING ? "nothing to do" : "ok");
    last_run_failed = false;
}

/* One scheduled run with retries; returns the last pipeline status. */
static int run_with_retries(const struct supervise_opts *o)
{
    int rc = MT_EXIT_FAIL;
    for (long attempt = 0; attempt <= o->retries; attempt++) {
        webhook_notes_clear();
        rc = pipeline_run(&g_config, o->pipeline);
        bool retry = rc == MT_EXIT_FAIL && !pipeline_stop_requested && attempt < o->retries;
        alert_after_run(o, rc, attempt, retry ? schedule_backoff(o->backoff, attempt) : -1);
        if (rc != MT_EXIT_FAIL || pipeline_stop_requested) break;
        if (attempt == o->retries) {
            log_error("supervise: pipeline %s failed %ld times; waiting for the next scheduled run",
                      o->pipeline, attempt + 1);
            break;
        }
        long delay = schedule_backoff(o->backoff, attempt);
        log_warn("supervise: pipeline %s failed; retry %ld of %ld in %lds", o->pipeline, attempt + 1,
                 o->retries, delay);
        sleep_interruptible(delay);
        if (pipeline_stop_requested) break;
    }
    return rc;
}

static int supervise_loop(const struct supervise_opts *o)
{
    const char *serving = g_config.s.serving_duckdb_path;
    if (o->once) {
        int rc = run_with_retries(o);
        return rc == MT_EXIT_FAIL && !pipeline_stop_requested ? MT_EXIT_FAIL : MT_EXIT_OK;
    }
    if (!fs_exists(serving)) {
        log_info("supervise: %s is missing, running %s now", serving, o->pipeline);
        run_with_retries(o);
    }
    while (!pipeline_stop_requested) {
        long wait = o->interval > 0 ? o->interval : schedule_seconds_until(o->at_min, time(NULL));
        log_info("supervise: next %s run in %lds", o->pipeline, wait);
        sleep_interruptible(wait);
        if (pipeline_stop_requested) break;
        run_with_retries(o);
    }
    return MT_EXIT_OK;
}

int cmd_supervise(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return cli_help(usage);
    struct supervise_opts o = {.once = false, .interval = 0, .pipeline = "all", .retries = 3, .backoff = 60};
    const char *at = g_config.s.supervise_at;
    static const struct option longopts[] = {
        {"once", no_argument, NULL, 'o'},           {"interval-seconds", required_argument, NULL, 'i'},
        {"at", required_argument, NULL, 'a'},       {"pipeline", required_argument, NULL, 'p'},
        {"retries", required_argument, NULL, 'r'},  {"backoff-seconds", required_argument, NULL, 'b'},
        {NULL, 0, NULL, 0},
    };
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': o.once = true; break;
        case 'a': at = optarg; break;
        case 'p': o.pipeline = optarg; break;
        case 'i':
            if (!parse_long(optarg, 1, &o.interval))
                return cli_usage_error(usage, "--interval-seconds needs a positive integer, not '%s'", optarg);
            break;
        case 'r':
            if (!parse_long(optarg, 0, &o.retries))
                return cli_usage_error(usage, "--retries needs an integer >= 0, not '%s'", optarg);
            break;
        case 'b':
            if (!parse_long(optarg, 0, &o.backoff))
                return cli_usage_error(usage, "--backoff-seconds needs an integer >= 0, not '%s'", optarg);
            break;
        default:
            return cli_getopt_error(usage, "supervise", c, argv);
        }
    }
    if (optind < argc) return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
    if (schedule_parse_hhmm(at, &o.at_min) < 0)
        return cli_usage_error(usage, "SUPERVISE_AT/--at must be HH:MM (UTC), not '%s'", at ? at : "");
    if (!pipeline_known(o.pipeline)) return cli_usage_error(usage, "unknown pipeline '%s'", o.pipeline);

    log_set_fd(STDOUT_FILENO);
    const char *lock_path = g_config.s.supervise_lock;
    struct mt_err err = MT_ERR_INIT;
    char *lock_dir = fs_dirname(lock_path);
    int mk = fs_mkdir_p(lock_dir, &err);
    free(lock_dir);
    int lock = mk < 0 ? -1 : fs_lock_acquire(lock_path, "supervisor", &err);
    if (lock < 0) {
        log_error("supervise: cannot start: %s", err.msg);
        cli_error("supervise: %s", err.msg);
        return MT_EXIT_FAIL;
    }
    if (pipeline_install_stop_handler() < 0) {
        mt_errf(&err, "cannot install the SIGTERM/SIGINT handler: %s", strerror(errno));
        log_error("supervise: cannot start: %s", err.msg);
        cli_error("supervise: %s", err.msg);
        fs_lock_release(lock);
        return MT_EXIT_FAIL;
    }
    if (cdn_purge_check(&g_config, &err) < 0 ||
        (publish_enabled(&g_config.s) && publish_check(&g_config.s, &err) < 0) || webhook_start(&g_config, &err) < 0) {
        log_error("supervise: cannot start: %s", err.msg);
        cli_error("supervise: %s", err.msg);
        fs_lock_release(lock);
        return MT_EXIT_FAIL;
    }
    log_info("supervise: started (pid %ld, pipeline %s, %s, lock %s, alerts %s)", (long)getpid(), o.pipeline,
             o.once ? "once" : o.interval > 0 ? "fixed interval" : at, lock_path,
             webhook_enabled() ? "on" : "off (ALERT_WEBHOOK_URL is empty)");
    int rc = supervise_loop(&o);
    webhook_stop();
    log_info("supervise: %s, exiting", pipeline_stop_requested ? "stopped by signal" : "done");
    fs_lock_release(lock);
    return rc;
}
