/* test_web_static.c — web_static_get's streamed case (web/web_static.h): a file it cannot
 * keep in memory comes back open, with the size and ETag of one fstat(2) of that very
 * descriptor, so the server sends exactly the length the ETag names without a second stat
 * (review of issue 16: answer_static fstat'ed the file again). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"
#include "util/fsutil.h"
#include "util/strbuf.h"
#include "web/web_static.h"

static void no_headers(struct MHD_Response *resp)
{
    (void)resp;
}

static void test_large_file_is_streamed_with_its_size(void **state)
{
    (void)state;
    const char *root = getenv("MATERIA_TEST_TMP");
    struct mt_err err = MT_ERR_INIT;
    if (!root) root = "/tmp";
    assert_int_equal(fs_mkdir_p(root, &err), 0);
    char *dir = xasprintf("%s/webstatic-XXXXXX", root);
    assert_non_null(mkdtemp(dir));
    char *path = xasprintf("%s/big.bin", dir);
    int w = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(w >= 0);
    off_t size = (off_t)WEB_STATIC_MAX_FILE + 1; /* too large to keep: sparse, costs no disk */
    assert_int_equal(ftruncate(w, size), 0);
    assert_int_equal(close(w), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);

    struct web_static ws;
    web_static_init(&ws, no_headers);
    const struct web_static_file *f = NULL;
    struct web_static_stream s;
    assert_int_equal(web_static_get(&ws, dir, "big.bin", &f, &s, &err), 1);
    assert_null(f);
    assert_true(s.fd >= 0);
    assert_int_equal(s.size, (uint64_t)size);
    char want[64];
    snprintf(want, sizeof want, "\"%llx-%llx\"", (unsigned long long)size,
             (unsigned long long)st.st_mtim.tv_sec * 1000000000ULL + (unsigned long long)st.st_mtim.tv_nsec);
    assert_string_equal(s.etag, want);
    assert_int_equal(close(s.fd), 0);

    /* no such file: 404, and no descriptor to close */
    assert_int_equal(web_static_get(&ws, dir, "nope.bin", &f, &s, &err), 404);
    assert_int_equal(s.fd, -1);
    web_static_free(&ws);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
    free(path);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_large_file_is_streamed_with_its_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
