/* search: answers a search request over the catalog; pure, no HTTP, no JSON. */
#ifndef PRODUCT_SEARCH_SEARCH_H
#define PRODUCT_SEARCH_SEARCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"

struct index;

enum {
    SEARCH_MAX_QUERY = 256,                    /* longest q, in bytes */
    SEARCH_MAX_LIMIT = 100,                    /* most products one answer lists */
    SEARCH_MAX_OFFSET = 1000000,               /* largest offset */
    SEARCH_MAX_TERMS = 8,                      /* terms of q with match=all */
    SEARCH_MAX_VALUES = 16,                    /* values of one category or brand filter */
    SEARCH_MAX_VALUE = 64,                     /* bytes of one filter value */
    SEARCH_MAX_FACET_VALUES = 100,             /* values one facet lists */
    SEARCH_MAX_PRICE_CENTS = 1000000000,       /* 10,000,000.00 */
};

/* Result order; ties always by id ascending. */
enum search_sort {
    SEARCH_SORT_ID,         /* id ascending (the default) */
    SEARCH_SORT_PRICE,      /* price ascending */
    SEARCH_SORT_PRICE_DESC, /* price descending */
};

/* How q is matched. */
enum search_match {
    SEARCH_MATCH_PHRASE, /* q is one substring (the default) */
    SEARCH_MATCH_ALL,    /* every white-space separated term is a substring */
};

/* The two fields a request can filter on and count. */
enum search_field {
    SEARCH_FIELD_CATEGORY,
    SEARCH_FIELD_BRAND,
    SEARCH_FIELD_COUNT,
};

/* Values one field must equal, ignoring ASCII case. */
struct search_filter {
    size_t count;                                     /* 0: no filter on this field */
    uint8_t len[SEARCH_MAX_VALUES];                   /* bytes of each value */
    char value[SEARCH_MAX_VALUES][SEARCH_MAX_VALUE];  /* values, ASCII lower-cased */
};

/* One validated request (query_parse() builds it from the URL). */
struct search_request {
    bool has_text;                   /* false: no q; every product passes the text test */
    enum search_match match;         /* phrase or all */
    char text[SEARCH_MAX_QUERY];     /* q, trimmed, ASCII lower-cased (no NUL inside) */
    size_t text_len;                 /* bytes in text */
    size_t nterms;                   /* terms to find: 1 for a phrase, 1..8 with match=all */
    uint16_t term_off[SEARCH_MAX_TERMS]; /* where each term starts in text */
    uint16_t term_len[SEARCH_MAX_TERMS]; /* each term's length, at least 1 */
    struct search_filter filter[SEARCH_FIELD_COUNT]; /* category and brand filters */
    uint64_t min_price;              /* cents; 0 when not given */
    uint64_t max_price;              /* cents; UINT64_MAX when not given */
    enum search_sort sort;           /* result order */
    size_t offset;                   /* matches skipped, in result order */
    size_t limit;                    /* products listed at most, 1..SEARCH_MAX_LIMIT */
    unsigned facets;                 /* bit (1u << enum search_field) per facet asked for */
};

/* One facet entry: a distinct value and how many matches hold it. */
struct search_facet {
    uint32_t product; /* position of a product whose field holds the value (its exact bytes) */
    uint32_t count;   /* matches holding it */
};

/* What one search found. */
struct search_result {
    uint32_t idx[SEARCH_MAX_LIMIT]; /* listed products' positions, in result order */
    size_t count;                   /* entries used in idx (at most the limit) */
    size_t total_found;             /* every product passing the text test and filters */
    size_t checked;                 /* products in the window */
    uint64_t elapsed_ns;            /* duration of the search */
    unsigned facets;                /* the request's facet bits, copied */
    size_t nfacet[SEARCH_FIELD_COUNT]; /* entries of each facet */
    struct search_facet facet[SEARCH_FIELD_COUNT][SEARCH_MAX_FACET_VALUES];
    /* facet entries: count descending, then value ascending (byte order) */
};

/* The distinct values of one field (category or brand). Value ids follow the
 * byte order of the values, so sorting by id sorts by value. */
struct search_values {
    uint32_t *of;       /* per product: the id of its value */
    uint32_t *rep;      /* per value id: a product holding that value */
    uint32_t *folded;   /* per value id: the id of its ASCII lower-cased form */
    uint32_t *fold_rep; /* per folded id (byte order of the folded forms): a product */
    uint32_t count;     /* distinct values */
    uint32_t nfolded;   /* distinct lower-cased values */
};

/* What the search reads besides the catalog, built once at start-up. */
struct search_index {
    const struct catalog *cat; /* the products (borrowed) */
    char *text;     /* for each product its lower-cased name and category, each
                     * followed by a NUL, back to back in id order; a query holds
                     * no NUL, so no match spans two fields or two products */
    uint32_t *offs; /* scanned + 1 offsets: product k is text[offs[k], offs[k+1]) */
    size_t count;   /* number of products in the catalog */
    size_t scanned; /* products whose text is built: the widest window searched */
    bool deferred;  /* whole-catalog mode: text and value tables wait for
                     * search_index_complete(), and the reference answers until
                     * the whole-catalog index is published */
    struct search_values values[SEARCH_FIELD_COUNT]; /* category and brand values */
    _Atomic(struct index *) full; /* whole-catalog index once built, or NULL */
};

/* Builds the index of cat into idx (caller-owned); cat must outlive it.
 * Returns 0, or -1 when memory runs out or the text would pass 4 GiB. */
int search_index_init(struct search_index *idx, const struct catalog *cat);

/* The same, with the scan text built only for the first window products
 * (0 = all): a server whose SCAN_LIMIT is 100 needs no text for the rest,
 * and starts faster. search_run() then refuses wider windows. */
int search_index_init_window(struct search_index *idx, const struct catalog *cat, size_t window);

/* Whole-catalog mode: nothing is built now, so the server is ready at once;
 * search_index_complete() builds the text and value tables later, on the
 * thread that then builds the whole-catalog index. Until that index is
 * published, search_run() answers with search_reference(): exact, slower. */
void search_index_init_deferred(struct search_index *idx, const struct catalog *cat);

/* Builds what search_index_init_deferred() left out; 0, or -1 when memory
 * runs out. Call it once, before index_build(), from one thread. */
int search_index_complete(struct search_index *idx);

/* Frees what idx owns (the whole-catalog index included). */
void search_index_deinit(struct search_index *idx);

/* A phrase request for q (qlen bytes) listing at most limit products, with
 * every other setting at its default: the seed's search. Returns 0, or -1
 * when q is empty, too long or holds a NUL, or limit is out of range. */
int search_request_phrase(struct search_request *req, const char *q, size_t qlen, size_t limit);

/* Answers req over the window of the first min(scan_limit, count) products
 * (scan_limit 0 = all): the whole-catalog index when it is built and the
 * window covers the catalog, the scan otherwise. Returns 0, or -1 when
 * memory runs out or the window is wider than the index was built for. */
int search_run(const struct search_index *idx, const struct search_request *req,
               size_t scan_limit, struct search_result *out);

/* The reference: the same answer as search_run(), computed product by
 * product in the contract's order (window, text test, filters, sort, offset,
 * limit, facets) with nothing precomputed. Slow and obviously right; the
 * fast paths are tested against it. Returns 0, or -1 when memory runs out. */
int search_reference(const struct catalog *cat, const struct search_request *req,
                     size_t scan_limit, struct search_result *out);

/* True when a and b hold the same answer over cat: every field but
 * elapsed_ns, facet values compared by their bytes. */
bool search_result_equal(const struct catalog *cat, const struct search_result *a,
                         const struct search_result *b);

/* Position of the first occurrence of needle in hay, or NULL; exposed for tests. */
const char *search_find(const char *hay, size_t n, const char *needle, size_t m);

#endif
