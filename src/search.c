/* search: a lower-cased contiguous text, a fast substring finder, the value
 * tables, the bounded scan, and the plain reference every fast path is
 * tested against. */
#define _GNU_SOURCE /* memmem, qsort_r */
#include "search.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "index.h"
#include "text.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ASCII lower case of n bytes; branch-free so the compiler vectorises it. */
static char *lower_copy(char *w, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        w[i] = (char)(c | (((unsigned char)(c - 'A') < 26u) << 5));
    }
    return w + n;
}

static struct catalog_str field_of(const struct product *p, enum search_field f)
{
    return f == SEARCH_FIELD_CATEGORY ? p->category : p->brand;
}

/* Byte order of two strings, ASCII lower-cased first when fold: memcmp on
 * the common part, then the shorter first. */
static int str_cmp(const char *a, size_t an, const char *b, size_t bn, bool fold)
{
    size_t n = an < bn ? an : bn;
    if (!fold) {
        int c = memcmp(a, b, n);
        if (c != 0)
            return c < 0 ? -1 : 1;
        return an < bn ? -1 : an > bn;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (fold)
            x = (unsigned char)text_lower((char)x), y = (unsigned char)text_lower((char)y);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return an < bn ? -1 : an > bn;
}

static uint64_t str_hash(const char *s, size_t n, bool fold)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    if (fold) {
        for (size_t i = 0; i < n; i++)
            h = (h ^ (unsigned char)text_lower(s[i])) * 1099511628211u;
    } else {
        for (size_t i = 0; i < n; i++)
            h = (h ^ (unsigned char)s[i]) * 1099511628211u;
    }
    return h;
}

/* The strings grouped by distinct(): string i is field f of product at[i]. */
struct strings {
    const struct catalog *cat; /* where the strings live */
    enum search_field f;       /* which field */
    const uint32_t *at;        /* product of each string, or NULL: string i is product i's */
    bool fold;                 /* compare ASCII lower-cased */
};

static const char *str_at(const struct strings *ss, size_t i, size_t *len)
{
    const struct product *p = &ss->cat->items[ss->at ? ss->at[i] : i];
    struct catalog_str s = field_of(p, ss->f);
    *len = s.len;
    return catalog_text(ss->cat, s);
}

static int rep_cmp(const void *a, const void *b, void *ctx)
{
    const struct strings *ss = ctx;
    size_t an, bn;
    const char *as = str_at(ss, *(const uint32_t *)a, &an);
    const char *bs = str_at(ss, *(const uint32_t *)b, &bn);
    return str_cmp(as, an, bs, bn, ss->fold);
}

/* Groups the n strings of ss into distinct values: id_of[i] gets string i's
 * value id, ids in the byte order of the values; *reps gets (malloc) one
 * string index per id. Returns the number of values, or -1 when memory runs
 * out. A hash table finds the values in one pass; only they are sorted. */
static long distinct(const struct strings *ss, size_t n, uint32_t *id_of, uint32_t **reps)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    uint32_t *slot = calloc(cap, sizeof(*slot)); /* value number + 1, 0 = empty */
    uint32_t *rep = malloc((n ? n : 1) * sizeof(*rep));
    uint32_t *rank = NULL;
    long count = -1;
    if (slot == NULL || rep == NULL)
        goto out;
    uint32_t nv = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *s = str_at(ss, i, &len);
        size_t h = (size_t)str_hash(s, len, ss->fold) & (cap - 1);
        for (;; h = (h + 1) & (cap - 1)) {
            if (slot[h] == 0) {
                rep[nv] = (uint32_t)i;
                slot[h] = ++nv;
                id_of[i] = nv - 1;
                break;
            }
            size_t olen;
            const char *o = str_at(ss, rep[slot[h] - 1], &olen);
            if (str_cmp(s, len, o, olen, ss->fold) == 0) {
                id_of[i] = slot[h] - 1;
                break;
            }
        }
    }
    /* Number the values in byte order. */
    uint32_t *order = malloc((nv ? nv : 1) * sizeof(*order));
    rank = malloc((nv ? nv : 1) * sizeof(*rank));
    if (order == NULL || rank == NULL) {
        free(order);
        goto out;
    }
    for (uint32_t v = 0; v < nv; v++)
        order[v] = rep[v];
    qsort_r(order, nv, sizeof(*order), rep_cmp, (void *)ss);
    for (uint32_t r = 0; r < nv; r++) {
        rep[r] = order[r];
        rank[id_of[order[r]]] = r; /* the first-seen string of each value is its rep */
    }
    free(order);
    for (size_t i = 0; i < n; i++)
        id_of[i] = rank[id_of[i]];
    *reps = rep;
    rep = NULL;
    count = nv;
out:
    free(slot);
    free(rep);
    free(rank);
    return count;
}

static void values_deinit(struct search_values *v)
{
    free(v->of);
    free(v->rep);
    free(v->folded);
    free(v->fold_rep);
    memset(v, 0, sizeof(*v));
}

/* The value tables of field f: exact values, then their folded groups. */
static int values_init(struct search_values *v, const struct catalog *cat, enum search_field f)
{
    memset(v, 0, sizeof(*v));
    v->of = malloc((cat->count ? cat->count : 1) * sizeof(*v->of));
    if (v->of == NULL)
        return -1;
    struct strings exact = {cat, f, NULL, false};
    long n = distinct(&exact, cat->count, v->of, &v->rep);
    if (n < 0)
        goto error;
    v->count = (uint32_t)n;
    v->folded = malloc((n ? (size_t)n : 1) * sizeof(*v->folded));
    if (v->folded == NULL)
        goto error;
    struct strings folded = {cat, f, v->rep, true};
    uint32_t *reps; /* indexes into v->rep */
    long g = distinct(&folded, (size_t)n, v->folded, &reps);
    if (g < 0)
        goto error;
    for (long i = 0; i < g; i++)
        reps[i] = v->rep[reps[i]];
    v->fold_rep = reps;
    v->nfolded = (uint32_t)g;
    return 0;
error:
    values_deinit(v);
    return -1;
}

int search_index_init(struct search_index *idx, const struct catalog *cat)
{
    return search_index_init_window(idx, cat, 0);
}

/* The scan text of the first scanned products, and the value tables. */
static int build_text_and_values(struct search_index *idx, size_t scanned)
{
    const struct catalog *cat = idx->cat;
    size_t total = 0;
    for (size_t k = 0; k < scanned; k++)
        total += cat->items[k].name.len + cat->items[k].category.len + 2;
    if (total > UINT32_MAX)
        return -1;
    idx->text = malloc(total ? total : 1);
    idx->offs = malloc((scanned + 1) * sizeof(*idx->offs));
    if (idx->text == NULL || idx->offs == NULL)
        return -1;
    catalog_huge_pages(idx->text, total);
    char *w = idx->text;
    for (size_t k = 0; k < scanned; k++) {
        const struct product *p = &cat->items[k];
        idx->offs[k] = (uint32_t)(w - idx->text);
        w = lower_copy(w, catalog_text(cat, p->name), p->name.len);
        *w++ = '\0';
        w = lower_copy(w, catalog_text(cat, p->category), p->category.len);
        *w++ = '\0';
    }
    idx->offs[scanned] = (uint32_t)(w - idx->text);
    for (int f = 0; f < SEARCH_FIELD_COUNT; f++)
        if (values_init(&idx->values[f], cat, (enum search_field)f) != 0)
            return -1;
    idx->scanned = scanned;
    return 0;
}

int search_index_init_window(struct search_index *idx, const struct catalog *cat, size_t window)
{
    memset(idx, 0, sizeof(*idx));
    atomic_init(&idx->full, NULL);
    idx->cat = cat;
    idx->count = cat->count;
    if (build_text_and_values(idx, (window == 0 || window > cat->count) ? cat->count : window) != 0) {
        search_index_deinit(idx);
        return -1;
    }
    return 0;
}

void search_index_init_deferred(struct search_index *idx, const struct catalog *cat)
{
    memset(idx, 0, sizeof(*idx));
    atomic_init(&idx->full, NULL);
    idx->cat = cat;
    idx->count = cat->count;
    idx->deferred = true;
}

int search_index_complete(struct search_index *idx)
{
    if (!idx->deferred || idx->scanned == idx->count)
        return 0;
    return build_text_and_values(idx, idx->count);
}

void search_index_deinit(struct search_index *idx)
{
    index_destroy(atomic_load(&idx->full));
    free(idx->text);
    free(idx->offs);
    for (int f = 0; f < SEARCH_FIELD_COUNT; f++)
        values_deinit(&idx->values[f]);
    memset(idx, 0, sizeof(*idx));
}

int search_request_phrase(struct search_request *req, const char *q, size_t qlen, size_t limit)
{
    if (qlen == 0 || qlen > SEARCH_MAX_QUERY || limit == 0 || limit > SEARCH_MAX_LIMIT ||
        memchr(q, '\0', qlen) != NULL)
        return -1;
    memset(req, 0, offsetof(struct search_request, filter));
    req->has_text = true;
    req->match = SEARCH_MATCH_PHRASE;
    lower_copy(req->text, q, qlen);
    req->text_len = qlen;
    req->nterms = 1;
    req->term_off[0] = 0;
    req->term_len[0] = (uint16_t)qlen;
    for (int f = 0; f < SEARCH_FIELD_COUNT; f++)
        req->filter[f].count = 0;
    req->min_price = 0;
    req->max_price = UINT64_MAX;
    req->sort = SEARCH_SORT_ID;
    req->offset = 0;
    req->limit = limit;
    req->facets = 0;
    return 0;
}

/* The finder compares the needle's first and last bytes against 16
 * positions at once and only then compares the middle (the "generic SIMD"
 * substring search, W. Mula). On this data it reads about four times as fast
 * as glibc's memmem, which is what keeps a full-catalog scan under 0.5 ms.
 * Without SSE2 it falls back to memmem. */
const char *search_find(const char *hay, size_t n, const char *needle, size_t m)
{
    if (m == 0)
        return hay;
    if (m > n)
        return NULL;
    if (m == 1)
        return memchr(hay, (unsigned char)needle[0], n);
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i first = _mm_set1_epi8(needle[0]);
    const __m128i last = _mm_set1_epi8(needle[m - 1]);
    for (; i + m - 1 + 16 <= n; i += 16) {
        __m128i bf = _mm_loadu_si128((const __m128i *)(const void *)(hay + i));
        __m128i bl = _mm_loadu_si128((const __m128i *)(const void *)(hay + i + m - 1));
        unsigned mask = (unsigned)_mm_movemask_epi8(
            _mm_and_si128(_mm_cmpeq_epi8(first, bf), _mm_cmpeq_epi8(last, bl)));
        while (mask != 0) {
            unsigned bit = (unsigned)__builtin_ctz(mask);
            if (memcmp(hay + i + bit + 1, needle + 1, m - 2) == 0)
                return hay + i + bit;
            mask &= mask - 1;
        }
    }
#endif
    return memmem(hay + i, n - i, needle, m);
}

/* The product whose text holds offset off: the last k in [lo, hi) with
 * offs[k] <= off. The scan only moves forward and matches are often a few
 * products apart, so this gallops from lo (1, 2, 4, ... ahead) before the
 * binary search: a dense query such as "alpha" over the whole catalog pays a
 * few steps per match instead of seventeen. */
static size_t owner(const uint32_t *offs, size_t lo, size_t hi, size_t off)
{
    size_t step = 1;
    while (lo + step < hi && offs[lo + step] <= off) {
        lo += step;
        step *= 2;
    }
    if (lo + step < hi)
        hi = lo + step;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (offs[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- Shared by the scan and the reference: order, page, facets ---------- */

/* The order of two matches (catalog positions) for a sort. */
struct order_ctx {
    const struct catalog *cat; /* prices and ids */
    enum search_sort sort;     /* which order */
};

static int match_cmp(const void *a, const void *b, void *ctx)
{
    const struct order_ctx *o = ctx;
    const struct product *p = &o->cat->items[*(const uint32_t *)a];
    const struct product *q = &o->cat->items[*(const uint32_t *)b];
    if (p->price_cents != q->price_cents) {
        int up = p->price_cents < q->price_cents ? -1 : 1;
        return o->sort == SEARCH_SORT_PRICE_DESC ? -up : up;
    }
    return p->id < q->id ? -1 : p->id > q->id;
}

/* Sorts the n matches (in id order) by req's order and lists the page. */
static void page(const struct catalog *cat, const struct search_request *req, uint32_t *m,
                 size_t n, struct search_result *out)
{
    if (req->sort != SEARCH_SORT_ID) {
        struct order_ctx o = {cat, req->sort};
        qsort_r(m, n, sizeof(*m), match_cmp, &o);
    }
    out->count = 0;
    for (size_t i = req->offset; i < n && out->count < req->limit; i++)
        out->idx[out->count++] = m[i];
}

static int facet_cmp(const void *a, const void *b)
{
    const uint32_t *x = a, *y = b; /* {value id, count} */
    if (x[1] != y[1])
        return x[1] > y[1] ? -1 : 1;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* Counts the n matches' values of field f with the value tables; keeps the
 * first SEARCH_MAX_FACET_VALUES by count, then value. */
static int facet_count(const struct search_values *v, const uint32_t *m, size_t n,
                       struct search_facet *facet, size_t *nfacet)
{
    uint32_t *count = calloc(v->count ? v->count : 1, sizeof(*count));
    uint32_t *pairs = NULL;
    size_t used = 0;
    if (count == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        used += count[v->of[m[i]]]++ == 0;
    pairs = malloc((used ? used : 1) * 2 * sizeof(*pairs));
    if (pairs == NULL) {
        free(count);
        return -1;
    }
    size_t k = 0;
    for (uint32_t id = 0; id < v->count && k < used; id++)
        if (count[id] != 0)
            pairs[2 * k] = id, pairs[2 * k + 1] = count[id], k++;
    qsort(pairs, used, 2 * sizeof(*pairs), facet_cmp);
    *nfacet = used < SEARCH_MAX_FACET_VALUES ? used : SEARCH_MAX_FACET_VALUES;
    for (size_t i = 0; i < *nfacet; i++)
        facet[i] = (struct search_facet){v->rep[pairs[2 * i]], pairs[2 * i + 1]};
    free(pairs);
    free(count);
    return 0;
}

/* ---- The bounded scan ---------------------------------------------------- */

/* The folded value ids a filter accepts (at most SEARCH_MAX_VALUES). */
struct accept {
    bool on;                          /* the request filters on this field */
    size_t n;                         /* ids in id */
    uint32_t id[SEARCH_MAX_VALUES];   /* folded ids that pass */
};

/* Finds each filter value among the folded values (binary search). */
static void accept_init(struct accept *a, const struct search_index *idx, enum search_field f,
                        const struct search_filter *flt)
{
    const struct search_values *v = &idx->values[f];
    a->on = flt->count > 0;
    a->n = 0;
    for (size_t i = 0; i < flt->count; i++) {
        size_t lo = 0, hi = v->nfolded;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            struct catalog_str s = field_of(&idx->cat->items[v->fold_rep[mid]], f);
            int c = str_cmp(catalog_text(idx->cat, s), s.len, flt->value[i], flt->len[i], true);
            if (c == 0) {
                a->id[a->n++] = (uint32_t)mid;
                break;
            }
            if (c < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
    }
}

static bool accepts(const struct accept *a, const struct search_values *v, uint32_t k)
{
    if (!a->on)
        return true;
    uint32_t g = v->folded[v->of[k]];
    for (size_t i = 0; i < a->n; i++)
        if (a->id[i] == g)
            return true;
    return false;
}

/* Whether product k's text holds every term of req but the first. */
static bool other_terms(const struct search_index *idx, const struct search_request *req, size_t k)
{
    const char *t = idx->text + idx->offs[k];
    size_t n = idx->offs[k + 1] - idx->offs[k];
    for (size_t i = 1; i < req->nterms; i++)
        if (search_find(t, n, req->text + req->term_off[i], req->term_len[i]) == NULL)
            return false;
    return true;
}

/* The scan over the window: the finder runs over the whole window's text for
 * the first term, then each hit's product is checked for the rest. A request
 * in id order without facets needs no list of matches: it is counted and
 * paged as it goes, which keeps the seed's search as fast as it was. */
static int scan(const struct search_index *idx, const struct search_request *req, size_t checked,
                struct search_result *out)
{
    const struct catalog *cat = idx->cat;
    struct accept acc[SEARCH_FIELD_COUNT];
    for (int f = 0; f < SEARCH_FIELD_COUNT; f++)
        accept_init(&acc[f], idx, (enum search_field)f, &req->filter[f]);
    bool filtered = acc[0].on || acc[1].on || req->min_price > 0 || req->max_price != UINT64_MAX;
    bool stream = req->sort == SEARCH_SORT_ID && req->facets == 0;
    uint32_t *m = NULL;
    if (!stream && (m = malloc((checked ? checked : 1) * sizeof(*m))) == NULL)
        return -1;

    const char *needle = req->text + req->term_off[0];
    size_t nlen = req->term_len[0];
    const char *text = idx->text;
    size_t end = checked ? idx->offs[checked] : 0;
    size_t pos = 0, k = 0, found = 0;
    out->count = 0;
    for (;;) {
        if (req->has_text) {
            const char *hit = pos < end ? search_find(text + pos, end - pos, needle, nlen) : NULL;
            if (hit == NULL)
                break;
            k = owner(idx->offs, k, checked, (size_t)(hit - text));
            pos = idx->offs[k + 1]; /* one match per product: skip the rest of it */
            if (req->nterms > 1 && !other_terms(idx, req, k)) {
                k++;
                continue;
            }
        } else if (k >= checked) {
            break;
        }
        if (filtered) {
            const struct product *p = &cat->items[k];
            if (p->price_cents < req->min_price || p->price_cents > req->max_price ||
                !accepts(&acc[0], &idx->values[0], (uint32_t)k) ||
                !accepts(&acc[1], &idx->values[1], (uint32_t)k)) {
                k++;
                continue;
            }
        }
        if (stream) {
            if (found >= req->offset && out->count < req->limit)
                out->idx[out->count++] = (uint32_t)k;
        } else {
            m[found] = (uint32_t)k;
        }
        found++;
        k++;
    }
    out->total_found = found;
    out->checked = checked;
    if (!stream) {
        int ret = 0;
        for (int f = 0; f < SEARCH_FIELD_COUNT && ret == 0; f++)
            if (req->facets & (1u << f))
                ret = facet_count(&idx->values[f], m, found, out->facet[f], &out->nfacet[f]);
        page(cat, req, m, found, out);
        free(m);
        return ret;
    }
    return 0;
}

int search_run(const struct search_index *idx, const struct search_request *req,
               size_t scan_limit, struct search_result *out)
{
    uint64_t start = now_ns();
    size_t checked = (scan_limit == 0 || scan_limit > idx->count) ? idx->count : scan_limit;
    out->facets = req->facets;
    out->nfacet[0] = out->nfacet[1] = 0;
    /* The acquire pairs with the builder's release: a published index is
     * whole, and so are the text and value tables built before it. */
    const struct index *full = atomic_load_explicit(&idx->full, memory_order_acquire);
    int ret;
    if (full != NULL && checked == idx->count)
        ret = index_run(full, req, out);
    else if (idx->deferred)
        ret = search_reference(idx->cat, req, scan_limit, out); /* until the index is in */
    else if (checked > idx->scanned)
        ret = -1; /* a window wider than the one the text was built for */
    else
        ret = scan(idx, req, checked, out);
    out->elapsed_ns = now_ns() - start;
    return ret;
}

/* ---- The reference --------------------------------------------------------- */

/* Whether term (lower-cased) occurs in s, ASCII case ignored: every start tried. */
static bool ref_contains(const char *s, size_t n, const char *term, size_t m)
{
    for (size_t i = 0; i + m <= n; i++) {
        size_t j = 0;
        while (j < m && text_lower(s[i + j]) == term[j])
            j++;
        if (j == m)
            return true;
    }
    return false;
}

static bool ref_text(const struct catalog *cat, const struct product *p,
                     const struct search_request *req)
{
    if (!req->has_text)
        return true;
    for (size_t i = 0; i < req->nterms; i++) {
        const char *t = req->text + req->term_off[i];
        size_t m = req->term_len[i];
        if (!ref_contains(catalog_text(cat, p->name), p->name.len, t, m) &&
            !ref_contains(catalog_text(cat, p->category), p->category.len, t, m))
            return false;
    }
    return true;
}

static bool ref_filter(const struct catalog *cat, const struct product *p,
                       const struct search_request *req)
{
    if (p->price_cents < req->min_price || p->price_cents > req->max_price)
        return false;
    for (int f = 0; f < SEARCH_FIELD_COUNT; f++) {
        const struct search_filter *flt = &req->filter[f];
        if (flt->count == 0)
            continue;
        struct catalog_str s = field_of(p, (enum search_field)f);
        bool any = false;
        for (size_t i = 0; i < flt->count && !any; i++)
            any = str_cmp(catalog_text(cat, s), s.len, flt->value[i], flt->len[i], true) == 0;
        if (!any)
            return false;
    }
    return true;
}

/* Orders matches by field f's bytes, for counting runs of equal values. */
struct field_ctx {
    const struct catalog *cat; /* the products */
    enum search_field f;       /* the field */
};

static int field_cmp(const void *a, const void *b, void *ctx)
{
    const struct field_ctx *fc = ctx;
    struct catalog_str x = field_of(&fc->cat->items[*(const uint32_t *)a], fc->f);
    struct catalog_str y = field_of(&fc->cat->items[*(const uint32_t *)b], fc->f);
    return str_cmp(catalog_text(fc->cat, x), x.len, catalog_text(fc->cat, y), y.len, false);
}

/* Facets without tables: sort the matches by value, count the runs, order
 * the runs by count then value. */
static int ref_facet(const struct catalog *cat, enum search_field f, const uint32_t *m, size_t n,
                     struct search_facet *facet, size_t *nfacet)
{
    uint32_t *s = malloc((n ? n : 1) * sizeof(*s));
    uint32_t *pairs = malloc((n ? n : 1) * 2 * sizeof(*pairs)); /* {run number, count} */
    uint32_t *first = malloc((n ? n : 1) * sizeof(*first));     /* run number -> product */
    int ret = -1;
    if (s == NULL || pairs == NULL || first == NULL)
        goto out;
    memcpy(s, m, n * sizeof(*s));
    struct field_ctx fc = {cat, f};
    qsort_r(s, n, sizeof(*s), field_cmp, &fc);
    size_t runs = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || field_cmp(&s[i - 1], &s[i], &fc) != 0) {
            first[runs] = s[i];
            pairs[2 * runs] = (uint32_t)runs, pairs[2 * runs + 1] = 0;
            runs++;
        }
        pairs[2 * (runs - 1) + 1]++;
    }
    qsort(pairs, runs, 2 * sizeof(*pairs), facet_cmp); /* run numbers follow value order */
    *nfacet = runs < SEARCH_MAX_FACET_VALUES ? runs : SEARCH_MAX_FACET_VALUES;
    for (size_t i = 0; i < *nfacet; i++)
        facet[i] = (struct search_facet){first[pairs[2 * i]], pairs[2 * i + 1]};
    ret = 0;
out:
    free(s);
    free(pairs);
    free(first);
    return ret;
}

int search_reference(const struct catalog *cat, const struct search_request *req,
                     size_t scan_limit, struct search_result *out)
{
    uint64_t start = now_ns();
    size_t checked = (scan_limit == 0 || scan_limit > cat->count) ? cat->count : scan_limit;
    uint32_t *m = malloc((checked ? checked : 1) * sizeof(*m));
    if (m == NULL)
        return -1;
    size_t n = 0;
    for (size_t k = 0; k < checked; k++) {
        const struct product *p = &cat->items[k];
        if (ref_text(cat, p, req) && ref_filter(cat, p, req))
            m[n++] = (uint32_t)k;
    }
    out->total_found = n;
    out->checked = checked;
    out->facets = req->facets;
    int ret = 0;
    for (int f = 0; f < SEARCH_FIELD_COUNT; f++) {
        out->nfacet[f] = 0;
        if ((req->facets & (1u << f)) && ret == 0)
            ret = ref_facet(cat, (enum search_field)f, m, n, out->facet[f], &out->nfacet[f]);
    }
    page(cat, req, m, n, out);
    free(m);
    out->elapsed_ns = now_ns() - start;
    return ret;
}

bool search_result_equal(const struct catalog *cat, const struct search_result *a,
                         const struct search_result *b)
{
    if (a->count != b->count || a->total_found != b->total_found || a->checked != b->checked ||
        a->facets != b->facets)
        return false;
    for (size_t i = 0; i < a->count; i++)
        if (a->idx[i] != b->idx[i])
            return false;
    for (int f = 0; f < SEARCH_FIELD_COUNT; f++) {
        if (!(a->facets & (1u << f)))
            continue;
        if (a->nfacet[f] != b->nfacet[f])
            return false;
        for (size_t i = 0; i < a->nfacet[f]; i++) {
            struct catalog_str x = field_of(&cat->items[a->facet[f][i].product], (enum search_field)f);
            struct catalog_str y = field_of(&cat->items[b->facet[f][i].product], (enum search_field)f);
            if (a->facet[f][i].count != b->facet[f][i].count ||
                str_cmp(catalog_text(cat, x), x.len, catalog_text(cat, y), y.len, false) != 0)
                return false;
        }
    }
    return true;
}
