/* index: answering a request from the whole-catalog index (index_impl.h
 * holds its layout, index_build.c builds it).
 *
 * It answers every request over the whole catalog exactly as the reference
 * does (substrings with ASCII case folding inside a name or a category,
 * filters, price ranges, price sort with offset, facets), and a broad query
 * ("product" holds in every product, "a" in 95 % of them) must cost no more
 * than a narrow one, with an exact total, and without a cache of answers.
 *
 * Design (the measurements behind each choice are in docs/performance.md,
 * "Whole-catalog search"):
 *
 * - Text: one suffix array (libdivsufsort) over the lower-cased names, each
 *   NUL-terminated, then each distinct lower-cased category once. A term's
 *   occurrences are one range of the array: a 65,536-slot table of 2-byte
 *   prefixes narrows it, two binary searches finish. A category is indexed
 *   once, not once per product; an occurrence there stands for every product
 *   of that folded category, whose set the filters need anyway. owner[]
 *   holds each slot's product, so gathering a range reads memory in order.
 * - Broad terms: a term's range is the leaf range of one suffix-tree node.
 *   Nodes with at least heavy_min slots, reachable by a query of at most
 *   heavy_depth bytes, get their exact product set precomputed as a CRoaring
 *   bitmap, built bottom-up (children OR'ed into the parent, loose slots
 *   added), found by (lo, hi) in a hash table; with facet counts for fields
 *   of at most 64 values. Smaller heavy_min values cost memory and gained
 *   nothing measurable on the text mix, so 2,048; smaller ranges are
 *   gathered into a bitmap. A broad query then costs a hash lookup, and a
 *   facet of one a copy of its stored counts.
 * - match=all: the terms' sets intersected, smallest first.
 * - Filters: per lower-cased value its products, and a bitmap when it has 64
 *   or more (borrowed as is for a one-value filter, with its facet counts).
 * - Price: products ordered by (price, id) ascending and descending, each
 *   product's rank in both. A price range is a range of ranks: a tree of
 *   bitmaps over blocks of 256 ranks gives it as at most two nodes a level
 *   plus two partial blocks; sets of at most small_set products are tested
 *   product by product through the ranks instead. sort=price walks the
 *   price order testing membership when the expected probes ((offset +
 *   limit) x window / matches) are fewer than four a match; otherwise it
 *   extracts the set and selects the page by rank.
 * - Facets: stored counts when the set is a precomputed one; otherwise one
 *   and_cardinality per value for large sets of a field with few values,
 *   counting product by product for the rest.
 *
 * The build runs on its own thread once the listener is up (search.c), and
 * the reference answers until the index is published, so readiness does not
 * wait for it.
 *
 * Not chosen: n-gram posting lists with verification (Zoekt, Google Code
 * Search) verify every candidate, and for "product" or "a" every product is
 * a candidate: that is the scan, thousands of times slower on such queries
 * than one lookup here.
 */
#include "index.h"

#include <stdlib.h>
#include <string.h>

#include <roaring/roaring.h>

#include "index_impl.h"

/* ---- sets of products ---------------------------------------------------- */

/* Adds to bm the products of folded value f of field. */
static void add_folded(const struct index *ix, roaring_bitmap_t *bm, int field, uint32_t f)
{
    const struct index_folds *fo = &ix->fold[field];
    if (fo->bm[f] != NULL)
        roaring_bitmap_or_inplace(bm, fo->bm[f]);
    else
        roaring_bitmap_add_many(bm, fo->start[f + 1] - fo->start[f], fo->member + fo->start[f]);
}

/* Adds to bm the products owning suffix array slots [lo, hi). */
void index_add_slots(const struct index *ix, roaring_bitmap_t *bm, uint32_t lo, uint32_t hi)
{
    uint32_t buf[INDEX_CHUNK];
    uint32_t last_cat = UINT32_MAX;
    while (lo < hi) {
        uint32_t end = hi - lo > INDEX_CHUNK ? lo + INDEX_CHUNK : hi;
        size_t m = 0;
        for (uint32_t i = lo; i < end; i++) {
            uint32_t k = ix->owner[i];
            if (k < ix->n) {
                buf[m++] = k;
            } else if (k - ix->n != last_cat) {
                last_cat = k - ix->n;
                add_folded(ix, bm, REQUEST_CATEGORY, last_cat);
            }
        }
        roaring_bitmap_add_many(bm, m, buf);
        lo = end;
    }
}

/* Suffix array slots [*lo, *hi) of the suffixes starting with p (m >= 1 bytes). */
static void find_range(const struct index *ix, const unsigned char *p, size_t m, uint32_t *lo,
                       uint32_t *hi)
{
    if (m == 1) {
        *lo = ix->bucket[(unsigned)p[0] << 8];
        *hi = ix->bucket[((unsigned)p[0] + 1) << 8];
        return;
    }
    unsigned key = (unsigned)p[0] << 8 | p[1];
    uint32_t a = ix->bucket[key], b = ix->bucket[key + 1];
    if (m > 2 && a < b) {
        const unsigned char *t = ix->text + 2;
        uint32_t l = a, h = b;
        while (l < h) { /* first slot whose suffix is >= p */
            uint32_t mid = l + (h - l) / 2;
            if (memcmp(t + ix->sa[mid], p + 2, m - 2) < 0)
                l = mid + 1;
            else
                h = mid;
        }
        a = l;
        h = b;
        while (l < h) { /* first slot whose suffix does not start with p */
            uint32_t mid = l + (h - l) / 2;
            if (memcmp(t + ix->sa[mid], p + 2, m - 2) <= 0)
                l = mid + 1;
            else
                h = mid;
        }
        b = l;
    }
    *lo = a;
    *hi = b;
}

/* A set being narrowed: cur is what it holds; own is cur when this request
 * owns it (and must free it), NULL while cur is borrowed from the index. */
struct set {
    const roaring_bitmap_t *cur; /* the products */
    roaring_bitmap_t *own;       /* cur when owned, NULL when borrowed */
    const uint32_t *counts;      /* facet counts of cur when precomputed, else NULL */
};

/* The precomputed set of slots [lo, hi) into s (borrowed); false when there is none. */
static bool heavy_find(const struct index *ix, uint32_t lo, uint32_t hi, struct set *s)
{
    if (ix->heavy_key == NULL)
        return false;
    uint64_t key = (uint64_t)lo << 32 | hi;
    for (size_t h = (size_t)(key * 0x9E3779B97F4A7C15ull >> 20) & ix->heavy_mask;;
         h = (h + 1) & ix->heavy_mask) {
        if (ix->heavy_key[h] == key) {
            s->cur = ix->heavy_set[h];
            s->own = NULL;
            s->counts = ix->heavy_counts[h];
            return true;
        }
        if (ix->heavy_key[h] == 0)
            return false;
    }
}

static void set_free(struct set *s)
{
    index_bm_free(s->own);
    s->own = NULL;
    s->cur = NULL;
    s->counts = NULL;
}

static void set_take(struct set *s, roaring_bitmap_t *bm)
{
    index_bm_free(s->own);
    s->own = bm;
    s->cur = bm;
    s->counts = NULL;
}

/* Narrows s to its intersection with with. Returns 0, or -1 out of memory. */
static int set_and(struct set *s, const roaring_bitmap_t *with)
{
    s->counts = NULL;
    if (s->own != NULL) {
        roaring_bitmap_and_inplace(s->own, with);
        return 0;
    }
    roaring_bitmap_t *r = roaring_bitmap_and(s->cur, with);
    if (r == NULL)
        return -1;
    set_take(s, r);
    return 0;
}

/* The products whose name or category holds term p (m bytes, lower-cased). */
static int term_set(const struct index *ix, const unsigned char *p, size_t m, struct set *s)
{
    uint32_t lo, hi;
    find_range(ix, p, m, &lo, &hi);
    s->own = NULL;
    s->counts = NULL;
    if (hi - lo >= ix->tune.heavy_min && heavy_find(ix, lo, hi, s))
        return 0;
    /* Only one category holds the term ("beauty"): its bitmap, borrowed. */
    uint32_t cat = lo < hi && ix->owner[lo] >= ix->n ? ix->owner[lo] - ix->n : UINT32_MAX;
    for (uint32_t i = lo + 1; i < hi && cat != UINT32_MAX; i++)
        if (ix->owner[i] != ix->n + cat)
            cat = UINT32_MAX;
    const struct index_folds *fo = &ix->fold[REQUEST_CATEGORY];
    if (cat != UINT32_MAX && fo->bm[cat] != NULL) {
        s->cur = fo->bm[cat];
        s->counts = fo->counts != NULL ? fo->counts[cat] : NULL;
        return 0;
    }
    roaring_bitmap_t *bm = roaring_bitmap_create();
    if (bm == NULL)
        return -1;
    index_add_slots(ix, bm, lo, hi);
    set_take(s, bm);
    return 0;
}
/* The products whose field equals one of the filter's values, ignoring ASCII
 * case, into s: borrowed (with its facet counts) when that is one value with
 * a bitmap, built otherwise. Returns 0, or -1 out of memory. */
static int filter_set(const struct index *ix, int field, const struct request_filter *f,
                      struct set *s)
{
    uint32_t ids[REQUEST_MAX_VALUES];
    size_t n = 0;
    for (size_t i = 0; i < f->count; i++) {
        uint32_t id = tables_fold_find(ix->tables, request_catalog_field(field), f->value[i], f->len[i]);
        if (id != UINT32_MAX)
            ids[n++] = id;
    }
    const struct index_folds *fo = &ix->fold[field];
    s->own = NULL;
    s->counts = NULL;
    if (n == 1 && fo->bm[ids[0]] != NULL) {
        s->cur = fo->bm[ids[0]];
        s->counts = fo->counts != NULL ? fo->counts[ids[0]] : NULL;
        return 0;
    }
    roaring_bitmap_t *bm = roaring_bitmap_create();
    if (bm == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        add_folded(ix, bm, field, ids[i]);
    set_take(s, bm);
    return 0;
}

/* ---- price --------------------------------------------------------------- */

/* First slot of order[dir] whose price is past bound: for ascending, the first
 * price > bound (strict) or >= bound; for descending, the first < or <=. */
static uint32_t price_bound(const struct index *ix, int dir, uint64_t bound, int strict)
{
    uint32_t lo = 0, hi = ix->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        uint64_t p = index_item(ix, ix->order[dir][mid])->price_cents;
        int before = dir == 0 ? (strict ? p <= bound : p < bound)
                              : (strict ? p >= bound : p > bound);
        if (before)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The products of ascending price ranks [ra, rb), from the price tree. */
static roaring_bitmap_t *price_set(const struct index *ix, uint32_t ra, uint32_t rb)
{
    roaring_bitmap_t *p = roaring_bitmap_create();
    if (p == NULL)
        return NULL;
    uint32_t b1 = (ra + INDEX_PRICE_BLOCK - 1) / INDEX_PRICE_BLOCK, b2 = rb / INDEX_PRICE_BLOCK;
    if (b1 >= b2) {
        roaring_bitmap_add_many(p, rb - ra, ix->order[0] + ra);
        return p;
    }
    roaring_bitmap_add_many(p, b1 * INDEX_PRICE_BLOCK - ra, ix->order[0] + ra);
    roaring_bitmap_add_many(p, rb - b2 * INDEX_PRICE_BLOCK, ix->order[0] + (size_t)b2 * INDEX_PRICE_BLOCK);
    const roaring_bitmap_t *parts[2 * INDEX_PRICE_LEVELS + 1];
    size_t np = 0;
    parts[np++] = p;
    for (unsigned l = 0; b1 < b2 && l < ix->nlevels; l++) {
        if (b1 & 1)
            parts[np++] = ix->seg[l][b1++];
        if (b2 & 1)
            parts[np++] = ix->seg[l][--b2];
        b1 >>= 1;
        b2 >>= 1;
    }
    roaring_bitmap_t *all = roaring_bitmap_or_many(np, parts);
    index_bm_free(p);
    return all;
}

/* ---- answering ------------------------------------------------------------ */

int index_cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Moves the k smallest of a[0..n) to a[0..k), in any order (k < n). */
static void select_smallest(uint32_t *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n; /* the k-th smallest lies in a[lo..hi) */
    while (hi - lo > 16) {
        uint32_t x = a[lo], y = a[lo + (hi - lo) / 2], z = a[hi - 1];
        uint32_t pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        size_t i = lo, j = hi - 1;
        for (;;) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i >= j)
                break;
            uint32_t t = a[i];
            a[i++] = a[j];
            a[j--] = t;
        }
        if (k <= j)
            hi = j + 1;
        else
            lo = j + 1;
    }
    qsort(a + lo, hi - lo, sizeof(*a), index_cmp_u32);
}

/* Lists out->item for sort by price (dir 0 ascending, 1 descending), products
 * of s, whose slots in order[dir] lie in [wa, wb). */
static int list_by_price(const struct index *ix, const struct request *req,
                         const roaring_bitmap_t *s, size_t card, int dir, uint32_t wa,
                         uint32_t wb, struct result *out)
{
    size_t need = req->offset + req->limit < card ? req->offset + req->limit : card;
    const uint32_t *order = ix->order[dir];
    /* Walking the price order finds about card / (wb - wa) members per slot. */
    double walk = (double)need * (double)(wb - wa) / (double)card;
    if (walk < 4.0 * (double)card) {
        size_t seen = 0;
        for (uint32_t r = wa; r < wb && seen < need; r++) {
            if (roaring_bitmap_contains(s, order[r])) {
                if (seen >= req->offset)
                    out->item[out->count++] = order[r];
                seen++;
            }
        }
        return 0;
    }
    uint32_t *keys = malloc(card * sizeof(*keys));
    if (keys == NULL)
        return -1;
    roaring_bitmap_to_uint32_array(s, keys);
    for (size_t i = 0; i < card; i++)
        keys[i] = ix->rank[dir][keys[i]];
    if (need < card)
        select_smallest(keys, card, need);
    qsort(keys, need, sizeof(*keys), index_cmp_u32);
    for (size_t i = req->offset; i < need; i++)
        out->item[out->count++] = order[keys[i]];
    free(keys);
    return 0;
}

static int cmp_facet(const void *a, const void *b)
{
    const uint32_t *x = a, *y = b; /* {value id, count} */
    if (x[1] != y[1])
        return x[1] > y[1] ? -1 : 1;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

/* Counts each value of field among the products of bm into counts: by
 * intersecting with each value's bitmap when the set is large and the values
 * few, product by product otherwise (about 2 ns a product against a few
 * microseconds a value, measured at 100,000 products). */
void index_count_values(const struct index *ix, enum request_field field, const roaring_bitmap_t *bm,
                         size_t card, uint32_t *counts)
{
    const struct tables_values *v = index_values(ix, field);
    if (ix->exact[field] != NULL && card > (size_t)v->count * 2000) {
        for (uint32_t i = 0; i < v->count; i++)
            counts[i] = (uint32_t)roaring_bitmap_and_cardinality(bm, ix->exact[field][i]);
        return;
    }
    roaring_uint32_iterator_t it;
    uint32_t buf[INDEX_CHUNK];
    roaring_init_iterator(bm, &it);
    uint32_t got;
    while ((got = roaring_read_uint32_iterator(&it, buf, INDEX_CHUNK)) > 0)
        for (uint32_t i = 0; i < got; i++)
            counts[v->of[buf[i]]]++;
}

/* Fills out's facet of field: the count of each value among s, taken from
 * the precomputed counts when s has them. */
static int count_facet(const struct index *ix, int field, const struct set *s, size_t card,
                       struct result *out)
{
    const struct tables_values *v = index_values(ix, field);
    uint32_t *counts = calloc(v->count ? v->count : 1, sizeof(*counts));
    if (counts == NULL)
        return -1;
    if (s->counts != NULL && ix->exact[field] != NULL)
        memcpy(counts, s->counts + ix->foff[field], v->count * sizeof(*counts));
    else
        index_count_values(ix, field, s->cur, card, counts);
    uint32_t (*pairs)[2] = malloc((v->count ? v->count : 1) * sizeof(*pairs));
    if (pairs == NULL) {
        free(counts);
        return -1;
    }
    size_t np = 0;
    for (uint32_t i = 0; i < v->count; i++)
        if (counts[i] > 0) {
            pairs[np][0] = i;
            pairs[np++][1] = counts[i];
        }
    qsort(pairs, np, sizeof(*pairs), cmp_facet);
    if (np > REQUEST_MAX_FACET_VALUES)
        np = REQUEST_MAX_FACET_VALUES;
    for (size_t i = 0; i < np; i++) {
        out->facet[field][i].product = v->rep[pairs[i][0]];
        out->facet[field][i].count = pairs[i][1];
    }
    out->nfacet[field] = np;
    free(pairs);
    free(counts);
    return 0;
}

static int cmp_card(const void *a, const void *b)
{
    const struct set *x = a, *y = b;
    uint64_t p = roaring_bitmap_get_cardinality(x->cur), q = roaring_bitmap_get_cardinality(y->cur);
    return (p > q) - (p < q);
}

/* The products passing the text test: one term's set, or the intersection
 * of every term's set with match=all. */
static int text_set(const struct index *ix, const struct request *req, struct set *s)
{
    const unsigned char *q = (const unsigned char *)req->text;
    if (req->match == REQUEST_MATCH_PHRASE || req->nterms <= 1)
        return term_set(ix, q, req->text_len, s);
    struct set terms[REQUEST_MAX_TERMS];
    size_t nt = 0;
    int ret = -1;
    for (size_t t = 0; t < req->nterms; t++) {
        if (term_set(ix, q + req->term_off[t], req->term_len[t], &terms[nt]) != 0)
            goto out;
        nt++;
    }
    qsort(terms, nt, sizeof(terms[0]), cmp_card);
    *s = terms[0];
    terms[0].own = NULL;
    for (size_t t = 1; t < nt && roaring_bitmap_get_cardinality(s->cur) > 0; t++)
        if (set_and(s, terms[t].cur) != 0)
            goto out;
    ret = 0;
out:
    for (size_t t = 0; t < nt; t++)
        set_free(&terms[t]);
    return ret;
}

int index_run(const struct index *ix, const struct request *req, struct result *out)
{
    struct set s = {NULL, NULL, NULL};
    int ret = -1;
    out->count = 0;
    out->total_found = 0;
    out->checked = ix->n;
    out->facets = req->facets;
    for (int f = 0; f < REQUEST_FIELD_COUNT; f++)
        out->nfacet[f] = 0;

    bool have = false; /* s holds something; until then it stands for every product */
    if (req->has_text) {
        if (text_set(ix, req, &s) != 0)
            goto out;
        have = true;
    }
    for (int f = 0; f < REQUEST_FIELD_COUNT; f++) {
        if (req->filter[f].count == 0)
            continue;
        struct set fs = {NULL, NULL, NULL};
        if (filter_set(ix, f, &req->filter[f], have ? &fs : &s) != 0)
            goto out;
        if (have) {
            int bad = set_and(&s, fs.cur);
            set_free(&fs);
            if (bad)
                goto out;
        }
        have = true;
    }
    if (!have) {
        roaring_bitmap_t *all = ix->n ? roaring_bitmap_from_range(0, ix->n, 1)
                                      : roaring_bitmap_create();
        if (all == NULL)
            goto out;
        set_take(&s, all);
    }
    /* [order][0, 1): the ranks [from, to) in order[0] (ascending) and order[1]
     * (descending) whose prices lie within the request's range */
    uint32_t price_window[2][2] = {{0, ix->n}, {0, ix->n}};
    if (req->min_price > 0 || req->max_price != UINT64_MAX) {
        price_window[0][0] = price_bound(ix, 0, req->min_price, 0);
        price_window[0][1] = price_bound(ix, 0, req->max_price, 1);
        price_window[1][0] = price_bound(ix, 1, req->max_price, 0);
        price_window[1][1] = price_bound(ix, 1, req->min_price, 1);
        uint32_t ra = price_window[0][0], rb = price_window[0][1] > ra ? price_window[0][1] : ra;
        size_t card = roaring_bitmap_get_cardinality(s.cur);
        if (card <= ix->tune.small_set) {
            uint32_t *keep = malloc((card ? card : 1) * sizeof(*keep));
            if (keep == NULL)
                goto out;
            roaring_bitmap_to_uint32_array(s.cur, keep);
            size_t m = 0;
            for (size_t i = 0; i < card; i++)
                if (ix->rank[0][keep[i]] >= ra && ix->rank[0][keep[i]] < rb)
                    keep[m++] = keep[i];
            roaring_bitmap_t *bm = roaring_bitmap_of_ptr(m, keep);
            free(keep);
            if (bm == NULL)
                goto out;
            set_take(&s, bm);
        } else if (ra > 0 || rb < ix->n) {
            roaring_bitmap_t *p = price_set(ix, ra, rb);
            if (p == NULL)
                goto out;
            int bad = set_and(&s, p);
            index_bm_free(p);
            if (bad)
                goto out;
        }
    }

    size_t card = roaring_bitmap_get_cardinality(s.cur);
    out->total_found = card;
    if (req->offset < card) {
        if (req->sort == REQUEST_SORT_ID) {
            uint32_t first;
            roaring_uint32_iterator_t it;
            roaring_bitmap_select(s.cur, (uint32_t)req->offset, &first);
            roaring_init_iterator(s.cur, &it);
            roaring_move_uint32_iterator_equalorlarger(&it, first);
            out->count = roaring_read_uint32_iterator(&it, out->item, (uint32_t)req->limit);
        } else {
            int dir = req->sort == REQUEST_SORT_PRICE ? 0 : 1;
            uint32_t wb = price_window[dir][1] > price_window[dir][0] ? price_window[dir][1] : price_window[dir][0];
            if (list_by_price(ix, req, s.cur, card, dir, price_window[dir][0], wb, out) != 0)
                goto out;
        }
    }
    for (int f = 0; f < REQUEST_FIELD_COUNT; f++)
        if ((req->facets & (1u << f)) && card > 0 && count_facet(ix, f, &s, card, out) != 0)
            goto out;
    ret = 0;
out:
    set_free(&s);
    return ret;
}

void index_stats(const struct index *ix, struct index_stats *st)
{
    st->build_s = ix->build_s;
    st->bytes = ix->bytes;
    st->heavy = ix->nheavy;
}
