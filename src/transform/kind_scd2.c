/* kind_scd2.c — SQLMesh's SCD type 2 kinds (SCD_TYPE_2 = SCD_TYPE_2_BY_TIME, and
 * SCD_TYPE_2_BY_COLUMN) on DuckDB: the table keeps every version of each unique key, with
 * valid_from/valid_to saying when it was current (valid_to NULL: the current one).
 *
 * How it works: each merge rebuilds the physical table as SQLMesh's engine adapter does
 * (sqlmesh/core/engine_adapter/base.py _scd_type_2, the SQL its tests spell out in
 * tests/core/engine_adapter/test_base.py test_scd_type_2_by_time / _by_column): one
 * CREATE OR REPLACE TABLE of the union of
 *   static        closed history (valid_to set), unchanged;
 *   updated_rows  the current rows joined (full join on the unique key) with the query's
 *                 rows: kept, closed (an update, or a hard delete when
 *                 invalidate_hard_deletes) or new;
 *   inserted_rows the new version of each updated key.
 * The CTEs, conditions and the valid_from/valid_to expressions are SQLMesh's, clause for
 * clause. One difference of form: SQLMesh qualifies the unique key's expressions with each
 * CTE's name; here each CTE computes them once as _materia_k<i> columns (_materia_tk<i>:
 * the current row's), which evaluates the same expressions on the same rows.
 *
 * The table (snapshot/evaluator.py SCDType2Strategy.create): from the declared columns when
 * the model has them (BY_TIME: updated_at typed time_data_type), else from the query's
 * columns (MaterializableStrategy.create's CTAS of ctas_query), with valid_from/valid_to
 * (time_data_type) added when the query has none. Its first merge is SQLMesh's
 * is_first_insert (truncate: the existing rows are ignored). A forward-only change
 * (plan.c) starts the new version from the live version's rows instead, with the new
 * query's added columns (SQLMesh migrates the kept table: on_additive_change allow) and
 * an error for dropped or retyped ones (on_destructive_change error). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transform/engine.h"
#include "util/db.h"
#include "util/err.h"
#include "util/strbuf.h"

static long find(const struct strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i], s)) return (long)i;
    return -1;
}

/* "<prefix><name>" quoted, e.g. "t_name" */
static void qid(strbuf *sb, const char *prefix, const char *name)
{
    char *s = xasprintf("%s%s", prefix, name);
    db_quote_ident(sb, s);
    free(s);
}

/* alias."name" */
static void qcol(strbuf *sb, const char *alias, const char *prefix, const char *name)
{
    sb_appendf(sb, "%s.", alias);
    qid(sb, prefix, name);
}

/* sqlmesh/utils/date.py to_time_column: a time as a literal of the valid_from column's type
 * (DATE: the day; a type with a time zone: +00:00; else the timestamp). */
static void time_literal(strbuf *sb, int64_t us, const char *type)
{
    char b[32];
    bool date = !strcasecmp(type, "DATE");
    bool tz = strcasestr(type, "TIME ZONE") || strcasestr(type, "TZ");
    if (date) time_fmt_ds(us, b);
    else time_fmt_ts(us, b);
    sb_appendf(sb, "CAST('%s%s' AS %s)", b, tz ? "+00:00" : "", type);
}

struct scd2_sql {
    const struct model *m;
    const struct scd2_kind *k;
    struct strlist cols, types;   /* the target table's columns */
    struct strlist unmanaged;     /* cols without valid_from / valid_to */
    const char *vf, *vt, *time_type;
    bool by_col;
};

/* ", K0 AS _materia_k0, ..." over the key expressions (evaluated on the CTE's FROM). */
static void key_cols(strbuf *sb, const struct scd2_sql *q)
{
    for (size_t i = 0; i < q->k->key.n; i++) sb_appendf(sb, ", %s AS _materia_k%zu", q->k->key.v[i], i);
}

/* "a._materia_k0 = b._materia_k0 AND ..." */
static void key_join(strbuf *sb, const struct scd2_sql *q, const char *a, const char *b)
{
    for (size_t i = 0; i < q->k->key.n; i++)
        sb_appendf(sb, "%s%s._materia_k%zu = %s._materia_k%zu", i ? " AND " : "", a, i, b, i);
}

static void col_list(strbuf *sb, const struct strlist *l, const char *alias)
{
    for (size_t i = 0; i < l->n; i++) {
        sb_append(sb, i ? ", " : "");
        if (alias) sb_appendf(sb, "%s.", alias);
        db_quote_ident(sb, l->v[i]);
    }
}

/* BY_COLUMN's "the row is updated" filter: both key sides present and a checked column
 * differs (NULL-aware), as base.py builds unique_key_check AND row_value_check. */
static void by_column_filter(strbuf *sb, const struct scd2_sql *q)
{
    sb_append(sb, "((");
    for (size_t i = 0; i < q->k->key.n; i++)
        sb_appendf(sb, "%sNOT joined._materia_tk%zu IS NULL AND NOT joined._materia_k%zu IS NULL", i ? " AND " : "",
                   i, i);
    sb_append(sb, ") AND (");
    const struct strlist *check = q->k->star ? &q->unmanaged : &q->k->columns;
    for (size_t i = 0; i < check->n; i++) {
        const char *c = check->v[i];
        /* SQLMesh spells out a <> b OR (b IS NULL AND a IS NOT NULL) OR (b IS NOT NULL AND
         * a IS NULL): DuckDB's IS DISTINCT FROM, the same truth table */
        sb_append(sb, i ? " OR " : "");
        qcol(sb, "joined", "", c);
        sb_append(sb, " IS DISTINCT FROM ");
        qcol(sb, "joined", "t_", c);
    }
    sb_append(sb, "))");
}

/* The execution time as base.py's execution_ts: BY_COLUMN with updated_at_name takes that
 * column of each row (evaluator.py passes it as execution_time), else the run's time. */
static void exec_ts(strbuf *sb, const struct scd2_sql *q, int64_t exec_us)
{
    if (q->by_col && q->k->updated_at) {
        sb_append(sb, "CAST(");
        db_quote_ident(sb, q->k->updated_at);
        sb_appendf(sb, " AS %s)", q->time_type);
    } else {
        time_literal(sb, exec_us, q->time_type);
    }
}

/* The CREATE OR REPLACE TABLE of one merge (base.py _scd_type_2). */
static void merge_sql(strbuf *sb, const struct scd2_sql *q, const char *physical, const char *query, bool truncate,
                      int64_t exec_us)
{
    const struct scd2_kind *k = q->k;
    const char *ua = q->by_col ? NULL : k->updated_at;
    size_t nk = k->key.n;
    sb_appendf(sb, "CREATE OR REPLACE TABLE %s AS\nWITH \"source\" AS (\n  SELECT DISTINCT ON (", physical);
    for (size_t i = 0; i < nk; i++) sb_appendf(sb, "%s%s", i ? ", " : "", k->key.v[i]);
    sb_append(sb, ") TRUE AS _exists");
    for (size_t i = 0; i < q->unmanaged.n; i++) {
        if (ua && !strcmp(q->unmanaged.v[i], ua)) continue;
        sb_append(sb, ", ");
        db_quote_ident(sb, q->unmanaged.v[i]);
    }
    if (ua) {
        sb_append(sb, ", CAST(");
        db_quote_ident(sb, ua);
        sb_appendf(sb, " AS %s) AS ", q->time_type);
        db_quote_ident(sb, ua);
    }
    key_cols(sb, q);
    sb_append(sb, "\n  FROM (SELECT ");
    col_list(sb, &q->unmanaged, NULL);
    sb_appendf(sb, " FROM (%s\n) AS _materia_q) AS raw_source\n)", query);
    /* historical records that do not change / latest records that can be updated */
    for (int latest = 0; latest < 2; latest++) {
        sb_appendf(sb, ", %s AS (\n  SELECT ", latest ? "latest" : "static");
        col_list(sb, &q->cols, NULL);
        sb_append(sb, ", TRUE AS _exists");
        key_cols(sb, q);
        sb_appendf(sb, " FROM %s WHERE %s", physical, latest ? "" : "NOT ");
        db_quote_ident(sb, q->vt);
        sb_appendf(sb, " IS NULL%s\n)", truncate ? " LIMIT 0" : "");
    }
    /* deleted records, which give `valid_from` of undeleted source records */
    sb_append(sb, ", deleted AS (\n  SELECT ");
    col_list(sb, &q->cols, "static");
    for (size_t i = 0; i < nk; i++) sb_appendf(sb, ", static._materia_k%zu", i);
    sb_append(sb, " FROM static LEFT JOIN latest ON ");
    key_join(sb, q, "static", "latest");
    sb_append(sb, " WHERE latest.");
    db_quote_ident(sb, q->vt);
    sb_append(sb, " IS NULL\n), latest_deleted AS (\n  SELECT TRUE AS _exists");
    for (size_t i = 0; i < nk; i++) sb_appendf(sb, ", _materia_k%zu AS _key%zu", i, i);
    sb_append(sb, ", MAX(");
    db_quote_ident(sb, q->vt);
    sb_append(sb, ") AS ");
    db_quote_ident(sb, q->vt);
    sb_append(sb, " FROM deleted GROUP BY ");
    for (size_t i = 0; i < nk; i++) sb_appendf(sb, "%s_materia_k%zu", i ? ", " : "", i);
    sb_append(sb, "\n), joined AS (");
    /* latest LEFT JOIN source, then the source rows without a latest row (base.py's
     * left/right joins instead of a full join) */
    for (int right = 0; right < 2; right++) {
        sb_append(sb, right ? "\n  UNION ALL" : "");
        sb_append(sb, "\n  SELECT \"source\"._exists AS _exists");
        for (size_t i = 0; i < q->cols.n; i++) {
            sb_append(sb, ", ");
            qcol(sb, "latest", "", q->cols.v[i]);
            sb_append(sb, " AS ");
            qid(sb, "t_", q->cols.v[i]);
        }
        for (size_t i = 0; i < q->unmanaged.n; i++) {
            sb_append(sb, ", ");
            qcol(sb, "\"source\"", "", q->unmanaged.v[i]);
            sb_append(sb, " AS ");
            db_quote_ident(sb, q->unmanaged.v[i]);
        }
        for (size_t i = 0; i < nk; i++)
            sb_appendf(sb, ", latest._materia_k%zu AS _materia_tk%zu, \"source\"._materia_k%zu AS _materia_k%zu", i, i,
                       i, i);
        sb_appendf(sb, " FROM latest %s JOIN \"source\" ON ", right ? "RIGHT" : "LEFT");
        key_join(sb, q, "latest", "\"source\"");
        if (right) sb_append(sb, " WHERE latest._exists IS NULL");
    }
    /* the updated-row filter (base.py updated_row_filter) */
    strbuf filter;
    sb_init(&filter);
    if (q->by_col) {
        by_column_filter(&filter, q);
    } else {
        qcol(&filter, "joined", "", ua);
        sb_append(&filter, " > ");
        qcol(&filter, "joined", "t_", ua);
    }
    /* deleted, new, no longer current or unchanged records */
    sb_append(sb, "\n), updated_rows AS (\n  SELECT ");
    for (size_t i = 0; i < q->unmanaged.n; i++) {
        sb_append(sb, i ? ", COALESCE(" : "COALESCE(");
        qcol(sb, "joined", "t_", q->unmanaged.v[i]);
        sb_append(sb, ", ");
        qcol(sb, "joined", "", q->unmanaged.v[i]);
        sb_append(sb, ") AS ");
        db_quote_ident(sb, q->unmanaged.v[i]);
    }
    sb_append(sb, ",\n    ");
    /* update_valid_from_start: updated_at (updated_at_as_valid_from), the execution time
     * (BY_COLUMN, except on its first insert unless execution_time_as_valid_from), else
     * the epoch */
    strbuf start;
    sb_init(&start);
    if (!q->by_col && k->updated_at_as_valid_from) db_quote_ident(&start, ua);
    else if (q->by_col && (k->execution_time_as_valid_from || !truncate)) exec_ts(&start, q, exec_us);
    else time_literal(&start, 0, q->time_type);
    if (q->by_col) {
        sb_append(sb, "COALESCE(");
        qid(sb, "t_", q->vf);
        sb_appendf(sb, ", %s) AS ", start.buf);
        db_quote_ident(sb, q->vf);
        sb_append(sb, ",\n    CASE WHEN ");
        if (k->invalidate_hard_deletes) sb_append(sb, "joined._exists IS NULL OR ");
        sb_appendf(sb, "%s THEN ", filter.buf);
        exec_ts(sb, q, exec_us);
        sb_append(sb, " ELSE ");
        qid(sb, "t_", q->vt);
    } else {
        sb_append(sb, "CASE WHEN ");
        qid(sb, "t_", q->vf);
        sb_append(sb, " IS NULL AND NOT latest_deleted._exists IS NULL THEN CASE WHEN latest_deleted.");
        db_quote_ident(sb, q->vt);
        sb_append(sb, " > ");
        db_quote_ident(sb, ua);
        sb_append(sb, " THEN latest_deleted.");
        db_quote_ident(sb, q->vt);
        sb_append(sb, " ELSE ");
        db_quote_ident(sb, ua);
        sb_append(sb, " END WHEN ");
        qid(sb, "t_", q->vf);
        sb_appendf(sb, " IS NULL THEN %s ELSE ", start.buf);
        qid(sb, "t_", q->vf);
        sb_append(sb, " END AS ");
        db_quote_ident(sb, q->vf);
        sb_appendf(sb, ",\n    CASE WHEN %s THEN ", filter.buf);
        qcol(sb, "joined", "", ua);
        if (k->invalidate_hard_deletes) {
            sb_append(sb, " WHEN joined._exists IS NULL THEN ");
            exec_ts(sb, q, exec_us);
        }
        sb_append(sb, " ELSE ");
        qid(sb, "t_", q->vt);
    }
    sb_append(sb, " END AS ");
    db_quote_ident(sb, q->vt);
    sb_append(sb, "\n  FROM joined LEFT JOIN latest_deleted ON ");
    for (size_t i = 0; i < nk; i++)
        sb_appendf(sb, "%sjoined._materia_k%zu = latest_deleted._key%zu", i ? " AND " : "", i, i);
    /* records that have been updated: their new version */
    sb_append(sb, "\n), inserted_rows AS (\n  SELECT ");
    col_list(sb, &q->unmanaged, NULL);
    sb_append(sb, ", ");
    if (q->by_col) exec_ts(sb, q, exec_us);
    else db_quote_ident(sb, ua);
    sb_append(sb, " AS ");
    db_quote_ident(sb, q->vf);
    sb_appendf(sb, ", CAST(NULL AS %s) AS ", q->time_type);
    db_quote_ident(sb, q->vt);
    sb_appendf(sb, " FROM joined WHERE %s\n)\nSELECT ", filter.buf);
    for (size_t i = 0; i < q->cols.n; i++) {
        sb_append(sb, i ? ", CAST(" : "CAST(");
        db_quote_ident(sb, q->cols.v[i]);
        sb_appendf(sb, " AS %s) AS ", q->types.v[i]);
        db_quote_ident(sb, q->cols.v[i]);
    }
    sb_append(sb, " FROM (");
    static const char *parts[] = {"static", "updated_rows", "inserted_rows"};
    for (int p = 0; p < 3; p++) {
        sb_append(sb, p ? " UNION ALL SELECT " : "SELECT ");
        col_list(sb, &q->cols, NULL);
        sb_appendf(sb, " FROM %s", parts[p]);
    }
    sb_append(sb, ") AS _subquery");
    sb_free(&filter);
    sb_free(&start);
}

void scd2_columns(const struct model *m, bool declared, struct strlist *names, struct strlist *types)
{
    if (!kind_is_scd2(m->kind)) return;
    const struct scd2_kind *k = &m->scd2;
    /* model/definition.py columns_to_types: the query's or declared columns, then
     * managed_columns (valid_from, valid_to as time_data_type) where not among them */
    if (find(names, k->valid_from) < 0) strlist_push(names, k->valid_from), strlist_push(types, k->time_type);
    if (find(names, k->valid_to) < 0) strlist_push(names, k->valid_to), strlist_push(types, k->time_type);
    if (declared && m->kind == KIND_SCD2_TIME) {
        /* SCDType2Strategy.create: columns_to_types[updated_at_name] = time_data_type */
        long u = find(names, k->updated_at);
        if (u < 0) strlist_push(names, k->updated_at), strlist_push(types, k->time_type);
        else free(types->v[u]), types->v[u] = xstrdup(k->time_type);
    }
}

/* The version's empty table (SCDType2Strategy.create). */
static int create_table(duckdb_connection con, const struct model *m, const char *physical, const char *query,
                        struct mt_err *err)
{
    const struct scd2_kind *k = &m->scd2;
    struct strlist names = {0}, types = {0};
    int rc;
    if (model_columns(m, &names, &types)) {
        /* annotated: the declared columns with the managed ones */
        scd2_columns(m, true, &names, &types);
        strbuf sql;
        sb_init(&sql);
        sb_appendf(&sql, "CREATE OR REPLACE TABLE %s (", physical);
        for (size_t i = 0; i < names.n; i++) {
            sb_append(&sql, i ? ", " : "");
            db_quote_ident(&sql, names.v[i]);
            sb_appendf(&sql, " %s", types.v[i]);
        }
        sb_append(&sql, ")");
        rc = db_exec(con, sql.buf, err);
        sb_free(&sql);
    } else {
        /* ctas_query: the query's columns, plus the managed ones it does not select */
        rc = db_execf(con, err, "CREATE OR REPLACE TABLE %s AS SELECT * FROM (%s\n) AS _materia_q LIMIT 0", physical,
                      query);
        if (rc == 0) rc = db_describe(con, physical, &names, &types, err);
        const char *managed[2] = {k->valid_from, k->valid_to};
        for (int i = 0; i < 2 && rc == 0; i++) {
            if (find(&names, managed[i]) >= 0) continue;
            strbuf sql;
            sb_init(&sql);
            sb_appendf(&sql, "ALTER TABLE %s ADD COLUMN ", physical);
            db_quote_ident(&sql, managed[i]);
            sb_appendf(&sql, " %s", k->time_type);
            rc = db_exec(con, sql.buf, err);
            sb_free(&sql);
        }
    }
    strlist_free(&names);
    strlist_free(&types);
    return rc;
}

/* A forward-only change: the new version starts as a copy of the live one, migrated to
 * the new query's columns (added ones appended; a dropped or retyped one is SQLMesh's
 * destructive change, an error under its default on_destructive_change error). */
static int copy_live(duckdb_connection con, const struct model *m, const char *physical, const char *from,
                     const char *query, struct mt_err *err)
{
    struct strlist on = {0}, ot = {0}, nn = {0}, nt = {0};
    strbuf bad;
    sb_init(&bad);
    int rc = create_table(con, m, physical, query, err);
    if (rc == 0) rc = db_describe(con, physical, &nn, &nt, err);
    if (rc == 0) rc = db_describe(con, from, &on, &ot, err);
    for (size_t i = 0; i < on.n && rc == 0; i++) {
        long j = find(&nn, on.v[i]);
        if (j < 0 || strcmp(nt.v[j], ot.v[i]))
            sb_appendf(&bad, "%s%s %s%s", bad.len ? ", " : "", on.v[i], j < 0 ? "dropped" : "retyped to ",
                       j < 0 ? "" : nt.v[j]);
    }
    if (rc == 0 && bad.len)
        rc = mt_errf(err, "%s:%d: destructive change to forward-only model %s: the new query's columns differ from the "
                     "kept table's (%s); SQLMesh's on_destructive_change error refuses it",
                     m->file, m->line, m->name, bad.buf);
    if (rc == 0) {
        strbuf sql;
        sb_init(&sql);
        sb_appendf(&sql, "CREATE OR REPLACE TABLE %s AS SELECT * FROM %s", physical, from);
        for (size_t i = 0; i < nn.n; i++) {
            if (find(&on, nn.v[i]) >= 0) continue;
            sb_appendf(&sql, ";\nALTER TABLE %s ADD COLUMN ", physical);
            db_quote_ident(&sql, nn.v[i]);
            sb_appendf(&sql, " %s", nt.v[i]);
        }
        rc = db_exec(con, sql.buf, err);
        sb_free(&sql);
    }
    strlist_free(&on);
    strlist_free(&ot);
    strlist_free(&nn);
    strlist_free(&nt);
    sb_free(&bad);
    return rc;
}

int scd2_build(duckdb_connection con, const struct model *m, const char *physical, const char *from_physical,
               bool create, bool merge, const char *query, int64_t exec_us, int64_t *rows, struct mt_err *err)
{
    const struct scd2_kind *k = &m->scd2;
    int rc = 0;
    if (create && from_physical) rc = copy_live(con, m, physical, from_physical, query, err);
    else if (create) rc = create_table(con, m, physical, query, err);
    if (rc == 0 && !merge) { /* the rows it starts with (a kept version's) */
        char *sql = xasprintf("SELECT count(*) FROM %s", physical);
        rc = db_query_i64(con, sql, rows, NULL, err);
        free(sql);
    }
    if (rc < 0 || !merge) return rc;
    struct scd2_sql q = {.m = m, .k = k, .vf = k->valid_from, .vt = k->valid_to, .by_col = m->kind == KIND_SCD2_COLUMN};
    if ((rc = db_describe(con, physical, &q.cols, &q.types, err)) == 0) {
        long f = find(&q.cols, q.vf);
        if (f < 0 || find(&q.cols, q.vt) < 0)
            rc = mt_errf(err, "table %s has no %s column: an SCD type 2 table needs %s and %s", physical,
                         f < 0 ? q.vf : q.vt, q.vf, q.vt);
        else if (!q.by_col && find(&q.cols, k->updated_at) < 0)
            /* base.py _scd_type_2's own message */
            rc = mt_errf(err, "Column %s not found in %s. Table must contain an `updated_at` timestamp for SCD Type 2",
                         k->updated_at, physical);
        else
            q.time_type = q.types.v[f]; /* base.py: time_data_type = the table's valid_from type */
    }
    for (size_t i = 0; i < q.cols.n && rc == 0; i++)
        if (strcmp(q.cols.v[i], q.vf) && strcmp(q.cols.v[i], q.vt)) strlist_push(&q.unmanaged, q.cols.v[i]);
    if (rc == 0) {
        strbuf sql;
        sb_init(&sql);
        /* truncate (SQLMesh's is_first_insert): the version's first merge, unless it kept the
         * live version's rows */
        merge_sql(&sql, &q, physical, query, create && !from_physical, exec_us);
        sb_appendf(&sql, ";\nSELECT count(*) AS \"Count\" FROM %s", physical);
        rc = db_query_i64(con, sql.buf, rows, NULL, err);
        sb_free(&sql);
    }
    strlist_free(&q.cols);
    strlist_free(&q.types);
    strlist_free(&q.unmanaged);
    return rc;
}
