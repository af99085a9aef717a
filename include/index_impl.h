/* index_impl: the index's layout, shared by its builder (index_build.c) and index.c only. */
#ifndef PRODUCT_SEARCH_INDEX_IMPL_H
#define PRODUCT_SEARCH_INDEX_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include <roaring/roaring.h>

#include "index_test.h"
#include "request.h"
#include "tables.h"

enum {
    INDEX_PAD = REQUEST_MAX_QUERY + 2, /* zero bytes after the text: compares never run off it */
    INDEX_CHUNK = 512,                 /* product positions gathered per batch */
    INDEX_PRICE_BLOCK = 256,           /* price ranks per leaf of the price tree */
    INDEX_PRICE_LEVELS = 32,           /* levels the price tree may have */
    INDEX_FACET_BITMAPS = 64,   /* fields with at most this many values keep one bitmap each */
    INDEX_FOLD_BITMAP_MIN = 64, /* folded values with this many products keep a bitmap */
};

/* Products grouped by the ASCII lower-cased value of one field. */
struct index_folds {
    uint32_t *start;       /* nfolded + 1 offsets into member */
    uint32_t *member;      /* product positions, ascending within each folded value */
    roaring_bitmap_t **bm; /* per folded id: its products, NULL when few (use member) */
    uint32_t **counts;     /* per folded id with a bitmap: its facet counts (see index.fcount) */
};

struct index {
    const struct tables *tables;   /* the catalog and its value tables (borrowed) */
    struct index_tuning tune;      /* thresholds */
    uint32_t n;                    /* products */
    uint32_t tlen;                 /* bytes of text (without the padding) */
    unsigned char *text;           /* lower-cased names, each NUL-terminated, then each
                                    * distinct lower-cased category, NUL-terminated */
    int32_t *sa;                   /* suffix array of text */
    uint32_t *owner;               /* per suffix array slot: the product whose name holds
                                    * the suffix, or n + folded category id */
    uint32_t *bucket;              /* 65537 slots: first suffix array slot per 2-byte prefix */
    uint64_t *heavy_key;           /* heavy sets' hash: (lo << 32 | hi), 0 = empty */
    roaring_bitmap_t **heavy_set;  /* heavy sets' hash: the product set of slots [lo, hi) */
    uint32_t **heavy_counts;       /* heavy sets' hash: the set's facet counts, or NULL */
    size_t heavy_mask;             /* hash slots - 1 */
    size_t nheavy;                 /* heavy sets stored */
    struct index_folds fold[REQUEST_FIELD_COUNT];  /* per lower-cased category and brand */
    roaring_bitmap_t **exact[REQUEST_FIELD_COUNT]; /* per exact value id, or NULL: too many */
    uint32_t foff[REQUEST_FIELD_COUNT]; /* where each field's counts start in a counts array */
    uint32_t fcount;               /* counts per precomputed set: the values of the fields
                                    * with exact bitmaps (0: none precomputed) */
    uint32_t *order[2];            /* products by price ascending, descending (ties by id) */
    uint32_t *rank[2];             /* per product: its slot in order[0], order[1] */
    roaring_bitmap_t **seg[INDEX_PRICE_LEVELS]; /* price tree: level l node j = products of
                                    * price ranks [j * INDEX_PRICE_BLOCK << l, (j + 1) * ...) */
    uint32_t nseg[INDEX_PRICE_LEVELS]; /* nodes per level */
    unsigned nlevels;              /* levels of the price tree */
    size_t bytes;                  /* heap bytes held */
    double build_s;                /* seconds the build took */
};

/* Product k of the indexed catalog. */
static inline const struct product *index_item(const struct index *ix, uint32_t k)
{
    return &ix->tables->cat->items[k];
}

/* The value tables of filter field f. */
static inline const struct tables_values *index_values(const struct index *ix,
                                                       enum request_field f)
{
    return &ix->tables->values[request_catalog_field(f)];
}

/* roaring_bitmap_free() that takes NULL. */
static inline void index_bm_free(roaring_bitmap_t *bm)
{
    if (bm != NULL)
        roaring_bitmap_free(bm);
}

/* Adds to bm the products owning suffix array slots [lo, hi). */
void index_add_slots(const struct index *ix, roaring_bitmap_t *bm, uint32_t lo, uint32_t hi);

/* Counts each value of field among the products of bm (card of them) into counts. */
void index_count_values(const struct index *ix, enum request_field field,
                        const roaring_bitmap_t *bm, size_t card, uint32_t *counts);

/* Ascending order of two uint32_t, for qsort. */
int index_cmp_u32(const void *a, const void *b);

#endif
