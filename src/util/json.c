/* json.c — see json.h. A recursive-descent parser; the tree is built as it reads. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"
#include "util/strbuf.h"
#include "util/err.h"

struct jp {
    const char *s;
    size_t pos;
    struct mt_err *err;
    int depth;
};

static void jp_ws(struct jp *p)
{
    while (isspace((unsigned char)p->s[p->pos])) p->pos++;
}

static int jp_fail(struct jp *p, const char *what)
{
    mt_err_set(p->err, MT_ERR_FORMAT, "invalid JSON: %s at offset %zu", what, p->pos);
    return -1;
}

static void utf8_put(strbuf *sb, unsigned cp)
{
    if (cp < 0x80) sb_append_char(sb, (char)cp);
    else if (cp < 0x800) { sb_append_char(sb, (char)(0xC0 | (cp >> 6))); sb_append_char(sb, (char)(0x80 | (cp & 0x3F))); }
    else if (cp < 0x10000) {
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

/* Four hex digits at p->pos; -1 when they are not. */
static long jp_hex4(struct jp *p)
{
    unsigned cp = 0;
    for (int i = 0; i < 4; i++) {
        char h = p->s[p->pos];
        if (!isxdigit((unsigned char)h)) return -1;
        p->pos++;
        cp = cp * 16 + (unsigned)(isdigit((unsigned char)h) ? h - '0' : (tolower((unsigned char)h) - 'a' + 10));
    }
    return (long)cp;
}

static int jp_string(struct jp *p, char **out)
{
    strbuf sb;
    sb_init(&sb);
    p->pos++; /* opening quote */
    for (;;) {
        char c = p->s[p->pos];
        if (!c) { sb_free(&sb); return jp_fail(p, "unterminated string"); }
        p->pos++;
        if (c == '"') break;
        if (c != '\\') { sb_append_char(&sb, c); continue; }
        char e = p->s[p->pos++];
        switch (e) {
        case 'n': sb_append_char(&sb, '\n'); break;
        case 't': sb_append_char(&sb, '\t'); break;
        case 'r': sb_append_char(&sb, '\r'); break;
        case 'b': sb_append_char(&sb, '\b'); break;
        case 'f': sb_append_char(&sb, '\f'); break;
        case 'u': {
            long cp = jp_hex4(p);
            if (cp >= 0xD800 && cp <= 0xDBFF) { /* a high surrogate: its low half must follow */
                long lo = -1;
                if (p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'u') {
                    p->pos += 2;
                    lo = jp_hex4(p);
                }
                cp = lo >= 0xDC00 && lo <= 0xDFFF ? 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00) : -1;
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = -1; /* a lone low surrogate */
            }
            if (cp < 0) { sb_free(&sb); return jp_fail(p, "bad \\u escape"); }
            utf8_put(&sb, (unsigned)cp);
            break;
        }
        case 0: sb_free(&sb); return jp_fail(p, "unterminated string");
        default: sb_append_char(&sb, e); break;
        }
    }
    *out = sb_detach(&sb);
    return 0;
}

static int jp_value(struct jp *p, struct json *v)
{
    memset(v, 0, sizeof *v);
    jp_ws(p);
    char c = p->s[p->pos];
    if (++p->depth > 2000) return jp_fail(p, "nesting too deep");
    int rc = 0;
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        v->t = c == '{' ? JSON_OBJ : JSON_ARR;
        p->pos++;
        jp_ws(p);
        if (p->s[p->pos] == close) { p->pos++; p->depth--; return 0; }
        size_t cap = 0;
        for (;;) {
            if (v->n == cap) {
                cap = cap ? cap * 2 : 8;
                v->items = xrealloc(v->items, cap * sizeof *v->items);
                if (v->t == JSON_OBJ) v->keys = xrealloc(v->keys, cap * sizeof *v->keys);
            }
            if (v->t == JSON_OBJ) {
                jp_ws(p);
                if (p->s[p->pos] != '"') return jp_fail(p, "expected a key");
                if (jp_string(p, &v->keys[v->n]) < 0) return -1;
                jp_ws(p);
                if (p->s[p->pos] != ':') { free(v->keys[v->n]); return jp_fail(p, "expected ':'"); }
                p->pos++;
            }
            if (jp_value(p, &v->items[v->n]) < 0) {
                if (v->t == JSON_OBJ) free(v->keys[v->n]);
                json_free(&v->items[v->n]);
                return -1;
            }
            v->n++;
            jp_ws(p);
            if (p->s[p->pos] == ',') { p->pos++; continue; }
            if (p->s[p->pos] == close) { p->pos++; break; }
            return jp_fail(p, "expected ',' or a closing bracket");
        }
    } else if (c == '"') {
        v->t = JSON_STR;
        rc = jp_string(p, &v->s);
    } else if (!strncmp(p->s + p->pos, "true", 4) || !strncmp(p->s + p->pos, "false", 5)) {
        v->t = JSON_BOOL;
        v->b = c == 't';
        p->pos += v->b ? 4 : 5;
    } else if (!strncmp(p->s + p->pos, "null", 4)) {
        v->t = JSON_NULL;
        p->pos += 4;
    } else if (c == '-' || isdigit((unsigned char)c)) {
        size_t s = p->pos;
        while (strchr("+-0123456789.eE", p->s[p->pos]) && p->s[p->pos]) p->pos++;
        v->t = JSON_NUM;
        v->s = xstrndup(p->s + s, p->pos - s);
    } else {
        rc = jp_fail(p, "unexpected character");
    }
    p->depth--;
    return rc;
}

int json_parse(const char *text, struct json *out, struct mt_err *err)
{
    struct jp p = {.s = text, .err = err};
    if (jp_value(&p, out) < 0) {
        json_free(out);
        return -1;
    }
    jp_ws(&p);
    if (p.s[p.pos]) {
        json_free(out);
        return jp_fail(&p, "text after the value");
    }
    return 0;
}

void json_free(struct json *j)
{
    for (size_t i = 0; i < j->n; i++) {
        if (j->keys) free(j->keys[i]);
        json_free(&j->items[i]);
    }
    free(j->keys);
    free(j->items);
    /* a string value may be a secret (a password in an account request's body): wiped
     * before it goes back to malloc; explicit_bzero is not optimised away */
    if (j->s) explicit_bzero(j->s, strlen(j->s));
    free(j->s);
    memset(j, 0, sizeof *j);
}

const struct json *json_get(const struct json *obj, const char *key)
{
    if (!obj || obj->t != JSON_OBJ) return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (!strcmp(obj->keys[i], key)) return &obj->items[i];
    return NULL;
}

const char *json_str(const struct json *obj, const char *key)
{
    const struct json *v = json_get(obj, key);
    return v && v->t == JSON_STR ? v->s : "";
}
