/* json.h — the one JSON reader of Materia (util/json.c): a small, strict parser into a
 * tree of struct json. Transform reads DuckDB's json_serialize_sql parse trees with it;
 * extract reads the landing's meta files with it (extract/landing_meta.c, the owner of
 * that format). Every node is owned by its parent; json_free on the root releases all.
 * Numbers are kept as text; \u escapes are decoded to UTF-8. */
#ifndef MATERIA_UTIL_JSON_H
#define MATERIA_UTIL_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUM, JSON_STR, JSON_ARR, JSON_OBJ };
struct json {
    enum json_type t;
    char *s;               /* string value, or number text */
    bool b;
    size_t n;
    char **keys;           /* objects: n keys */
    struct json *items;    /* arrays and objects: n values */
};
/* Parses NUL-terminated text (one value, nothing after it but white space). 0, or -1 with
 * what was wrong and the byte offset in err (code MT_ERR_FORMAT). */
int json_parse(const char *text, struct json *out, struct mt_err *err);
void json_free(struct json *j);
/* The value of key in an object (NULL when absent or j is not an object). */
const struct json *json_get(const struct json *obj, const char *key);
const char *json_str(const struct json *obj, const char *key); /* "" when absent */

#endif
