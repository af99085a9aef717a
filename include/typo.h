/* typo: the edit distance of typo tolerance, bounded, and a dictionary of words searched within a distance. */
#ifndef PRODUCT_SEARCH_TYPO_H
#define PRODUCT_SEARCH_TYPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    TYPO_MAX = 2,          /* the most typos a term may use */
    TYPO_WORD_MAX = 258,   /* words longer than this are left out of a dictionary: no term
                            * of at most 256 bytes is within TYPO_MAX of one */
    TYPO_WORD_DIGITS = 2,  /* nor words of more ASCII digits: a term near a word holds no
                            * digit, and each of the word's digits costs an edit */
    TYPO_PREFIX = 7,       /* the bytes of a word or term whose deletions are keys */
};

/* The optimal-string-alignment distance between term t (m bytes,
 * lower-cased) and word w (n bytes, ASCII case folded here) when it is at
 * most max; max + 1 otherwise (the computation stops as soon as it knows). */
unsigned typo_distance(const char *t, size_t m, const char *w, size_t n, unsigned max);

/* Whether w (n bytes) may be near a term at all: 2..TYPO_WORD_MAX bytes
 * holding at most TYPO_WORD_DIGITS ASCII digits. */
bool typo_word_kept(const char *w, size_t n);

/* A sorted set of distinct lower-cased words, with their deletion
 * neighbourhood: every string made by deleting up to TYPO_MAX bytes from a
 * word's first TYPO_PREFIX bytes, mapped to the words that make it. */
struct typo_dict {
    uint32_t nwords; /* words */
    char *chars;     /* the words back to back, in byte order */
    uint32_t *off;   /* nwords + 1: word i is chars[off[i], off[i + 1]) */
    uint32_t ndel;   /* distinct deletion strings */
    uint32_t *dslot; /* dmask + 1: a hash map of them, deletion + 1 (0 = empty) */
    size_t dmask;    /* the map's slots - 1 */
    char *dchars;    /* the deletion strings back to back */
    uint32_t *doff;  /* ndel + 1: deletion k is dchars[doff[k], doff[k + 1]) */
    uint32_t *dstart; /* ndel + 1: its words are dword[dstart[k], dstart[k + 1]) */
    uint32_t *dword; /* npairs word indices, ascending per deletion */
    size_t npairs;   /* (deletion, word) pairs */
    bool borrowed;   /* the arrays belong to someone else (a snapshot's mapping) */
};

/* A set of distinct words being gathered: each is kept where it lies (the
 * caller's bytes must outlive the set), numbered in the order first added. */
struct typo_words {
    const char **word; /* per word: its bytes */
    uint32_t *len;     /* its length */
    uint32_t n, cap;   /* words, room */
    uint32_t *slot;    /* mask + 1: a hash table of word number + 1, 0 = empty */
    size_t mask;
};

/* Adds w (n bytes) to ws (zeroed at first) unless it is there. Returns 0, or
 * -1 when memory runs out. */
int typo_words_add(struct typo_words *ws, const char *w, size_t n);

/* The number of w (n bytes) in ws, or UINT32_MAX when it is not there. */
uint32_t typo_words_find(const struct typo_words *ws, const char *w, size_t n);

/* Frees what ws holds (not the words' bytes). */
void typo_words_free(struct typo_words *ws);

/* Builds d (caller-owned) from the words of ws (lower-cased); id[k] gets
 * word k's index in d. Returns 0, or -1 when memory runs out (d is then
 * empty). */
int typo_dict_init(struct typo_dict *d, const struct typo_words *ws, uint32_t *id);

/* Frees what d owns. */
void typo_dict_deinit(struct typo_dict *d);

/* The heap bytes d holds. */
size_t typo_dict_bytes(const struct typo_dict *d);

/* Calls found(ctx, i, dist) for each word i of d at distance 1..max from
 * term t (m bytes, lower-cased), in word order: the words of the term's
 * deletions, each checked with typo_distance(). Returns 0, or -1 when
 * memory runs out (some words may have been reported). */
int typo_dict_search(const struct typo_dict *d, const char *t, size_t m, unsigned max,
                     void (*found)(void *ctx, uint32_t i, unsigned dist), void *ctx);

#endif
