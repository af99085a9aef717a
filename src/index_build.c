/* index_build: builds the whole-catalog index (index.c explains the design):
 * the text and its suffix array, the folded value groups, the precomputed
 * sets of broad substrings, and the price orders and tree. */
#include "index.h"

#include <divsufsort.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <roaring/roaring.h>

#include "base.h"
#include "index_impl.h"
#include "index_test.h"

/* The defaults index_build() uses. */
static const struct index_tuning DEFAULT_TUNING = {
    .heavy_min = 2048, /* occurrences from which a substring's products are precomputed */
    .heavy_depth = 24, /* longest query prefix a precomputed set can serve */
    .small_set = 2048, /* sets this small are price-filtered product by product */
};

/* The lower-cased category of product k inside the tables' text. */
static const char *category_text(const struct index *ix, uint32_t k)
{
    return ix->tables->text + ix->tables->offs[k] + index_item(ix, k)->name.len + 1;
}

/* The facet counts of bm for the fields with exact bitmaps; NULL when there
 * are none (or memory runs out: *failed is then set). */
static uint32_t *precount(const struct index *ix, const roaring_bitmap_t *bm, int *failed)
{
    if (ix->fcount == 0)
        return NULL;
    uint32_t *counts = calloc(ix->fcount, sizeof(*counts));
    if (counts == NULL) {
        *failed = 1;
        return NULL;
    }
    size_t card = roaring_bitmap_get_cardinality(bm);
    for (int f = 0; f < REQUEST_FIELD_COUNT; f++)
        if (ix->exact[f] != NULL)
            index_count_values(ix, f, bm, card, counts + ix->foff[f]);
    return counts;
}

/* The heavy sets found while walking the suffix tree, before they go into
 * the index's hash table. */
struct heavy_builder {
    struct index *ix;        /* the index being built */
    uint64_t *keys;          /* each set's slots, (lo << 32 | hi) */
    roaring_bitmap_t **bms;  /* each set's products */
    size_t count;            /* sets found */
    size_t cap;              /* room in keys and bms */
    int failed;              /* memory ran out */
};

static int heavy_push(struct heavy_builder *b, uint32_t lo, uint32_t hi, roaring_bitmap_t *bm)
{
    if (b->count == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        uint64_t *k = realloc(b->keys, cap * sizeof(*k));
        if (k != NULL)
            b->keys = k;
        roaring_bitmap_t **m = realloc(b->bms, cap * sizeof(*m));
        if (m != NULL)
            b->bms = m;
        if (k == NULL || m == NULL)
            return -1;
        b->cap = cap;
    }
    b->keys[b->count] = (uint64_t)lo << 32 | hi;
    b->bms[b->count++] = bm;
    return 0;
}

/* First slot in (i, hi] whose suffix's byte at depth is above c (galloping). */
static uint32_t run_end(const struct index *ix, uint32_t i, uint32_t hi, uint32_t depth,
                        unsigned c)
{
    uint32_t lo = i + 1, step = 1;
    while (lo < hi && ix->text[(uint32_t)ix->sa[lo] + depth] <= c) {
        lo += step;
        step *= 2;
    }
    uint32_t top = lo < hi ? lo : hi;
    lo = lo - step / 2 > i + 1 ? lo - step / 2 : i + 1; /* last slot known <= c, plus one */
    if (step == 1)
        return lo;
    while (lo < top) {
        uint32_t mid = lo + (top - lo) / 2;
        if (ix->text[(uint32_t)ix->sa[mid] + depth] <= c)
            lo = mid + 1;
        else
            top = mid;
    }
    return lo;
}

/* Builds and stores the product set of the suffix tree node whose slots are
 * [lo, hi), its suffixes sharing more than parent_depth bytes, bottom-up:
 * heavy children first, then the loose slots. NULL when memory runs out. */
static roaring_bitmap_t *build_node(struct heavy_builder *b, uint32_t lo, uint32_t hi,
                                    uint32_t parent_depth)
{
    struct index *ix = b->ix;
    const unsigned char *x = ix->text + ix->sa[lo], *y = ix->text + ix->sa[hi - 1];
    uint32_t depth = parent_depth + 1;
    while (x[depth] != 0 && x[depth] == y[depth])
        depth++;
    roaring_bitmap_t *bm = roaring_bitmap_create();
    if (bm == NULL)
        return NULL;
    for (uint32_t i = lo; i < hi;) {
        unsigned c = ix->text[(uint32_t)ix->sa[i] + depth];
        uint32_t j = run_end(ix, i, hi, depth, c);
        if (c != 0 && j - i >= ix->tune.heavy_min && depth < ix->tune.heavy_depth) {
            roaring_bitmap_t *child = build_node(b, i, j, depth);
            if (child == NULL) {
                index_bm_free(bm);
                return NULL;
            }
            roaring_bitmap_or_inplace(bm, child);
        } else {
            index_add_slots(ix, bm, i, j);
        }
        i = j;
    }
    roaring_bitmap_shrink_to_fit(bm);
    if (heavy_push(b, lo, hi, bm) != 0) {
        index_bm_free(bm);
        return NULL;
    }
    return bm;
}

static int build_heavy(struct index *ix)
{
    struct heavy_builder b = {ix, NULL, NULL, 0, 0, 0};
    int ret = -1;
    for (unsigned c = 1; c < 256; c++) {
        uint32_t lo = ix->bucket[c << 8], hi = ix->bucket[(c + 1) << 8];
        if (hi - lo >= ix->tune.heavy_min && build_node(&b, lo, hi, 0) == NULL)
            goto out;
    }
    size_t cap = 16;
    while (cap < b.count * 2)
        cap *= 2;
    ix->heavy_key = calloc(cap, sizeof(*ix->heavy_key));
    ix->heavy_set = calloc(cap, sizeof(*ix->heavy_set));
    ix->heavy_counts = calloc(cap, sizeof(*ix->heavy_counts));
    if (ix->heavy_key == NULL || ix->heavy_set == NULL || ix->heavy_counts == NULL)
        goto out;
    ix->heavy_mask = cap - 1;
    for (size_t i = 0; i < b.count; i++) {
        uint64_t key = b.keys[i];
        size_t h = (size_t)(key * 0x9E3779B97F4A7C15ull >> 20) & ix->heavy_mask;
        while (ix->heavy_key[h] != 0)
            h = (h + 1) & ix->heavy_mask;
        ix->heavy_key[h] = key;
        ix->heavy_set[h] = b.bms[i];
        b.bms[i] = NULL;
        ix->heavy_counts[h] = precount(ix, ix->heavy_set[h], &b.failed);
        if (b.failed)
            goto out;
        ix->bytes += roaring_bitmap_size_in_bytes(ix->heavy_set[h]) + ix->fcount * sizeof(uint32_t);
    }
    ix->nheavy = b.count;
    ix->bytes += cap * (sizeof(*ix->heavy_key) + sizeof(*ix->heavy_set));
    b.count = 0;
    ret = 0;
out:
    for (size_t i = 0; i < b.count; i++)
        index_bm_free(b.bms[i]);
    free(b.keys);
    free(b.bms);
    return ret;
}

/* The lower-cased text, its suffix array and each slot's owner. */
static int build_text(struct index *ix)
{
    const struct tables *t = ix->tables;
    const struct tables_values *cv = index_values(ix, REQUEST_CATEGORY);
    uint32_t nseg = ix->n + cv->nfolded; /* pieces of text: names, then categories */
    size_t tlen = 0;
    for (uint32_t k = 0; k < ix->n; k++)
        tlen += index_item(ix, k)->name.len + 1;
    for (uint32_t f = 0; f < cv->nfolded; f++)
        tlen += index_item(ix, cv->fold_rep[f])->category.len + 1;
    if (tlen > (size_t)INT32_MAX - INDEX_PAD)
        return -1;
    ix->tlen = (uint32_t)tlen;
    ix->text = calloc(tlen + INDEX_PAD, 1);
    ix->sa = malloc((tlen ? tlen : 1) * sizeof(*ix->sa));
    ix->owner = malloc((tlen ? tlen : 1) * sizeof(*ix->owner));
    ix->bucket = calloc(65537, sizeof(*ix->bucket));
    /* Piece j (its owner in owner[]: product j, or n + folded category) starts
     * at start[j]; blk[b] is the piece holding byte b * 16. */
    uint32_t *start = malloc(((size_t)nseg + 1) * sizeof(*start));
    uint32_t *blk = malloc((tlen / 16 + 1) * sizeof(*blk));
    int ret = -1;
    if (ix->text == NULL || ix->sa == NULL || ix->owner == NULL || ix->bucket == NULL ||
        start == NULL || blk == NULL)
        goto out;
    size_t w = 0;
    for (uint32_t j = 0; j < nseg; j++) {
        uint32_t k = j < ix->n ? j : cv->fold_rep[j - ix->n];
        size_t len = j < ix->n ? index_item(ix, k)->name.len : index_item(ix, k)->category.len;
        memcpy(ix->text + w, j < ix->n ? t->text + t->offs[k] : category_text(ix, k), len);
        start[j] = (uint32_t)w;
        for (size_t b = (w + 15) / 16; b * 16 <= w + len; b++)
            blk[b] = j;
        w += len + 1; /* the NUL is already there */
    }
    start[nseg] = (uint32_t)w;
    if (tlen > 0 && divsufsort(ix->text, ix->sa, (saidx_t)tlen) != 0)
        goto out;
    /* The owner of each slot, from blk[] and start[] (a sixteenth of the
     * text's size) rather than a per-byte owner array (four times its size),
     * which also made the build faster (docs/performance.md). */
    for (size_t i = 0; i < tlen; i++) {
        uint32_t pos = (uint32_t)ix->sa[i], j = blk[pos / 16];
        while (start[j + 1] <= pos)
            j++;
        ix->owner[i] = j;
    }
    for (size_t i = 0; i < tlen; i++)
        ix->bucket[((unsigned)ix->text[i] << 8 | ix->text[i + 1]) + 1]++;
    for (unsigned key = 0; key < 65536; key++)
        ix->bucket[key + 1] += ix->bucket[key];
    ix->bytes += tlen + INDEX_PAD + tlen * (sizeof(*ix->sa) + sizeof(*ix->owner)) +
                 65537 * sizeof(*ix->bucket);
    ret = 0;
out:
    free(start);
    free(blk);
    return ret;
}

/* Products grouped by folded value (filters, category matches) and, for
 * fields with few values, one bitmap per exact value (facets). */
static int build_values(struct index *ix)
{
    for (int field = 0; field < REQUEST_FIELD_COUNT; field++) {
        const struct tables_values *v = index_values(ix, field);
        struct index_folds *fo = &ix->fold[field];
        fo->start = calloc((size_t)v->nfolded + 1, sizeof(*fo->start));
        fo->member = malloc((ix->n ? ix->n : 1) * sizeof(*fo->member));
        fo->bm = calloc(v->nfolded ? v->nfolded : 1, sizeof(*fo->bm));
        if (fo->start == NULL || fo->member == NULL || fo->bm == NULL)
            return -1;
        for (uint32_t k = 0; k < ix->n; k++)
            fo->start[v->folded[v->of[k]] + 1]++;
        for (uint32_t f = 0; f < v->nfolded; f++)
            fo->start[f + 1] += fo->start[f];
        uint32_t *fill = malloc(((size_t)v->nfolded + 1) * sizeof(*fill));
        if (fill == NULL)
            return -1;
        memcpy(fill, fo->start, ((size_t)v->nfolded + 1) * sizeof(*fill));
        for (uint32_t k = 0; k < ix->n; k++)
            fo->member[fill[v->folded[v->of[k]]]++] = k;
        free(fill);
        ix->bytes += ((size_t)v->nfolded + 1) * sizeof(*fo->start) + ix->n * sizeof(*fo->member);
        for (uint32_t f = 0; f < v->nfolded; f++) {
            uint32_t cnt = fo->start[f + 1] - fo->start[f];
            if (cnt < INDEX_FOLD_BITMAP_MIN)
                continue;
            fo->bm[f] = roaring_bitmap_of_ptr(cnt, fo->member + fo->start[f]);
            if (fo->bm[f] == NULL)
                return -1;
            roaring_bitmap_run_optimize(fo->bm[f]);
            ix->bytes += roaring_bitmap_size_in_bytes(fo->bm[f]);
        }
        if (v->count > INDEX_FACET_BITMAPS)
            continue;
        ix->exact[field] = calloc(v->count ? v->count : 1, sizeof(*ix->exact[field]));
        if (ix->exact[field] == NULL)
            return -1;
        for (uint32_t i = 0; i < v->count; i++)
            if ((ix->exact[field][i] = roaring_bitmap_create()) == NULL)
                return -1;
        for (uint32_t k = 0; k < ix->n; k++)
            roaring_bitmap_add(ix->exact[field][v->of[k]], k);
        for (uint32_t i = 0; i < v->count; i++) {
            roaring_bitmap_run_optimize(ix->exact[field][i]);
            roaring_bitmap_shrink_to_fit(ix->exact[field][i]);
            ix->bytes += roaring_bitmap_size_in_bytes(ix->exact[field][i]);
        }
        ix->foff[field] = ix->fcount;
        ix->fcount += v->count;
    }
    /* Filtering on one value is common (browsing a category): its facets are counted here. */
    int failed = 0;
    for (int field = 0; field < REQUEST_FIELD_COUNT && ix->fcount > 0; field++) {
        struct index_folds *fo = &ix->fold[field];
        uint32_t nf = index_values(ix, field)->nfolded;
        fo->counts = calloc(nf ? nf : 1, sizeof(*fo->counts));
        if (fo->counts == NULL)
            return -1;
        for (uint32_t f = 0; f < nf && !failed; f++)
            if (fo->bm[f] != NULL) {
                fo->counts[f] = precount(ix, fo->bm[f], &failed);
                ix->bytes += ix->fcount * sizeof(uint32_t);
            }
    }
    return failed ? -1 : 0;
}

/* A product and its price, sorted by price, then id (ties by id, as the
 * contract says), then position. */
struct priced {
    uint64_t price;
    uint64_t id;
    uint32_t k;
};

static int by_price_asc(const void *a, const void *b)
{
    const struct priced *x = a, *y = b;
    if (x->price != y->price)
        return x->price < y->price ? -1 : 1;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return (x->k > y->k) - (x->k < y->k);
}

/* Price orders, ranks, and the price tree. */
static int build_prices(struct index *ix)
{
    uint32_t n = ix->n;
    for (int dir = 0; dir < 2; dir++) {
        ix->order[dir] = malloc((n ? n : 1) * sizeof(uint32_t));
        ix->rank[dir] = malloc((n ? n : 1) * sizeof(uint32_t));
        if (ix->order[dir] == NULL || ix->rank[dir] == NULL)
            return -1;
    }
    struct priced *pr = malloc((n ? n : 1) * sizeof(*pr));
    if (pr == NULL)
        return -1;
    for (uint32_t k = 0; k < n; k++)
        pr[k] = (struct priced){index_item(ix, k)->price_cents, index_item(ix, k)->id, k};
    qsort(pr, n, sizeof(*pr), by_price_asc);
    for (uint32_t r = 0; r < n; r++)
        ix->order[0][r] = pr[r].k;
    free(pr);
    /* Descending: the ascending order's runs of equal prices, last run first,
     * each run kept in its (id) order. */
    uint32_t w = 0;
    for (uint32_t end = n; end > 0;) {
        uint32_t start = end - 1;
        uint64_t p = index_item(ix, ix->order[0][start])->price_cents;
        while (start > 0 && index_item(ix, ix->order[0][start - 1])->price_cents == p)
            start--;
        for (uint32_t r = start; r < end; r++)
            ix->order[1][w++] = ix->order[0][r];
        end = start;
    }
    for (int dir = 0; dir < 2; dir++)
        for (uint32_t r = 0; r < n; r++)
            ix->rank[dir][ix->order[dir][r]] = r;
    ix->bytes += 4 * (size_t)n * sizeof(uint32_t);

    uint32_t nodes = (n + INDEX_PRICE_BLOCK - 1) / INDEX_PRICE_BLOCK;
    for (unsigned l = 0; nodes > 0 && l < INDEX_PRICE_LEVELS; l++) {
        ix->seg[l] = calloc(nodes, sizeof(*ix->seg[l]));
        if (ix->seg[l] == NULL)
            return -1;
        ix->nseg[l] = nodes;
        ix->nlevels = l + 1;
        for (uint32_t j = 0; j < nodes; j++) {
            if (l == 0) {
                uint32_t a = j * INDEX_PRICE_BLOCK, b = a + INDEX_PRICE_BLOCK < n ? a + INDEX_PRICE_BLOCK : n;
                uint32_t buf[INDEX_PRICE_BLOCK];
                memcpy(buf, ix->order[0] + a, (b - a) * sizeof(*buf));
                qsort(buf, b - a, sizeof(*buf), index_cmp_u32);
                ix->seg[l][j] = roaring_bitmap_of_ptr(b - a, buf);
            } else if (2 * j + 1 < ix->nseg[l - 1]) {
                ix->seg[l][j] = roaring_bitmap_or(ix->seg[l - 1][2 * j], ix->seg[l - 1][2 * j + 1]);
            } else {
                ix->seg[l][j] = roaring_bitmap_copy(ix->seg[l - 1][2 * j]);
            }
            if (ix->seg[l][j] == NULL)
                return -1;
            roaring_bitmap_shrink_to_fit(ix->seg[l][j]);
            ix->bytes += roaring_bitmap_size_in_bytes(ix->seg[l][j]);
        }
        if (nodes == 1)
            break;
        nodes = (nodes + 1) / 2;
    }
    return 0;
}

struct index *index_build(const struct tables *t, const atomic_bool *stop)
{
    return index_build_tuned(t, &DEFAULT_TUNING, stop);
}

static bool stopped(const atomic_bool *stop)
{
    return stop != NULL && atomic_load_explicit(stop, memory_order_relaxed);
}

struct index *index_build_tuned(const struct tables *t, const struct index_tuning *tune,
                                const atomic_bool *stop)
{
    uint64_t t0 = clock_ns();
    if (t->count > UINT32_MAX / 2 || t->scanned < t->count)
        return NULL; /* the index reads every product's scan text */
    struct index *ix = calloc(1, sizeof(*ix));
    if (ix == NULL)
        return NULL;
    ix->tables = t;
    ix->tune = *tune;
    if (ix->tune.heavy_min < 2)
        ix->tune.heavy_min = 2;
    ix->n = (uint32_t)t->count;
    ix->bytes = sizeof(*ix);
    /* Each step is checked against stop, so a shutdown waits for one step
     * at most (the suffix array sort is the longest). */
    if (stopped(stop) || build_text(ix) != 0 || stopped(stop) || build_values(ix) != 0 ||
        stopped(stop) || build_heavy(ix) != 0 || stopped(stop) || build_prices(ix) != 0) {
        index_destroy(ix);
        return NULL;
    }
    ix->build_s = (double)(clock_ns() - t0) / 1e9;
    return ix;
}

void index_destroy(struct index *ix)
{
    if (ix == NULL)
        return;
    free(ix->text);
    free(ix->sa);
    free(ix->owner);
    free(ix->bucket);
    if (ix->heavy_set != NULL)
        for (size_t h = 0; h <= ix->heavy_mask; h++)
            index_bm_free(ix->heavy_set[h]);
    if (ix->heavy_counts != NULL)
        for (size_t h = 0; h <= ix->heavy_mask; h++)
            free(ix->heavy_counts[h]);
    free(ix->heavy_key);
    free(ix->heavy_set);
    free(ix->heavy_counts);
    for (int field = 0; field < REQUEST_FIELD_COUNT; field++) {
        struct index_folds *fo = &ix->fold[field];
        for (uint32_t f = 0; f < index_values(ix, field)->nfolded; f++) {
            if (fo->bm != NULL)
                index_bm_free(fo->bm[f]);
            if (fo->counts != NULL)
                free(fo->counts[f]);
        }
        free(fo->bm);
        free(fo->counts);
        free(fo->start);
        free(fo->member);
        if (ix->exact[field] != NULL)
            for (uint32_t i = 0; i < index_values(ix, field)->count; i++)
                index_bm_free(ix->exact[field][i]);
        free(ix->exact[field]);
    }
    for (int dir = 0; dir < 2; dir++) {
        free(ix->order[dir]);
        free(ix->rank[dir]);
    }
    for (unsigned l = 0; l < ix->nlevels; l++) {
        for (uint32_t j = 0; j < ix->nseg[l]; j++)
            index_bm_free(ix->seg[l][j]);
        free(ix->seg[l]);
    }
    free(ix);
}
