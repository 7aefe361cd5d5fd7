/* strbuf.h — a growable, always NUL-terminated byte buffer, and the one JSON string
 * escaper (sb_append_json_strn) and the one CSV field writer (sb_append_csv_field) that
 * write into it.
 *
 * Owns its memory: sb_free() releases it, sb_detach() hands it to the caller. On
 * allocation failure the process aborts (there is nothing useful to do at that point and
 * every caller would otherwise need a check). */
#ifndef MATERIA_STRBUF_H
#define MATERIA_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

#include "util/utf8.h"

typedef struct strbuf {
    char *buf;   /* "" at least after sb_init; NULL after sb_free/sb_detach */
    size_t len;  /* bytes used, excluding the terminating NUL */
    size_t cap;  /* bytes allocated */
} strbuf;

void sb_init(strbuf *sb);
void sb_free(strbuf *sb);
void sb_reset(strbuf *sb);
void sb_grow(strbuf *sb, size_t extra);
void sb_append(strbuf *sb, const char *s);
void sb_append_len(strbuf *sb, const void *data, size_t len);
void sb_append_char(strbuf *sb, char c);
void sb_appendf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vappendf(strbuf *sb, const char *fmt, va_list ap);
/* Appends s[0..len) as a JSON string literal, quotes included: ", \\ and bytes < 0x20
 * escaped (a NUL too: the length delimits, not a terminator), and <, > and & as \\u00XX so
 * the JSON can sit inside HTML; other bytes (UTF-8 among them) pass through. The one JSON
 * string escaper: the CLI's --json and every web answer use it. */
void sb_append_json_strn(strbuf *sb, const char *s, size_t len);
/* The same for a NUL-terminated s. */
void sb_append_json_str(strbuf *sb, const char *s);
/* Appends s[0..len) as one CSV field (RFC 4180): quoted, with " doubled, when it holds sep,
 * ", CR or LF; as it is otherwise. sep is ',' for CSV, '\t' for the CLI's TSV. The one CSV
 * field writer: `materia sql --csv/--tsv` and the web's ?format=csv use it. */
void sb_append_csv_field(strbuf *sb, const char *s, size_t len, char sep);
/* Copies src into dst[cap] (cap > 0), cut at a UTF-8 character boundary when it does not fit
 * (util/utf8.h utf8_whole_len); always NUL-terminated. */
void str_copy_utf8(char *dst, size_t cap, const char *src);
/* Returns the buffer (caller frees) and leaves sb released, as after sb_free(); appending
 * to it again allocates afresh. */
char *sb_detach(strbuf *sb);

/* xmalloc family: abort with a message on out-of-memory. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
