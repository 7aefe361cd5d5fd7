/* yaml.c — see yaml.h. libyaml (Debian libyaml-dev) parses; this file only copies its
 * document into struct ynode (keeping lines) and types scalars as SQLMesh's loader does. */
#include "util/yaml.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util/fsutil.h"
#include "util/strbuf.h"

#define YAML_MAX_DEPTH 64

void ynode_free(struct ynode *n)
{
    if (!n) return;
    free(n->s);
    for (size_t i = 0; i < n->n; i++) {
        if (n->keys) free(n->keys[i]);
        if (n->items) ynode_free(&n->items[i]);
    }
    free(n->keys);
    free(n->key_lines);
    free(n->items);
    memset(n, 0, sizeof *n);
}

static int copy_node(yaml_document_t *doc, yaml_node_t *src, struct ynode *dst, int depth, const char *name,
                     struct mt_err *err)
{
    memset(dst, 0, sizeof *dst);
    dst->line = (int)src->start_mark.line + 1;
    if (depth > YAML_MAX_DEPTH)
        return mt_err_set(err, MT_ERR_FORMAT, "%s:%d: nested more than %d levels deep", name, dst->line,
                          YAML_MAX_DEPTH);
    switch (src->type) {
    case YAML_SCALAR_NODE:
        dst->t = YNODE_SCALAR;
        dst->s = xstrndup((const char *)src->data.scalar.value, src->data.scalar.length);
        dst->quoted = src->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        return 0;
    case YAML_SEQUENCE_NODE: {
        dst->t = YNODE_SEQ;
        size_t n = (size_t)(src->data.sequence.items.top - src->data.sequence.items.start);
        dst->items = xcalloc(n ? n : 1, sizeof *dst->items);
        for (size_t i = 0; i < n; i++) {
            yaml_node_t *c = yaml_document_get_node(doc, src->data.sequence.items.start[i]);
            dst->n = i + 1;
            if (copy_node(doc, c, &dst->items[i], depth + 1, name, err) < 0) return -1;
        }
        return 0;
    }
    case YAML_MAPPING_NODE: {
        dst->t = YNODE_MAP;
        size_t n = (size_t)(src->data.mapping.pairs.top - src->data.mapping.pairs.start);
        dst->items = xcalloc(n ? n : 1, sizeof *dst->items);
        dst->keys = xcalloc(n ? n : 1, sizeof *dst->keys);
        dst->key_lines = xcalloc(n ? n : 1, sizeof *dst->key_lines);
        for (size_t i = 0; i < n; i++) {
            yaml_node_pair_t *p = &src->data.mapping.pairs.start[i];
            yaml_node_t *k = yaml_document_get_node(doc, p->key), *v = yaml_document_get_node(doc, p->value);
            int kline = (int)k->start_mark.line + 1;
            if (k->type != YAML_SCALAR_NODE)
                return mt_err_set(err, MT_ERR_FORMAT, "%s:%d: expected a plain key (text), not a list or map",
                                  name, kline);
            char *key = xstrndup((const char *)k->data.scalar.value, k->data.scalar.length);
            /* SQLMesh's loader refuses duplicate keys (ruamel allow_duplicate_keys=False) */
            for (size_t j = 0; j < i; j++)
                if (!strcmp(dst->keys[j], key)) {
                    mt_err_set(err, MT_ERR_FORMAT, "%s:%d: duplicate key '%s' (first at line %d)", name, kline,
                               key, dst->key_lines[j]);
                    free(key);
                    return -1;
                }
            dst->keys[i] = key;
            dst->key_lines[i] = kline;
            dst->n = i + 1;
            if (copy_node(doc, v, &dst->items[i], depth + 1, name, err) < 0) return -1;
        }
        return 0;
    }
    default:
        dst->t = YNODE_MAP;
        return 0;
    }
}

int yaml_load(const char *text, size_t len, const char *name, struct ynode *root, struct mt_err *err)
{
    memset(root, 0, sizeof *root);
    if (memchr(text, '\0', len)) return mt_err_set(err, MT_ERR_FORMAT, "%s: NUL byte in the file", name);
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) return mt_errf(err, "%s: cannot start the YAML parser", name);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    int rc = 0;
    if (!yaml_parser_load(&parser, &doc)) {
        rc = mt_err_set(err, MT_ERR_FORMAT, "%s:%d: %s%s%s", name, (int)parser.problem_mark.line + 1,
                        parser.problem ? parser.problem : "not valid YAML", parser.context ? " " : "",
                        parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return rc;
    }
    yaml_node_t *top = yaml_document_get_root_node(&doc);
    if (!top) {
        root->t = YNODE_MAP; /* an empty document */
        root->line = 1;
    } else {
        rc = copy_node(&doc, top, root, 0, name, err);
        if (rc < 0) ynode_free(root);
    }
    /* a second document in the same file would be silently ignored: refuse it */
    if (rc == 0) {
        yaml_document_t doc2;
        if (yaml_parser_load(&parser, &doc2)) {
            yaml_node_t *r2 = yaml_document_get_root_node(&doc2);
            if (r2) {
                rc = mt_err_set(err, MT_ERR_FORMAT, "%s:%d: a second YAML document ('---'): expected one", name,
                                (int)r2->start_mark.line + 1);
                ynode_free(root);
            }
            yaml_document_delete(&doc2);
        }
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}

int yaml_load_file(const char *path, struct ynode *root, struct mt_err *err)
{
    char *data;
    size_t len;
    memset(root, 0, sizeof *root);
    if (fs_read_all(path, &data, &len, err) < 0) return -1;
    int rc = yaml_load(data, len, path, root, err);
    free(data);
    return rc;
}

const struct ynode *ynode_get(const struct ynode *map, const char *key, int *line)
{
    if (!map || map->t != YNODE_MAP) return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (!strcmp(map->keys[i], key)) {
            if (line) *line = map->key_lines[i];
            return &map->items[i];
        }
    return NULL;
}

bool ynode_is_null(const struct ynode *n)
{
    if (!n || n->t != YNODE_SCALAR || n->quoted) return false;
    const char *s = n->s;
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

const char *ynode_text(const struct ynode *n)
{
    if (!n || n->t != YNODE_SCALAR) return NULL;
    return ynode_is_null(n) ? "" : n->s;
}

/* YAML 1.2 core schema integers and floats (what ruamel's safe loader resolves). Sets
 * *num to the JSON text of the number (caller frees) and returns true. */
static bool yaml_number(const char *s, char **num)
{
    const char *p = s;
    if ((s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) && s[2]) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s + 2, &end, s[1] == 'x' ? 16 : 8);
        if (*end || errno) return false;
        *num = xasprintf("%llu", v);
        return true;
    }
    if (*p == '-' || *p == '+') p++;
    const char *digits = p;
    while (isdigit((unsigned char)*p)) p++;
    size_t nint = (size_t)(p - digits), nfrac = 0;
    bool is_float = false;
    if (*p == '.') {
        is_float = true;
        p++;
        while (isdigit((unsigned char)p[nfrac])) nfrac++;
        p += nfrac;
    }
    if (nint == 0 && nfrac == 0) return false;
    if (*p == 'e' || *p == 'E') {
        is_float = true;
        p++;
        if (*p == '-' || *p == '+') p++;
        if (!isdigit((unsigned char)*p)) return false;
        while (isdigit((unsigned char)*p)) p++;
    }
    if (*p) return false;
    if (!is_float) {
        /* JSON: no '+', no leading zeros ("007" is 7 in YAML 1.2) */
        const char *d = digits;
        while (*d == '0' && d[1]) d++;
        *num = xasprintf("%s%s", s[0] == '-' ? "-" : "", d);
        return true;
    }
    /* a float: let strtod normalise ".5", "1." and "+1e3" into JSON's grammar */
    char *end;
    double v = strtod(s, &end);
    if (*end) return false;
    *num = xasprintf("%.17g", v);
    return true;
}

void ynode_json(const struct ynode *n, struct json *out)
{
    memset(out, 0, sizeof *out);
    switch (n->t) {
    case YNODE_SCALAR: {
        const char *s = n->s;
        char *num;
        if (ynode_is_null(n)) out->t = JSON_NULL;
        else if (!n->quoted && (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))) {
            out->t = JSON_BOOL;
            out->b = true;
        } else if (!n->quoted && (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))) {
            out->t = JSON_BOOL;
        } else if (!n->quoted && yaml_number(s, &num)) {
            out->t = JSON_NUM;
            out->s = num;
        } else {
            out->t = JSON_STR;
            out->s = xstrdup(s);
        }
        return;
    }
    case YNODE_SEQ:
    case YNODE_MAP:
        out->t = n->t == YNODE_SEQ ? JSON_ARR : JSON_OBJ;
        out->n = n->n;
        out->items = xcalloc(n->n ? n->n : 1, sizeof *out->items);
        if (n->t == YNODE_MAP) out->keys = xcalloc(n->n ? n->n : 1, sizeof *out->keys);
        for (size_t i = 0; i < n->n; i++) {
            if (n->t == YNODE_MAP) out->keys[i] = xstrdup(n->keys[i]);
            ynode_json(&n->items[i], &out->items[i]);
        }
        return;
    }
}
