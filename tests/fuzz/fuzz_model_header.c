/* fuzz_model_header.c — libFuzzer target for the transform stage's MODEL and AUDIT header
 * parsers (src/transform/header.c: model_parse, audit_file_parse).
 *
 * The input is one model file's bytes; the first byte also picks whether the same bytes
 * are parsed as an audits/ file. Contract checked on every input: the parser returns 0 or
 * -1; on success the model has a "schema.table" name split into schema and table, a cron, kind arguments and a query (SQL after the header); on failure err is one
 * non-empty line starting with the file name, and the model is left zeroed. Everything
 * allocated is freed (LeakSanitizer checks). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transform/model.h"
#include "util/err.h"

static void fuzz_fail(const char *what)
{
    fprintf(stderr, "fuzz_model_header: contract broken: %s\n", what);
    abort();
}

static void check_err(const struct mt_err *err)
{
    if (!memchr(err->msg, '\0', sizeof err->msg)) fuzz_fail("err not NUL-terminated");
    if (strncmp(err->msg, "fuzz.sql:", 9)) fuzz_fail("err does not start with the file name");
    if (strchr(err->msg, '\n')) fuzz_fail("err spans more than one line");
}

static bool all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i]) return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* exact-size copy: any read past the end is an ASan report */
    char *text = malloc(size ? size : 1);
    if (!text) return 0;
    if (size) memcpy(text, data, size);

    struct mt_err err = MT_ERR_INIT;
    mt_err_clear(&err);
    struct model m;
    int rc = model_parse(text, size, "fuzz.sql", &m, &err);
    if (rc == 0) {
        if (!m.name || !m.schema || !m.table) fuzz_fail("success without a name");
        /* name is "schema.table" (a one-part name's schema is `default`); quoted parts keep
         * their case and may hold dots, so the split is checked by length, not at a dot */
        size_t ls = strlen(m.schema);
        if (!ls || !m.table[0]) fuzz_fail("empty schema or table");
        if (strncmp(m.name, m.schema, ls) || m.name[ls] != '.' || strcmp(m.name + ls + 1, m.table))
            fuzz_fail("schema/table do not match the name");
        if (m.catalog && !m.catalog[0]) fuzz_fail("empty catalog");
        if (!m.cron || !m.kind_args || !m.query || !m.file) fuzz_fail("missing defaults");
        if (m.kind != KIND_SEED && !m.query[0]) fuzz_fail("non-seed model without a query");
        if (m.query_line < m.line) fuzz_fail("query starts before MODEL");
        (void)model_kind_name(m.kind);
        model_free(&m);
    } else if (rc == -1) {
        check_err(&err);
        if (!err.msg[0]) fuzz_fail("failure without a message");
        if (!all_zero(&m, sizeof m)) fuzz_fail("model not zeroed after a failure");
    } else {
        fuzz_fail("return code not 0 or -1");
    }

    if (size && (data[0] & 1)) {
        struct audit_def *defs = NULL;
        size_t n = 0;
        mt_err_clear(&err);
        int arc = audit_file_parse(text, size, "fuzz.sql", &defs, &n, &err);
        if (arc == 0) {
            for (size_t i = 0; i < n; i++)
                if (!defs[i].name || !defs[i].query) fuzz_fail("audit without name or query");
        } else if (arc == -1) {
            check_err(&err);
        } else {
            fuzz_fail("audit return code not 0 or -1");
        }
        for (size_t i = 0; i < n; i++) audit_def_free(&defs[i]);
        free(defs);
    }
    free(text);
    return 0;
}
