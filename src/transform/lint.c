/* lint.c — SQLMesh's linter rule noambiguousprojections (sqlmesh/core/linter/rules/
 * builtin.py NoAmbiguousProjections), on DuckDB's parse tree of a model's query.
 *
 * The rule: every projection of the outer SELECT (of a UNION, its first SELECT, as
 * sqlglot's `query.selects`) has a name — an alias, or one sqlglot infers: a column, a
 * cast of a named expression, a constant — and no two projections share one. `*` is
 * skipped. config.yaml's linter decides whether a violation is an error (`rules`) or a
 * warning (`warn_rules`); util/project_config.c reads it. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transform/engine.h"
#include "util/log.h"

/* The name sqlglot's output_name gives e, or "" (none). */
static const char *output_name(const struct json *e, char *buf, size_t len)
{
    const char *alias = json_str(e, "alias");
    if (*alias) return alias;
    const char *cls = json_str(e, "class");
    if (!strcmp(cls, "COLUMN_REF")) {
        const struct json *names = json_get(e, "column_names");
        if (names && names->t == JSON_ARR && names->n > 0 && names->items[names->n - 1].t == JSON_STR)
            return names->items[names->n - 1].s;
        return "";
    }
    if (!strcmp(cls, "CAST")) return output_name(json_get(e, "child"), buf, len);
    if (!strcmp(cls, "CONSTANT")) {
        const struct json *v = json_get(json_get(e, "value"), "value");
        if (v && (v->t == JSON_STR || v->t == JSON_NUM)) {
            snprintf(buf, len, "%s", v->s);
            return buf;
        }
        if (v && v->t == JSON_BOOL) return v->b ? "true" : "false";
        return "";
    }
    return "";
}

/* The smallest query_location in e's subtree: where the expression starts (an operator's
 * own location is the operator's, not its left operand's). */
static size_t first_location(const struct json *e)
{
    size_t best = (size_t)-1;
    if (e->t == JSON_OBJ) {
        const struct json *loc = json_get(e, "query_location");
        if (loc && loc->t == JSON_NUM) best = (size_t)strtoull(loc->s, NULL, 10);
    }
    if (e->t == JSON_OBJ || e->t == JSON_ARR)
        for (size_t i = 0; i < e->n; i++) {
            size_t c = first_location(&e->items[i]);
            if (c < best) best = c;
        }
    return best;
}

/* The projection's text from where it starts to the next top-level comma, for the message. */
static void snippet(const char *sql, const struct json *e, char *out, size_t len)
{
    size_t at = first_location(e);
    out[0] = 0;
    if (at >= strlen(sql)) return;
    size_t n = 0;
    int depth = 0;
    for (const char *p = sql + at; *p && n + 1 < len; p++) {
        if (*p == '(') depth++;
        else if (*p == ')' && --depth < 0) break;
        else if ((*p == ',' && depth == 0) || *p == '\n') break;
        out[n++] = *p;
    }
    while (n > 0 && out[n - 1] == ' ') n--;
    out[n] = 0;
}

int lint_projections(const struct project *p, size_t i, const struct json *stmt, const char *sql, struct mt_err *err)
{
    if (!p->conf || !p->conf->lint_projections) return 0;
    const struct model *m = &p->models[i];
    /* the model's ignored_rules (SQLMesh's linter/definition.py lint_model: rules minus
     * select_rules(all_rules, model.ignored_rules)) */
    if (model_meta_ignores(&m->meta, "noambiguousprojections")) return 0;
    const struct json *node = json_get(stmt, "node");
    while (node && !strcmp(json_str(node, "type"), "SET_OPERATION_NODE")) node = json_get(node, "left");
    const struct json *sel = json_get(node, "select_list");
    if (!sel || sel->t != JSON_ARR) return 0;
    char msg[600] = "";
    struct strlist seen = {0};
    for (size_t k = 0; k < sel->n && !msg[0]; k++) {
        const struct json *e = &sel->items[k];
        if (!strcmp(json_str(e, "class"), "STAR")) continue;
        char buf[128], text[160];
        const char *name = output_name(e, buf, sizeof buf);
        if (!*name) {
            snippet(sql, e, text, sizeof text);
            snprintf(msg, sizeof msg, "Outer projection '%s' must have inferrable names or explicit aliases.", text);
        } else if (strlist_has(&seen, name)) {
            snprintf(msg, sizeof msg, "Found duplicate outer select name '%s'", name);
        } else {
            strlist_push(&seen, name);
        }
    }
    strlist_free(&seen);
    if (!msg[0]) return 0;
    if (p->conf->lint_projections == 1) {
        log_warn("%s:%d: linter noambiguousprojections: %s", m->file, m->query_line, msg);
        return 0;
    }
    return mt_err_set(err, MT_ERR_FORMAT, "%s:%d: linter noambiguousprojections (%s:%d): %s", m->file, m->query_line,
                      p->conf->path, p->conf->lint_line, msg);
}
