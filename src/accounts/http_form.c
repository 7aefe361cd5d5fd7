/* http_form.c — see http_form.h.
 *
 * The cookie reader follows RFC 6265 §4.2.1 (what a user agent sends: "a=b; c=d") but
 * tolerates the white space real clients add around ";" and "=". It scans pair by pair and
 * stops at the first cookie whose name matches: a malformed pair elsewhere in the header
 * (another site's cookie on the same host, say) does not cost the user their session, but a
 * bad value of *our* cookie is refused, never half-read. */
#include "accounts/http_form.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

static bool is_ws(char c) { return c == ' ' || c == '\t'; }

/* RFC 6265 cookie-octet: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E */
static bool cookie_octet(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x2B) || (c >= 0x2D && c <= 0x3A) ||
           (c >= 0x3C && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

int form_cookie_get(const char *header, const char *name, char *out, size_t outlen)
{
    if (!outlen) return -1;
    out[0] = '\0';
    if (!header || !name || !*name) return 0;
    size_t nlen = strlen(name);
    const char *p = header;
    while (*p) {
        while (is_ws(*p) || *p == ';') p++;
        if (!*p) break;
        const char *pair = p;
        const char *end = strchr(p, ';');
        if (!end) end = p + strlen(p);
        p = end;
        const char *eq = memchr(pair, '=', (size_t)(end - pair));
        if (!eq) continue; /* a pair without '=' is ignored (RFC 6265 §5.2 step 2) */
        const char *ne = eq;
        while (ne > pair && is_ws(ne[-1])) ne--;
        if ((size_t)(ne - pair) != nlen || memcmp(pair, name, nlen) != 0) continue;
        /* ours: the value must be exactly right */
        const char *v = eq + 1;
        while (v < end && is_ws(*v)) v++;
        const char *ve = end;
        while (ve > v && is_ws(ve[-1])) ve--;
        if (ve - v >= 2 && v[0] == '"' && ve[-1] == '"') v++, ve--;
        size_t vlen = (size_t)(ve - v);
        if (vlen >= outlen) return -1;
        for (size_t i = 0; i < vlen; i++)
            if (!cookie_octet((unsigned char)v[i])) return -1;
        memcpy(out, v, vlen);
        out[vlen] = '\0';
        return 1;
    }
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int form_url_decode(const char *src, size_t len, char *out, size_t outlen)
{
    if (!outlen) return -1;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '+') c = ' ';
        else if (c == '%') {
            int h = i + 2 < len ? hexval(src[i + 1]) : -1, l = i + 2 < len ? hexval(src[i + 2]) : -1;
            if (h < 0 || l < 0) goto bad;
            c = (char)(h * 16 + l);
            i += 2;
        }
        if (c == '\0' || o + 1 >= outlen) goto bad;
        out[o++] = c;
    }
    out[o] = '\0';
    return (int)o;
bad:
    out[0] = '\0'; /* nothing half-decoded is left for a caller to read */
    return -1;
}

int form_urlencoded_get(const char *body, size_t len, const char *name, char *out, size_t outlen)
{
    if (!outlen) return -1;
    out[0] = '\0';
    if (!body || !name) return 0;
    size_t i = 0;
    char key[128];
    while (i < len) {
        size_t start = i;
        while (i < len && body[i] != '&') i++;
        size_t end = i;
        if (i < len) i++; /* the '&' */
        if (end == start) continue;
        const char *eq = memchr(body + start, '=', end - start);
        size_t klen = eq ? (size_t)(eq - (body + start)) : end - start;
        int kn = form_url_decode(body + start, klen, key, sizeof key);
        if (kn < 0) {
            if (klen >= sizeof key) continue; /* a long name is not ours */
            return -1;
        }
        if (strcmp(key, name) != 0) continue;
        if (!eq) return 1; /* "name" alone: an empty value */
        size_t vstart = start + klen + 1;
        return form_url_decode(body + vstart, end - vstart, out, outlen) < 0 ? -1 : 1;
    }
    return 0;
}

int form_json_object(const char *body, size_t len, struct json *out, struct mt_err *err)
{
    memset(out, 0, sizeof *out);
    if (len > FORM_BODY_JSON_MAX) return mt_errf(err, "request body over %d bytes", FORM_BODY_JSON_MAX);
    if (!body || !len) return mt_errf(err, "request body is empty: a JSON object was expected");
    if (memchr(body, '\0', len)) return mt_errf(err, "request body holds a NUL byte");
    char *text = xstrndup(body, len);
    int rc = json_parse(text, out, err);
    explicit_bzero(text, len); /* it may hold a password (explicit_bzero: never optimised away) */
    free(text);
    if (rc < 0) return mt_err_prefix(err, "request body is not valid JSON");
    if (out->t != JSON_OBJ) {
        json_free(out);
        memset(out, 0, sizeof *out);
        return mt_errf(err, "request body must be a JSON object");
    }
    return 0;
}

int form_json_only(const struct json *obj, const char *const *allowed, struct mt_err *err)
{
    for (size_t i = 0; i < obj->n; i++) {
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++) ok = !strcmp(obj->keys[i], *a);
        if (!ok) return mt_errf(err, "unknown field '%.40s'", obj->keys[i]);
    }
    return 0;
}

int form_json_string(const struct json *obj, const char *key, char *out, size_t outlen,
                     struct mt_err *err)
{
    if (!outlen) return -1;
    out[0] = '\0';
    const struct json *v = json_get(obj, key);
    if (!v || v->t == JSON_NULL) return 0;
    if (v->t != JSON_STR) return mt_errf(err, "field '%s' must be a string", key);
    size_t n = strlen(v->s);
    if (n >= outlen) return mt_errf(err, "field '%s' is too long (at most %zu bytes)", key, outlen - 1);
    memcpy(out, v->s, n + 1);
    return 1;
}

/* RFC 5322 atext (less the characters no mail system we send to takes unquoted) */
static bool atext(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("!#$%&'*+/=?^_`{|}~-", c);
}

int form_email_normalize(const char *in, char out[FORM_EMAIL_MAX + 1], struct mt_err *err)
{
    out[0] = '\0';
    if (!in) return mt_errf(err, "email is missing");
    while (*in == ' ' || *in == '\t' || *in == '\r' || *in == '\n') in++;
    size_t n = strlen(in);
    while (n && (in[n - 1] == ' ' || in[n - 1] == '\t' || in[n - 1] == '\r' || in[n - 1] == '\n')) n--;
    if (!n) return mt_errf(err, "email is empty");
    if (n > FORM_EMAIL_MAX) return mt_errf(err, "email is longer than %d characters", FORM_EMAIL_MAX);
    char buf[FORM_EMAIL_MAX + 1];
    int ats = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c >= 0x80) return mt_errf(err, "email must be ASCII (internationalised addresses are not supported)");
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c - 'A' + 'a');
        if (c == '@') ats++, at = i;
        buf[i] = (char)c;
    }
    buf[n] = '\0';
    if (ats != 1) return mt_errf(err, "email must contain exactly one '@'");
    size_t llen = at, dlen = n - at - 1;
    if (!llen || llen > FORM_EMAIL_LOCAL_MAX)
        return mt_errf(err, "email's part before '@' must be 1 to %d characters", FORM_EMAIL_LOCAL_MAX);
    for (size_t i = 0; i < llen; i++) {
        char c = buf[i];
        if (c == '.') {
            if (i == 0 || i == llen - 1 || buf[i - 1] == '.')
                return mt_errf(err, "email's part before '@' has a misplaced '.'");
        } else if (!atext((unsigned char)c)) {
            return mt_errf(err, "email's part before '@' holds a character that is not allowed");
        }
    }
    if (!dlen) return mt_errf(err, "email has no domain after '@'");
    const char *d = buf + at + 1;
    int labels = 0;
    size_t lab = 0;
    for (size_t i = 0; i <= dlen; i++) {
        char c = i < dlen ? d[i] : '.';
        if (c == '.') {
            if (!lab || lab > 63) return mt_errf(err, "email's domain has an empty or over-long label");
            if (d[i - 1] == '-') return mt_errf(err, "email's domain has a label ending in '-'");
            labels++;
            lab = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
            if (c == '-' && lab == 0) return mt_errf(err, "email's domain has a label starting with '-'");
            lab++;
        } else {
            return mt_errf(err, "email's domain holds a character that is not allowed");
        }
    }
    if (labels < 2) return mt_errf(err, "email's domain must have a dot (e.g. example.com)");
    memcpy(out, buf, n + 1);
    return 0;
}
