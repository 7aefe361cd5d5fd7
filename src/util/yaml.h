/* yaml.h — the one YAML reader of Materia (util/yaml.c), over libyaml: a file becomes a
 * tree of struct ynode that keeps each node's line, so every error about a SQLMesh YAML
 * file (config.yaml, external_models.yaml) can name `file:LINE`.
 *
 * Scalars keep their text and whether they were quoted; ynode_json() types plain scalars
 * as SQLMesh's loader (ruamel.yaml, YAML 1.2 core schema: sqlmesh/utils/yaml.py) does:
 * null/~/empty -> null, true/false -> bool, integers and floats -> number, anything else
 * (quoted scalars always) -> string. An alias is copied where it is used; nesting deeper
 * than 64 levels is refused (an alias to its own ancestor would otherwise never end).
 * Every node is owned by its parent; ynode_free on the root releases all. */
#ifndef MATERIA_UTIL_YAML_H
#define MATERIA_UTIL_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"
#include "util/json.h"

enum ynode_type { YNODE_SCALAR, YNODE_SEQ, YNODE_MAP };

struct ynode {
    enum ynode_type t;
    int line;               /* 1-based line of the node's first character */
    char *s;                /* scalar text */
    bool quoted;            /* scalar written in quotes or as a block (never typed) */
    size_t n;
    char **keys;            /* maps: n keys (scalar keys only) */
    int *key_lines;         /* maps: the line of each key */
    struct ynode *items;    /* sequences and maps: n values */
};

/* Parses the YAML file at path into *root (an empty document is an empty map). 0, or -1
 * with "path:LINE: what" in err (code MT_ERR_FORMAT; MT_ERR_IO when it cannot be read). */
int yaml_load_file(const char *path, struct ynode *root, struct mt_err *err);
/* The same from bytes (a NUL byte is refused); name is used in messages. */
int yaml_load(const char *text, size_t len, const char *name, struct ynode *root, struct mt_err *err);
void ynode_free(struct ynode *n);
/* The value of key in a map (NULL when absent or n is not a map); *line gets the key's line. */
const struct ynode *ynode_get(const struct ynode *map, const char *key, int *line);
/* True for a plain scalar YAML reads as null (null, Null, NULL, ~ or nothing). */
bool ynode_is_null(const struct ynode *n);
/* The node as JSON (typed as above); the caller frees *out with json_free. */
void ynode_json(const struct ynode *n, struct json *out);
/* The scalar as text ("" for null); NULL when n is not a scalar. */
const char *ynode_text(const struct ynode *n);

#endif
