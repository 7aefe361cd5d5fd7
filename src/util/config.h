/* config.h — effective configuration: process environment, then ./.env, then defaults.
 *
 * The environment always wins over .env, which wins over the built-in default. Every
 * setting is listed once in config.c's table, with its type, default, range or choices and
 * a one-line description. config_load() resolves and checks every one of them, once, into
 * the typed struct settings (cfg->s) that the stages read: a value that cannot take effect
 * is refused at load, naming where it came from (`.env:12: MATERIA_HTTP_THREADS=many is not
 * supported by materia: expected a whole number from 1 to 64`), never replaced by a
 * default. `materia config` prints the table with each value's source, and a test checks
 * .env.example against it.
 *
 * Keys not in the table can still be read with config_get() — that is what they are for:
 * transform's @VAR reads project variables by name, from the environment or .env. A config
 * owns every string it holds (the settings' strings point into it); config_free()
 * releases them. */
#ifndef MATERIA_CONFIG_H
#define MATERIA_CONFIG_H

#include <stdbool.h>
#include "util/err.h"
#include <stddef.h>

enum config_source { CONFIG_DEFAULT = 0, CONFIG_DOTENV, CONFIG_ENV };

struct config_item {
    char *key;
    char *value;              /* never NULL for known keys */
    enum config_source source;
    int line;                 /* the .env line it came from (source CONFIG_DOTENV) */
    bool known;               /* in the built-in table */
};

#define SETTING_AUTO (-1L)    /* an int setting whose value is "auto" */

enum access_log_mode { ACCESS_LOG_ALL = 0, ACCESS_LOG_ERRORS, ACCESS_LOG_OFF };

/* Every setting, typed and checked (config.c's table says which key fills which field).
 * Strings are never NULL and point into the config's items. */
struct settings {
    const char *landing_dir, *duckdb_path, *serving_duckdb_path, *psd_source_url;
    const char *project_dir, *web_dir, *http_addr, *supervise_at, *supervise_lock;
    long http_threads, http_max_connections /* or SETTING_AUTO */,
        http_per_ip_connections /* or SETTING_AUTO; 0 = no cap */, http_timeout_s,
        http_head_timeout_s, query_timeout_ms, access_log_sample, log_queue_lines;
    bool cache;
    int access_log;           /* enum access_log_mode */
    long extract_connect_timeout_s, extract_timeout_s, extract_retries, extract_backoff_ms,
        extract_max_bytes;
    long janitor_retention_days;
    int log_level;            /* enum log_level (util/log.h) */
};

struct config {
    struct config_item *items;
    size_t n;
    char *dotenv_path;        /* the .env that was read, or NULL */
    struct settings s;        /* every known key, resolved and checked by config_load */
};

/* Loads configuration. dotenv_path may be NULL (no .env) or a file that does not exist
 * (fine: it is optional). A malformed .env line, or a value a setting cannot take, is an
 * error: returns -1 with where it came from (file and line, or the environment), the key,
 * the value and what was expected in err. */
int config_load(struct config *cfg, const char *dotenv_path, struct mt_err *err);
void config_free(struct config *cfg);

/* The value for key, or NULL when unset everywhere and not a known key. */
const char *config_get(const struct config *cfg, const char *key);
enum config_source config_source_of(const struct config *cfg, const char *key);
const char *config_source_name(enum config_source s);
/* Description of a known key, or NULL. */
const char *config_describe(const char *key);

/* Process-wide configuration, loaded once by main() before a command runs. */
extern struct config g_config;

#endif
