/* test_yaml.c — util/yaml.c (libyaml into a tree with lines; scalars typed as ruamel's YAML
 * 1.2 safe loader, which SQLMesh uses: sqlmesh/utils/yaml.py) and util/project_config.c
 * (config.yaml's shape: variables, gateways, catalogs, model_defaults). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/err.h"
#include "util/fsutil.h"
#include "util/project_config.h"
#include "util/strbuf.h"
#include "util/yaml.h"

static void load(const char *text, struct ynode *root)
{
    struct mt_err err = MT_ERR_INIT;
    if (yaml_load(text, strlen(text), "t.yaml", root, &err) < 0) fail_msg("%s", err.msg);
}

static void expect_json(const struct ynode *n, enum json_type t, const char *text)
{
    struct json j;
    ynode_json(n, &j);
    assert_int_equal(j.t, t);
    if (t == JSON_NUM || t == JSON_STR) assert_string_equal(j.s, text);
    if (t == JSON_BOOL) assert_int_equal(j.b, !strcmp(text, "true"));
    json_free(&j);
}

static void test_scalar_typing(void **state)
{
    (void)state;
    struct ynode r;
    load("i: 42\nneg: -7\nz: 007\nhex: 0x1F\noct: 0o17\nf: 1.5\ne: 1e3\nt: True\nf2: false\nn: null\nt2: ~\n"
         "empty:\nq: '42'\ndq: \"true\"\nd: 2020-01-01\ns: hello world\nyes: yes\n",
         &r);
    static const struct { const char *k; enum json_type t; const char *v; } want[] = {
        {"i", JSON_NUM, "42"},    {"neg", JSON_NUM, "-7"},  {"z", JSON_NUM, "7"},
        {"hex", JSON_NUM, "31"},  {"oct", JSON_NUM, "15"},  {"f", JSON_NUM, "1.5"},
        {"e", JSON_NUM, "1000"},  {"t", JSON_BOOL, "true"}, {"f2", JSON_BOOL, "false"},
        {"n", JSON_NULL, ""},     {"t2", JSON_NULL, ""},    {"empty", JSON_NULL, ""},
        {"q", JSON_STR, "42"},    {"dq", JSON_STR, "true"}, {"d", JSON_STR, "2020-01-01"},
        {"s", JSON_STR, "hello world"},
        {"yes", JSON_STR, "yes"}, /* YAML 1.2: yes is text, not a bool */
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const struct ynode *n = ynode_get(&r, want[i].k, NULL);
        assert_non_null(n);
        expect_json(n, want[i].t, want[i].v);
    }
    ynode_free(&r);
}

static void test_lines_and_structure(void **state)
{
    (void)state;
    struct ynode r;
    load("# comment\na:\n  b:\n    - 1\n    - x: 2\nc: [1, 2]\n", &r);
    int line = 0;
    const struct ynode *a = ynode_get(&r, "a", &line);
    assert_int_equal(line, 2);
    const struct ynode *b = ynode_get(a, "b", &line);
    assert_int_equal(line, 3);
    assert_int_equal(b->t, YNODE_SEQ);
    assert_int_equal(b->n, 2);
    assert_int_equal(b->items[1].line, 5);
    struct json j;
    ynode_json(&r, &j);
    assert_int_equal(j.t, JSON_OBJ);
    const struct json *c = json_get(&j, "c");
    assert_int_equal(c->t, JSON_ARR);
    assert_int_equal(c->n, 2);
    json_free(&j);
    ynode_free(&r);
}

static void expect_yaml_error(const char *text, const char *want)
{
    struct ynode r;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(yaml_load(text, strlen(text), "t.yaml", &r, &err), -1);
    if (!strstr(err.msg, want)) fail_msg("got '%s', want '%s'", err.msg, want);
    assert_int_equal(err.code, MT_ERR_FORMAT);
}

static void test_errors(void **state)
{
    (void)state;
    expect_yaml_error("a: 1\nb: [1, 2\n", "t.yaml:");
    expect_yaml_error("a: 1\na: 2\n", "t.yaml:2: duplicate key 'a' (first at line 1)");
    expect_yaml_error("a: 1\n---\nb: 2\n", "t.yaml:3: a second YAML document");
    expect_yaml_error("? [1, 2]\n: x\n", "t.yaml:1: expected a plain key");
    expect_yaml_error("a: &x [*x]\n", "t.yaml:"); /* an alias to its own ancestor: not a tree */
}

/* Writes text as dir/config.yaml and loads it. */
static int load_config(const char *text, struct project_config *pc, struct mt_err *err)
{
    const char *root = getenv("MATERIA_TEST_TMP");
    char *dir = xasprintf("%s/yaml-XXXXXX", root ? root : "/tmp");
    assert_int_equal(fs_mkdir_p(root ? root : "/tmp", err), 0);
    assert_non_null(mkdtemp(dir));
    char *path = xasprintf("%s/config.yaml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    int rc = project_config_load(dir, NULL, pc, err);
    unlink(path);
    rmdir(dir);
    free(path);
    free(dir);
    return rc;
}

static void test_project_config(void **state)
{
    (void)state;
    struct project_config pc;
    struct mt_err err = MT_ERR_INIT;
    const char *text =
        "gateways:\n"
        "  Dev:\n    connection:\n      type: duckdb\n      database: /x/dev.duckdb\n"
        "  prod:\n    connection:\n      type: duckdb\n      catalogs:\n        Lake: data/lake.duckdb\n"
        "        other: {type: duckdb, path: /o.duckdb, read_only: true}\n"
        "    variables:\n      B: gw\n"
        "default_gateway: PROD\n"
        "model_defaults:\n  dialect: DuckDB\n  kind:\n    name: INCREMENTAL_BY_TIME_RANGE\n    time_column: ds\n"
        "  audits:\n    - not_null(columns := [id])\n    - mine\n"
        "variables:\n  A: 1\n  b: root\n  nested: {X: [1, two]}\n"
        "before_all:\n  - CREATE TABLE t (a INT)\n";
    if (load_config(text, &pc, &err) != 1) fail_msg("%s", err.msg);
    assert_string_equal(pc.gateway, "prod"); /* root.py get_gateway: lower-case */
    assert_string_equal(pc.catalog, "lake");
    assert_non_null(strstr(pc.database, "/data/lake.duckdb"));
    assert_int_equal(pc.n_catalogs, 1);
    assert_string_equal(pc.catalogs[0].name, "other");
    assert_true(pc.catalogs[0].read_only);
    assert_string_equal(pc.d_dialect, "duckdb");
    assert_string_equal(pc.d_kind, "INCREMENTAL_BY_TIME_RANGE (time_column ds)");
    assert_string_equal(pc.d_audits, "not_null(columns := [id]), mine");
    /* variables: top-level keys lower-case, nested kept; the gateway's override the root's */
    assert_int_equal(pc.vars.t, JSON_OBJ);
    assert_string_equal(json_get(&pc.vars, "a")->s, "1");
    assert_string_equal(json_get(&pc.vars, "b")->s, "gw");
    const struct json *nested = json_get(&pc.vars, "nested");
    assert_int_equal(json_get(nested, "X")->t, JSON_ARR);
    assert_int_equal(pc.before_all.n, 1);
    project_config_free(&pc);

    /* the database's catalog is its file name up to the first dot, as DuckDB names it */
    assert_int_equal(load_config("gateways:\n  g:\n    connection:\n      type: duckdb\n"
                                 "      database: sqlmesh_example.duckdb\n", &pc, &err), 1);
    assert_string_equal(pc.catalog, "sqlmesh_example");
    assert_string_equal(pc.gateway, "g");
    project_config_free(&pc);

    assert_int_equal(load_config("variables: [1]\n", &pc, &err), -1);
    assert_non_null(strstr(err.msg, "config.yaml:1: variables: expected a map of name to value"));
    assert_int_equal(load_config("gateways:\n  g:\n    connection:\n      type: duckdb\n      database: a.db\n"
                                 "      pre_ping: true\n", &pc, &err), -1);
    assert_non_null(strstr(err.msg, "config.yaml:6: pre_ping true is not supported by materia"));
    assert_int_equal(load_config("gateways:\n  g:\n    connection:\n      type: duckdb\n      database: a.db\n"
                                 "      concurrent_tasks: 0\n", &pc, &err), -1);
    assert_non_null(strstr(err.msg, "config.yaml:6: concurrent_tasks: expected a whole number >= 1"));
    assert_int_equal(load_config("gateways:\n  g:\n    connection:\n      type: duckdb\n      database: ':memory:'\n",
                                 &pc, &err), -1);
    assert_non_null(strstr(err.msg, "an in-memory or MotherDuck database is not supported by materia"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalar_typing),
        cmocka_unit_test(test_lines_and_structure),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_project_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
