/* comments.h — model descriptions registered as DuckDB comments (comments.c says how). */
#ifndef MATERIA_TRANSFORM_COMMENTS_H
#define MATERIA_TRANSFORM_COMMENTS_H

#include <duckdb.h>
#include <stdbool.h>
#include <stddef.h>

#include "transform/model.h"
#include "util/err.h"
#include "util/strlist.h"

/* The model's column descriptions: column_descriptions, else its projections' comments. */
void comments_columns(const struct model *m, struct strlist *names, struct strlist *texts);
/* COMMENT ON the object obj (SQL text; a view when view) with model i's description and
 * column descriptions, unless config.yaml's register_comments is false. */
int comments_register(const struct project *p, size_t i, duckdb_connection con, const char *obj, bool view,
                      struct mt_err *err);

#endif
