/* text: byte-string helpers shared by request parsing and catalog loading. */
#ifndef PRODUCT_SEARCH_TEXT_H
#define PRODUCT_SEARCH_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when s[0..len) is well-formed UTF-8 (no overlong forms, no surrogates,
 * nothing above U+10FFFF). */
bool text_utf8_valid(const char *s, size_t len);

/* Narrows [*s, *s + *len) past leading and trailing ASCII white space
 * (space, \t, \n, \v, \f, \r). */
void text_trim_ascii(const char **s, size_t *len);

/* Writes the decimal digits of v at p (at most 20 bytes, no terminator);
 * returns the end. Faster than snprintf on the hot path. */
char *text_put_u64(char *p, uint64_t v);

/* ASCII lower case of one byte; other bytes are returned unchanged. */
static inline char text_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

#endif
