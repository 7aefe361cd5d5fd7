/* config.c — see config.h.
 *
 * The table below is the single list of Materia's settings; .env.example documents the
 * same keys for operators. Values are resolved once at load time; nothing re-reads the
 * environment later, so a command sees one consistent configuration. */
#include "util/config.h"

#include "util/common.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/strbuf.h"

struct config g_config;

static const struct {
    const char *key;
    const char *def;
    const char *help;
} known_keys[] = {
    {"LANDING_DIR", "data/landing", "where extract lands releases (the source of truth)"},
    {"DUCKDB_PATH", "data/lakehouse.duckdb", "the lakehouse, owned by the pipeline only"},
    {"SERVING_DUCKDB_PATH", "data/serving.duckdb", "the serving snapshot the web app reads"},
    {"PSD_SOURCE_URL", "https://apps.fas.usda.gov/psdonline/downloads/psd_coffee_csv.zip",
     "USDA PSD coffee download (https://, http:// or file://)"},
    {"MATERIA_PROJECT_DIR", MATERIA_SOURCE_DIR, "folder holding models/, audits/ and seeds/"},
    {"MATERIA_WEB_DIR", MATERIA_SOURCE_DIR "/web/dist", "built dashboard assets served by `serve`"},
    {"MATERIA_HTTP_ADDR", "127.0.0.1:8000", "address `serve` listens on (host:port)"},
    {"MATERIA_HTTP_THREADS", "2", "web server worker threads"},
    {"MATERIA_HTTP_MAX_CONNECTIONS", "auto",
     "web server connection limit; auto = what the open-file limit allows, at most 4096"},
    {"MATERIA_HTTP_PER_IP_CONNECTIONS", "auto",
     "connections one client address may hold; auto = a quarter of the limit, 0 = no cap"},
    {"MATERIA_HTTP_TIMEOUT_S", "30", "idle timeout per HTTP connection, seconds"},
    {"MATERIA_HTTP_HEAD_TIMEOUT_S", "10",
     "a connection must send a complete request head within this many seconds"},
    {"MATERIA_ACCESS_LOG", "all", "access log lines: all, errors (status >= 400) or off"},
    {"MATERIA_ACCESS_LOG_SAMPLE", "1", "log 1 in N successful requests (errors always)"},
    {"MATERIA_LOG_QUEUE_LINES", "8192",
     "serve: log lines held for a slow log reader before new ones are dropped (counted)"},
    {"MATERIA_QUERY_TIMEOUT_MS", "5000", "per-query time limit in the web app (503 after)"},
    {"MATERIA_CACHE", "on", "per-snapshot response cache in the web app (on/off)"},
    {"EXTRACT_CONNECT_TIMEOUT_S", "15", "extract: connect timeout, seconds"},
    {"EXTRACT_TIMEOUT_S", "300", "extract: total timeout per attempt, seconds"},
    {"EXTRACT_RETRIES", "4", "extract: retries on timeouts and 5xx (exponential backoff)"},
    {"EXTRACT_BACKOFF_MS", "1000", "extract: delay before the first retry, doubling after"},
    {"EXTRACT_MAX_BYTES", "1073741824", "extract: cap on downloaded and uncompressed bytes"},
    {"JANITOR_RETENTION_DAYS", "7", "janitor: keep unreferenced model versions this long"},
    {"SUPERVISE_AT", "06:00", "supervise: daily UTC time of the `all` pipeline (HH:MM)"},
    {"SUPERVISE_LOCK", "data/materia-supervisor.lock", "supervise: flock file"},
    {"MATERIA_LOG_LEVEL", "info", "debug, info, warn or error"},
};

static struct config_item *find_item(const struct config *cfg, const char *key)
{
    for (size_t i = 0; i < cfg->n; i++)
        if (!strcmp(cfg->items[i].key, key)) return &cfg->items[i];
    return NULL;
}

static struct config_item *add_item(struct config *cfg, const char *key)
{
    cfg->items = xrealloc(cfg->items, (cfg->n + 1) * sizeof *cfg->items);
    struct config_item *it = &cfg->items[cfg->n++];
    it->key = xstrdup(key);
    it->value = NULL;
    it->source = CONFIG_DEFAULT;
    it->known = false;
    return it;
}

static void set_item(struct config *cfg, const char *key, const char *value, enum config_source src)
{
    struct config_item *it = find_item(cfg, key);
    if (!it) it = add_item(cfg, key);
    free(it->value);
    it->value = xstrdup(value);
    it->source = src;
}

const char *config_describe(const char *key)
{
    for (size_t i = 0; i < MT_ARRAY_LEN(known_keys); i++)
        if (!strcmp(known_keys[i].key, key)) return known_keys[i].help;
    return NULL;
}

/* Parses one .env line in place. Accepts `KEY=value`, `export KEY=value`, blank lines and
 * `#` comments; a value may be wrapped in single or double quotes. Returns 0 for a
 * key/value (key and value set), 1 for a line to skip, -1 for a malformed line. */
static int parse_dotenv_line(char *line, char **key, char **value)
{
    char *p = line;
    while (isspace((unsigned char)*p)) p++;
    if (*p == '\0' || *p == '#') return 1;
    if (!strncmp(p, "export ", 7)) {
        p += 7;
        while (isspace((unsigned char)*p)) p++;
    }
    char *k = p;
    if (!(isalpha((unsigned char)*p) || *p == '_')) return -1;
    while (isalnum((unsigned char)*p) || *p == '_') p++;
    char *kend = p;
    while (*p == ' ' || *p == '\t') p++;
    if (*p != '=') return -1;
    *kend = '\0';
    p++;
    while (*p == ' ' || *p == '\t') p++;
    char *v = p;
    size_t n = strlen(v);
    while (n > 0 && isspace((unsigned char)v[n - 1])) v[--n] = '\0';
    if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
        v[n - 1] = '\0';
        v++;
    } else if (n >= 1 && (v[0] == '"' || v[0] == '\'')) {
        return -1; /* unterminated quote */
    } else {
        /* an unquoted value ends at " #" (inline comment) */
        char *c = strstr(v, " #");
        if (c) {
            *c = '\0';
            n = strlen(v);
            while (n > 0 && isspace((unsigned char)v[n - 1])) v[--n] = '\0';
        }
    }
    *key = k;
    *value = v;
    return 0;
}

static int load_dotenv(struct config *cfg, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT) return 0;
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, rc = 0;
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        char *k, *v;
        int r = parse_dotenv_line(line, &k, &v);
        if (r == 1) continue;
        if (r < 0) {
            snprintf(err, errlen, "%s:%d: expected KEY=value", path, lineno);
            rc = -1;
            break;
        }
        if (getenv(k)) continue; /* the environment wins */
        set_item(cfg, k, v, CONFIG_DOTENV);
    }
    free(line);
    fclose(f);
    if (rc == 0) cfg->dotenv_path = xstrdup(path);
    return rc;
}

int config_load(struct config *cfg, const char *dotenv_path, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < MT_ARRAY_LEN(known_keys); i++) {
        const char *env = getenv(known_keys[i].key);
        set_item(cfg, known_keys[i].key, env ? env : known_keys[i].def,
                 env ? CONFIG_ENV : CONFIG_DEFAULT);
        cfg->items[cfg->n - 1].known = true;
    }
    if (dotenv_path && load_dotenv(cfg, dotenv_path, err, errlen) < 0) {
        config_free(cfg);
        return -1;
    }
    return 0;
}

void config_free(struct config *cfg)
{
    for (size_t i = 0; i < cfg->n; i++) {
        free(cfg->items[i].key);
        free(cfg->items[i].value);
    }
    free(cfg->items);
    free(cfg->dotenv_path);
    memset(cfg, 0, sizeof *cfg);
}

const char *config_get(const struct config *cfg, const char *key)
{
    struct config_item *it = find_item(cfg, key);
    if (it) {
        /* a known key set in the environment was resolved at load; an unknown one may
         * only be in the environment */
        return it->value;
    }
    return getenv(key);
}

long config_get_long(const struct config *cfg, const char *key, long def)
{
    const char *v = config_get(cfg, key);
    if (!v || !*v) return def;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end) {
        log_warn("config: %s=%s is not a whole number; using %ld", key, v, def);
        return def;
    }
    return n;
}

enum config_source config_source_of(const struct config *cfg, const char *key)
{
    struct config_item *it = find_item(cfg, key);
    if (it) return it->source;
    return getenv(key) ? CONFIG_ENV : CONFIG_DEFAULT;
}

const char *config_source_name(enum config_source s)
{
    switch (s) {
    case CONFIG_ENV: return "environment";
    case CONFIG_DOTENV: return ".env";
    default: return "default";
    }
}
