/* seed_csv.c — a SEED's CSV reading: SQLMesh's csv_settings as DuckDB read_csv options.
 *
 * SQLMesh reads a seed with pandas.read_csv(content, index_col=False, **csv_settings)
 * (model/seed.py CsvSeedReader); materia reads it with DuckDB's read_csv (runner.c seed_sql).
 * So the options are always written out, pandas' defaults included — never DuckDB's sniffer:
 *   delimiter  ','            → delim      (one character; pandas takes a longer one as a regex)
 *   quotechar  '"'           → quote      (one character)
 *   doublequote true         → escape = the quote character (a doubled quote is one quote)
 *   na_values / keep_default_na true → nullstr: pandas' default NA strings (STR_NA_VALUES,
 *                              "" included) plus na_values' strings
 *   encoding   utf-8/latin-1 → encoding
 *   skipinitialspace false   → (DuckDB keeps spaces after the delimiter, as pandas then does)
 * Refused by name, each with why: doublequote false, escapechar, skipinitialspace true,
 * lineterminator, keep_default_na false, a per-column na_values, an encoding DuckDB lacks.
 * The value is parsed here from its text: `(name = value, ...)`, a value being a string, a
 * bool, or for na_values a list `('a', 'b')` / `['a', 'b']` (model/seed.py's validators; a
 * string's \t-style escapes mean their character, as sqlglot's UNESCAPED_SEQUENCES). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transform/kinds.h"
#include "util/db.h"

/* pandas._libs.parsers.STR_NA_VALUES (pandas 2) */
static const char *const PANDAS_NA[] = {"-1.#IND", "1.#QNAN", "1.#IND", "-1.#QNAN", "#N/A N/A", "#N/A", "N/A",
                                        "n/a", "NA", "<NA>", "#NA", "NULL", "null", "NaN", "-NaN", "nan", "-nan",
                                        "None", ""};

struct csv_lex {
    const char *s;
    const char *file;
    int line;
    struct mt_err *err;
};

static void skip_ws(struct csv_lex *x)
{
    while (isspace((unsigned char)*x->s)) x->s++;
}

/* A '...' string ('' is a quote) into *out; 0, or -1 when there is none. */
static int lex_string(struct csv_lex *x, char **out)
{
    skip_ws(x);
    if (*x->s != '\'') return -1;
    strbuf sb;
    sb_init(&sb);
    for (x->s++; *x->s; x->s++) {
        if (*x->s == '\'' && x->s[1] == '\'') { sb_append_char(&sb, '\''); x->s++; }
        else if (*x->s == '\'') break;
        else sb_append_char(&sb, *x->s);
    }
    if (*x->s != '\'') { sb_free(&sb); return -1; }
    x->s++;
    static const char *const esc[][2] = {{"\\a", "\a"}, {"\\b", "\b"}, {"\\f", "\f"}, {"\\n", "\n"},
                                         {"\\r", "\r"}, {"\\t", "\t"}, {"\\v", "\v"}, {"\\\\", "\\"}};
    for (size_t k = 0; k < sizeof esc / sizeof esc[0]; k++)
        if (!strcmp(sb.buf, esc[k][0])) { sb_reset(&sb); sb_append(&sb, esc[k][1]); break; }
    *out = sb_detach(&sb);
    return 0;
}

static size_t lex_word(struct csv_lex *x, char *buf, size_t n)
{
    skip_ws(x);
    size_t k = 0;
    while ((isalnum((unsigned char)*x->s) || *x->s == '_') && k + 1 < n) buf[k++] = *x->s++;
    buf[k] = 0;
    return k;
}

static int bad(struct csv_lex *x, const char *what)
{
    return mt_errf(x->err, "%s:%d: expected %s in csv_settings", x->file, x->line, what);
}

static int refuse(struct csv_lex *x, const char *name, const char *why)
{
    return mt_errf(x->err, "%s:%d: csv_settings %s is not supported by materia: %s", x->file, x->line, name, why);
}

/* A bool: TRUE/FALSE or 'true'/'false' (model/common.py parse_bool). */
static int lex_bool(struct csv_lex *x, const char *key, bool *out)
{
    char w[16], *s = NULL;
    skip_ws(x);
    if (*x->s == '\'') {
        if (lex_string(x, &s) < 0) return bad(x, "a quoted string");
        snprintf(w, sizeof w, "%s", s);
        free(s);
    } else {
        lex_word(x, w, sizeof w);
    }
    if (!strcasecmp(w, "true") || !strcmp(w, "1")) *out = true;
    else if (!strcasecmp(w, "false") || !strcmp(w, "0")) *out = false;
    else return mt_errf(x->err, "%s:%d: expected csv_settings %s true or false", x->file, x->line, key);
    return 0;
}

static int one_char(struct csv_lex *x, const char *key, const char *v, const char *duck, strbuf *o)
{
    if (strlen(v) != 1)
        return refuse(x, key, "pandas reads a delimiter of more than one character as a regular expression, and "
                              "takes a single character for the others");
    sb_appendf(o, ", %s = ", duck);
    db_quote_literal(o, v);
    return 0;
}

int seed_csv_parse(const char *text, const char *file, int line, char **opts, struct mt_err *err)
{
    struct csv_lex x = {.s = text, .file = file, .line = line, .err = err};
    strbuf o, na;
    sb_init(&o);
    sb_init(&na);
    char *delim = NULL, *quote = NULL;
    bool keep_default_na = true;
    int rc = 0;
    skip_ws(&x);
    bool paren = *x.s == '(';
    if (paren) x.s++;
    while (rc == 0) {
        char key[32];
        skip_ws(&x);
        if (paren && *x.s == ')') { x.s++; break; }
        if (!*x.s) { rc = paren ? bad(&x, "')'") : 0; break; }
        if (!lex_word(&x, key, sizeof key)) { rc = bad(&x, "name = value"); break; }
        for (char *c = key; *c; c++) *c = (char)tolower((unsigned char)*c);
        skip_ws(&x);
        if (x.s[0] == ':' && x.s[1] == '=') x.s += 2;
        else if (x.s[0] == '=') x.s++;
        else { rc = bad(&x, "'=' after the setting's name"); break; }
        char *v = NULL;
        bool b = false;
        if (!strcmp(key, "delimiter") || !strcmp(key, "quotechar")) {
            if (lex_string(&x, &v) < 0) rc = bad(&x, "a quoted string");
            else if (strlen(v) != 1) rc = one_char(&x, key, v, "", &o);
            else if (key[0] == 'd') { free(delim); delim = v, v = NULL; }
            else { free(quote); quote = v, v = NULL; }
        } else if (!strcmp(key, "doublequote")) {
            rc = lex_bool(&x, key, &b);
            if (rc == 0 && !b)
                rc = refuse(&x, "doublequote false", "DuckDB always reads a doubled quote character inside a quoted "
                                                      "field as one quote");
        } else if (!strcmp(key, "escapechar")) {
            rc = refuse(&x, key, "DuckDB's escape character replaces the doubled quote instead of adding to it, and "
                                 "escapes nothing outside quotes, unlike pandas'");
        } else if (!strcmp(key, "skipinitialspace")) {
            rc = lex_bool(&x, key, &b);
            if (rc == 0 && b)
                rc = refuse(&x, "skipinitialspace true", "DuckDB's read_csv has no option dropping the spaces after "
                                                          "a delimiter");
        } else if (!strcmp(key, "lineterminator")) {
            rc = refuse(&x, key, "DuckDB's new_line option only names which of \\n, \\r\\n or \\r the file uses, "
                                 "while pandas ends lines at that one character only");
        } else if (!strcmp(key, "encoding")) {
            if (lex_string(&x, &v) < 0) rc = bad(&x, "a quoted string");
            else if (!strcasecmp(v, "utf-8") || !strcasecmp(v, "utf8") || !strcasecmp(v, "utf_8"))
                sb_append(&o, ", encoding = 'utf-8'");
            else if (!strcasecmp(v, "latin-1") || !strcasecmp(v, "latin1") || !strcasecmp(v, "iso-8859-1") ||
                     !strcasecmp(v, "latin_1"))
                sb_append(&o, ", encoding = 'latin-1'");
            else
                rc = mt_errf(err, "%s:%d: csv_settings encoding '%s' is not supported by materia: DuckDB reads "
                             "utf-8 and latin-1 only", file, line, v);
        } else if (!strcmp(key, "keep_default_na")) {
            rc = lex_bool(&x, key, &keep_default_na);
            if (rc == 0 && !keep_default_na)
                rc = refuse(&x, "keep_default_na false", "DuckDB reads an empty field as NULL or as an empty "
                                                          "string by column type, where pandas then keeps it");
        } else if (!strcmp(key, "na_values")) {
            skip_ws(&x);
            char close = *x.s == '(' ? ')' : *x.s == '[' ? ']' : 0;
            if (close) x.s++;
            for (bool first = true; rc == 0; first = false) {
                skip_ws(&x);
                if (close && *x.s == close) { x.s++; break; }
                if (!first && close) {
                    if (*x.s != ',') { rc = bad(&x, "',' between na_values"); break; }
                    x.s++;
                    skip_ws(&x);
                }
                if (*x.s != '\'') {
                    rc = refuse(&x, "na_values", "only strings can be mapped to DuckDB's nullstr (pandas also "
                                                 "matches numbers by value, and a per-column mapping per column)");
                    break;
                }
                char *s = NULL;
                if (lex_string(&x, &s) < 0) { rc = bad(&x, "a quoted string"); break; }
                skip_ws(&x);
                if (*x.s == '=' || *x.s == ':') {
                    free(s);
                    rc = refuse(&x, "na_values", "a per-column mapping has no DuckDB nullstr equivalent");
                    break;
                }
                sb_append(&na, ", ");
                db_quote_literal(&na, s);
                free(s);
                if (!close) break;
            }
        } else {
            rc = mt_errf(err, "%s:%d: unknown csv_settings '%s': expected delimiter, quotechar, doublequote, "
                         "escapechar, skipinitialspace, lineterminator, encoding, na_values or keep_default_na",
                         file, line, key);
        }
        free(v);
        skip_ws(&x);
        if (rc == 0 && *x.s == ',') x.s++;
        else if (rc == 0 && *x.s && *x.s != ')') rc = bad(&x, "',' between settings");
    }
    if (rc == 0) {
        strbuf all;
        sb_init(&all);
        sb_append(&all, ", delim = ");
        db_quote_literal(&all, delim ? delim : ",");
        sb_append(&all, ", quote = ");
        db_quote_literal(&all, quote ? quote : "\"");
        sb_append(&all, ", escape = ");
        db_quote_literal(&all, quote ? quote : "\"");
        sb_append(&all, ", nullstr = [");
        for (size_t k = 0; k < sizeof PANDAS_NA / sizeof PANDAS_NA[0]; k++) {
            sb_append(&all, k ? ", " : "");
            db_quote_literal(&all, PANDAS_NA[k]);
        }
        sb_appendf(&all, "%s]%s", na.buf ? na.buf : "", o.buf ? o.buf : "");
        *opts = sb_detach(&all);
    }
    free(delim);
    free(quote);
    sb_free(&o);
    sb_free(&na);
    return rc;
}

void seed_csv_options(const struct model *m, strbuf *out)
{
    if (m->csv_opts) {
        sb_append(out, m->csv_opts);
        return;
    }
    char *d = NULL;
    struct mt_err e = MT_ERR_INIT;
    if (seed_csv_parse("()", m->file, m->line, &d, &e) == 0) sb_append(out, d);
    free(d);
}
