/* runlog.h — the run log: sole owner of the lakehouse tables _materia.runs and
 * _materia.run_models (docs/ARCHITECTURE.md §2). No other file writes SQL on them.
 *
 * Why in src/util and not in a stage: the run log is a contract between three stages —
 * transform writes one row per run, the pipeline one per pipeline run, and serving's export
 * reads the newest transform run before it publishes. ARCHITECTURE's rule is that stages
 * meet only through its contracts and entry points; util is the one folder every stage may
 * include, so owning the tables here keeps pipeline and serving from including transform's
 * internals (and transform from including theirs).
 *
 * Rows: runs(run_id PK, kind, started_at, ended_at, status, message), times TIMESTAMP
 * (DuckDB's now() cast, or a UTC literal given by the caller inside a transaction, where
 * now() would be the transaction's start). A run begins 'running' and ends with one of the
 * other statuses; a row still 'running' when a later run of the same kind begins was
 * killed — the lakehouse is held by one process, so nothing else can be running — and is
 * marked failed with ONE statement (runlog_begin, runlog_record): ended_at = now() and the
 * message "interrupted (found running at a later run's start)".
 *
 * Functions returning int give 0 or -1 with the reason in err. The *_sql variants append
 * statements to a caller's batch, for callers that must commit them in their transaction. */
#ifndef MATERIA_RUNLOG_H
#define MATERIA_RUNLOG_H

#include <duckdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"
#include "util/err.h"

/* What state.c's existence probe names ("SELECT 1 FROM " RUNLOG_TABLES ", ..."). */
#define RUNLOG_TABLES "_materia.runs, _materia.run_models"

enum runlog_kind { RUNLOG_TRANSFORM, RUNLOG_PIPELINE };

/* Both tables' statuses: runs use running .. audit_failed; run_models use ok, failed,
 * audit_failed and rolled_back. RUNLOG_UNKNOWN is only ever read back (a value this
 * version does not write), never written. */
enum runlog_status {
    RUNLOG_RUNNING,
    RUNLOG_OK,
    RUNLOG_NOTHING_TO_DO,
    RUNLOG_FAILED,
    RUNLOG_AUDIT_FAILED,
    RUNLOG_ROLLED_BACK,
    RUNLOG_UNKNOWN,
};

const char *runlog_kind_name(enum runlog_kind kind);
const char *runlog_status_name(enum runlog_status st);
enum runlog_status runlog_status_parse(const char *name); /* NULL or unknown: RUNLOG_UNKNOWN */

/* The CREATE TABLE IF NOT EXISTS statements of both tables (schema _materia must exist),
 * for state_init's one-transaction DDL. */
const char *runlog_ddl(void);

/* Marks this kind's stale 'running' rows failed, then inserts run_id as 'running' with
 * started_at = now() and message (may be NULL). One statement. */
int runlog_begin(duckdb_connection con, enum runlog_kind kind, const char *run_id,
                 const char *message, struct mt_err *err);
/* The same for a run that is over as it is recorded (transform's no-op run):
 * started_at = ended_at = now(), status st. */
int runlog_record(duckdb_connection con, enum runlog_kind kind, const char *run_id,
                  enum runlog_status st, const char *message, struct mt_err *err);

/* One run_models row appended to `rows` (a VALUES list the runlog_end* calls store):
 * secs with microseconds, n < 0 stored as NULL. */
void runlog_model_row(strbuf *rows, const char *run_id, const char *model, const char *fingerprint,
                      const char *action, enum runlog_status st, double secs, int64_t n);

/* Appends the statements ending run_id: its model rows first when `models` is non-empty
 * (with rolled_back, rows that say 'ok' are stored as 'rolled_back': the run's transaction
 * took their work with it), then status, message (NULL allowed) and ended_at — the UTC
 * literal ended_at ("YYYY-MM-DD HH:MM:SS[.ffffff]") or, when NULL, now(). Each statement
 * ends with ";\n". */
void runlog_end_sql(strbuf *sql, const char *run_id, enum runlog_status st, const char *message,
                    const strbuf *models, bool rolled_back, const char *ended_at);
/* Executes runlog_end_sql(…, ended_at = NULL). */
int runlog_end(duckdb_connection con, const char *run_id, enum runlog_status st,
               const char *message, const strbuf *models, bool rolled_back,
               struct mt_err *err);

/* The newest run of kind (by started_at, then run_id). table_exists false: no run log at
 * all; found false: none of that kind. run_id and status_name (raw, may be NULL) are
 * malloc'd; runlog_last_free releases them. */
struct runlog_last {
    bool table_exists, found;
    char *run_id;
    char *status_name;
    enum runlog_status status;
};
int runlog_last(duckdb_connection con, enum runlog_kind kind, struct runlog_last *out,
                struct mt_err *err);
void runlog_last_free(struct runlog_last *r);

/* How many runs of kind ended 'ok' and started after run_id did (every 'ok' run when
 * run_id is not in the log). */
int runlog_count_ok_after(duckdb_connection con, enum runlog_kind kind, const char *run_id,
                          int64_t *n, struct mt_err *err);

#endif
