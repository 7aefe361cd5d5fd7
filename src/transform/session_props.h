/* session_props.h — `session_properties` checked, then without effect on DuckDB (session_props.c). */
#ifndef MATERIA_TRANSFORM_SESSION_PROPS_H
#define MATERIA_TRANSFORM_SESSION_PROPS_H

#include "util/err.h"

/* raw: the property's value as written. -1 with "file:line: <SQLMesh's message>" in err. */
int session_props_check(const char *raw, const char *file, int line, struct mt_err *err);

#endif
