/* columns_cast.h — declared `columns` applied to a materialized model's query (columns_cast.c). */
#ifndef MATERIA_TRANSFORM_COLUMNS_CAST_H
#define MATERIA_TRANSFORM_COLUMNS_CAST_H

#include <stdbool.h>

#include "transform/model.h"
#include "util/strbuf.h"

/* When m is materialized (not VIEW, not SEED) and declares columns: appends the query
 * wrapped to select exactly those columns cast to their types, and returns true; else
 * false (out untouched). */
bool columns_cast_query(const struct model *m, const char *query, strbuf *out);

#endif
