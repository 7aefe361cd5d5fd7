/* test_cmd.c — `materia test [NAME...]`: the project's SQLMesh YAML unit tests
 * (tests/ ** / test*.yaml), each against an in-memory DuckDB (transform/unittest.c), as
 * `sqlmesh test [NAME...]` runs them. Exit 0 when every selected test passes, 1 otherwise. */
#include <stdio.h>

#include "commands.h"
#include "transform/unittest.h"
#include "util/cli.h"
#include "util/common.h"
#include "util/err.h"

static const char usage[] =
    "usage: materia test [NAME...]\n\n"
    "Runs the project's unit tests: SQLMesh's YAML format in tests/**/test*.yaml (model,\n"
    "inputs as rows or a query, outputs.query / outputs.ctes, partial, vars with start, end\n"
    "and execution_time), each on an in-memory DuckDB. A NAME selects the tests whose\n"
    "'path::name' (tests/test_x.yaml::test_y) contains it, or matches it when it holds '*'.\n"
    "A failure shows the expected and actual rows that differ.\n";

int cmd_test(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return cli_help(usage);
    for (int k = 1; k < argc; k++)
        if (argv[k][0] == '-') return cli_usage_error(usage, "%s: unknown option '%s'", argv[0], argv[k]);
    struct mt_err err = MT_ERR_INIT;
    struct ut_summary sum;
    fflush(stdout);
    if (unittest_run_all(&g_config, argv + 1, argc - 1, stdout, &sum, &err) < 0) return cli_fail(err.msg);
    fflush(stdout);
    return sum.failed ? MT_EXIT_FAIL : MT_EXIT_OK;
}
