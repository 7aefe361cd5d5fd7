/* config_cmd.c — `materia config`: every known setting, its effective value, and where the
 * value came from (environment, .env:LINE, config.yaml:LINE, -p, current folder, default),
 * then what the project's config.yaml sets for the transform. */
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "util/cli.h"
#include "util/common.h"
#include "util/config.h"
#include "util/strbuf.h"

static const char usage[] =
    "usage: materia config\n\n"
    "Prints the effective configuration: KEY=value  (source)  description.\n"
    "Sources, strongest first: the environment, .env, the project's config.yaml (SQLMesh's\n"
    "project file; `-p DIR` or the current folder choose the project), the built-in default.\n"
    "Then the project's config.yaml settings for the transform (gateway, model defaults,\n"
    "variables, before_all/after_all), each with its line.\n";

int cmd_config(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return cli_help(usage);
    if (argc > 1) return cli_usage_error(usage, "config: unexpected argument '%s'", argv[1]);
    if (g_config.dotenv_path) printf("# read %s\n", g_config.dotenv_path);
    for (size_t i = 0; i < g_config.n; i++) {
        const struct config_item *it = &g_config.items[i];
        if (!it->known) continue;
        /* config.yaml values name their line (the file is the project's, not ./.env) */
        char *src = it->source == CONFIG_YAML ? config_source_describe(&g_config, it)
                                              : xstrdup(config_source_name(it->source));
        /* a secret is never printed (a pasted `materia config` must not leak it): only
         * whether it is set */
        bool secret = config_is_secret(it->key);
        printf("%s=%s\t(%s)\t# %s\n", it->key,
               secret ? (*it->value ? "(set, not shown)" : "") : it->value, src,
               config_describe(it->key));
        free(src);
    }
    if (g_config.project_refusal) printf("# project refused: %s\n", g_config.project_refusal);
    if (!g_config.has_project) return MT_EXIT_OK;
    const struct project_config *pc = &g_config.project;
    const char *f = pc->path;
    printf("# read %s\n", f);
    if (pc->gateway) printf("gateway=%s\t(%s:%d; %s)\n", pc->gateway, f, pc->gateway_line, pc->gateway_from);
    if (pc->catalog) printf("catalog=%s\t(%s:%d)\n", pc->catalog, f, pc->database_line);
    for (size_t i = 0; i < pc->n_catalogs; i++)
        printf("catalogs.%s=%s%s\t(%s:%d)\n", pc->catalogs[i].name, pc->catalogs[i].path,
               pc->catalogs[i].read_only ? " (read only)" : "", f, pc->catalogs[i].line);
    if (pc->d_dialect) printf("model_defaults.dialect=%s\t(%s:%d)\n", pc->d_dialect, f, pc->d_dialect_line);
    const struct { const char *k, *v; int line; } d[] = {
        {"start", pc->d_start, pc->d_start_line}, {"cron", pc->d_cron, pc->d_cron_line},
        {"kind", pc->d_kind, pc->d_kind_line},    {"owner", pc->d_owner, pc->d_owner_line},
        {"audits", pc->d_audits, pc->d_audits_line},
    };
    for (size_t i = 0; i < MT_ARRAY_LEN(d); i++)
        if (d[i].v) printf("model_defaults.%s=%s\t(%s:%d)\n", d[i].k, d[i].v, f, d[i].line);
    for (size_t i = 0; i < pc->vars.n; i++) {
        const struct json *v = &pc->vars.items[i];
        const char *text = v->t == JSON_STR || v->t == JSON_NUM ? v->s
                           : v->t == JSON_BOOL ? (v->b ? "true" : "false")
                           : v->t == JSON_NULL ? "null" : v->t == JSON_ARR ? "[list]" : "{map}";
        printf("variables.%s=%s\t(%s)\n", pc->vars.keys[i], text, f);
    }
    for (size_t i = 0; i < pc->before_all.n; i++)
        printf("before_all[%zu]=%s\t(%s:%d)\n", i, pc->before_all.v[i], f, pc->before_all_line);
    for (size_t i = 0; i < pc->after_all.n; i++)
        printf("after_all[%zu]=%s\t(%s:%d)\n", i, pc->after_all.v[i], f, pc->after_all_line);
    return MT_EXIT_OK;
}
