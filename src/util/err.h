/* err.h — the one error type of every stage (as curl has CURLcode): a code saying what
 * kind of failure it was, for callers that decide by kind, and a one-line message for
 * people.
 *
 * Conventions, everywhere in Materia:
 *  - a function that can fail takes `struct mt_err *err` last and returns -1 (or NULL)
 *    after setting it with mt_err_set()/mt_errf(); it never prints the error itself;
 *  - a caller that adds what it was doing wraps the message with mt_err_prefix(), which
 *    keeps the code (so "extract: <url>: line 1: ..." is still MT_ERR_FORMAT);
 *  - kinds are told apart by err->code, never by matching the message text;
 *  - a command's failure exit is cli_fail(err->msg) (util/cli.h), the one place that
 *    prints "materia: <message>".
 * The message is a complete sentence fragment, never partial, at most MT_ERR_LEN - 1
 * bytes (longer text is cut). */
#ifndef MATERIA_ERR_H
#define MATERIA_ERR_H

#include "util/common.h"

enum mt_code {
    MT_OK = 0,
    MT_ERR_FAIL,      /* a failure with no more specific kind */
    MT_ERR_IO,        /* the file system */
    MT_ERR_DB,        /* DuckDB */
    MT_ERR_FORMAT,    /* input that is not in a format we read (not a CSV, not a zip...) */
    MT_ERR_AUDIT,     /* a model's audit found bad rows */
};

struct mt_err {
    enum mt_code code;
    char msg[MT_ERR_LEN];
};

#define MT_ERR_INIT {MT_OK, ""}

/* Sets err (code and message); returns -1 so a failing function can `return mt_err_set(...)`.
 * err may be NULL (the error is then dropped). */
int mt_err_set(struct mt_err *err, enum mt_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes the message with context ("<context>: <message>"), keeping the code; returns -1. */
int mt_err_prefix(struct mt_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mt_err_clear(struct mt_err *err);

/* The common case: a failure with no more specific kind. */
#define mt_errf(err, ...) mt_err_set((err), MT_ERR_FAIL, __VA_ARGS__)

#endif
