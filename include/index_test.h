/* index_test: the index's thresholds, for tests that make small catalogs take every path. */
#ifndef PRODUCT_SEARCH_INDEX_TEST_H
#define PRODUCT_SEARCH_INDEX_TEST_H

#include <stdatomic.h>
#include <stdint.h>

#include "tables.h"

struct index;

/* Thresholds of an index; index_build() picks them for speed. */
struct index_tuning {
    uint32_t heavy_min;   /* occurrences (at least 2) from which a substring's products
                           * are precomputed */
    uint32_t heavy_depth; /* longest query prefix a precomputed set serves */
    uint32_t small_set;   /* sets of at most this many products are price-filtered
                           * product by product */
};

/* index_build() with thresholds of the caller's choosing. */
struct index *index_build_tuned(const struct tables *t, const struct index_tuning *tune,
                                const atomic_bool *stop);

#endif
