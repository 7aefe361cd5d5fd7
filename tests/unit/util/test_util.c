/* test_util.c — unit tests for the util core: strbuf, config precedence, atomic writes,
 * the flock helper. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/config.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/hash.h"
#include "util/strbuf.h"

static char *scratch_dir(void)
{
    const char *root = getenv("MATERIA_TEST_TMP");
    struct mt_err err = MT_ERR_INIT;
    if (!root) root = "/tmp";
    assert_int_equal(fs_mkdir_p(root, &err), 0);
    char *tmpl = xasprintf("%s/util-XXXXXX", root);
    assert_non_null(mkdtemp(tmpl));
    return tmpl;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void test_strbuf_grows_and_escapes(void **state)
{
    (void)state;
    strbuf sb;
    sb_init(&sb);
    for (int i = 0; i < 1000; i++) sb_appendf(&sb, "%d,", i);
    assert_true(sb.len > 3000);
    assert_int_equal(strlen(sb.buf), sb.len);
    sb_reset(&sb);
    sb_append_json_str(&sb, "a\"b\\c\n<x>\x01");
    assert_string_equal(sb.buf, "\"a\\\"b\\\\c\\n\\u003cx\\u003e\\u0001\"");
    sb_free(&sb);
}

static void test_config_precedence(void **state)
{
    (void)state;
    char *dir = scratch_dir();
    char *env = fs_join(dir, ".env");
    FILE *f = fopen(env, "w");
    fputs("# a comment\n\nLANDING_DIR=/dotenv/landing\nexport DUCKDB_PATH=\"/dotenv/lake.duckdb\"\n"
          "CUSTOM_VAR=hello # trailing comment\n", f);
    fclose(f);
    setenv("LANDING_DIR", "/env/landing", 1);
    unsetenv("DUCKDB_PATH");
    unsetenv("SERVING_DUCKDB_PATH");
    unsetenv("CUSTOM_VAR");
    struct config cfg;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(config_load(&cfg, env, &err), 0);
    assert_string_equal(config_get(&cfg, "LANDING_DIR"), "/env/landing");
    assert_int_equal(config_source_of(&cfg, "LANDING_DIR"), CONFIG_ENV);
    assert_string_equal(config_get(&cfg, "DUCKDB_PATH"), "/dotenv/lake.duckdb");
    assert_int_equal(config_source_of(&cfg, "DUCKDB_PATH"), CONFIG_DOTENV);
    assert_string_equal(config_get(&cfg, "SERVING_DUCKDB_PATH"), "data/serving.duckdb");
    assert_int_equal(config_source_of(&cfg, "SERVING_DUCKDB_PATH"), CONFIG_DEFAULT);
    assert_string_equal(config_get(&cfg, "CUSTOM_VAR"), "hello");
    assert_null(config_get(&cfg, "NOT_SET_ANYWHERE_123"));
    config_free(&cfg);

    /* a malformed line names the file and line */
    f = fopen(env, "w");
    fputs("A=1\n=oops\n", f);
    fclose(f);
    assert_int_equal(config_load(&cfg, env, &err), -1);
    assert_non_null(strstr(err.msg, ".env:2"));
    /* a missing .env is fine */
    unlink(env);
    assert_int_equal(config_load(&cfg, env, &err), 0);
    config_free(&cfg);
    unsetenv("LANDING_DIR");
    free(env);
    free(dir);
}

/* The typed settings: defaults parse into the struct, "auto" and on/off are understood,
 * and a value that cannot take effect is refused at load naming its file and line (or the
 * environment) — never replaced by the default (issue 11). */
static void test_config_typed_settings(void **state)
{
    (void)state;
    char *dir = scratch_dir();
    char *env = fs_join(dir, ".env");
    struct config cfg;
    struct mt_err err = MT_ERR_INIT;
    unsetenv("MATERIA_HTTP_THREADS");
    unsetenv("MATERIA_CACHE");
    assert_int_equal(config_load(&cfg, NULL, &err), 0);
    assert_int_equal(cfg.s.http_threads, 2);
    assert_int_equal(cfg.s.http_max_connections, SETTING_AUTO);
    assert_true(cfg.s.cache);
    assert_int_equal(cfg.s.access_log, ACCESS_LOG_ALL);
    assert_int_equal(cfg.s.extract_max_bytes, 1073741824L);
    assert_string_equal(cfg.s.supervise_at, "06:00");
    assert_string_equal(cfg.s.serving_duckdb_path, "data/serving.duckdb");
    config_free(&cfg);

    FILE *f = fopen(env, "w");
    fputs("MATERIA_CACHE=off\nMATERIA_HTTP_MAX_CONNECTIONS=300\nMATERIA_ACCESS_LOG=Errors\n", f);
    fclose(f);
    assert_int_equal(config_load(&cfg, env, &err), 0);
    assert_false(cfg.s.cache);
    assert_int_equal(cfg.s.http_max_connections, 300);
    assert_int_equal(cfg.s.access_log, ACCESS_LOG_ERRORS);
    config_free(&cfg);
    /* STRIPE_API_URL: https anywhere, http to a stand-in on this machine */
    static const char *const api_ok[] = {"https://api.stripe.com", "http://127.0.0.1:8123", "http://localhost/x", NULL};
    for (int i = 0; api_ok[i]; i++) {
        f = fopen(env, "w");
        fprintf(f, "STRIPE_API_URL=%s\n", api_ok[i]);
        fclose(f);
        if (config_load(&cfg, env, &err) != 0) fail_msg("%s: refused: %s", api_ok[i], err.msg);
        assert_string_equal(cfg.s.stripe_api_url, api_ok[i]);
        config_free(&cfg);
    }

    static const struct {
        const char *line, *want;
    } bad[] = {
        {"MATERIA_HTTP_THREADS=many", "MATERIA_HTTP_THREADS=many is not supported by materia: expected a whole number from 1 to 64"},
        {"MATERIA_HTTP_THREADS=0", "expected a whole number from 1 to 64"},
        {"MATERIA_CACHE=maybe", "MATERIA_CACHE=maybe is not supported by materia: expected on or off"},
        {"MATERIA_ACCESS_LOG=some", "expected one of all, errors, off"},
        {"SUPERVISE_AT=25:00", "expected a UTC time HH:MM"},
        {"PSD_SOURCE_URL=ftp://x", "expected an https://, http:// or file:// URL"},
        {"LANDING_DIR=", "LANDING_DIR= is not supported by materia: expected a non-empty value"},
        {"EXTRACT_RETRIES=-1", "EXTRACT_RETRIES=-1 is not supported"},
        /* the Stripe key must not travel in clear: http:// only to this machine */
        {"STRIPE_API_URL=http://api.stripe.com", "expected an https:// URL, or http://127.0.0.1"},
        {"STRIPE_API_URL=http://localhost.example.com", "expected an https:// URL"},
        {"STRIPE_API_URL=http://localhost:80@example.com/", "expected an https:// URL"},
        {"STRIPE_API_URL=file:///tmp/x", "expected an https:// URL"},
        {"STRIPE_API_URL=", "expected an https:// URL"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        f = fopen(env, "w");
        fprintf(f, "# first line\n%s\n", bad[i].line);
        fclose(f);
        assert_int_equal(config_load(&cfg, env, &err), -1);
        if (!strstr(err.msg, bad[i].want) || !strstr(err.msg, ".env:2: "))
            fail_msg("%s: got '%s'", bad[i].line, err);
    }
    /* from the environment: named as such */
    unlink(env);
    setenv("MATERIA_HTTP_THREADS", "99", 1);
    assert_int_equal(config_load(&cfg, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "environment: MATERIA_HTTP_THREADS=99 is not supported by materia"));
    unsetenv("MATERIA_HTTP_THREADS");
    free(env);
    free(dir);
}

/* The one error type: set, prefix (the code survives, the context is never cut), clear,
 * and a message that refers to itself. */
static void test_err_type(void **state)
{
    (void)state;
    struct mt_err e = MT_ERR_INIT;
    assert_int_equal(e.code, MT_OK);
    assert_int_equal(mt_err_set(&e, MT_ERR_FORMAT, "line %d: bad", 1), -1);
    assert_int_equal(e.code, MT_ERR_FORMAT);
    assert_string_equal(e.msg, "line 1: bad");
    assert_int_equal(mt_err_prefix(&e, "http://x/%s", "y"), -1);
    assert_string_equal(e.msg, "http://x/y: line 1: bad");
    assert_int_equal(e.code, MT_ERR_FORMAT); /* kinds are codes, kept through context */
    mt_errf(&e, "%s (again)", e.msg);        /* its own message as an argument */
    assert_string_equal(e.msg, "http://x/y: line 1: bad (again)");
    assert_int_equal(e.code, MT_ERR_FAIL);
    char big[3 * MT_ERR_LEN];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    mt_errf(&e, "%s", big);
    mt_err_prefix(&e, "context");
    assert_int_equal(strlen(e.msg), MT_ERR_LEN - 1);
    assert_memory_equal(e.msg, "context: aaa", 12);
    struct mt_err c = e;
    mt_err_clear(&c);
    assert_int_equal(c.code, MT_OK);
    assert_string_equal(c.msg, "");
    assert_int_equal(mt_err_set(NULL, MT_ERR_IO, "dropped"), -1); /* NULL: the error is dropped */
}

/* A message cut to MT_ERR_LEN - 1 bytes never ends inside a UTF-8 character: err->msg is
 * printed, logged and sent as JSON (webhook alerts), where a partial character is refused. */
static void test_err_cut_keeps_whole_characters(void **state)
{
    (void)state;
    static const char euro[] = "\xe2\x82\xac"; /* 3 bytes */
    struct mt_err e = MT_ERR_INIT;
    char big[MT_ERR_LEN + 8];
    /* MT_ERR_LEN - 2 'a's, then the euro: only its first byte would fit */
    memset(big, 'a', MT_ERR_LEN - 2);
    memcpy(big + MT_ERR_LEN - 2, euro, 4);
    mt_errf(&e, "%s", big);
    assert_int_equal(strlen(e.msg), MT_ERR_LEN - 2);
    assert_int_equal(e.msg[MT_ERR_LEN - 3], 'a');
    /* a prefix cuts the message's tail: whole characters only there too */
    for (size_t i = 0; i < (MT_ERR_LEN - 1) / 3; i++) memcpy(big + 3 * i, euro, 3);
    big[3 * ((MT_ERR_LEN - 1) / 3)] = '\0';
    mt_errf(&e, "%s", big);
    mt_err_prefix(&e, "ctx");             /* "ctx: " then euros: 1018 bytes left for them */
    size_t n = strlen(e.msg);
    assert_int_equal((n - 5) % 3, 0);     /* only whole euros follow the context */
    assert_true(n > MT_ERR_LEN - 1 - 3);
    assert_memory_equal(e.msg + n - 3, euro, 3);
    /* a context longer than the room is cut the same way (to 1020 bytes of whole euros), and
     * the one byte left takes the message */
    mt_errf(&e, "m");
    mt_err_prefix(&e, "%s", big);
    n = strlen(e.msg);
    assert_int_equal(n, 1020 + 3);
    assert_memory_equal(e.msg + n - 6, euro, 3);
    assert_memory_equal(e.msg + n - 3, ": m", 3);
}

static void test_atomic_write_never_replaces(void **state)
{
    (void)state;
    char *dir = scratch_dir();
    char *p = fs_join(dir, "a/b/c.txt");
    struct mt_err err = MT_ERR_INIT;
    char *d = fs_dirname(p);
    assert_int_equal(fs_mkdir_p(d, &err), 0);
    assert_int_equal(fs_write_atomic(p, "one", 3, true, &err), 0);
    /* no_replace: second write fails, file unchanged, no temp file left */
    assert_int_equal(fs_write_atomic(p, "two", 3, true, &err), -1);
    assert_non_null(strstr(err.msg, "already exists"));
    char *data;
    size_t len;
    assert_int_equal(fs_read_all(p, &data, &len, &err), 0);
    assert_string_equal(data, "one");
    free(data);
    assert_int_equal(count_entries(d), 1);
    /* replace mode replaces atomically */
    assert_int_equal(fs_write_atomic(p, "three", 5, false, &err), 0);
    assert_int_equal(fs_read_all(p, &data, &len, &err), 0);
    assert_string_equal(data, "three");
    free(data);
    assert_int_equal(count_entries(d), 1);
    /* a write into a missing directory fails cleanly */
    char *bad = fs_join(dir, "missing/x.txt");
    assert_int_equal(fs_write_atomic(bad, "x", 1, false, &err), -1);
    assert_non_null(strstr(err.msg, "missing"));
    free(bad);
    free(d);
    free(p);
    free(dir);
}

static void test_sha256_known_vector(void **state)
{
    (void)state;
    char hex[HASH_HEX_LEN];
    hash_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_lock_is_exclusive(void **state)
{
    (void)state;
    struct mt_err err = MT_ERR_INIT;
    char *dir = scratch_dir();
    char *path = xasprintf("%s/x.lock", dir);
    int a = fs_lock_acquire(path, "export", &err);
    assert_true(a >= 0);
    int b = fs_lock_acquire(path, "export", &err);
    assert_int_equal(b, -1);
    assert_non_null(strstr(err.msg, "held by another process"));
    assert_non_null(strstr(err.msg, path));
    fs_lock_release(a);
    b = fs_lock_acquire(path, "export", &err);
    assert_true(b >= 0);
    fs_lock_release(b);
    unlink(path);
    rmdir(dir);
    free(path);
    free(dir);
}

/* A size that would wrap len + extra + 1 must abort (out of memory), never "fit". */
static void test_strbuf_grow_overflow_aborts(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        strbuf sb;
        sb_init(&sb);
        sb_append(&sb, "abc");
        sb_grow(&sb, SIZE_MAX - 2);
        _exit(0); /* reached only when the wrap went unnoticed */
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
}

/* The site's address for links (config_site_base): PUBLIC_BASE_URL without its trailing
 * slashes wins; else serve's resolved listening address; else http://MATERIA_HTTP_ADDR. */
static void test_site_base(void **state)
{
    (void)state;
    struct settings s = {0};
    s.http_addr = "127.0.0.1:8000";
    s.public_base_url = "https://coffee.example.org//";
    char *b = config_site_base(&s, "http://127.0.0.1:41234");
    assert_string_equal(b, "https://coffee.example.org");
    free(b);
    s.public_base_url = "";
    b = config_site_base(&s, "http://127.0.0.1:41234/");
    assert_string_equal(b, "http://127.0.0.1:41234");
    free(b);
    b = config_site_base(&s, NULL);
    assert_string_equal(b, "http://127.0.0.1:8000");
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strbuf_grows_and_escapes),
        cmocka_unit_test(test_config_precedence),
        cmocka_unit_test(test_config_typed_settings),
        cmocka_unit_test(test_err_type),
        cmocka_unit_test(test_err_cut_keeps_whole_characters),
        cmocka_unit_test(test_atomic_write_never_replaces),
        cmocka_unit_test(test_sha256_known_vector),
        cmocka_unit_test(test_lock_is_exclusive),
        cmocka_unit_test(test_strbuf_grow_overflow_aborts),
        cmocka_unit_test(test_site_base),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
