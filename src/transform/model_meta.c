/* model_meta.c — a model's metadata properties: those that change no row, which SQLMesh
 * keeps out of a model's data hash (sqlmesh/core/model/meta.py ModelMeta), and the
 * physical-layout properties SQLMesh has and materia's DuckDB tables cannot take.
 *
 * The rule (issue 13): a property is honored or refused by name, never accepted and
 * ignored. Metadata is "honored" by being stored and shown (`materia info`, info_cmd.c);
 * ignored_rules also takes effect in the linter (lint.c). The values are parsed from the
 * raw property text the header parser hands over (header.c parse_property), as SQLMesh's
 * validators read them:
 *   grains/grain, references   a column, or a tuple/array of columns or expressions
 *                              (meta.py _refs_validator)
 *   tags                       a value or a tuple/array of values; each item's name, so
 *                              'pii' and pii are the same tag (_value_or_tuple_validator)
 *   ignored_rules              a rule name, "ALL", or a list (LinterConfig._validate_rules:
 *                              lower-cased)
 *   project                    a string
 *   formatting, optimize_query true/false (bool_validator: also 'true'/'false' strings)
 * Refused: signals (Python functions), table_format/storage_format (DuckDB tables have one
 * format), clustered_by (DuckDB has no clustering), physical_version,
 * physical_schema_override, virtual_environment_mode other than full, grants,
 * grants_target_layer, retention — each with its reason. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transform/engine.h"
#include "util/common.h"
#include "util/err.h"

void model_meta_init(struct model_meta *mm)
{
    memset(mm, 0, sizeof *mm);
    mm->formatting = -1;
    mm->optimize_query = -1;
}

void model_meta_free(struct model_meta *mm)
{
    strlist_free(&mm->grains);
    strlist_free(&mm->tags);
    strlist_free(&mm->references);
    strlist_free(&mm->ignored_rules);
    free(mm->project);
    model_meta_init(mm);
}

/* An item's name, as sqlglot's .name gives it: quotes removed ('pii', "pii" and pii are one
 * tag); anything else as written. */
static char *item_name(const char *s)
{
    size_t n = strlen(s);
    if (n >= 2 && (s[0] == '\'' || s[0] == '"') && s[n - 1] == s[0]) {
        char *out = xmalloc(n);
        size_t w = 0;
        for (size_t i = 1; i + 1 < n; i++) {
            if (s[i] == s[0] && i + 2 < n && s[i + 1] == s[0]) i++;
            out[w++] = s[i];
        }
        out[w] = 0;
        return out;
    }
    return xstrdup(s);
}

/* Items of a value or (a, b) / [a, b] list into out (replacing what it held: a repeated
 * property keeps its last value, as SQLMesh's does). */
static void items_into(const char *value, struct strlist *out, bool unquote, bool lowercase)
{
    struct strlist raw = {0};
    sql_split_list(value, &raw);
    strlist_free(out);
    for (size_t i = 0; i < raw.n; i++) {
        char *v = unquote ? item_name(raw.v[i]) : xstrdup(raw.v[i]);
        if (lowercase)
            for (char *c = v; *c; c++) *c = (char)tolower((unsigned char)*c);
        strlist_push(out, v);
        free(v);
    }
    strlist_free(&raw);
}

static int parse_bool(const char *key, const char *value, const char *file, int line, signed char *out,
                      struct mt_err *err)
{
    char *v = item_name(value);
    int rc = 0;
    if (!strcasecmp(v, "true")) *out = 1;
    else if (!strcasecmp(v, "false")) *out = 0;
    else rc = mt_errf(err, "%s:%d: expected %s true or false, not '%s'", file, line, key, value);
    free(v);
    return rc;
}

static const struct refused {
    const char *key, *why;
} refused[] = {
    {"signals", "signals are Python functions (@signal), and materia runs no Python"},
    {"table_format", "materia writes DuckDB tables, which have one format (no iceberg/delta/hive)"},
    {"storage_format", "materia writes DuckDB tables, which have one storage format (no parquet/orc)"},
    {"clustered_by", "DuckDB tables have no clustering key (SQLMesh's DuckDB adapter writes none either)"},
    {"physical_version", "a model's physical table is named by its fingerprint (every change builds a new one)"},
    {"physical_schema_override", "physical tables live in materia__<schema>, which the views and the janitor "
                                 "rely on"},
    {"grants", "DuckDB has no GRANT (access is the file's)"},
    {"grants_target_layer", "DuckDB has no GRANT (access is the file's)"},
    {"retention", "SQLMesh does not implement it either (meta.py: 'not implemented yet')"},
};

int model_meta_property(struct model_meta *mm, const char *key, const char *value, const char *file, int line,
                        struct mt_err *err)
{
    if (!strcmp(key, "grain") || !strcmp(key, "grains")) {
        items_into(value, &mm->grains, false, false);
    } else if (!strcmp(key, "references")) {
        items_into(value, &mm->references, false, false);
    } else if (!strcmp(key, "tags")) {
        items_into(value, &mm->tags, true, false);
    } else if (!strcmp(key, "ignored_rules")) {
        items_into(value, &mm->ignored_rules, true, true);
    } else if (!strcmp(key, "project")) {
        free(mm->project);
        mm->project = item_name(value);
    } else if (!strcmp(key, "formatting")) {
        return parse_bool(key, value, file, line, &mm->formatting, err) < 0 ? -1 : 1;
    } else if (!strcmp(key, "optimize_query")) {
        return parse_bool(key, value, file, line, &mm->optimize_query, err) < 0 ? -1 : 1;
    } else if (!strcmp(key, "virtual_environment_mode")) {
        /* full is SQLMesh's default: a virtual layer of views over versioned tables, which
         * is what materia builds; dev_only would write prod's tables in place */
        char *v = item_name(value);
        int full = !strcasecmp(v, "full");
        free(v);
        if (!full)
            return mt_errf(err, "%s:%d: virtual_environment_mode %s is not supported by materia: every model has "
                           "versioned physical tables behind a view (mode full)", file, line, value);
    } else {
        for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
            if (!strcmp(key, refused[i].key))
                return mt_errf(err, "%s:%d: %s is not supported by materia: %s", file, line, key, refused[i].why);
        return 0;
    }
    return 1;
}

/* The index of the bracket closing the one at s[0], or -1 (quotes skipped). */
static long closing(const char *s, size_t n)
{
    int depth = 0;
    char q = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (q) { if (c == q) q = 0; continue; }
        if (c == '\'' || c == '"') q = c;
        else if (c == '(' || c == '[') depth++;
        else if ((c == ')' || c == ']') && --depth == 0) return (long)i;
    }
    return -1;
}

/* (engine.h) Items of a (a, b) / [a, b] list or a lone value, split at top-level commas:
 * here rather than in macros.c so the header's fuzz target links it without DuckDB. The
 * enclosing pair is dropped only when the first bracket closes at the end: "(a) + (b)" is
 * one item. */
void sql_split_list(const char *text, struct strlist *out)
{
    const char *s = text;
    while (isspace((unsigned char)*s)) s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1])) len--;
    if (len >= 2 && (s[0] == '(' || s[0] == '[') && closing(s, len) == (long)len - 1) {
        s++;
        len -= 2;
    }
    int depth = 0;
    char q = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        char c = i < len ? s[i] : ',';
        if (q) { if (c == q) q = 0; continue; }
        if (c == '\'' || c == '"') { q = c; continue; }
        if (c == '(' || c == '[') depth++;
        else if (c == ')' || c == ']') depth--;
        else if (c == ',' && depth == 0) {
            size_t a = start, b = i;
            while (a < b && isspace((unsigned char)s[a])) a++;
            while (b > a && isspace((unsigned char)s[b - 1])) b--;
            if (b > a) {
                char *item = xstrndup(s + a, b - a);
                strlist_push(out, item);
                free(item);
            }
            start = i + 1;
        }
    }
}

bool model_meta_ignores(const struct model_meta *mm, const char *rule)
{
    return strlist_has(&mm->ignored_rules, rule) || strlist_has(&mm->ignored_rules, "all");
}
