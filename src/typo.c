/* typo: the distance typo tolerance counts, and the dictionary that finds
 * the words near a term.
 *
 * Design. A typo is an insertion, a deletion, a substitution or an adjacent
 * transposition (the optimal-string-alignment distance), at most two per
 * term. The index keeps, for all its fields together, the distinct words
 * that can be near a term (2 to 258 bytes, at most two ASCII digits: each
 * digit of a word costs a term without digits an edit), sorted, each with
 * its products per field. A term's near words are found through their
 * deletion neighbourhood (SymSpell): every string made by deleting up to two
 * bytes from a word's first TYPO_PREFIX bytes is a key of a hash map whose
 * value is the words that make it; the term's own deletions (up to its
 * allowance, from its first TYPO_PREFIX bytes) are looked up, and the
 * words found are checked with typo_distance(). Nothing is missed: when a
 * term and a word are within d edits, deleting at most d bytes from each
 * leaves a common string (a substitution or a transposition deletes one
 * byte on each side, an insertion one on one side), and its first
 * TYPO_PREFIX - d bytes lie within the first TYPO_PREFIX of both, at most
 * d bytes deleted from each prefix. Measured (bench/typo_bench.c,
 * docs/performance.md "Typo tolerance") against brute force, a trie walk
 * over the sorted words and BK-trees: on the example catalog's 5,861 words
 * it answers in about a microsecond a term, where brute force takes 74,
 * the trie walk 213 and a BK-tree 38 (and misses words: this distance breaks
 * the triangle inequality BK-trees rely on); it costs a few megabytes and
 * milliseconds to build. The prefix bounds a word's keys to 29, whatever
 * its length.
 */
#define _GNU_SOURCE /* qsort_r */
#include "typo.h"

#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "text.h"

static unsigned min3(unsigned a, unsigned b, unsigned c)
{
    unsigned m = a < b ? a : b;
    return m < c ? m : c;
}

/* Row k of the distance table of word prefix w[0..k) against the term,
 * from rows k - 1 and k - 2; returns the row's least value. */
static unsigned next_row(const char *t, size_t m, const char *w, size_t k, const unsigned *r2,
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

unsigned typo_distance(const char *t, size_t m, const char *w, size_t n, unsigned max)
{
    if ((m > n ? m - n : n - m) > max || m > 256)
        return max + 1; /* also: rows below hold terms of at most 256 bytes */
    unsigned rows[3][257];
    for (size_t j = 0; j <= m; j++)
        rows[1][j] = (unsigned)j;
    unsigned *r2 = rows[0], *r1 = rows[1], *r = rows[2];
    unsigned last_least = 0;
    for (size_t k = 1; k <= n; k++) {
        unsigned least = next_row(t, m, w, k, r2, r1, r);
        /* a transposition reaches two rows ahead at +1 */
        if (least > max && last_least + 1 > max)
            return max + 1;
        last_least = least;
        unsigned *x = r2;
        r2 = r1;
        r1 = r;
        r = x;
    }
    return r1[m] <= max ? r1[m] : max + 1;
}

bool typo_word_kept(const char *w, size_t n)
{
    if (n < 2 || n > TYPO_WORD_MAX)
        return false;
    unsigned digits = 0;
    for (size_t i = 0; i < n; i++)
        digits += w[i] >= '0' && w[i] <= '9';
    return digits <= TYPO_WORD_DIGITS;
}

/* ---- the deletion neighbourhood ------------------------------------------ */

static uint64_t word_hash(const char *w, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)w[i]) * 0x100000001b3ull;
    return h ^ h >> 29;
}

/* Calls each(ctx, v, len) for w (n bytes) and every string made by deleting
 * 1 .. most of its bytes (repeats possible: "aab" less its first or its
 * second byte). Returns the first nonzero each() returned, else 0. */
static int deletions(const char *w, size_t n, unsigned most,
                     int (*each)(void *ctx, const char *v, size_t len), void *ctx)
{
    char v[TYPO_PREFIX], u[TYPO_PREFIX];
    int r = each(ctx, w, n);
    for (size_t i = 0; r == 0 && most > 0 && i < n; i++) {
        memcpy(v, w, i);
        memcpy(v + i, w + i + 1, n - i - 1);
        r = each(ctx, v, n - 1);
        for (size_t j = i; r == 0 && most > 1 && j + 1 < n; j++) { /* then v's byte j */
            memcpy(u, v, j);
            memcpy(u + j, v + j + 1, n - 2 - j);
            r = each(ctx, u, n - 2);
        }
    }
    return r;
}

/* The slot of deletion string v (n bytes) in d's map: the one holding it,
 * or the empty one where it would go. */
static size_t del_slot(const struct typo_dict *d, const char *v, size_t n)
{
    size_t at = word_hash(v, n) & d->dmask;
    while (d->dslot[at] != 0) {
        uint32_t k = d->dslot[at] - 1;
        if (d->doff[k + 1] - d->doff[k] == n && memcmp(d->dchars + d->doff[k], v, n) == 0)
            break;
        at = (at + 1) & d->dmask;
    }
    return at;
}

/* Building the map: the (deletion, word) pairs, before they are grouped. */
struct del_build {
    struct typo_dict *d;
    uint32_t word;           /* the word whose deletions are added */
    size_t dcap, ccap, pcap; /* room in d->doff and last (grown together, so one count
                              * serves both), d->dchars, the pairs */
    uint32_t *last;          /* per deletion: the last word that added it */
    uint32_t *pdel;          /* per pair: its deletion */
    uint32_t *pword;         /* per pair: its word */
    size_t npairs;
};

static int grow(void *pp, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 256;
    while (c < need)
        c *= 2;
    void *p = realloc(*(void **)pp, c * size);
    if (p == NULL)
        return -1;
    *(void **)pp = p;
    *cap = c;
    return 0;
}

/* Adds the pair (v, the word being added). */
static int del_add(void *ctx, const char *v, size_t n)
{
    struct del_build *b = ctx;
    struct typo_dict *d = b->d;
    if (2 * ((size_t)d->ndel + 1) > d->dmask + 1) { /* the map doubles */
        size_t bigger = 2 * d->dmask + 1;
        uint32_t *slot = calloc(bigger + 1, sizeof(*slot));
        if (slot == NULL)
            return -1;
        free(d->dslot);
        d->dslot = slot;
        d->dmask = bigger;
        for (uint32_t k = 0; k < d->ndel; k++)
            d->dslot[del_slot(d, d->dchars + d->doff[k], d->doff[k + 1] - d->doff[k])] = k + 1;
    }
    size_t at = del_slot(d, v, n);
    uint32_t k = d->dslot[at];
    if (k-- == 0) { /* a new deletion string */
        k = d->ndel;
        size_t dcap = b->dcap;
        if (grow(&d->doff, &b->dcap, (size_t)k + 2, sizeof(*d->doff)) != 0 ||
            grow(&b->last, &dcap, (size_t)k + 2, sizeof(*b->last)) != 0 ||
            grow(&d->dchars, &b->ccap, (size_t)d->doff[k] + n, 1) != 0)
            return -1;
        memcpy(d->dchars + d->doff[k], v, n);
        d->doff[k + 1] = d->doff[k] + (uint32_t)n;
        b->last[k] = UINT32_MAX;
        d->dslot[at] = ++d->ndel;
    }
    if (b->last[k] == b->word) /* deleting other bytes gave the same string */
        return 0;
    b->last[k] = b->word;
    size_t pcap = b->pcap;
    if (grow(&b->pdel, &b->pcap, b->npairs + 1, sizeof(*b->pdel)) != 0 ||
        grow(&b->pword, &pcap, b->npairs + 1, sizeof(*b->pword)) != 0)
        return -1;
    b->pdel[b->npairs] = k;
    b->pword[b->npairs++] = b->word;
    return 0;
}

/* d's deletion map, from its words. Returns 0, or -1 when memory runs out. */
static int build_deletions(struct typo_dict *d)
{
    struct del_build b = {.d = d};
    int ret = -1;
    d->dmask = 1023;
    d->dslot = calloc(d->dmask + 1, sizeof(*d->dslot));
    if (d->dslot == NULL || grow(&d->doff, &b.dcap, 1, sizeof(*d->doff)) != 0 ||
        grow(&b.last, &(size_t){0}, 1, sizeof(*b.last)) != 0)
        goto out;
    d->doff[0] = 0;
    for (b.word = 0; b.word < d->nwords; b.word++) {
        size_t n = d->off[b.word + 1] - d->off[b.word];
        if (deletions(d->chars + d->off[b.word], n < TYPO_PREFIX ? n : TYPO_PREFIX, TYPO_MAX,
                      del_add, &b) != 0)
            goto out;
    }
    /* each deletion's words together, in word order (the pairs are) */
    d->dstart = calloc((size_t)d->ndel + 1, sizeof(*d->dstart));
    d->dword = malloc((b.npairs ? b.npairs : 1) * sizeof(*d->dword));
    if (d->dstart == NULL || d->dword == NULL)
        goto out;
    for (size_t p = 0; p < b.npairs; p++)
        d->dstart[b.pdel[p] + 1]++;
    for (uint32_t k = 0; k < d->ndel; k++)
        d->dstart[k + 1] += d->dstart[k];
    for (uint32_t k = 0; k < d->ndel; k++) /* last: each deletion's fill point */
        b.last[k] = d->dstart[k];
    for (size_t p = 0; p < b.npairs; p++)
        d->dword[b.last[b.pdel[p]]++] = b.pword[p];
    d->npairs = b.npairs;
    ret = 0;
out:
    free(b.last);
    free(b.pdel);
    free(b.pword);
    return ret;
}

size_t typo_dict_bytes(const struct typo_dict *d)
{
    if (d->off == NULL)
        return 0;
    size_t bytes = d->off[d->nwords] + ((size_t)d->nwords + 1) * sizeof(*d->off);
    if (d->dslot != NULL)
        bytes += (d->dmask + 1) * sizeof(*d->dslot) + d->doff[d->ndel] +
                 2 * ((size_t)d->ndel + 1) * sizeof(uint32_t) + d->npairs * sizeof(*d->dword);
    return bytes;
}

/* ---- the words, gathered ----------------------------------------------------- */

/* The slot holding w (n bytes), or the empty one where it would go. */
static size_t words_slot(const struct typo_words *ws, const char *w, size_t n)
{
    size_t at = word_hash(w, n) & ws->mask;
    while (ws->slot[at] != 0) {
        uint32_t k = ws->slot[at] - 1;
        if (ws->len[k] == n && memcmp(ws->word[k], w, n) == 0)
            break;
        at = (at + 1) & ws->mask;
    }
    return at;
}

int typo_words_add(struct typo_words *ws, const char *w, size_t n)
{
    if (2 * ((size_t)ws->n + 1) > ws->mask + 1) { /* the table doubles */
        size_t bigger = ws->mask ? 2 * ws->mask + 1 : 1023;
        uint32_t *slot = calloc(bigger + 1, sizeof(*slot));
        if (slot == NULL)
            return -1;
        free(ws->slot);
        ws->slot = slot;
        ws->mask = bigger;
        for (uint32_t k = 0; k < ws->n; k++)
            ws->slot[words_slot(ws, ws->word[k], ws->len[k])] = k + 1;
    }
    size_t at = words_slot(ws, w, n);
    if (ws->slot[at] != 0)
        return 0;
    if (ws->n == ws->cap) {
        uint32_t cap = ws->cap ? 2 * ws->cap : 1024;
        const char **word = realloc(ws->word, cap * sizeof(*word));
        if (word != NULL)
            ws->word = word;
        uint32_t *len = realloc(ws->len, cap * sizeof(*len));
        if (len != NULL)
            ws->len = len;
        if (word == NULL || len == NULL)
            return -1;
        ws->cap = cap;
    }
    ws->word[ws->n] = w;
    ws->len[ws->n++] = (uint32_t)n;
    ws->slot[at] = ws->n;
    return 0;
}

uint32_t typo_words_find(const struct typo_words *ws, const char *w, size_t n)
{
    if (ws->slot == NULL)
        return UINT32_MAX;
    return ws->slot[words_slot(ws, w, n)] - 1; /* 0 - 1: not there */
}

void typo_words_free(struct typo_words *ws)
{
    free(ws->word);
    free(ws->len);
    free(ws->slot);
    memset(ws, 0, sizeof(*ws));
}

/* ---- the dictionary ------------------------------------------------------- */

static int word_cmp(const void *a, const void *b, void *ctx)
{
    const struct typo_words *ws = ctx;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return text_cmp(ws->word[x], ws->len[x], ws->word[y], ws->len[y]);
}

int typo_dict_init(struct typo_dict *d, const struct typo_words *ws, uint32_t *id)
{
    memset(d, 0, sizeof(*d));
    uint32_t n = ws->n;
    uint32_t *order = malloc((n ? n : 1) * sizeof(*order));
    int ret = -1;
    if (order == NULL)
        goto out;
    size_t bytes = 0;
    for (uint32_t k = 0; k < n; k++) {
        order[k] = k;
        bytes += ws->len[k];
    }
    qsort_r(order, n, sizeof(*order), word_cmp, (void *)ws);
    d->chars = malloc(bytes ? bytes : 1);
    d->off = malloc(((size_t)n + 1) * sizeof(*d->off));
    if (d->chars == NULL || d->off == NULL)
        goto out;
    size_t w = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t k = order[i];
        d->off[d->nwords++] = (uint32_t)w;
        memcpy(d->chars + w, ws->word[k], ws->len[k]);
        w += ws->len[k];
        id[k] = i;
    }
    d->off[d->nwords] = (uint32_t)w;
    ret = build_deletions(d);
out:
    free(order);
    if (ret != 0)
        typo_dict_deinit(d);
    return ret;
}

void typo_dict_deinit(struct typo_dict *d)
{
    if (d->borrowed) {
        memset(d, 0, sizeof(*d));
        return;
    }
    free(d->chars);
    free(d->off);
    free(d->dslot);
    free(d->dchars);
    free(d->doff);
    free(d->dstart);
    free(d->dword);
    memset(d, 0, sizeof(*d));
}

/* ---- searching --------------------------------------------------------------- */

/* The words a search checks: those of every deletion of the term found. */
struct candidates {
    const struct typo_dict *d;
    uint32_t *w;   /* word indices, repeats possible */
    size_t n;
    size_t cap;
    uint32_t few[256]; /* w's first home */
};

static int collect(void *ctx, const char *v, size_t n)
{
    struct candidates *c = ctx;
    const struct typo_dict *d = c->d;
    uint32_t k = d->dslot[del_slot(d, v, n)];
    if (k-- == 0)
        return 0;
    size_t more = d->dstart[k + 1] - d->dstart[k];
    if (c->n + more > c->cap) {
        size_t cap = c->cap;
        while (cap < c->n + more)
            cap *= 2;
        uint32_t *w = c->w == c->few ? malloc(cap * sizeof(*w)) : realloc(c->w, cap * sizeof(*w));
        if (w == NULL)
            return -1;
        if (c->w == c->few)
            memcpy(w, c->few, c->n * sizeof(*w));
        c->w = w;
        c->cap = cap;
    }
    memcpy(c->w + c->n, d->dword + d->dstart[k], more * sizeof(*c->w));
    c->n += more;
    return 0;
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

int typo_dict_search(const struct typo_dict *d, const char *t, size_t m, unsigned max,
                     void (*found)(void *ctx, uint32_t i, unsigned dist), void *ctx)
{
    if (d->nwords == 0 || max == 0)
        return 0;
    struct candidates c = {.d = d, .cap = COUNT_OF(c.few)};
    c.w = c.few;
    int ret = deletions(t, m < TYPO_PREFIX ? m : TYPO_PREFIX, max, collect, &c);
    if (ret == 0) {
        qsort(c.w, c.n, sizeof(*c.w), u32_cmp);
        for (size_t i = 0; i < c.n; i++) {
            if (i > 0 && c.w[i] == c.w[i - 1])
                continue;
            const uint32_t *off = d->off + c.w[i];
            unsigned dist = typo_distance(t, m, d->chars + off[0], off[1] - off[0], max);
            if (dist >= 1 && dist <= max)
                found(ctx, c.w[i], dist);
        }
    }
    if (c.w != c.few)
        free(c.w);
    return ret;
}
