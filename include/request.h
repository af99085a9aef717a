/* request: a validated request, a search's result, their limits, and the paging and facets all paths share. */
#ifndef PRODUCT_SEARCH_REQUEST_H
#define PRODUCT_SEARCH_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"

enum {
    REQUEST_MAX_QUERY = 256,              /* longest q, in bytes */
    REQUEST_MAX_LIMIT = 100,              /* most products one answer lists */
    REQUEST_MAX_OFFSET = 1000000,         /* largest offset */
    REQUEST_MAX_TERMS = 8,                /* terms of q with match=all */
    REQUEST_MAX_VALUES = 16,              /* values of one category or brand filter */
    REQUEST_MAX_VALUE = 64,               /* bytes of one filter value */
    REQUEST_MAX_FACET_VALUES = 100,       /* values one facet lists */
    REQUEST_MAX_PRICE_CENTS = 1000000000, /* 10,000,000.00 */
};

/* Result order; ties always by id ascending. */
enum request_sort {
    REQUEST_SORT_ID,         /* id ascending (the default) */
    REQUEST_SORT_PRICE,      /* price ascending */
    REQUEST_SORT_PRICE_DESC, /* price descending */
    REQUEST_SORT_RELEVANCE,  /* the relevance key: typos, then score (docs/api.md) */
};

/* The classes of an occurrence of a term in a field, best first; a term's
 * placement in field i of the request's list is 4 * i + class. */
enum request_class {
    REQUEST_WHOLE,  /* the occurrence is the whole field */
    REQUEST_WORD,   /* it starts at a word start and ends at a word end */
    REQUEST_PREFIX, /* it starts at a word start */
    REQUEST_INFIX,  /* any other occurrence */
    REQUEST_CLASSES,
};

/* How q is matched. */
enum request_match {
    REQUEST_MATCH_PHRASE, /* q is one substring (the default) */
    REQUEST_MATCH_ALL,    /* every white-space separated term is a substring */
};

/* The two fields a request can filter on and count. */
enum request_field {
    REQUEST_CATEGORY,
    REQUEST_BRAND,
    REQUEST_FIELD_COUNT,
};

/* Values one field must equal, ignoring ASCII case. */
struct request_filter {
    size_t count;                                       /* 0: no filter on this field */
    uint8_t len[REQUEST_MAX_VALUES];                    /* bytes of each value */
    char value[REQUEST_MAX_VALUES][REQUEST_MAX_VALUE];  /* values, ASCII lower-cased */
};

/* One validated request (query_parse() builds it from the URL). */
struct request {
    bool has_text;                        /* false: no q; every product passes the text test */
    enum request_match match;             /* phrase or all */
    char text[REQUEST_MAX_QUERY];         /* q, trimmed, ASCII lower-cased (no NUL inside) */
    size_t text_len;                      /* bytes in text */
    size_t nterms;                        /* terms to find: 1 for a phrase, 1..8 with match=all */
    uint16_t term_off[REQUEST_MAX_TERMS]; /* where each term starts in text */
    uint16_t term_len[REQUEST_MAX_TERMS]; /* each term's length, at least 1 */
    struct request_filter filter[REQUEST_FIELD_COUNT]; /* category and brand filters */
    uint64_t min_price;                   /* cents; 0 when not given */
    uint64_t max_price;                   /* cents; UINT64_MAX when not given */
    enum request_sort sort;               /* result order */
    unsigned nfields;                     /* fields the text test searches, 1..4 */
    enum catalog_field field[CATALOG_FIELD_COUNT]; /* those fields, heaviest first */
    bool highlight;                       /* each listed product gains its highlight */
    unsigned typos;                       /* most typos a term may use, 0..2 */
    size_t offset;                        /* matches skipped, in result order */
    size_t limit;                         /* products listed at most, 1..REQUEST_MAX_LIMIT */
    unsigned facets;                      /* bit (1u << enum request_field) per facet asked for */
};

enum {
    REQUEST_MAX_RANGES = CATALOG_MAX_STRING / 2 + 1, /* highlight ranges one field can hold */
};

/* The highlight of one listed product: for each of the request's fields (in
 * its order), the byte ranges [start, end) of the field as stored that the
 * terms matched: ascending, disjoint and not adjacent. */
struct highlight {
    uint16_t n[CATALOG_FIELD_COUNT];                              /* ranges of each field */
    uint16_t range[CATALOG_FIELD_COUNT][REQUEST_MAX_RANGES][2];   /* start, end */
};

/* One facet entry: a distinct value and how many matches hold it. */
struct result_facet {
    uint32_t product; /* position of a product whose field holds the value (its exact bytes) */
    uint32_t count;   /* matches holding it */
};

/* What one search found. */
struct result {
    uint32_t item[REQUEST_MAX_LIMIT]; /* listed products' positions, in result order */
    size_t count;                     /* entries used in item (at most the limit) */
    size_t total_found;               /* every product passing the text test and filters */
    size_t checked;                   /* products in the window */
    uint64_t elapsed_ns;              /* duration of the search */
    unsigned facets;                  /* the request's facet bits, copied */
    size_t nfacet[REQUEST_FIELD_COUNT]; /* entries of each facet */
    struct result_facet facet[REQUEST_FIELD_COUNT][REQUEST_MAX_FACET_VALUES];
    /* facet entries: count descending, then value ascending (byte order) */
};

/* The catalog field a filter or facet field reads. */
static inline enum catalog_field request_catalog_field(enum request_field f)
{
    return f == REQUEST_CATEGORY ? CATALOG_CATEGORY : CATALOG_BRAND;
}

/* Field f (category or brand) of product p. */
static inline struct catalog_str request_value(const struct product *p, enum request_field f)
{
    return catalog_field(p, request_catalog_field(f));
}

/* The request without q that browses every product: no filters, id order,
 * offset 0, at most limit products, no facets, fields name and category, no
 * highlight, no typos. */
void request_init(struct request *req, size_t limit);

/* Makes q (qlen bytes) the request's text, one phrase. Returns 0, or -1 when
 * q is empty, longer than REQUEST_MAX_QUERY or holds a NUL. */
int request_set_phrase(struct request *req, const char *q, size_t qlen);

/* The seed's search: request_init() then request_set_phrase(). Returns 0, or
 * -1 when q is refused or limit is not 1..REQUEST_MAX_LIMIT. */
int request_phrase(struct request *req, const char *q, size_t qlen, size_t limit);

/* True when req searches the default fields, name then category. */
static inline bool request_default_fields(const struct request *req)
{
    return req->nfields == 2 && req->field[0] == CATALOG_NAME &&
           req->field[1] == CATALOG_CATEGORY;
}

/* A term's allowance of typos under req (0, 1 or 2): none for a term holding
 * an ASCII digit or a byte that is not a word byte (it is compared whole with
 * words) or shorter than 4 bytes, min(typos, 1) from 4 bytes, min(typos, 2)
 * from 8 bytes. */
unsigned request_allowance(const struct request *req, const char *term, size_t len);

/* The relevance key of a match from its typos and score (both sums over the
 * terms): smaller first. */
static inline uint32_t request_key(unsigned typos, unsigned score)
{
    return (uint32_t)typos << 16 | score;
}

/* Puts the n matches m (positions in id order) in req's order and lists the
 * page (offset, limit) into out->item and out->count. key[i] is m[i]'s
 * relevance key when req sorts by relevance (NULL otherwise). Returns 0, or
 * -1 when memory runs out. */
int request_page(const struct catalog *cat, const struct request *req, uint32_t *m,
                 const uint32_t *key, size_t n, struct result *out);

/* Fills a facet from per-value counts: count[v] matches hold value v (value
 * ids in the byte order of the values), rep[v] a product holding it. Keeps
 * the values with a count, by count descending then value, at most
 * REQUEST_MAX_FACET_VALUES. Returns 0, or -1 when memory runs out. */
int request_facet_top(const uint32_t *count, const uint32_t *rep, size_t nvalues,
                      struct result_facet *out, size_t *nout);

/* True when a and b hold the same answer over cat: every field but
 * elapsed_ns, facet values compared by their bytes. */
bool request_results_equal(const struct catalog *cat, const struct result *a,
                           const struct result *b);

#endif
