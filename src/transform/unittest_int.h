/* unittest_int.h — what the three files of `materia test` share (not used elsewhere):
 *   unittest.c          the run: discovery, one test's render and checks, the summary
 *   unittest_rows.c     a test's rows (YAML, CSV, files) and the fixture tables built from them
 *   unittest_compare.c  an output's expected rows against the query's, and the diff
 * Every function takes the running test (struct ut) first; -1 means an error in u->err
 * ("file:line: ..." for anything about the test file). */
#ifndef MATERIA_TRANSFORM_UNITTEST_INT_H
#define MATERIA_TRANSFORM_UNITTEST_INT_H

#include <stdbool.h>

#include "transform/engine.h"
#include "util/yaml.h"

struct ut {
    const struct project *p;
    const struct config *cfg;
    const char *file;      /* the test file, relative to the project folder (for messages) */
    const char *name;      /* the test's name */
    duckdb_connection con; /* this test's in-memory database */
    strbuf *msg;           /* the failure report (a mismatch) */
    struct mt_err *err;
};

/* A key SQLMesh knows that materia refuses, and why. */
struct refused_key {
    const char *key, *why;
};
extern const struct refused_key ut_no_refused[];

/* "file:line: <what> is not supported by materia: <why>" */
int ut_refuse(struct ut *u, int line, const char *what, const char *why);
/* "file:line: " + fmt with one %s argument a */
int ut_fail_at(struct ut *u, int line, const char *fmt, const char *a);
/* Keys of map: those in ok (NULL-ended) pass; another is refused by name, with its reason
 * from known, else "not a key of SQLMesh's unit test format"; where prefixes the key. */
int ut_check_keys(struct ut *u, const struct ynode *map, const char *const *ok, const struct refused_key *known,
                  const char *where);
/* A `partial` value (n, or NULL for none): a YAML boolean into *partial, else an error
 * naming it; where prefixes the key in the message. */
int ut_partial(struct ut *u, const struct ynode *n, const char *where, bool *partial);
/* The rows a spec gives through format/path/csv_settings (unittest_rows.c says how); *rows
 * points into *loaded, which the caller frees with ynode_free. */
int ut_load_rows(struct ut *u, const struct ynode *spec, const struct ynode **rows, struct ynode *loaded);

/* An input's or output's map: its rows (given, or loaded into *loaded by ut_load_rows) or
 * its query, never both ("Invalid test, cannot set both ..." at line, naming label). */
int ut_rows_or_query(struct ut *u, const struct ynode *spec, int line, const char *label, const struct ynode **rows,
                     const struct ynode **query, struct ynode *loaded);

void ut_quote_name(const char *canon, strbuf *out);   /* a.b.c -> "a"."b"."c" */
char *ut_lower_dup(const char *s);
bool ut_all_digits(const char *s, size_t n);
long ut_col_index(const struct strlist *names, const char *c); /* case-insensitive, -1 */
/* SQLMesh's "Detected unknown column(s)" error. */
int ut_unknown_columns_error(struct ut *u, int line, const struct strlist *cols, const struct strlist *bad);
/* CREATE TABLE ident (cols types) and INSERT rows (a YAML list of maps, or NULL): each value
 * cast to its column's type, a column a row leaves out NULL, a column not in cols an error. */
int ut_table_from_rows(struct ut *u, const char *ident, const struct strlist *cols, const struct strlist *types,
                       const struct ynode *rows, int line);
/* The known column types of a model or external model (columns_to_types); *all_known as
 * SQLMesh's setUp computes it. */
void ut_known_columns(struct ut *u, const char *canon, struct strlist *names, struct strlist *types, bool *all_known);
/* CREATE SCHEMA (and ATTACH an in-memory catalog) for a canonical table name. */
int ut_ensure_schema(struct ut *u, const char *canon);
/* One entry of `inputs`: the table key names, built from val (setUp); *loaded as above. */
int ut_make_input(struct ut *u, const char *key, int line, const struct ynode *val, struct ynode *loaded);

/* One output (a list of rows, or {rows | query | format/path, partial}) against actual_sql:
 * 0 equal, 1 a mismatch (the diff appended to u->msg), -1 an error. sort: compare the rows
 * sorted (the query has no ORDER BY). */
int ut_check_output(struct ut *u, const char *label, const char *actual_sql, bool sort, const struct ynode *spec,
                    bool partial);

#endif
