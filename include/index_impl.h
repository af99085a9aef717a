/* index_impl: the index's layout, shared by its builder (index_build.c) and index.c only. */
#ifndef PRODUCT_SEARCH_INDEX_IMPL_H
#define PRODUCT_SEARCH_INDEX_IMPL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <roaring/roaring.h>

#include "index_test.h"
#include "request.h"
#include "tables.h"
#include "typo.h"

enum {
    INDEX_PAD = REQUEST_MAX_QUERY + 2, /* zero bytes after a text: compares never run off it */
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

/* The precomputed sets of one broad suffix-tree node: the products of its
 * occurrences by the class they can take (request.h). */
struct index_heavy {
    uint32_t depth;          /* the node's string depth: the longest term it serves */
    roaring_bitmap_t *all;   /* products with an occurrence in any piece, the extra ones
                              * included; NULL when the text has none (then any) */
    uint32_t *all_counts;    /* facet counts of all, or NULL */
    roaring_bitmap_t *any;   /* products with an occurrence of the node's label in one of
                              * the field's own pieces */
    roaring_bitmap_t *prefix; /* ... with one that starts at a word start */
    roaring_bitmap_t *word;  /* ... with one of all depth bytes that starts at a word
                              * start and ends at a word end */
    uint32_t *counts;        /* facet counts of any, or NULL */
};

/* One field's text index: the field's pieces of text (a product's name, or
 * one distinct lower-cased value of another field), their suffix array, and
 * the broad nodes' precomputed sets. The name's text also holds each
 * distinct lower-cased category, as extra pieces: the default fields, name
 * and category, then take one lookup. */
struct index_text {
    enum catalog_field field; /* which field */
    bool per_product;         /* own pieces are products; else folded value ids of the field */
    uint32_t own;             /* the field's own pieces: [0, own) */
    uint32_t npieces;         /* pieces: [own, npieces) are the extra ones, category folded
                               * value ids plus own */
    uint32_t tlen;            /* bytes of text (without the padding) */
    unsigned char *text;      /* the pieces lower-cased, each followed by a NUL; a NUL
                               * before the first, and INDEX_PAD zeros after the last */
    uint32_t *start;          /* npieces + 1: where each piece starts in text */
    uint32_t *sorted;         /* per_product: pieces in byte order of their text (whole-field
                               * matches); NULL otherwise (folded ids are in that order) */
    int32_t *sa;              /* suffix array of the text (the leading NUL included) */
    uint32_t *owner;          /* per suffix array slot: its piece */
    uint64_t *wstart;         /* per slot, a bit: the suffix starts at a word start */
    uint32_t *bucket;         /* 65537 slots: first suffix array slot per 2-byte prefix */
    uint64_t *heavy_key;      /* heavy sets' hash: (lo << 32 | hi), 0 = empty */
    struct index_heavy *heavy; /* heavy sets' hash: the node of slots [lo, hi) */
    size_t heavy_mask;        /* hash slots - 1 */
    size_t nheavy;            /* heavy nodes stored */
};

struct index {
    const struct tables *tables;   /* the catalog and its value tables (borrowed) */
    struct index_tuning tune;      /* thresholds */
    uint32_t n;                    /* products */
    struct index_text text[CATALOG_FIELD_COUNT];    /* per field */
    struct index_folds fold[CATALOG_FIELD_COUNT];   /* per folded value: category, brand,
                                                     * description */
    struct typo_dict dict;         /* the words of every field that a term with typos can be
                                    * near (typo.c) */
    roaring_bitmap_t **post[CATALOG_FIELD_COUNT]; /* per field, per word of dict: the
                                    * products whose field holds it, NULL when none */
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
    _Atomic size_t bytes;          /* heap bytes held (added to by both build threads) */
    double build_s;                /* seconds the build took */
    size_t dict_bytes;             /* of bytes: the dictionary's and its products' */
    double dict_build_s;           /* of build_s: the dictionary's */
    bool mapped;                   /* read from a snapshot (index_snap.c): the arrays lie in
                                    * its mapping; the bitmaps are views of it, and the
                                    * arrays of pointers to them are the only heap */
};

/* Product k of the indexed catalog. */
static inline const struct product *index_item(const struct index *ix, uint32_t k)
{
    return &ix->tables->cat->items[k];
}

/* The value tables of catalog field f (category, brand, description). */
static inline const struct tables_values *index_values(const struct index *ix,
                                                       enum catalog_field f)
{
    return &ix->tables->values[f];
}

/* roaring_bitmap_free() that takes NULL. */
static inline void index_bm_free(roaring_bitmap_t *bm)
{
    if (bm != NULL)
        roaring_bitmap_free(bm);
}

/* Whether suffix array slot i of t starts at a word start. */
static inline bool index_word_start(const struct index_text *t, uint32_t i)
{
    return (t->wstart[i >> 6] >> (i & 63)) & 1;
}

/* Class conditions a term meets at every occurrence (index_gather()). */
enum {
    INDEX_STARTS_ANY = 1, /* its first byte is not a word byte: it starts at a word start */
    INDEX_ENDS_ANY = 2,   /* its last byte is not a word byte: it ends at a word end */
};

/* Where index_gather() puts what it finds; NULL members are not wanted. */
struct index_sets {
    roaring_bitmap_t *all;    /* every slot's products, extra pieces included */
    roaring_bitmap_t *any;    /* the slots of the field's own pieces */
    roaring_bitmap_t *prefix; /* ... whose suffix starts at a word start */
    roaring_bitmap_t *word;   /* ... and whose byte at depth is not a word byte */
};

/* The products of the slots [lo, hi) of t gathered slot by slot into out;
 * vacuous (INDEX_STARTS_ANY, INDEX_ENDS_ANY) waives either class condition.
 * Returns 0, or -1 when memory runs out. */
int index_gather(const struct index *ix, const struct index_text *t, uint32_t lo, uint32_t hi,
                  uint32_t depth, unsigned vacuous, const struct index_sets *out);

/* Counts each value of filter field f among the products of bm (card of them). */
void index_count_values(const struct index *ix, enum request_field f, const roaring_bitmap_t *bm,
                        size_t card, uint32_t *counts);

/* Ascending order of two uint32_t, for qsort. */
int index_cmp_u32(const void *a, const void *b);

#endif
