/* config.c — see config.h.
 *
 * The table below is the single list of Materia's settings, typed; .env.example documents
 * the same keys for operators (tests/integration/infra/test_units.py checks both ways, and
 * the defaults). Values are resolved and checked once at load time into struct settings;
 * nothing re-reads the environment later, so a command sees one consistent configuration. */
#include "util/config.h"
#include "util/err.h"

#include "util/common.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/strbuf.h"

struct config g_config;

enum setting_type {
    SET_STRING,   /* non-empty text */
    SET_URL,      /* https://, http:// or file:// */
    SET_INT,      /* whole number in [min, max] */
    SET_INT_AUTO, /* "auto" or a whole number in [min, max] */
    SET_BOOL,     /* on/off (also 1/0, true/false, yes/no) */
    SET_ENUM,     /* one of choices (case-insensitive); the field gets its index */
    SET_HHMM,     /* HH:MM, 00:00 to 23:59 */
    SET_URL_YYYY, /* a SET_URL that contains {YYYY} */
    SET_YEARS,    /* "auto" or years and ranges: 2017,2019-2021 (config_years) */
    SET_SOURCES,  /* "all" or a comma list of choices */
    SET_OPT_URL,  /* empty (the feature is off) or a URL starting with one of choices */
    SET_OPT_STRING, /* any text, empty meaning the feature is off */
    SET_API_URL,  /* https://, or http:// to this machine only (a test stand-in): a URL a
                     secret is sent to, never in clear over a network */
};

static const char *const access_log_choices[] = {"all", "errors", "off", NULL};
static const char *const log_level_choices[] = {"debug", "info", "warn", "error", NULL};
/* extract's sources (src/extract/source.c lists the same names) */
static const char *const source_choices[] = {"psd", "cot", NULL};
static const char *const web_url_schemes[] = {"https://", "http://", NULL};
static const char *const smtp_url_schemes[] = {"smtp://", "smtps://", NULL};
static const char *const s3_url_schemes[] = {"s3://", NULL};

#define F(field) offsetof(struct settings, field)

/* The one list of Materia's settings: key, type, default, range or choices, the field it
 * fills, and the description `materia config` and .env.example show. */
static const struct setting_def {
    const char *key;
    enum setting_type type;
    const char *def;
    long min, max;
    const char *const *choices;
    size_t field;
    const char *help;
} known_keys[] = {
    {"LANDING_DIR", SET_STRING, "data/landing", 0, 0, NULL, F(landing_dir),
     "where extract lands releases (the source of truth)"},
    {"DUCKDB_PATH", SET_STRING, "data/lakehouse.duckdb", 0, 0, NULL, F(duckdb_path),
     "the lakehouse, owned by the pipeline only"},
    {"SERVING_DUCKDB_PATH", SET_STRING, "data/serving.duckdb", 0, 0, NULL, F(serving_duckdb_path),
     "the serving snapshot the web app reads"},
    {"PSD_SOURCE_URL", SET_URL, "https://apps.fas.usda.gov/psdonline/downloads/psd_coffee_csv.zip", 0, 0,
     NULL, F(psd_source_url), "USDA PSD coffee download (https://, http:// or file://)"},
    {"COT_SOURCE_URL", SET_URL_YYYY, "https://www.cftc.gov/files/dea/history/fut_disagg_txt_{YYYY}.zip", 0, 0,
     NULL, F(cot_source_url), "CFTC COT yearly file; {YYYY} becomes each of COT_YEARS (https://, http:// or file://)"},
    {"COT_YEARS", SET_YEARS, "auto", 0, 0, NULL, F(cot_years),
     "COT years to fetch: auto (this year and last, UTC), or years and ranges like 2017,2019-2021"},
    {"EXTRACT_SOURCES", SET_SOURCES, "all", 0, 0, source_choices, F(extract_sources),
     "sources `extract all` and the pipeline fetch: all, or a comma list of psd, cot"},
    {"MATERIA_PROJECT_DIR", SET_STRING, MATERIA_SOURCE_DIR, 0, 0, NULL, F(project_dir),
     "folder holding models/, audits/ and seeds/"},
    {"MATERIA_WEB_DIR", SET_STRING, MATERIA_SOURCE_DIR "/web/dist", 0, 0, NULL, F(web_dir),
     "built dashboard assets served by `serve`"},
    {"MATERIA_HTTP_ADDR", SET_STRING, "127.0.0.1:8000", 0, 0, NULL, F(http_addr),
     "address `serve` listens on (host:port)"},
    {"MATERIA_HTTP_THREADS", SET_INT, "2", 1, 64, NULL, F(http_threads), "web server worker threads"},
    {"MATERIA_HTTP_MAX_CONNECTIONS", SET_INT_AUTO, "auto", 1, 1000000, NULL, F(http_max_connections),
     "web server connection limit; auto = what the open-file limit allows, at most 4096"},
    {"MATERIA_HTTP_PER_IP_CONNECTIONS", SET_INT_AUTO, "auto", 0, 1000000, NULL,
     F(http_per_ip_connections),
     "connections one client address may hold; auto = a quarter of the limit, 0 = no cap"},
    {"MATERIA_HTTP_TIMEOUT_S", SET_INT, "30", 1, 3600, NULL, F(http_timeout_s),
     "idle timeout per HTTP connection, seconds"},
    {"MATERIA_HTTP_HEAD_TIMEOUT_S", SET_INT, "10", 1, 3600, NULL, F(http_head_timeout_s),
     "a connection must send a complete request head within this many seconds"},
    {"MATERIA_QUERY_TIMEOUT_MS", SET_INT, "5000", 0, 3600000, NULL, F(query_timeout_ms),
     "per-query time limit in the web app (503 after; 0 = none)"},
    {"MATERIA_CACHE", SET_BOOL, "on", 0, 0, NULL, F(cache),
     "per-snapshot response cache in the web app (on/off)"},
    {"MATERIA_CACHE_MAX_BYTES", SET_INT, "67108864", 0, 1L << 40, NULL, F(cache_max_bytes),
     "bytes of answers the response cache keeps per snapshot (every coding of an answer "
     "counts); past it, answers are made per request"},
    {"MATERIA_ACCESS_LOG", SET_ENUM, "all", 0, 0, access_log_choices, F(access_log),
     "access log lines: all, errors (status >= 400) or off"},
    {"MATERIA_ACCESS_LOG_SAMPLE", SET_INT, "1", 1, 1000000, NULL, F(access_log_sample),
     "log 1 in N successful requests (errors always)"},
    {"MATERIA_LOG_QUEUE_LINES", SET_INT, "8192", 16, 10000000, NULL, F(log_queue_lines),
     "serve: log lines held for a slow log reader before new ones are dropped (counted)"},
    {"EXTRACT_CONNECT_TIMEOUT_S", SET_INT, "15", 1, 3600, NULL, F(extract_connect_timeout_s),
     "extract: connect timeout, seconds"},
    {"EXTRACT_TIMEOUT_S", SET_INT, "300", 1, 86400, NULL, F(extract_timeout_s),
     "extract: total timeout per attempt, seconds"},
    {"EXTRACT_RETRIES", SET_INT, "4", 0, 100, NULL, F(extract_retries),
     "extract: retries on timeouts and 5xx (exponential backoff)"},
    {"EXTRACT_BACKOFF_MS", SET_INT, "1000", 0, 3600000, NULL, F(extract_backoff_ms),
     "extract: delay before the first retry, doubling after"},
    {"EXTRACT_MAX_BYTES", SET_INT, "1073741824", 1, 1L << 40, NULL, F(extract_max_bytes),
     "extract: cap on downloaded and uncompressed bytes"},
    {"JANITOR_RETENTION_DAYS", SET_INT, "7", 0, 36500, NULL, F(janitor_retention_days),
     "janitor: keep unreferenced model versions this long"},
    {"SUPERVISE_AT", SET_HHMM, "06:00", 0, 0, NULL, F(supervise_at),
     "supervise: daily UTC time of the `all` pipeline (HH:MM)"},
    {"SUPERVISE_LOCK", SET_STRING, "data/materia-supervisor.lock", 0, 0, NULL, F(supervise_lock),
     "supervise: flock file"},
    {"MATERIA_LOG_LEVEL", SET_ENUM, "info", 0, 0, log_level_choices, F(log_level),
     "debug, info, warn or error"},
    /* accounts (issue 15): src/accounts/ */
    {"APP_DB_PATH", SET_STRING, "data/app.sqlite", 0, 0, NULL, F(app_db_path),
     "serve: the account database (SQLite, written only by serve and `materia users`)"},
    {"MATERIA_TRUSTED_PROXIES", SET_OPT_STRING, "", 0, 0, NULL, F(trusted_proxies),
     "serve: comma list of IPv4 addresses of the reverse proxies in front (e.g. 127.0.0.1 for "
     "nginx on this host): from them, X-Forwarded-For names the client for per-address "
     "limits; empty: the connecting address is the client"},
    {"PUBLIC_BASE_URL", SET_OPT_URL, "", 0, 0, web_url_schemes, F(public_base_url),
     "the site's address as people reach it (links in mail, Secure cookies when https://, "
     "the Origin check); empty: http://MATERIA_HTTP_ADDR"},
    {"SMTP_URL", SET_OPT_URL, "", 0, 0, smtp_url_schemes, F(smtp_url),
     "mail server for sign-in links and alerts (smtp://host:port, smtps://host:port); "
     "empty: links are written to the log instead"},
    {"SMTP_USERNAME", SET_OPT_STRING, "", 0, 0, NULL, F(smtp_username),
     "SMTP login name; empty: no authentication"},
    {"SMTP_PASSWORD", SET_OPT_STRING, "", 0, 0, NULL, F(smtp_password),
     "SMTP password (a secret: `materia config` does not print it)"},
    {"MAIL_FROM", SET_STRING, "Materia <noreply@localhost>", 0, 0, NULL, F(mail_from),
     "sender of sign-in links and alerts"},
    {"SESSION_IDLE_HOURS", SET_INT, "72", 1, 8760, NULL, F(session_idle_hours),
     "a session unused this long expires"},
    {"SESSION_MAX_DAYS", SET_INT, "30", 1, 365, NULL, F(session_max_days),
     "a session expires this long after sign-in, used or not"},
    {"API_RATE_ANON_PER_MIN", SET_INT, "60", 1, 100000000, NULL, F(api_rate_anon_per_min),
     "API requests per minute per client address without a key"},
    {"API_RATE_FREE_PER_MIN", SET_INT, "600", 1, 100000000, NULL, F(api_rate_free_per_min),
     "API requests per minute per key on the free plan"},
    {"API_RATE_PRO_PER_MIN", SET_INT, "6000", 1, 100000000, NULL, F(api_rate_pro_per_min),
     "API requests per minute per key on the pro plan"},
    {"STRIPE_WEBHOOK_SECRET", SET_OPT_STRING, "", 0, 0, NULL, F(stripe_webhook_secret),
     "Stripe webhook signing secret (whsec_...; a secret: not printed); empty: the billing "
     "webhook answers 503"},
    {"STRIPE_CHECKOUT_URL", SET_OPT_URL, "", 0, 0, web_url_schemes, F(stripe_checkout_url),
     "Stripe Payment Link for the pro plan; empty: no upgrade link is shown"},
    {"STRIPE_API_KEY", SET_OPT_STRING, "", 0, 0, NULL, F(stripe_api_key),
     "Stripe secret or restricted key (sk_.../rk_..., allowed to write Subscriptions; a "
     "secret: not printed): deleting an account cancels its live subscription with it; "
     "empty: an account with a live subscription cannot be deleted until it is cancelled"},
    {"STRIPE_API_URL", SET_API_URL, "https://api.stripe.com", 0, 0, NULL, F(stripe_api_url),
     "Stripe's API (https://; http:// only to 127.0.0.1 or localhost, a test stand-in)"},
    /* publish and follow (issue 17): src/serving/publish.c, src/web/web_follow.c */
    {"SERVING_PUBLISH_URL", SET_OPT_URL, "", 0, 0, s3_url_schemes, F(serving_publish_url),
     "export-serving and the pipeline also upload each snapshot here (s3://bucket/prefix/): "
     "{snapshot_id}.duckdb, then LATEST.json; empty: no publishing"},
    {"S3_ENDPOINT", SET_OPT_URL, "", 0, 0, web_url_schemes, F(s3_endpoint),
     "the S3 API's address, path-style (R2: https://<account>.r2.cloudflarestorage.com); "
     "empty: AWS, https://s3.<AWS_REGION>.amazonaws.com"},
    {"AWS_ACCESS_KEY_ID", SET_OPT_STRING, "", 0, 0, NULL, F(aws_access_key_id),
     "the bucket's access key id (publish and `serve --follow`)"},
    {"AWS_SECRET_ACCESS_KEY", SET_OPT_STRING, "", 0, 0, NULL, F(aws_secret_access_key),
     "the bucket's secret key (a secret: `materia config` does not print it)"},
    {"AWS_REGION", SET_STRING, "auto", 0, 0, NULL, F(aws_region),
     "the region SigV4 signs for; auto is what R2 (production) expects; AWS needs its real "
     "region (e.g. us-east-1)"},
    {"SERVING_PUBLISH_KEEP", SET_INT, "5", 1, 1000, NULL, F(serving_publish_keep),
     "snapshots kept in the bucket (the one LATEST.json names is never pruned)"},
    {"SERVING_PUBLISH_PART_MB", SET_INT, "64", 5, 5120, NULL, F(serving_publish_part_mb),
     "files larger than this many MiB are uploaded in parts of this size (S3's minimum part "
     "is 5 MiB)"},
    {"SERVING_FOLLOW_POLL_S", SET_INT, "5", 1, 86400, NULL, F(serving_follow_poll_s),
     "`serve --follow`: seconds between conditional GETs of LATEST.json"},
    /* CDN and alerting (issue 17): src/serving/cdn_purge.c, src/pipeline/webhook.c */
    {"CDN_PURGE_URL", SET_OPT_URL, "", 0, 0, web_url_schemes, F(cdn_purge_url),
     "after each export, POST {\"tags\":[...]} here to purge the CDN (Cloudflare: "
     "https://api.cloudflare.com/client/v4/zones/<zone id>/purge_cache); empty: no purge"},
    {"CDN_PURGE_TOKEN", SET_OPT_STRING, "", 0, 0, NULL, F(cdn_purge_token),
     "API token sent as Authorization: Bearer to CDN_PURGE_URL (Cloudflare: Zone > Cache "
     "Purge > Purge, this zone only; a secret: not printed)"},
    {"CDN_PURGE_TIMEOUT_S", SET_INT, "10", 1, 300, NULL, F(cdn_purge_timeout_s),
     "one purge attempt's time limit, seconds (3 attempts; the snapshot is live either way)"},
    {"ALERT_WEBHOOK_URL", SET_OPT_URL, "", 0, 0, web_url_schemes, F(alert_webhook_url),
     "supervise: POST a JSON alert here on a failed run, a recovery and each new release "
     "(a Slack incoming webhook, or ntfy's root URL with ALERT_WEBHOOK_TOPIC; a secret: not "
     "printed); empty: no alerts"},
    {"ALERT_WEBHOOK_TOPIC", SET_OPT_STRING, "", 0, 0, NULL, F(alert_webhook_topic),
     "supervise: the ntfy topic put in the alert body (ntfy's JSON publishing; a secret: "
     "not printed); empty: no topic field"},
};

bool config_is_secret(const char *key)
{
    /* a Slack webhook URL is its own credential, an ntfy topic "essentially a password" */
    return !strcmp(key, "SMTP_PASSWORD") || !strcmp(key, "STRIPE_WEBHOOK_SECRET") ||
           !strcmp(key, "STRIPE_API_KEY") ||
           !strcmp(key, "CDN_PURGE_TOKEN") || !strcmp(key, "ALERT_WEBHOOK_URL") ||
           !strcmp(key, "ALERT_WEBHOOK_TOPIC") || !strcmp(key, "AWS_SECRET_ACCESS_KEY");
}

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

static void set_item(struct config *cfg, const char *key, const char *value, enum config_source src,
                     int line)
{
    struct config_item *it = find_item(cfg, key);
    if (!it) it = add_item(cfg, key);
    free(it->value);
    it->value = xstrdup(value);
    it->source = src;
    it->line = line;
}

const char *config_describe(const char *key)
{
    for (size_t i = 0; i < MT_ARRAY_LEN(known_keys); i++)
        if (!strcmp(known_keys[i].key, key)) return known_keys[i].help;
    return NULL;
}

/* ---- typed settings ------------------------------------------------------------------- */

static bool parse_whole(const char *v, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (!*v || errno || *end) return false;
    *out = n;
    return true;
}

int config_years(const char *spec, int years[CONFIG_YEARS_MAX], int *n)
{
    *n = 0;
    if (!strcasecmp(spec, "auto")) {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        years[0] = tm.tm_year + 1900 - 1;
        years[1] = tm.tm_year + 1900;
        *n = 2;
        return 0;
    }
    bool seen[CONFIG_YEAR_LAST - CONFIG_YEAR_FIRST + 1] = {false};
    const char *p = spec;
    for (;;) {
        while (*p == ' ') p++;
        char *end;
        long lo, hi;
        if (!isdigit((unsigned char)*p)) return -1;
        lo = hi = strtol(p, &end, 10);
        p = end;
        while (*p == ' ') p++;
        if (*p == '-') {
            p++;
            while (*p == ' ') p++;
            if (!isdigit((unsigned char)*p)) return -1;
            hi = strtol(p, &end, 10);
            p = end;
            while (*p == ' ') p++;
        }
        if (lo < CONFIG_YEAR_FIRST || hi > CONFIG_YEAR_LAST || lo > hi) return -1;
        for (long y = lo; y <= hi; y++) seen[y - CONFIG_YEAR_FIRST] = true;
        if (*p == '\0') break;
        if (*p++ != ',') return -1;
    }
    for (int y = CONFIG_YEAR_FIRST; y <= CONFIG_YEAR_LAST; y++)
        if (seen[y - CONFIG_YEAR_FIRST]) years[(*n)++] = y;
    return 0;
}

bool config_list_has(const char *list, const char *name)
{
    size_t nl = strlen(name);
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        const char *s = p;
        while (*p && *p != ',') p++;
        const char *e = p;
        while (e > s && e[-1] == ' ') e--;
        if ((size_t)(e - s) == nl && !strncasecmp(s, name, nl)) return true;
        if ((size_t)(e - s) == 3 && !strncasecmp(s, "all", 3)) return true;
    }
    return false;
}

/* https://host..., or http:// to 127.0.0.1 or localhost (with a port or a path, or neither). */
static bool local_or_https(const char *v)
{
    if (!strncasecmp(v, "https://", 8)) return v[8] != '\0' && v[8] != '/';
    if (strncasecmp(v, "http://", 7)) return false;
    const char *h = v + 7;
    if (strchr(h, '@')) return false; /* http://localhost:1@elsewhere is elsewhere */
    static const char *const local[] = {"127.0.0.1", "localhost", NULL};
    for (int i = 0; local[i]; i++) {
        size_t n = strlen(local[i]);
        if (!strncasecmp(h, local[i], n) && (h[n] == '\0' || h[n] == ':' || h[n] == '/')) return true;
    }
    return false;
}

/* Checks one value against its definition and stores it into s. Returns NULL, or what
 * was expected (for the error). */
static const char *setting_parse(const struct setting_def *d, const char *v, struct settings *s,
                                 char *why, size_t whylen)
{
    char *field = (char *)s + d->field;
    long n;
    switch (d->type) {
    case SET_STRING:
        if (!*v) return "a non-empty value";
        *(const char **)field = v;
        return NULL;
    case SET_URL:
    case SET_URL_YYYY:
        if (strncmp(v, "https://", 8) && strncmp(v, "http://", 7) && strncmp(v, "file://", 7))
            return "an https://, http:// or file:// URL";
        if (d->type == SET_URL_YYYY && !strstr(v, "{YYYY}"))
            return "a URL containing {YYYY} (replaced by each year)";
        *(const char **)field = v;
        return NULL;
    case SET_YEARS: {
        int years[CONFIG_YEARS_MAX], ny;
        if (config_years(v, years, &ny) < 0) {
            snprintf(why, whylen, "auto, or years and ranges from %d to %d like 2017,2019-2021",
                     CONFIG_YEAR_FIRST, CONFIG_YEAR_LAST);
            return why;
        }
        *(const char **)field = v;
        return NULL;
    }
    case SET_SOURCES: {
        /* every comma-separated word is "all" or a choice, and there is at least one */
        const char *p = v;
        int words = 0;
        while (*p) {
            while (*p == ' ') p++;
            const char *w = p;
            while (*p && *p != ',') p++;
            const char *e = p;
            while (e > w && e[-1] == ' ') e--;
            bool ok = (e - w == 3 && !strncasecmp(w, "all", 3));
            for (int i = 0; !ok && d->choices[i]; i++)
                ok = (size_t)(e - w) == strlen(d->choices[i]) && !strncasecmp(w, d->choices[i], (size_t)(e - w));
            if (!ok) return "all, or a comma list of psd, cot";
            words++;
            if (*p == ',') p++;
        }
        if (!words) return "all, or a comma list of psd, cot";
        *(const char **)field = v;
        return NULL;
    }
    case SET_OPT_STRING:
        *(const char **)field = v;
        return NULL;
    case SET_API_URL:
        if (!local_or_https(v)) return "an https:// URL, or http://127.0.0.1 or http://localhost (a test stand-in)";
        *(const char **)field = v;
        return NULL;
    case SET_OPT_URL: {
        bool ok = !*v;
        for (int i = 0; !ok && d->choices[i]; i++)
            ok = !strncasecmp(v, d->choices[i], strlen(d->choices[i])) && v[strlen(d->choices[i])];
        if (!ok) {
            size_t k = (size_t)snprintf(why, whylen, "empty, or a URL starting with");
            for (int i = 0; d->choices[i] && k < whylen; i++)
                k += (size_t)snprintf(why + k, whylen - k, "%s %s", i ? " or" : "", d->choices[i]);
            return why;
        }
        *(const char **)field = v;
        return NULL;
    }
    case SET_INT_AUTO:
        if (!strcasecmp(v, "auto")) {
            *(long *)field = SETTING_AUTO;
            return NULL;
        }
        /* fall through */
    case SET_INT:
        if (!parse_whole(v, &n) || n < d->min || n > d->max) {
            snprintf(why, whylen, "%sa whole number from %ld to %ld", d->type == SET_INT_AUTO ? "auto or " : "",
                     d->min, d->max);
            return why;
        }
        *(long *)field = n;
        return NULL;
    case SET_BOOL:
        if (!strcasecmp(v, "on") || !strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes"))
            *(bool *)field = true;
        else if (!strcasecmp(v, "off") || !strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no"))
            *(bool *)field = false;
        else
            return "on or off";
        return NULL;
    case SET_ENUM:
        for (int i = 0; d->choices[i]; i++)
            if (!strcasecmp(v, d->choices[i])) {
                *(int *)field = i;
                return NULL;
            }
        strbuf sb;
        sb_init(&sb);
        for (int i = 0; d->choices[i]; i++) sb_appendf(&sb, "%s%s", i ? ", " : "one of ", d->choices[i]);
        snprintf(why, whylen, "%s", sb.buf);
        sb_free(&sb);
        return why;
    case SET_HHMM: {
        int h, m;
        char tail;
        if (strlen(v) != 5 || sscanf(v, "%2d:%2d%c", &h, &m, &tail) != 2 || h < 0 || h > 23 || m < 0 || m > 59)
            return "a UTC time HH:MM from 00:00 to 23:59";
        *(const char **)field = v;
        return NULL;
    }
    }
    return "a known type";
}

/* Resolves every known key into cfg->s; the first bad value is an error naming its source. */
static int settings_resolve(struct config *cfg, struct mt_err *err)
{
    memset(&cfg->s, 0, sizeof cfg->s);
    for (size_t i = 0; i < MT_ARRAY_LEN(known_keys); i++) {
        const struct setting_def *d = &known_keys[i];
        struct config_item *it = find_item(cfg, d->key);
        char why[160];
        const char *bad = setting_parse(d, it->value, &cfg->s, why, sizeof why);
        if (!bad) continue;
        char *where = it->source == CONFIG_DEFAULT ? xstrdup("built-in default") : config_source_describe(cfg, it);
        mt_errf(err, "%s: %s=%s is not supported by materia: expected %s", where, d->key,
                 it->value, bad);
        free(where);
        return -1;
    }
    return 0;
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

static int load_dotenv(struct config *cfg, const char *path, struct mt_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT) return 0;
        mt_errf(err, "%s: cannot read: %s", path, strerror(errno));
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
            mt_errf(err, "%s:%d: expected KEY=value", path, lineno);
            rc = -1;
            break;
        }
        if (getenv(k)) continue; /* the environment wins */
        set_item(cfg, k, v, CONFIG_DOTENV, lineno);
    }
    free(line);
    fclose(f);
    if (rc == 0) cfg->dotenv_path = xstrdup(path);
    return rc;
}

/* The defaults, then the environment, then the .env at dotenv_path (may be NULL). */
static int load_sources(struct config *cfg, const char *dotenv_path, struct mt_err *err)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < MT_ARRAY_LEN(known_keys); i++) {
        const char *env = getenv(known_keys[i].key);
        set_item(cfg, known_keys[i].key, env ? env : known_keys[i].def,
                 env ? CONFIG_ENV : CONFIG_DEFAULT, 0);
        cfg->items[cfg->n - 1].known = true;
    }
    return dotenv_path ? load_dotenv(cfg, dotenv_path, err) : 0;
}

/* Reads the project folder's config.yaml, if any, into cfg->project; its gateway's
 * database fills DUCKDB_PATH unless the environment or .env set it. Then resolves. */
/* Settings that act only through another one: given (not the default) while that one is
 * empty, they can take effect in no command, and are refused by name, with where they were
 * set. (CDN_PURGE_TOKEN and ALERT_WEBHOOK_TOPIC have the same rule in their owners,
 * serving/cdn_purge.c and pipeline/webhook.c, checked before the work that uses them.) */
static const struct {
    const char *key, *needs;
} needs_table[] = {
    {"SERVING_PUBLISH_KEEP", "SERVING_PUBLISH_URL"},
    {"SERVING_PUBLISH_PART_MB", "SERVING_PUBLISH_URL"},
    {"CDN_PURGE_TIMEOUT_S", "CDN_PURGE_URL"},
};

static int check_needs(const struct config *cfg, struct mt_err *err)
{
    for (size_t i = 0; i < MT_ARRAY_LEN(needs_table); i++) {
        const struct config_item *it = find_item(cfg, needs_table[i].key);
        const struct config_item *need = find_item(cfg, needs_table[i].needs);
        if (!it || !need || it->source == CONFIG_DEFAULT || *need->value) continue;
        char *where = config_source_describe(cfg, it);
        mt_errf(err, "%s: %s is set but %s is empty: it cannot take effect (set both, or neither)", where,
                needs_table[i].key, needs_table[i].needs);
        free(where);
        return -1;
    }
    return 0;
}

static int load_project_and_resolve(struct config *cfg, const char *gateway, struct mt_err *err)
{
    const char *dir = find_item(cfg, "MATERIA_PROJECT_DIR")->value;
    int r = *dir ? project_config_load(dir, gateway, &cfg->project, err) : 0;
    if (r == 0 && gateway) {
        mt_errf(err, "--gateway %s: the project %s has no config.yaml (gateways are config.yaml's)", gateway, dir);
        return -1;
    }
    if (r < 0) return -1;
    cfg->has_project = r == 1;
    struct config_item *db = find_item(cfg, "DUCKDB_PATH");
    if (cfg->has_project && cfg->project.database && db->source == CONFIG_DEFAULT)
        set_item(cfg, "DUCKDB_PATH", cfg->project.database, CONFIG_YAML, cfg->project.database_line);
    if (settings_resolve(cfg, err) < 0) return -1;
    return check_needs(cfg, err);
}

int config_load(struct config *cfg, const char *dotenv_path, struct mt_err *err)
{
    if (load_sources(cfg, dotenv_path, err) < 0 || load_project_and_resolve(cfg, NULL, err) < 0) {
        config_free(cfg);
        return -1;
    }
    return 0;
}

/* True when a and b are the same folder (both must exist). */
static bool same_dir(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int config_load_cli(struct config *cfg, const char *project_opt, const char *gateway_opt, struct mt_err *err)
{
    memset(cfg, 0, sizeof *cfg);
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) {
        mt_errf(err, "cannot read the current folder: %s", strerror(errno));
        return -1;
    }
    char *cwd_conf = project_config_file(cwd);
    int rc = 0;
    if (project_opt) {
        /* sqlmesh -p PATH: the project's own .env (SQLMesh loads PATH/.env) */
        if (!is_dir(project_opt)) {
            free(cwd_conf);
            mt_errf(err, "-p %s: not a folder", project_opt);
            return -1;
        }
        char *env = xasprintf("%s/.env", project_opt);
        rc = load_sources(cfg, env, err);
        free(env);
        if (rc == 0) set_item(cfg, "MATERIA_PROJECT_DIR", project_opt, CONFIG_CLI, 0);
    } else {
        rc = load_sources(cfg, ".env", err);
        struct config_item *pd = rc == 0 ? find_item(cfg, "MATERIA_PROJECT_DIR") : NULL;
        if (pd && cwd_conf && pd->source != CONFIG_DEFAULT) {
            if (!same_dir(pd->value, cwd)) {
                char *where = config_source_describe(cfg, pd);
                mt_errf(err, "the current folder %s is a project (%s) but MATERIA_PROJECT_DIR (%s) names %s: "
                        "run `materia -p DIR ...` to choose one", cwd, strrchr(cwd_conf, '/') + 1, where, pd->value);
                free(where);
                rc = -1;
            } /* else: it names this folder; its source stays what set it */
        } else if (pd && cwd_conf) {
            set_item(cfg, "MATERIA_PROJECT_DIR", cwd, CONFIG_CWD, 0);
        } else if (pd && pd->source == CONFIG_DEFAULT && !same_dir(pd->value, cwd)) {
            char *models = xasprintf("%s/models", cwd);
            if (is_dir(models))
                cfg->project_refusal = xasprintf(
                    "the current folder %s has a models/ folder but no config.yaml, and MATERIA_PROJECT_DIR is not "
                    "set: materia would run the models of %s instead. Add a config.yaml here (SQLMesh's project "
                    "file), run `materia -p %s ...`, or set MATERIA_PROJECT_DIR",
                    cwd, pd->value, cwd);
            free(models);
        }
    }
    free(cwd_conf);
    char *refusal = cfg->project_refusal;
    cfg->project_refusal = NULL;
    if (rc == 0) rc = load_project_and_resolve(cfg, gateway_opt, err);
    if (rc < 0) {
        free(refusal);
        config_free(cfg);
        return -1;
    }
    cfg->project_refusal = refusal;
    return 0;
}

int config_project_check(const struct config *cfg, struct mt_err *err)
{
    if (!cfg->project_refusal) return 0;
    mt_errf(err, "%s", cfg->project_refusal);
    return -1;
}

void config_free(struct config *cfg)
{
    for (size_t i = 0; i < cfg->n; i++) {
        free(cfg->items[i].key);
        free(cfg->items[i].value);
    }
    free(cfg->items);
    free(cfg->dotenv_path);
    free(cfg->project_refusal);
    project_config_free(&cfg->project);
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
    case CONFIG_YAML: return "config.yaml";
    case CONFIG_CLI: return "-p";
    case CONFIG_CWD: return "current folder";
    default: return "default";
    }
}

char *config_source_describe(const struct config *cfg, const struct config_item *it)
{
    if (it->source == CONFIG_DOTENV)
        return xasprintf("%s:%d", cfg->dotenv_path ? cfg->dotenv_path : ".env", it->line);
    if (it->source == CONFIG_YAML)
        return xasprintf("%s:%d", cfg->project.path ? cfg->project.path : "config.yaml", it->line);
    return xstrdup(config_source_name(it->source));
}

char *config_site_base(const struct settings *s, const char *local)
{
    char *tmp = NULL;
    const char *b = s->public_base_url && *s->public_base_url ? s->public_base_url : local;
    if (!b || !*b) b = tmp = xasprintf("http://%s", s->http_addr);
    size_t n = strlen(b);
    while (n > 0 && b[n - 1] == '/') n--;
    char *out = xasprintf("%.*s", (int)n, b);
    free(tmp);
    return out;
}
