/* config_cmd.c — `materia config`: every known setting, its effective value, and where the
 * value came from (environment, .env, default). */
#include <stdio.h>

#include "commands.h"
#include "util/cli.h"
#include "util/common.h"
#include "util/config.h"

static const char usage[] =
    "usage: materia config\n\n"
    "Prints the effective configuration: KEY=value  (source)  description.\n"
    "Sources, strongest first: the environment, ./.env, the built-in default.\n";

int cmd_config(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return cli_help(usage);
    if (argc > 1) return cli_usage_error(usage, "config: unexpected argument '%s'", argv[1]);
    if (g_config.dotenv_path) printf("# read %s\n", g_config.dotenv_path);
    for (size_t i = 0; i < g_config.n; i++) {
        const struct config_item *it = &g_config.items[i];
        if (!it->known) continue;
        printf("%s=%s\t(%s)\t# %s\n", it->key, it->value, config_source_name(it->source),
               config_describe(it->key));
    }
    return MT_EXIT_OK;
}
