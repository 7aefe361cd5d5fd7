/* unittest.c — SQLMesh's YAML unit tests (`sqlmesh test`), run by `materia test`.
 *
 * The format and its semantics are SQLMesh's (sqlmesh/core/test/definition.py, ModelTest and
 * SqlModelTest; discovery as sqlmesh/core/loader.py `_load_model_tests`: tests/ ** / test*.yaml
 * and test*.yml; docs/concepts/tests.md). A test file maps test names to bodies:
 *
 *   model    the model under test (a SQL model: SQLMesh refuses a seed "an unsupported model
 *            type for testing", and so do we — sushi's Python models are seeds here)
 *   inputs   table -> rows (a list, or {rows, columns}) or {query, columns}; rows may come
 *            from CSV (format csv: the text under rows, or path) or a YAML file (path;
 *            relative to the project folder), as _normalize_rows reads them. Every table the
 *            model reads must be given when any input is ("Incomplete test, missing input
 *            model"); a model that reads its own rows gets an empty one.
 *   outputs  query and/or ctes (name -> rows), each a list of rows, or {rows | query,
 *            partial}; outputs.partial applies to all. partial compares only the columns the
 *            expected rows name.
 *   vars     variables for the render, over config.yaml's `variables`; start, end and
 *            execution_time set the render's times (defaults 1970-01-01, end inclusive as
 *            make_inclusive does: a date end covers its whole day); execution_time also
 *            freezes CURRENT_DATE/CURRENT_TIMESTAMP/CURRENT_TIME/now()/today() in the query.
 *
 * How a test runs (each in a fresh in-memory DuckDB): every input becomes a table under its
 * own name — the lakehouse catalog is an attached in-memory database of the same name, so
 * the model's query runs exactly as rendered for a run (macro_render + names_qualify), where
 * SQLMesh instead maps the names to fixture views in a random schema; the effect is the
 * same. Column types, as setUp does: the model's or external model's columns when all are
 * known (columns.c), overridden by the test's `columns`, the rest inferred from the first
 * row's YAML values as sqlglot's annotate_types would type them (int -> INT/BIGINT, float ->
 * DOUBLE, bool -> BOOLEAN, date -> DATE, date-time -> TIMESTAMP, else VARCHAR; a null with no
 * known type is SQLMesh's "Failed to infer the data type" error). Missing columns are NULL.
 *
 * Comparison (assert_equal): expected values are cast to the actual column types; rows are
 * sorted on every column unless the query (or the CTE) has a top-level ORDER BY; floats and
 * decimals are equal within pandas' default tolerance (|a - b| <= 1e-8 + 1e-5 * |b|); NULL
 * equals NULL. A CTE is checked as SqlModelTest.test_ctes does: `SELECT * FROM cte` under all
 * of the query's CTEs (built from DuckDB's own parse tree with json_serialize_sql). On a
 * mismatch the report says which rows are missing and unexpected (different row counts) or,
 * cell by cell, expected vs actual.
 *
 * Discovery skips a folder under tests/ that is a project of its own (holds a config.yaml):
 * SQLMesh would read every test*.yaml below tests/, but this source tree keeps SQLMesh
 * projects, with their tests, under tests/fixtures/.
 *
 * Every key outside this is refused by name (`file:line: <key> is not supported by materia:
 * <why>`), never ignored. */
#include <ctype.h>
#include <dirent.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transform/engine.h"
#include "transform/unittest.h"
#include "util/db.h"
#include "util/fsutil.h"
#include "util/yaml.h"

struct ut {
    const struct project *p;
    const struct config *cfg;
    const char *file;      /* relative path for messages */
    const char *name;
    duckdb_connection con;
    strbuf *msg;           /* the failure report */
    struct mt_err *err;
};

static int refuse(struct ut *u, int line, const char *what, const char *why)
{
    return mt_err_set(u->err, MT_ERR_FORMAT, "%s:%d: %s is not supported by materia: %s", u->file, line, what, why);
}

static int fail_at(struct ut *u, int line, const char *fmt, const char *a)
{
    strbuf sb;
    sb_init(&sb);
    sb_appendf(&sb, "%s:%d: ", u->file, line);
    sb_appendf(&sb, fmt, a);
    mt_errf(u->err, "%s", sb.buf);
    sb_free(&sb);
    return -1;
}

/* Keys of a map node: those in ok are accepted; known lists SQLMesh keys we refuse, with why. */
struct refused_key {
    const char *key, *why;
};
static int check_keys(struct ut *u, const struct ynode *map, const char *const *ok, const struct refused_key *known,
                      const char *where)
{
    for (size_t k = 0; k < map->n; k++) {
        bool good = false;
        for (size_t j = 0; ok[j] && !good; j++) good = !strcmp(map->keys[k], ok[j]);
        if (good) continue;
        const char *why = NULL;
        for (size_t j = 0; known && known[j].key && !why; j++)
            if (!strcmp(map->keys[k], known[j].key)) why = known[j].why;
        strbuf w;
        sb_init(&w);
        sb_appendf(&w, "%s%s", where, map->keys[k]);
        refuse(u, map->key_lines[k], w.buf,
               why ? why : "not a key of SQLMesh's unit test format (sqlmesh/core/test/definition.py)");
        sb_free(&w);
        return -1;
    }
    return 0;
}

/* ---- rows from CSV or a file (format, path, csv_settings) ---- */

static bool looks_numeric(const char *s)
{
    if (!*s) return false;
    char *end;
    (void)strtod(s, &end);
    return *end == '\0' && !isspace((unsigned char)*s);
}

/* rows of a CSV (file, else the text): the header names the columns; values as pandas'
 * read_csv gives them to SQLMesh — numbers typed, everything else text (a date stays a
 * string), an empty field null. Read by DuckDB's read_csv (all_varchar, header). */
static int csv_rows(struct ut *u, const char *file, const char *text, const char *sep, int line, struct ynode *out)
{
    char *tmp = NULL;
    int rc = 0;
    if (!file) {
        const char *dir = getenv("TMPDIR");
        tmp = xasprintf("%s/materia-test-XXXXXX", dir && *dir ? dir : "/tmp");
        int fd = mkstemp(tmp);
        size_t n = strlen(text);
        if (fd < 0 || write(fd, text, n) != (ssize_t)n) rc = mt_errf(u->err, "%s:%d: cannot write the CSV rows to %s", u->file, line, tmp);
        if (fd >= 0) close(fd);
        file = tmp;
    }
    strbuf q;
    sb_init(&q);
    sb_append(&q, "SELECT * FROM read_csv(");
    db_quote_literal(&q, file);
    sb_append(&q, ", all_varchar = true, header = true, delim = ");
    db_quote_literal(&q, sep);
    sb_append(&q, ")");
    duckdb_result res;
    memset(out, 0, sizeof *out);
    out->t = YNODE_SEQ;
    out->line = line;
    if (rc == 0 && db_query(u->con, q.buf, &res, u->err) == 0) {
        idx_t nr = duckdb_row_count(&res), nc = duckdb_column_count(&res);
        out->items = xcalloc(nr + 1, sizeof(struct ynode));
        for (idx_t r = 0; r < nr; r++) {
            struct ynode *row = &out->items[out->n++];
            row->t = YNODE_MAP;
            row->line = line;
            row->keys = xcalloc(nc + 1, sizeof(char *));
            row->key_lines = xcalloc(nc + 1, sizeof(int));
            row->items = xcalloc(nc + 1, sizeof(struct ynode));
            for (idx_t c = 0; c < nc; c++) {
                struct ynode *v = &row->items[row->n];
                row->keys[row->n] = xstrdup(duckdb_column_name(&res, c));
                row->key_lines[row->n++] = line;
                v->t = YNODE_SCALAR;
                v->line = line;
                char *x = duckdb_value_is_null(&res, c, r) ? NULL : duckdb_value_varchar(&res, c, r);
                v->s = xstrdup(x ? x : "");
                v->quoted = x && !looks_numeric(x); /* a quoted scalar is text, never typed */
                duckdb_free(x);
            }
        }
        duckdb_destroy_result(&res);
    } else if (rc == 0) {
        rc = mt_err_prefix(u->err, "%s:%d: reading the CSV rows", u->file, line);
    } else rc = -1;
    sb_free(&q);
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    return rc;
}

/* The rows of an input or output given by format/path/csv_settings (_normalize_rows):
 * format csv reads the CSV at path (relative to the project folder) or the text under rows;
 * format yaml (the default) with a path reads that YAML file's rows (a list, or a map with
 * rows). *loaded receives what was built (the caller frees it with ynode_free); *rows then
 * points into it. csv_settings: only sep/delimiter; other pandas settings are refused. */
static int load_rows(struct ut *u, const struct ynode *spec, const struct ynode **rows, struct ynode *loaded)
{
    int l = spec->line, fl = spec->line, pl = spec->line, cl = spec->line;
    const struct ynode *fmt = ynode_get(spec, "format", &fl), *path = ynode_get(spec, "path", &pl),
                       *cs = ynode_get(spec, "csv_settings", &cl);
    const char *f = fmt ? ynode_text(fmt) : NULL;
    memset(loaded, 0, sizeof *loaded);
    if (f && strcmp(f, "csv") && strcmp(f, "yaml"))
        return fail_at(u, fl, "Unsupported data format '%s'", f);
    bool csv = f && !strcmp(f, "csv");
    if (cs && !csv) return refuse(u, cl, "csv_settings", "it only applies with format: csv");
    const char *sep = ",";
    for (size_t k = 0; cs && cs->t == YNODE_MAP && k < cs->n; k++) {
        if ((!strcmp(cs->keys[k], "sep") || !strcmp(cs->keys[k], "delimiter")) && ynode_text(&cs->items[k]))
            sep = ynode_text(&cs->items[k]);
        else {
            strbuf w;
            sb_init(&w);
            sb_appendf(&w, "csv_settings: %s", cs->keys[k]);
            refuse(u, cs->key_lines[k], w.buf, "of pandas' read_csv settings only sep/delimiter are honoured");
            sb_free(&w);
            return -1;
        }
    }
    char *file = NULL;
    if (path) {
        const char *ps = ynode_text(path);
        if (!ps || !*ps) return fail_at(u, pl, "'path' must name a file%s", "");
        file = ps[0] == '/' ? xstrdup(ps) : fs_join(u->p->dir, ps);
    }
    int rc = 0;
    if (csv) {
        const struct ynode *text = ynode_get(spec, "rows", &l);
        if (!file && (!text || text->t != YNODE_SCALAR))
            rc = fail_at(u, spec->line, "format csv needs the CSV text under rows, or a path%s", "");
        else rc = csv_rows(u, file, file ? NULL : text->s, sep, file ? pl : text->line, loaded);
        if (rc == 0) *rows = loaded;
    } else if (file) {
        rc = yaml_load_file(file, loaded, u->err);
        if (rc == 0) {
            const struct ynode *r = loaded->t == YNODE_MAP ? ynode_get(loaded, "rows", &l) : loaded;
            if (!r || r->t != YNODE_SEQ) rc = fail_at(u, pl, "%s holds no list of rows", file);
            else *rows = r;
        }
    }
    free(file);
    return rc;
}

static const struct refused_key data_refused[] = {{NULL, NULL}};

/* ---- names and values ---- */

static void quote_name(const char *canon, strbuf *out)
{
    const char *s = canon;
    for (;;) {
        const char *dot = strchr(s, '.');
        char *part = dot ? xstrndup(s, (size_t)(dot - s)) : xstrdup(s);
        db_quote_ident(out, part);
        free(part);
        if (!dot) break;
        sb_append_char(out, '.');
        s = dot + 1;
    }
}

static char *lower_dup(const char *s)
{
    char *d = xstrdup(s);
    for (char *q = d; *q; q++) *q = (char)tolower((unsigned char)*q);
    return d;
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return false;
    return n > 0;
}

/* The DuckDB type sqlglot's annotate_types gives exp.convert(value) of a YAML value as
 * ruamel reads it (dates and timestamps are typed there); NULL when unknown (a null). */
static const char *infer_type(const struct ynode *v)
{
    if (v->t != YNODE_SCALAR) return NULL;
    if (ynode_is_null(v)) return NULL;
    const char *s = v->s;
    if (v->quoted) return "VARCHAR";
    struct json j;
    ynode_json(v, &j);
    const char *t = "VARCHAR";
    if (j.t == JSON_BOOL) t = "BOOLEAN";
    else if (j.t == JSON_NUM) {
        if (strpbrk(j.s, ".eE") || !strcasecmp(j.s, ".inf") || !strcasecmp(j.s, ".nan")) t = "DOUBLE";
        else {
            long long x = strtoll(j.s, NULL, 0);
            t = (x > 2147483647LL || x < -2147483648LL) ? "BIGINT" : "INT";
        }
    } else if (strlen(s) == 10 && all_digits(s, 4) && s[4] == '-' && s[7] == '-')
        t = "DATE";
    else if (strlen(s) >= 16 && all_digits(s, 4) && s[4] == '-' && s[7] == '-' && (s[10] == ' ' || s[10] == 'T'))
        t = "TIMESTAMP";
    json_free(&j);
    return t;
}

static bool type_known(const char *t)
{
    return t && *t && strcasecmp(t, "UNKNOWN") && strcasecmp(t, "NULL");
}

/* A YAML value as a DuckDB literal of type: NULL, or CAST('text' AS type). Lists and maps are
 * refused (nested values need DuckDB literal syntax we do not generate yet). */
static int value_sql(struct ut *u, const struct ynode *v, const char *type, strbuf *out)
{
    if (v->t != YNODE_SCALAR)
        return refuse(u, v->line, "a list or map as a column value",
                      "nested values in test rows are not implemented yet");
    if (!v->quoted && ynode_is_null(v)) {
        sb_append(out, "NULL");
        return 0;
    }
    sb_append(out, "CAST(");
    db_quote_literal(out, v->s);
    sb_appendf(out, " AS %s)", type);
    return 0;
}

/* ---- fixture tables ---- */

static long col_index(const struct strlist *names, const char *c)
{
    for (size_t i = 0; i < names->n; i++)
        if (!strcasecmp(names->v[i], c)) return (long)i;
    return -1;
}

static int unknown_columns_error(struct ut *u, int line, const struct strlist *cols, const struct strlist *bad)
{
    strbuf sb;
    sb_init(&sb);
    sb_appendf(&sb, "%s:%d: Detected unknown column(s)\n\nExpected column(s): ", u->file, line);
    for (size_t i = 0; i < cols->n; i++) sb_appendf(&sb, "%s%s", i ? ", " : "", cols->v[i]);
    sb_append(&sb, "\nUnknown column(s): ");
    for (size_t i = 0; i < bad->n; i++) sb_appendf(&sb, "%s%s", i ? ", " : "", bad->v[i]);
    mt_errf(u->err, "%s", sb.buf);
    sb_free(&sb);
    return -1;
}

/* CREATE TABLE ident (cols) and INSERT the rows (a YAML sequence of maps, or NULL). */
static int table_from_rows(struct ut *u, const char *ident, const struct strlist *cols, const struct strlist *types,
                           const struct ynode *rows, int line)
{
    if (!cols->n) return fail_at(u, line, "no columns known for '%s': give rows or its 'columns'", ident);
    strbuf sql;
    sb_init(&sql);
    sb_appendf(&sql, "CREATE TABLE %s (", ident);
    for (size_t c = 0; c < cols->n; c++) {
        if (c) sb_append(&sql, ", ");
        db_quote_ident(&sql, cols->v[c]);
        sb_appendf(&sql, " %s", types->v[c]);
    }
    sb_append(&sql, ")");
    int rc = db_exec(u->con, sql.buf, u->err);
    sb_reset(&sql);
    if (rc == 0 && rows && rows->n) {
        struct strlist bad = {0};
        sb_appendf(&sql, "INSERT INTO %s VALUES ", ident);
        for (size_t r = 0; r < rows->n && rc == 0; r++) {
            const struct ynode *row = &rows->items[r];
            if (row->t != YNODE_MAP) {
                rc = fail_at(u, row->line, "a row must be a map of column: value%s", "");
                break;
            }
            for (size_t k = 0; k < row->n; k++)
                if (col_index(cols, row->keys[k]) < 0 && !strlist_has(&bad, row->keys[k])) strlist_push(&bad, row->keys[k]);
            if (bad.n) {
                rc = unknown_columns_error(u, row->line, cols, &bad);
                break;
            }
            sb_append(&sql, r ? ", (" : "(");
            for (size_t c = 0; c < cols->n && rc == 0; c++) {
                if (c) sb_append(&sql, ", ");
                const struct ynode *v = NULL;
                for (size_t k = 0; k < row->n && !v; k++)
                    if (!strcasecmp(row->keys[k], cols->v[c])) v = &row->items[k];
                if (!v) sb_append(&sql, "NULL");
                else rc = value_sql(u, v, types->v[c], &sql);
            }
            sb_append(&sql, ")");
        }
        strlist_free(&bad);
        if (rc == 0 && db_exec(u->con, sql.buf, u->err) < 0) rc = mt_err_prefix(u->err, "%s:%d: %s", u->file, line, ident);
    }
    sb_free(&sql);
    return rc;
}

/* The known column types of table canon (a model or an external model), as
 * model.columns_to_types; *all_known as setUp computes it. */
static void known_columns(struct ut *u, const char *canon, struct strlist *names, struct strlist *types, bool *all_known)
{
    struct strlist n = {0}, t = {0};
    *all_known = false;
    if ((project_find(u->p, canon) >= 0 || strlist_has(&u->p->externals, canon)) &&
        columns_lookup((void *)u->p, canon, &n, &t) == 0) {
        *all_known = n.n > 0;
        for (size_t i = 0; i < n.n; i++) {
            if (type_known(t.v[i])) {
                strlist_push(names, n.v[i]);
                strlist_push(types, t.v[i]);
            } else *all_known = false;
        }
    }
    strlist_free(&n);
    strlist_free(&t);
}

static int ensure_schema(struct ut *u, const char *canon)
{
    const char *last = strrchr(canon, '.');
    if (!last) return 0;
    char *schema = xstrndup(canon, (size_t)(last - canon));
    int rc = 0;
    const char *d = strchr(schema, '.');
    if (d) { /* another catalog (config.yaml `catalogs`): an in-memory one of that name */
        char *cat = xstrndup(schema, (size_t)(d - schema));
        strbuf q;
        sb_init(&q);
        sb_append(&q, "ATTACH IF NOT EXISTS ':memory:' AS ");
        db_quote_ident(&q, cat);
        rc = db_exec(u->con, q.buf, u->err);
        sb_free(&q);
        free(cat);
    }
    if (rc == 0) {
        strbuf q;
        sb_init(&q);
        sb_append(&q, "CREATE SCHEMA IF NOT EXISTS ");
        quote_name(schema, &q);
        rc = db_exec(u->con, q.buf, u->err);
        sb_free(&q);
    }
    free(schema);
    return rc;
}

/* One input: setUp's table for name. */
static int make_input(struct ut *u, const char *key, int line, const struct ynode *val, struct ynode *loaded)
{
    const struct ynode *rows = NULL, *query = NULL, *columns = NULL;
    if (val->t == YNODE_SEQ) rows = val;
    else if (val->t == YNODE_MAP) {
        static const char *const ok[] = {"rows", "query", "columns", "format", "path", "csv_settings", NULL};
        if (check_keys(u, val, ok, data_refused, "inputs: ") < 0) return -1;
        int l;
        rows = ynode_get(val, "rows", &l);
        if (ynode_get(val, "format", &l) || ynode_get(val, "path", &l) || ynode_get(val, "csv_settings", &l)) {
            if (ynode_get(val, "query", &l))
                return fail_at(u, line, "Invalid test, cannot set both 'query' and 'rows' for '%s'", key);
            if (load_rows(u, val, &rows, loaded) < 0) return -1;
        }
        query = ynode_get(val, "query", &l);
        columns = ynode_get(val, "columns", &l);
        if (rows && query) return fail_at(u, line, "Invalid test, cannot set both 'query' and 'rows' for '%s'", key);
        if (rows && ynode_is_null(rows)) rows = NULL;
        if (!rows && !query) return fail_at(u, line, "Incomplete test, missing row data for '%s'", key);
        if (rows && rows->t != YNODE_SEQ) return fail_at(u, rows->line, "'rows' of '%s' must be a list of rows", key);
        if (query && query->t != YNODE_SCALAR) return fail_at(u, query->line, "'query' of '%s' must be SQL text", key);
        if (columns && columns->t != YNODE_MAP)
            return fail_at(u, columns->line, "Invalid 'columns' value for model '%s', expected a mapping name -> type", key);
    } else if (ynode_is_null(val))
        return fail_at(u, line, "Incomplete test, missing row data for '%s'", key);
    else return fail_at(u, line, "Incomplete test, missing row data for '%s'", key);

    char *canon = project_canon_name(u->p, key);
    struct strlist names = {0}, types = {0};
    bool all_known;
    known_columns(u, canon, &names, &types, &all_known);
    for (size_t k = 0; columns && k < columns->n; k++) { /* the test's types win */
        char *c = lower_dup(columns->keys[k]);
        const char *t = ynode_text(&columns->items[k]);
        long i = col_index(&names, c);
        if (i >= 0) {
            free(types.v[i]);
            types.v[i] = xstrdup(t ? t : "UNKNOWN");
        } else {
            strlist_push(&names, c);
            strlist_push(&types, t ? t : "UNKNOWN");
        }
        free(c);
    }
    int rc = 0;
    if (!all_known && rows && rows->n && rows->items[0].t == YNODE_MAP) {
        const struct ynode *r0 = &rows->items[0];
        for (size_t k = 0; k < r0->n && rc == 0; k++) {
            if (col_index(&names, r0->keys[k]) >= 0) continue;
            const char *t = infer_type(&r0->items[k]);
            if (!t) {
                mt_errf(u->err,
                        "%s:%d: Failed to infer the data type of column '%s' for '%s'. This issue can be mitigated by "
                        "casting the column in the model definition, setting its type in external_models.yaml if it's "
                        "an external model, setting the model's 'columns' property, or setting its 'columns' mapping "
                        "in the test itself",
                        u->file, r0->key_lines[k], r0->keys[k], key);
                rc = -1;
            } else {
                char *c = lower_dup(r0->keys[k]);
                strlist_push(&names, c);
                strlist_push(&types, t);
                free(c);
            }
        }
    }
    strbuf ident;
    sb_init(&ident);
    quote_name(canon, &ident);
    if (rc == 0) rc = ensure_schema(u, canon);
    if (rc == 0 && query) {
        /* _add_missing_columns: the known columns the query lacks, as NULLs */
        strbuf q;
        sb_init(&q);
        sb_appendf(&q, "CREATE VIEW %s AS SELECT *", ident.buf);
        duckdb_result res;
        strbuf d;
        sb_init(&d);
        sb_appendf(&d, "DESCRIBE %s", query->s);
        rc = db_query(u->con, d.buf, &res, u->err);
        if (rc == 0) {
            struct strlist have = {0};
            for (idx_t r = 0; r < duckdb_row_count(&res); r++) {
                char *c = duckdb_value_varchar(&res, 0, r);
                strlist_push(&have, c ? c : "");
                duckdb_free(c);
            }
            duckdb_destroy_result(&res);
            for (size_t c = 0; c < names.n; c++) {
                if (col_index(&have, names.v[c]) >= 0) continue;
                sb_appendf(&q, ", CAST(NULL AS %s) AS ", types.v[c]);
                db_quote_ident(&q, names.v[c]);
            }
            strlist_free(&have);
            sb_appendf(&q, " FROM (%s)", query->s);
            rc = db_exec(u->con, q.buf, u->err);
        }
        if (rc < 0) mt_err_prefix(u->err, "%s:%d: input '%s'", u->file, query->line, key);
        sb_free(&d);
        sb_free(&q);
    } else if (rc == 0) {
        rc = table_from_rows(u, ident.buf, &names, &types, rows, line);
    }
    sb_free(&ident);
    strlist_free(&names);
    strlist_free(&types);
    free(canon);
    return rc;
}

/* ---- running a query and comparing ---- */

struct table {
    struct strlist cols, types;
    size_t nrows;
    char **cells;  /* nrows * cols.n, NULL for SQL NULL */
};

static void table_free(struct table *t)
{
    for (size_t i = 0; i < t->nrows * t->cols.n; i++) free(t->cells[i]);
    free(t->cells);
    strlist_free(&t->cols);
    strlist_free(&t->types);
    memset(t, 0, sizeof *t);
}

static int describe(struct ut *u, const char *table, struct strlist *cols, struct strlist *types)
{
    strbuf q;
    sb_init(&q);
    sb_appendf(&q, "SELECT column_name, column_type FROM (DESCRIBE %s)", table);
    duckdb_result res;
    int rc = db_query(u->con, q.buf, &res, u->err);
    sb_free(&q);
    if (rc < 0) return -1;
    for (idx_t r = 0; r < duckdb_row_count(&res); r++) {
        char *c = duckdb_value_varchar(&res, 0, r), *t = duckdb_value_varchar(&res, 1, r);
        strlist_push(cols, c ? c : "");
        strlist_push(types, t ? t : "");
        duckdb_free(c);
        duckdb_free(t);
    }
    duckdb_destroy_result(&res);
    return 0;
}

/* Reads table's columns cols (as text), sorted on all of them when sort. */
static int fetch(struct ut *u, const char *table, const struct strlist *cols, const struct strlist *types, bool sort,
                 struct table *out)
{
    strbuf q;
    sb_init(&q);
    sb_append(&q, "SELECT ");
    for (size_t c = 0; c < cols->n; c++) {
        sb_append(&q, c ? ", CAST(" : "CAST(");
        db_quote_ident(&q, cols->v[c]);
        sb_append(&q, " AS VARCHAR)");
    }
    sb_appendf(&q, " FROM %s", table);
    if (sort && cols->n) {
        sb_append(&q, " ORDER BY ");
        for (size_t c = 0; c < cols->n; c++) {
            if (c) sb_append(&q, ", ");
            db_quote_ident(&q, cols->v[c]);
            sb_append(&q, " NULLS LAST");
        }
    }
    duckdb_result res;
    int rc = db_query(u->con, q.buf, &res, u->err);
    sb_free(&q);
    if (rc < 0) return -1;
    memset(out, 0, sizeof *out);
    for (size_t c = 0; c < cols->n; c++) {
        strlist_push(&out->cols, cols->v[c]);
        strlist_push(&out->types, types->v[c]);
    }
    out->nrows = duckdb_row_count(&res);
    out->cells = xcalloc(out->nrows * cols->n + 1, sizeof(char *));
    for (idx_t r = 0; r < out->nrows; r++)
        for (idx_t c = 0; c < cols->n; c++) {
            if (duckdb_value_is_null(&res, c, r)) continue;
            char *v = duckdb_value_varchar(&res, c, r);
            out->cells[r * cols->n + c] = xstrdup(v ? v : "");
            duckdb_free(v);
        }
    duckdb_destroy_result(&res);
    return 0;
}

static bool is_float_type(const char *t)
{
    return !strncasecmp(t, "DOUBLE", 6) || !strncasecmp(t, "FLOAT", 5) || !strncasecmp(t, "DECIMAL", 7) ||
           !strncasecmp(t, "REAL", 4);
}

/* pandas' assert_frame_equal(check_exact=False): rtol 1e-5, atol 1e-8 for floats. */
static bool cell_equal(const char *e, const char *a, const char *type)
{
    if (!e || !a) return !e && !a;
    if (!strcmp(e, a)) return true;
    if (is_float_type(type)) {
        char *x, *y;
        double de = strtod(e, &x), da = strtod(a, &y);
        if (*x || *y) return false;
        if (isnan(de) && isnan(da)) return true;
        return fabs(de - da) <= 1e-8 + 1e-5 * fabs(da);
    }
    return false;
}

static bool row_equal(const struct table *e, size_t re, const struct table *a, size_t ra)
{
    for (size_t c = 0; c < e->cols.n; c++)
        if (!cell_equal(e->cells[re * e->cols.n + c], a->cells[ra * a->cols.n + c], a->types.v[c])) return false;
    return true;
}

static void print_rows(strbuf *out, const struct table *t, const bool *which)
{
    size_t nc = t->cols.n;
    size_t *w = xcalloc(nc + 1, sizeof(size_t));
    for (size_t c = 0; c < nc; c++) {
        w[c] = strlen(t->cols.v[c]);
        for (size_t r = 0; r < t->nrows; r++)
            if (which[r]) {
                const char *v = t->cells[r * nc + c];
                size_t l = strlen(v ? v : "NULL");
                if (l > w[c]) w[c] = l;
            }
    }
    sb_append(out, "    ");
    for (size_t c = 0; c < nc; c++)
        sb_appendf(out, "%s%-*s", c ? " | " : "", c + 1 < nc ? (int)w[c] : 0, t->cols.v[c]);
    sb_append(out, "\n");
    for (size_t r = 0; r < t->nrows; r++) {
        if (!which[r]) continue;
        sb_append(out, "    ");
        for (size_t c = 0; c < nc; c++) {
            const char *v = t->cells[r * nc + c];
            sb_appendf(out, "%s%-*s", c ? " | " : "", c + 1 < nc ? (int)w[c] : 0, v ? v : "NULL");
        }
        sb_append(out, "\n");
    }
    free(w);
}

/* assert_equal's report: 0 when equal, 1 with the diff in u->msg. */
static int compare(struct ut *u, const char *label, const struct table *e, const struct table *a)
{
    if (e->nrows != a->nrows) {
        /* SQLMesh: "Data mismatch (rows are different)", then missing and unexpected rows */
        bool *ue = xcalloc(e->nrows + 1, 1), *ua = xcalloc(a->nrows + 1, 1), *miss = xcalloc(e->nrows + 1, 1),
             *unexp = xcalloc(a->nrows + 1, 1);
        for (size_t i = 0; i < e->nrows; i++) {
            for (size_t j = 0; j < a->nrows && !ue[i]; j++)
                if (!ua[j] && row_equal(e, i, a, j)) ue[i] = ua[j] = true;
            miss[i] = !ue[i];
        }
        for (size_t j = 0; j < a->nrows; j++) unexp[j] = !ua[j];
        sb_appendf(u->msg, "  %s: Data mismatch (rows are different): %zu expected, %zu actual\n", label, e->nrows,
                   a->nrows);
        bool any = false;
        for (size_t i = 0; i < e->nrows; i++) any |= miss[i];
        if (any) {
            sb_append(u->msg, "  Missing rows:\n");
            print_rows(u->msg, e, miss);
        }
        any = false;
        for (size_t j = 0; j < a->nrows; j++) any |= unexp[j];
        if (any) {
            sb_append(u->msg, "  Unexpected rows:\n");
            print_rows(u->msg, a, unexp);
        }
        free(ue);
        free(ua);
        free(miss);
        free(unexp);
        return 1;
    }
    bool header = false;
    for (size_t r = 0; r < e->nrows; r++)
        for (size_t c = 0; c < e->cols.n; c++) {
            const char *x = e->cells[r * e->cols.n + c], *y = a->cells[r * a->cols.n + c];
            if (cell_equal(x, y, a->types.v[c])) continue;
            if (!header) {
                sb_appendf(u->msg, "  %s: Data mismatch (exp: expected, act: actual)\n", label);
                header = true;
            }
            sb_appendf(u->msg, "    row %zu, column %s: exp %s, act %s\n", r, e->cols.v[c], x ? x : "NULL",
                       y ? y : "NULL");
        }
    return header ? 1 : 0;
}

/* The expected side of one output (a list of rows, or {rows | query, partial}) checked
 * against the query actual_sql. */
static int check_output_rows(struct ut *u, const char *label, const char *actual_sql, bool sort,
                             const struct ynode *spec, bool partial, struct ynode *loaded)
{
    const struct ynode *rows = NULL, *query = NULL;
    if (spec->t == YNODE_SEQ) rows = spec;
    else if (spec->t == YNODE_MAP) {
        static const char *const ok[] = {"rows", "query", "partial", "format", "path", "csv_settings", NULL};
        if (check_keys(u, spec, ok, data_refused, "outputs: ") < 0) return -1;
        int l;
        rows = ynode_get(spec, "rows", &l);
        if (ynode_get(spec, "format", &l) || ynode_get(spec, "path", &l) || ynode_get(spec, "csv_settings", &l)) {
            if (ynode_get(spec, "query", &l))
                return fail_at(u, spec->line, "Invalid test, cannot set both 'query' and 'rows' for '%s'", label);
            if (load_rows(u, spec, &rows, loaded) < 0) return -1;
        }
        query = ynode_get(spec, "query", &l);
        const struct ynode *pt = ynode_get(spec, "partial", &l);
        if (pt && pt->t == YNODE_SCALAR && !strcasecmp(pt->s, "true")) partial = true;
        if (rows && query) return fail_at(u, spec->line, "Invalid test, cannot set both 'query' and 'rows' for '%s'", label);
        if (!rows && !query) return fail_at(u, spec->line, "Incomplete test, missing row data for '%s'", label);
        if (rows && ynode_is_null(rows)) rows = NULL;
        if (rows && rows->t != YNODE_SEQ) return fail_at(u, rows->line, "'rows' of '%s' must be a list", label);
    } else if (ynode_is_null(spec)) rows = NULL;
    else return fail_at(u, spec->line, "Incomplete test, missing row data for '%s'", label);

    strbuf q;
    sb_init(&q);
    sb_appendf(&q, "CREATE OR REPLACE TEMP TABLE __mt_actual AS %s", actual_sql);
    int rc = db_exec(u->con, q.buf, u->err);
    sb_free(&q);
    if (rc < 0) {
        mt_err_prefix(u->err, "running the %s", label);
        return -1;
    }
    struct strlist acols = {0}, atypes = {0}, ref = {0};
    rc = describe(u, "__mt_actual", &acols, &atypes);
    /* the columns the expected rows name, in first-seen order */
    if (rc == 0 && rows) {
        struct strlist bad = {0};
        for (size_t r = 0; r < rows->n; r++) {
            const struct ynode *row = &rows->items[r];
            if (row->t != YNODE_MAP) {
                rc = fail_at(u, row->line, "a row must be a map of column: value%s", "");
                break;
            }
            for (size_t k = 0; k < row->n; k++) {
                if (col_index(&ref, row->keys[k]) < 0) strlist_push(&ref, row->keys[k]);
                if (col_index(&acols, row->keys[k]) < 0 && !strlist_has(&bad, row->keys[k])) strlist_push(&bad, row->keys[k]);
            }
        }
        if (rc == 0 && bad.n) rc = unknown_columns_error(u, rows->line, &acols, &bad);
        strlist_free(&bad);
    } else if (rc == 0 && query) {
        strbuf d;
        sb_init(&d);
        sb_appendf(&d, "(%s)", query->s);
        struct strlist t = {0};
        rc = describe(u, d.buf, &ref, &t);
        strlist_free(&t);
        sb_free(&d);
    }
    /* the compared columns: all of the actual ones, or (partial) those named */
    struct strlist cols = {0}, types = {0};
    for (size_t c = 0; rc == 0 && c < acols.n; c++)
        if (!partial || col_index(&ref, acols.v[c]) >= 0) {
            strlist_push(&cols, acols.v[c]);
            strlist_push(&types, atypes.v[c]);
        }
    if (rc == 0) rc = db_exec(u->con, "DROP TABLE IF EXISTS __mt_expected", u->err);
    if (rc == 0) {
        if (rows) {
            /* a table with the actual types: expected values are cast to them (astype) */
            rc = table_from_rows(u, "__mt_expected", &cols, &types, rows, spec->line);
        } else if (query) {
            rc = table_from_rows(u, "__mt_expected", &cols, &types, NULL, spec->line);
            if (rc == 0) {
                strbuf ins;
                sb_init(&ins);
                sb_appendf(&ins, "INSERT INTO __mt_expected BY NAME SELECT * FROM (%s)", query->s);
                rc = db_exec(u->con, ins.buf, u->err);
                sb_free(&ins);
            }
        } else rc = table_from_rows(u, "__mt_expected", &cols, &types, NULL, spec->line);
    }
    struct table e = {0}, a = {0};
    if (rc == 0) rc = fetch(u, "__mt_expected", &cols, &types, sort, &e);
    if (rc == 0) rc = fetch(u, "__mt_actual", &cols, &types, sort, &a);
    if (rc == 0) rc = compare(u, label, &e, &a);
    table_free(&e);
    table_free(&a);
    strlist_free(&cols);
    strlist_free(&types);
    strlist_free(&acols);
    strlist_free(&atypes);
    strlist_free(&ref);
    return rc;
}

static int check_output(struct ut *u, const char *label, const char *actual_sql, bool sort, const struct ynode *spec,
                        bool partial)
{
    struct ynode loaded;
    memset(&loaded, 0, sizeof loaded);
    int rc = check_output_rows(u, label, actual_sql, sort, spec, partial, &loaded);
    ynode_free(&loaded);
    return rc;
}

/* ---- the model's query ---- */

/* execution_time freezes the current time (definition.py: time_machine and the CURRENT_*
 * transforms): CURRENT_DATE, CURRENT_TIMESTAMP, CURRENT_TIME, now(), today(),
 * get_current_timestamp() and transaction_timestamp() become casts of it; literals,
 * quoted identifiers and comments are left alone. */
static char *freeze_now(const char *sql, const char *ts)
{
    static const struct {
        const char *word, *type;
        bool call;
    } subs[] = {{"current_date", "DATE", false},        {"current_timestamp", "TIMESTAMP", false},
                {"current_time", "TIME", false},        {"now", "TIMESTAMP", true},
                {"today", "DATE", true},                {"get_current_timestamp", "TIMESTAMP", true},
                {"transaction_timestamp", "TIMESTAMP", true}};
    strbuf out;
    sb_init(&out);
    const char *s = sql;
    while (*s) {
        if (*s == '\'' || *s == '"') {
            char q = *s;
            const char *e = s + 1;
            while (*e && !(*e == q && e[1] != q)) e += (*e == q) ? 2 : 1;
            if (*e) e++;
            sb_append_len(&out, s, (size_t)(e - s));
            s = e;
            continue;
        }
        if (s[0] == '-' && s[1] == '-') {
            const char *e = strchr(s, '\n');
            if (!e) e = s + strlen(s);
            sb_append_len(&out, s, (size_t)(e - s));
            s = e;
            continue;
        }
        if (s[0] == '/' && s[1] == '*') {
            const char *e = strstr(s + 2, "*/");
            e = e ? e + 2 : s + strlen(s);
            sb_append_len(&out, s, (size_t)(e - s));
            s = e;
            continue;
        }
        if (isalpha((unsigned char)*s) || *s == '_') {
            const char *e = s;
            while (isalnum((unsigned char)*e) || *e == '_') e++;
            bool prev_dot = s > sql && s[-1] == '.';
            size_t n = (size_t)(e - s);
            bool done = false;
            for (size_t k = 0; k < sizeof subs / sizeof subs[0] && !done && !prev_dot; k++) {
                if (strlen(subs[k].word) != n || strncasecmp(s, subs[k].word, n)) continue;
                const char *after = e;
                while (isspace((unsigned char)*after)) after++;
                if (subs[k].call) {
                    if (*after != '(') continue;
                    const char *close = after + 1;
                    while (isspace((unsigned char)*close)) close++;
                    if (*close != ')') continue;
                    e = close + 1;
                } else if (*after == '(') { /* current_date() */
                    const char *close = after + 1;
                    while (isspace((unsigned char)*close)) close++;
                    if (*close == ')') e = close + 1;
                }
                sb_appendf(&out, "CAST('%s' AS %s)", ts, subs[k].type);
                done = true;
            }
            if (!done) sb_append_len(&out, s, (size_t)(e - s));
            s = e;
            continue;
        }
        sb_append_char(&out, *s++);
    }
    return sb_detach(&out);
}

static bool is_time_key(const char *k)
{
    return !strncmp(k, "start_", 6) || !strncmp(k, "end_", 4) || !strncmp(k, "execution_", 10) ||
           !strncmp(k, "latest", 6);
}

/* SQLMesh's to_datetime of a test's time value; *is_date when it names a day (make_inclusive). */
static int test_time(struct ut *u, const struct ynode *v, int line, int64_t *us, bool *is_date)
{
    const char *s = ynode_text(v);
    *is_date = false;
    if (!s) return fail_at(u, line, "a time must be a date, a timestamp or epoch milliseconds%s", "");
    if (all_digits(s, strlen(s)) && strlen(s) > 8) {
        *us = strtoll(s, NULL, 10) * 1000;
        return 0;
    }
    if (time_parse(s, us) < 0) return fail_at(u, line, "'%s' is not a date or timestamp materia can read", s);
    *is_date = strlen(s) == 10;
    return 0;
}

/* SELECT * FROM cte under all of the query's CTEs, from DuckDB's parse tree. */
static int cte_query(struct ut *u, const char *sql, const char *cte, strbuf *out)
{
    strbuf q, star;
    sb_init(&q);
    sb_init(&star);
    sb_append(&star, "SELECT * FROM ");
    db_quote_ident(&star, cte);
    sb_append(&q, "SELECT json_deserialize_sql(replace(json_serialize_sql(");
    db_quote_literal(&q, star.buf);
    sb_append(&q, ")::VARCHAR, '\"cte_map\":{\"map\":[]}', '\"cte_map\":' || (json_serialize_sql(");
    db_quote_literal(&q, sql);
    sb_append(&q, ")->'$.statements[0].node.cte_map')::VARCHAR)::JSON)");
    char *s = NULL;
    int rc = db_query_str(u->con, q.buf, &s, u->err);
    if (rc == 0) sb_append(out, s ? s : "");
    free(s);
    sb_free(&q);
    sb_free(&star);
    return rc;
}

/* The parse tree facts test_ctes/runTest use: the top-level ORDER BY, and each CTE's. */
struct shape {
    bool ordered;
    struct strlist ctes;
    bool *cte_ordered;
};

static bool has_order(const struct json *node)
{
    const struct json *mods = json_get(node, "modifiers");
    for (size_t k = 0; mods && mods->t == JSON_ARR && k < mods->n; k++)
        if (!strcmp(json_str(&mods->items[k], "type"), "ORDER_MODIFIER")) return true;
    return false;
}

static int query_shape(struct ut *u, const char *sql, struct shape *sh)
{
    strbuf q;
    sb_init(&q);
    sb_append(&q, "SELECT json_serialize_sql(");
    db_quote_literal(&q, sql);
    sb_append(&q, ")");
    char *s = NULL;
    int rc = db_query_str(u->con, q.buf, &s, u->err);
    sb_free(&q);
    if (rc < 0) return -1;
    struct json j;
    rc = json_parse(s ? s : "{}", &j, u->err);
    free(s);
    if (rc < 0) return -1;
    const struct json *st = json_get(&j, "statements");
    const struct json *node = st && st->t == JSON_ARR && st->n ? json_get(&st->items[0], "node") : NULL;
    if (!node) {
        const char *m = json_str(&j, "error_message");
        rc = mt_errf(u->err, "%s: the model's query does not parse: %s", u->name, m);
    } else {
        sh->ordered = has_order(node);
        const struct json *map = json_get(json_get(node, "cte_map"), "map");
        size_t n = map && map->t == JSON_ARR ? map->n : 0;
        sh->cte_ordered = xcalloc(n + 1, sizeof(bool));
        for (size_t k = 0; k < n; k++) {
            strlist_push(&sh->ctes, json_str(&map->items[k], "key"));
            const struct json *v = json_get(&map->items[k], "value");
            sh->cte_ordered[k] = has_order(json_get(json_get(v, "query"), "node"));
        }
    }
    json_free(&j);
    return rc;
}

/* vars: the project's variables with the test's over them (lower-case names). The result's
 * first n_own items are owned (converted from YAML); the rest point into the project's. */
static void merge_vars(const struct json *proj, const struct ynode *vars, struct json *out, size_t *n_own)
{
    memset(out, 0, sizeof *out);
    out->t = JSON_OBJ;
    size_t cap = (proj ? proj->n : 0) + (vars ? vars->n : 0) + 1;
    out->keys = xcalloc(cap, sizeof(char *));
    out->items = xcalloc(cap, sizeof(struct json));
    for (size_t k = 0; vars && k < vars->n; k++) {
        char *key = lower_dup(vars->keys[k]);
        if (!strcmp(key, "start") || !strcmp(key, "end") || !strcmp(key, "execution_time")) {
            free(key);
            continue;
        }
        out->keys[out->n] = key;
        ynode_json(&vars->items[k], &out->items[out->n]);
        out->n++;
    }
    *n_own = out->n;
    for (size_t k = 0; proj && proj->t == JSON_OBJ && k < proj->n; k++) {
        bool over = false;
        for (size_t j = 0; j < *n_own && !over; j++) over = !strcmp(out->keys[j], proj->keys[k]);
        if (over) continue;
        out->keys[out->n] = xstrdup(proj->keys[k]);
        out->items[out->n] = proj->items[k]; /* borrowed */
        out->n++;
    }
}

static void merged_vars_free(struct json *v, size_t n_own)
{
    for (size_t k = 0; k < v->n; k++) {
        free(v->keys[k]);
        if (k < n_own) json_free(&v->items[k]);
    }
    free(v->keys);
    free(v->items);
}

/* One test: 0 passed, 1 failed (report in u->msg), -1 error (u->err). */
static int run_test(struct ut *u, const struct ynode *body, int line)
{
    if (body->t != YNODE_MAP) return fail_at(u, line, "test '%s' must be a map (model, inputs, outputs)", u->name);
    static const char *const ok[] = {"model", "inputs", "outputs", "vars", "description", NULL};
    static const struct refused_key known[] = {
        {"schema", "materia builds the fixtures under the tables' own names in a private in-memory DuckDB; there "
                   "is no fixture schema to name"},
        {"gateway", "materia runs every unit test on an in-memory DuckDB, not on a gateway's test connection"},
        {NULL, NULL}};
    if (check_keys(u, body, ok, known, "") < 0) return -1;
    int l, ml = line;
    const struct ynode *mn = ynode_get(body, "model", &ml);
    if (!mn || !ynode_text(mn) || !*ynode_text(mn)) return fail_at(u, line, "Missing required 'model' field%s", "");
    char *canon = project_canon_name(u->p, ynode_text(mn));
    long i = project_find(u->p, canon);
    if (i < 0) {
        int r = fail_at(u, ml, "Model '%s' was not found", canon);
        free(canon);
        return r;
    }
    free(canon);
    const struct model *m = &u->p->models[i];
    if (m->kind == KIND_SEED)
        return fail_at(u, ml, "Model '%s' is an unsupported model type for testing (a SEED: SQLMesh tests SQL and "
                              "Python models only)", m->name);
    int il = line;
    const struct ynode *inputs = ynode_get(body, "inputs", &il), *outputs = ynode_get(body, "outputs", &l),
                       *vars = ynode_get(body, "vars", &l);
    if (!outputs || outputs->t != YNODE_MAP || !outputs->n) return fail_at(u, line, "Incomplete test, missing outputs%s", "");
    static const char *const ook[] = {"query", "ctes", "partial", NULL};
    if (check_keys(u, outputs, ook, NULL, "outputs: ") < 0) return -1;
    const struct ynode *oq = ynode_get(outputs, "query", &l), *oc = ynode_get(outputs, "ctes", &l),
                       *op = ynode_get(outputs, "partial", &l);
    bool partial = op && op->t == YNODE_SCALAR && !strcasecmp(op->s, "true");
    if (!oq && !oc) return fail_at(u, outputs->line, "Incomplete test, outputs must contain 'query' or 'ctes'%s", "");
    if (oc && oc->t != YNODE_MAP) return fail_at(u, oc->line, "'ctes' must map CTE names to rows%s", "");
    if (inputs && !ynode_is_null(inputs) && inputs->t != YNODE_MAP)
        return fail_at(u, inputs->line, "'inputs' must map table names to rows%s", "");
    if (vars && !ynode_is_null(vars) && vars->t != YNODE_MAP) return fail_at(u, vars->line, "'vars' must be a map%s", "");
    if (vars && vars->t != YNODE_MAP) vars = NULL;
    if (inputs && inputs->t != YNODE_MAP) inputs = NULL;

    /* times */
    int64_t s_us = 0, e_us = 86400 * US_PER_SEC, x_us = 0;
    bool have_exec = false;
    for (size_t k = 0; vars && k < vars->n; k++) {
        char *key = lower_dup(vars->keys[k]);
        bool is_date;
        int rc = 0;
        if (!strcmp(key, "start")) rc = test_time(u, &vars->items[k], vars->key_lines[k], &s_us, &is_date);
        else if (!strcmp(key, "end")) {
            rc = test_time(u, &vars->items[k], vars->key_lines[k], &e_us, &is_date);
            if (rc == 0 && is_date) e_us += 86400 * US_PER_SEC; /* make_inclusive: the whole day */
        } else if (!strcmp(key, "execution_time")) {
            rc = test_time(u, &vars->items[k], vars->key_lines[k], &x_us, &is_date);
            have_exec = true;
        } else if (is_time_key(key)) {
            strbuf w;
            sb_init(&w);
            sb_appendf(&w, "vars: %s", vars->keys[k]);
            rc = refuse(u, vars->key_lines[k], w.buf, "set the time with start, end and execution_time; the "
                                                      "derived time variables follow from them");
            sb_free(&w);
        }
        free(key);
        if (rc < 0) return -1;
    }

    /* inputs: every table the model reads, when any is given; its own rows empty */
    const struct project *p = u->p;
    struct strlist given = {0};
    for (size_t k = 0; inputs && k < inputs->n; k++) {
        char *c = project_canon_name(p, inputs->keys[k]);
        strlist_push(&given, c);
        free(c);
    }
    int rc = 0;
    if (inputs && inputs->n)
        for (size_t k = 0; p->parent_names && k < p->parent_names[i].n && rc == 0; k++) {
            const char *dep = p->parent_names[i].v[k];
            if (!strcasecmp(dep, m->name)) continue;
            if (!strlist_has(&given, dep)) rc = fail_at(u, il, "Incomplete test, missing input model '%s'", dep);
        }
    for (size_t k = 0; inputs && k < inputs->n && rc == 0; k++)
    {
        struct ynode loaded;
        memset(&loaded, 0, sizeof loaded);
        rc = make_input(u, inputs->keys[k], inputs->key_lines[k], &inputs->items[k], &loaded);
        ynode_free(&loaded);
    }
    strbuf self;
    sb_init(&self);
    quote_name(m->name, &self);
    if (rc == 0 && p->self_ref && p->self_ref[i] && !strlist_has(&given, m->name)) {
        struct strlist n = {0}, t = {0};
        bool all;
        known_columns(u, m->name, &n, &t, &all);
        rc = ensure_schema(u, m->name);
        if (rc == 0) rc = table_from_rows(u, self.buf, &n, &t, NULL, line);
        strlist_free(&n);
        strlist_free(&t);
    }
    strlist_free(&given);

    /* render as a run does, with the test's variables and times */
    struct json mv;
    size_t n_own;
    merge_vars(p->vars, vars, &mv, &n_own);
    struct render_ctx ctx;
    project_render_ctx(p, (size_t)i, u->cfg, &ctx);
    ctx.vars = &mv;
    ctx.this_model = self.buf;
    ctx.start_us = s_us;
    ctx.end_us = e_us;
    ctx.exec_us = x_us;
    strbuf raw, sql;
    sb_init(&raw);
    sb_init(&sql);
    if (rc == 0) rc = macro_render(m->query, m->file, m->query_line, &ctx, &raw, u->err);
    if (rc == 0) rc = names_qualify(p, (size_t)i, u->con, raw.buf, self.buf, &sql, u->err);
    merged_vars_free(&mv, n_own);
    char *run_sql = NULL;
    if (rc == 0) {
        /* one statement, without its trailing semicolons */
        size_t n = sql.len;
        while (n && (isspace((unsigned char)sql.buf[n - 1]) || sql.buf[n - 1] == ';')) n--;
        char *trim = xstrndup(sql.buf, n);
        if (have_exec) {
            char ts[40];
            time_fmt_ts(x_us, ts);
            run_sql = freeze_now(trim, ts);
            free(trim);
        } else run_sql = trim;
    }
    struct shape sh = {0};
    if (rc == 0) rc = query_shape(u, run_sql, &sh);
    int failed = 0;
    for (size_t k = 0; rc == 0 && oc && k < oc->n; k++) {
        long ci = col_index(&sh.ctes, oc->keys[k]);
        if (ci < 0) {
            rc = fail_at(u, oc->key_lines[k], "No CTE named %s found in model", oc->keys[k]);
            break;
        }
        strbuf cq, label;
        sb_init(&cq);
        sb_init(&label);
        sb_appendf(&label, "CTE %s", oc->keys[k]);
        rc = cte_query(u, run_sql, sh.ctes.v[ci], &cq);
        if (rc == 0) rc = check_output(u, label.buf, cq.buf, !sh.cte_ordered[ci], &oc->items[k], partial);
        if (rc == 1) failed = 1, rc = 0;
        sb_free(&cq);
        sb_free(&label);
    }
    if (rc == 0 && oq) {
        rc = check_output(u, "query", run_sql, !sh.ordered, oq, partial);
        if (rc == 1) failed = 1, rc = 0;
    }
    strlist_free(&sh.ctes);
    free(sh.cte_ordered);
    free(run_sql);
    sb_free(&raw);
    sb_free(&sql);
    sb_free(&self);
    return rc < 0 ? -1 : failed;
}

/* ---- discovery and the run ---- */

/* tests/ ** / test*.yaml|yml, sorted. A folder below tests/ that holds a config.yaml,
 * config.yml or config.py is another project (this source tree keeps SQLMesh projects as
 * fixtures under tests/fixtures/): its tests are its own, not this project's. */
static bool is_project_dir(const char *dir)
{
    static const char *const names[] = {"config.yaml", "config.yml", "config.py"};
    for (size_t k = 0; k < 3; k++) {
        char *f = fs_join(dir, names[k]);
        bool there = fs_exists(f);
        free(f);
        if (there) return true;
    }
    return false;
}

static void collect_tests(const char *dir, const char *rel, struct strlist *out)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    struct strlist names = {0};
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        strlist_push(&names, e->d_name);
    }
    closedir(d);
    strlist_sort(&names);
    for (size_t k = 0; k < names.n; k++) {
        char *path = fs_join(dir, names.v[k]), *r = fs_join(rel, names.v[k]);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            if (!is_project_dir(path)) collect_tests(path, r, out);
        }
        else if (!strncmp(names.v[k], "test", 4)) {
            size_t n = strlen(names.v[k]);
            if ((n > 5 && !strcmp(names.v[k] + n - 5, ".yaml")) || (n > 4 && !strcmp(names.v[k] + n - 4, ".yml")))
                strlist_push(out, r);
        }
        free(path);
        free(r);
    }
    strlist_free(&names);
}

static bool selected(const char *fq, char **pat, int npat)
{
    if (!npat) return true;
    for (int k = 0; k < npat; k++) {
        if (strchr(pat[k], '*') ? fnmatch(pat[k], fq, 0) == 0 : strstr(fq, pat[k]) != NULL) return true;
    }
    return false;
}

int unittest_run_all(const struct config *cfg, char **patterns, int npat, FILE *out, struct ut_summary *sum,
                     struct mt_err *err)
{
    memset(sum, 0, sizeof *sum);
    struct db pd;
    if (db_open(&pd, ":memory:", false, 1, err) < 0) return -1;
    struct project p;
    memset(&p, 0, sizeof p);
    int rc = project_load(cfg, &p, err);
    if (rc == 0) rc = dag_build(&p, cfg, pd.con, err);
    struct strlist files = {0};
    if (rc == 0) {
        char *tdir = fs_join(p.dir, "tests");
        collect_tests(tdir, "tests", &files);
        free(tdir);
    }
    strbuf report;
    sb_init(&report);
    for (size_t f = 0; rc == 0 && f < files.n; f++) {
        char *path = fs_join(p.dir, files.v[f]);
        struct ynode root;
        rc = yaml_load_file(path, &root, err);
        free(path);
        if (rc < 0) break;
        if (root.t != YNODE_MAP) {
            rc = mt_errf(err, "%s:%d: a test file maps test names to tests", files.v[f], root.line);
            ynode_free(&root);
            break;
        }
        for (size_t t = 0; t < root.n; t++) {
            char *fq = xasprintf("%s::%s", files.v[f], root.keys[t]);
            if (!selected(fq, patterns, npat)) {
                free(fq);
                continue;
            }
            struct mt_err terr = MT_ERR_INIT;
            strbuf msg;
            sb_init(&msg);
            struct db d;
            int r = db_open(&d, ":memory:", false, 1, &terr);
            struct ut u = {.p = &p, .cfg = cfg, .file = files.v[f], .name = root.keys[t], .con = d.con, .msg = &msg,
                           .err = &terr};
            if (r == 0 && p.catalog && strcmp(p.catalog, "memory")) {
                /* the lakehouse's catalog name, so names written with it resolve */
                strbuf q;
                sb_init(&q);
                sb_append(&q, "ATTACH ':memory:' AS ");
                db_quote_ident(&q, p.catalog);
                sb_append(&q, "; USE ");
                db_quote_ident(&q, p.catalog);
                r = db_exec(d.con, q.buf, &terr);
                sb_free(&q);
            }
            if (r == 0) r = run_test(&u, &root.items[t], root.key_lines[t]);
            db_close(&d);
            if (r == 0) {
                sum->passed++;
                fprintf(out, "%s ... ok\n", fq);
            } else {
                sum->failed++;
                fprintf(out, "%s ... FAIL\n", fq);
                sb_appendf(&report, "FAIL: %s (%s)\n", root.keys[t], files.v[f]);
                if (r < 0) sb_appendf(&report, "  %s\n", terr.msg);
                else sb_append(&report, msg.buf ? msg.buf : "");
            }
            sb_free(&msg);
            free(fq);
        }
        ynode_free(&root);
    }
    if (rc == 0) {
        if (report.len) fprintf(out, "\n%s", report.buf);
        fprintf(out, "\nRan %d test%s: %d passed, %d failed\n", sum->passed + sum->failed,
                sum->passed + sum->failed == 1 ? "" : "s", sum->passed, sum->failed);
    }
    sb_free(&report);
    strlist_free(&files);
    project_free(&p);
    db_close(&pd);
    return rc;
}
