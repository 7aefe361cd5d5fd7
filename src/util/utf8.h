/* utf8.h — where text may be cut without splitting a UTF-8 character. Header-only (static
 * inline) because util/err.c needs it too, and err.c is linked alone into the fuzz targets
 * (tests/fuzz/CMakeLists.txt): a function in strbuf.c would drag strbuf.c into each of them.
 *
 * utf8_whole_len: the length of s[0..len) without the lead byte and continuation bytes of a
 * character that len cut (len itself when none was cut; bytes that are not UTF-8 are left
 * alone). A receiver's JSON decoder refuses a partial sequence; a terminal shows garbage. */
#ifndef MATERIA_UTF8_H
#define MATERIA_UTF8_H

#include <stddef.h>

static inline size_t utf8_whole_len(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t cont = 0; /* continuation bytes (10xxxxxx) at the end */
    while (cont < 3 && cont < len && (u[len - 1 - cont] & 0xC0) == 0x80) cont++;
    if (cont == len) return len;
    unsigned char lead = u[len - 1 - cont];
    size_t need = (lead & 0xF8) == 0xF0 ? 4 : (lead & 0xF0) == 0xE0 ? 3 : (lead & 0xE0) == 0xC0 ? 2 : 0;
    return need > cont + 1 ? len - 1 - cont : len; /* the character needs more than is here */
}

#endif
