/* test_web_cache.c — web_cache's budget (web/web_cache.h): web_cache_has_room says whether
 * a put of that size could still succeed, so that web_static.c does not compress a file
 * only to have the put refused (review of issue 16: with a spent budget every request for
 * a new file paid brotli-11 and gzip-9 again). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "web/web_cache.h"

static void test_room_follows_the_budget(void **state)
{
    (void)state;
    struct web_cache c;
    web_cache_init(&c, 2, 100, free);
    assert_true(web_cache_has_room(&c, 90));
    assert_false(web_cache_has_room(&c, 101));
    char *a = strdup("a");
    assert_ptr_equal(web_cache_put(&c, "k1", a, 60), a); /* 60 + the key's 2 bytes */
    assert_false(web_cache_has_room(&c, 50));
    assert_true(web_cache_has_room(&c, 30));
    char *b = strdup("b");
    assert_null(web_cache_put(&c, "k2", b, 50)); /* what has_room refused, put refuses */
    free(b);
    b = strdup("b");
    assert_ptr_equal(web_cache_put(&c, "k2", b, 10), b);
    assert_false(web_cache_has_room(&c, 1)); /* two entries: the entry budget is spent */
    web_cache_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_room_follows_the_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
