/* index_build: builds the whole-catalog index (index.c explains the design):
 * per field, its text, suffix array, word starts and the precomputed sets of
 * broad substrings; the folded value groups; the price orders and tree. */
#define _GNU_SOURCE /* qsort_r */
#include "index.h"

#include <divsufsort.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <roaring/roaring.h>

#include "base.h"
#include "index_impl.h"
#include "index_test.h"
#include "text.h"

/* The defaults index_build() uses. */
static const struct index_tuning DEFAULT_TUNING = {
    .heavy_min = 2048, /* occurrences from which a substring's products are precomputed */
    .heavy_depth = 24, /* longest query prefix a precomputed set can serve */
    .small_set = 2048, /* sets this small are price-filtered product by product */
};

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
            index_count_values(ix, (enum request_field)f, bm, card, counts + ix->foff[f]);
    return counts;
}

/* ---- folded values and facets -------------------------------------------- */

/* Products grouped by folded value of field f, with a bitmap for the large
 * groups. */
static int build_folds(struct index *ix, enum catalog_field f)
{
    const struct tables_values *v = index_values(ix, f);
    struct index_folds *fo = &ix->fold[f];
    fo->start = calloc((size_t)v->nfolded + 1, sizeof(*fo->start));
    fo->member = malloc((ix->n ? ix->n : 1) * sizeof(*fo->member));
    fo->bm = calloc(v->nfolded ? v->nfolded : 1, sizeof(*fo->bm));
    uint32_t *fill = malloc(((size_t)v->nfolded + 1) * sizeof(*fill));
    int ret = -1;
    if (fo->start == NULL || fo->member == NULL || fo->bm == NULL || fill == NULL)
        goto out;
    for (uint32_t k = 0; k < ix->n; k++)
        fo->start[v->folded[v->of[k]] + 1]++;
    for (uint32_t g = 0; g < v->nfolded; g++)
        fo->start[g + 1] += fo->start[g];
    memcpy(fill, fo->start, ((size_t)v->nfolded + 1) * sizeof(*fill));
    for (uint32_t k = 0; k < ix->n; k++)
        fo->member[fill[v->folded[v->of[k]]]++] = k;
    ix->bytes += ((size_t)v->nfolded + 1) * sizeof(*fo->start) + ix->n * sizeof(*fo->member);
    for (uint32_t g = 0; g < v->nfolded; g++) {
        uint32_t cnt = fo->start[g + 1] - fo->start[g];
        if (cnt < INDEX_FOLD_BITMAP_MIN)
            continue;
        fo->bm[g] = roaring_bitmap_of_ptr(cnt, fo->member + fo->start[g]);
        if (fo->bm[g] == NULL)
            goto out;
        roaring_bitmap_run_optimize(fo->bm[g]);
        ix->bytes += roaring_bitmap_size_in_bytes(fo->bm[g]);
    }
    ret = 0;
out:
    free(fill);
    return ret;
}

/* One bitmap per exact value of a filter field with few values (facets). */
static int build_exact(struct index *ix, enum request_field field)
{
    const struct tables_values *v = index_values(ix, request_catalog_field(field));
    if (v->count > INDEX_FACET_BITMAPS)
        return 0;
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
    return 0;
}

/* Folded value groups of every field but the name, exact-value bitmaps of
 * the filter fields, and the facet counts of the filter groups with a
 * bitmap (filtering on one value, browsing a category, is common). */
static int build_values(struct index *ix)
{
    if (build_folds(ix, CATALOG_CATEGORY) != 0 || build_folds(ix, CATALOG_BRAND) != 0 ||
        build_folds(ix, CATALOG_DESCRIPTION) != 0 || build_exact(ix, REQUEST_CATEGORY) != 0 ||
        build_exact(ix, REQUEST_BRAND) != 0)
        return -1;
    int failed = 0;
    for (int field = 0; field < REQUEST_FIELD_COUNT && ix->fcount > 0; field++) {
        enum catalog_field cf = request_catalog_field((enum request_field)field);
        struct index_folds *fo = &ix->fold[cf];
        uint32_t nf = index_values(ix, cf)->nfolded;
        fo->counts = calloc(nf ? nf : 1, sizeof(*fo->counts));
        if (fo->counts == NULL)
            return -1;
        for (uint32_t g = 0; g < nf && !failed; g++)
            if (fo->bm[g] != NULL) {
                fo->counts[g] = precount(ix, fo->bm[g], &failed);
                ix->bytes += ix->fcount * sizeof(uint32_t);
            }
    }
    return failed ? -1 : 0;
}

/* ---- a field's text and its suffix array ---------------------------------- */

/* The bytes of piece j of t, and their length: an own piece of t's field,
 * or an extra one, a category. */
static const char *piece(const struct index *ix, const struct index_text *t, uint32_t j,
                         size_t *len)
{
    const struct catalog *cat = ix->tables->cat;
    enum catalog_field f = j < t->own ? t->field : CATALOG_CATEGORY;
    uint32_t k = j < t->own ? (t->per_product ? j : index_values(ix, f)->fold_rep[j])
                            : index_values(ix, CATALOG_CATEGORY)->fold_rep[j - t->own];
    struct catalog_str s = catalog_field(&cat->items[k], f);
    *len = s.len;
    return catalog_text(cat, s);
}

/* The piece holding each suffix array slot, from a table of one piece per
 * 16 bytes of text and the pieces' starts (a sixteenth of the text's size,
 * rather than a per-byte owner array four times its size). */
static int build_owners(struct index_text *t)
{
    uint32_t *blk = malloc((t->tlen / 16 + 1) * sizeof(*blk));
    if (blk == NULL)
        return -1;
    uint32_t j = 0;
    for (uint32_t b = 0; (size_t)b * 16 < t->tlen; b++) {
        while (j + 1 < t->npieces && t->start[j + 1] <= b * 16)
            j++;
        blk[b] = j;
    }
    for (uint32_t i = 0; i < t->tlen; i++) {
        uint32_t pos = (uint32_t)t->sa[i];
        j = blk[pos / 16];
        while (j + 1 < t->npieces && t->start[j + 1] <= pos)
            j++;
        t->owner[i] = j; /* the leading NUL counts as piece 0's: never matched */
    }
    free(blk);
    return 0;
}

/* Orders pieces by their text (ctx: the field's text), for whole-field matches. */
static int piece_cmp(const void *a, const void *b, void *ctx)
{
    const struct index_text *t = ctx;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    const unsigned char *p = t->text + t->start[x], *q = t->text + t->start[y];
    size_t pn = t->start[x + 1] - t->start[x] - 1, qn = t->start[y + 1] - t->start[y] - 1;
    int c = memcmp(p, q, pn < qn ? pn : qn);
    if (c != 0)
        return c;
    if (pn != qn)
        return pn < qn ? -1 : 1;
    return (x > y) - (x < y);
}

/* Field f's text: each piece lower-cased and NUL-terminated, after one NUL
 * (the name's followed by the categories); its suffix array, owners,
 * word-start bits and 2-byte prefix table. */
static int build_text(struct index *ix, enum catalog_field f)
{
    struct index_text *t = &ix->text[f];
    t->field = f;
    t->per_product = f == CATALOG_NAME;
    t->own = t->per_product ? ix->n : index_values(ix, f)->nfolded;
    t->npieces = t->own + (t->per_product ? index_values(ix, CATALOG_CATEGORY)->nfolded : 0);
    size_t tlen = 1;
    for (uint32_t j = 0; j < t->npieces; j++) {
        size_t len;
        piece(ix, t, j, &len);
        tlen += len + 1;
    }
    if (tlen > (size_t)INT32_MAX - INDEX_PAD)
        return -1;
    t->tlen = (uint32_t)tlen;
    t->text = calloc(tlen + INDEX_PAD, 1);
    t->start = malloc(((size_t)t->npieces + 1) * sizeof(*t->start));
    t->sa = malloc(tlen * sizeof(*t->sa));
    t->owner = malloc(tlen * sizeof(*t->owner));
    t->wstart = calloc(tlen / 64 + 1, sizeof(*t->wstart));
    t->bucket = calloc(65537, sizeof(*t->bucket));
    if (t->text == NULL || t->start == NULL || t->sa == NULL || t->owner == NULL ||
        t->wstart == NULL || t->bucket == NULL)
        return -1;
    size_t w = 1;
    for (uint32_t j = 0; j < t->npieces; j++) {
        size_t len;
        const char *s = piece(ix, t, j, &len);
        t->start[j] = (uint32_t)w;
        text_lower_copy((char *)t->text + w, s, len);
        w += len + 1; /* the NUL is already there */
    }
    t->start[t->npieces] = (uint32_t)w;
    if (divsufsort(t->text, t->sa, (saidx_t)tlen) != 0 || build_owners(t) != 0)
        return -1;
    for (uint32_t i = 0; i < tlen; i++) {
        uint32_t pos = (uint32_t)t->sa[i];
        if (pos > 0 && !text_word_byte(t->text[pos - 1]))
            t->wstart[i >> 6] |= (uint64_t)1 << (i & 63);
    }
    for (size_t i = 0; i < tlen; i++)
        t->bucket[((unsigned)t->text[i] << 8 | t->text[i + 1]) + 1]++;
    for (unsigned key = 0; key < 65536; key++)
        t->bucket[key + 1] += t->bucket[key];
    ix->bytes += tlen + INDEX_PAD + tlen * (sizeof(*t->sa) + sizeof(*t->owner)) +
                 (tlen / 64 + 1) * sizeof(*t->wstart) + 65537 * sizeof(*t->bucket) +
                 ((size_t)t->npieces + 1) * sizeof(*t->start);
    if (t->per_product) {
        t->sorted = malloc((t->own ? t->own : 1) * sizeof(*t->sorted));
        if (t->sorted == NULL)
            return -1;
        for (uint32_t j = 0; j < t->own; j++)
            t->sorted[j] = j;
        qsort_r(t->sorted, t->own, sizeof(*t->sorted), piece_cmp, t);
        ix->bytes += t->own * sizeof(*t->sorted);
    }
    return 0;
}

/* ---- broad substrings: the heavy nodes ------------------------------------ */

/* The heavy nodes found while walking one field's suffix tree, before they
 * go into its hash table. */
struct heavy_builder {
    struct index *ix;          /* the index being built */
    struct index_text *t;      /* the field walked */
    uint64_t *keys;            /* each node's slots, (lo << 32 | hi) */
    struct index_heavy *nodes; /* each node's sets */
    size_t count;              /* nodes found */
    size_t cap;                /* room in keys and nodes */
};

static int heavy_push(struct heavy_builder *b, uint32_t lo, uint32_t hi,
                      const struct index_heavy *node)
{
    if (b->count == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        uint64_t *k = realloc(b->keys, cap * sizeof(*k));
        if (k != NULL)
            b->keys = k;
        struct index_heavy *n = realloc(b->nodes, cap * sizeof(*n));
        if (n != NULL)
            b->nodes = n;
        if (k == NULL || n == NULL)
            return -1;
        b->cap = cap;
    }
    b->keys[b->count] = (uint64_t)lo << 32 | hi;
    b->nodes[b->count++] = *node;
    return 0;
}

static void node_free(struct index_heavy *node)
{
    index_bm_free(node->all);
    free(node->all_counts);
    index_bm_free(node->any);
    index_bm_free(node->prefix);
    index_bm_free(node->word);
    free(node->counts);
    memset(node, 0, sizeof(*node));
}

/* First slot in (i, hi] whose suffix's byte at depth is above c (galloping). */
static uint32_t run_end(const struct index_text *t, uint32_t i, uint32_t hi, uint32_t depth,
                        unsigned c)
{
    uint32_t lo = i + 1, step = 1;
    while (lo < hi && t->text[(uint32_t)t->sa[lo] + depth] <= c) {
        lo += step;
        step *= 2;
    }
    uint32_t top = lo < hi ? lo : hi;
    lo = lo - step / 2 > i + 1 ? lo - step / 2 : i + 1; /* last slot known <= c, plus one */
    if (step == 1)
        return lo;
    while (lo < top) {
        uint32_t mid = lo + (top - lo) / 2;
        if (t->text[(uint32_t)t->sa[mid] + depth] <= c)
            lo = mid + 1;
        else
            top = mid;
    }
    return lo;
}

/* Builds and stores the sets of the suffix tree node whose slots are
 * [lo, hi), its suffixes sharing more than parent_depth bytes, bottom-up:
 * heavy children first, then the loose runs gathered. The word set takes
 * the word-start occurrences of the children whose next byte (at the node's
 * depth) is not a word byte. Returns 0 with *out set, or -1. */
static int build_node(struct heavy_builder *b, uint32_t lo, uint32_t hi, uint32_t parent_depth,
                      struct index_heavy *out)
{
    const struct index_text *t = b->t;
    const unsigned char *x = t->text + t->sa[lo], *y = t->text + t->sa[hi - 1];
    uint32_t depth = parent_depth + 1;
    while (x[depth] != 0 && x[depth] == y[depth])
        depth++;
    bool extra = t->own < t->npieces;
    struct index_heavy node = {depth, extra ? roaring_bitmap_create() : NULL, NULL,
                               roaring_bitmap_create(), roaring_bitmap_create(),
                               roaring_bitmap_create(), NULL};
    if ((extra && node.all == NULL) || node.any == NULL || node.prefix == NULL ||
        node.word == NULL)
        goto error;
    for (uint32_t i = lo; i < hi;) {
        unsigned c = t->text[(uint32_t)t->sa[i] + depth];
        uint32_t j = run_end(t, i, hi, depth, c);
        bool ends = !text_word_byte((unsigned char)c);
        if (c != 0 && j - i >= b->ix->tune.heavy_min && depth < b->ix->tune.heavy_depth) {
            struct index_heavy child;
            if (build_node(b, i, j, depth, &child) != 0)
                goto error;
            if (extra)
                roaring_bitmap_or_inplace(node.all, child.all);
            roaring_bitmap_or_inplace(node.any, child.any);
            roaring_bitmap_or_inplace(node.prefix, child.prefix);
            if (ends)
                roaring_bitmap_or_inplace(node.word, child.prefix);
        } else {
            struct index_sets sets = {node.all, node.any, node.prefix, ends ? node.word : NULL};
            if (index_gather(b->ix, t, i, j, depth, 0, &sets) != 0)
                goto error;
        }
        i = j;
    }
    if (extra)
        roaring_bitmap_shrink_to_fit(node.all);
    roaring_bitmap_shrink_to_fit(node.any);
    roaring_bitmap_shrink_to_fit(node.prefix);
    roaring_bitmap_shrink_to_fit(node.word);
    if (heavy_push(b, lo, hi, &node) != 0)
        goto error;
    *out = node;
    return 0;
error:
    node_free(&node);
    return -1;
}

/* Two threads building one field's heavy nodes: each takes the next
 * first byte's node until none is left, into a builder of its own. */
struct heavy_work {
    struct heavy_builder b;
    atomic_uint *next;       /* the next first byte to take */
    int failed;
};

static void *heavy_worker(void *arg)
{
    struct heavy_work *w = arg;
    const struct index_text *t = w->b.t;
    for (unsigned c; !w->failed && (c = atomic_fetch_add(w->next, 1)) < 256;) {
        if (c == 0)
            continue;
        uint32_t lo = t->bucket[c << 8], hi = t->bucket[(c + 1) << 8];
        struct index_heavy node;
        if (hi - lo >= w->b.ix->tune.heavy_min && build_node(&w->b, lo, hi, 0, &node) != 0)
            w->failed = 1;
    }
    return NULL;
}

/* The heavy nodes of field f, in a hash table keyed by their slots. The
 * first bytes' subtrees are built on two threads (they share nothing but
 * the index read), then gathered into one table. */
static int build_heavy(struct index *ix, enum catalog_field f)
{
    struct index_text *t = &ix->text[f];
    atomic_uint next = 1;
    struct heavy_work work[2];
    for (int i = 0; i < 2; i++)
        work[i] = (struct heavy_work){{ix, t, NULL, NULL, 0, 0}, &next, 0};
    pthread_t other;
    bool threaded = pthread_create(&other, NULL, heavy_worker, &work[1]) == 0;
    heavy_worker(&work[0]);
    if (threaded)
        pthread_join(other, NULL);
    else
        heavy_worker(&work[1]); /* takes what is left */
    struct heavy_builder b = work[0].b;
    int ret = -1, failed = work[0].failed | work[1].failed;
    for (size_t i = 0; i < work[1].b.count && !failed; i++)
        if (heavy_push(&b, (uint32_t)(work[1].b.keys[i] >> 32), (uint32_t)work[1].b.keys[i],
                       &work[1].b.nodes[i]) == 0)
            memset(&work[1].b.nodes[i], 0, sizeof(work[1].b.nodes[i]));
        else
            failed = 1;
    for (size_t i = 0; i < work[1].b.count; i++)
        node_free(&work[1].b.nodes[i]);
    free(work[1].b.keys);
    free(work[1].b.nodes);
    if (failed)
        goto out;
    size_t cap = 16;
    while (cap < b.count * 2)
        cap *= 2;
    t->heavy_key = calloc(cap, sizeof(*t->heavy_key));
    t->heavy = calloc(cap, sizeof(*t->heavy));
    if (t->heavy_key == NULL || t->heavy == NULL)
        goto out;
    t->heavy_mask = cap - 1;
    for (size_t i = 0; i < b.count; i++) {
        uint64_t key = b.keys[i];
        size_t h = (size_t)(key * 0x9E3779B97F4A7C15ull >> 20) & t->heavy_mask;
        while (t->heavy_key[h] != 0)
            h = (h + 1) & t->heavy_mask;
        t->heavy_key[h] = key;
        t->heavy[h] = b.nodes[i];
        memset(&b.nodes[i], 0, sizeof(b.nodes[i]));
        struct index_heavy *node = &t->heavy[h];
        node->counts = precount(ix, node->any, &failed);
        if (node->all != NULL && !failed) {
            node->all_counts = precount(ix, node->all, &failed);
            ix->bytes += roaring_bitmap_size_in_bytes(node->all) + ix->fcount * sizeof(uint32_t);
        }
        if (failed)
            goto out;
        ix->bytes += roaring_bitmap_size_in_bytes(t->heavy[h].any) +
                     roaring_bitmap_size_in_bytes(t->heavy[h].prefix) +
                     roaring_bitmap_size_in_bytes(t->heavy[h].word) +
                     ix->fcount * sizeof(uint32_t);
    }
    t->nheavy = b.count;
    ix->bytes += cap * (sizeof(*t->heavy_key) + sizeof(*t->heavy));
    b.count = 0;
    ret = 0;
out:
    for (size_t i = 0; i < b.count; i++)
        node_free(&b.nodes[i]);
    free(b.keys);
    free(b.nodes);
    return ret;
}

/* ---- the word dictionary (typos) ------------------------------------------- */

/* What a pass over the words does with each kept word of piece j of field f. */
typedef int (*word_fn)(struct index *ix, void *ctx, int f, uint32_t j, const char *w, size_t n);

/* Calls each() for every kept word of every own piece of every field. */
static int each_word(struct index *ix, word_fn each, void *ctx)
{
    for (int f = 0; f < CATALOG_FIELD_COUNT; f++) {
        const struct index_text *t = &ix->text[f];
        for (uint32_t j = 0; j < t->own; j++) {
            const char *s = (const char *)t->text + t->start[j];
            size_t len = t->start[j + 1] - t->start[j] - 1;
            for (size_t a = 0; a < len;) {
                if (!text_word_byte((unsigned char)s[a])) {
                    a++;
                    continue;
                }
                size_t b = a;
                while (b < len && text_word_byte((unsigned char)s[b]))
                    b++;
                if (typo_word_kept(s + a, b - a) && each(ix, ctx, f, j, s + a, b - a) != 0)
                    return -1;
                a = b;
            }
        }
    }
    return 0;
}

static int gather_word(struct index *ix, void *ctx, int f, uint32_t j, const char *w, size_t n)
{
    (void)ix, (void)f, (void)j;
    return typo_words_add(ctx, w, n);
}

/* The second pass: each occurrence's products into its word's set. */
struct posting {
    const struct typo_words *ws;
    const uint32_t *id; /* per distinct word: its index in the dictionary */
};

static int post_word(struct index *ix, void *ctx, int f, uint32_t j, const char *w, size_t n)
{
    const struct posting *p = ctx;
    roaring_bitmap_t **slot = &ix->post[f][p->id[typo_words_find(p->ws, w, n)]];
    if (*slot == NULL && (*slot = roaring_bitmap_create()) == NULL)
        return -1;
    if (ix->text[f].per_product) {
        roaring_bitmap_add(*slot, j);
    } else {
        const struct index_folds *fo = &ix->fold[f];
        if (fo->bm[j] != NULL)
            roaring_bitmap_or_inplace(*slot, fo->bm[j]);
        else
            roaring_bitmap_add_many(*slot, fo->start[j + 1] - fo->start[j],
                                    fo->member + fo->start[j]);
    }
    return 0;
}

/* The words of every field that a term with typos can be near, and per
 * field each word's products: one pass finds the distinct words (a hash set
 * over the texts, nothing per occurrence: at 10,000,000 products the
 * occurrences number about 90 million), the dictionary sorts them, a second
 * pass adds each occurrence's products to its word's set. */
static int build_dict(struct index *ix)
{
    struct typo_words ws;
    memset(&ws, 0, sizeof(ws));
    uint32_t *id = NULL;
    int ret = -1;
    if (each_word(ix, gather_word, &ws) != 0)
        goto out;
    id = malloc((ws.n ? ws.n : 1) * sizeof(*id));
    if (id == NULL || typo_dict_init(&ix->dict, &ws, id) != 0)
        goto out;
    for (int f = 0; f < CATALOG_FIELD_COUNT; f++) {
        ix->post[f] = calloc(ix->dict.nwords ? ix->dict.nwords : 1, sizeof(*ix->post[f]));
        if (ix->post[f] == NULL)
            goto out;
    }
    struct posting p = {&ws, id};
    if (each_word(ix, post_word, &p) != 0)
        goto out;
    size_t bytes = typo_dict_bytes(&ix->dict);
    for (int f = 0; f < CATALOG_FIELD_COUNT; f++) {
        bytes += ix->dict.nwords * sizeof(*ix->post[f]);
        for (uint32_t w = 0; w < ix->dict.nwords; w++)
            if (ix->post[f][w] != NULL) {
                roaring_bitmap_run_optimize(ix->post[f][w]);
                roaring_bitmap_shrink_to_fit(ix->post[f][w]);
                bytes += roaring_bitmap_size_in_bytes(ix->post[f][w]);
            }
    }
    ix->dict_bytes = bytes;
    ix->bytes += bytes;
    ret = 0;
out:
    typo_words_free(&ws);
    free(id);
    return ret;
}

/* ---- price ------------------------------------------------------------------ */

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
                uint32_t a = j * INDEX_PRICE_BLOCK;
                uint32_t b = a + INDEX_PRICE_BLOCK < n ? a + INDEX_PRICE_BLOCK : n;
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

/* ---- the whole build --------------------------------------------------------- */

struct index *index_build(const struct tables *t, const atomic_bool *stop)
{
    return index_build_tuned(t, &DEFAULT_TUNING, stop);
}

static bool stopped(const atomic_bool *stop)
{
    return stop != NULL && atomic_load_explicit(stop, memory_order_relaxed);
}

/* What the second build thread does: every field but the name, and the
 * price orders. */
struct side {
    struct index *ix;
    const atomic_bool *stop;
    int failed;
};

static void *build_side(void *arg)
{
    struct side *sd = arg;
    for (int f = 0; f < CATALOG_FIELD_COUNT && !sd->failed; f++)
        if (f != CATALOG_NAME &&
            (stopped(sd->stop) || build_text(sd->ix, (enum catalog_field)f) != 0 ||
             stopped(sd->stop) || build_heavy(sd->ix, (enum catalog_field)f) != 0))
            sd->failed = 1;
    if (!sd->failed && (stopped(sd->stop) || build_prices(sd->ix) != 0))
        sd->failed = 1;
    return NULL;
}

struct index *index_build_tuned(const struct tables *t, const struct index_tuning *tune,
                                const atomic_bool *stop)
{
    uint64_t t0 = clock_ns();
    if (t->count > UINT32_MAX / 2)
        return NULL;
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
     * at most (a field's suffix array sort is the longest). */
    if (stopped(stop) || build_values(ix) != 0)
        goto error;
    /* The name's suffix array takes the longest, on this thread; the other
     * fields and the price orders are built meanwhile on a second one. */
    struct side side = {ix, stop, 0};
    pthread_t other;
    bool threaded = pthread_create(&other, NULL, build_side, &side) == 0;
    int name = stopped(stop) || build_text(ix, CATALOG_NAME) != 0;
    if (threaded)
        pthread_join(other, NULL);
    else
        build_side(&side);
    if (name || side.failed || stopped(stop) || build_heavy(ix, CATALOG_NAME) != 0)
        goto error;
    uint64_t dict_t0 = clock_ns();
    if (stopped(stop) || build_dict(ix) != 0)
        goto error;
    ix->dict_build_s = (double)(clock_ns() - dict_t0) / 1e9;
    ix->build_s = (double)(clock_ns() - t0) / 1e9;
    return ix;
error:
    index_destroy(ix);
    return NULL;
}

/* Frees p unless it lies in a snapshot's mapping. */
static void release(const struct index *ix, void *p)
{
    if (!ix->mapped)
        free(p);
}

static void text_free(const struct index *ix, struct index_text *t)
{
    release(ix, t->text);
    release(ix, t->start);
    release(ix, t->sorted);
    release(ix, t->sa);
    release(ix, t->owner);
    release(ix, t->wstart);
    release(ix, t->bucket);
    release(ix, t->heavy_key);
    if (t->heavy != NULL)
        for (size_t h = 0; h <= t->heavy_mask; h++) {
            struct index_heavy *node = &t->heavy[h];
            if (ix->mapped) /* the counts lie in the mapping */
                node->counts = node->all_counts = NULL;
            node_free(node);
        }
    free(t->heavy);
}

void index_destroy(struct index *ix)
{
    if (ix == NULL)
        return;
    for (int f = 0; f < CATALOG_FIELD_COUNT; f++) {
        if (ix->post[f] != NULL)
            for (uint32_t w = 0; w < ix->dict.nwords; w++)
                index_bm_free(ix->post[f][w]);
        free(ix->post[f]);
    }
    typo_dict_deinit(&ix->dict);
    for (int f = 0; f < CATALOG_FIELD_COUNT; f++) {
        text_free(ix, &ix->text[f]);
        struct index_folds *fo = &ix->fold[f];
        uint32_t nf = f == CATALOG_NAME ? 0 : index_values(ix, (enum catalog_field)f)->nfolded;
        for (uint32_t g = 0; g < nf; g++) {
            if (fo->bm != NULL)
                index_bm_free(fo->bm[g]);
            if (fo->counts != NULL)
                release(ix, fo->counts[g]);
        }
        free(fo->bm);
        free(fo->counts);
        release(ix, fo->start);
        release(ix, fo->member);
    }
    for (int field = 0; field < REQUEST_FIELD_COUNT; field++) {
        if (ix->exact[field] != NULL)
            for (uint32_t i = 0;
                 i < index_values(ix, request_catalog_field((enum request_field)field))->count; i++)
                index_bm_free(ix->exact[field][i]);
        free(ix->exact[field]);
    }
    for (int dir = 0; dir < 2; dir++) {
        release(ix, ix->order[dir]);
        release(ix, ix->rank[dir]);
    }
    for (unsigned l = 0; l < ix->nlevels; l++) {
        for (uint32_t j = 0; j < ix->nseg[l]; j++)
            index_bm_free(ix->seg[l][j]);
        free(ix->seg[l]);
    }
    free(ix);
}
