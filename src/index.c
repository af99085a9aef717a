/* index: answering a request from the whole-catalog index (index_impl.h
 * holds its layout, index_build.c builds it).
 *
 * It answers every request over the whole catalog exactly as the reference
 * does (substrings with ASCII case folding inside the listed fields, filters,
 * price ranges, sorts with offset, the relevance order, facets), and a broad
 * query ("product" holds in every product, "a" in 95 % of them) must cost no
 * more than a narrow one, with an exact total, and without a cache of
 * answers.
 *
 * Design (the measurements behind each choice are in docs/performance.md,
 * "Whole-catalog search" and "Relevance"):
 *
 * - Text, per field: one suffix array (libdivsufsort) over the field's
 *   pieces, lower-cased and NUL-terminated: each product's name, and each
 *   distinct lower-cased value of the category, brand and description once
 *   (twelve categories, ten brands and 120 descriptions in the generated
 *   catalog), so a field of few values costs almost nothing and an
 *   occurrence there stands for its value's products, whose sets the
 *   filters need anyway. A term's occurrences are one range of the array: a
 *   65,536-slot table of 2-byte prefixes narrows it, two binary searches
 *   finish. owner[] holds each slot's piece, so gathering a range reads
 *   memory in order. A request's fields are the union of the fields' sets.
 * - Classes (relevance): an occurrence starts at a word start when the byte
 *   before it is not a word byte (a bit per slot, set at build), and ends at
 *   a word end when the byte after it is not one (the byte at the term's
 *   depth, read from the suffix). So a term's prefix occurrences are the
 *   range's slots with the bit, its word occurrences those with the bit and
 *   a non-word byte at its depth, and its whole-field matches an exact
 *   lookup of the piece (names sorted by their text; other fields' folded
 *   values are in byte order already). Nothing walks every occurrence of a
 *   broad term: see the next point.
 * - Broad terms: a term's range is the leaf range of one suffix-tree node.
 *   Nodes with at least heavy_min slots, reachable by a query of at most
 *   heavy_depth bytes, get their product sets precomputed as CRoaring
 *   bitmaps, built bottom-up (children OR'ed into the parent, loose slots
 *   gathered): all occurrences, word-start occurrences, and word-start
 *   occurrences of exactly the node's label followed by a non-word byte
 *   (the children whose next byte is not a word byte), found by (lo, hi) in
 *   a hash table, with facet counts for fields of at most 64 values. A
 *   shorter term that lands on the same node shares its first two sets, and
 *   its word set is either its prefix set or empty, decided by the one byte
 *   that follows it in every suffix of the range. A broad query then costs a
 *   hash lookup, and a facet of one a copy of its stored counts. A range of
 *   a field of few values (the generated descriptions: 120) stays short
 *   while many products stand behind it; it is gathered by OR'ing each
 *   value's set once, lazily. Precomputing such ranges by the products
 *   behind them was tried: it saved microseconds a query and cost a quarter
 *   of the index's memory (docs/performance.md).
 * - Relevance: each term's matches split into levels (4 x field + class,
 *   best first) by walking its class sets from the first listed field down,
 *   each minus what an earlier level took, within the request's matches.
 *   One term: the levels are walked until the page is full. Several: the
 *   terms' levels are summed pairwise (a product is in exactly one level of
 *   each) while that takes few intersections; past that (eight broad terms
 *   over four fields have levels whose pairs multiply) each match is scored
 *   by the sum of its levels, galloping through the matches level by level,
 *   and the page taken from a counting sort by score.
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
 * the reference answers until the index is published.
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
#include "text.h"
#include "typo.h"

/* ---- sets of products ---------------------------------------------------- */

/* A set being narrowed: cur is what it holds; own is cur when this request
 * owns it (and must free it), NULL while cur is borrowed from the index. */
struct set {
    const roaring_bitmap_t *cur; /* the products */
    roaring_bitmap_t *own;       /* cur when owned, NULL when borrowed */
    const uint32_t *counts;      /* facet counts of cur when precomputed, else NULL */
};

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

static void set_borrow(struct set *s, const roaring_bitmap_t *bm, const uint32_t *counts)
{
    set_free(s);
    s->cur = bm;
    s->counts = counts;
}

/* An empty owned set. Returns 0, or -1 out of memory. */
static int set_empty(struct set *s)
{
    roaring_bitmap_t *bm = roaring_bitmap_create();
    if (bm == NULL)
        return -1;
    set_take(s, bm);
    return 0;
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

static bool set_is_empty(const struct set *s)
{
    return roaring_bitmap_is_empty(s->cur);
}

/* ---- a field's text ------------------------------------------------------- */

/* Adds to bm the products of folded value g of field f. */
static void add_folded(const struct index *ix, roaring_bitmap_t *bm, enum catalog_field f,
                       uint32_t g)
{
    const struct index_folds *fo = &ix->fold[f];
    if (fo->bm[g] != NULL)
        roaring_bitmap_or_inplace(bm, fo->bm[g]);
    else
        roaring_bitmap_add_many(bm, fo->start[g + 1] - fo->start[g], fo->member + fo->start[g]);
}

/* Products gathered piece by piece into a bitmap: products in batches, and
 * a field of folded values by the set of its values seen, each value's
 * products added once however many of the range's slots it owns (a
 * description of the generated catalog holds "a" at several places, and 120
 * descriptions are shared by 100,000 products). A value stands for all its
 * products and every product has one value, so when most values are seen it
 * is cheaper to take every product but those of the values not seen. */
struct gather {
    roaring_bitmap_t *bm;      /* the destination, or NULL: not wanted */
    uint32_t buf[INDEX_CHUNK]; /* products not yet added */
    size_t n;                  /* entries in buf */
    uint32_t last;             /* the last piece seen */
    roaring_bitmap_t *seen[2]; /* folded values seen, of the field and of the extra pieces
                                * (categories); NULL until one is */
    bool failed;               /* memory ran out */
};

static void gather_init(struct gather *g, roaring_bitmap_t *bm)
{
    g->bm = bm;
    g->n = 0;
    g->last = UINT32_MAX;
    g->seen[0] = g->seen[1] = NULL;
    g->failed = false;
}

static void gather_push(struct gather *g, uint32_t k)
{
    g->buf[g->n++] = k;
    if (g->n == INDEX_CHUNK) {
        roaring_bitmap_add_many(g->bm, g->n, g->buf);
        g->n = 0;
    }
}

/* Adds the products of folded value v of field f to bm: its bitmap lazily
 * (repaired by the caller), or its few members. */
static void add_value(const struct index *ix, struct gather *g, enum catalog_field f, uint32_t v)
{
    const struct index_folds *fo = &ix->fold[f];
    if (fo->bm[v] != NULL)
        roaring_bitmap_lazy_or_inplace(g->bm, fo->bm[v], true);
    else
        for (uint32_t i = fo->start[v]; i < fo->start[v + 1]; i++)
            gather_push(g, fo->member[i]);
}

/* Adds the products of the folded values of field f in seen. */
static void add_values(const struct index *ix, struct gather *g, enum catalog_field f,
                       const roaring_bitmap_t *seen)
{
    uint32_t nv = index_values(ix, f)->nfolded;
    uint64_t card = roaring_bitmap_get_cardinality(seen);
    roaring_uint32_iterator_t it;
    if (2 * card <= nv) {
        roaring_init_iterator(seen, &it);
        for (; it.has_value; roaring_advance_uint32_iterator(&it))
            add_value(ix, g, f, it.current_value);
        return;
    }
    /* every product, less the values not seen */
    roaring_bitmap_t *all = roaring_bitmap_from_range(0, ix->n, 1);
    struct gather rest;
    if (all == NULL || (rest.bm = roaring_bitmap_create()) == NULL) {
        index_bm_free(all);
        g->failed = true;
        return;
    }
    gather_init(&rest, rest.bm);
    for (uint32_t v = 0; v < nv; v++)
        if (!roaring_bitmap_contains(seen, v))
            add_value(ix, &rest, f, v);
    if (rest.n > 0)
        roaring_bitmap_add_many(rest.bm, rest.n, rest.buf);
    roaring_bitmap_repair_after_lazy(rest.bm);
    roaring_bitmap_andnot_inplace(all, rest.bm);
    roaring_bitmap_lazy_or_inplace(g->bm, all, true);
    roaring_bitmap_free(rest.bm);
    roaring_bitmap_free(all);
}

/* Adds the products gathered, and frees the bookkeeping. Returns 0, or -1
 * when memory ran out on the way. */
static int gather_flush(const struct index *ix, const struct index_text *t, struct gather *g)
{
    if (g->bm == NULL)
        return 0;
    bool lazy = false;
    for (int e = 0; e < 2; e++) {
        if (g->seen[e] == NULL)
            continue;
        add_values(ix, g, e ? CATALOG_CATEGORY : t->field, g->seen[e]);
        roaring_bitmap_free(g->seen[e]);
        g->seen[e] = NULL;
        lazy = true;
    }
    if (g->n > 0)
        roaring_bitmap_add_many(g->bm, g->n, g->buf);
    g->n = 0;
    if (lazy) /* many unions: lazily (bitsets, no cardinality kept), repaired once */
        roaring_bitmap_repair_after_lazy(g->bm);
    return g->failed ? -1 : 0;
}

static void gather_add(const struct index *ix, const struct index_text *t, struct gather *g,
                       uint32_t piece)
{
    (void)ix;
    if (g->bm == NULL)
        return;
    if (t->per_product && piece < t->own) {
        gather_push(g, piece);
        return;
    }
    if (piece == g->last)
        return;
    g->last = piece;
    int extra = piece >= t->own; /* a category's folded value, in the name's text */
    if (g->seen[extra] == NULL && (g->seen[extra] = roaring_bitmap_create()) == NULL) {
        g->failed = true;
        return;
    }
    roaring_bitmap_add(g->seen[extra], extra ? piece - t->own : piece);
}

int index_gather(const struct index *ix, const struct index_text *t, uint32_t lo, uint32_t hi,
                 uint32_t depth, unsigned vacuous, const struct index_sets *out)
{
    struct gather gl, ga, gp, gw;
    gather_init(&gl, out->all);
    gather_init(&ga, out->any);
    gather_init(&gp, out->prefix);
    gather_init(&gw, out->word);
    bool starts_any = vacuous & INDEX_STARTS_ANY, ends_any = vacuous & INDEX_ENDS_ANY;
    bool classes = out->prefix != NULL || out->word != NULL;
    for (uint32_t i = lo; i < hi; i++) {
        uint32_t piece = t->owner[i];
        gather_add(ix, t, &gl, piece);
        if (piece >= t->own)
            continue;
        gather_add(ix, t, &ga, piece);
        if (classes && (starts_any || index_word_start(t, i))) {
            gather_add(ix, t, &gp, piece);
            if (ends_any || !text_word_byte(t->text[(uint32_t)t->sa[i] + depth]))
                gather_add(ix, t, &gw, piece);
        }
    }
    int a = gather_flush(ix, t, &gl), b = gather_flush(ix, t, &ga);
    int c = gather_flush(ix, t, &gp), d = gather_flush(ix, t, &gw);
    return a | b | c | d;
}

/* Suffix array slots [*lo, *hi) of t's suffixes starting with p (m >= 1 bytes). */
static void find_range(const struct index_text *t, const unsigned char *p, size_t m,
                       uint32_t *lo, uint32_t *hi)
{
    if (m == 1) {
        *lo = t->bucket[(unsigned)p[0] << 8];
        *hi = t->bucket[((unsigned)p[0] + 1) << 8];
        return;
    }
    unsigned key = (unsigned)p[0] << 8 | p[1];
    uint32_t a = t->bucket[key], b = t->bucket[key + 1];
    if (m > 2 && a < b) {
        const unsigned char *x = t->text + 2;
        uint32_t l = a, h = b;
        while (l < h) { /* first slot whose suffix is >= p */
            uint32_t mid = l + (h - l) / 2;
            if (memcmp(x + t->sa[mid], p + 2, m - 2) < 0)
                l = mid + 1;
            else
                h = mid;
        }
        a = l;
        h = b;
        while (l < h) { /* first slot whose suffix does not start with p */
            uint32_t mid = l + (h - l) / 2;
            if (memcmp(x + t->sa[mid], p + 2, m - 2) <= 0)
                l = mid + 1;
            else
                h = mid;
        }
        b = l;
    }
    *lo = a;
    *hi = b;
}

/* The heavy node of slots [lo, hi) of t, or NULL. */
static const struct index_heavy *heavy_find(const struct index *ix, const struct index_text *t,
                                            uint32_t lo, uint32_t hi)
{
    if (t->heavy_key == NULL || hi - lo < ix->tune.heavy_min)
        return NULL;
    uint64_t key = (uint64_t)lo << 32 | hi;
    for (size_t h = (size_t)(key * 0x9E3779B97F4A7C15ull >> 20) & t->heavy_mask;;
         h = (h + 1) & t->heavy_mask) {
        if (t->heavy_key[h] == key)
            return &t->heavy[h];
        if (t->heavy_key[h] == 0)
            return NULL;
    }
}

/* The folded value of field t whose pieces all of [lo, hi) belong to, or
 * UINT32_MAX ("beauty" is only in one category). */
static uint32_t single_owner(const struct index_text *t, uint32_t lo, uint32_t hi)
{
    if (t->per_product || t->own < t->npieces || lo == hi)
        return UINT32_MAX;
    for (uint32_t i = lo + 1; i < hi; i++)
        if (t->owner[i] != t->owner[lo])
            return UINT32_MAX;
    return t->owner[lo];
}

/* The products of field t whose text holds p (m bytes, lower-cased); with
 * all, those of its extra pieces too (the name's: the categories). */
static int term_any(const struct index *ix, const struct index_text *t, const unsigned char *p,
                    size_t m, bool all, struct set *s)
{
    uint32_t lo, hi;
    find_range(t, p, m, &lo, &hi);
    const struct index_heavy *node = heavy_find(ix, t, lo, hi);
    if (node != NULL) {
        if (all && node->all != NULL)
            set_borrow(s, node->all, node->all_counts);
        else
            set_borrow(s, node->any, node->counts);
        return 0;
    }
    uint32_t g = single_owner(t, lo, hi);
    const struct index_folds *fo = &ix->fold[t->field];
    if (g != UINT32_MAX && fo->bm[g] != NULL) {
        set_borrow(s, fo->bm[g], fo->counts != NULL ? fo->counts[g] : NULL);
        return 0;
    }
    if (set_empty(s) != 0)
        return -1;
    struct index_sets out = {all ? s->own : NULL, all ? NULL : s->own, NULL, NULL};
    return index_gather(ix, t, lo, hi, 0, 0, &out);
}

/* The pieces of t whose whole text is p: *first and *count in sorted order
 * (per-product pieces: positions in t->sorted; folded values: their ids). */
static void whole_pieces(const struct index_text *t, const unsigned char *p, size_t m,
                         uint32_t *first, uint32_t *count)
{
    uint32_t lo = 0, hi = t->own;
    /* first piece whose text is >= p */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        uint32_t j = t->sorted ? t->sorted[mid] : mid;
        const unsigned char *x = t->text + t->start[j];
        size_t xn = t->start[j + 1] - t->start[j] - 1;
        int c = memcmp(x, p, xn < m ? xn : m);
        if (c < 0 || (c == 0 && xn < m))
            lo = mid + 1;
        else
            hi = mid;
    }
    uint32_t a = lo;
    while (lo < t->own) {
        uint32_t j = t->sorted ? t->sorted[lo] : lo;
        if (t->start[j + 1] - t->start[j] - 1 != m || memcmp(t->text + t->start[j], p, m) != 0)
            break;
        lo++;
    }
    *first = a;
    *count = lo - a;
}

/* The products whose field t is p as a whole. */
static int term_whole(const struct index *ix, const struct index_text *t, const unsigned char *p,
                      size_t m, struct set *s)
{
    uint32_t first, count;
    whole_pieces(t, p, m, &first, &count);
    const struct index_folds *fo = &ix->fold[t->field];
    if (!t->per_product && count == 1 && fo->bm[first] != NULL) {
        set_borrow(s, fo->bm[first], fo->counts != NULL ? fo->counts[first] : NULL);
        return 0;
    }
    if (set_empty(s) != 0)
        return -1;
    for (uint32_t i = first; i < first + count; i++) {
        if (t->per_product)
            roaring_bitmap_add(s->own, t->sorted[i]);
        else
            add_folded(ix, s->own, t->field, i);
    }
    return 0;
}

/* A piece and the best class a term takes in it. */
struct piece_class {
    uint32_t piece; /* a folded value of the field */
    uint32_t class; /* enum request_class */
};

static int piece_class_cmp(const void *a, const void *b)
{
    const struct piece_class *x = a, *y = b;
    if (x->piece != y->piece)
        return x->piece < y->piece ? -1 : 1;
    return (x->class > y->class) - (x->class < y->class);
}

/* term_classes() for a field of folded values: a product's class is its
 * value's best one, so each value's best class is found in one pass over
 * the range, and each value's products are added once, to the set of that
 * class only: c[class] holds the products whose best class is class (disjoint
 * sets, rather than term_classes()'s nested ones, which term_levels() takes
 * alike). */
static int folded_classes(const struct index *ix, const struct index_text *t,
                          const unsigned char *p, size_t m, uint32_t lo, uint32_t hi,
                          struct set c[REQUEST_CLASSES])
{
    bool starts_any = !text_word_byte(p[0]), ends_any = !text_word_byte(p[m - 1]);
    struct piece_class *pc = malloc((hi > lo ? hi - lo : 1) * sizeof(*pc));
    struct gather g[REQUEST_CLASSES];
    int ret = -1;
    if (pc == NULL)
        goto out;
    for (unsigned cl = 0; cl < REQUEST_CLASSES; cl++) {
        if (set_empty(&c[cl]) != 0)
            goto out;
        gather_init(&g[cl], c[cl].own);
    }
    for (uint32_t i = lo; i < hi; i++) {
        uint32_t pos = (uint32_t)t->sa[i], piece = t->owner[i];
        bool starts = starts_any || index_word_start(t, i);
        bool ends = ends_any || !text_word_byte(t->text[pos + m]);
        pc[i - lo].piece = piece;
        pc[i - lo].class = pos == t->start[piece] && t->text[pos + m] == 0 ? REQUEST_WHOLE
                           : starts && ends                             ? REQUEST_WORD
                           : starts                                     ? REQUEST_PREFIX
                                                                        : REQUEST_INFIX;
    }
    qsort(pc, hi - lo, sizeof(*pc), piece_class_cmp);
    for (uint32_t i = 0; i < hi - lo; i++) /* the first of each piece is its best */
        if (i == 0 || pc[i].piece != pc[i - 1].piece)
            gather_add(ix, t, &g[pc[i].class], pc[i].piece);
    ret = 0;
    for (unsigned cl = 0; cl < REQUEST_CLASSES; cl++)
        ret |= gather_flush(ix, t, &g[cl]);
out:
    free(pc);
    return ret;
}

/* The products of field t by the best class term p can take there: c[class]
 * holds every product with an occurrence of that class or better. */
static int term_classes(const struct index *ix, const struct index_text *t,
                        const unsigned char *p, size_t m, struct set c[REQUEST_CLASSES])
{
    uint32_t lo, hi;
    find_range(t, p, m, &lo, &hi);
    if (!t->per_product && hi - lo < ix->tune.heavy_min)
        return folded_classes(ix, t, p, m, lo, hi, c);
    if (term_whole(ix, t, p, m, &c[REQUEST_WHOLE]) != 0)
        return -1;
    unsigned vacuous = (text_word_byte(p[0]) ? 0 : INDEX_STARTS_ANY) |
                       (text_word_byte(p[m - 1]) ? 0 : INDEX_ENDS_ANY);
    const struct index_heavy *node = heavy_find(ix, t, lo, hi);
    if (node == NULL) {
        if (set_empty(&c[REQUEST_INFIX]) != 0 || set_empty(&c[REQUEST_PREFIX]) != 0 ||
            set_empty(&c[REQUEST_WORD]) != 0)
            return -1;
        struct index_sets out = {NULL, c[REQUEST_INFIX].own, c[REQUEST_PREFIX].own,
                                 c[REQUEST_WORD].own};
        return index_gather(ix, t, lo, hi, (uint32_t)m, vacuous, &out);
    }
    /* The range is a precomputed node's: m is at most its depth. */
    set_borrow(&c[REQUEST_INFIX], node->any, node->counts);
    set_borrow(&c[REQUEST_PREFIX], (vacuous & INDEX_STARTS_ANY) ? node->any : node->prefix, NULL);
    if ((vacuous & INDEX_ENDS_ANY) ||
        (m < node->depth && !text_word_byte(t->text[(uint32_t)t->sa[lo] + m]))) {
        set_borrow(&c[REQUEST_WORD], c[REQUEST_PREFIX].cur, NULL);
        return 0;
    }
    if (m < node->depth) /* every occurrence goes on with a word byte */
        return set_empty(&c[REQUEST_WORD]);
    if (!(vacuous & INDEX_STARTS_ANY)) {
        set_borrow(&c[REQUEST_WORD], node->word, NULL);
        return 0;
    }
    /* The node's word set counts word starts only; this term starts at any. */
    if (set_empty(&c[REQUEST_WORD]) != 0)
        return -1;
    struct index_sets out = {NULL, NULL, NULL, c[REQUEST_WORD].own};
    return index_gather(ix, t, lo, hi, (uint32_t)m, vacuous, &out);
}

/* ---- typos ----------------------------------------------------------------- */

/* The near words of one term: by distance, each field's products with one. */
struct near {
    bool done;                                                /* computed */
    roaring_bitmap_t *set[TYPO_MAX + 1][CATALOG_FIELD_COUNT]; /* [d][field], NULL: none */
};

/* Collects the dictionary words near a term. */
struct found_words {
    uint32_t *id;    /* word indexes */
    uint8_t *dist;   /* their distances */
    size_t n, cap;   /* used, room */
    bool failed;     /* memory ran out */
};

static void found_word(void *ctx, uint32_t i, unsigned dist)
{
    struct found_words *f = ctx;
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 64;
        uint32_t *id = realloc(f->id, cap * sizeof(*id));
        if (id != NULL)
            f->id = id;
        uint8_t *d = realloc(f->dist, cap);
        if (d != NULL)
            f->dist = d;
        if (id == NULL || d == NULL) {
            f->failed = true;
            return;
        }
        f->cap = cap;
    }
    f->id[f->n] = i;
    f->dist[f->n++] = (uint8_t)dist;
}

/* The products of each listed field holding a word at distance d from term
 * k, for d up to the term's allowance, into nr (once per request). */
static int term_near(const struct index *ix, const struct request *req, size_t k,
                     struct near *nr)
{
    if (nr->done)
        return 0;
    nr->done = true;
    const char *t = req->text + req->term_off[k];
    size_t m = req->term_len[k];
    unsigned allowed = request_allowance(req, t, m);
    if (allowed == 0)
        return 0;
    struct found_words f = {NULL, NULL, 0, 0, false};
    int ret = -1;
    if (typo_dict_search(&ix->dict, t, m, allowed, found_word, &f) != 0 || f.failed)
        goto out;
    for (unsigned i = 0; i < req->nfields; i++) {
        enum catalog_field fl = req->field[i];
        for (unsigned d = 1; d <= allowed; d++) {
            const roaring_bitmap_t *parts[64];
            size_t np = 0;
            roaring_bitmap_t *acc = NULL;
            for (size_t w = 0; w < f.n; w++) {
                const roaring_bitmap_t *post = ix->post[fl][f.id[w]];
                if (f.dist[w] != d || post == NULL)
                    continue;
                parts[np++] = post;
                if (np == 64 || w + 1 == f.n) { /* in batches: the words may be many */
                    roaring_bitmap_t *u = roaring_bitmap_or_many(np, parts);
                    if (u == NULL)
                        goto out;
                    if (acc == NULL) {
                        acc = u;
                    } else {
                        roaring_bitmap_or_inplace(acc, u);
                        roaring_bitmap_free(u);
                    }
                    np = 0;
                }
            }
            if (np > 0) {
                roaring_bitmap_t *u = roaring_bitmap_or_many(np, parts);
                if (u == NULL)
                    goto out;
                if (acc == NULL) {
                    acc = u;
                } else {
                    roaring_bitmap_or_inplace(acc, u);
                    roaring_bitmap_free(u);
                }
            }
            nr->set[d][fl] = acc;
        }
    }
    ret = 0;
out:
    free(f.id);
    free(f.dist);
    return ret;
}

static void near_free(struct near *nr)
{
    for (unsigned d = 0; d <= TYPO_MAX; d++)
        for (unsigned f = 0; f < CATALOG_FIELD_COUNT; f++)
            index_bm_free(nr->set[d][f]);
    memset(nr, 0, sizeof(*nr));
}

/* ---- the text test --------------------------------------------------------- */

/* The products where term k of req occurs in at least one listed field, or
 * (with typos) holds a word near it: a set borrowed as it is when the others
 * add nothing, else the union of the sets in one pass. */
static int term_match(const struct index *ix, const struct request *req, size_t k,
                      struct near *nr, struct set *s)
{
    const unsigned char *p = (const unsigned char *)req->text + req->term_off[k];
    size_t m = req->term_len[k];
    struct set f[CATALOG_FIELD_COUNT];
    const roaring_bitmap_t *parts[CATALOG_FIELD_COUNT * (TYPO_MAX + 1)];
    size_t nf = 0, nparts = 0;
    int ret = -1;
    unsigned listed = 0;
    for (unsigned i = 0; i < req->nfields; i++)
        listed |= 1u << req->field[i];
    /* the name's text holds the categories too: both in one lookup */
    bool both = (listed & (1u << CATALOG_NAME)) && (listed & (1u << CATALOG_CATEGORY));
    *s = (struct set){NULL, NULL, NULL};
    for (unsigned i = 0; i < req->nfields; i++) {
        if (both && req->field[i] == CATALOG_CATEGORY)
            continue;
        f[nf] = (struct set){NULL, NULL, NULL};
        if (term_any(ix, &ix->text[req->field[i]], p, m, both, &f[nf]) != 0)
            goto out;
        if (!set_is_empty(&f[nf]))
            parts[nparts++] = f[nf].cur;
        nf++;
    }
    if (term_near(ix, req, k, nr) != 0)
        goto out;
    for (unsigned d = 1; d <= TYPO_MAX; d++)
        for (unsigned i = 0; i < req->nfields; i++)
            if (nr->set[d][req->field[i]] != NULL &&
                !roaring_bitmap_is_empty(nr->set[d][req->field[i]]))
                parts[nparts++] = nr->set[d][req->field[i]];
    if (nparts == 1) {
        for (size_t i = 0; i < nf; i++)
            if (f[i].cur == parts[0]) {
                *s = f[i];
                f[i] = (struct set){NULL, NULL, NULL};
            }
        if (s->cur == NULL) /* a near set: the request keeps it, s borrows */
            set_borrow(s, parts[0], NULL);
        ret = 0;
    } else if (nparts == 0) {
        ret = set_empty(s);
    } else {
        roaring_bitmap_t *u = roaring_bitmap_or_many(nparts, parts);
        if (u != NULL) {
            set_take(s, u);
            ret = 0;
        }
    }
out:
    for (size_t i = 0; i < nf; i++)
        set_free(&f[i]);
    return ret;
}

static int cmp_card(const void *a, const void *b)
{
    const struct set *x = a, *y = b;
    uint64_t p = roaring_bitmap_get_cardinality(x->cur), q = roaring_bitmap_get_cardinality(y->cur);
    return (p > q) - (p < q);
}

/* The products passing the text test: one term's set, or the intersection
 * of every term's set with match=all (or typos). */
static int text_set(const struct index *ix, const struct request *req, struct near *nr,
                    struct set *s)
{
    if (req->nterms <= 1)
        return term_match(ix, req, 0, &nr[0], s);
    struct set terms[REQUEST_MAX_TERMS];
    size_t nt = 0;
    int ret = -1;
    for (size_t t = 0; t < req->nterms; t++) {
        if (term_match(ix, req, t, &nr[t], &terms[nt]) != 0)
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

/* The products whose field equals one of the filter's values, ignoring ASCII
 * case, into s: borrowed (with its facet counts) when that is one value with
 * a bitmap, built otherwise. Returns 0, or -1 out of memory. */
static int filter_set(const struct index *ix, enum request_field field,
                      const struct request_filter *f, struct set *s)
{
    enum catalog_field cf = request_catalog_field(field);
    uint32_t ids[REQUEST_MAX_VALUES];
    size_t n = 0;
    for (size_t i = 0; i < f->count; i++) {
        uint32_t id = tables_fold_find(ix->tables, cf, f->value[i], f->len[i]);
        if (id != UINT32_MAX)
            ids[n++] = id;
    }
    const struct index_folds *fo = &ix->fold[cf];
    *s = (struct set){NULL, NULL, NULL};
    if (n == 1 && fo->bm[ids[0]] != NULL) {
        set_borrow(s, fo->bm[ids[0]], fo->counts != NULL ? fo->counts[ids[0]] : NULL);
        return 0;
    }
    if (set_empty(s) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        add_folded(ix, s->own, cf, ids[i]);
    return 0;
}

/* ---- price ------------------------------------------------------------------ */

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
    roaring_bitmap_add_many(p, rb - b2 * INDEX_PRICE_BLOCK,
                            ix->order[0] + (size_t)b2 * INDEX_PRICE_BLOCK);
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

/* By intersecting with each value's bitmap when the set is large and the
 * values few, product by product otherwise (about 2 ns a product against a
 * few microseconds a value). */
void index_count_values(const struct index *ix, enum request_field field,
                        const roaring_bitmap_t *bm, size_t card, uint32_t *counts)
{
    const struct tables_values *v = index_values(ix, request_catalog_field(field));
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

int index_cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* ---- relevance ---------------------------------------------------------------- */

enum {
    LEVEL_TYPO = 128, /* a typo's weight in a level key: more than 8 terms' placements */
    MAX_KEY = REQUEST_MAX_TERMS * (TYPO_MAX * LEVEL_TYPO + 4 * CATALOG_FIELD_COUNT - 1) + 1,
    MAX_COMBINED = 512, /* level pairs intersected at most when summing terms' levels */
};

/* One level of a split: its key (typos x LEVEL_TYPO + placement, or a sum
 * of several terms' keys) and its products. */
struct level {
    uint32_t key;                /* smaller first */
    const roaring_bitmap_t *set; /* the products */
    roaring_bitmap_t *own;       /* set when owned, NULL when borrowed */
};

/* Matches split by level, ascending keys. */
struct levels {
    struct level *e; /* the levels */
    unsigned n;      /* in use */
    unsigned cap;    /* room */
};

static void levels_free(struct levels *lv)
{
    for (unsigned l = 0; l < lv->n; l++)
        index_bm_free(lv->e[l].own);
    free(lv->e);
    memset(lv, 0, sizeof(*lv));
}

/* Appends a level (taking own); -1 when memory runs out (own is freed). */
static int levels_push(struct levels *lv, uint32_t key, const roaring_bitmap_t *set,
                       roaring_bitmap_t *own)
{
    if (lv->n == lv->cap) {
        unsigned cap = lv->cap ? 2 * lv->cap : 16;
        struct level *e = realloc(lv->e, cap * sizeof(*e));
        if (e == NULL) {
            index_bm_free(own);
            return -1;
        }
        lv->e = e;
        lv->cap = cap;
    }
    lv->e[lv->n++] = (struct level){key, set, own};
    return 0;
}

/* ---- levels ------------------------------------------------------------------ */

/* The matches of term k split by level, best first: for field i and class
 * c, the products of class c or better in field i that no earlier (field,
 * class) took; then, for the matches with typos, by distance d and field i,
 * those holding a word at distance d in field i, at key d x LEVEL_TYPO +
 * 4 i + 1. Within the request's matches (within; NULL: the term's own
 * matches, which none of these sets leaves, so nothing is intersected).
 * total is how many matches there are: the walk ends when all are placed,
 * or once stop_after are (0: never). Returns 0, or -1 out of memory. */
static int term_levels(const struct index *ix, const struct request *req, size_t k,
                       struct near *nr, const roaring_bitmap_t *within, uint64_t total,
                       uint64_t stop_after, struct levels *lv)
{
    const unsigned char *p = (const unsigned char *)req->text + req->term_off[k];
    size_t m = req->term_len[k];
    uint64_t placed = 0;
    roaring_bitmap_t *taken = NULL; /* every level's products so far; NULL: none yet */
    struct set c[REQUEST_CLASSES] = {{NULL, NULL, NULL}};
    int ret = -1;
    memset(lv, 0, sizeof(*lv));
    /* the level sets in order: exact placements, then typos by distance */
    for (unsigned step = 0; step < (TYPO_MAX + 1) * 4 * req->nfields && placed < total; step++) {
        unsigned d = step / (4 * req->nfields), i = step / 4 % req->nfields, cl = step % 4;
        const roaring_bitmap_t *from;
        if (d == 0) {
            if (cl == 0 && term_classes(ix, &ix->text[req->field[i]], p, m, c) != 0)
                goto out;
            from = c[cl].cur;
        } else {
            if (cl != REQUEST_WORD) /* a typo places a term as a word */
                continue;
            if (term_near(ix, req, k, nr) != 0)
                goto out;
            from = nr->set[d][req->field[i]];
        }
        if (from == NULL || roaring_bitmap_is_empty(from))
            goto next;
        roaring_bitmap_t *at = NULL;
        if (within != NULL) {
            if ((at = roaring_bitmap_and(from, within)) == NULL)
                goto out;
            if (taken != NULL)
                roaring_bitmap_andnot_inplace(at, taken);
        } else if (taken != NULL && (at = roaring_bitmap_andnot(from, taken)) == NULL) {
            goto out;
        }
        const roaring_bitmap_t *here = at != NULL ? at : from;
        uint64_t card = roaring_bitmap_get_cardinality(here);
        if (card == 0) {
            index_bm_free(at);
            goto next;
        }
        if (at == NULL && d == 0 && c[cl].own != NULL) { /* keep what the class set owned */
            at = c[cl].own;
            c[cl].own = NULL;
        }
        if (levels_push(lv, d * LEVEL_TYPO + 4 * i + cl, here, at) != 0)
            goto out;
        placed += card;
        if ((stop_after > 0 && placed >= stop_after) || placed >= total)
            break;
        /* another level follows: it must not take these again */
        if (taken == NULL)
            taken = roaring_bitmap_copy(here);
        else
            roaring_bitmap_or_inplace(taken, here);
        if (taken == NULL)
            goto out;
    next:
        if (d == 0 && cl == REQUEST_CLASSES - 1)
            for (unsigned x = 0; x < REQUEST_CLASSES; x++)
                set_free(&c[x]); /* a level keeps what it took (index memory, or own) */
    }
    ret = 0;
out:
    for (unsigned x = 0; x < REQUEST_CLASSES; x++)
        set_free(&c[x]);
    index_bm_free(taken);
    if (ret != 0)
        levels_free(lv);
    return ret;
}

static int level_cmp(const void *a, const void *b)
{
    const struct level *x = a, *y = b;
    return (x->key > y->key) - (x->key < y->key);
}

/* Combines two splits into the split of their sums: a product is in exactly
 * one level of each, so each pair's intersection is a level of the sum;
 * pairs of equal sums are merged. Returns 0, or -1. */
static int levels_add(const struct levels *a, const struct levels *b, struct levels *sum)
{
    memset(sum, 0, sizeof(*sum));
    for (unsigned x = 0; x < a->n; x++) {
        for (unsigned y = 0; y < b->n; y++) {
            roaring_bitmap_t *both = roaring_bitmap_and(a->e[x].set, b->e[y].set);
            if (both == NULL)
                goto error;
            if (roaring_bitmap_is_empty(both)) {
                roaring_bitmap_free(both);
                continue;
            }
            if (levels_push(sum, a->e[x].key + b->e[y].key, both, both) != 0)
                goto error;
        }
    }
    qsort(sum->e, sum->n, sizeof(*sum->e), level_cmp);
    unsigned w = 0;
    for (unsigned r = 0; r < sum->n; r++) {
        if (w > 0 && sum->e[w - 1].key == sum->e[r].key) {
            roaring_bitmap_or_inplace(sum->e[w - 1].own, sum->e[r].own);
            roaring_bitmap_free(sum->e[r].own);
            continue;
        }
        sum->e[w++] = sum->e[r];
    }
    sum->n = w;
    return 0;
error:
    levels_free(sum);
    return -1;
}

/* Adds key to the score of each product of set (a subset of the n matches
 * ids, ascending), found by galloping through ids. */
static void add_level(const uint32_t *ids, size_t n, const roaring_bitmap_t *set, uint16_t key,
                      uint16_t *score)
{
    roaring_uint32_iterator_t it;
    uint32_t buf[INDEX_CHUNK], got;
    size_t j = 0;
    roaring_init_iterator(set, &it);
    while ((got = roaring_read_uint32_iterator(&it, buf, INDEX_CHUNK)) > 0) {
        for (uint32_t b = 0; b < got; b++) {
            size_t step = 1, hi;
            while (j + step < n && ids[j + step] <= buf[b])
                j += step, step *= 2;
            hi = j + step < n ? j + step : n;
            while (hi - j > 1) { /* ids[j] <= buf[b] < ids[hi] */
                size_t mid = j + (hi - j) / 2;
                if (ids[mid] <= buf[b])
                    j = mid;
                else
                    hi = mid;
            }
            score[j] += key;
        }
    }
}

/* Several terms, whose splits are lv[0..nterms): each match's score is the
 * sum of its level keys, so every match is scored and the page taken from a
 * stable counting sort by score. Returns 0, or -1 out of memory. */
static int list_by_sum(const struct request *req, const roaring_bitmap_t *s, uint64_t card,
                       const struct levels *lv, struct result *out)
{
    uint32_t *ids = malloc((card ? card : 1) * sizeof(*ids));
    uint16_t *score = calloc(card ? card : 1, sizeof(*score));
    uint32_t *start = calloc(MAX_KEY + 1, sizeof(*start));
    uint32_t *order = malloc((card ? card : 1) * sizeof(*order));
    int ret = -1;
    if (ids == NULL || score == NULL || start == NULL || order == NULL)
        goto out;
    roaring_bitmap_to_uint32_array(s, ids);
    for (size_t k = 0; k < req->nterms; k++)
        for (unsigned l = 0; l < lv[k].n; l++)
            if (lv[k].e[l].key > 0) /* a key of 0 adds nothing */
                add_level(ids, card, lv[k].e[l].set, (uint16_t)lv[k].e[l].key, score);
    for (size_t i = 0; i < card; i++)
        start[score[i] + 1]++;
    for (unsigned v = 0; v < MAX_KEY; v++)
        start[v + 1] += start[v];
    for (size_t i = 0; i < card; i++) /* ids ascend: each score's run is in id order */
        order[start[score[i]]++] = ids[i];
    for (size_t i = req->offset; i < card && out->count < req->limit; i++)
        out->item[out->count++] = order[i];
    ret = 0;
out:
    free(ids);
    free(score);
    free(start);
    free(order);
    return ret;
}

/* Lists the page of a split: by level, then id. */
static void list_levels(const struct request *req, const struct levels *lv, struct result *out)
{
    size_t skip = req->offset;
    for (unsigned l = 0; l < lv->n && out->count < req->limit; l++) {
        const roaring_bitmap_t *set = lv->e[l].set;
        uint64_t n = roaring_bitmap_get_cardinality(set);
        if (skip >= n) {
            skip -= n;
            continue;
        }
        uint32_t first;
        roaring_uint32_iterator_t it;
        roaring_bitmap_select(set, (uint32_t)skip, &first);
        roaring_init_iterator(set, &it);
        roaring_move_uint32_iterator_equalorlarger(&it, first);
        out->count += roaring_read_uint32_iterator(&it, out->item + out->count,
                                                   (uint32_t)(req->limit - out->count));
        skip = 0;
    }
}

/* Several terms: their splits are summed level by level (a product is in
 * one level of each) while that takes few intersections (terms with a few
 * levels each, the common case), else every match is scored (list_by_sum:
 * bounded by the matches, where the pairs grow with the terms' levels). */
static int list_by_terms(const struct index *ix, const struct request *req, struct near *nr,
                         const roaring_bitmap_t *s, uint64_t card, struct result *out)
{
    struct levels lv[REQUEST_MAX_TERMS], sum;
    size_t made = 0;
    int ret = -1;
    unsigned pairs = 0, used = 0;
    for (; made < req->nterms; made++) {
        if (term_levels(ix, req, made, &nr[made], s, card, 0, &lv[made]) != 0)
            goto out;
        unsigned u = lv[made].n;
        pairs += made == 0 ? 0 : used * u;
        used = made == 0 ? u : (used * u < MAX_COMBINED ? used * u : MAX_COMBINED);
    }
    if (pairs > MAX_COMBINED) {
        ret = list_by_sum(req, s, card, lv, out);
        goto out;
    }
    for (size_t k = 1; k < req->nterms; k++) {
        if (levels_add(&lv[0], &lv[k], &sum) != 0)
            goto out;
        levels_free(&lv[0]);
        lv[0] = sum;
    }
    list_levels(req, &lv[0], out);
    ret = 0;
out:
    for (size_t k = 0; k < made; k++)
        levels_free(&lv[k]);
    return ret;
}

/* Lists the page of the matches s (card of them) in relevance order: by
 * level, then id. unrestricted: s is the one term's own matches (no filter
 * narrowed them). */
static int list_by_relevance(const struct index *ix, const struct request *req,
                             struct near *nr, const roaring_bitmap_t *s, uint64_t card,
                             bool unrestricted, struct result *out)
{
    if (req->nterms > 1)
        return list_by_terms(ix, req, nr, s, card, out);
    /* One term: its levels are the answer's, and the walk can stop early. */
    struct levels lv;
    uint64_t need = (uint64_t)req->offset + req->limit;
    if (term_levels(ix, req, 0, &nr[0], unrestricted ? NULL : s, card, need, &lv) != 0)
        return -1;
    list_levels(req, &lv, out);
    levels_free(&lv);
    return 0;
}

/* ---- answering ------------------------------------------------------------ */

/* Fills out's facet of field: the count of each value among s, taken from
 * the precomputed counts when s has them. */
static int count_facet(const struct index *ix, enum request_field field, const struct set *s,
                       size_t card, struct result *out)
{
    const struct tables_values *v = index_values(ix, request_catalog_field(field));
    uint32_t *counts = calloc(v->count ? v->count : 1, sizeof(*counts));
    if (counts == NULL)
        return -1;
    if (s->counts != NULL && ix->exact[field] != NULL)
        memcpy(counts, s->counts + ix->foff[field], v->count * sizeof(*counts));
    else
        index_count_values(ix, field, s->cur, card, counts);
    int ret = request_facet_top(counts, v->rep, v->count, out->facet[field], &out->nfacet[field]);
    free(counts);
    return ret;
}

int index_run(const struct index *ix, const struct request *req, struct result *out)
{
    struct set s = {NULL, NULL, NULL};
    struct near near[REQUEST_MAX_TERMS]; /* each term's near words, once worked out */
    int ret = -1;
    memset(near, 0, sizeof(near));
    out->count = 0;
    out->total_found = 0;
    out->checked = ix->n;
    out->facets = req->facets;
    for (int f = 0; f < REQUEST_FIELD_COUNT; f++)
        out->nfacet[f] = 0;

    bool have = false; /* s holds something; until then it stands for every product */
    if (req->has_text) {
        if (text_set(ix, req, near, &s) != 0)
            goto out;
        have = true;
    }
    for (int f = 0; f < REQUEST_FIELD_COUNT; f++) {
        if (req->filter[f].count == 0)
            continue;
        struct set fs = {NULL, NULL, NULL};
        if (filter_set(ix, (enum request_field)f, &req->filter[f], have ? &fs : &s) != 0)
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
        uint32_t ra = price_window[0][0];
        uint32_t rb = price_window[0][1] > ra ? price_window[0][1] : ra;
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
        if (req->sort == REQUEST_SORT_ID ||
            (req->sort == REQUEST_SORT_RELEVANCE && !req->has_text)) {
            uint32_t first;
            roaring_uint32_iterator_t it;
            roaring_bitmap_select(s.cur, (uint32_t)req->offset, &first);
            roaring_init_iterator(s.cur, &it);
            roaring_move_uint32_iterator_equalorlarger(&it, first);
            out->count = roaring_read_uint32_iterator(&it, out->item, (uint32_t)req->limit);
        } else if (req->sort == REQUEST_SORT_RELEVANCE) {
            bool unrestricted = req->nterms == 1 && req->filter[0].count == 0 &&
                                req->filter[1].count == 0 && req->min_price == 0 &&
                                req->max_price == UINT64_MAX;
            if (list_by_relevance(ix, req, near, s.cur, card, unrestricted, out) != 0)
                goto out;
        } else {
            int dir = req->sort == REQUEST_SORT_PRICE ? 0 : 1;
            uint32_t wb = price_window[dir][1] > price_window[dir][0] ? price_window[dir][1]
                                                                      : price_window[dir][0];
            if (list_by_price(ix, req, s.cur, card, dir, price_window[dir][0], wb, out) != 0)
                goto out;
        }
    }
    for (int f = 0; f < REQUEST_FIELD_COUNT; f++)
        if ((req->facets & (1u << f)) && card > 0 &&
            count_facet(ix, (enum request_field)f, &s, card, out) != 0)
            goto out;
    ret = 0;
out:
    set_free(&s);
    for (size_t k = 0; k < REQUEST_MAX_TERMS; k++)
        near_free(&near[k]);
    return ret;
}

void index_stats(const struct index *ix, struct index_stats *st)
{
    st->build_s = ix->build_s;
    st->bytes = ix->bytes;
    st->heavy = 0;
    st->dict_words = ix->dict.nwords;
    st->dict_bytes = ix->dict_bytes;
    st->dict_build_s = ix->dict_build_s;
    for (int f = 0; f < CATALOG_FIELD_COUNT; f++)
        st->heavy += ix->text[f].nheavy;
}
