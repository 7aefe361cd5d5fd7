/* noop_stamp.c — `materia run` answering "nothing to do" without opening the lakehouse.
 *
 * Loading DuckDB and opening the lakehouse costs ~40 ms before any engine work
 * (bench/RESULTS.md), most of the no-op budget. So, as make and ninja do with file
 * times, a run that found nothing to do leaves a stamp beside the lakehouse
 * (DUCKDB_PATH.noop) listing everything the plan's answer depended on:
 *   window the execution times [lo, hi) in which every model's cron floor is the same,
 *          i.e. in which no FULL model falls due and no incremental interval completes;
 *   models the number of models (for the message);
 *   path   every project file and folder (models/, audits/, seeds, external models, .env),
 *          the materia binary and the libduckdb it loaded: size, mtime, ctime (ns; ctime
 *          cannot be set back by cp -p or touch), inode, mode, or "missing";
 *   glob   each model's input-file patterns, expanded and stat'ed like the inputs
 *          fingerprint (dag_inputs_fingerprint);
 *   var    the names the models' and audits' @VAR('name') read;
 *   pre    the digest of the lines above as the plan saw them (see below);
 *   path   the lakehouse and its WAL, stat'ed after the lakehouse was closed;
 *   digest SHA-256 over all of it as observed, materia's version, every configuration
 *          key's value and each var's value as @VAR resolves it (not the whole
 *          environment: hyperfine, for one, changes a variable on every run).
 * The next `materia run` re-reads the stamp, re-stats its paths and globs (~1 ms) and, when
 * the digest matches and its execution time is inside the window, prints the same
 * "nothing to do" line and exits without loading the lakehouse.
 *
 * Invariants: a stamp is written only right after a run that itself found nothing to do
 * (and recorded that in _materia.runs), and is removed before any run opens the
 * lakehouse. It never vouches for an input the plan did not see: `pre` is taken when the
 * plan is done, and no stamp is made if any input's ctime is not older than the moment
 * before the plan read them (with a margin for coarse file-system clocks), or if `pre`
 * no longer matches when the stamp is written after close. Anything that writes the
 * lakehouse (a run, the pipeline, janitor, `sql --write`) changes its stat, so a stamp can
 * only match an untouched lakehouse; DuckDB's file lock keeps other writers out until the
 * run closes it, and the stat is taken right then. A missing, unreadable or foreign stamp
 * simply means the full check runs. The fast no-ops are not recorded in _materia.runs. */
#include <ctype.h>
#include <dlfcn.h>
#include <dirent.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transform/engine.h"
#include "util/common.h"
#include "util/fsutil.h"
#include "util/hash.h"
#include "util/log.h"

#define STAMP_MAGIC "materia-noop-stamp 2"
/* File-system timestamps can trail the wall clock by a tick; a change this close before the
 * plan counts as during it. */
#define RECENT_NS INT64_C(20000000)

static char *stamp_path(const struct config *cfg)
{
    return xasprintf("%s.noop", cfg->s.duckdb_path);
}

static void hash_str(struct hash_ctx *h, const char *s)
{
    hash_update(h, s, strlen(s));
    hash_update(h, "\n", 1);
}

/* Hashes path's stat; false when since is given and the path changed (ctime) at or after
 * since - RECENT_NS. */
static bool hash_stat(struct hash_ctx *h, const char *path, const struct timespec *since)
{
    struct stat st;
    char b[200];
    bool ok = true;
    if (stat(path, &st) != 0) snprintf(b, sizeof b, "missing");
    else {
        snprintf(b, sizeof b, "%lld %lld.%09ld %lld.%09ld %llu %o", (long long)st.st_size,
                 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec,
                 st.st_ctim.tv_nsec, (unsigned long long)st.st_ino, (unsigned)st.st_mode);
        if (since) {
            int64_t c = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
            int64_t p = (int64_t)since->tv_sec * 1000000000 + since->tv_nsec;
            if (c >= p - RECENT_NS) ok = false;
        }
    }
    hash_str(h, path);
    hash_str(h, b);
    return ok;
}

static void hash_config(struct hash_ctx *h, const struct config *cfg)
{
    for (size_t k = 0; k < cfg->n; k++) {
        hash_str(h, cfg->items[k].key);
        hash_str(h, cfg->items[k].value ? cfg->items[k].value : "(unset)");
    }
    /* config.yaml's own settings are covered by its stat; which of its gateways is in use
     * (--gateway, SQLMESH_GATEWAY) is not in the file */
    hash_str(h, cfg->has_project && cfg->project.gateway ? cfg->project.gateway : "(no gateway)");
}

/* The digest of a stamp body as the file system and configuration are now; false when since
 * is given and a listed path changed after it (hash_stat). When pre is not NULL it gets, in
 * the same pass, the digest of the lines before the body's "pre" line (its inputs). */
static bool stamp_digest(const struct config *cfg, const char *body, const struct timespec *since,
                         char out[HASH_HEX_LEN], char *pre)
{
    struct hash_ctx h;
    bool ok = true;
    hash_init(&h);
    hash_str(&h, STAMP_MAGIC " " MATERIA_VERSION);
    char *copy = xstrdup(body), *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (pre && !strncmp(line, "pre ", 4)) {
            struct hash_ctx inputs;
            hash_copy(&inputs, &h); /* the state so far, finished on its own */
            hash_config(&inputs, cfg);
            hash_final_hex(&inputs, pre);
            pre = NULL;
        }
        hash_str(&h, line);
        if (!strncmp(line, "path ", 5)) {
            if (!hash_stat(&h, line + 5, since)) ok = false;
        } else if (!strncmp(line, "glob ", 5)) {
            glob_t g;
            if (glob(line + 5, 0, NULL, &g) == 0) {
                for (size_t k = 0; k < g.gl_pathc; k++)
                    if (!hash_stat(&h, g.gl_pathv[k], since)) ok = false;
                globfree(&g);
            }
        } else if (!strncmp(line, "var ", 4)) {
            const char *v = macro_var_value(cfg, line + 4);
            hash_str(&h, v ? v : "(unset)");
        }
    }
    free(copy);
    hash_config(&h, cfg);
    hash_final_hex(&h, out);
    return ok;
}

/* Appends "path P" for dir, and recursively for everything under it. */
static void add_tree(strbuf *sb, const char *dir)
{
    sb_appendf(sb, "path %s\n", dir);
    DIR *d = opendir(dir);
    if (!d) return;
    struct strlist names = {0};
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) strlist_push(&names, e->d_name);
    closedir(d);
    strlist_sort(&names);
    for (size_t k = 0; k < names.n; k++) {
        char *p = fs_join(dir, names.v[k]);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) add_tree(sb, p);
        else sb_appendf(sb, "path %s\n", p);
        free(p);
    }
    strlist_free(&names);
}

/* Appends "<kind> <text>\n" unless the body already lists it (every listed path is
 * stat'ed, and every glob expanded, on each check). The body starts with its window line,
 * so a listed line is always found after a newline. */
static void add_line(strbuf *sb, const char *kind, int len, const char *text)
{
    char *line = xasprintf("\n%s %.*s\n", kind, len, text);
    if (!strstr(sb->buf, line)) sb_append(sb, line + 1);
    free(line);
}

/* Appends "var NAME" for each @VAR('NAME') in sql. A name missed here would let the stamp
 * ignore that variable, so the scan accepts at least macros.c's syntax (expand_var): @VAR
 * in any case, optional white space, '(', optional white space, a quoted name. A
 * false match (in a comment, say) only adds a variable to watch. */
static void add_vars(strbuf *sb, const char *sql)
{
    for (const char *p = sql; p && (p = strchr(p, '@')); p++) {
        if (strncasecmp(p + 1, "var", 3) != 0) continue;
        const char *q = p + 4;
        while (isspace((unsigned char)*q)) q++;
        if (*q++ != '(') continue;
        while (isspace((unsigned char)*q)) q++;
        char quote = *q;
        if (quote != '\'' && quote != '"') continue;
        const char *e = strchr(q + 1, quote);
        if (!e || e == q + 1 || memchr(q + 1, '\n', (size_t)(e - q - 1))) continue;
        add_line(sb, "var", (int)(e - q - 1), q + 1);
    }
}

char *noop_stamp_describe(const struct config *cfg, const struct plan *pl, const struct timespec *planned_at)
{
    const struct project *p = &pl->proj;
    strbuf sb;
    sb_init(&sb);
    int64_t lo, hi;
    plan_noop_window(pl, &lo, &hi);
    sb_appendf(&sb, "window %lld %lld\nmodels %zu\n", (long long)lo, (long long)hi, pl->n);
    static const char *const subdirs[] = {"models", "audits", "seeds", "external_models"};
    for (size_t k = 0; k < sizeof subdirs / sizeof *subdirs; k++) {
        char *d = fs_join(p->dir, subdirs[k]);
        add_tree(&sb, d);
        free(d);
    }
    static const char *const ext[] = {"external_models.yaml", "external_models.yml", "config.yaml", "config.yml"};
    for (size_t k = 0; k < sizeof ext / sizeof *ext; k++) {
        char *f = fs_join(p->dir, ext[k]);
        sb_appendf(&sb, "path %s\n", f);
        free(f);
    }
    for (size_t i = 0; i < p->n; i++) {
        const struct model *m = &p->models[i];
        if (m->kind == KIND_SEED && m->seed_path) {
            char *f = seed_abs_path(m);
            sb_appendf(&sb, "path %s\n", f);
            free(f);
        }
        add_vars(&sb, m->query);
        for (size_t k = 0; k < m->n_stmts; k++) add_vars(&sb, m->stmts[k].text); /* statements.c */
        if (p->globs && p->globs[i]) {
            char *pats = xstrdup(p->globs[i]), *save = NULL;
            for (char *g = strtok_r(pats, "\n", &save); g; g = strtok_r(NULL, "\n", &save))
                add_line(&sb, "glob", (int)strlen(g), g);
            free(pats);
        }
    }
    for (size_t i = 0; i < p->n_audits; i++) add_vars(&sb, p->audits[i].query);
    sb_appendf(&sb, "path %s\n", cfg->dotenv_path ? cfg->dotenv_path : ".env");
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        sb_appendf(&sb, "path %s\n", exe);
    }
    Dl_info lib;
    if (dladdr((void *)duckdb_open, &lib) && lib.dli_fname) sb_appendf(&sb, "path %s\n", lib.dli_fname);
    char pre[HASH_HEX_LEN];
    if (!stamp_digest(cfg, sb.buf, planned_at, pre, NULL)) {
        log_debug("transform: an input changed while planning: no no-op stamp");
        sb_free(&sb);
        return NULL;
    }
    const char *lake = cfg->s.duckdb_path;
    sb_appendf(&sb, "pre %s\npath %s\npath %s.wal\n", pre, lake, lake);
    return sb_detach(&sb);
}

void noop_stamp_clear(const struct config *cfg)
{
    char *path = stamp_path(cfg);
    unlink(path);
    free(path);
}

void noop_stamp_write(const struct config *cfg, const char *body)
{
    /* the inputs must still be as the plan saw them (pre), or the stamp would vouch for a change */
    const char *pre = strstr(body, "\npre ");
    char now[HASH_HEX_LEN] = "", digest[HASH_HEX_LEN];
    if (!pre || strlen(pre) < 6 + 64) return;
    stamp_digest(cfg, body, NULL, digest, now);
    if (strncmp(now, pre + 5, 64) != 0) {
        log_debug("transform: an input changed during the run: no no-op stamp");
        return;
    }
    char *text = xasprintf(STAMP_MAGIC "\n%sdigest %s\n", body, digest);
    char *path = stamp_path(cfg);
    struct mt_err err = MT_ERR_INIT;
    if (fs_write_atomic(path, text, strlen(text), false, &err) < 0)
        log_warn("transform: writing the no-op stamp: %s (the next run checks the lakehouse)", err.msg);
    free(path);
    free(text);
}

bool noop_stamp_matches(const struct config *cfg, int64_t exec_us, size_t *n_models)
{
    char *path = stamp_path(cfg), *text = NULL;
    struct mt_err err = MT_ERR_INIT;
    size_t len;
    int rc = fs_read_all(path, &text, &len, &err);
    free(path);
    if (rc < 0) return false;
    bool ok = false;
    long long lo, hi;
    char *body = NULL, *dig = NULL;
    if (!strncmp(text, STAMP_MAGIC "\n", sizeof STAMP_MAGIC) &&
        sscanf(text + sizeof STAMP_MAGIC, "window %lld %lld\nmodels %zu", &lo, &hi, n_models) == 3 &&
        exec_us >= lo && exec_us < hi && (dig = strstr(text, "\ndigest ")) && strlen(dig + 8) >= 64) {
        body = xstrndup(text + sizeof STAMP_MAGIC, (size_t)(dig + 1 - (text + sizeof STAMP_MAGIC)));
        char now[HASH_HEX_LEN];
        stamp_digest(cfg, body, NULL, now, NULL);
        ok = !strncmp(now, dig + 8, 64);
    }
    free(body);
    free(text);
    return ok;
}
