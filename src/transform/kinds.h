/* kinds.h — the model kinds added after the first five, each in its own file:
 *
 *   kind_partition.c  INCREMENTAL_BY_PARTITION and INCREMENTAL_UNMANAGED (their refresh SQL),
 *                     partitioned_by, and the checks that span several model properties
 *   kind_embedded.c   EMBEDDED: no table, no view; readers get its query inlined
 *   seed_csv.c        SEED csv_settings as DuckDB read_csv options
 *
 * Shared files call into these through the few functions below. */
#ifndef MATERIA_TRANSFORM_KINDS_H
#define MATERIA_TRANSFORM_KINDS_H

#include <stdbool.h>
#include <stdint.h>

#include "transform/model.h"
#include "util/err.h"
#include "util/strbuf.h"

struct render_ctx;
struct _duckdb_connection;

/* ---- kind_partition.c ---- */
/* True for the kinds whose runs process cron intervals (plan.c's todo ranges). */
bool kind_interval_based(enum model_kind k);
/* The checks SQLMesh makes across properties once a model has its defaults (meta.py
 * _root_validator, definition.py validate_definition): partitioned_by required / not allowed,
 * no audits on an EMBEDDED model. 0, or -1 with "file:line: ..." in err. */
int kind_check(const struct model *m, struct mt_err *err);
/* The SQL refreshing an existing INCREMENTAL_BY_PARTITION / INCREMENTAL_UNMANAGED table
 * `physical` with the rows of `query`; its last statement returns the rows written as "Count".
 * false (nothing appended) for any other kind. */
bool kind_refresh_sql(const struct model *m, const char *physical, const char *query, strbuf *sql);
/* The SQL run after kind_refresh_sql's (temp tables dropped), or NULL. */
const char *kind_refresh_cleanup(const struct model *m);
/* Each partitioned_by expression names exactly one column, no column twice (parsed by
 * DuckDB on con): 0, or -1 with SQLMesh's message. */
int kind_partitioned_by_check(const struct model *m, struct _duckdb_connection *con, struct mt_err *err);
/* A changed definition of a live forward-only model: -1 with the refusal in err. */
int kind_forward_only_check(const struct model *m, struct mt_err *err);

/* ---- kind_embedded.c ---- */
/* Replaces every reference of sql (model i's rendered, names_qualify'd query) to an EMBEDDED
 * model by that model's query, rendered with ctx's times, as a subquery; copies sql to out
 * when i reads no EMBEDDED model. 0, or -1 with err. */
int embedded_expand(const struct project *p, size_t i, const struct render_ctx *ctx, const char *sql, strbuf *out,
                    struct mt_err *err);
/* True when model i reads an EMBEDDED model. */
bool embedded_reader(const struct project *p, size_t i);
/* names.c: length of the (dotted, possibly quoted) table name written at s */
size_t name_span(const char *s);

/* ---- seed_csv.c ---- */
/* csv_settings' value (text as written, "(delimiter = ';', ...)") into DuckDB read_csv
 * options (*opts, ", delim = ';'..."): 0, or -1 with "file:line: ..." in err. */
int seed_csv_parse(const char *text, const char *file, int line, char **opts, struct mt_err *err);
/* The read_csv options of a seed: csv_settings' or, without them, pandas' defaults. */
void seed_csv_options(const struct model *m, strbuf *out);

#endif
