/* db.h — thin helpers over DuckDB's C API.
 *
 * struct db owns one database handle and one connection; db_close() releases both (safe
 * on a zeroed or already-closed struct). Every failing call writes DuckDB's own message,
 * prefixed with what was being done, into err.
 *
 * Quoting helpers exist for identifiers and literals that come from *our* files (model
 * names, landing paths). Request text from the web never reaches SQL: the web app binds
 * parameters to prepared statements. */
#ifndef MATERIA_DB_H
#define MATERIA_DB_H

#include <duckdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"
#include "util/err.h"
#include "util/strlist.h"

struct db {
    duckdb_database db;
    duckdb_connection con;
    bool open;
};

/* Opens path (":memory:" or NULL for in-memory). threads <= 0 leaves DuckDB's default.
 * Fails closed: if any setting (read_only's access_mode above all) cannot be applied, the
 * file is not opened and err names the setting. */
int db_open(struct db *d, const char *path, bool read_only, int threads, struct mt_err *err);
/* Opens the lakehouse read-write, as db_open, making its folder first; a file it creates gets DB_LAKEHOUSE_BLOCK_SIZE
 * blocks and the DB_LAKEHOUSE_STORAGE format (an existing file keeps its own; db.c says why). */
#define DB_LAKEHOUSE_BLOCK_SIZE "16384"
#define DB_LAKEHOUSE_STORAGE "v1.4.0"
int db_open_lakehouse(struct db *d, const char *path, struct mt_err *err);
/* The serving snapshot's format: DuckDB's defaults, named, so the export's ATTACH keeps them
 * even on a connection whose database makes new files in the lakehouse's (serving/export.c). */
#define DB_SNAPSHOT_BLOCK_SIZE "262144"
#define DB_SNAPSHOT_STORAGE "v0.10.2"
void db_close(struct db *d);

/* Runs sql into *res. On success the caller owns *res (duckdb_destroy_result); on failure
 * *res is already destroyed and DuckDB's message is in err. */
int db_query(duckdb_connection con, const char *sql, duckdb_result *res, struct mt_err *err);
int db_exec(duckdb_connection con, const char *sql, struct mt_err *err);
int db_execf(duckdb_connection con, struct mt_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* First column of the first row as int64 / as a malloc'd string. No row, or NULL,
 * yields *found = false (found may be NULL when the caller does not care). */
int db_query_i64(duckdb_connection con, const char *sql, int64_t *out, bool *found,
                 struct mt_err *err);
int db_query_str(duckdb_connection con, const char *sql, char **out, struct mt_err *err);
/* The value at (col, row) of res as text (duckdb_value_varchar's rendering), "" for NULL;
 * malloc'd, caller frees. */
char *db_value_text(duckdb_result *res, idx_t col, idx_t row);

/* "name" with embedded quotes doubled. */
/* The columns of a relation (a table name or "(SELECT ...)"), in order: names and DuckDB type
 * text appended to names/types (DESCRIBE). 0, or -1 with DuckDB's message in err. */
int db_describe(duckdb_connection con, const char *rel, struct strlist *names, struct strlist *types,
                struct mt_err *err);
void db_quote_ident(strbuf *sb, const char *ident);
/* 'text' with embedded quotes doubled. */
void db_quote_literal(strbuf *sb, const char *text);

#endif
