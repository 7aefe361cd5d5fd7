/* session_props.c — a model's `session_properties`, checked as SQLMesh checks them and
 * then without effect, as on SQLMesh's DuckDB: the engine adapter's session hook
 * (engine_adapter/base.py _begin_session) does nothing unless an engine overrides it, and
 * DuckDBEngineAdapter does not (only BigQuery, Databricks, Trino, ... do). The value must be
 * `(key = value, ...)` (model/common.py parse_properties), query_label an array or tuple of
 * 2-tuples of literals and authorization a string (model/meta.py
 * session_properties_validator), with SQLMesh's messages. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transform/session_props.h"
#include "transform/engine.h"
#include "util/strbuf.h"
#include "util/strlist.h"

static bool is_literal(const char *s)
{
    size_t n = strlen(s);
    if (n >= 2 && s[0] == '\'' && s[n - 1] == '\'') return true;
    if (n && (isdigit((unsigned char)s[0]) || s[0] == '-')) return true;
    return false;
}

/* Offset of the top-level '=' of item s (not ==, <=, >=, !=), or -1. */
static long top_eq(const char *s)
{
    int depth = 0;
    char q = 0;
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        if (q) { if (c == q) q = 0; continue; }
        if (c == '\'' || c == '"') q = c;
        else if (c == '(' || c == '[') depth++;
        else if (c == ')' || c == ']') depth--;
        else if (c == '=' && depth == 0 && s[i + 1] != '=' && (i == 0 || !strchr("<>!=", s[i - 1]))) return (long)i;
    }
    return -1;
}

int session_props_check(const char *raw, const char *file, int line, struct mt_err *err)
{
    struct strlist items = {0};
    sql_split_list(raw, &items);
    int rc = 0;
    for (size_t k = 0; k < items.n && rc == 0; k++) {
        const char *it = items.v[k];
        long eq = top_eq(it);
        if (eq <= 0) {
            rc = mt_errf(err, "%s:%d: Invalid property '%s'. Properties must be specified as key-value pairs <key> = "
                         "<value>.", file, line, it);
            break;
        }
        size_t kn = (size_t)eq;
        while (kn && isspace((unsigned char)it[kn - 1])) kn--;
        const char *v = it + eq + 1;
        while (isspace((unsigned char)*v)) v++;
        if (kn == 11 && !strncasecmp(it, "query_label", 11) && *v != '@') {
            if (*v != '(' && *v != '[') {
                rc = mt_errf(err, "%s:%d: Invalid value for `session_properties.query_label`. Must be an array or "
                             "tuple.", file, line);
                break;
            }
            /* a lone (a, b) is one label; (..), (..) / [..] a list of them */
            struct strlist labels = {0}, one = {0};
            sql_split_list(v, &labels);
            bool single = *v == '(' && labels.n && labels.v[0][0] != '(';
            if (single) { strlist_free(&labels); strlist_push(&labels, v); }
            for (size_t l = 0; l < labels.n && rc == 0; l++) {
                strlist_free(&one);
                bool ok = labels.v[l][0] == '(';
                if (ok) sql_split_list(labels.v[l], &one);
                ok = ok && one.n == 2 && is_literal(one.v[0]) && is_literal(one.v[1]);
                if (!ok)
                    rc = mt_errf(err, "%s:%d: Invalid entry in `session_properties.query_label`. Must be tuples of "
                                 "string literals with length 2.", file, line);
            }
            strlist_free(&one);
            strlist_free(&labels);
        } else if (kn == 13 && !strncasecmp(it, "authorization", 13) && *v != '@' && *v != '\'') {
            rc = mt_errf(err, "%s:%d: Invalid value for `session_properties.authorization`. Must be a string literal.",
                         file, line);
        }
    }
    strlist_free(&items);
    return rc < 0 ? -1 : 0;
}
