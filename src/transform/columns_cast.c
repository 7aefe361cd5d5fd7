/* columns_cast.c — a materialized model's declared `columns (name TYPE, ...)` applied to its
 * query, as SQLMesh does on DuckDB: with every column's type declared, the evaluator creates
 * the table with those columns and types (snapshot/evaluator.py _evaluate_snapshot:
 * should_create_empty_table when model.columns_to_types_ is all known) and inserts the query
 * into it as `SELECT <declared columns> FROM (query) AS _subquery` (engine_adapter/base.py
 * _order_projections_and_filter / _insert_append_query): the table holds exactly the
 * declared columns, in their order, with their types; a declared column the query lacks is
 * an error, a column the query has but does not declare is dropped.
 *
 * Here the query is wrapped once — `SELECT CAST("c" AS T) AS "c", ... FROM (query) AS
 * _subquery` — so every kind's SQL (CREATE TABLE AS, INSERT BY NAME, the unique-key batch)
 * gets the declared columns and types from the same text. A VIEW is not materialized
 * (SQLMesh creates no empty table for it): its query is left as written; a SEED's columns
 * are read_csv's (runner.c seed_sql). */
#include <string.h>

#include "transform/columns_cast.h"
#include "transform/engine.h"
#include "util/db.h"

bool columns_cast_query(const struct model *m, const char *query, strbuf *out)
{
    if (m->kind == KIND_VIEW || m->kind == KIND_SEED) return false;
    struct strlist names = {0}, types = {0};
    if (!model_columns(m, &names, &types)) return false;
    sb_append(out, "SELECT ");
    for (size_t k = 0; k < names.n; k++) {
        sb_append(out, k ? ", CAST(" : "CAST(");
        db_quote_ident(out, names.v[k]);
        sb_appendf(out, " AS %s) AS ", types.v[k]);
        db_quote_ident(out, names.v[k]);
    }
    sb_appendf(out, " FROM (%s\n) AS _subquery", query);
    strlist_free(&names);
    strlist_free(&types);
    return true;
}
