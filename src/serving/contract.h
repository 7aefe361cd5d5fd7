/* contract.h — the serving contract: the tables, columns and types a serving snapshot must
 * have (docs/ARCHITECTURE.md §3), in one table that both sides of the file read.
 *
 * Owner: src/serving. Export writes files that satisfy it; `materia serve` refuses to
 * publish a file that does not (web_snapshot.c calls serving_contract_check() and then
 * serving_verify_con() before a snapshot is published). A snapshot may carry more tables
 * or more columns than listed (a later version may add them); it may not lack one, nor
 * carry a listed column under another type. _snapshot must name every contract table, so
 * the recomputed checksums cover all the data the web app reads. */
#ifndef MATERIA_SERVING_CONTRACT_H
#define MATERIA_SERVING_CONTRACT_H

#include <duckdb.h>
#include "util/err.h"
#include <stdbool.h>
#include <stddef.h>

struct serving_column {
    const char *name;
    const char *type; /* as duckdb_columns().data_type prints it */
};

struct serving_table {
    const char *name;
    const struct serving_column *cols;
    size_t ncols;
    /* A table of a source that may not have landed anything yet (COT): export publishes it
     * empty rather than refusing, so one source's absence never blocks another's data. The
     * other tables must have rows (an empty one means a broken run). */
    bool may_be_empty;
};

extern const struct serving_table serving_contract[];
extern const size_t serving_contract_len;

/* Whether export may publish the table `name` with no rows (see may_be_empty above); false
 * for a name the contract does not list. */
bool serving_table_may_be_empty(const char *name);

/* Checks the tables of schema main on con against the contract, then that _snapshot lists
 * every contract table. Returns 0, or -1 with the first difference in err (names a table
 * and column, never a path). */
int serving_contract_check(duckdb_connection con, struct mt_err *err);

/* What a reader does before it trusts a file: serving_contract_check(), then every table
 * listed in _snapshot counted and checksummed again (which also reads every data block, so
 * a damaged block fails here, not in a later request). Returns 0, or -1 with a short
 * reason in pub (our own words: table and column names, never a path or an engine
 * message) and the full reason in detail (for the log). */
int serving_snapshot_check(duckdb_connection con, char *pub, size_t publen, char *detail,
                           size_t detaillen);

#endif
