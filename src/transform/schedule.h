/* schedule.h — a model's scheduling properties with SQLMesh's semantics (schedule.c). */
#ifndef MATERIA_TRANSFORM_SCHEDULE_H
#define MATERIA_TRANSFORM_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

#include "transform/model.h"
#include "util/err.h"

struct ranges;

/* SQLMesh's to_datetime (sqlmesh/utils/date.py) for a string: epoch milliseconds, YYYYMMDD,
 * YYYY-MM-DD, timestamps with an optional zone (Z, +05:00), and the relative forms
 * "now", "today", "yesterday", "tomorrow", "N unit[s] [N unit[s] ...] ago", "in N unit[s]"
 * taken against now_us floored to the minute (date.py now()). *is_date as date.py is_date.
 * -1 when the text is none of these. */
int timelike_parse(const char *s, int64_t now_us, int64_t *us, bool *is_date);

/* After the properties (and config.yaml's defaults) are known: applies cron_tz to the cron,
 * derives the interval unit from the cron when none is written (IntervalUnit.from_cron)
 * and checks it against the cron as node.py _node_root_validator does. */
int model_schedule_finish(struct model *m, struct mt_err *err);

/* start/end resolved at exec_us ("1 week ago" moves with it); with no start, the inferred
 * one (start_inferred: 0 before a plan sets it); INT64_MAX with no end.
 * *end_is_date tells whether end is a date (its whole day is included). */
int64_t model_start_at(const struct model *m, int64_t exec_us);
int64_t model_end_at(const struct model *m, int64_t exec_us, bool *end_is_date);
/* Sets start_inferred of every model with no start, as SQLMesh infers it at exec_us
 * (parents' earliest start, else the cron's tick before its floor). Needs dag_build's
 * parents and order. */
void schedule_infer_starts(struct project *p, int64_t exec_us);
/* node.py _date_validator and _node_root_validator: start and end time-like, end needs a
 * start, start not after end. what names where start came from for the message. */
int model_schedule_check(const struct model *m, int64_t exec_us, const char *start_where, struct mt_err *err);

/* The intervals a run at exec_us processes: Snapshot.missing_intervals as `sqlmesh run`
 * calls it (start = the model's start, end = execution time capped at the model's end,
 * snapshot/definition.py) with compute_missing_intervals' lookback and end. with_partial
 * adds materia's current partial interval (up to exec_us, capped at the model's end) when
 * the model's inputs or parents changed or it is a new version. */
void schedule_missing(const struct model *m, const struct ranges *done, int64_t exec_us, bool with_partial,
                      struct ranges *out);
/* A FULL model is due when its last run is before the cron's last tick (and before end). */
bool schedule_full_due(const struct model *m, int64_t last_run_us, int64_t exec_us);

#endif
