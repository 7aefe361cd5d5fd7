/* render_cmd.c — `materia render MODEL`: the model's SQL after macro expansion, as a run
 * would execute it (@this_model names its physical table for the current fingerprint).
 * `materia render --query FILE` expands any SQL text with given variables, table columns
 * and times, outside a project — what the macro conformance suite drives. */
#include <ctype.h>
#include <getopt.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "util/err.h"
#include "transform/engine.h"
#include "transform/kinds.h"
#include "util/cli.h"
#include "util/common.h"
#include "util/db.h"
#include "util/fsutil.h"
#include "util/json.h"

static const char usage[] =
    "usage: materia render [--start DS] [--end DS] [--execution-time TS] MODEL\n"
    "       materia render --query FILE|- [--vars JSON] [--schema JSON] [--start DS] [--end DS]\n"
    "                      [--execution-time TS] [--this-model SQL] [--gateway NAME]\n"
    "                      [--model-kind NAME]\n\n"
    "Prints MODEL's query (schema.table) after macro expansion. The interval defaults to\n"
    "the last complete cron interval before the execution time; --end is exclusive.\n\n"
    "With --query, expands the SQL in FILE (- for stdin) on its own: --vars is a JSON object\n"
    "of variables (as config.yaml's `variables`), --schema a JSON object table -> {column:\n"
    "type} for @STAR and @UNION; times default to 1970-01-01 as in SQLMesh's renderer.\n";

/* --schema's answer to render_ctx.columns: the table by full name, else by its last part. */
static int schema_columns(void *ud, const char *table, struct strlist *names, struct strlist *types)
{
    const struct json *schema = ud;
    const struct json *t = NULL;
    for (size_t i = 0; schema && schema->t == JSON_OBJ && i < schema->n && !t; i++) {
        const char *k = schema->keys[i], *dot = strrchr(table, '.');
        if (!strcasecmp(k, table) || (dot && !strcasecmp(k, dot + 1)) || (strrchr(k, '.') && !strcasecmp(strrchr(k, '.') + 1, table)))
            t = &schema->items[i];
    }
    if (!t || t->t != JSON_OBJ) return -1;
    for (size_t i = 0; i < t->n; i++) {
        strlist_push(names, t->keys[i]);
        strlist_push(types, t->items[i].t == JSON_STR ? t->items[i].s : "UNKNOWN");
    }
    return 0;
}

static void lower_keys(struct json *j)
{
    if (j->t != JSON_OBJ) return;
    for (size_t i = 0; i < j->n; i++)
        for (char *p = j->keys[i]; *p; p++) *p = (char)tolower((unsigned char)*p);
}

struct query_opts {
    const char *file, *vars, *schema, *this_model, *gateway, *kind, *start, *end, *exec;
};

static int render_query(const struct query_opts *o)
{
    struct mt_err err = MT_ERR_INIT;
    char *sql = NULL;
    size_t len = 0;
    if (fs_read_all(!strcmp(o->file, "-") ? "/dev/stdin" : o->file, &sql, &len, &err) < 0) return cli_fail(err.msg);
    struct json vars = {0}, schema = {0}; /* JSON_NULL until given; json_free is safe on either */
    int64_t s_us = 0, e_us = 86400 * US_PER_SEC, x_us = 0;
    int rc = 0;
    if ((o->start && time_parse(o->start, &s_us) < 0) || (o->end && time_parse(o->end, &e_us) < 0) ||
        (o->exec && time_parse(o->exec, &x_us) < 0)) {
        free(sql);
        return cli_usage_error(usage, "--start/--end/--execution-time: expected YYYY-MM-DD[ HH:MM[:SS]]");
    }
    if (o->vars) {
        if (json_parse(o->vars, &vars, &err) < 0) {
            mt_err_prefix(&err, "--vars: expected a JSON object: ");
            rc = -1;
        } else if (vars.t != JSON_OBJ) {
            rc = mt_errf(&err, "--vars: expected a JSON object, got another JSON value");
        } else lower_keys(&vars);
    }
    if (rc == 0 && o->schema) {
        if (json_parse(o->schema, &schema, &err) < 0) {
            mt_err_prefix(&err, "--schema: expected a JSON object of tables: ");
            rc = -1;
        } else if (schema.t != JSON_OBJ) {
            rc = mt_errf(&err, "--schema: expected a JSON object of tables, got another JSON value");
        }
    }
    if (rc == 0) {
        struct render_ctx ctx = {.cfg = &g_config, .vars = o->vars ? &vars : NULL, .gateway = o->gateway,
                                 .kind_name = o->kind, .columns = o->schema ? schema_columns : NULL,
                                 .columns_ud = o->schema ? &schema : NULL, .this_model = o->this_model,
                                 .start_us = s_us, .end_us = e_us, .exec_us = x_us, .statements = true};
        strbuf sb;
        sb_init(&sb);
        rc = macro_render(sql, !strcmp(o->file, "-") ? "<stdin>" : o->file, 1, &ctx, &sb, &err);
        if (rc == 0) printf("%s\n", sb.buf ? sb.buf : "");
        sb_free(&sb);
    }
    json_free(&vars); /* also a parsed value that was not an object */
    json_free(&schema);
    free(sql);
    return rc < 0 ? cli_fail(err.msg) : MT_EXIT_OK;
}

int cmd_render(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return cli_help(usage);
    static const struct option opts[] = {{"start", required_argument, NULL, 's'}, {"end", required_argument, NULL, 'n'},
                                         {"execution-time", required_argument, NULL, 'e'},
                                         {"query", required_argument, NULL, 'q'}, {"vars", required_argument, NULL, 'v'},
                                         {"schema", required_argument, NULL, 'c'},
                                         {"this-model", required_argument, NULL, 't'},
                                         {"gateway", required_argument, NULL, 'g'},
                                         {"model-kind", required_argument, NULL, 'k'}, {NULL, 0, NULL, 0}};
    const char *exec = NULL, *start = NULL, *end = NULL;
    struct query_opts q = {0};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (c == 'e') exec = optarg;
        else if (c == 's') start = optarg;
        else if (c == 'n') end = optarg;
        else if (c == 'q') q.file = optarg;
        else if (c == 'v') q.vars = optarg;
        else if (c == 'c') q.schema = optarg;
        else if (c == 't') q.this_model = optarg;
        else if (c == 'g') q.gateway = optarg;
        else if (c == 'k') q.kind = optarg;
        else return cli_getopt_error(usage, argv[0], c, argv);
    }
    if (q.file) {
        if (optind != argc) return cli_usage_error(usage, "%s: --query takes no MODEL", argv[0]);
        q.start = start;
        q.end = end;
        q.exec = exec;
        return render_query(&q);
    }
    if (q.vars || q.schema || q.this_model || q.gateway || q.kind)
        return cli_usage_error(usage, "%s: --vars, --schema, --this-model, --gateway and --model-kind go with --query",
                               argv[0]);
    if (optind + 1 != argc) return cli_usage_error(usage, "%s: expected one MODEL", argv[0]);
    struct mt_err err = MT_ERR_INIT;
    int64_t exec_us, s_us = 0, e_us = 0;
    if (plan_exec_time(&g_config, exec, &exec_us, &err) < 0) return cli_usage_error(usage, "%s", err.msg);
    if ((start && time_parse(start, &s_us) < 0) || (end && time_parse(end, &e_us) < 0))
        return cli_usage_error(usage, "--start/--end: expected YYYY-MM-DD[ HH:MM[:SS]]");
    struct db d;
    if (db_open(&d, ":memory:", false, 1, &err) < 0) {
        return cli_fail(err.msg);
    }
    struct plan pl;
    int rc = plan_build(&g_config, d.con, false, exec_us, &pl, &err);
    if (rc == 0) {
        long i = project_find(&pl.proj, argv[optind]);
        const struct plan_item *it = NULL;
        for (size_t k = 0; k < pl.n && i >= 0; k++)
            if (pl.items[k].m == (size_t)i) it = &pl.items[k];
        if (!it) {
            mt_errf(&err, "no model named '%s' under %s", argv[optind], pl.proj.dir);
            rc = -1;
        } else if (pl.proj.models[i].kind == KIND_SEED) {
            printf("-- SEED %s: rows of %s\n", pl.proj.models[i].name, pl.proj.models[i].seed_path);
        } else {
            const struct model *m = &pl.proj.models[i];
            if (!end) e_us = cron_floor(m->unit, exec_us);
            if (!start) s_us = cron_floor(m->unit, e_us - 1);
            struct render_ctx ctx;
            project_render_ctx(&pl.proj, (size_t)i, &g_config, &ctx);
            ctx.this_model = it->physical;
            ctx.start_us = s_us;
            ctx.end_us = e_us;
            ctx.exec_us = exec_us;
            strbuf raw, sb;
            sb_init(&raw);
            sb_init(&sb);
            rc = macro_render(m->query, m->file, m->query_line, &ctx, &raw, &err);
            /* exactly what a run sends: table names as names.c makes them mean what SQLMesh means */
            if (rc == 0) rc = names_qualify(&pl.proj, (size_t)i, d.con, raw.buf, it->physical, &sb, &err);
            if (rc == 0 && embedded_reader(&pl.proj, (size_t)i)) { /* EMBEDDED parents inlined */
                strbuf named = sb;
                sb_init(&sb);
                ctx.con = d.con;
                rc = embedded_expand(&pl.proj, (size_t)i, &ctx, named.buf, &sb, &err);
                sb_free(&named);
            }
            if (rc == 0) printf("%s\n", sb.buf);
            sb_free(&raw);
            sb_free(&sb);
        }
        plan_free(&pl);
    }
    db_close(&d);
    return rc < 0 ? cli_fail(err.msg) : MT_EXIT_OK;
}
