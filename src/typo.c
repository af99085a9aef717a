/* typo: the distance typo tolerance counts, and the search of a sorted word
 * list for the words near a term.
 *
 * Design. A typo is an insertion, a deletion, a substitution or an adjacent
 * transposition (the optimal-string-alignment distance), at most two per
 * term. The index keeps, for all its fields together, the distinct words
 * that can be near a term (2 to 258 bytes, at most two ASCII digits: each
 * digit of a word costs a term without digits an edit), sorted, each with
 * its products per field; a term's near words are found by walking the
 * sorted list as a trie: one row of the distance table per byte of prefix,
 * rows shared by the words that share the prefix, and a prefix whose rows
 * exceed the allowance skipped with every word that begins with it (found
 * by binary search). It was chosen for holding nothing beyond the words,
 * but measured against brute force, a deletion-neighbourhood index
 * (SymSpell) and BK-trees (bench/typo_bench.c, docs/performance.md "Typo
 * tolerance") it is the slowest: no word is ruled out by its length, every
 * prefix of up to allowance + 1 bytes gets its row, and each skip searches
 * the rest of the list. Brute force (typo_distance() against every word)
 * holds nothing either and is 3 to 9 times faster; SymSpell, every word with
 * up to two bytes deleted in a hash map, answers in a few lookups, two
 * orders of magnitude faster than the walk, for a few megabytes at the
 * example catalog's vocabulary, and is the design to move to. BK-trees
 * over this distance miss words: it breaks the triangle inequality.
 */
#define _GNU_SOURCE /* qsort_r */
#include "typo.h"

#include <stdlib.h>
#include <string.h>

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

/* ---- the dictionary ------------------------------------------------------- */

/* The distinct words, to sort: each one's first input word. */
struct words {
    const char *const *w; /* the input words */
    const uint32_t *len;  /* their lengths */
};

static int word_cmp(const void *a, const void *b, void *ctx)
{
    const struct words *ws = ctx;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return text_cmp(ws->w[x], ws->len[x], ws->w[y], ws->len[y]);
}

static uint64_t word_hash(const char *w, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)w[i]) * 0x100000001b3ull;
    return h ^ h >> 29;
}

/* The slot of word k's table entry (the slot holding k's word, or an empty one). */
static size_t word_slot(const uint32_t *slot, size_t mask, const char *const *words,
                        const uint32_t *lens, uint32_t k)
{
    size_t at = word_hash(words[k], lens[k]) & mask;
    while (slot[at] != 0 &&
           text_cmp(words[slot[at] - 1], lens[slot[at] - 1], words[k], lens[k]) != 0)
        at = (at + 1) & mask;
    return at;
}

int typo_dict_init(struct typo_dict *d, const char *const *words, const uint32_t *lens,
                   size_t n, uint32_t *id)
{
    memset(d, 0, sizeof(*d));
    /* The input numbers the catalog's word occurrences; the distinct words
     * are far fewer, so they are found first (a hash set of each one's first
     * input index; id[i] = that index) and only they are sorted. */
    size_t mask = 1023, distinct = 0;
    uint32_t *slot = calloc(mask + 1, sizeof(*slot)); /* first input index + 1, 0 = empty */
    uint32_t *order = NULL, *rank = NULL;
    int ret = -1;
    if (slot == NULL || n >= UINT32_MAX)
        goto out;
    for (size_t i = 0; i < n; i++) {
        if (2 * (distinct + 1) > mask + 1) { /* grow, keeping each word's first index */
            size_t bigger = 2 * mask + 1;
            uint32_t *s2 = calloc(bigger + 1, sizeof(*s2));
            if (s2 == NULL)
                goto out;
            for (size_t h = 0; h <= mask; h++)
                if (slot[h] != 0)
                    s2[word_slot(s2, bigger, words, lens, slot[h] - 1)] = slot[h];
            free(slot);
            slot = s2;
            mask = bigger;
        }
        size_t at = word_slot(slot, mask, words, lens, (uint32_t)i);
        if (slot[at] == 0) {
            slot[at] = (uint32_t)i + 1;
            distinct++;
        }
        id[i] = slot[at] - 1;
    }
    order = malloc((distinct ? distinct : 1) * sizeof(*order));
    rank = malloc((mask + 1) * sizeof(*rank)); /* per slot: its word's index in d */
    if (order == NULL || rank == NULL)
        goto out;
    size_t k = 0, bytes = 0;
    for (size_t h = 0; h <= mask; h++)
        if (slot[h] != 0) {
            order[k++] = slot[h] - 1;
            bytes += lens[slot[h] - 1];
        }
    struct words ws = {words, lens};
    qsort_r(order, distinct, sizeof(*order), word_cmp, &ws);
    d->chars = malloc(bytes ? bytes : 1);
    d->off = malloc((distinct + 1) * sizeof(*d->off));
    if (d->chars == NULL || d->off == NULL)
        goto out;
    size_t w = 0;
    for (size_t i = 0; i < distinct; i++) {
        uint32_t first = order[i];
        d->off[d->nwords++] = (uint32_t)w;
        memcpy(d->chars + w, words[first], lens[first]);
        w += lens[first];
        rank[word_slot(slot, mask, words, lens, first)] = (uint32_t)i;
    }
    d->off[d->nwords] = (uint32_t)w;
    /* a word's first occurrence asks the table; the later ones, the first */
    for (size_t i = 0; i < n; i++)
        id[i] = id[i] == i ? rank[word_slot(slot, mask, words, lens, (uint32_t)i)] : id[id[i]];
    ret = 0;
out:
    free(slot);
    free(order);
    free(rank);
    if (ret != 0)
        typo_dict_deinit(d);
    return ret;
}

void typo_dict_deinit(struct typo_dict *d)
{
    free(d->chars);
    free(d->off);
    memset(d, 0, sizeof(*d));
}

/* The first word after i that does not begin with word i's first k bytes. */
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

size_t typo_dict_search(const struct typo_dict *d, const char *t, size_t m, unsigned max,
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
            least[k + 1] = next_row(t, m, w, k + 1, k > 0 ? r - 2 * (m + 1) : rows,
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
