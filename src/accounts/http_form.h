/* http_form.h — the request text an account route reads, parsed without libmicrohttpd:
 * the Cookie header (RFC 6265 §4.2 cookie pairs), application/x-www-form-urlencoded bodies,
 * small JSON bodies (util/json.h) and email addresses (trimmed, lower-cased, checked).
 *
 * Everything here is pure (no globals, no I/O), so cmocka tests and the libFuzzer target
 * (tests/fuzz/fuzz_cookie_form.c) call it directly. Input is never trusted to be
 * NUL-terminated where a length is given; every output buffer is NUL-terminated and never
 * overrun. A value that does not fit is refused (-1), never cut: a cut token or address would
 * silently mean something else. */
#ifndef MATERIA_ACCOUNTS_HTTP_FORM_H
#define MATERIA_ACCOUNTS_HTTP_FORM_H

#include <stddef.h>

#include "util/err.h"
#include "util/json.h"

#define FORM_EMAIL_MAX 254   /* RFC 5321's path limit, less the angle brackets */
#define FORM_EMAIL_LOCAL_MAX 64
#define FORM_BODY_JSON_MAX 65536

/* The value of the first cookie called name in a Cookie header (pairs "name=value"
 * separated by ";" and optional white space; a value may be DQUOTE-wrapped, the quotes are
 * then dropped). 1 with out set, 0 when there is no such cookie, -1 when the header is
 * malformed where that cookie is read or its value holds a byte RFC 6265 does not allow in
 * a cookie-octet, or does not fit in outlen. header may be NULL (no cookies). */
int form_cookie_get(const char *header, const char *name, char *out, size_t outlen);

/* Percent-decodes src[0..len) ('+' is a space) into out (outlen bytes with the NUL).
 * Returns the decoded length, or -1 on a bad escape, a decoded NUL, or overflow. */
int form_url_decode(const char *src, size_t len, char *out, size_t outlen);

/* The decoded value of the first field called name in an x-www-form-urlencoded body
 * body[0..len) ("a=1&b=2"; the name is compared after decoding). 1 with out, 0 absent,
 * -1 malformed (bad escape, NUL) or too long for out. */
int form_urlencoded_get(const char *body, size_t len, const char *name, char *out, size_t outlen);

/* Parses body[0..len) as one JSON object (anything else — an array, a scalar, an embedded
 * NUL, more than FORM_BODY_JSON_MAX bytes — is refused). 0 with *out (json_free it), or -1
 * with err saying what was wrong. */
int form_json_object(const char *body, size_t len, struct json *out, struct mt_err *err);

/* Refuses any key of obj that is not in allowed (NULL-terminated): 0, or -1 with
 * "unknown field '<key>'" in err — a field we would ignore must not look accepted. */
int form_json_only(const struct json *obj, const char *const *allowed, struct mt_err *err);

/* The string field key of obj copied into out: 1, 0 when absent or JSON null, -1 with err
 * when it is another type or longer than outlen - 1 bytes. */
int form_json_string(const struct json *obj, const char *key, char *out, size_t outlen,
                     struct mt_err *err);

/* Normalises an email address: leading/trailing white space trimmed, ASCII lower-cased;
 * then it must be local@domain with exactly one '@', a local part of 1..64 bytes of
 * RFC 5322 atext and single dots (not first or last), a domain of dot-separated labels of
 * letters, digits and inner hyphens (at least two labels, each 1..63), everything at most
 * FORM_EMAIL_MAX bytes. out needs FORM_EMAIL_MAX + 1 bytes. 0, or -1 with why in err. */
int form_email_normalize(const char *in, char out[FORM_EMAIL_MAX + 1], struct mt_err *err);

#endif
