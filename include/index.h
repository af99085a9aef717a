/* index: the whole-catalog search index (suffix array plus bitmaps); answers a request exactly as the scan would. */
#ifndef PRODUCT_SEARCH_INDEX_H
#define PRODUCT_SEARCH_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "search.h"

struct index;

/* What building an index cost. */
struct index_stats {
    double build_s;   /* wall-clock seconds index_build() took */
    size_t bytes;     /* heap bytes the index holds */
    size_t heavy;     /* precomputed product sets of broad substrings */
};

/* Builds the whole-catalog index of base, which must outlive it (and must
 * not be changed while it lives). Returns NULL when memory runs out or the
 * catalog's text is too large to index (the scan then keeps answering). */
struct index *index_build(const struct search_index *base);

/* Thresholds of an index; index_build() picks them for speed. Tests pick
 * small ones, so that small catalogs take every path. */
struct index_tuning {
    uint32_t heavy_min;   /* occurrences (at least 2) from which a substring's products
                           * are precomputed */
    uint32_t heavy_depth; /* longest query prefix a precomputed set serves */
    uint32_t small_set;   /* sets of at most this many products are price-filtered
                           * product by product */
};

/* index_build() with thresholds of the caller's choosing. */
struct index *index_build_tuned(const struct search_index *base, const struct index_tuning *tune);

/* Answers req over the whole catalog (checked = the catalog's size), the same
 * answer search_reference() gives with scan_limit 0 except elapsed_ns, which
 * is left for the caller. Safe from many threads at once. Returns 0, or -1
 * when memory runs out. */
int index_run(const struct index *ix, const struct search_request *req, struct search_result *out);

/* What building ix cost. */
void index_stats(const struct index *ix, struct index_stats *st);

/* Frees ix (NULL is fine). */
void index_destroy(struct index *ix);

#endif
