/* search: the bounded linear scan over the catalog; pure, no HTTP, no JSON. */
#ifndef PRODUCT_SEARCH_SEARCH_H
#define PRODUCT_SEARCH_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"

enum {
    SEARCH_MAX_QUERY = 256, /* longest q, in bytes */
    SEARCH_MAX_LIMIT = 100, /* most products one answer lists */
};

/* The text the scan reads: for each product its lower-cased name and
 * category, each followed by a NUL, back to back in id order. A query never
 * holds a NUL, so no match can span two fields or two products. */
struct search_index {
    char *text;     /* all products' searchable bytes */
    uint32_t *offs; /* count + 1 offsets: product k is text[offs[k], offs[k+1]) */
    size_t count;   /* number of products indexed */
};

/* What one scan found. */
struct search_result {
    uint32_t idx[SEARCH_MAX_LIMIT]; /* matching products' positions, in id order */
    size_t count;                   /* entries used in idx (at most the limit) */
    size_t total_found;             /* every match among the checked products */
    size_t checked;                 /* products checked */
    uint64_t elapsed_ns;            /* duration of the scan */
};

/* Builds the index of cat into idx (caller-owned). Returns 0, or -1 when
 * memory runs out or the text would pass 4 GiB. */
int search_index_init(struct search_index *idx, const struct catalog *cat);

/* Frees what idx owns. */
void search_index_deinit(struct search_index *idx);

/* Checks the first min(scan_limit, count) products (scan_limit 0 = all) for
 * q (qlen bytes, 1..SEARCH_MAX_QUERY, no NUL) as an ASCII-case-insensitive
 * substring of name or category, and fills out with at most limit
 * (1..SEARCH_MAX_LIMIT) matches. Returns 0, or -1 on arguments out of range. */
int search_run(const struct search_index *idx, const char *q, size_t qlen,
               size_t scan_limit, size_t limit, struct search_result *out);

/* Position of the first occurrence of needle in hay, or NULL; exposed for tests. */
const char *search_find(const char *hay, size_t n, const char *needle, size_t m);

#endif
