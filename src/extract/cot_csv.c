/* cot_csv.c — see cot_csv.h.
 *
 * One pass over the bytes, a record at a time. A field is a span into the input (quoted
 * fields keep their "" escapes; only the header comparison needs them undone, and CFTC's
 * header has none, so a quoted name with an escape simply never matches). The first
 * problem stops the pass; line numbers are physical lines, 1-based. Of a data record only
 * the Contract_Market_Code field is looked at (besides counting fields). */
#include "extract/cot_csv.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

enum { COL_MARKET_CODE = 3 }; /* CFTC_Contract_Market_Code */

struct span {
    const char *p;
    size_t n;
};

struct cursor {
    const char *p, *end;
    int64_t line;
};

/* Reads one field starting at c->p into *f; leaves c->p on the separator (',' '\r' '\n')
 * or at the end. Returns 0, or -1 with err. */
static int read_field(struct cursor *c, struct span *f, struct mt_err *err)
{
    if (c->p < c->end && *c->p == '"') {
        const char *s = ++c->p;
        for (;;) {
            if (c->p >= c->end)
                return mt_err_set(err, MT_ERR_FORMAT, "line %lld: unterminated quoted field",
                                  (long long)c->line);
            if (*c->p == '"') {
                if (c->p + 1 < c->end && c->p[1] == '"') { c->p += 2; continue; }
                break;
            }
            if (*c->p == '\n') c->line++;
            c->p++;
        }
        f->p = s;
        f->n = (size_t)(c->p - s);
        c->p++; /* the closing quote */
        if (c->p < c->end && *c->p != ',' && *c->p != '\r' && *c->p != '\n')
            return mt_err_set(err, MT_ERR_FORMAT,
                              "line %lld: unexpected character after a closing quote",
                              (long long)c->line);
        return 0;
    }
    const char *s = c->p;
    while (c->p < c->end && *c->p != ',' && *c->p != '\r' && *c->p != '\n') {
        if (*c->p == '\0')
            return mt_err_set(err, MT_ERR_FORMAT, "line %lld: NUL byte", (long long)c->line);
        c->p++;
    }
    f->p = s;
    f->n = (size_t)(c->p - s);
    return 0;
}

/* Consumes the record's line end (CRLF, LF, or end of input). A lone CR is an error. */
static int end_record(struct cursor *c, struct mt_err *err)
{
    if (c->p >= c->end) return 0;
    if (*c->p == '\r') {
        if (c->p + 1 < c->end && c->p[1] == '\n') {
            c->p += 2;
            c->line++;
            return 0;
        }
        return mt_err_set(err, MT_ERR_FORMAT, "line %lld: bare CR", (long long)c->line);
    }
    c->p++; /* '\n' */
    c->line++;
    return 0;
}

static bool span_eq(struct span f, const char *s)
{
    return f.n == strlen(s) && !memcmp(f.p, s, f.n);
}

/* At most 80 bytes of f for a message, control bytes and '"' written as \xHH: the error is
 * one line whatever the file holds (a quoted header field may hold a line break). */
static const char *shown(struct span f, char out[80 * 4 + 1])
{
    size_t o = 0;
    for (size_t i = 0; i < f.n && i < 80; i++) {
        unsigned char ch = (unsigned char)f.p[i];
        if (ch < 0x20 || ch == 0x7f || ch == '"') o += (size_t)snprintf(out + o, 5, "\\x%02X", ch);
        else out[o++] = (char)ch;
    }
    out[o] = '\0';
    return out;
}

static int check_header(struct cursor *c, struct mt_err *err)
{
    size_t k = 0;
    for (;;) {
        struct span f;
        if (read_field(c, &f, err) < 0) return -1;
        char buf[80 * 4 + 1];
        if (k < COT_CSV_COLUMNS && !span_eq(f, cot_csv_columns[k]))
            return mt_err_set(err, MT_ERR_FORMAT, "header column %zu is \"%s\", expected \"%s\"", k + 1,
                              shown(f, buf), cot_csv_columns[k]);
        k++;
        if (c->p < c->end && *c->p == ',') { c->p++; continue; }
        break;
    }
    if (k != COT_CSV_COLUMNS)
        return mt_err_set(err, MT_ERR_FORMAT, "header has %zu columns, expected %d", k,
                          COT_CSV_COLUMNS);
    return end_record(c, err);
}

static bool is_coffee(struct span f)
{
    while (f.n && (f.p[f.n - 1] == ' ')) f.n--;
    return span_eq(f, COT_COFFEE_C_CODE);
}

int cot_csv_validate_counts(const char *data, size_t len, int64_t *rows, int64_t *coffee_rows,
                            struct mt_err *err)
{
    struct cursor c = {data, data + len, 1};
    if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) c.p += 3;
    if (c.p >= c.end) return mt_err_set(err, MT_ERR_FORMAT, "empty file");
    if (check_header(&c, err) < 0) return -1;
    int64_t n = 0, coffee = 0;
    while (c.p < c.end) {
        int64_t line = c.line;
        /* a blank line (the file's last line end doubled, say) carries no record */
        if (*c.p == '\n' || (*c.p == '\r' && c.p + 1 < c.end && c.p[1] == '\n')) {
            if (end_record(&c, err) < 0) return -1;
            continue;
        }
        size_t k = 0;
        bool coffee_row = false;
        for (;;) {
            struct span f;
            if (read_field(&c, &f, err) < 0) return -1;
            if (k == COL_MARKET_CODE) coffee_row = is_coffee(f);
            k++;
            if (c.p < c.end && *c.p == ',') { c.p++; continue; }
            break;
        }
        if (k != COT_CSV_COLUMNS)
            return mt_err_set(err, MT_ERR_FORMAT, "line %lld: %zu fields, expected %d",
                              (long long)line, k, COT_CSV_COLUMNS);
        if (end_record(&c, err) < 0) return -1;
        n++;
        coffee += coffee_row;
    }
    if (n == 0) return mt_err_set(err, MT_ERR_FORMAT, "no data rows");
    if (coffee == 0)
        return mt_err_set(err, MT_ERR_FORMAT, "no Coffee C (" COT_COFFEE_C_CODE ") rows");
    if (rows) *rows = n;
    if (coffee_rows) *coffee_rows = coffee;
    return 0;
}

int cot_csv_validate(const char *data, size_t len, int64_t *rows, struct mt_err *err)
{
    return cot_csv_validate_counts(data, len, rows, NULL, err);
}
