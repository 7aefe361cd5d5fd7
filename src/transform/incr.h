/* incr.h — comparing an INCREMENTAL_BY_TIME_RANGE model's time column with an
 * interval (time_column.c), and the other incremental-kind helpers of forward_only.c and
 * merge.c. Internal to src/transform. */
#ifndef MATERIA_TRANSFORM_INCR_H
#define MATERIA_TRANSFORM_INCR_H

#include <duckdb.h>
#include <stdint.h>

#include "transform/engine.h"
#include "transform/model.h"
#include "util/err.h"
#include "util/strbuf.h"

/* ---- time_column.c ---- */
enum time_col_kind { TIME_COL_UNKNOWN = 0, TIME_COL_TEMPORAL, TIME_COL_TEXT, TIME_COL_NUMERIC };
/* The kind of m's time column in relation (a table name or "(SELECT ...)"): -1 with err
 * when it cannot be described or has no such column. */
int time_column_detect(duckdb_connection con, const struct model *m, const char *relation, enum time_col_kind *out,
                       struct mt_err *err);
/* Appends the condition selecting [s, e) of m's time column of kind k (no WHERE). */
void time_column_filter(strbuf *sb, const struct model *m, enum time_col_kind k, int64_t s, int64_t e);

/* ---- merge.c ---- */
/* True when an INCREMENTAL_BY_UNIQUE_KEY model needs SQLMesh's MERGE (when_matched,
 * merge_filter or an expression in unique_key) instead of the runner's keyed upsert. */
bool merge_needed(const struct model *m);
/* Merges query (rendered SQL) into table as SQLMesh's EngineAdapter.merge does. The
 * merge_filter is rendered with [s, e) and exec. *rows: rows inserted or updated. */
int merge_into(duckdb_connection con, const struct project *p, size_t mi, const struct config *cfg, const char *table,
               const char *query, int64_t s, int64_t e, int64_t exec, int64_t *rows, struct mt_err *err);

/* ---- forward_only.c ---- */
/* The policy in effect: the one written, else the kind's default (SQLMesh: incremental kinds
 * on_destructive_change ERROR, on_additive_change ALLOW; other kinds ALLOW). */
enum change_policy change_policy_of(const struct model *m, bool destructive);
/* plan.c: item k has a new fingerprint; makes it a forward-only change when SQLMesh would
 * (keeps cur's physical, the missing intervals only). item_of: model index → item index. */
void forward_only_plan(struct plan *pl, size_t k, const size_t *item_of, bool parent_data_changed);
/* A forward-only change with nothing to process: its table is only migrated. */
bool forward_only_migrate_only(const struct model *m, const struct plan_item *it);
/* runner.c: migrates it->physical to query's columns (the on_*_change policies applied; a
 * WARN appended to warnings) and carries the processed intervals to it->fp. */
int forward_only_migrate(duckdb_connection con, const struct plan *pl, const struct plan_item *it, const char *query,
                         strbuf *warnings, struct mt_err *err);
/* The select list inserting query's rows into table: "*", or with on_additive_change
 * ignore the query's columns the table has. */
int forward_only_insert_columns(duckdb_connection con, const struct model *m, const char *table, const char *query,
                                strbuf *out, struct mt_err *err);

#endif
