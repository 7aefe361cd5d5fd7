/* landing_meta.c — see landing_meta.h.
 *
 * The reader is a small recursive-descent parser for one flat object: string, number,
 * true/false/null values (a nested value is an error — meta files never have one).
 * Strings are unescaped, including \uXXXX with surrogate pairs, into UTF-8. */
#include "extract/landing_meta.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

void landing_meta_init(struct landing_meta *m)
{
    memset(m, 0, sizeof *m);
    m->csv_bytes = m->gzip_bytes = m->rows = -1;
}

void landing_meta_free(struct landing_meta *m)
{
    free(m->etag);
    free(m->url);
    free(m->last_modified);
    free(m->release_date);
    free(m->landed_at);
    free(m->sha256);
    landing_meta_init(m);
}

struct jp {
    const char *p, *start, *end;
};

static void jp_ws(struct jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

static void put_utf8(strbuf *sb, unsigned cp)
{
    if (cp < 0x80) {
        sb_append_char(sb, (char)cp);
    } else if (cp < 0x800) {
        sb_append_char(sb, (char)(0xC0 | (cp >> 6)));
        sb_append_char(sb, (char)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        sb_append_char(sb, (char)(0xE0 | (cp >> 12)));
        sb_append_char(sb, (char)(0x80 | ((cp >> 6) & 0x3F)));
        sb_append_char(sb, (char)(0x80 | (cp & 0x3F)));
    } else {
        sb_append_char(sb, (char)(0xF0 | (cp >> 18)));
        sb_append_char(sb, (char)(0x80 | ((cp >> 12) & 0x3F)));
        sb_append_char(sb, (char)(0x80 | ((cp >> 6) & 0x3F)));
        sb_append_char(sb, (char)(0x80 | (cp & 0x3F)));
    }
}

/* at '"': parses a string into *out (malloc'd). */
static int jp_string(struct jp *j, char **out)
{
    if (j->p >= j->end || *j->p != '"') return -1;
    j->p++;
    strbuf sb;
    sb_init(&sb);
    while (j->p < j->end && *j->p != '"') {
        char c = *j->p++;
        if ((unsigned char)c < 0x20) goto bad;
        if (c != '\\') {
            sb_append_char(&sb, c);
            continue;
        }
        if (j->p >= j->end) goto bad;
        c = *j->p++;
        switch (c) {
        case '"': case '\\': case '/': sb_append_char(&sb, c); break;
        case 'b': sb_append_char(&sb, '\b'); break;
        case 'f': sb_append_char(&sb, '\f'); break;
        case 'n': sb_append_char(&sb, '\n'); break;
        case 'r': sb_append_char(&sb, '\r'); break;
        case 't': sb_append_char(&sb, '\t'); break;
        case 'u': {
            unsigned cp, lo;
            if (j->end - j->p < 4 || hex4(j->p, &cp) < 0) goto bad;
            j->p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && j->end - j->p >= 6 && j->p[0] == '\\' &&
                j->p[1] == 'u' && hex4(j->p + 2, &lo) == 0 && lo >= 0xDC00 && lo < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                j->p += 6;
            }
            put_utf8(&sb, cp);
            break;
        }
        default: goto bad;
        }
    }
    if (j->p >= j->end) goto bad;
    j->p++;
    *out = sb_detach(&sb);
    return 0;
bad:
    sb_free(&sb);
    return -1;
}

static void set_str(char **field, char *v)
{
    free(*field);
    *field = v;
}

int landing_meta_parse(const char *json, size_t len, struct landing_meta *m, char *err,
                       size_t errlen)
{
    landing_meta_init(m);
    struct jp j = {json, json, json + len};
    char *key = NULL;
    jp_ws(&j);
    if (j.p >= j.end || *j.p != '{') goto bad;
    j.p++;
    jp_ws(&j);
    if (j.p < j.end && *j.p == '}') { j.p++; goto tail; }
    for (;;) {
        jp_ws(&j);
        if (jp_string(&j, &key) < 0) goto bad;
        jp_ws(&j);
        if (j.p >= j.end || *j.p != ':') goto bad;
        j.p++;
        jp_ws(&j);
        if (j.p >= j.end) goto bad;
        char **sfield = !strcmp(key, "etag") ? &m->etag
                      : !strcmp(key, "url") ? &m->url
                      : !strcmp(key, "last_modified") ? &m->last_modified
                      : !strcmp(key, "release_date") ? &m->release_date
                      : !strcmp(key, "landed_at") ? &m->landed_at
                      : !strcmp(key, "sha256") ? &m->sha256 : NULL;
        int64_t *nfield = !strcmp(key, "csv_bytes") ? &m->csv_bytes
                        : !strcmp(key, "gzip_bytes") ? &m->gzip_bytes
                        : !strcmp(key, "rows") ? &m->rows : NULL;
        if (*j.p == '"') {
            char *v;
            if (jp_string(&j, &v) < 0) goto bad;
            if (sfield) set_str(sfield, v);
            else free(v);
        } else if (*j.p == '-' || (*j.p >= '0' && *j.p <= '9')) {
            const char *s = j.p;
            while (j.p < j.end && strchr("+-0123456789.eE", *j.p)) j.p++;
            char num[32];
            size_t n = (size_t)(j.p - s);
            if (n >= sizeof num) goto bad;
            memcpy(num, s, n);
            num[n] = '\0';
            char *endp;
            long long v = strtoll(num, &endp, 10);
            if (nfield && *endp == '\0') *nfield = v;
        } else if (j.end - j.p >= 4 && !memcmp(j.p, "null", 4)) {
            j.p += 4;
            if (sfield) set_str(sfield, NULL);
        } else if (j.end - j.p >= 4 && !memcmp(j.p, "true", 4)) {
            j.p += 4;
        } else if (j.end - j.p >= 5 && !memcmp(j.p, "false", 5)) {
            j.p += 5;
        } else {
            goto bad;
        }
        free(key);
        key = NULL;
        jp_ws(&j);
        if (j.p < j.end && *j.p == ',') { j.p++; continue; }
        if (j.p < j.end && *j.p == '}') { j.p++; break; }
        goto bad;
    }
tail:
    jp_ws(&j);
    if (j.p != j.end) goto bad;
    return 0;
bad:
    free(key);
    snprintf(err, errlen, "invalid JSON near byte %zu", (size_t)(j.p - j.start));
    landing_meta_free(m);
    return -1;
}

static void put_str(strbuf *sb, const char *key, const char *v, bool last)
{
    sb_appendf(sb, "  \"%s\": ", key);
    if (v) sb_append_json_str(sb, v);
    else sb_append(sb, "null");
    sb_append(sb, last ? "\n" : ",\n");
}

char *landing_meta_format(const struct landing_meta *m)
{
    strbuf sb;
    sb_init(&sb);
    sb_append(&sb, "{\n");
    put_str(&sb, "etag", m->etag, false);
    put_str(&sb, "url", m->url, false);
    put_str(&sb, "last_modified", m->last_modified, false);
    put_str(&sb, "release_date", m->release_date, false);
    put_str(&sb, "landed_at", m->landed_at, false);
    put_str(&sb, "sha256", m->sha256, false);
    sb_appendf(&sb, "  \"csv_bytes\": %lld,\n", (long long)m->csv_bytes);
    sb_appendf(&sb, "  \"gzip_bytes\": %lld,\n", (long long)m->gzip_bytes);
    sb_appendf(&sb, "  \"rows\": %lld\n", (long long)m->rows);
    sb_append(&sb, "}\n");
    return sb_detach(&sb);
}
