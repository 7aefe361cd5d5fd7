/* db_quote.c — SQL quoting for the statements materia builds (db.h declares it): a
 * literal in single quotes, an identifier in double quotes, the quote character doubled.
 * Apart from db.c because it needs no DuckDB: the MODEL header's fuzz target (tests/fuzz)
 * links it without the database. */
#include "util/db.h"

static void quote_with(strbuf *sb, const char *s, char q)
{
    sb_append_char(sb, q);
    for (; *s; s++) {
        if (*s == q) sb_append_char(sb, q);
        sb_append_char(sb, *s);
    }
    sb_append_char(sb, q);
}

void db_quote_ident(strbuf *sb, const char *ident) { quote_with(sb, ident, '"'); }
void db_quote_literal(strbuf *sb, const char *text) { quote_with(sb, text, '\''); }
