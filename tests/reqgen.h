/* reqgen: random search requests and awkward catalogs for the differential
 * tests, which run the fast paths and the reference on the same requests. */
#ifndef PRODUCT_SEARCH_REQGEN_H
#define PRODUCT_SEARCH_REQGEN_H

#include <stdbool.h>
#include <stddef.h>

#include "catalog.h"
#include "query.h"
#include "request.h"

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

/* A typo request: 1 to 3 terms, mostly words of one random product's fields
 * with up to two edits each (by whole UTF-8 characters, or one byte of a
 * non-ASCII one), now and then an exact piece, typos=1 or 2 (now and then 0),
 * and reqgen_url()'s other parameters; fields now and then all four. */
void reqgen_url_typos(char *url, const struct catalog *cat, unsigned *seed);

/* Parses a query string as reqgen_url() writes it ("&" and "=" separate, no
 * URL decoding) into req, default limit 20. Returns 0, or -1 with err filled
 * when the parameters are refused. */
int reqgen_parse_err(const char *url, struct request *req, struct query_error *err);

/* The same, when the error does not matter. */
int reqgen_parse(const char *url, struct request *req);

/* Half reqgen_url()'s requests, half a query drawn as the benchmark's text
 * mix draws them (substrings of names, brands in random case, categories and
 * their prefixes, numbers, whole names, random letters, single characters,
 * the words every product holds, two of these joined by a space) with
 * reqgen_url()'s other parameters. */
void reqgen_url_mixed(char *url, const struct catalog *cat, unsigned *seed);

/* A fast path under test: its answer to req over the window (0 = all). */
typedef int (*reqgen_answer)(const void *ctx, const struct request *req, size_t window,
                             struct result *out);

/* A generator of query strings (reqgen_url, reqgen_url_mixed). */
typedef void (*reqgen_draw)(char *url, const struct catalog *cat, unsigned *seed);

/* What a differential run compared, and the first request that differed. */
struct reqgen_report {
    size_t drawn;            /* query strings drawn */
    size_t compared;         /* requests accepted and compared */
    size_t matched;          /* of them, requests with at least one match */
    bool failed;             /* a difference (or an error) was found */
    bool highlight;          /* the difference was in a listed product's highlight */
    char url[REQGEN_URL_MAX]; /* the last request drawn: the failing one when failed */
    size_t got_total, want_total; /* total_found of the fast path and the reference */
    size_t got_count, want_count; /* products listed by each */
};

/* Answers req with fast and with reference_run() over window and compares
 * every field but the timing. Returns 0 when equal, -1 (rep->failed) when
 * they differ or either failed; counts into rep. */
int reqgen_check(const struct catalog *cat, size_t window, reqgen_answer fast, const void *ctx,
                 const struct request *req, struct reqgen_report *rep);

/* 0 when highlight_product() gives every product res lists the ranges
 * reference_highlight() gives, -1 otherwise. */
int reqgen_highlights_equal(const struct catalog *cat, const struct request *req,
                            const struct result *res);

/* The differential test: draws requests with draw from seed until n have
 * been accepted by the parser and compared (reqgen_check()), stopping at the
 * first difference. Returns 0 when all n were equal, -1 otherwise (rep->url
 * holds the request that differed). */
int reqgen_compare(const struct catalog *cat, size_t window, reqgen_answer fast, const void *ctx,
                   reqgen_draw draw, unsigned *seed, size_t n, struct reqgen_report *rep);

/* Adapters for reqgen_compare(): search_run() on a struct search, and
 * index_run() on a struct index (whole catalog only). */
int reqgen_answer_search(const void *engine, const struct request *req, size_t window,
                         struct result *out);
int reqgen_answer_index(const void *ix, const struct request *req, size_t window,
                        struct result *out);

#endif
