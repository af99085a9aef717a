/* index: the whole-catalog search index.
 *
 * It answers every request over the whole catalog exactly as the reference
 * scan does (substrings with ASCII case folding inside a name or a category,
 * filters, price ranges, price sort with offset, facets), and a broad query
 * ("product" holds in every product, "a" in 95 % of them) must cost no more
 * than a narrow one, with an exact total, and without a cache of answers.
 *
 * Design. Figures measured in process on the generated catalog, on this
 * project's 2-core machine while shared (bench/index_bench.c, search plus
 * JSON rendering, mean over the 10,000 queries of each mix, each query's
 * fastest of 5 passes):
 *
 * - Text: one suffix array (libdivsufsort) over the lower-cased names, each
 *   NUL-terminated, then each distinct lower-cased category once. A term's
 *   occurrences are one range of the array: a 65,536-slot table of 2-byte
 *   prefixes narrows it, two binary searches finish. A category is indexed
 *   once, not once per product; an occurrence there stands for every product
 *   of that folded category, whose set the filters need anyway. The text is
 *   about 20 bytes a product instead of 28. d[] holds each slot's product,
 *   so gathering a range reads memory in order.
 * - Broad terms: a term's range is the leaf range of one suffix-tree node.
 *   Nodes with at least heavy_min slots, reachable by a query of at most
 *   heavy_depth bytes, get their exact product set precomputed as a CRoaring
 *   bitmap, built bottom-up (children OR'ed into the parent, loose slots
 *   added), found by (lo, hi) in a hash table; with facet counts for fields
 *   of at most 64 values. At 100,000 products: heavy_min 2,048 gives 305
 *   sets and a 25.9 MB index; 1,024 gives 1,367 sets and 28.4 MB, 512 1,547
 *   and 28.7 MB, 256 2,537 and 29.4 MB, with no text-mix difference we could
 *   measure, so 2,048. Smaller ranges (up to 2,047 slots) are gathered into
 *   a bitmap. Median search_time: "product" 0.10 us, "a" 0.06 us, "1"
 *   0.06 us, a miss 0.04 us; "q=product&facets=category" went from 16 us
 *   (intersecting with 12 value bitmaps) to 0.3 us with the counts stored.
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
 * Results, quiet machine, in process (search + rendering a request):
 * 100,000 products: text mix 1.4 us (p99 9 us), features mix 6.5 us (p99
 * 54 us); index 26 MB (the suffix array and d[] are 18 MB of it); built in
 * 0.2 s. 1,000,000 products: text mix 2.7 us, features mix 34 us; index
 * 294 MB; built in 3.3 s. Over HTTP (server on one core, wrk with 50
 * connections on the other, the same mixes): 100,000 products, text mix
 * 58,600-70,400 requests/s and features mix 47,200-49,000, p99 1.0-1.5 ms,
 * peak RSS 48 MB; 1,000,000 products, text mix 65,500 requests/s, p99
 * 1.4 ms, peak RSS 463 MB; the bare libmicrohttpd ceiling measured
 * 57,000-99,000 requests/s in the same minutes (the machine is shared).
 * The build runs on its own thread once the listener is up, and the scan
 * answers until the index is published, so readiness does not wait for it.
 *
 * Not chosen: n-gram posting lists with verification (Zoekt, Google Code
 * Search) verify every candidate, and for "product" or "a" every product is
 * a candidate: that is the scan, measured at 2,300-2,900 requests/s at
 * 100,000 products, where this index answers in a tenth of a microsecond.
 */
#include "index.h"

#include <divsufsort.h>
#include <roaring/roaring.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "text.h"

enum {
    PAD = SEARCH_MAX_QUERY + 2, /* zero bytes after the text: compares never run off it */
    CHUNK = 512,                /* product positions gathered per batch */
    PRICE_BLOCK = 256,          /* price ranks per leaf of the price tree */
    PRICE_LEVELS = 32,          /* levels the price tree may have */
    FACET_BITMAPS = 64,         /* fields with at most this many values keep one bitmap each */
    FOLD_BITMAP_MIN = 64,       /* folded values with this many products keep a bitmap */
};

/* The defaults index_build() uses. */
static const struct index_tuning DEFAULT_TUNING = {
    .heavy_min = 2048, /* occurrences from which a substring's products are precomputed */
    .heavy_depth = 24, /* longest query prefix a precomputed set can serve */
    .small_set = 2048, /* sets this small are price-filtered product by product */
};

/* Products grouped by the ASCII lower-cased value of one field. */
struct folds {
    uint32_t *start;       /* nfolded + 1 offsets into member */
    uint32_t *member;      /* product positions, ascending within each folded value */
    roaring_bitmap_t **bm; /* per folded id: its products, NULL when few (use member) */
    uint32_t **counts;     /* per folded id with a bitmap: its facet counts (see index.fcount) */
};

struct index {
    const struct search_index *base; /* the catalog and its value tables (borrowed) */
    struct index_tuning tune;        /* thresholds */
    uint32_t n;                      /* products */
    uint32_t tlen;                   /* bytes of text (without the padding) */
    unsigned char *text;             /* lower-cased names, each NUL-terminated, then each
                                      * distinct lower-cased category, NUL-terminated */
    int32_t *sa;                     /* suffix array of text */
    uint32_t *d;                     /* per suffix array slot: the product whose name holds
                                      * the suffix, or n + folded category id */
    uint32_t *bucket;                /* 65537 slots: first suffix array slot per 2-byte prefix */
    uint64_t *hkey;                  /* heavy sets' hash: (lo << 32 | hi), 0 = empty */
    roaring_bitmap_t **hbm;          /* heavy sets' hash: the product set of slots [lo, hi) */
    uint32_t **hcount;               /* heavy sets' hash: the set's facet counts, or NULL */
    size_t hmask;                    /* hash slots - 1 */
    size_t nheavy;                   /* heavy sets stored */
    struct folds fold[SEARCH_FIELD_COUNT];      /* per lower-cased category and brand */
    roaring_bitmap_t **exact[SEARCH_FIELD_COUNT]; /* per exact value id, or NULL: too many */
    uint32_t foff[SEARCH_FIELD_COUNT]; /* where each field's counts start in a counts array */
    uint32_t fcount;                 /* counts per precomputed set: the values of the fields
                                      * with exact bitmaps (0: none precomputed) */
    uint32_t *order[2];              /* products by price ascending, descending (ties by id) */
    uint32_t *rank[2];               /* per product: its slot in order[0], order[1] */
    roaring_bitmap_t **seg[PRICE_LEVELS]; /* price tree: level l node j = products of price
                                           * ranks [j * PRICE_BLOCK << l, (j + 1) * ...) */
    uint32_t nseg[PRICE_LEVELS];     /* nodes per level */
    unsigned nlevels;                /* levels of the price tree */
    size_t bytes;                    /* heap bytes held */
    double build_s;                  /* seconds the build took */
};

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const struct product *item(const struct index *ix, uint32_t k)
{
    return &ix->base->cat->items[k];
}

/* The lower-cased category of product k inside the base text. */
static const char *category_text(const struct index *ix, uint32_t k)
{
    return ix->base->text + ix->base->offs[k] + item(ix, k)->name.len + 1;
}

/* ---- sets of products ---------------------------------------------------- */

/* roaring_bitmap_free() that takes NULL. */
static void bm_free(roaring_bitmap_t *bm)
{
    if (bm != NULL)
        roaring_bitmap_free(bm);
}

/* Adds to bm the products of folded value f of field. */
static void add_folded(const struct index *ix, roaring_bitmap_t *bm, int field, uint32_t f)
{
    const struct folds *fo = &ix->fold[field];
    if (fo->bm[f] != NULL)
        roaring_bitmap_or_inplace(bm, fo->bm[f]);
    else
        roaring_bitmap_add_many(bm, fo->start[f + 1] - fo->start[f], fo->member + fo->start[f]);
}

/* Adds to bm the products owning suffix array slots [lo, hi). */
static void add_slots(const struct index *ix, roaring_bitmap_t *bm, uint32_t lo, uint32_t hi)
{
    uint32_t buf[CHUNK];
    uint32_t last_cat = UINT32_MAX;
    while (lo < hi) {
        uint32_t end = hi - lo > CHUNK ? lo + CHUNK : hi;
        size_t m = 0;
        for (uint32_t i = lo; i < end; i++) {
            uint32_t k = ix->d[i];
            if (k < ix->n) {
                buf[m++] = k;
            } else if (k - ix->n != last_cat) {
                last_cat = k - ix->n;
                add_folded(ix, bm, SEARCH_FIELD_CATEGORY, last_cat);
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
    if (ix->hkey == NULL)
        return false;
    uint64_t key = (uint64_t)lo << 32 | hi;
    for (size_t h = (size_t)(key * 0x9E3779B97F4A7C15ull >> 20) & ix->hmask;;
         h = (h + 1) & ix->hmask) {
        if (ix->hkey[h] == key) {
            s->cur = ix->hbm[h];
            s->own = NULL;
            s->counts = ix->hcount[h];
            return true;
        }
        if (ix->hkey[h] == 0)
            return false;
    }
}

static void set_free(struct set *s)
{
    bm_free(s->own);
    s->own = NULL;
    s->cur = NULL;
    s->counts = NULL;
}

static void set_take(struct set *s, roaring_bitmap_t *bm)
{
    bm_free(s->own);
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
    uint32_t cat = lo < hi && ix->d[lo] >= ix->n ? ix->d[lo] - ix->n : UINT32_MAX;
    for (uint32_t i = lo + 1; i < hi && cat != UINT32_MAX; i++)
        if (ix->d[i] != ix->n + cat)
            cat = UINT32_MAX;
    const struct folds *fo = &ix->fold[SEARCH_FIELD_CATEGORY];
    if (cat != UINT32_MAX && fo->bm[cat] != NULL) {
        s->cur = fo->bm[cat];
        s->counts = fo->counts != NULL ? fo->counts[cat] : NULL;
        return 0;
    }
    roaring_bitmap_t *bm = roaring_bitmap_create();
    if (bm == NULL)
        return -1;
    add_slots(ix, bm, lo, hi);
    set_take(s, bm);
    return 0;
}

/* Compares the ASCII lower-cased bytes of s (sn) with v (vn) in byte order. */
static int folded_cmp(const char *s, size_t sn, const char *v, size_t vn)
{
    size_t m = sn < vn ? sn : vn;
    for (size_t i = 0; i < m; i++) {
        unsigned char a = (unsigned char)text_lower(s[i]), b = (unsigned char)v[i];
        if (a != b)
            return a < b ? -1 : 1;
    }
    return sn < vn ? -1 : sn > vn;
}

static struct catalog_str field_str(const struct product *p, int field)
{
    return field == SEARCH_FIELD_CATEGORY ? p->category : p->brand;
}

/* The folded id of value v (vn bytes, lower-cased) of field, or UINT32_MAX. */
static uint32_t folded_find(const struct index *ix, int field, const char *v, size_t vn)
{
    const struct search_values *vals = &ix->base->values[field];
    const struct catalog *cat = ix->base->cat;
    uint32_t lo = 0, hi = vals->nfolded;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        struct catalog_str s = field_str(&cat->items[vals->fold_rep[mid]], field);
        int c = folded_cmp(catalog_text(cat, s), s.len, v, vn);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return UINT32_MAX;
}

/* The products whose field equals one of the filter's values, ignoring ASCII
 * case, into s: borrowed (with its facet counts) when that is one value with
 * a bitmap, built otherwise. Returns 0, or -1 out of memory. */
static int filter_set(const struct index *ix, int field, const struct search_filter *f,
                      struct set *s)
{
    uint32_t ids[SEARCH_MAX_VALUES];
    size_t n = 0;
    for (size_t i = 0; i < f->count; i++) {
        uint32_t id = folded_find(ix, field, f->value[i], f->len[i]);
        if (id != UINT32_MAX)
            ids[n++] = id;
    }
    const struct folds *fo = &ix->fold[field];
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
        uint64_t p = item(ix, ix->order[dir][mid])->price_cents;
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
    uint32_t b1 = (ra + PRICE_BLOCK - 1) / PRICE_BLOCK, b2 = rb / PRICE_BLOCK;
    if (b1 >= b2) {
        roaring_bitmap_add_many(p, rb - ra, ix->order[0] + ra);
        return p;
    }
    roaring_bitmap_add_many(p, b1 * PRICE_BLOCK - ra, ix->order[0] + ra);
    roaring_bitmap_add_many(p, rb - b2 * PRICE_BLOCK, ix->order[0] + (size_t)b2 * PRICE_BLOCK);
    const roaring_bitmap_t *parts[2 * PRICE_LEVELS + 1];
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
    bm_free(p);
    return all;
}

/* ---- answering ------------------------------------------------------------ */

static int cmp_u32(const void *a, const void *b)
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
    qsort(a + lo, hi - lo, sizeof(*a), cmp_u32);
}

/* Lists out->idx for sort by price (dir 0 ascending, 1 descending), products
 * of s, whose slots in order[dir] lie in [wa, wb). */
static int list_by_price(const struct index *ix, const struct search_request *req,
                         const roaring_bitmap_t *s, size_t card, int dir, uint32_t wa,
                         uint32_t wb, struct search_result *out)
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
                    out->idx[out->count++] = order[r];
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
    qsort(keys, need, sizeof(*keys), cmp_u32);
    for (size_t i = req->offset; i < need; i++)
        out->idx[out->count++] = order[keys[i]];
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
static void count_values(const struct index *ix, int field, const roaring_bitmap_t *bm,
                         size_t card, uint32_t *counts)
{
    const struct search_values *v = &ix->base->values[field];
    if (ix->exact[field] != NULL && card > (size_t)v->count * 2000) {
        for (uint32_t i = 0; i < v->count; i++)
            counts[i] = (uint32_t)roaring_bitmap_and_cardinality(bm, ix->exact[field][i]);
        return;
    }
    roaring_uint32_iterator_t it;
    uint32_t buf[CHUNK];
    roaring_init_iterator(bm, &it);
    uint32_t got;
    while ((got = roaring_read_uint32_iterator(&it, buf, CHUNK)) > 0)
        for (uint32_t i = 0; i < got; i++)
            counts[v->of[buf[i]]]++;
}

/* Fills out's facet of field: the count of each value among s, taken from
 * the precomputed counts when s has them. */
static int count_facet(const struct index *ix, int field, const struct set *s, size_t card,
                       struct search_result *out)
{
    const struct search_values *v = &ix->base->values[field];
    uint32_t *counts = calloc(v->count ? v->count : 1, sizeof(*counts));
    if (counts == NULL)
        return -1;
    if (s->counts != NULL && ix->exact[field] != NULL)
        memcpy(counts, s->counts + ix->foff[field], v->count * sizeof(*counts));
    else
        count_values(ix, field, s->cur, card, counts);
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
    if (np > SEARCH_MAX_FACET_VALUES)
        np = SEARCH_MAX_FACET_VALUES;
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
static int text_set(const struct index *ix, const struct search_request *req, struct set *s)
{
    const unsigned char *q = (const unsigned char *)req->text;
    if (req->match == SEARCH_MATCH_PHRASE || req->nterms <= 1)
        return term_set(ix, q, req->text_len, s);
    struct set terms[SEARCH_MAX_TERMS];
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

int index_run(const struct index *ix, const struct search_request *req, struct search_result *out)
{
    struct set s = {NULL, NULL, NULL};
    int ret = -1;
    out->count = 0;
    out->total_found = 0;
    out->checked = ix->n;
    out->facets = req->facets;
    for (int f = 0; f < SEARCH_FIELD_COUNT; f++)
        out->nfacet[f] = 0;

    bool have = false; /* s holds something; until then it stands for every product */
    if (req->has_text) {
        if (text_set(ix, req, &s) != 0)
            goto out;
        have = true;
    }
    for (int f = 0; f < SEARCH_FIELD_COUNT; f++) {
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
    uint32_t win[2][2] = {{0, ix->n}, {0, ix->n}}; /* price window in each order */
    if (req->min_price > 0 || req->max_price != UINT64_MAX) {
        win[0][0] = price_bound(ix, 0, req->min_price, 0);
        win[0][1] = price_bound(ix, 0, req->max_price, 1);
        win[1][0] = price_bound(ix, 1, req->max_price, 0);
        win[1][1] = price_bound(ix, 1, req->min_price, 1);
        uint32_t ra = win[0][0], rb = win[0][1] > ra ? win[0][1] : ra;
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
            bm_free(p);
            if (bad)
                goto out;
        }
    }

    size_t card = roaring_bitmap_get_cardinality(s.cur);
    out->total_found = card;
    if (req->offset < card) {
        if (req->sort == SEARCH_SORT_ID) {
            uint32_t first;
            roaring_uint32_iterator_t it;
            roaring_bitmap_select(s.cur, (uint32_t)req->offset, &first);
            roaring_init_iterator(s.cur, &it);
            roaring_move_uint32_iterator_equalorlarger(&it, first);
            out->count = roaring_read_uint32_iterator(&it, out->idx, (uint32_t)req->limit);
        } else {
            int dir = req->sort == SEARCH_SORT_PRICE ? 0 : 1;
            uint32_t wb = win[dir][1] > win[dir][0] ? win[dir][1] : win[dir][0];
            if (list_by_price(ix, req, s.cur, card, dir, win[dir][0], wb, out) != 0)
                goto out;
        }
    }
    for (int f = 0; f < SEARCH_FIELD_COUNT; f++)
        if ((req->facets & (1u << f)) && card > 0 && count_facet(ix, f, &s, card, out) != 0)
            goto out;
    ret = 0;
out:
    set_free(&s);
    return ret;
}

/* ---- building ------------------------------------------------------------- */

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
    for (int f = 0; f < SEARCH_FIELD_COUNT; f++)
        if (ix->exact[f] != NULL)
            count_values(ix, f, bm, card, counts + ix->foff[f]);
    return counts;
}

struct builder {
    struct index *ix;
    uint64_t *keys;          /* heavy sets found so far */
    roaring_bitmap_t **bms;
    size_t count, cap;
    int failed;              /* memory ran out */
};

static int builder_push(struct builder *b, uint32_t lo, uint32_t hi, roaring_bitmap_t *bm)
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
static roaring_bitmap_t *build_node(struct builder *b, uint32_t lo, uint32_t hi,
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
                bm_free(bm);
                return NULL;
            }
            roaring_bitmap_or_inplace(bm, child);
        } else {
            add_slots(ix, bm, i, j);
        }
        i = j;
    }
    roaring_bitmap_shrink_to_fit(bm);
    if (builder_push(b, lo, hi, bm) != 0) {
        bm_free(bm);
        return NULL;
    }
    return bm;
}

static int build_heavy(struct index *ix)
{
    struct builder b = {ix, NULL, NULL, 0, 0, 0};
    int ret = -1;
    for (unsigned c = 1; c < 256; c++) {
        uint32_t lo = ix->bucket[c << 8], hi = ix->bucket[(c + 1) << 8];
        if (hi - lo >= ix->tune.heavy_min && build_node(&b, lo, hi, 0) == NULL)
            goto out;
    }
    size_t cap = 16;
    while (cap < b.count * 2)
        cap *= 2;
    ix->hkey = calloc(cap, sizeof(*ix->hkey));
    ix->hbm = calloc(cap, sizeof(*ix->hbm));
    ix->hcount = calloc(cap, sizeof(*ix->hcount));
    if (ix->hkey == NULL || ix->hbm == NULL || ix->hcount == NULL)
        goto out;
    ix->hmask = cap - 1;
    for (size_t i = 0; i < b.count; i++) {
        uint64_t key = b.keys[i];
        size_t h = (size_t)(key * 0x9E3779B97F4A7C15ull >> 20) & ix->hmask;
        while (ix->hkey[h] != 0)
            h = (h + 1) & ix->hmask;
        ix->hkey[h] = key;
        ix->hbm[h] = b.bms[i];
        b.bms[i] = NULL;
        ix->hcount[h] = precount(ix, ix->hbm[h], &b.failed);
        if (b.failed)
            goto out;
        ix->bytes += roaring_bitmap_size_in_bytes(ix->hbm[h]) + ix->fcount * sizeof(uint32_t);
    }
    ix->nheavy = b.count;
    ix->bytes += cap * (sizeof(*ix->hkey) + sizeof(*ix->hbm));
    b.count = 0;
    ret = 0;
out:
    for (size_t i = 0; i < b.count; i++)
        bm_free(b.bms[i]);
    free(b.keys);
    free(b.bms);
    return ret;
}

/* The lower-cased text, its suffix array and each slot's owner. */
static int build_text(struct index *ix)
{
    const struct search_index *base = ix->base;
    const struct search_values *cv = &base->values[SEARCH_FIELD_CATEGORY];
    uint32_t nseg = ix->n + cv->nfolded; /* pieces of text: names, then categories */
    size_t tlen = 0;
    for (uint32_t k = 0; k < ix->n; k++)
        tlen += item(ix, k)->name.len + 1;
    for (uint32_t f = 0; f < cv->nfolded; f++)
        tlen += item(ix, cv->fold_rep[f])->category.len + 1;
    if (tlen > (size_t)INT32_MAX - PAD)
        return -1;
    ix->tlen = (uint32_t)tlen;
    ix->text = calloc(tlen + PAD, 1);
    ix->sa = malloc((tlen ? tlen : 1) * sizeof(*ix->sa));
    ix->d = malloc((tlen ? tlen : 1) * sizeof(*ix->d));
    ix->bucket = calloc(65537, sizeof(*ix->bucket));
    /* Piece j (its owner in d[]: product j, or n + folded category) starts
     * at start[j]; blk[b] is the piece holding byte b * 16. */
    uint32_t *start = malloc(((size_t)nseg + 1) * sizeof(*start));
    uint32_t *blk = malloc((tlen / 16 + 1) * sizeof(*blk));
    int ret = -1;
    if (ix->text == NULL || ix->sa == NULL || ix->d == NULL || ix->bucket == NULL ||
        start == NULL || blk == NULL)
        goto out;
    size_t w = 0;
    for (uint32_t j = 0; j < nseg; j++) {
        uint32_t k = j < ix->n ? j : cv->fold_rep[j - ix->n];
        size_t len = j < ix->n ? item(ix, k)->name.len : item(ix, k)->category.len;
        memcpy(ix->text + w, j < ix->n ? base->text + base->offs[k] : category_text(ix, k), len);
        start[j] = (uint32_t)w;
        for (size_t b = (w + 15) / 16; b * 16 <= w + len; b++)
            blk[b] = j;
        w += len + 1; /* the NUL is already there */
    }
    start[nseg] = (uint32_t)w;
    if (tlen > 0 && divsufsort(ix->text, ix->sa, (saidx_t)tlen) != 0)
        goto out;
    /* The owner of each slot, from blk[] and start[] (a sixteenth of the
     * text's size) rather than a per-byte owner array (four times its size):
     * the whole build went from 5.7-6.0 s to 5.2-5.3 s at 1,000,000 products. */
    for (size_t i = 0; i < tlen; i++) {
        uint32_t pos = (uint32_t)ix->sa[i], j = blk[pos / 16];
        while (start[j + 1] <= pos)
            j++;
        ix->d[i] = j;
    }
    for (size_t i = 0; i < tlen; i++)
        ix->bucket[((unsigned)ix->text[i] << 8 | ix->text[i + 1]) + 1]++;
    for (unsigned key = 0; key < 65536; key++)
        ix->bucket[key + 1] += ix->bucket[key];
    ix->bytes += tlen + PAD + tlen * (sizeof(*ix->sa) + sizeof(*ix->d)) +
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
    for (int field = 0; field < SEARCH_FIELD_COUNT; field++) {
        const struct search_values *v = &ix->base->values[field];
        struct folds *fo = &ix->fold[field];
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
            if (cnt < FOLD_BITMAP_MIN)
                continue;
            fo->bm[f] = roaring_bitmap_of_ptr(cnt, fo->member + fo->start[f]);
            if (fo->bm[f] == NULL)
                return -1;
            roaring_bitmap_run_optimize(fo->bm[f]);
            ix->bytes += roaring_bitmap_size_in_bytes(fo->bm[f]);
        }
        if (v->count > FACET_BITMAPS)
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
    for (int field = 0; field < SEARCH_FIELD_COUNT && ix->fcount > 0; field++) {
        struct folds *fo = &ix->fold[field];
        uint32_t nf = ix->base->values[field].nfolded;
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
        pr[k] = (struct priced){item(ix, k)->price_cents, item(ix, k)->id, k};
    qsort(pr, n, sizeof(*pr), by_price_asc);
    for (uint32_t r = 0; r < n; r++)
        ix->order[0][r] = pr[r].k;
    free(pr);
    /* Descending: the ascending order's runs of equal prices, last run first,
     * each run kept in its (id) order. */
    uint32_t w = 0;
    for (uint32_t end = n; end > 0;) {
        uint32_t start = end - 1;
        uint64_t p = item(ix, ix->order[0][start])->price_cents;
        while (start > 0 && item(ix, ix->order[0][start - 1])->price_cents == p)
            start--;
        for (uint32_t r = start; r < end; r++)
            ix->order[1][w++] = ix->order[0][r];
        end = start;
    }
    for (int dir = 0; dir < 2; dir++)
        for (uint32_t r = 0; r < n; r++)
            ix->rank[dir][ix->order[dir][r]] = r;
    ix->bytes += 4 * (size_t)n * sizeof(uint32_t);

    uint32_t nodes = (n + PRICE_BLOCK - 1) / PRICE_BLOCK;
    for (unsigned l = 0; nodes > 0 && l < PRICE_LEVELS; l++) {
        ix->seg[l] = calloc(nodes, sizeof(*ix->seg[l]));
        if (ix->seg[l] == NULL)
            return -1;
        ix->nseg[l] = nodes;
        ix->nlevels = l + 1;
        for (uint32_t j = 0; j < nodes; j++) {
            if (l == 0) {
                uint32_t a = j * PRICE_BLOCK, b = a + PRICE_BLOCK < n ? a + PRICE_BLOCK : n;
                uint32_t buf[PRICE_BLOCK];
                memcpy(buf, ix->order[0] + a, (b - a) * sizeof(*buf));
                qsort(buf, b - a, sizeof(*buf), cmp_u32);
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

struct index *index_build(const struct search_index *base)
{
    return index_build_tuned(base, &DEFAULT_TUNING);
}

struct index *index_build_tuned(const struct search_index *base, const struct index_tuning *tune)
{
    double t0 = seconds();
    if (base->count > UINT32_MAX / 2 || base->scanned < base->count)
        return NULL; /* the index reads every product's scan text */
    struct index *ix = calloc(1, sizeof(*ix));
    if (ix == NULL)
        return NULL;
    ix->base = base;
    ix->tune = *tune;
    if (ix->tune.heavy_min < 2)
        ix->tune.heavy_min = 2;
    ix->n = (uint32_t)base->count;
    ix->bytes = sizeof(*ix);
    if (build_text(ix) != 0 || build_values(ix) != 0 || build_heavy(ix) != 0 ||
        build_prices(ix) != 0) {
        index_destroy(ix);
        return NULL;
    }
    ix->build_s = seconds() - t0;
    return ix;
}

void index_stats(const struct index *ix, struct index_stats *st)
{
    st->build_s = ix->build_s;
    st->bytes = ix->bytes;
    st->heavy = ix->nheavy;
}

void index_destroy(struct index *ix)
{
    if (ix == NULL)
        return;
    free(ix->text);
    free(ix->sa);
    free(ix->d);
    free(ix->bucket);
    if (ix->hbm != NULL)
        for (size_t h = 0; h <= ix->hmask; h++)
            bm_free(ix->hbm[h]);
    if (ix->hcount != NULL)
        for (size_t h = 0; h <= ix->hmask; h++)
            free(ix->hcount[h]);
    free(ix->hkey);
    free(ix->hbm);
    free(ix->hcount);
    for (int field = 0; field < SEARCH_FIELD_COUNT; field++) {
        struct folds *fo = &ix->fold[field];
        for (uint32_t f = 0; f < ix->base->values[field].nfolded; f++) {
            if (fo->bm != NULL)
                bm_free(fo->bm[f]);
            if (fo->counts != NULL)
                free(fo->counts[f]);
        }
        free(fo->bm);
        free(fo->counts);
        free(fo->start);
        free(fo->member);
        if (ix->exact[field] != NULL)
            for (uint32_t i = 0; i < ix->base->values[field].count; i++)
                bm_free(ix->exact[field][i]);
        free(ix->exact[field]);
    }
    for (int dir = 0; dir < 2; dir++) {
        free(ix->order[dir]);
        free(ix->rank[dir]);
    }
    for (unsigned l = 0; l < ix->nlevels; l++) {
        for (uint32_t j = 0; j < ix->nseg[l]; j++)
            bm_free(ix->seg[l][j]);
        free(ix->seg[l]);
    }
    free(ix);
}
