/* reqgen: random search requests and awkward catalogs for the differential
 * tests, which run the fast paths and the reference on the same requests. */
#ifndef PRODUCT_SEARCH_REQGEN_H
#define PRODUCT_SEARCH_REQGEN_H

#include <stddef.h>

#include "catalog.h"
#include "query.h"
#include "search.h"

enum {
    REQGEN_URL_MAX = 2048, /* room for one generated query string */
};

/* A catalog of n products built to trip a search up: categories differing
 * only in case, non-ASCII and quoted values, names holding their category,
 * repeated substrings, sparse ids up to 5,000,000, prices from 0.00 with
 * many ties. Deterministic for a seed. Returns 0, or -1. */
int reqgen_awkward_catalog(struct catalog *cat, size_t n, unsigned seed);

/* Writes a random query string (no URL encoding: "q=alpha 1&sort=price")
 * mixing every search parameter, with values drawn from cat so that most
 * requests match something. */
void reqgen_url(char *url, const struct catalog *cat, unsigned *seed);

/* Parses a query string as reqgen_url() writes it ("&" and "=" separate, no
 * URL decoding) into req, default limit 20. Returns 0, or -1 with err filled
 * when the parameters are refused. */
int reqgen_parse_err(const char *url, struct search_request *req, struct query_error *err);

/* The same, when the error does not matter. */
int reqgen_parse(const char *url, struct search_request *req);

#endif
