/* config.h — effective configuration: process environment, then .env, then the project's
 * config.yaml, then defaults.
 *
 * The environment always wins over .env, which wins over config.yaml (SQLMesh's project
 * file: util/project_config.h; it fills DUCKDB_PATH from its gateway's database, and keeps
 * the rest — variables, model defaults, before_all/after_all — in cfg->project for the
 * transform), which wins over the built-in default. Every
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
#include "util/project_config.h"
#include <stddef.h>

/* CONFIG_YAML: the project's config.yaml; CONFIG_CLI: `materia -p DIR`; CONFIG_CWD: the
 * current folder, a project because it holds config.yaml. */
enum config_source { CONFIG_DEFAULT = 0, CONFIG_DOTENV, CONFIG_ENV, CONFIG_YAML, CONFIG_CLI, CONFIG_CWD };

struct config_item {
    char *key;
    char *value;              /* never NULL for known keys */
    enum config_source source;
    int line;                 /* the .env or config.yaml line it came from */
    bool known;               /* in the built-in table */
};

#define SETTING_AUTO (-1L)    /* an int setting whose value is "auto" */

enum access_log_mode { ACCESS_LOG_ALL = 0, ACCESS_LOG_ERRORS, ACCESS_LOG_OFF };

/* Every setting, typed and checked (config.c's table says which key fills which field).
 * Strings are never NULL and point into the config's items. */
struct settings {
    const char *landing_dir, *duckdb_path, *serving_duckdb_path, *psd_source_url;
    const char *cot_source_url, *cot_years, *extract_sources; /* checked; see config_years */
    const char *project_dir, *web_dir, *http_addr, *supervise_at, *supervise_lock;
    long http_threads, http_max_connections /* or SETTING_AUTO */,
        http_per_ip_connections /* or SETTING_AUTO; 0 = no cap */, http_timeout_s,
        http_head_timeout_s, query_timeout_ms, access_log_sample, log_queue_lines;
    bool cache;
    long cache_max_bytes;     /* the response cache's budget per snapshot */
    int access_log;           /* enum access_log_mode */
    long extract_connect_timeout_s, extract_timeout_s, extract_retries, extract_backoff_ms,
        extract_max_bytes;
    long janitor_retention_days;
    int log_level;            /* enum log_level (util/log.h) */
    /* accounts (issue 15); the optional ones are "" when off */
    const char *app_db_path, *public_base_url, *smtp_url, *smtp_username, *smtp_password,
        *mail_from, *stripe_webhook_secret, *stripe_checkout_url, *trusted_proxies,
        *stripe_api_key, *stripe_api_url;
    long session_idle_hours, session_max_days, api_rate_anon_per_min, api_rate_free_per_min,
        api_rate_pro_per_min;
    /* publish and follow (issue 17); the optional strings are "" when off */
    const char *serving_publish_url, *s3_endpoint, *aws_access_key_id, *aws_secret_access_key,
        *aws_region;
    long serving_publish_keep, serving_publish_part_mb, serving_follow_poll_s;
    /* CDN purge and alerts (issue 17); "" when off */
    const char *cdn_purge_url, *cdn_purge_token, *alert_webhook_url, *alert_webhook_topic;
    long cdn_purge_timeout_s;
};

struct config {
    struct config_item *items;
    size_t n;
    char *dotenv_path;        /* the .env that was read, or NULL */
    struct settings s;        /* every known key, resolved and checked by config_load */
    bool has_project;         /* the project folder holds a config.yaml: project is it */
    struct project_config project;
    char *project_refusal;    /* why the project must not run (see config_load_cli), or NULL */
};

/* Loads configuration. dotenv_path may be NULL (no .env) or a file that does not exist
 * (fine: it is optional). A malformed .env line, or a value a setting cannot take, is an
 * error: returns -1 with where it came from (file and line, or the environment), the key,
 * the value and what was expected in err. */
int config_load(struct config *cfg, const char *dotenv_path, struct mt_err *err);
/* What main() calls: finds the project as `sqlmesh -p PATH` does, then loads as above;
 * gateway_opt (`materia --gateway NAME`) picks config.yaml's gateway.
 * The project is project_opt (`materia -p DIR`, its .env read) when given; else the
 * current folder when it holds config.yaml (or config.yml); else MATERIA_PROJECT_DIR
 * (environment, ./.env, default: the source tree). In the last case, when the current
 * folder has a models/ folder of its own and MATERIA_PROJECT_DIR was not set, running
 * would silently use another project's models: cfg->project_refusal then says so, naming
 * both folders, and config_project_check() fails with it. A config.yaml in the current
 * folder while MATERIA_PROJECT_DIR names another folder is an error here. */
int config_load_cli(struct config *cfg, const char *project_opt, const char *gateway_opt, struct mt_err *err);
/* 0, or -1 with cfg->project_refusal in err: called before a project's models are read. */
int config_project_check(const struct config *cfg, struct mt_err *err);
void config_free(struct config *cfg);

/* The value for key, or NULL when unset everywhere and not a known key. */
const char *config_get(const struct config *cfg, const char *key);
enum config_source config_source_of(const struct config *cfg, const char *key);
const char *config_source_name(enum config_source s);
/* Where a key's value came from, for people: "environment", ".env:12", "config.yaml:9",
 * "-p", "current folder", "default". Caller frees. */
char *config_source_describe(const struct config *cfg, const struct config_item *it);
/* Whether a known key holds a secret (SMTP_PASSWORD, STRIPE_WEBHOOK_SECRET,
 * AWS_SECRET_ACCESS_KEY): never printed. */
bool config_is_secret(const char *key);
/* Description of a known key, or NULL. */
const char *config_describe(const char *key);

/* Process-wide configuration, loaded once by main() before a command runs. */
extern struct config g_config;

/* COT_YEARS: "auto" (the previous and the current UTC year) or a comma list of years and
 * ranges ("2017,2019-2021", spaces allowed) from CONFIG_YEAR_FIRST to CONFIG_YEAR_LAST.
 * Fills years ascending, each once. Returns 0, or -1 for a value that is neither. */
#define CONFIG_YEAR_FIRST 1986
#define CONFIG_YEAR_LAST 2099
#define CONFIG_YEARS_MAX (CONFIG_YEAR_LAST - CONFIG_YEAR_FIRST + 1)
int config_years(const char *spec, int years[CONFIG_YEARS_MAX], int *n);
/* Whether a comma list (EXTRACT_SOURCES) names name, or "all" (case-insensitive). */
bool config_list_has(const char *list, const char *name);
/* The site's address for links in mail and alerts, without a trailing slash:
 * PUBLIC_BASE_URL, else `local` (serve's own listening address, its port resolved), else
 * http://MATERIA_HTTP_ADDR — never a request's Host header, which whoever asks chooses.
 * The one place this rule lives (sign-in links, alert digests, `materia alerts`). Caller
 * frees. */
char *config_site_base(const struct settings *s, const char *local);

#endif
