/* typo_bench: the designs for typo tolerance's near-word search, in process,
 * over the dictionary the index builds: brute force (typo_distance against
 * every word, the reference), the trie walk of the sorted words (what the
 * index used first), typo_dict_search (what the index uses: the deletion
 * neighbourhood of each word's first TYPO_PREFIX bytes), a SymSpell-style
 * deletion neighbourhood of whole words, and BK-trees (OSA as the metric; and unrestricted
 * Damerau-Levenshtein as the metric with an OSA check). For each: build
 * time, the heap bytes it holds beyond the word list (the sizes it asked
 * malloc for), and the time to find one term's near words (mean, p50, p99
 * and max of the pass with the lowest mean of 3, the timer's own cost
 * included); every answer is compared with brute force's (the same words
 * at the same distances), and any difference ends the run with status 1,
 * except the BK-tree over OSA, whose misses are counted and printed (OSA
 * breaks the triangle inequality the tree's pruning relies on).
 *
 *   make && cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Iinclude \
 *       $(pkg-config --cflags libdivsufsort) -o build/typo_bench bench/typo_bench.c \
 *       $(find build/obj -maxdepth 1 -name '*.o' ! -name main.o) \
 *       $(pkg-config --libs libmicrohttpd libcjson libdivsufsort) -lroaring -lpthread -lm
 *   build/typo_bench CATALOG PATHS
 *
 * CATALOG: a product count (the generated catalog) or a JSON array or JSON
 * Lines file. PATHS: request paths, one a line (bench/mixes.py's
 * OUT.typo.paths); each is parsed as the server parses it (query_parse:
 * q decoded, trimmed, lower-cased, split into terms when typos is given),
 * and every term with an allowance (request_allowance) of 1 or 2 is
 * searched at that allowance, repeats included. The dictionary holds every
 * kept word (typo_word_kept) of the four fields of every product,
 * lower-cased, as the index's build_dict() gives it to typo_dict_init().
 * Prints a Markdown table.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "catalog.h"
#include "catalog_file.h"
#include "query.h"
#include "request.h"
#include "text.h"
#include "typo.h"

enum {
    PASSES = 3,
    LINE_MAX_BYTES = 8192,
    NONE = UINT32_MAX,              /* no node */
    UNBOUNDED = 2 * TYPO_WORD_MAX,  /* a bound above every distance of two words */
};

static void die(const char *what)
{
    fprintf(stderr, "typo_bench: %s\n", what);
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        die("out of memory");
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (p == NULL)
        die("out of memory");
    return p;
}

static double seconds(uint64_t t0)
{
    return (double)(clock_ns() - t0) / 1e9;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t pick(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

/* The load average, as /proc/loadavg gives it, for the record. */
static void print_load(const char *when)
{
    char buf[128] = "?";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f != NULL) {
        if (fgets(buf, sizeof(buf), f) == NULL)
            strcpy(buf, "?");
        fclose(f);
    }
    buf[strcspn(buf, "\n")] = 0;
    printf("load average %s: %s\n", when, buf);
}

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return h ^ h >> 29;
}

/* ---- the dictionary --------------------------------------------------------- */

static const struct typo_dict *dict; /* the words every design searches */

static const char *word(uint32_t i)
{
    return dict->chars + dict->off[i];
}

static size_t word_len(uint32_t i)
{
    return dict->off[i + 1] - dict->off[i];
}

/* The dictionary of cat's words, as build_dict() makes it: every maximal run
 * of word bytes of the four fields, lower-cased, kept by typo_word_kept();
 * prints what it took. The lower-cased copy of the arena must outlive d. */
static void dict_build(struct typo_dict *d, const struct catalog *cat, char **lower)
{
    *lower = xmalloc(cat->arena_len);
    text_lower_copy(*lower, cat->arena, cat->arena_len);
    size_t n = 0;
    struct typo_words ws;
    memset(&ws, 0, sizeof(ws));
    uint64_t t0 = clock_ns();
    for (size_t k = 0; k < cat->count; k++)
        for (int f = 0; f < CATALOG_FIELD_COUNT; f++) {
            struct catalog_str str = catalog_field(&cat->items[k], (enum catalog_field)f);
            const char *s = *lower + str.off;
            for (size_t a = 0; a < str.len;) {
                if (!text_word_byte((unsigned char)s[a])) {
                    a++;
                    continue;
                }
                size_t b = a;
                while (b < str.len && text_word_byte((unsigned char)s[b]))
                    b++;
                if (typo_word_kept(s + a, b - a)) {
                    if (typo_words_add(&ws, s + a, b - a) != 0)
                        die("out of memory");
                    n++;
                }
                a = b;
            }
        }
    uint32_t *id = xmalloc((ws.n ? ws.n : 1) * sizeof(*id));
    if (typo_dict_init(d, &ws, id) != 0)
        die("typo_dict_init failed");
    double took = seconds(t0);
    printf("dictionary: %zu kept word occurrences, %u distinct words (%.2f bytes on average), "
           "word list %zu bytes (the words and their offsets); gathering and typo_dict_init "
           "%.3f s\n",
           n, d->nwords, d->nwords ? (double)d->off[d->nwords] / d->nwords : 0.0,
           (size_t)d->off[d->nwords] + (d->nwords + 1) * sizeof(uint32_t), took);
    typo_words_free(&ws);
    free(id);
}

/* ---- the terms -------------------------------------------------------------- */

/* One term to search: its bytes and its allowance. */
struct term {
    uint32_t off; /* in the terms' arena */
    uint16_t len; /* bytes */
    uint8_t max;  /* allowance, 1 or 2 */
};

struct terms {
    struct term *t; /* the terms, in file order */
    size_t n;       /* terms */
    char *chars;    /* their bytes */
    size_t queries; /* request paths read */
    size_t refused; /* paths query_parse() refused, or without q */
    size_t none;    /* terms without an allowance (left out) */
};

static int hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = text_lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* s[0..n) percent-decoded in place ('+' is a space); returns its new length. */
static size_t url_decode(char *s, size_t n)
{
    size_t w = 0;
    for (size_t r = 0; r < n; r++) {
        if (s[r] == '%' && r + 2 < n && hex(s[r + 1]) >= 0 && hex(s[r + 2]) >= 0) {
            s[w++] = (char)(hex(s[r + 1]) << 4 | hex(s[r + 2]));
            r += 2;
        } else {
            s[w++] = s[r] == '+' ? ' ' : s[r];
        }
    }
    return w;
}

/* The terms of every request path of the file at path. */
static void terms_read(struct terms *ts, const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        die("cannot open the paths file");
    memset(ts, 0, sizeof(*ts));
    size_t cap = 1024, ccap = 1 << 16, clen = 0;
    ts->t = xmalloc(cap * sizeof(*ts->t));
    ts->chars = xmalloc(ccap);
    static char line[LINE_MAX_BYTES];
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\r\n")] = 0;
        char *q = strchr(line, '?');
        if (q == NULL)
            continue;
        ts->queries++;
        struct query_param ps[QUERY_MAX_PARAMS];
        size_t np = 0;
        for (char *s = q + 1; *s && np < QUERY_MAX_PARAMS;) {
            char *amp = strchr(s, '&');
            size_t len = amp ? (size_t)(amp - s) : strlen(s);
            char *eq = memchr(s, '=', len);
            size_t nl = eq ? (size_t)(eq - s) : len;
            ps[np].name = s;
            ps[np].name_len = url_decode(s, nl);
            ps[np].value = eq ? eq + 1 : NULL;
            ps[np].value_len = eq ? url_decode(eq + 1, len - nl - 1) : 0;
            np++;
            s += len + (amp != NULL);
        }
        struct request req;
        struct query_error err;
        if (query_parse(ps, np, 20, &req, &err) != 0 || !req.has_text) {
            ts->refused++;
            continue;
        }
        for (size_t k = 0; k < req.nterms; k++) {
            const char *t = req.text + req.term_off[k];
            size_t m = req.term_len[k];
            unsigned max = request_allowance(&req, t, m);
            if (max == 0) {
                ts->none++;
                continue;
            }
            if (ts->n == cap)
                ts->t = xrealloc(ts->t, (cap *= 2) * sizeof(*ts->t));
            while (clen + m > ccap)
                ts->chars = xrealloc(ts->chars, ccap *= 2);
            memcpy(ts->chars + clen, t, m);
            ts->t[ts->n++] = (struct term){(uint32_t)clen, (uint16_t)m, (uint8_t)max};
            clen += m;
        }
    }
    fclose(f);
}

/* ---- answers ---------------------------------------------------------------- */

/* One search's answer: the words found and their distances. Room for every
 * word of the dictionary, so that adding never allocates (no design reports
 * a word twice). */
struct hits {
    uint32_t *id;  /* word indices */
    uint8_t *dist; /* their distances, 1..max */
    size_t n;      /* words found */
};

static void hit(void *ctx, uint32_t i, unsigned d)
{
    struct hits *h = ctx;
    h->id[h->n] = i;
    h->dist[h->n++] = (uint8_t)d;
}

/* h sorted by word (insertion sort: answers hold a few dozen words). */
static void hits_sort(struct hits *h)
{
    for (size_t i = 1; i < h->n; i++) {
        uint32_t id = h->id[i];
        uint8_t d = h->dist[i];
        size_t j = i;
        for (; j > 0 && h->id[j - 1] > id; j--) {
            h->id[j] = h->id[j - 1];
            h->dist[j] = h->dist[j - 1];
        }
        h->id[j] = id;
        h->dist[j] = d;
    }
}

/* Brute force's answers, every term's after the other. */
struct reference {
    size_t *start; /* per term + 1: where its answer starts */
    uint32_t *id;  /* words */
    uint8_t *dist; /* distances */
};

/* ---- 1. brute force ----------------------------------------------------------- */

static size_t brute_search(void *state, const char *t, size_t m, unsigned max, struct hits *h)
{
    (void)state;
    for (uint32_t i = 0; i < dict->nwords; i++) {
        unsigned d = typo_distance(t, m, word(i), word_len(i), max);
        if (d >= 1 && d <= max)
            hit(h, i, d);
    }
    return dict->nwords;
}

/* ---- 2. the trie walk (the index's until the deletion neighbourhood replaced it) ---- */

/* The sorted words walked as a trie: one row of the distance table per byte
 * of prefix, shared by the words with that prefix; a prefix whose rows
 * exceed the allowance is skipped with every word that begins with it
 * (found by binary search). As src/typo.c had it at commit adf1e13. */
static unsigned min3(unsigned a, unsigned b, unsigned c)
{
    unsigned m = a < b ? a : b;
    return m < c ? m : c;
}
static unsigned trie_row(const char *t, size_t m, const char *w, size_t k, const unsigned *r2,
                         const unsigned *r1, unsigned *r)
{
    char c = text_lower(w[k - 1]);
    char prev = k > 1 ? text_lower(w[k - 2]) : 0;
    unsigned least = r[0] = (unsigned)k;
    for (size_t j = 1; j <= m; j++) {
        unsigned v = min3(r1[j] + 1, r[j - 1] + 1, r1[j - 1] + (c != t[j - 1]));
        if (k > 1 && j > 1 && c == t[j - 2] && prev == t[j - 1] && r2[j - 2] + 1 < v)
            v = r2[j - 2] + 1;
        r[j] = v;
        if (v < least)
            least = v;
    }
    return least;
}
static uint32_t skip_prefix(const struct typo_dict *d, uint32_t i, size_t k)
{
    const char *p = d->chars + d->off[i];
    uint32_t lo = i + 1, hi = d->nwords;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        size_t n = d->off[mid + 1] - d->off[mid];
        if (n >= k && memcmp(d->chars + d->off[mid], p, k) == 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}
static size_t trie_walk(const struct typo_dict *d, const char *t, size_t m, unsigned max,
                        void (*found)(void *ctx, uint32_t i, unsigned dist), void *ctx)
{
    size_t deepest = m + max; /* a longer word is too far */
    unsigned *rows = malloc((deepest + 1) * (m + 1) * sizeof(*rows));
    unsigned *least = malloc((deepest + 1) * sizeof(*least));
    size_t reported = 0;
    if (rows == NULL || least == NULL || d->nwords == 0)
        goto out;
    for (size_t j = 0; j <= m; j++)
        rows[j] = (unsigned)j;
    least[0] = 0;
    size_t valid = 0;            /* rows 0..valid hold the prefixes of prev */
    const char *prev = NULL;     /* the last word whose rows were computed */
    size_t prev_len = 0;
    for (uint32_t i = 0; i < d->nwords;) {
        const char *w = d->chars + d->off[i];
        size_t n = d->off[i + 1] - d->off[i];
        size_t shared = 0;
        if (prev != NULL)
            while (shared < valid && shared < n && shared < prev_len && w[shared] == prev[shared])
                shared++;
        size_t k = shared;
        bool pruned = false;
        for (; k < n && k < deepest; k++) {
            unsigned *r = rows + (k + 1) * (m + 1);
            least[k + 1] = trie_row(t, m, w, k + 1, k > 0 ? r - 2 * (m + 1) : rows,
                                    r - (m + 1), r);
            /* a transposition reaches two rows ahead at +1 */
            if (least[k + 1] > max && least[k] + 1 > max) {
                pruned = true;
                k++;
                break;
            }
        }
        prev = w;
        prev_len = n;
        valid = k;
        if (pruned) { /* no word beginning with w[0..k) is near */
            i = skip_prefix(d, i, k);
            valid = k - 1;
            continue;
        }
        if (n <= deepest) {
            unsigned dist = rows[n * (m + 1) + m];
            if (dist >= 1 && dist <= max) {
                found(ctx, i, dist);
                reported++;
            }
        }
        i++;
    }
out:
    free(rows);
    free(least);
    return reported;
}

static size_t trie_search(void *state, const char *t, size_t m, unsigned max, struct hits *h)
{
    (void)state;
    trie_walk(dict, t, m, max, hit, h);
    return 0;
}

/* ---- 2b. typo_dict_search (typo.c): the deletions of a word's first
 * TYPO_PREFIX bytes --------------------------------------------------------------- */

static size_t index_search(void *state, const char *t, size_t m, unsigned max, struct hits *h)
{
    (void)state;
    if (typo_dict_search(dict, t, m, max, hit, h) != 0)
        die("out of memory");
    return 0;
}

static int word_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return text_cmp(word(x), word_len(x), word(y), word_len(y));
}

/* The trie's build beyond a list of distinct words: sorting them, from a
 * seeded shuffle (typo_dict_init() sorts as it removes repeats). Returns
 * seconds; exits if the order found is not the dictionary's. */
static double trie_sort_time(void)
{
    uint32_t n = dict->nwords;
    uint32_t *order = xmalloc(n * sizeof(*order));
    for (uint32_t i = 0; i < n; i++)
        order[i] = i;
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = pick(i), x = order[i - 1];
        order[i - 1] = order[j];
        order[j] = x;
    }
    uint64_t t0 = clock_ns();
    qsort(order, n, sizeof(*order), word_cmp);
    double s = seconds(t0);
    for (uint32_t i = 0; i < n; i++)
        if (order[i] != i)
            die("the sorted words are not in the dictionary's order");
    free(order);
    return s;
}

/* ---- 3. SymSpell: the deletion neighbourhood ------------------------------------ */

/* Every distinct string made by deleting at most 2 bytes from a word (the
 * word itself included), with the words it comes from: a hash table of the
 * strings, the strings back to back, and each one's words. A term's own
 * deletions of up to its allowance are looked up, and the words found are
 * checked with typo_distance(): if the term and a word are within d edits,
 * deleting at most d bytes from each makes them equal (a substitution costs
 * one deletion on each side, an insertion one on the word's side, a
 * transposition one on each side). */
struct symspell {
    uint32_t *slot;  /* mask + 1: deletion index + 1, 0 = empty */
    size_t mask;     /* slots - 1 */
    char *chars;     /* the deletions back to back */
    uint32_t *off;   /* ndel + 1: deletion k is chars[off[k], off[k + 1]) */
    uint32_t *start; /* ndel + 1: its words are word[start[k], start[k + 1]) */
    uint32_t *word;  /* npost: word indices */
    uint32_t ndel;   /* distinct deletion strings (the hash map's keys) */
    size_t npost;    /* (deletion, word) entries */
    uint32_t *seen;  /* per word: the last search that checked it */
    uint32_t stamp;  /* this search */
    size_t checked;  /* words checked with typo_distance, all searches */
    size_t bytes;    /* heap bytes held */
};

/* Building: what is freed once the map is made. */
struct symspell_build {
    size_t ccap, dcap, pcap; /* capacities of chars, off, the pairs */
    uint32_t *last;          /* per deletion: the last word that added it */
    uint32_t *pdel, *pword;  /* the (deletion, word) pairs, in word order */
};

static size_t del_slot(const struct symspell *s, const char *v, size_t n)
{
    size_t at = fnv(v, n) & s->mask;
    while (s->slot[at] != 0) {
        uint32_t k = s->slot[at] - 1;
        if (s->off[k + 1] - s->off[k] == n && memcmp(s->chars + s->off[k], v, n) == 0)
            break;
        at = (at + 1) & s->mask;
    }
    return at;
}

/* Adds the pair (v, word w), v new or not. */
static void del_add(struct symspell *s, struct symspell_build *b, const char *v, size_t n,
                    uint32_t w)
{
    if (2 * ((size_t)s->ndel + 1) > s->mask + 1) {
        size_t bigger = 2 * s->mask + 1;
        free(s->slot);
        s->slot = calloc(bigger + 1, sizeof(*s->slot));
        if (s->slot == NULL)
            die("out of memory");
        s->mask = bigger;
        for (uint32_t k = 0; k < s->ndel; k++)
            s->slot[del_slot(s, s->chars + s->off[k], s->off[k + 1] - s->off[k])] = k + 1;
    }
    size_t at = del_slot(s, v, n);
    uint32_t k;
    if (s->slot[at] == 0) {
        k = s->ndel++;
        if (s->ndel + 1 > b->dcap) {
            b->dcap *= 2;
            s->off = xrealloc(s->off, b->dcap * sizeof(*s->off));
            b->last = xrealloc(b->last, b->dcap * sizeof(*b->last));
        }
        while (s->off[k] + n > b->ccap)
            s->chars = xrealloc(s->chars, b->ccap *= 2);
        memcpy(s->chars + s->off[k], v, n);
        s->off[k + 1] = s->off[k] + (uint32_t)n;
        b->last[k] = NONE;
        s->slot[at] = k + 1;
    } else {
        k = s->slot[at] - 1;
    }
    if (b->last[k] == w) /* deleting other bytes gave the same string */
        return;
    b->last[k] = w;
    if (s->npost == b->pcap) {
        b->pcap *= 2;
        b->pdel = xrealloc(b->pdel, b->pcap * sizeof(*b->pdel));
        b->pword = xrealloc(b->pword, b->pcap * sizeof(*b->pword));
    }
    b->pdel[s->npost] = k;
    b->pword[s->npost++] = w;
}

/* Calls each(ctx, v, len) for w (n bytes) with 0, 1, ... up to most bytes
 * deleted (repeats possible: "aab" less its first or its second byte). */
static void deletions(const char *w, size_t n, unsigned most,
                      void (*each)(void *ctx, const char *v, size_t len), void *ctx)
{
    char v[TYPO_WORD_MAX];
    each(ctx, w, n);
    if (most == 0)
        return;
    for (size_t i = 0; i < n; i++) {
        memcpy(v, w, i);
        memcpy(v + i, w + i + 1, n - i - 1);
        each(ctx, v, n - 1);
        if (most < 2)
            continue;
        for (size_t j = i; j + 1 < n; j++) { /* then byte j of v (w's j + 1) */
            char u[TYPO_WORD_MAX];
            memcpy(u, v, j);
            memcpy(u + j, v + j + 1, n - 2 - j);
            each(ctx, u, n - 2);
        }
    }
}

struct del_ctx {
    struct symspell *s;
    struct symspell_build *b;
    uint32_t w;
};

static void del_each(void *ctx, const char *v, size_t n)
{
    struct del_ctx *c = ctx;
    del_add(c->s, c->b, v, n, c->w);
}

static void symspell_build(struct symspell *s)
{
    memset(s, 0, sizeof(*s));
    struct symspell_build b = {1 << 16, 1 << 12, 1 << 12, NULL, NULL, NULL};
    s->mask = 1023;
    s->slot = calloc(s->mask + 1, sizeof(*s->slot));
    s->chars = xmalloc(b.ccap);
    s->off = xmalloc(b.dcap * sizeof(*s->off));
    b.last = xmalloc(b.dcap * sizeof(*b.last));
    b.pdel = xmalloc(b.pcap * sizeof(*b.pdel));
    b.pword = xmalloc(b.pcap * sizeof(*b.pword));
    if (s->slot == NULL)
        die("out of memory");
    s->off[0] = 0;
    for (uint32_t w = 0; w < dict->nwords; w++) {
        struct del_ctx c = {s, &b, w};
        deletions(word(w), word_len(w), TYPO_MAX, del_each, &c);
    }
    /* each deletion's words, together */
    s->start = calloc((size_t)s->ndel + 1, sizeof(*s->start));
    s->word = xmalloc(s->npost * sizeof(*s->word));
    if (s->start == NULL)
        die("out of memory");
    for (size_t p = 0; p < s->npost; p++)
        s->start[b.pdel[p] + 1]++;
    for (uint32_t k = 0; k < s->ndel; k++)
        s->start[k + 1] += s->start[k];
    for (size_t p = 0; p < s->npost; p++) /* b.last reused as the fill point */
        b.last[b.pdel[p]] = 0;
    for (size_t p = 0; p < s->npost; p++)
        s->word[s->start[b.pdel[p]] + b.last[b.pdel[p]]++] = b.pword[p];
    free(b.last);
    free(b.pdel);
    free(b.pword);
    s->chars = xrealloc(s->chars, s->off[s->ndel]);
    s->off = xrealloc(s->off, ((size_t)s->ndel + 1) * sizeof(*s->off));
    s->seen = calloc(dict->nwords ? dict->nwords : 1, sizeof(*s->seen));
    if (s->seen == NULL)
        die("out of memory");
    s->bytes = (s->mask + 1) * sizeof(*s->slot) + s->off[s->ndel] +
               2 * ((size_t)s->ndel + 1) * sizeof(uint32_t) + s->npost * sizeof(*s->word) +
               (size_t)dict->nwords * sizeof(*s->seen);
}

static void symspell_free(struct symspell *s)
{
    free(s->slot);
    free(s->chars);
    free(s->off);
    free(s->start);
    free(s->word);
    free(s->seen);
    memset(s, 0, sizeof(*s));
}

struct look_ctx {
    struct symspell *s;
    const char *t;   /* the term */
    size_t m;        /* its bytes */
    unsigned max;    /* its allowance */
    struct hits *h;  /* the answer */
};

/* One deletion of the term: its words, each checked once per search. */
static void look_each(void *ctx, const char *v, size_t n)
{
    struct look_ctx *c = ctx;
    struct symspell *s = c->s;
    uint32_t k = s->slot[del_slot(s, v, n)];
    if (k-- == 0)
        return;
    for (uint32_t p = s->start[k]; p < s->start[k + 1]; p++) {
        uint32_t w = s->word[p];
        if (s->seen[w] == s->stamp)
            continue;
        s->seen[w] = s->stamp;
        s->checked++;
        unsigned d = typo_distance(c->t, c->m, word(w), word_len(w), c->max);
        if (d >= 1 && d <= c->max)
            hit(c->h, w, d);
    }
}

static size_t symspell_search(void *state, const char *t, size_t m, unsigned max, struct hits *h)
{
    struct symspell *s = state;
    if (++s->stamp == 0) { /* wrapped: forget every mark */
        memset(s->seen, 0, dict->nwords * sizeof(*s->seen));
        s->stamp = 1;
    }
    size_t before = s->checked;
    struct look_ctx c = {s, t, m, max, h};
    deletions(t, m, max, look_each, &c);
    return s->checked - before;
}

/* ---- 4. BK-trees ------------------------------------------------------------------ */

/* The unrestricted Damerau-Levenshtein distance of a and b (Lowrance and
 * Wagner's algorithm): a metric, unlike OSA, and never more than OSA. */
static unsigned dl_distance(const char *a, size_t m, const char *b, size_t n)
{
    static unsigned h[TYPO_WORD_MAX + 2][TYPO_WORD_MAX + 2];
    uint16_t da[256] = {0}; /* per byte: the last row of a holding it */
    unsigned inf = (unsigned)(m + n);
    h[0][0] = inf;
    for (size_t i = 0; i <= m; i++) {
        h[i + 1][0] = inf;
        h[i + 1][1] = (unsigned)i;
    }
    for (size_t j = 0; j <= n; j++) {
        h[0][j + 1] = inf;
        h[1][j + 1] = (unsigned)j;
    }
    for (size_t i = 1; i <= m; i++) {
        size_t db = 0;
        for (size_t j = 1; j <= n; j++) {
            size_t i1 = da[(unsigned char)b[j - 1]], j1 = db;
            unsigned cost = a[i - 1] == b[j - 1] ? 0 : 1;
            if (cost == 0)
                db = j;
            unsigned v = h[i][j] + cost;
            if (h[i + 1][j] + 1 < v)
                v = h[i + 1][j] + 1;
            if (h[i][j + 1] + 1 < v)
                v = h[i][j + 1] + 1;
            unsigned tr = h[i1][j1] + (unsigned)(i - i1 - 1) + 1 + (unsigned)(j - j1 - 1);
            if (tr < v)
                v = tr;
            h[i + 1][j + 1] = v;
        }
        da[(unsigned char)a[i - 1]] = (uint16_t)i;
    }
    return h[m + 1][n + 1];
}

/* The OSA distance of two dictionary words, unbounded. */
static unsigned osa_words(uint32_t a, uint32_t b)
{
    if (word_len(a) > word_len(b)) {
        uint32_t x = a;
        a = b;
        b = x;
    }
    if (word_len(a) > 256)
        die("two words over 256 bytes: typo_distance cannot compare them");
    return typo_distance(word(a), word_len(a), word(b), word_len(b), UNBOUNDED);
}

/* A BK-tree whose nodes are the dictionary's words: a node's children sit
 * at distinct distances from it, each child holding the words at its
 * distance. A search at distance k from a node at distance d from the term
 * descends only to children at d - k .. d + k, which the triangle
 * inequality makes safe for a metric. */
struct bktree {
    bool dl;           /* metric: Damerau-Levenshtein (then OSA checks a match), else OSA */
    uint32_t root;     /* the first word inserted */
    uint32_t *child;   /* per word: its first child, NONE for a leaf */
    uint32_t *sibling; /* per word: the next child of its parent */
    uint16_t *edge;    /* per word: its distance to its parent */
    uint16_t *reach;   /* per word: the largest edge below it (OSA: bounds the distance) */
    uint32_t *stack;   /* a search's nodes to visit */
    size_t computed;   /* metric distances computed, all searches */
    size_t verified;   /* OSA checks of a DL match, all searches */
    size_t bytes;      /* heap bytes held */
};

static void bk_build(struct bktree *b, bool dl)
{
    uint32_t n = dict->nwords;
    memset(b, 0, sizeof(*b));
    b->dl = dl;
    b->child = xmalloc(n * sizeof(*b->child));
    b->sibling = xmalloc(n * sizeof(*b->sibling));
    b->edge = xmalloc(n * sizeof(*b->edge));
    b->reach = xmalloc(n * sizeof(*b->reach));
    b->stack = xmalloc(n * sizeof(*b->stack));
    b->bytes = (size_t)n * (2 * sizeof(uint32_t) + 2 * sizeof(uint16_t) + sizeof(uint32_t));
    /* the words in a seeded random order: a sorted order's neighbours are alike */
    uint32_t *order = xmalloc(n * sizeof(*order));
    for (uint32_t i = 0; i < n; i++)
        order[i] = i;
    uint64_t saved = rng;
    rng = 0x2545F4914F6CDD1Dull;
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = pick(i), x = order[i - 1];
        order[i - 1] = order[j];
        order[j] = x;
    }
    rng = saved;
    b->root = n ? order[0] : NONE;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t w = order[i];
        b->child[w] = b->sibling[w] = NONE;
        b->reach[w] = 0;
        if (i == 0)
            continue;
        uint32_t at = b->root;
        for (;;) {
            unsigned d = dl ? dl_distance(word(w), word_len(w), word(at), word_len(at))
                            : osa_words(w, at);
            uint32_t c = b->child[at];
            while (c != NONE && b->edge[c] != d)
                c = b->sibling[c];
            if (d > b->reach[at])
                b->reach[at] = (uint16_t)d;
            if (c == NONE) {
                b->edge[w] = (uint16_t)d;
                b->sibling[w] = b->child[at];
                b->child[at] = w;
                break;
            }
            at = c;
        }
    }
    free(order);
}

static void bk_free(struct bktree *b)
{
    free(b->child);
    free(b->sibling);
    free(b->edge);
    free(b->reach);
    free(b->stack);
    memset(b, 0, sizeof(*b));
}

static size_t bk_search(void *state, const char *t, size_t m, unsigned max, struct hits *h)
{
    struct bktree *b = state;
    size_t top = 0, before = b->computed;
    if (b->root != NONE)
        b->stack[top++] = b->root;
    while (top > 0) {
        uint32_t at = b->stack[--top];
        unsigned d;
        b->computed++;
        if (b->dl) {
            d = dl_distance(t, m, word(at), word_len(at));
            if (d <= max) {
                b->verified++;
                unsigned o = typo_distance(t, m, word(at), word_len(at), max);
                if (o >= 1 && o <= max)
                    hit(h, at, o);
            }
        } else {
            /* exact up to max + reach; beyond it, no child is within reach */
            d = typo_distance(t, m, word(at), word_len(at), max + b->reach[at]);
            if (d >= 1 && d <= max)
                hit(h, at, d);
        }
        for (uint32_t c = b->child[at]; c != NONE; c = b->sibling[c])
            if (b->edge[c] + max >= d && b->edge[c] <= d + max)
                b->stack[top++] = c;
    }
    return b->computed - before;
}

/* ---- measuring ------------------------------------------------------------------ */

static char example[512]; /* the first word a design missed, printed after the table */

/* One design: its search and what it reports beside the times. */
struct design {
    const char *name;
    size_t (*search)(void *state, const char *t, size_t m, unsigned max, struct hits *h);
    void *state;
    double build_s;  /* beyond the word list */
    size_t bytes;    /* held beyond the word list */
    bool may_miss;   /* misses are counted, not fatal */
    char note[256];  /* printed in the last column */
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Runs every term through design g PASSES times and prints its row; with
 * ref->start NULL, g is brute force and fills ref. Exits on a wrong answer. */
static void measure(struct design *g, const struct terms *ts, struct reference *ref)
{
    struct hits h = {xmalloc(dict->nwords * sizeof(*h.id)), xmalloc(dict->nwords), 0};
    double *lat = xmalloc(ts->n * sizeof(*lat)), *best = xmalloc(ts->n * sizeof(*best));
    double best_mean = -1;
    size_t work = 0, missed = 0, missed_terms = 0;
    bool filling = ref->start == NULL;
    if (filling) {
        ref->start = xmalloc((ts->n + 1) * sizeof(*ref->start));
        ref->start[0] = 0;
    }
    size_t rcap = 1024;
    for (int pass = 0; pass < PASSES; pass++) {
        double sum = 0;
        work = 0;
        for (size_t i = 0; i < ts->n; i++) {
            const struct term *t = &ts->t[i];
            h.n = 0;
            uint64_t t0 = clock_ns();
            work += g->search(g->state, ts->chars + t->off, t->len, t->max, &h);
            lat[i] = (double)(clock_ns() - t0);
            sum += lat[i];
            hits_sort(&h);
            if (filling && pass == 0) { /* the reference */
                if (i == 0) {
                    ref->id = xmalloc(rcap * sizeof(*ref->id));
                    ref->dist = xmalloc(rcap);
                }
                while (ref->start[i] + h.n > rcap) {
                    rcap *= 2;
                    ref->id = xrealloc(ref->id, rcap * sizeof(*ref->id));
                    ref->dist = xrealloc(ref->dist, rcap);
                }
                memcpy(ref->id + ref->start[i], h.id, h.n * sizeof(*h.id));
                memcpy(ref->dist + ref->start[i], h.dist, h.n);
                ref->start[i + 1] = ref->start[i] + h.n;
                continue;
            }
            /* the same (word, distance) pairs as brute force */
            size_t a = ref->start[i], e = ref->start[i + 1], b = 0, lost = 0;
            bool wrong = false;
            while (a < e || b < h.n) {
                if (b == h.n || (a < e && ref->id[a] < h.id[b])) {
                    if (lost++ == 0 && example[0] == 0 && g->may_miss)
                        snprintf(example, sizeof(example),
                                 "%s: the first miss: term \"%.*s\" (allowance %u), word \"%.*s\" "
                                 "at distance %u",
                                 g->name, (int)t->len, ts->chars + t->off, t->max,
                                 (int)word_len(ref->id[a]), word(ref->id[a]), ref->dist[a]);
                    a++;
                } else if (a == e || h.id[b] < ref->id[a] || h.dist[b] != ref->dist[a]) {
                    wrong = true;
                    break;
                } else {
                    a++;
                    b++;
                }
            }
            if (wrong || (lost > 0 && !g->may_miss)) {
                fprintf(stderr,
                        "typo_bench: %s differs from brute force on term \"%.*s\" (allowance %u):"
                        " %zu words, brute force %zu\n",
                        g->name, (int)t->len, ts->chars + t->off, t->max, h.n, e - ref->start[i]);
                exit(1);
            }
            if (pass == 0) {
                missed += lost;
                missed_terms += lost > 0;
            }
        }
        if (best_mean < 0 || sum / (double)ts->n < best_mean) {
            best_mean = sum / (double)ts->n;
            memcpy(best, lat, ts->n * sizeof(*lat));
        }
    }
    qsort(best, ts->n, sizeof(*best), cmp_double);
    char extra[128] = "";
    if (g->may_miss)
        snprintf(extra, sizeof(extra), "; **misses %zu words on %zu terms**", missed,
                 missed_terms);
    if (work > 0 && g->search != brute_search && g->note[0] != 0)
        snprintf(g->note + strlen(g->note), sizeof(g->note) - strlen(g->note),
                 ", %.1f per term", (double)work / (double)ts->n);
    printf("| %s | %.2f ms | %.2f MB (%zu bytes) | %.2f µs | %.2f µs | %.2f µs | %.2f µs | %s%s |\n",
           g->name, g->build_s * 1e3, (double)g->bytes / 1e6, g->bytes, best_mean / 1e3,
           best[ts->n / 2] / 1e3, best[ts->n * 99 / 100] / 1e3, best[ts->n - 1] / 1e3, g->note,
           extra);
    fflush(stdout);
    free(h.id);
    free(h.dist);
    free(lat);
    free(best);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s CATALOG PATHS\n"
                        "  CATALOG: a product count (generated) or a JSON / JSON Lines file\n"
                        "  PATHS: request paths, one a line (bench/mixes.py's OUT.typo.paths)\n",
                argv[0]);
        return 2;
    }
    print_load("at the start");
    static struct catalog cat;
    char err[CATALOG_FILE_ERROR_MAX];
    if (strspn(argv[1], "0123456789") == strlen(argv[1])) {
        if (catalog_generate(&cat, strtoul(argv[1], NULL, 10)) != 0)
            die("cannot generate the catalog");
    } else {
        catalog_init(&cat);
        if (catalog_load_file(&cat, argv[1], err) != 0)
            die(err);
    }
    printf("catalog %s: %zu products\n", argv[1], cat.count);
    struct typo_dict d;
    char *lower;
    dict_build(&d, &cat, &lower);
    dict = &d;

    struct terms ts;
    terms_read(&ts, argv[2]);
    size_t by_max[3] = {0, 0, 0};
    for (size_t i = 0; i < ts.n; i++)
        by_max[ts.t[i].max]++;
    printf("terms: %zu request paths (%zu refused), %zu terms searched (allowance 1: %zu, "
           "2: %zu), %zu terms without an allowance left out\n",
           ts.queries, ts.refused, ts.n, by_max[1], by_max[2], ts.none);
    if (ts.n == 0)
        die("no term to search");

    struct reference ref = {NULL, NULL, NULL};
    struct design brute = {"brute force (reference)", brute_search, NULL, 0, 0, false, ""};
    snprintf(brute.note, sizeof(brute.note), "%u distances per term", d.nwords);
    struct design trie = {"trie walk (the index's first design)", trie_search, NULL, 0, 0, false, ""};
    printf("\n| design | build | memory beyond the words | mean | p50 | p99 | max | notes |\n"
           "|---|---:|---:|---:|---:|---:|---:|---|\n");
    measure(&brute, &ts, &ref);
    size_t near = ref.start[ts.n];

    trie.build_s = trie_sort_time();
    for (int k = 1; k < PASSES; k++) {
        double s = trie_sort_time();
        if (s < trie.build_s)
            trie.build_s = s;
    }
    snprintf(trie.note, sizeof(trie.note),
             "build: sorting the distinct words; each search allocates its rows, "
             "(m + max + 2)(m + 1) unsigned for an m-byte term");
    measure(&trie, &ts, &ref);

    /* the index's: typo_dict_init() over the distinct words, less their sort */
    struct design ours = {"typo_dict_search (deletions of the first 7 bytes)", index_search, NULL,
                          0, 0, false, ""};
    struct typo_words distinct;
    memset(&distinct, 0, sizeof(distinct));
    for (uint32_t i = 0; i < d.nwords; i++)
        if (typo_words_add(&distinct, word(i), word_len(i)) != 0)
            die("out of memory");
    uint32_t *wid = xmalloc((d.nwords ? d.nwords : 1) * sizeof(*wid));
    for (int k = 0; k < PASSES; k++) {
        struct typo_dict again;
        uint64_t t0 = clock_ns();
        if (typo_dict_init(&again, &distinct, wid) != 0)
            die("out of memory");
        double s = seconds(t0);
        if (k == 0 || s < ours.build_s)
            ours.build_s = s;
        typo_dict_deinit(&again);
    }
    typo_words_free(&distinct);
    free(wid);
    ours.bytes = typo_dict_bytes(&d) - d.off[d.nwords] - ((size_t)d.nwords + 1) * sizeof(*d.off);
    snprintf(ours.note, sizeof(ours.note),
             "build: typo_dict_init() on the distinct words (sorting them included); %u keys, "
             "%zu (key, word) entries (%.1f a word)",
             d.ndel, d.npairs, d.nwords ? (double)d.npairs / d.nwords : 0.0);
    measure(&ours, &ts, &ref);

    struct symspell ss;
    struct design sym = {"SymSpell, deletions up to 2", symspell_search, &ss, 0, 0, false, ""};
    for (int k = 0; k < PASSES; k++) { /* the best of 3 builds */
        if (k > 0)
            symspell_free(&ss);
        uint64_t t0 = clock_ns();
        symspell_build(&ss);
        double s = seconds(t0);
        if (k == 0 || s < sym.build_s)
            sym.build_s = s;
    }
    sym.bytes = ss.bytes;
    char sym_bytes[256];
    snprintf(sym_bytes, sizeof(sym_bytes),
             "SymSpell bytes: hash table %zu, keys %u, key offsets and word-list starts %zu, "
             "word lists %zu, per-word search marks %zu",
             (ss.mask + 1) * sizeof(*ss.slot), ss.off[ss.ndel],
             2 * ((size_t)ss.ndel + 1) * sizeof(uint32_t), ss.npost * sizeof(*ss.word),
             (size_t)d.nwords * sizeof(*ss.seen));
    snprintf(sym.note, sizeof(sym.note),
             "%u keys, %zu (key, word) entries (%.1f a word); words checked", ss.ndel, ss.npost,
             d.nwords ? (double)ss.npost / d.nwords : 0.0);
    measure(&sym, &ts, &ref);
    symspell_free(&ss);

    for (int dl = 0; dl < 2; dl++) {
        struct bktree bk;
        struct design g = {dl ? "BK-tree, Damerau-Levenshtein + OSA check" : "BK-tree, OSA metric",
                           bk_search, &bk, 0, 0, !dl, ""};
        for (int k = 0; k < PASSES; k++) {
            if (k > 0)
                bk_free(&bk);
            uint64_t t0 = clock_ns();
            bk_build(&bk, dl);
            double s = seconds(t0);
            if (k == 0 || s < g.build_s)
                g.build_s = s;
        }
        g.bytes = bk.bytes;
        snprintf(g.note, sizeof(g.note), "distances computed (of %u words)", d.nwords);
        measure(&g, &ts, &ref);
        bk_free(&bk);
    }
    printf("\nnear words found: %zu over %zu terms (%.2f a term)\n", near, ts.n,
           (double)near / (double)ts.n);
    printf("%s\n%s\n", sym_bytes, example);
    print_load("at the end");
    typo_dict_deinit(&d);
    free(lower);
    free(ts.t);
    free(ts.chars);
    free(ref.start);
    free(ref.id);
    free(ref.dist);
    catalog_deinit(&cat);
    return 0;
}
