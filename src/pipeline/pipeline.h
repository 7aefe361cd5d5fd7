/* pipeline.h — the pipelines (extract, transform, export_serving, all) run in one process.
 *
 * pipeline_run() opens the lakehouse read-write once, records the run in _materia.runs
 * (kind 'pipeline'), runs the pipeline's steps in order through the stages' entry points
 * (docs/ARCHITECTURE.md §4), stops at the first failure, and logs one summary line per
 * step. Between steps it checks pipeline_stop_requested (set by a SIGTERM/SIGINT handler)
 * and stops there: a step in progress is always finished, never cut in half. */
#ifndef MATERIA_PIPELINE_H
#define MATERIA_PIPELINE_H

#include <signal.h>
#include <stdbool.h>

#include "util/config.h"

/* Set to 1 by a signal handler to stop before the next step. */
extern volatile sig_atomic_t pipeline_stop_requested;

/* Pipeline exit statuses: MT_EXIT_OK (did work), MT_EXIT_NOTHING, MT_EXIT_FAIL,
 * CDN_PURGE_EXIT (serving/cdn_purge.h: published and recorded 'ok', but the CDN purge
 * failed), or this one when a stop request ended the run between steps (recorded as
 * 'failed'). */
enum { PIPELINE_STOPPED = 100 };

bool pipeline_known(const char *name);
/* Prints the pipeline names and their steps, one per line. */
void pipeline_list(void);
int pipeline_run(const struct config *cfg, const char *name);
/* Installs the SIGTERM/SIGINT handler that sets pipeline_stop_requested (async-signal-safe:
 * it only stores to a sig_atomic_t). SA_RESTART, so a step's I/O is never cut short by
 * EINTR; nanosleep still returns early on the signal. */
/* Returns 0, or -1 with errno set when the handler cannot be installed: callers then
 * refuse to start (without it SIGTERM would kill a step halfway instead of after it). */
int pipeline_install_stop_handler(void);

#endif
