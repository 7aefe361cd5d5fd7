/* statements.h — a model file's pre-/post-statements and ON_VIRTUAL_UPDATE blocks:
 * statements.c splits them from the file (pure: no DuckDB, fuzzed with header.c),
 * statements_run.c fingerprints and runs them. */
#ifndef MATERIA_TRANSFORM_STATEMENTS_H
#define MATERIA_TRANSFORM_STATEMENTS_H

#include <duckdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transform/model.h"
#include "util/config.h"
#include "util/err.h"
#include "util/hash.h"

const char *stmt_kind_name(enum stmt_kind k);
/* Splits the text after a MODEL header (len bytes starting at line line0, inline audits
 * excluded) into m->query (+ query_line; left NULL when there is no query) and m->stmts.
 * -1 with "file:line: ..." in err. */
int stmts_split(struct model *m, const char *text, size_t len, int line0, struct mt_err *err);
/* stmts_split's two paths, apart for the test that holds them equal (test_statements.c):
 * stmts_plain_query says text is one macro-free SELECT/FROM statement (the query is then the
 * text trimmed, no lexing); stmts_split_lexed lexes it with the macro lexer (any text). */
bool stmts_plain_query(const char *text, size_t len);
int stmts_split_lexed(struct model *m, const char *text, size_t len, int line0, struct mt_err *err);
void model_stmts_free(struct model *m);
/* The comments before the first token of text (a model file: those before MODEL, which are
 * SQLMesh's description when the model sets none: definition.py load_sql_based_model
 * rendered_meta.comments), each stripped, joined by newlines; NULL when there are none.
 * Caller frees. */
char *comments_leading(const char *text, size_t len);
size_t stmts_count(const struct model *m, enum stmt_kind kind);
/* Adds model i's pre- and post-statements (what SQLMesh's data hash covers), rendered with
 * fixed times, to h; every statement is rendered, so one that cannot be is an error here. */
struct project;
int stmts_hash(const struct project *p, size_t i, const struct config *cfg, struct hash_ctx *h, struct mt_err *err);

/* What statements are rendered with: @this_model, @runtime_stage, the interval. */
struct stmts_env {
    const char *this_model;
    const char *runtime_stage;   /* "creating", "evaluating", "promoting" */
    int64_t start_us, end_us, exec_us;
};
/* Renders and runs model i's statements of one kind on con, in order. -1 with
 * "file:line: <kind> failed: ..." in err. */
int stmts_run(const struct project *p, size_t i, const struct config *cfg, duckdb_connection con,
              enum stmt_kind kind, const struct stmts_env *env, struct mt_err *err);

#endif
