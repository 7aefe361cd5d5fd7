/* landing_meta.c — see landing_meta.h.
 *
 * The reader is util/json's parser (the one JSON reader) over one flat object: string,
 * number, true/false/null values (a nested value is an error — meta files never have
 * one). This file is the one owner of the format: transform reads landed_at through
 * landing_meta_parse() too. */
#include "extract/landing_meta.h"
#include "util/err.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"
#include "util/strbuf.h"

void landing_meta_init(struct landing_meta *m)
{
    memset(m, 0, sizeof *m);
    m->csv_bytes = m->gzip_bytes = m->rows = m->source_year = -1;
}

void landing_meta_free(struct landing_meta *m)
{
    free(m->etag);
    free(m->url);
    free(m->last_modified);
    free(m->release_date);
    free(m->landed_at);
    free(m->sha256);
    free(m->source);
    free(m->file_stat);
    landing_meta_init(m);
}

/* A string field: a string value, or null (a meta file written before the key existed, or
 * by a writer that had no value). Anything else is refused. */
static int take_str(const struct json *v, char **field)
{
    if (v->t == JSON_NULL) return 0;
    if (v->t != JSON_STR) return -1;
    *field = xstrdup(v->s);
    return 0;
}

/* An integer field (JSON number without fraction or exponent). */
static int take_int(const struct json *v, int64_t *field)
{
    if (v->t != JSON_NUM) return -1;
    char *end;
    long long n = strtoll(v->s, &end, 10);
    if (*end) return -1;
    *field = n;
    return 0;
}

int landing_meta_parse(const char *json, size_t len, struct landing_meta *m, struct mt_err *err)
{
    landing_meta_init(m);
    char *text = xmalloc(len + 1);
    memcpy(text, json, len);
    text[len] = '\0';
    struct json j;
    int rc = json_parse(text, &j, err);
    free(text);
    if (rc < 0) return -1;
    if (j.t != JSON_OBJ) {
        json_free(&j);
        return mt_err_set(err, MT_ERR_FORMAT, "invalid JSON: a meta file is one object");
    }
    for (size_t i = 0; i < j.n && rc == 0; i++) {
        const char *k = j.keys[i];
        const struct json *v = &j.items[i];
        char **sfield = !strcmp(k, "etag") ? &m->etag
                      : !strcmp(k, "url") ? &m->url
                      : !strcmp(k, "last_modified") ? &m->last_modified
                      : !strcmp(k, "release_date") ? &m->release_date
                      : !strcmp(k, "landed_at") ? &m->landed_at
                      : !strcmp(k, "sha256") ? &m->sha256
                      : !strcmp(k, "source") ? &m->source
                      : !strcmp(k, "file_stat") ? &m->file_stat : NULL;
        int64_t *nfield = !strcmp(k, "csv_bytes") ? &m->csv_bytes
                        : !strcmp(k, "gzip_bytes") ? &m->gzip_bytes
                        : !strcmp(k, "rows") ? &m->rows
                        : !strcmp(k, "source_year") ? &m->source_year : NULL;
        if (sfield) {
            free(*sfield);
            *sfield = NULL;
            if (take_str(v, sfield) < 0) rc = mt_err_set(err, MT_ERR_FORMAT, "invalid meta: %s is not a string", k);
        } else if (nfield) {
            if (v->t == JSON_NULL && nfield == &m->source_year) continue; /* no {YYYY} */
            if (take_int(v, nfield) < 0) rc = mt_err_set(err, MT_ERR_FORMAT, "invalid meta: %s is not a whole number", k);
        } else if (v->t == JSON_ARR || v->t == JSON_OBJ) {
            rc = mt_err_set(err, MT_ERR_FORMAT, "invalid meta: %s holds a nested value", k);
        } /* other unknown keys: a later version's, ignored */
    }
    json_free(&j);
    if (rc < 0) landing_meta_free(m);
    return rc;
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
    sb_appendf(&sb, "  \"rows\": %lld%s\n", (long long)m->rows, m->source || m->file_stat ? "," : "");
    if (m->source) {
        put_str(&sb, "source", m->source, false);
        if (m->source_year >= 0) sb_appendf(&sb, "  \"source_year\": %lld", (long long)m->source_year);
        else sb_append(&sb, "  \"source_year\": null");
        sb_append(&sb, m->file_stat ? ",\n" : "\n");
    }
    if (m->file_stat) put_str(&sb, "file_stat", m->file_stat, true);
    sb_append(&sb, "}\n");
    return sb_detach(&sb);
}
