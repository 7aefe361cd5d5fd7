/* columns.c — the columns of a table for @STAR and @UNION (render_ctx.columns), as SQLMesh
 * knows them from its schema, in this order:
 *   1. an external model's declared `columns` (external_models.yaml);
 *   2. a model's own `columns (...)`;
 *   3. the table as it exists now in the lakehouse (DuckDB's catalog on p->con);
 *   4. for a model not built yet, its query's columns: DuckDB describes the query
 *      (DESCRIBE) on a scratch in-memory database holding empty stand-ins for the tables the
 *      query reads, each found by these same rules — SQLMesh infers them from the query with
 *      sqlglot. So a fresh project whose models use @STAR on each other plans and runs.
 * 4 renders models (dag_render_fixed), which may ask for columns again: the recursion is
 * bounded (COLUMNS_MAX_DEPTH), and a failure anywhere is just "unknown" (-1): the macro
 * then says which table's columns are unknown. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transform/engine.h"
#include "transform/kinds.h"
#include "util/db.h"

#define COLUMNS_MAX_DEPTH 16

static int depth; /* inference nesting (one render at a time: the engine is single-threaded) */

/* Appends the rows (name, type) of a two-column result. 0 when there was at least one. */
static int result_columns(duckdb_connection con, const char *sql, struct strlist *names, struct strlist *types)
{
    duckdb_result res;
    int rc = -1;
    if (duckdb_query(con, sql, &res) != DuckDBError && duckdb_row_count(&res) > 0) {
        for (idx_t r = 0; r < duckdb_row_count(&res); r++) {
            char *n = duckdb_value_varchar(&res, 0, r), *t = duckdb_value_varchar(&res, 1, r);
            strlist_push(names, n ? n : "");
            strlist_push(types, t ? t : "");
            duckdb_free(n);
            duckdb_free(t);
        }
        rc = 0;
    }
    duckdb_destroy_result(&res);
    return rc;
}

static int catalog_columns(duckdb_connection con, const char *full, struct strlist *names, struct strlist *types)
{
    const char *dot = strchr(full, '.');
    if (!con || !dot) return -1;
    strbuf q;
    sb_init(&q);
    sb_append(&q, "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ");
    char *schema = xstrndup(full, (size_t)(dot - full));
    db_quote_literal(&q, schema);
    free(schema);
    sb_append(&q, " AND table_name = ");
    db_quote_literal(&q, dot + 1);
    sb_append(&q, " AND table_catalog = current_database() ORDER BY ordinal_position");
    int rc = result_columns(con, q.buf, names, types);
    sb_free(&q);
    return rc;
}

/* See engine.h. */
bool model_columns(const struct model *m, struct strlist *names, struct strlist *types)
{
    if (!m->columns || !*m->columns) return false;
    struct strlist cols = {0};
    sql_split_list(m->columns, &cols);
    for (size_t k = 0; k < cols.n; k++) {
        char *c = cols.v[k], *sp = c;
        while (*sp && *sp != ' ' && *sp != '\t') sp++;
        char *name = xstrndup(c, (size_t)(sp - c));
        size_t nl = strlen(name);
        bool quoted = nl >= 2 && name[0] == '"' && name[nl - 1] == '"';
        if (quoted) name[nl - 1] = 0;
        while (*sp == ' ' || *sp == '\t') sp++;
        strlist_push(names, quoted ? name + 1 : name);
        strlist_push(types, *sp ? sp : "VARCHAR");
        free(name);
    }
    strlist_free(&cols);
    return true;
}

static int known_columns(const struct project *p, const char *full, struct strlist *names, struct strlist *types)
{
    for (size_t i = 0; i < p->n_ext; i++) {
        const struct external_model *x = &p->ext[i];
        if (strcmp(x->name, full) || x->col_names.n == 0) continue;
        for (size_t k = 0; k < x->col_names.n; k++) {
            strlist_push(names, x->col_names.v[k]);
            strlist_push(types, x->col_types.v[k]);
        }
        return 0;
    }
    long m = project_find(p, full);
    if (m >= 0 && model_columns(&p->models[m], names, types)) {
        scd2_columns(&p->models[m], true, names, types); /* an SCD table's valid_from/valid_to */
        return 0;
    }
    return catalog_columns(p->con, full, names, types);
}

/* The scratch database, opened on first use with a catalog named like the lakehouse's, so
 * the queries' three-part names resolve there too. */
static duckdb_connection scratch(struct project *p)
{
    if (p->scratch_con) return p->scratch_con;
    duckdb_database db;
    duckdb_connection con;
    if (duckdb_open(NULL, &db) == DuckDBError) return NULL;
    if (duckdb_connect(db, &con) == DuckDBError) {
        duckdb_close(&db);
        return NULL;
    }
    p->scratch_db = db;
    p->scratch_con = con;
    if (p->catalog && *p->catalog && strcmp(p->catalog, "memory")) {
        strbuf q;
        sb_init(&q);
        sb_append(&q, "ATTACH ':memory:' AS ");
        db_quote_ident(&q, p->catalog);
        sb_append(&q, "; USE ");
        db_quote_ident(&q, p->catalog);
        duckdb_result res;
        duckdb_query(con, q.buf, &res);
        duckdb_destroy_result(&res);
        sb_free(&q);
    }
    return con;
}

void columns_scratch_close(struct project *p)
{
    if (p->scratch_con) {
        duckdb_connection con = p->scratch_con;
        duckdb_disconnect(&con);
    }
    if (p->scratch_db) {
        duckdb_database db = p->scratch_db;
        duckdb_close(&db);
    }
    p->scratch_con = NULL;
    p->scratch_db = NULL;
}

static int infer(struct project *p, const char *full, struct strlist *names, struct strlist *types);

/* The tables a query reads (BASE_TABLE nodes that are not its CTEs), canonical names. */
static void walk_tables(const struct project *p, const struct json *v, struct strlist *ctes, struct strlist *out)
{
    if (v->t == JSON_OBJ) {
        const struct json *cte = json_get(json_get(v, "cte_map"), "map");
        if (cte && cte->t == JSON_ARR)
            for (size_t i = 0; i < cte->n; i++)
                if (*json_str(&cte->items[i], "key")) strlist_push(ctes, json_str(&cte->items[i], "key"));
        if (!strcmp(json_str(v, "type"), "BASE_TABLE")) {
            const char *cat = json_str(v, "catalog_name"), *schema = json_str(v, "schema_name"),
                       *table = json_str(v, "table_name");
            if (*schema || !strlist_has(ctes, table)) {
                char *n = *cat ? xasprintf("%s.%s.%s", cat, schema, table)
                          : *schema ? xasprintf("%s.%s", schema, table) : xstrdup(table);
                char *full = project_canon_name(p, n);
                if (!strlist_has(out, full)) strlist_push(out, full);
                free(full);
                free(n);
            }
        }
    }
    if (v->t == JSON_OBJ || v->t == JSON_ARR)
        for (size_t i = 0; i < v->n; i++) walk_tables(p, &v->items[i], ctes, out);
}

/* Creates an empty stand-in for table full (schema.table) in the scratch database. */
static int stand_in(struct project *p, duckdb_connection sc, const char *full)
{
    const char *dot = strchr(full, '.');
    if (!dot || strchr(dot + 1, '.')) return -1; /* another catalog's table: not inferred */
    struct strlist names = {0}, types = {0};
    int rc = infer(p, full, &names, &types);
    if (rc == 0) {
        strbuf q;
        sb_init(&q);
        char *schema = xstrndup(full, (size_t)(dot - full));
        sb_append(&q, "CREATE SCHEMA IF NOT EXISTS ");
        db_quote_ident(&q, schema);
        sb_append(&q, "; CREATE TABLE IF NOT EXISTS ");
        db_quote_ident(&q, schema);
        sb_append_char(&q, '.');
        db_quote_ident(&q, dot + 1);
        sb_append(&q, " (");
        for (size_t k = 0; k < names.n; k++) {
            sb_append(&q, k ? ", " : "");
            db_quote_ident(&q, names.v[k]);
            sb_appendf(&q, " %s", types.v[k]);
        }
        sb_append(&q, ")");
        free(schema);
        struct mt_err e = MT_ERR_INIT;
        rc = db_exec(sc, q.buf, &e);
        sb_free(&q);
    }
    strlist_free(&names);
    strlist_free(&types);
    return rc;
}

/* Rules 1-3, then 4 for a model. */
static int infer(struct project *p, const char *full, struct strlist *names, struct strlist *types)
{
    if (known_columns(p, full, names, types) == 0) return 0;
    long m = project_find(p, full);
    if (m < 0 || depth >= COLUMNS_MAX_DEPTH || !p->cfg) return -1;
    duckdb_connection sc = scratch(p);
    if (!sc) return -1;
    const struct model *md = &p->models[m];
    depth++;
    int rc = -1;
    char *sql = NULL;
    if (md->kind == KIND_SEED) {
        char *path = seed_abs_path(md);
        strbuf q;
        sb_init(&q);
        sb_append(&q, "SELECT * FROM read_csv(");
        db_quote_literal(&q, path);
        sb_append(&q, ", header = true");
        seed_csv_options(md, &q); /* as runner.c seed_sql reads it */
        sb_append(&q, ")");
        sql = sb_detach(&q);
        free(path);
    } else {
        struct mt_err e = MT_ERR_INIT;
        sql = dag_render_fixed(p, (size_t)m, p->cfg, &e);
    }
    if (sql) {
        /* the stand-ins for what it reads, then DESCRIBE */
        strbuf q;
        sb_init(&q);
        sb_append(&q, "SELECT json_serialize_sql(");
        db_quote_literal(&q, sql);
        sb_append(&q, ")");
        duckdb_result res;
        rc = 0;
        if (duckdb_query(sc, q.buf, &res) != DuckDBError) {
            char *js = duckdb_value_varchar(&res, 0, 0);
            struct json j;
            struct mt_err je = MT_ERR_INIT;
            if (js && json_parse(js, &j, &je) == 0) {
                struct strlist ctes = {0}, tables = {0};
                walk_tables(p, &j, &ctes, &tables);
                for (size_t k = 0; k < tables.n && rc == 0; k++)
                    if (strcmp(tables.v[k], full)) rc = stand_in(p, sc, tables.v[k]);
                strlist_free(&ctes);
                strlist_free(&tables);
                json_free(&j);
            }
            duckdb_free(js);
        }
        duckdb_destroy_result(&res);
        sb_reset(&q);
        sb_appendf(&q, "SELECT column_name, column_type FROM (DESCRIBE %s\n)", sql);
        if (rc == 0) rc = result_columns(sc, q.buf, names, types);
        if (rc == 0) scd2_columns(md, false, names, types);
        sb_free(&q);
        free(sql);
    }
    depth--;
    return rc;
}

int columns_lookup(void *ud, const char *table, struct strlist *names, struct strlist *types)
{
    struct project *p = ud;
    char *full = project_canon_name(p, table);
    int rc = infer(p, full, names, types);
    if (rc < 0) {
        /* a partial answer must not be mistaken for the columns */
        strlist_free(names);
        strlist_free(types);
    }
    free(full);
    return rc;
}
