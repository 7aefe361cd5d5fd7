/* audit_builtins.h — SQLMesh's built-in audits (audit_builtins.c says where they come from). */
#ifndef MATERIA_TRANSFORM_AUDIT_BUILTINS_H
#define MATERIA_TRANSFORM_AUDIT_BUILTINS_H

#include <stdbool.h>
#include <stddef.h>

struct audit_builtin {
    const char *name;
    int line;                   /* line of sqlmesh/core/audit/builtin.py where the query starts */
    const char *defaults[6][2]; /* {argument, SQL value} pairs, ended by {NULL, NULL} */
    const char *expressions;    /* statements rendered before the query (@def), or NULL */
    const char *query;
};

/* The built-in audit called name, or NULL. `<name>_non_blocking` finds <name> and sets
 * *non_blocking (SQLMesh's create_non_blocking_copy); else *non_blocking is false. */
const struct audit_builtin *audit_builtin_find(const char *name, bool *non_blocking);
size_t audit_builtin_count(void);
const struct audit_builtin *audit_builtin_at(size_t i);

#endif
