/* query: the parameters of a search and of a product lookup, raw text in, a
 * validated request or an error out; knows no HTTP. */
#ifndef PRODUCT_SEARCH_QUERY_H
#define PRODUCT_SEARCH_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "request.h"

enum {
    QUERY_MAX_PARAMS = 64,   /* parameters gathered without a heap allocation */
    QUERY_MESSAGE_MAX = 160, /* room for one error message */
};

/* One URL parameter, URL-decoded; the strings belong to the caller. */
struct query_param {
    const char *name;  /* parameter name, exact bytes */
    size_t name_len;   /* its length */
    const char *value; /* value, or NULL when the parameter had no '=' */
    size_t value_len;  /* its length */
};

/* Why a request was refused: an error code and a message naming the
 * parameter and its rule. */
struct query_error {
    const char *code;                 /* "invalid_offset", ...: a static string */
    char message[QUERY_MESSAGE_MAX];  /* human text, NUL-terminated */
};

/* Why a q parameter was refused. */
enum query_q_status {
    QUERY_Q_OK,
    QUERY_Q_MISSING,  /* no q at all */
    QUERY_Q_BLANK,    /* empty, or only white space */
    QUERY_Q_TOO_LONG, /* over REQUEST_MAX_QUERY bytes after trimming */
    QUERY_Q_NUL,      /* holds a NUL byte */
    QUERY_Q_BAD_UTF8, /* not valid UTF-8 */
};

/* Trims and checks the URL-decoded q (raw may be NULL: parameter absent).
 * On QUERY_Q_OK, *q and *qlen give the trimmed query inside raw. */
enum query_q_status query_check_q(const char *raw, size_t raw_len, const char **q, size_t *qlen);

/* Reads limit: decimal digits only, 1..REQUEST_MAX_LIMIT. Returns 0, or -1. */
int query_parse_limit(const char *s, size_t len, unsigned *out);

/* Reads a price: digits, optionally '.' and one or two digits, at most
 * REQUEST_MAX_PRICE_CENTS. Returns 0 with *cents set, or -1. */
int query_parse_price(const char *s, size_t len, uint64_t *cents);

/* Builds req from the n parameters of a search URL; limit defaults to
 * default_limit. Unknown names are ignored; names are exact (case counts).
 * Returns 0, or -1 with err filled. */
int query_parse(const struct query_param *params, size_t n, unsigned default_limit,
                struct request *req, struct query_error *err);

/* Reads a product id path segment: a positive decimal below 2^63, no sign,
 * no leading zeros. Returns 0, or -1. */
int query_parse_id(const char *s, size_t len, uint64_t *id);

#endif
