/* unittest_rows.c — the rows of a unit test and the fixture tables made from them, as
 * SQLMesh's ModelTest reads and loads them (sqlmesh/core/test/definition.py: _normalize_rows,
 * setUp, _create_df, _add_missing_columns): rows as YAML, as CSV (format csv, inline or a
 * path; pandas' read_csv is DuckDB's read_csv here, so only the `sep` setting is honoured) or
 * from a YAML file; column types from the model, the test's `columns`, else the first row;
 * the key checks that refuse what materia does not run (unittest_int.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "transform/unittest_int.h"
#include "util/db.h"
#include "util/fsutil.h"

int ut_refuse(struct ut *u, int line, const char *what, const char *why)
{
    return mt_err_set(u->err, MT_ERR_FORMAT, "%s:%d: %s is not supported by materia: %s", u->file, line, what, why);
}

int ut_fail_at(struct ut *u, int line, const char *fmt, const char *a)
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
int ut_check_keys(struct ut *u, const struct ynode *map, const char *const *ok, const struct refused_key *known,
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
        ut_refuse(u, map->key_lines[k], w.buf,
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
    char *tmp = NULL; /* the inline text's file, removed below on every path */
    int rc = 0;
    if (!file) {
        const char *dir = getenv("TMPDIR");
        tmp = xasprintf("%s/materia-test-XXXXXX", dir && *dir ? dir : "/tmp");
        int fd = mkstemp(tmp);
        size_t n = strlen(text);
        if (fd < 0 || write(fd, text, n) != (ssize_t)n)
            rc = mt_errf(u->err, "%s:%d: cannot write the CSV rows to %s: %s", u->file, line, tmp, strerror(errno));
        if (fd >= 0) close(fd);
        else {
            free(tmp); /* nothing was created */
            tmp = NULL;
        }
        file = tmp ? tmp : "";
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
int ut_load_rows(struct ut *u, const struct ynode *spec, const struct ynode **rows, struct ynode *loaded)
{
    int l = spec->line, fl = spec->line, pl = spec->line, cl = spec->line;
    const struct ynode *fmt = ynode_get(spec, "format", &fl), *path = ynode_get(spec, "path", &pl),
                       *cs = ynode_get(spec, "csv_settings", &cl);
    const char *f = fmt ? ynode_text(fmt) : NULL;
    memset(loaded, 0, sizeof *loaded);
    if (f && strcmp(f, "csv") && strcmp(f, "yaml"))
        return ut_fail_at(u, fl, "Unsupported data format '%s'", f);
    bool csv = f && !strcmp(f, "csv");
    if (cs && !csv) return ut_refuse(u, cl, "csv_settings", "it only applies with format: csv");
    if (cs && cs->t != YNODE_MAP) return ut_fail_at(u, cl, "csv_settings must be a map of read_csv settings%s", "");
    const char *sep = ",";
    for (size_t k = 0; cs && k < cs->n; k++) {
        if ((!strcmp(cs->keys[k], "sep") || !strcmp(cs->keys[k], "delimiter")) && ynode_text(&cs->items[k]))
            sep = ynode_text(&cs->items[k]);
        else {
            strbuf w;
            sb_init(&w);
            sb_appendf(&w, "csv_settings: %s", cs->keys[k]);
            ut_refuse(u, cs->key_lines[k], w.buf, "of pandas' read_csv settings only sep/delimiter are honoured");
            sb_free(&w);
            return -1;
        }
    }
    char *file = NULL;
    if (path) {
        const char *ps = ynode_text(path);
        if (!ps || !*ps) return ut_fail_at(u, pl, "'path' must name a file%s", "");
        file = ps[0] == '/' ? xstrdup(ps) : fs_join(u->p->dir, ps);
    }
    int rc = 0;
    if (csv) {
        const struct ynode *text = ynode_get(spec, "rows", &l);
        if (!file && (!text || text->t != YNODE_SCALAR))
            rc = ut_fail_at(u, spec->line, "format csv needs the CSV text under rows, or a path%s", "");
        else rc = csv_rows(u, file, file ? NULL : text->s, sep, file ? pl : text->line, loaded);
        if (rc == 0) *rows = loaded;
    } else if (file) {
        rc = yaml_load_file(file, loaded, u->err);
        if (rc == 0) {
            const struct ynode *r = loaded->t == YNODE_MAP ? ynode_get(loaded, "rows", &l) : loaded;
            if (!r || r->t != YNODE_SEQ) rc = ut_fail_at(u, pl, "%s holds no list of rows", file);
            else *rows = r;
        }
    }
    free(file);
    return rc;
}

int ut_rows_or_query(struct ut *u, const struct ynode *spec, int line, const char *label, const struct ynode **rows,
                     const struct ynode **query, struct ynode *loaded)
{
    int l;
    *rows = ynode_get(spec, "rows", &l);
    *query = ynode_get(spec, "query", &l);
    bool file = ynode_get(spec, "format", &l) || ynode_get(spec, "path", &l) || ynode_get(spec, "csv_settings", &l);
    if (*query && (*rows || file))
        return ut_fail_at(u, line, "Invalid test, cannot set both 'query' and 'rows' for '%s'", label);
    return file ? ut_load_rows(u, spec, rows, loaded) : 0;
}

const struct refused_key ut_no_refused[] = {{NULL, NULL}};

int ut_partial(struct ut *u, const struct ynode *n, const char *where, bool *partial)
{
    if (!n) return 0;
    struct json j;
    ynode_json(n, &j);
    bool ok = n->t == YNODE_SCALAR && j.t == JSON_BOOL;
    if (ok) *partial = j.b;
    json_free(&j);
    if (ok) return 0;
    return mt_errf(u->err, "%s:%d: %spartial must be true or false, not '%s'", u->file, n->line, where,
                   ynode_text(n) ? ynode_text(n) : "a list or a map");
}

/* ---- names and values ---- */

void ut_quote_name(const char *canon, strbuf *out)
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

char *ut_lower_dup(const char *s)
{
    char *d = xstrdup(s);
    for (char *q = d; *q; q++) *q = (char)tolower((unsigned char)*q);
    return d;
}

bool ut_all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return false;
    return n > 0;
}

/* The DuckDB type sqlglot's annotate_types gives exp.convert(value) of a YAML value as
 * ruamel reads it (dates and timestamps are typed there); NULL when unknown: a null, and —
 * unlike sqlglot — a list or a map (give the column's type in the model or the test). */
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
    } else if (strlen(s) == 10 && ut_all_digits(s, 4) && s[4] == '-' && s[7] == '-')
        t = "DATE";
    else if (strlen(s) >= 16 && ut_all_digits(s, 4) && s[4] == '-' && s[7] == '-' && (s[10] == ' ' || s[10] == 'T'))
        t = "TIMESTAMP";
    json_free(&j);
    return t;
}

static bool type_known(const char *t)
{
    return t && *t && strcasecmp(t, "UNKNOWN") && strcasecmp(t, "NULL");
}

/* A YAML value as JSON text (typed as SQLMesh's loader types it). */
static void ynode_json_text(const struct ynode *v, strbuf *out)
{
    if (v->t == YNODE_SEQ || v->t == YNODE_MAP) {
        sb_append_char(out, v->t == YNODE_SEQ ? '[' : '{');
        for (size_t k = 0; k < v->n; k++) {
            if (k) sb_append_char(out, ',');
            if (v->t == YNODE_MAP) {
                sb_append_json_str(out, v->keys[k]);
                sb_append_char(out, ':');
            }
            ynode_json_text(&v->items[k], out);
        }
        sb_append_char(out, v->t == YNODE_SEQ ? ']' : '}');
        return;
    }
    struct json j;
    ynode_json(v, &j);
    if (j.t == JSON_NULL) sb_append(out, "null");
    else if (j.t == JSON_BOOL) sb_append(out, j.b ? "true" : "false");
    else if (j.t == JSON_NUM && strcasecmp(j.s, ".nan") && strcasecmp(j.s, ".inf") && strcasecmp(j.s, "-.inf"))
        sb_append(out, j.s);
    else sb_append_json_str(out, v->s ? v->s : "");
    json_free(&j);
}

/* A YAML value as a DuckDB literal of type: NULL, or CAST('text' AS type); a list or a map
 * (for a LIST, STRUCT or MAP column) goes through DuckDB's JSON cast. */
static int value_sql(struct ut *u, const struct ynode *v, const char *type, strbuf *out)
{
    if (v->t != YNODE_SCALAR) {
        strbuf j;
        sb_init(&j);
        ynode_json_text(v, &j);
        sb_append(out, "CAST(CAST(");
        db_quote_literal(out, j.buf);
        sb_appendf(out, " AS JSON) AS %s)", type);
        sb_free(&j);
        return 0;
    }
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

long ut_col_index(const struct strlist *names, const char *c)
{
    for (size_t i = 0; i < names->n; i++)
        if (!strcasecmp(names->v[i], c)) return (long)i;
    return -1;
}

int ut_unknown_columns_error(struct ut *u, int line, const struct strlist *cols, const struct strlist *bad)
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
int ut_table_from_rows(struct ut *u, const char *ident, const struct strlist *cols, const struct strlist *types,
                       const struct ynode *rows, int line)
{
    if (!cols->n) return ut_fail_at(u, line, "no columns known for '%s': give rows or its 'columns'", ident);
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
                rc = ut_fail_at(u, row->line, "a row must be a map of column: value%s", "");
                break;
            }
            for (size_t k = 0; k < row->n; k++)
                if (ut_col_index(cols, row->keys[k]) < 0 && !strlist_has(&bad, row->keys[k])) strlist_push(&bad, row->keys[k]);
            if (bad.n) {
                rc = ut_unknown_columns_error(u, row->line, cols, &bad);
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
void ut_known_columns(struct ut *u, const char *canon, struct strlist *names, struct strlist *types, bool *all_known)
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

int ut_ensure_schema(struct ut *u, const char *canon)
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
        ut_quote_name(schema, &q);
        rc = db_exec(u->con, q.buf, u->err);
        sb_free(&q);
    }
    free(schema);
    return rc;
}

/* One input: setUp's table for name. */
int ut_make_input(struct ut *u, const char *key, int line, const struct ynode *val, struct ynode *loaded)
{
    const struct ynode *rows = NULL, *query = NULL, *columns = NULL;
    if (val->t == YNODE_SEQ) rows = val;
    else if (val->t == YNODE_MAP) {
        static const char *const ok[] = {"rows", "query", "columns", "format", "path", "csv_settings", NULL};
        if (ut_check_keys(u, val, ok, ut_no_refused, "inputs: ") < 0) return -1;
        int l;
        if (ut_rows_or_query(u, val, line, key, &rows, &query, loaded) < 0) return -1;
        columns = ynode_get(val, "columns", &l);
        if (rows && ynode_is_null(rows)) rows = NULL;
        if (!rows && !query) return ut_fail_at(u, line, "Incomplete test, missing row data for '%s'", key);
        if (rows && rows->t != YNODE_SEQ) return ut_fail_at(u, rows->line, "'rows' of '%s' must be a list of rows", key);
        if (query && query->t != YNODE_SCALAR) return ut_fail_at(u, query->line, "'query' of '%s' must be SQL text", key);
        if (columns && columns->t != YNODE_MAP)
            return ut_fail_at(u, columns->line, "Invalid 'columns' value for model '%s', expected a mapping name -> type", key);
    } else return ut_fail_at(u, line, "Incomplete test, missing row data for '%s'", key);

    char *canon = project_canon_name(u->p, key);
    struct strlist names = {0}, types = {0};
    bool all_known;
    ut_known_columns(u, canon, &names, &types, &all_known);
    for (size_t k = 0; columns && k < columns->n; k++) { /* the test's types win */
        const char *t = ynode_text(&columns->items[k]);
        if (!t || !*t || ynode_is_null(&columns->items[k])) {
            int r = ut_fail_at(u, columns->key_lines[k], "the type of column '%s' must be a type name", columns->keys[k]);
            strlist_free(&names);
            strlist_free(&types);
            free(canon);
            return r;
        }
        char *c = ut_lower_dup(columns->keys[k]);
        long i = ut_col_index(&names, c);
        if (i >= 0) {
            free(types.v[i]);
            types.v[i] = xstrdup(t);
        } else {
            strlist_push(&names, c);
            strlist_push(&types, t);
        }
        free(c);
    }
    int rc = 0;
    if (!all_known && rows && rows->n && rows->items[0].t == YNODE_MAP) {
        const struct ynode *r0 = &rows->items[0];
        for (size_t k = 0; k < r0->n && rc == 0; k++) {
            if (ut_col_index(&names, r0->keys[k]) >= 0) continue;
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
                char *c = ut_lower_dup(r0->keys[k]);
                strlist_push(&names, c);
                strlist_push(&types, t);
                free(c);
            }
        }
    }
    strbuf ident;
    sb_init(&ident);
    ut_quote_name(canon, &ident);
    if (rc == 0) rc = ut_ensure_schema(u, canon);
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
                if (ut_col_index(&have, names.v[c]) >= 0) continue;
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
        rc = ut_table_from_rows(u, ident.buf, &names, &types, rows, line);
    }
    sb_free(&ident);
    strlist_free(&names);
    strlist_free(&types);
    free(canon);
    return rc;
}

