/* blueprints.c — SQLMesh's model blueprints: one model file, one model per blueprint.
 *
 *   MODEL (name @name, kind FULL,
 *          blueprints ((name := s.active, status := 'active'),
 *                      (name := s.inactive, status := 'inactive')));
 *   SELECT COUNT(*) FROM s.customers WHERE status = @status
 *
 * As SQLMesh does (sqlmesh/core/model/definition.py: create_models_from_blueprints,
 * _extract_blueprints, _extract_blueprint_variables): the `blueprints` value is rendered
 * first (so a macro such as @EACH may produce it), then read as a list of blueprints — a
 * parenthesised single blueprint, or a tuple/array of them — each a set of `key := value`
 * pairs (a bare pair is a blueprint of its own). Keys are lower-cased; values stay SQL
 * expressions (`s.active` is a name, `'active'` a string). Each blueprint gives a model
 * whose name is the header's name rendered with the blueprint's variables and whose query
 * sees them as @key and @BLUEPRINT_VAR('key') (render_ctx.bp_names/bp_values).
 *
 * Every model is parsed afresh from the file's bytes, so models share nothing. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transform/engine.h"
#include "transform/macro.h"
#include "util/common.h"

/* Renders text (a header fragment) with the project's variables and, when given, one
 * blueprint's; the caller frees the result. */
static char *render_fragment(const char *text, const struct model *m, int line, const struct project *p,
                             const struct config *cfg, const struct strlist *bn, const struct strlist *bv,
                             struct mt_err *err)
{
    struct render_ctx rc = {.cfg = cfg, .vars = p ? p->vars : NULL, .bp_names = bn, .bp_values = bv,
                            .fixed = true, .statements = true, .end_us = 86400 * US_PER_SEC,
                            .exec_us = 86400 * US_PER_SEC};
    strbuf sb;
    sb_init(&sb);
    if (macro_render(text, m->file, line, &rc, &sb, err) < 0) {
        sb_free(&sb);
        return NULL;
    }
    return sb_detach(&sb);
}

static bool is_assign(const struct mseq *item)
{
    return item->n >= 3 && item->v[0].k == N_TOK && item->v[0].tok.t == MT_WORD && item->v[1].k == N_TOK &&
           item->v[1].tok.t == MT_OP && item->v[1].tok.n == 2 && !strncmp(item->v[1].tok.s, ":=", 2);
}

/* One blueprint's variables from item (`(k := v, ...)` or `k := v`). */
static int blueprint_vars(struct marena *a, const struct mseq *item, const struct model *m, struct strlist *names,
                          struct strlist *values, struct mt_err *err)
{
    struct mseq *pairs, one;
    size_t n;
    if (item->n == 1 && item->v[0].k == N_GROUP) mseq_split(a, item->v[0].inner, &pairs, &n);
    else {
        one = *item;
        pairs = &one;
        n = 1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!is_assign(&pairs[i])) {
            mt_errf(err, "%s:%d: expected a key-value mapping for the blueprint value (key := value), got '%s'",
                    m->file, m->blueprints_line, mseq_text(a, &pairs[i]));
            return -1;
        }
        char *key = ma_lower(a, pairs[i].v[0].tok.s, pairs[i].v[0].tok.n);
        struct mseq val = {0};
        for (size_t k = 2; k < pairs[i].n; k++) mseq_push(a, &val, &pairs[i].v[k]);
        if (val.n) mtok_space(&val.v[0].tok, false);
        strlist_push(names, key);
        strlist_push(values, mseq_text(a, &val));
    }
    return 0;
}

int blueprints_expand(struct model *m, const char *data, size_t len, const struct project *p,
                      const struct config *cfg, struct model **out, size_t *n_out, struct mt_err *err)
{
    *out = NULL;
    *n_out = 0;
    char *rendered = render_fragment(m->blueprints, m, m->blueprints_line, p, cfg, NULL, NULL, err);
    if (!rendered) return -1;
    struct marena a = {0};
    struct mseq v = {0};
    int rc = macro_parse_fragment(&a, rendered, m->blueprints_line, &v, err);
    free(rendered);
    struct mseq *items = NULL;
    size_t n = 0;
    if (rc == 0) {
        if (v.n == 1 && v.v[0].k == N_GROUP && !mseq_list_items(&a, &v, &items, &n)) {
            /* a parenthesised single blueprint (exp.Paren): its inside */
            items = ma_alloc(&a, sizeof *items);
            mseq_append(&a, &items[0], v.v[0].inner);
            n = 1;
        } else if (!(v.n == 1 && v.v[0].k == N_GROUP)) {
            /* a macro's list (@EACH(...)) renders as comma-separated items: a Python list */
            mseq_split(&a, &v, &items, &n);
            bool list = n > 1;
            for (size_t i = 0; i < n && !list; i++) list = items[i].n == 1 && items[i].v[0].k == N_GROUP;
            if (!list) {
                mt_errf(err, "%s:%d: expected a list or tuple consisting of key-value mappings for the 'blueprints' "
                        "property, got '%s' instead", m->file, m->blueprints_line, mseq_text(&a, &v));
                rc = -1;
            }
        }
    }
    if (rc == 0 && n == 0) {
        mt_errf(err, "%s:%d: blueprints is empty: expected at least one blueprint", m->file, m->blueprints_line);
        rc = -1;
    }
    struct model *models = rc == 0 ? xcalloc(n, sizeof *models) : NULL;
    size_t made = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct strlist names = {0}, values = {0};
        rc = blueprint_vars(&a, &items[i], m, &names, &values, err);
        char *name = NULL;
        if (rc == 0) {
            name = render_fragment(m->name_template ? m->name_template : m->name, m, m->line, p, cfg, &names, &values,
                                   err);
            if (!name) rc = -1;
        }
        if (rc == 0) rc = model_parse(data, len, m->file, &models[made], err);
        if (rc == 0) {
            struct model *bm = &models[made++];
            rc = model_set_name(bm, name, bm->line, err);
            bm->bp_names = names;
            bm->bp_values = values;
            memset(&names, 0, sizeof names);
            memset(&values, 0, sizeof values);
            free(bm->blueprints);
            bm->blueprints = NULL;
        }
        free(name);
        strlist_free(&names);
        strlist_free(&values);
    }
    marena_free(&a);
    if (rc < 0) {
        for (size_t i = 0; i < made; i++) model_free(&models[i]);
        free(models);
        return -1;
    }
    model_free(m);
    *out = models;
    *n_out = made;
    return 0;
}
