/* macros.c — SQLMesh's macro variables, expanded in model and audit queries.
 *
 * Supported (each outside string literals, quoted identifiers and comments):
 *   @start_ds @end_ds @execution_ds          'YYYY-MM-DD'
 *   @start_ts @end_ts @execution_ts          'YYYY-MM-DD HH:MM:SS.ffffff'
 *   @start_date @end_date @execution_date    CAST('YYYY-MM-DD' AS DATE)
 *   @start_dt @end_dt @execution_dt          CAST('…' AS TIMESTAMP)
 *   @start_epoch @end_epoch @execution_epoch seconds (float)
 *   @start_millis @end_millis @execution_millis
 *   @this_model                              the physical table being built
 *   @VAR('name'[, default])                  configuration value as a string literal;
 *                                            'landing_dir' finds LANDING_DIR
 *   @arg                                     an audit's argument (audits only)
 *   @LANDED_FILES('dataset')                 Materia extension (not in SQLMesh): the data
 *       files $LANDING_DIR/<dataset>/YYYY/MM/{etag}.csv.gzip landed in the interval, as a
 *       parenthesised list of string literals for `filename IN @LANDED_FILES('psd')`,
 *       `(NULL)` when none (an IN list matching nothing). A file's landed_at is its
 *       {etag}.meta.json `landed_at`, else its modification time (ARCHITECTURE §1). The list
 *       is a superset: it keeps files within 1 s of the interval and any file whose meta
 *       landed_at this parser cannot read (not "YYYY-MM-DD[THH:MM[:SS[.f]]][Z]"), so a
 *       model must still filter rows on landed_at itself; the list only lets DuckDB's
 *       multi-file scan skip the files of other intervals (a constant filename IN list is
 *       pushed down into read_csv; a join on the meta files is not). The fixed render
 *       behind fingerprints and the DAG lists no file (`(NULL)`).
 * As in SQLMesh, end values are inclusive: the interval [start, end) renders end as
 * end - 1 microsecond (so `BETWEEN @start_ts AND @end_ts` is right). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <glob.h>
#include <sys/stat.h>

#include "transform/engine.h"
#include "util/err.h"
#include "extract/landing_meta.h"
#include "util/db.h"
#include "util/fsutil.h"

const char *macro_var_value(const struct config *cfg, const char *name)
{
    const char *val = config_get(cfg, name);
    if (val) return val;
    char up[256];
    size_t i = 0;
    for (; name[i] && i + 1 < sizeof up; i++) up[i] = (char)toupper((unsigned char)name[i]);
    up[i] = 0;
    return config_get(cfg, up);
}

static int var_lookup(const struct render_ctx *rc, const char *name, const char **val)
{
    *val = macro_var_value(rc->cfg, name);
    return *val ? 0 : -1;
}

static void put_time(strbuf *out, const char *suffix, int64_t us)
{
    char b[32];
    if (!strcmp(suffix, "ds")) { time_fmt_ds(us, b); sb_appendf(out, "'%s'", b); }
    else if (!strcmp(suffix, "ts")) { time_fmt_ts(us, b); sb_appendf(out, "'%s'", b); }
    else if (!strcmp(suffix, "date")) { time_fmt_ds(us, b); sb_appendf(out, "CAST('%s' AS DATE)", b); }
    else if (!strcmp(suffix, "dt")) { time_fmt_ts(us, b); sb_appendf(out, "CAST('%s' AS TIMESTAMP)", b); }
    else if (!strcmp(suffix, "epoch")) sb_appendf(out, "%.6f", (double)us / 1e6);
    else sb_appendf(out, "%lld", (long long)(us / 1000));
}

/* Reads a SQL string literal at s (pointing at '), returns its unquoted value and the
 * position after it, or NULL. */
static char *read_literal(const char *s, const char **after)
{
    if (*s != '\'') return NULL;
    strbuf sb;
    sb_init(&sb);
    for (s++; *s; s++) {
        if (*s == '\'') {
            if (s[1] == '\'') { sb_append_char(&sb, '\''); s++; continue; }
            *after = s + 1;
            return sb_detach(&sb);
        }
        sb_append_char(&sb, *s);
    }
    sb_free(&sb);
    return NULL;
}

static const char *skip_ws(const char *s)
{
    while (isspace((unsigned char)*s)) s++;
    return s;
}

/* @VAR('name'[, 'default']) starting after "@VAR"; appends the value. */
static int expand_var(const char **pp, const char *file, int line, const struct render_ctx *rc, strbuf *out,
                      struct mt_err *err)
{
    const char *p = skip_ws(*pp), *after;
    if (*p != '(') goto bad;
    p = skip_ws(p + 1);
    char *name = read_literal(p, &after);
    if (!name) goto bad;
    p = skip_ws(after);
    char *def = NULL;
    bool has_def = false;
    const char *def_start = NULL, *def_end = NULL;
    if (*p == ',') {
        p = skip_ws(p + 1);
        has_def = true;
        if (*p == '\'') {
            def = read_literal(p, &after);
            if (!def) { free(name); goto bad; }
            p = skip_ws(after);
        } else {
            def_start = p;
            while (*p && *p != ')') p++;
            def_end = p;
            while (def_end > def_start && isspace((unsigned char)def_end[-1])) def_end--;
        }
    }
    if (*p != ')') { free(name); free(def); goto bad; }
    *pp = p + 1;
    const char *val;
    if (var_lookup(rc, name, &val) == 0) db_quote_literal(out, val);
    else if (has_def && def) db_quote_literal(out, def);
    else if (has_def) sb_append_len(out, def_start, (size_t)(def_end - def_start));
    else {
        mt_errf(err, "%s:%d: @VAR('%s'): no configuration value %s (set it in the environment or .env)",
                 file, line, name, name);
        free(name);
        return -1;
    }
    free(name);
    free(def);
    return 0;
bad:
    mt_errf(err, "%s:%d: expected @VAR('name') or @VAR('name', default)", file, line);
    return -1;
}

/* landed_at of one data file (see @LANDED_FILES above); false when unknown. */
static bool landed_at_of(const char *data_path, int64_t *us)
{
    size_t n = strlen(data_path), sfx = strlen(".csv.gzip");
    char *meta = xasprintf("%.*s.meta.json", (int)(n - sfx), data_path);
    char *text = NULL;
    struct mt_err e = MT_ERR_INIT;
    size_t len = 0;
    int rd = fs_read_all(meta, &text, &len, &e);
    free(meta);
    if (rd == 0) {
        struct landing_meta lm; /* extract owns the meta format: read it through its parser */
        int pr = landing_meta_parse(text, len, &lm, &e);
        free(text);
        if (pr < 0) return false;
        bool use_mtime = !lm.landed_at;
        bool known = lm.landed_at && time_parse(lm.landed_at, us) == 0;
        landing_meta_free(&lm);
        if (!use_mtime) return known;
    }
    struct stat st; /* no meta, or no landed_at in it: the model uses the mtime */
    if (stat(data_path, &st) != 0) return false;
    *us = (int64_t)st.st_mtim.tv_sec * US_PER_SEC + st.st_mtim.tv_nsec / 1000;
    return true;
}

/* @LANDED_FILES('dataset') starting after "@LANDED_FILES"; appends the IN list. */
static int expand_landed_files(const char **pp, const char *file, int line, const struct render_ctx *rc,
                               strbuf *out, struct mt_err *err)
{
    const char *p = skip_ws(*pp), *after;
    if (*p != '(') goto bad;
    char *ds = read_literal(skip_ws(p + 1), &after);
    if (!ds) goto bad;
    p = skip_ws(after);
    if (*p != ')' || !*ds || strchr(ds, '/') || strchr(ds, '*') || strchr(ds, '[') || strchr(ds, '?')) {
        free(ds);
        goto bad;
    }
    *pp = p + 1;
    const char *dir;
    if (var_lookup(rc, "landing_dir", &dir) < 0) {
        mt_errf(err, "%s:%d: @LANDED_FILES: no configuration value LANDING_DIR", file, line);
        free(ds);
        return -1;
    }
    /* the same pattern text the model gives read_csv, so paths compare equal to `filename` */
    char *pat = xasprintf("%s/%s/[0-9][0-9][0-9][0-9]/[0-9][0-9]/*.csv.gzip", dir, ds);
    free(ds);
    glob_t g;
    size_t kept = 0;
    if (!rc->fixed && glob(pat, 0, NULL, &g) == 0) {
        for (size_t k = 0; k < g.gl_pathc; k++) {
            int64_t t = 0;
            if (landed_at_of(g.gl_pathv[k], &t) && (t < rc->start_us - US_PER_SEC || t > rc->end_us + US_PER_SEC))
                continue;
            sb_append(out, kept++ ? ", " : "(");
            db_quote_literal(out, g.gl_pathv[k]);
        }
        globfree(&g);
    }
    free(pat);
    sb_append(out, kept ? ")" : "(NULL)");
    return 0;
bad:
    mt_errf(err, "%s:%d: expected @LANDED_FILES('dataset') (a folder name under LANDING_DIR)", file, line);
    return -1;
}

int macro_render(const char *sql, const char *file, int line0, const struct render_ctx *rc, strbuf *out,
                 struct mt_err *err)
{
    int line = line0;
    const char *p = sql;
    while (*p) {
        char c = *p;
        if (c == '\n') line++;
        if (c == '\'' || c == '"') { /* copy literal / quoted identifier verbatim */
            const char *s = p++;
            while (*p && !(*p == c && p[1] != c)) {
                if (*p == c) p++;
                if (*p == '\n') line++;
                p++;
            }
            if (*p) p++;
            sb_append_len(out, s, (size_t)(p - s));
            continue;
        }
        if (c == '-' && p[1] == '-') {
            const char *s = p;
            while (*p && *p != '\n') p++;
            sb_append_len(out, s, (size_t)(p - s));
            continue;
        }
        if (c == '/' && p[1] == '*') {
            const char *s = p;
            const char *e = strstr(p + 2, "*/");
            p = e ? e + 2 : p + strlen(p);
            for (const char *q = s; q < p; q++)
                if (*q == '\n') line++;
            sb_append_len(out, s, (size_t)(p - s));
            continue;
        }
        if (c != '@' || !(isalpha((unsigned char)p[1]) || p[1] == '_')) {
            sb_append_char(out, c);
            p++;
            continue;
        }
        const char *s = ++p;
        while (isalnum((unsigned char)*p) || *p == '_') p++;
        char name[64];
        size_t n = (size_t)(p - s) < sizeof name - 1 ? (size_t)(p - s) : sizeof name - 1;
        memcpy(name, s, n);
        name[n] = 0;
        for (char *q = name; *q; q++) *q = (char)tolower((unsigned char)*q);
        /* audit arguments shadow everything else */
        bool done = false;
        if (rc->arg_names)
            for (size_t i = 0; i < rc->arg_names->n; i++)
                if (!strcmp(rc->arg_names->v[i], name)) {
                    sb_append(out, rc->arg_values->v[i]);
                    done = true;
                    break;
                }
        if (done) continue;
        if (!strcmp(name, "var")) {
            if (expand_var(&p, file, line, rc, out, err) < 0) return -1;
            continue;
        }
        if (!strcmp(name, "landed_files")) {
            if (expand_landed_files(&p, file, line, rc, out, err) < 0) return -1;
            continue;
        }
        if (!strcmp(name, "this_model")) {
            sb_append(out, rc->this_model ? rc->this_model : "");
            continue;
        }
        const char *us = strchr(name, '_');
        if (us) {
            static const char *sfx[] = {"ds", "ts", "date", "dt", "epoch", "millis"};
            size_t plen = (size_t)(us - name);
            int64_t t = 0;
            bool ok = true;
            if (plen == 5 && !strncmp(name, "start", 5)) t = rc->start_us;
            else if (plen == 3 && !strncmp(name, "end", 3)) t = rc->end_us - 1;
            else if (plen == 9 && !strncmp(name, "execution", 9)) t = rc->exec_us;
            else ok = false;
            if (ok)
                for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++)
                    if (!strcmp(us + 1, sfx[i])) {
                        put_time(out, sfx[i], t);
                        done = true;
                        break;
                    }
        }
        if (done) continue;
        mt_errf(err, "%s:%d: unknown macro @%s: expected @start_ds, @end_ds, @execution_ds (and _ts, "
                 "_date, _dt, _epoch, _millis), @this_model, @VAR('name') or @LANDED_FILES('dataset')", file, line, name);
        return -1;
    }
    return 0;
}

void sql_split_list(const char *text, struct strlist *out)
{
    const char *s = skip_ws(text);
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1])) len--;
    if (len >= 2 && ((s[0] == '(' && s[len - 1] == ')') || (s[0] == '[' && s[len - 1] == ']'))) {
        s++;
        len -= 2;
    }
    int depth = 0;
    char q = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        char c = i < len ? s[i] : ',';
        if (q) { if (c == q) q = 0; continue; }
        if (c == '\'' || c == '"') { q = c; continue; }
        if (c == '(' || c == '[') depth++;
        else if (c == ')' || c == ']') depth--;
        else if (c == ',' && depth == 0) {
            size_t a = start, b = i;
            while (a < b && isspace((unsigned char)s[a])) a++;
            while (b > a && isspace((unsigned char)s[b - 1])) b--;
            if (b > a) {
                char *item = xstrndup(s + a, b - a);
                strlist_push(out, item);
                free(item);
            }
            start = i + 1;
        }
    }
}
