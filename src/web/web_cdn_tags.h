/* web_cdn_tags.h — the CDN cache tags, one spelling for both sides of the contract: the
 * web server puts them on every data answer (Surrogate-Key, Cache-Tag; web_api.h) and the
 * export purges by them (serving/cdn_purge.c). A tag spelled twice could drift, and a purge
 * by a tag no answer carries purges nothing, silently. No includes: serving/ can take it
 * without taking the web server's headers. docs/CDN.md has the table. */
#ifndef MATERIA_WEB_CDN_TAGS_H
#define MATERIA_WEB_CDN_TAGS_H

#define WEB_CDN_TAG_ALL "materia-api"            /* on every data answer: purge them all */
#define WEB_CDN_TAG_SNAPSHOT "materia-snapshot-" /* + snapshot id: one snapshot's answers */

#endif
