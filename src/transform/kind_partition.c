/* kind_partition.c — INCREMENTAL_BY_PARTITION and INCREMENTAL_UNMANAGED, and partitioned_by.
 *
 * Both kinds run like INCREMENTAL_BY_UNIQUE_KEY (plan.c, runner.c build): each run with
 * missing cron intervals renders the query once over them; a new version's first run creates
 * the table from the query (SQLMesh's snapshot/evaluator.py: is_first_insert →
 * _replace_query_for_model). What a later run does is here (kind_refresh_sql):
 *   INCREMENTAL_BY_PARTITION    the partitions present in the query's rows replace theirs
 *                               (IncrementalByPartitionStrategy → insert_overwrite_by_partition)
 *   INCREMENTAL_UNMANAGED       insert_overwrite false: the rows are appended (insert_append);
 *                               true: as INCREMENTAL_BY_PARTITION (IncrementalUnmanagedStrategy)
 * SQLMesh's DuckDB adapter has the base adapter's DELETE_INSERT overwrite strategy, so
 * insert_overwrite_by_partition is base.py _replace_by_key(is_unique_key=False): the rows go to
 * a temp table, the target's rows whose key is IN the temp table's DISTINCT keys are deleted,
 * the temp rows inserted. The key is the partitioned_by expression, or CONCAT_WS of them with
 * '__SQLMESH_DELIM__' when there are several — copied exactly, with its consequences (a NULL
 * single key never matches IN, so such rows are never replaced).
 *
 * partitioned_by on the other kinds: SQLMesh's DuckDB adapter (duckdb.py _create_table) only
 * uses it on a DuckLake catalog (ALTER TABLE SET PARTITIONED BY); on a DuckDB file, which the
 * lakehouse is, it changes nothing but the fingerprint (definition.py _data_hash_values_no_sql)
 * — so here too (plan.c hashes it). It is refused where SQLMesh refuses it. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transform/engine.h"
#include "transform/kinds.h"
#include "util/db.h"
#include "util/json.h"

bool kind_interval_based(enum model_kind k)
{
    return k == KIND_INCR_TIME || k == KIND_INCR_KEY || k == KIND_INCR_PARTITION || k == KIND_INCR_UNMANAGED ||
           kind_is_scd2(k);
}

int kind_check(const struct model *m, struct mt_err *err)
{
    /* meta.py _root_validator (its messages) */
    if (m->partitioned_by.n && (m->kind == KIND_EMBEDDED || (m->kind == KIND_VIEW && !m->materialized)))
        return mt_errf(err, "%s:%d: partitioned_by field cannot be set for %s models", m->file,
                       m->partitioned_by_line, model_kind_name(m->kind));
    if (m->kind == KIND_INCR_PARTITION && !m->partitioned_by.n)
        return mt_errf(err, "%s:%d: partitioned_by field is required for INCREMENTAL_BY_PARTITION models", m->file,
                       m->line);
    /* definition.py validate_definition */
    if (m->kind == KIND_INCR_UNMANAGED && m->insert_overwrite && !m->partitioned_by.n)
        return mt_errf(err, "%s:%d: Unmanaged incremental models with insert / overwrite enabled must specify the "
                       "partitioned_by field", m->file, m->line);
    if (m->kind == KIND_EMBEDDED && m->n_audits)
        return mt_errf(err, "%s:%d: Audits are not supported for embedded models", m->file, m->audits[0].line);
    if (m->kind == KIND_EMBEDDED && m->n_inline_audits)
        return mt_errf(err, "%s:%d: AUDIT on an EMBEDDED model is not supported by materia: it has no table to "
                       "audit", m->file, m->inline_audits[0].line);
    return 0;
}

/* SQLMesh's key expression (base.py _replace_by_key): the one expression, or CONCAT_WS. */
static void key_exp(const struct model *m, strbuf *sb)
{
    if (m->partitioned_by.n == 1) {
        sb_append(sb, m->partitioned_by.v[0]);
        return;
    }
    sb_append(sb, "CONCAT_WS('__SQLMESH_DELIM__'");
    for (size_t k = 0; k < m->partitioned_by.n; k++) sb_appendf(sb, ", %s", m->partitioned_by.v[k]);
    sb_append(sb, ")");
}

bool kind_refresh_sql(const struct model *m, const char *physical, const char *query, strbuf *sql)
{
    if (m->kind == KIND_INCR_UNMANAGED && !m->insert_overwrite) {
        sb_appendf(sql, "INSERT INTO %s BY NAME SELECT * FROM (%s\n) AS _materia_q", physical, query);
        return true;
    }
    if (m->kind != KIND_INCR_PARTITION && m->kind != KIND_INCR_UNMANAGED) return false;
    sb_appendf(sql, "CREATE OR REPLACE TEMP TABLE _materia_part AS SELECT * FROM (%s\n) AS _materia_q;\n"
               "DELETE FROM %s WHERE ", query, physical);
    key_exp(m, sql);
    sb_append(sql, " IN (SELECT DISTINCT ");
    key_exp(m, sql);
    sb_appendf(sql, " FROM temp._materia_part);\nINSERT INTO %s BY NAME SELECT * FROM temp._materia_part;\n"
               "SELECT count(*) AS \"Count\" FROM temp._materia_part", physical);
    return true;
}

const char *kind_refresh_cleanup(const struct model *m)
{
    bool part = m->kind == KIND_INCR_PARTITION || (m->kind == KIND_INCR_UNMANAGED && m->insert_overwrite);
    return part ? "DROP TABLE IF EXISTS temp._materia_part" : NULL;
}

int kind_forward_only_check(const struct model *m, struct mt_err *err)
{
    if (!m->forward_only) return 0;
    /* plan/builder.py: a forward-only model's change, direct or through a parent, is
     * categorized FORWARD_ONLY: the new version keeps the old table and its intervals (the
     * schema migrated), and only intervals still to come run the new query */
    return mt_errf(err, "%s:%d: changing the live %s model %s (its query, kind, or a parent's) is not supported by "
                   "materia: SQLMesh applies the change forward-only, keeping its table and processed intervals, and "
                   "materia builds every change as a new version (set forward_only false on an "
                   "INCREMENTAL_UNMANAGED model, or rename the model)", m->file, m->line, model_kind_name(m->kind),
                   m->name);
}

/* The columns named in a parse tree (COLUMN_REF nodes), each its last name part, lower-case. */
static void column_refs(const struct json *v, struct strlist *out)
{
    if (v->t == JSON_OBJ && !strcmp(json_str(v, "class"), "COLUMN_REF")) {
        const struct json *names = json_get(v, "column_names");
        if (names && names->t == JSON_ARR && names->n && names->items[names->n - 1].t == JSON_STR) {
            char *c = xstrdup(names->items[names->n - 1].s);
            for (char *k = c; *k; k++) *k = (char)tolower((unsigned char)*k);
            strlist_push(out, c);
            free(c);
        }
    }
    if (v->t == JSON_OBJ || v->t == JSON_ARR)
        for (size_t i = 0; i < v->n; i++) column_refs(&v->items[i], out);
}

int kind_partitioned_by_check(const struct model *m, duckdb_connection con, struct mt_err *err)
{
    struct strlist all = {0};
    int rc = 0;
    for (size_t k = 0; k < m->partitioned_by.n && rc == 0; k++) {
        strbuf q;
        sb_init(&q);
        sb_append(&q, "SELECT json_serialize_sql(");
        db_quote_literal(&q, "SELECT ");
        sb_append(&q, " || ");
        db_quote_literal(&q, m->partitioned_by.v[k]);
        sb_append(&q, ")");
        char *js = NULL;
        struct mt_err e = MT_ERR_INIT;
        rc = db_query_str(con, q.buf, &js, &e);
        sb_free(&q);
        struct json j;
        struct strlist cols = {0};
        if (rc < 0 || json_parse(js ? js : "{}", &j, &e) < 0) {
            rc = mt_errf(err, "%s:%d: partitioned_by %s: %s", m->file, m->partitioned_by_line, m->partitioned_by.v[k],
                         e.msg);
            free(js);
            break;
        }
        free(js);
        const struct json *jerr = json_get(&j, "error");
        if (jerr && jerr->t == JSON_BOOL && jerr->b)
            rc = mt_errf(err, "%s:%d: partitioned_by %s: %s", m->file, m->partitioned_by_line, m->partitioned_by.v[k],
                         json_str(&j, "error_message"));
        column_refs(&j, &cols);
        json_free(&j);
        /* meta.py _partition_and_cluster_validator, definition.py validate_definition */
        if (rc == 0 && cols.n != 1)
            rc = mt_errf(err, "%s:%d: Field '%s' %s", m->file, m->partitioned_by_line, m->partitioned_by.v[k],
                         cols.n ? "contains multiple columns" : "does not contain a column");
        if (rc == 0 && strlist_has(&all, cols.v[0]))
            rc = mt_errf(err, "%s:%d: All keys in 'partitioned_by' must be unique in the model definition", m->file,
                         m->partitioned_by_line);
        if (rc == 0) strlist_push(&all, cols.v[0]);
        strlist_free(&cols);
    }
    strlist_free(&all);
    return rc;
}
