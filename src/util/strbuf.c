/* strbuf.c — growable string buffer and the abort-on-OOM allocators (see strbuf.h). */
#include "util/strbuf.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
    fprintf(stderr, "materia: out of memory allocating %zu bytes\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) oom(n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) oom(size && n > SIZE_MAX / size ? SIZE_MAX : n * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) oom(n);
    return q;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    if (n == SIZE_MAX) oom(n);
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    strbuf sb;
    sb_init(&sb);
    va_list ap;
    va_start(ap, fmt);
    sb_vappendf(&sb, fmt, ap);
    va_end(ap);
    return sb_detach(&sb);
}

void sb_init(strbuf *sb)
{
    sb->cap = 64;
    sb->len = 0;
    sb->buf = xmalloc(sb->cap);
    sb->buf[0] = '\0';
}

void sb_free(strbuf *sb)
{
    free(sb->buf);
    sb->buf = NULL;
    sb->len = sb->cap = 0;
}

void sb_reset(strbuf *sb)
{
    sb->len = 0;
    if (sb->buf) sb->buf[0] = '\0';
}

void sb_grow(strbuf *sb, size_t extra)
{
    /* len + extra + 1 must not wrap: a wrapped size would "fit" and the copy overflow */
    if (extra > SIZE_MAX - sb->len - 1) oom(extra);
    size_t need = sb->len + extra + 1;
    if (sb->buf && need <= sb->cap) return;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    sb->buf = xrealloc(sb->buf, cap);
    sb->cap = cap;
}

void sb_append_len(strbuf *sb, const void *data, size_t len)
{
    sb_grow(sb, len);
    memcpy(sb->buf + sb->len, data, len);
    sb->len += len;
    sb->buf[sb->len] = '\0';
}

void sb_append(strbuf *sb, const char *s)
{
    sb_append_len(sb, s, strlen(s));
}

void sb_append_char(strbuf *sb, char c)
{
    sb_grow(sb, 1);
    sb->buf[sb->len++] = c;
    sb->buf[sb->len] = '\0';
}

void sb_vappendf(strbuf *sb, const char *fmt, va_list ap)
{
    va_list ap2;
    sb_grow(sb, 0);
    va_copy(ap2, ap);
    int n = vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap2);
    va_end(ap2);
    if (n < 0) return;
    if ((size_t)n >= sb->cap - sb->len) {
        sb_grow(sb, (size_t)n);
        vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
    }
    sb->len += (size_t)n;
}

void sb_appendf(strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vappendf(sb, fmt, ap);
    va_end(ap);
}

void sb_append_json_strn(strbuf *sb, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    sb_grow(sb, len + 2);
    sb->buf[sb->len++] = '"';
    size_t run = 0; /* bytes copied verbatim in one go */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[6];
        size_t elen = 2;
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:
            if (c < 0x20 || c == '<' || c == '>' || c == '&') {
                /* <, >, & escaped too, so JSON can be embedded in HTML safely. */
                u[0] = '\\', u[1] = 'u', u[2] = '0', u[3] = '0', u[4] = hex[c >> 4],
                u[5] = hex[c & 15];
                esc = u;
                elen = 6;
            }
        }
        if (!esc) {
            run++;
            continue;
        }
        if (run) sb_append_len(sb, s + i - run, run);
        run = 0;
        sb_append_len(sb, esc, elen);
    }
    if (run) sb_append_len(sb, s + len - run, run);
    sb_append_char(sb, '"');
}

void sb_append_json_str(strbuf *sb, const char *s)
{
    sb_append_json_strn(sb, s, strlen(s));
}

void sb_append_csv_field(strbuf *sb, const char *s, size_t len, char sep)
{
    bool quote = false;
    for (size_t i = 0; i < len && !quote; i++)
        quote = s[i] == sep || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (!quote) {
        sb_append_len(sb, s, len);
        return;
    }
    sb_append_char(sb, '"');
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"') sb_append_char(sb, '"');
        sb_append_char(sb, s[i]);
    }
    sb_append_char(sb, '"');
}

void str_copy_utf8(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap) n = utf8_whole_len(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

char *sb_detach(strbuf *sb)
{
    char *p = sb->buf ? sb->buf : xstrdup("");
    sb->buf = NULL;
    sb->len = sb->cap = 0;
    return p;
}
