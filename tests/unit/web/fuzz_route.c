/* fuzz_route.c — libFuzzer target for the pure request parsing of `materia serve`
 * (web_route_match, web_url_decode, web_etag_matches). Not a CTest test (no test_ prefix).
 * Build and run (clang):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc \
 *     tests/unit/web/fuzz_route.c src/web/web_route.c src/util/strbuf.c src/util/hash.c \
 *     -lsodium -lm -o build/fuzz_route && build/fuzz_route -max_total_time=60
 * Input: "METHOD\nPATH\nQUERY\nIF-NONE-MATCH" (missing parts are NULL). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "web/web_route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *parts[4] = {NULL, NULL, NULL, NULL};
    char *p = buf;
    for (int i = 0; i < 4 && p; i++) {
        parts[i] = p;
        p = strchr(p, '\n');
        if (p) *p++ = '\0';
    }
    struct web_route r;
    struct web_error e;
    int st = web_route_match(parts[0], parts[1], parts[2], &r, &e);
    if (st != 200 && st != 400 && st != 404 && st != 405) abort();
    if (st == 200 && r.id != WR_STATIC && r.key[0] != '/') abort();
    if (st == 200 && r.id == WR_STATIC && (strstr(r.static_path, "/.") || r.static_path[0] == '.' ||
                                          r.static_path[0] == '/'))
        abort();
    char dec[64];
    if (parts[2]) web_url_decode(parts[2], strlen(parts[2]), dec, sizeof dec);
    web_etag_matches(parts[3], "\"0123456789abcdef0123456789abcdef\"");
    strbuf sb;
    sb_init(&sb);
    web_json_str(&sb, (const char *)data, size);
    web_csv_field(&sb, (const char *)data, size);
    sb_free(&sb);
    free(buf);
    return 0;
}
