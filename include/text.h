/* text: byte-string helpers: UTF-8 checks, ASCII folding and compare, JSON strings, digits. */
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

/* True for a byte of a word: an ASCII letter or digit, or any byte from 0x80
 * (so that a UTF-8 word is never split). */
static inline bool text_word_byte(unsigned char c)
{
    return c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Writes the ASCII lower case of s[0..n) at w (branch-free, so the compiler
 * vectorises it); returns w + n. */
char *text_lower_copy(char *w, const char *s, size_t n);

/* Byte order of a[0..an) and b[0..bn), both ASCII lower-cased first: -1, 0
 * or 1; a string before every longer string it begins. */
int text_casecmp(const char *a, size_t an, const char *b, size_t bn);

/* Byte order of a[0..an) and b[0..bn) as they are: -1, 0 or 1. */
int text_cmp(const char *a, size_t an, const char *b, size_t bn);

/* True when byte c can stand inside a JSON string as it is (no escape). */
static inline bool text_json_plain_byte(unsigned char c)
{
    return c >= 0x20 && c != '"' && c != '\\';
}

/* True when s[0..len) needs no escaping inside a JSON string. */
bool text_json_plain(const char *s, size_t len);

/* Writes s[0..len) as a quoted JSON string into out, which must have room for
 * text_json_string_max(len) bytes; returns the bytes written. */
size_t text_json_string(char *out, const char *s, size_t len);

/* Room text_json_string() may need for len bytes of input. */
static inline size_t text_json_string_max(size_t len)
{
    return 6 * len + 2;
}

#endif
