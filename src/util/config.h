/* config.h — effective configuration: process environment, then ./.env, then defaults.
 *
 * The environment always wins over .env, which wins over the built-in default. Every
 * known key is listed once, with its default and a one-line description, in config.c's
 * table; `materia config` prints them all with where each value came from. Keys not in
 * the table can still be read with config_get() (transform's @VAR uses that), from the
 * environment or .env. A config owns every string it holds; config_free() releases them. */
#ifndef MATERIA_CONFIG_H
#define MATERIA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

enum config_source { CONFIG_DEFAULT = 0, CONFIG_DOTENV, CONFIG_ENV };

struct config_item {
    char *key;
    char *value;              /* never NULL for known keys */
    enum config_source source;
    bool known;               /* in the built-in table */
};

struct config {
    struct config_item *items;
    size_t n;
    char *dotenv_path;        /* the .env that was read, or NULL */
};

/* Loads configuration. dotenv_path may be NULL (no .env) or a file that does not exist
 * (fine: it is optional). A malformed .env line is an error: returns -1 with the file,
 * line and reason in err. */
int config_load(struct config *cfg, const char *dotenv_path, char *err, size_t errlen);
void config_free(struct config *cfg);

/* The value for key, or NULL when unset everywhere and not a known key. */
const char *config_get(const struct config *cfg, const char *key);
/* Integer value; on a non-numeric value returns def and logs a warning naming the key. */
long config_get_long(const struct config *cfg, const char *key, long def);
enum config_source config_source_of(const struct config *cfg, const char *key);
const char *config_source_name(enum config_source s);
/* Description of a known key, or NULL. */
const char *config_describe(const char *key);

/* Process-wide configuration, loaded once by main() before a command runs. */
extern struct config g_config;

#endif
