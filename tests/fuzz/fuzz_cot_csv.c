/* fuzz_cot_csv.c — libFuzzer target for the CFTC COT validator used by extract
 * (src/extract/cot_csv.c, cot_csv_validate_counts; its 191 header names in cot_columns.c).
 *
 * Besides crashes and sanitizer reports, it checks the validator's contract on every input:
 * success reports at least one Coffee C row, no more Coffee C rows than rows and no more
 * rows than there are lines; failure
 * leaves a non-empty, single-line, NUL-terminated message in err; the answer does not
 * depend on the size of err; and a tiny err buffer is never overrun. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extract/cot_csv.h"
#include "util/err.h"

static void fuzz_fail(const char *what)
{
    fprintf(stderr, "fuzz_cot_csv: contract broken: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A private copy with no terminator after it: ASan catches any read past the end. */
    char *buf = malloc(size ? size : 1);
    if (!buf) return 0;
    if (size) memcpy(buf, data, size);

    struct mt_err err = MT_ERR_INIT;
    memset(err.msg, 'Z', sizeof err.msg);
    int64_t rows = -7, coffee = -7;
    int rc = cot_csv_validate_counts(buf, size, &rows, &coffee, &err);
    if (rc != 0 && rc != -1) fuzz_fail("return code not 0 or -1");
    if (rc == 0) {
        size_t lines = 1;
        for (size_t i = 0; i < size; i++) lines += buf[i] == '\n' || buf[i] == '\r';
        if (rows < 1) fuzz_fail("success with fewer than one data row");
        if (coffee < 1) fuzz_fail("success without a Coffee C row");
        if (coffee > rows) fuzz_fail("more Coffee C rows than rows");
        if ((size_t)rows >= lines) fuzz_fail("more data rows than lines");
    } else {
        if (!memchr(err.msg, '\0', sizeof err.msg)) fuzz_fail("err not NUL-terminated");
        if (err.msg[0] == '\0') fuzz_fail("failure with an empty message");
        if (err.code == MT_OK) fuzz_fail("failure without an error code");
        if (strchr(err.msg, '\n')) fuzz_fail("message spans more than one line");
    }

    /* rows may be NULL, and so may err (the error is then dropped): same answer. */
    int rc2 = cot_csv_validate_counts(buf, size, NULL, NULL, NULL);
    if (rc2 != rc) fuzz_fail("answer depends on the err argument");
    free(buf);
    return 0;
}
