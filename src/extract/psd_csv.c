/* psd_csv.c — see psd_csv.h.
 *
 * How it works: one pass over the bytes with a small state machine that yields a record
 * at a time as an array of (start, length, quoted) field spans into the input — no copies.
 * Quoted fields keep their "" escapes in the span; nothing here needs the unescaped text
 * except the header comparison, which unescapes on the fly. Each record is checked as it
 * is completed, so the first problem is reported with its line number and the pass stops.
 *
 * Invariants: never reads past data + len; never writes outside err; a record with more
 * than PSD_CSV_COLUMNS fields is reported without storing the extra spans. */
#include "extract/psd_csv.h"
#include "util/err.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

const char *const psd_csv_columns[PSD_CSV_COLUMNS] = {
    "Commodity_Code", "Commodity_Description", "Country_Code", "Country_Name",
    "Market_Year", "Calendar_Year", "Month", "Attribute_ID",
    "Attribute_Description", "Unit_ID", "Unit_Description", "Value",
};

enum { COL_MARKET_YEAR = 4, COL_VALUE = 11 };

struct span {
    const char *p;
    size_t n;
    bool quoted;
};

struct record {
    struct span f[PSD_CSV_COLUMNS];
    size_t nfields;    /* may exceed PSD_CSV_COLUMNS; only the first ones are stored */
    int64_t line;      /* physical line the record starts on */
};

struct reader {
    const char *p, *end;
    int64_t line;      /* current physical line */
    int eol;           /* line ending of the first record: 0 not yet seen, 1 LF, 2 CRLF */
};

/* Reads one record. Returns 1 with *rec filled, 0 at end of input, -1 on a syntax error
 * (err filled). A blank line is returned as a record with one empty unquoted field. */
static int reader_next(struct reader *r, struct record *rec, struct mt_err *err)
{
    if (r->p >= r->end) return 0;
    rec->nfields = 0;
    rec->line = r->line;
    for (;;) {
        struct span sp = {r->p, 0, false};
        if (r->p < r->end && *r->p == '"') {
            sp.quoted = true;
            const char *s = ++r->p;
            for (;;) {
                if (r->p >= r->end) {
                    mt_errf(err, "line %lld: unterminated quoted field",
                             (long long)rec->line);
                    return -1;
                }
                char c = *r->p;
                if (c == '"') {
                    if (r->p + 1 < r->end && r->p[1] == '"') { r->p += 2; continue; }
                    break;
                }
                if (c == '\n') r->line++;
                if (c == '\0') {
                    mt_errf(err, "line %lld: NUL byte in field", (long long)r->line);
                    return -1;
                }
                r->p++;
            }
            sp.p = s;
            sp.n = (size_t)(r->p - s);
            r->p++; /* closing quote */
            if (r->p < r->end && *r->p != ',' && *r->p != '\n' && *r->p != '\r') {
                mt_errf(err, "line %lld: unexpected character after closing quote "
                         "in field %zu", (long long)r->line, rec->nfields + 1);
                return -1;
            }
        } else {
            while (r->p < r->end && *r->p != ',' && *r->p != '\n' && *r->p != '\r') {
                if (*r->p == '"') {
                    mt_errf(err, "line %lld: quote inside unquoted field %zu",
                             (long long)r->line, rec->nfields + 1);
                    return -1;
                }
                if (*r->p == '\0') {
                    mt_errf(err, "line %lld: NUL byte in field", (long long)r->line);
                    return -1;
                }
                r->p++;
            }
            sp.n = (size_t)(r->p - sp.p);
        }
        if (rec->nfields < PSD_CSV_COLUMNS) rec->f[rec->nfields] = sp;
        rec->nfields++;
        if (r->p >= r->end) return 1; /* last record without a line end */
        if (*r->p == ',') { r->p++; continue; }
        int eol = 1;
        if (*r->p == '\r') {
            if (r->p + 1 >= r->end || r->p[1] != '\n') {
                mt_errf(err, "line %lld: bare carriage return", (long long)r->line);
                return -1;
            }
            r->p++;
            eol = 2;
        }
        /* One file, one line ending: DuckDB's CSV reader (transform) takes the dialect of
         * the file's start and fails mid-file on a switch, so refuse it here, by line. */
        bool blank = rec->nfields == 1 && rec->f[0].n == 0 && !rec->f[0].quoted;
        if (r->eol && eol != r->eol && !blank) { /* blank lines: judged by the caller */
            mt_errf(err, "line %lld: mixed line endings (%s here, %s before)",
                     (long long)r->line, eol == 2 ? "CRLF" : "LF", r->eol == 2 ? "CRLF" : "LF");
            return -1;
        }
        r->eol = eol;
        r->p++; /* '\n' */
        r->line++;
        return 1;
    }
}

/* True when the span's text (quoted: with "" unescaped) equals s. */
static bool span_equals(const struct span *sp, const char *s)
{
    size_t i = 0, j = 0, n = strlen(s);
    while (i < sp->n) {
        char c = sp->p[i];
        if (sp->quoted && c == '"') i++; /* "" -> " (the reader guarantees the pair) */
        if (j >= n || s[j] != c) return false;
        i++;
        j++;
    }
    return j == n;
}

/* [+-]?digits */
static bool span_is_integer(const struct span *sp)
{
    size_t i = 0;
    if (i < sp->n && (sp->p[i] == '-' || sp->p[i] == '+')) i++;
    if (i == sp->n) return false;
    for (; i < sp->n; i++)
        if (sp->p[i] < '0' || sp->p[i] > '9') return false;
    return true;
}

/* [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)? */
static bool span_is_number(const struct span *sp)
{
    size_t i = 0, digits = 0;
    const char *p = sp->p;
    size_t n = sp->n;
    if (i < n && (p[i] == '-' || p[i] == '+')) i++;
    while (i < n && p[i] >= '0' && p[i] <= '9') { i++; digits++; }
    if (i < n && p[i] == '.') {
        i++;
        while (i < n && p[i] >= '0' && p[i] <= '9') { i++; digits++; }
    }
    if (digits == 0) return false;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '-' || p[i] == '+')) i++;
        size_t ed = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9') { i++; ed++; }
        if (ed == 0) return false;
    }
    return i == n;
}

static void span_preview(const struct span *sp, char *out, size_t outlen)
{
    size_t n = sp->n < 40 ? sp->n : 40;
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < outlen; i++) {
        unsigned char c = (unsigned char)sp->p[i];
        out[k++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    out[k] = '\0';
}

static bool record_is_blank(const struct record *rec)
{
    return rec->nfields == 1 && rec->f[0].n == 0 && !rec->f[0].quoted;
}

int psd_csv_validate(const char *data, size_t len, int64_t *rows, struct mt_err *err)
{
    if (rows) *rows = 0;
    if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) {
        data += 3;
        len -= 3;
    }
    if (len == 0) {
        mt_err_set(err, MT_ERR_FORMAT, "empty file");
        return -1;
    }
    struct reader r = {data, data + len, 1, 0};
    struct record rec;
    int rc = reader_next(&r, &rec, err);
    if (rc < 0) { /* not even a CSV header: not a format we read */
        if (err) err->code = MT_ERR_FORMAT;
        return -1;
    }
    if (rec.nfields != PSD_CSV_COLUMNS) {
        mt_err_set(err, MT_ERR_FORMAT, "line 1: header has %zu columns, expected the %d PSD columns "
                 "(Commodity_Code,...,Value)", rec.nfields, PSD_CSV_COLUMNS);
        return -1;
    }
    for (int i = 0; i < PSD_CSV_COLUMNS; i++) {
        if (!span_equals(&rec.f[i], psd_csv_columns[i])) {
            char got[48];
            span_preview(&rec.f[i], got, sizeof got);
            mt_err_set(err, MT_ERR_FORMAT, "line 1: header column %d is '%s', expected '%s'", i + 1,
                     got, psd_csv_columns[i]);
            return -1;
        }
    }
    int64_t n = 0;
    while ((rc = reader_next(&r, &rec, err)) > 0) {
        if (record_is_blank(&rec)) {
            /* only trailing blank lines are tolerated */
            const char *q = r.p;
            while (q < r.end && (*q == '\r' || *q == '\n')) q++;
            if (q == r.end) break;
            mt_errf(err, "line %lld: empty line", (long long)rec.line);
            return -1;
        }
        if (rec.nfields != PSD_CSV_COLUMNS) {
            mt_errf(err, "line %lld: expected %d fields, got %zu", (long long)rec.line,
                     PSD_CSV_COLUMNS, rec.nfields);
            return -1;
        }
        if (!span_is_integer(&rec.f[COL_MARKET_YEAR])) {
            char got[48];
            span_preview(&rec.f[COL_MARKET_YEAR], got, sizeof got);
            mt_errf(err, "line %lld: Market_Year '%s' is not an integer",
                     (long long)rec.line, got);
            return -1;
        }
        if (!span_is_number(&rec.f[COL_VALUE])) {
            char got[48];
            span_preview(&rec.f[COL_VALUE], got, sizeof got);
            mt_errf(err, "line %lld: Value '%s' is not a number", (long long)rec.line,
                     got);
            return -1;
        }
        n++;
    }
    if (rc < 0) return -1;
    if (n == 0) {
        mt_errf(err, "no data rows after the header");
        return -1;
    }
    if (rows) *rows = n;
    return 0;
}
