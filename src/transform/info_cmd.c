/* info_cmd.c — `materia info MODEL [--json]`: one model as materia understood it — its
 * definition (kind and arguments, schedule, columns, audits), its metadata (owner, tags,
 * grains, references, project, description, ...: model_meta.c), its parents, and what the
 * lakehouse holds for it (the live physical table, the table this definition builds —
 * SQLMesh's `sqlmesh table_name` — and the processed intervals).
 *
 * It is where metadata properties, which change no row, are shown, so none of them is
 * accepted and then invisible (issue 13). Read-only: the lakehouse is opened read-only (a
 * missing one means nothing was built yet), as `materia plan` does. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "transform/engine.h"
#include "util/cli.h"
#include "util/common.h"
#include "util/db.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/strbuf.h"

static const char usage[] =
    "usage: materia info MODEL [--json] [--execution-time TS]\n\n"
    "Prints what materia knows of MODEL (schema.table, as `materia dag` names it): its file,\n"
    "kind and kind arguments, cron, start, columns, audits, parents, its metadata (owner,\n"
    "tags, grains, references, project, description, stamp, ignored linter rules,\n"
    "formatting, optimize_query) and, from DUCKDB_PATH (opened read-only), the live physical\n"
    "table, the one the current definition builds (SQLMesh's `table_name`) and the\n"
    "intervals processed. --json prints one JSON object instead of `key: value` lines.\n";

/* One output, two shapes: `key: value` lines, or the members of a JSON object. */
struct out {
    bool json;
    strbuf sb;
    bool first;
};

static void out_key(struct out *o, const char *key)
{
    if (o->json) {
        sb_append(&o->sb, o->first ? "{" : ", ");
        sb_append_json_str(&o->sb, key);
        sb_append(&o->sb, ": ");
    } else {
        sb_appendf(&o->sb, "%-15s ", key);
    }
    o->first = false;
}

static void out_str(struct out *o, const char *key, const char *v)
{
    out_key(o, key);
    if (o->json) {
        if (v) sb_append_json_str(&o->sb, v);
        else sb_append(&o->sb, "null");
    } else {
        /* one line per key: a multi-line description keeps its lines indented */
        for (const char *c = v ? v : "-"; *c; c++) {
            if (*c == '\n') sb_append(&o->sb, "\n                ");
            else sb_append_char(&o->sb, *c);
        }
        sb_append_char(&o->sb, '\n');
    }
}

static void out_list(struct out *o, const char *key, const struct strlist *l)
{
    out_key(o, key);
    if (o->json) {
        sb_append_char(&o->sb, '[');
        for (size_t i = 0; i < l->n; i++) {
            if (i) sb_append(&o->sb, ", ");
            sb_append_json_str(&o->sb, l->v[i]);
        }
        sb_append_char(&o->sb, ']');
    } else {
        for (size_t i = 0; i < l->n; i++) sb_appendf(&o->sb, "%s%s", i ? ", " : "", l->v[i]);
        sb_append(&o->sb, l->n ? "\n" : "-\n");
    }
}

static void out_bool(struct out *o, const char *key, int v) /* -1: unset */
{
    out_key(o, key);
    if (o->json) sb_append(&o->sb, v < 0 ? "null" : v ? "true" : "false");
    else sb_append(&o->sb, v < 0 ? "-\n" : v ? "true\n" : "false\n");
}

static void out_ranges(struct out *o, const char *key, const struct ranges *r)
{
    out_key(o, key);
    if (o->json) sb_append_char(&o->sb, '[');
    for (size_t i = 0; i < r->n; i++) {
        char a[32], b[32];
        time_fmt_ts(r->v[i].s, a);
        time_fmt_ts(r->v[i].e, b);
        if (o->json) sb_appendf(&o->sb, "%s[\"%.19s\", \"%.19s\"]", i ? ", " : "", a, b);
        else sb_appendf(&o->sb, "%s[%.19s, %.19s)", i ? " " : "", a, b);
    }
    if (o->json) sb_append_char(&o->sb, ']');
    else sb_append(&o->sb, r->n ? "\n" : "-\n");
}

static void describe(const struct plan *pl, const struct plan_item *it, struct out *o)
{
    const struct project *p = &pl->proj;
    const struct model *m = &p->models[it->m];
    out_str(o, "name", m->name);
    char *where = xasprintf("%s:%d", m->file, m->line);
    out_str(o, "file", where);
    free(where);
    out_str(o, "kind", model_kind_name(m->kind));
    out_str(o, "kind_args", m->kind_args[0] ? m->kind_args : NULL);
    out_str(o, "cron", m->cron);
    out_str(o, "start", m->start);
    out_str(o, "owner", m->owner);
    out_str(o, "description", m->description);
    out_list(o, "tags", &m->meta.tags);
    out_list(o, "grains", &m->meta.grains);
    out_list(o, "references", &m->meta.references);
    out_str(o, "project", m->meta.project);
    out_str(o, "stamp", m->stamp);
    out_str(o, "gateway", m->gateway);
    out_list(o, "ignored_rules", &m->meta.ignored_rules);
    out_bool(o, "formatting", m->meta.formatting);
    out_bool(o, "optimize_query", m->meta.optimize_query);
    struct strlist cn = {0}, ct = {0}, cols = {0};
    if (model_columns(m, &cn, &ct))
        for (size_t i = 0; i < cn.n; i++) {
            char *c = xasprintf("%s %s", cn.v[i], ct.v[i]);
            strlist_push(&cols, c);
            free(c);
        }
    out_list(o, "columns", &cols);
    strlist_free(&cn);
    strlist_free(&ct);
    strlist_free(&cols);
    struct strlist audits = {0};
    for (size_t i = 0; i < m->n_audits; i++) strlist_push(&audits, m->audits[i].name);
    for (size_t i = 0; i < m->n_inline_audits; i++) strlist_push(&audits, m->inline_audits[i].name);
    out_list(o, "audits", &audits);
    strlist_free(&audits);
    out_list(o, "parents", &p->parent_names[it->m]);
    out_str(o, "fingerprint", it->fp);
    out_str(o, "table_name", it->physical); /* what this definition builds (sqlmesh table_name) */
    out_str(o, "live_table", it->cur ? it->cur->physical : NULL);
    out_str(o, "plan", reason_name(it->reason));
    if (it->cur && !strcmp(it->cur->fingerprint, it->fp)) out_ranges(o, "intervals", &it->cur->done);
    else out_ranges(o, "intervals", &(struct ranges){0});
}

int cmd_info(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return cli_help(usage);
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"execution-time", required_argument, NULL, 'e'},
                                         {NULL, 0, NULL, 0}};
    bool json = false;
    const char *exec = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (c == 'j') json = true;
        else if (c == 'e') exec = optarg;
        else return cli_getopt_error(usage, argv[0], c, argv);
    }
    if (optind + 1 != argc)
        return cli_usage_error(usage, optind < argc ? "unexpected argument '%s'" : "expected a MODEL",
                               optind + 1 < argc ? argv[optind + 1] : "");
    const char *name = argv[optind];
    struct mt_err err = MT_ERR_INIT;
    int64_t exec_us;
    if (plan_exec_time(&g_config, exec, &exec_us, &err) < 0) return cli_usage_error(usage, "%s", err.msg);
    const char *path = g_config.s.duckdb_path;
    struct db d;
    if (db_open(&d, fs_exists(path) ? path : ":memory:", fs_exists(path), 0, &err) < 0) return cli_fail(err.msg);
    struct plan pl;
    int rc = plan_build(&g_config, d.con, true, exec_us, &pl, &err);
    if (rc == 0) {
        char *canon = project_canon_name(&pl.proj, name);
        long i = project_find(&pl.proj, canon);
        free(canon);
        if (i < 0) {
            rc = mt_errf(&err, "info: no model named '%s' in %s (`materia dag` lists them)", name, pl.proj.dir);
        } else {
            struct out o = {.json = json, .first = true};
            sb_init(&o.sb);
            for (size_t k = 0; k < pl.n; k++)
                if (pl.items[k].m == (size_t)i) describe(&pl, &pl.items[k], &o);
            if (json) sb_append(&o.sb, "}\n");
            fputs(o.sb.buf, stdout);
            sb_free(&o.sb);
        }
        plan_free(&pl);
    }
    db_close(&d);
    return rc < 0 ? cli_fail(err.msg) : MT_EXIT_OK;
}
