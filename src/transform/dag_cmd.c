/* dag_cmd.c — `materia dag [--format text|dot]`: the model graph in run order. Text shows
 * each model with its kind and parents; dot is Graphviz (`materia dag --format dot | dot -Tsvg`).
 * Needs no lakehouse: dependencies come from DuckDB's parser in an in-memory database. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "util/err.h"
#include "transform/engine.h"
#include "util/cli.h"
#include "util/common.h"
#include "util/db.h"

static const char usage[] =
    "usage: materia dag [--format text|dot]\n\n"
    "Prints the models under MATERIA_PROJECT_DIR in topological (run) order with their\n"
    "parents; --format dot prints a Graphviz digraph instead.\n";

int cmd_dag(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return cli_help(usage);
    static const struct option opts[] = {{"format", required_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
    const char *fmt = "text";
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'f') fmt = optarg;
        else return cli_usage_error(usage, "unknown option");
    }
    if (optind < argc) return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
    bool dot = !strcmp(fmt, "dot");
    if (!dot && strcmp(fmt, "text")) return cli_usage_error(usage, "--format must be text or dot, not '%s'", fmt);
    struct mt_err err = MT_ERR_INIT;
    struct db d;
    if (db_open(&d, ":memory:", false, 1, &err) < 0) {
        return cli_fail(err.msg);
    }
    struct project p;
    int rc = project_load(&g_config, &p, &err);
    if (rc == 0) {
        rc = dag_build(&p, &g_config, d.con, &err);
        if (rc == 0 && dot) {
            printf("digraph materia {\n  rankdir=LR;\n  node [shape=box];\n");
            for (size_t k = 0; k < p.n; k++) {
                size_t i = p.order[k];
                printf("  \"%s\" [label=\"%s\\n%s\"];\n", p.models[i].name, p.models[i].name,
                       model_kind_name(p.models[i].kind));
                for (size_t q = 0; q < p.parent_names[i].n; q++)
                    printf("  \"%s\" -> \"%s\";\n", p.parent_names[i].v[q], p.models[i].name);
            }
            printf("}\n");
        } else if (rc == 0) {
            for (size_t k = 0; k < p.n; k++) {
                size_t i = p.order[k];
                printf("%s (%s)", p.models[i].name, model_kind_name(p.models[i].kind));
                for (size_t q = 0; q < p.parent_names[i].n; q++)
                    printf("%s%s%s", q ? ", " : " <- ", p.parent_names[i].v[q],
                           project_find(&p, p.parent_names[i].v[q]) < 0 ? " [external]" : "");
                printf("\n");
            }
        }
        project_free(&p);
    }
    db_close(&d);
    return rc < 0 ? cli_fail(err.msg) : MT_EXIT_OK;
}
