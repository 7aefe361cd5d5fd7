/* kind_scd2_args.c — the arguments of SQLMesh's SCD type 2 kinds, read from the MODEL
 * header (header.c hands over each `name value` of the kind's parentheses as source text).
 *
 * The fields are those of sqlmesh/core/model/kind.py _SCDType2Kind, SCDType2ByTimeKind and
 * SCDType2ByColumnKind, with their defaults; a name they do not have is an error (SQLMesh's
 * pydantic kinds forbid extra fields), a field materia cannot honour is refused by name.
 * Like header.c this is a pure function of its input (no DuckDB, no files): the header fuzz
 * target links it. The SQL the arguments drive is kind_scd2.c's. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transform/engine.h"
#include "transform/model.h"
#include "util/err.h"
#include "util/strbuf.h"

static int arg_error(const struct model *m, int line, struct mt_err *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int arg_error(const struct model *m, int line, struct mt_err *err, const char *fmt, ...)
{
    char msg[MT_ERR_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    mt_errf(err, "%s:%d: %s", m->file, line, msg);
    for (char *c = err->msg; *c; c++) /* a value may span lines: the message stays one line */
        if ((unsigned char)*c < 0x20) *c = ' ';
    return -1;
}

/* A column name: a plain identifier lower-cased (DuckDB's normalisation, as SQLMesh's), a
 * "quoted" one as written; NULL when text is not one identifier. */
static char *ident(const char *text)
{
    size_t n = strlen(text);
    if (n >= 2 && text[0] == '"' && text[n - 1] == '"') {
        strbuf sb;
        sb_init(&sb);
        for (size_t i = 1; i + 1 < n; i++) {
            if (text[i] == '"') {
                if (i + 2 < n && text[i + 1] == '"') i++;
                else { sb_free(&sb); return NULL; }
            }
            sb_append_char(&sb, text[i]);
        }
        return sb_detach(&sb);
    }
    if (!n || !(isalpha((unsigned char)text[0]) || text[0] == '_')) return NULL;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)text[i]) || text[i] == '_' || text[i] == '$')) return NULL;
    char *s = xstrdup(text);
    for (char *c = s; *c; c++) *c = (char)tolower((unsigned char)*c);
    return s;
}

/* Text without a pair of quotes ('x' → x), else as is. Caller frees. */
static char *unquote(const char *text)
{
    size_t n = strlen(text);
    if (n >= 2 && text[0] == '\'' && text[n - 1] == '\'') return xstrndup(text + 1, n - 2);
    return xstrdup(text);
}

/* Index of the bracket closing the one at s[0], or -1 (quotes skipped). */
void scd2_kind_init(struct model *m, bool legacy_name)
{
    /* model/kind.py's defaults */
    struct scd2_kind *k = &m->scd2;
    k->valid_from = xstrdup("valid_from");
    k->valid_to = xstrdup("valid_to");
    k->time_type = xstrdup("TIMESTAMP");
    if (m->kind == KIND_SCD2_TIME) k->updated_at = xstrdup("updated_at");
    k->forward_only = true;
    m->disable_restatement = true; /* _SCDType2Kind.disable_restatement: True */
    k->legacy_name = legacy_name;
}

void scd2_kind_free(struct scd2_kind *k)
{
    strlist_free(&k->key);
    strlist_free(&k->columns);
    free(k->valid_from);
    free(k->valid_to);
    free(k->updated_at);
    free(k->time_type);
    memset(k, 0, sizeof *k);
}

bool scd2_kind_metadata(const char *key)
{
    /* kind.py metadata_hash_values (_Incremental's, _SCDType2Kind's): not the data's */
    return !strcmp(key, "forward_only") || !strcmp(key, "disable_restatement") ||
           !strcmp(key, "on_destructive_change") || !strcmp(key, "on_additive_change");
}

int scd2_kind_arg(struct model *m, const char *key, const char *value, int line, struct mt_err *err)
{
    struct scd2_kind *k = &m->scd2;
    bool by_time = m->kind == KIND_SCD2_TIME;
    char **slot = NULL, *v = unquote(value);
    bool *flag = NULL;
    int rc = 0;
    if (!strcmp(key, "unique_key")) {
        /* columns or expressions (SQLGlotListOfFields): a column is kept quoted, an
         * expression as its SQL text */
        struct strlist items = {0};
        sql_split_list(value, &items);
        strlist_free(&k->key);
        for (size_t i = 0; i < items.n; i++) {
            char *id = ident(items.v[i]);
            if (!id) { strlist_push(&k->key, items.v[i]); continue; }
            strbuf sb;
            sb_init(&sb);
            sb_append_char(&sb, '"');
            for (const char *c = id; *c; c++) {
                if (*c == '"') sb_append_char(&sb, '"');
                sb_append_char(&sb, *c);
            }
            sb_append_char(&sb, '"');
            strlist_push(&k->key, sb.buf);
            sb_free(&sb);
            free(id);
        }
        strlist_free(&items);
    } else if (!strcmp(key, "valid_from_name")) slot = &k->valid_from;
    else if (!strcmp(key, "valid_to_name")) slot = &k->valid_to;
    else if (!strcmp(key, "updated_at_name")) slot = &k->updated_at;
    else if (!strcmp(key, "invalidate_hard_deletes")) flag = &k->invalidate_hard_deletes;
    else if (!strcmp(key, "forward_only")) flag = &k->forward_only;
    else if (!strcmp(key, "updated_at_as_valid_from") && by_time) flag = &k->updated_at_as_valid_from;
    else if (!strcmp(key, "execution_time_as_valid_from") && !by_time) flag = &k->execution_time_as_valid_from;
    else if (!strcmp(key, "disable_restatement")) {
        /* restate.c reads it: true (kind.py _SCDType2Kind's default) skips the model */
        if (strcasecmp(v, "true") && strcasecmp(v, "false"))
            rc = arg_error(m, line, err, "expected disable_restatement true or false");
        else m->disable_restatement = !strcasecmp(v, "true");
    } else if (!strcmp(key, "time_data_type")) {
        free(k->time_type);
        k->time_type = xstrdup(v);
    } else if (!strcmp(key, "columns") && !by_time) {
        /* '*' or a list of columns (SQLGlotListOfFieldsOrStar) */
        strlist_free(&k->columns);
        k->star = !strcmp(value, "*");
        struct strlist items = {0};
        if (!k->star) sql_split_list(value, &items);
        for (size_t i = 0; i < items.n && rc == 0; i++) {
            char *id = ident(items.v[i]);
            if (!id) rc = arg_error(m, line, err, "expected columns * or column names");
            else strlist_push(&k->columns, id);
            free(id);
        }
        if (rc == 0 && !k->star && k->columns.n == 0) rc = arg_error(m, line, err, "expected columns * or column names");
        strlist_free(&items);
    } else if (!strcmp(key, "batch_size")) {
        /* intervals per merge: runner.c build runs one merge per batch */
        char *end;
        long n = strtol(v, &end, 10);
        if (!*v || *end || n < 1) rc = arg_error(m, line, err, "expected batch_size N (N >= 1)");
        else m->batch_size = n;
    } else if (!strcmp(key, "dialect")) {
        if (v[0] && strcasecmp(v, "duckdb"))
            rc = arg_error(m, line, err, "dialect %s is not supported by materia: models run as DuckDB SQL (there is "
                           "no SQL transpiler)", v);
    } else if (!strcmp(key, "on_destructive_change") || !strcmp(key, "on_additive_change")) {
        /* SQLMesh's defaults (error, allow) are what kind_scd2.c does to a kept table */
        if (strcasecmp(v, key[3] == 'd' ? "error" : "allow"))
            rc = arg_error(m, line, err, "%s %s is not supported by materia: a forward-only SCD model's table gets "
                           "the new query's added columns and refuses a dropped or retyped one", key, v);
    } else if (!strcmp(key, "auto_restatement_cron")) {
        rc = arg_error(m, line, err, "auto_restatement_cron is not supported by materia: it never restates a model");
    } else {
        rc = arg_error(m, line, err, "unknown %s property '%s': expected unique_key, valid_from_name, valid_to_name, "
                       "invalidate_hard_deletes, time_data_type, %s, batch_size, forward_only, disable_restatement, "
                       "dialect, on_destructive_change or on_additive_change", model_kind_name(m->kind), key,
                       by_time ? "updated_at_name, updated_at_as_valid_from"
                               : "columns, execution_time_as_valid_from, updated_at_name");
    }
    if (slot) {
        char *id = ident(value);
        if (!id) rc = arg_error(m, line, err, "expected a column name after %s", key);
        else { free(*slot); *slot = id; }
    }
    if (flag) {
        if (strcasecmp(v, "true") && strcasecmp(v, "false"))
            rc = arg_error(m, line, err, "expected %s true or false", key);
        else *flag = !strcasecmp(v, "true");
    }
    free(v);
    return rc;
}

int scd2_kind_check(const struct model *m, int line, struct mt_err *err)
{
    if (m->scd2.key.n == 0)
        return arg_error(m, line, err, "expected %s (unique_key COLUMN)", model_kind_name(m->kind));
    if (m->kind == KIND_SCD2_COLUMN && !m->scd2.star && m->scd2.columns.n == 0)
        return arg_error(m, line, err, "expected SCD_TYPE_2_BY_COLUMN (unique_key COLUMN, columns (COLUMN, ...) or "
                         "columns *)");
    return 0;
}
