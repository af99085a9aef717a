/* check_typo: the typo distance against worked examples, and the dictionary:
 * its words sorted and distinct with every input word's id right, and its
 * trie walk reporting exactly the words a distance computed against every
 * word finds, on random words. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "suites.h"
#include "typo.h"

/* term, word, the bound, the distance typo_distance() must give */
static const struct {
    const char *t, *w;
    unsigned max, want;
} DIST[] = {
    {"phone", "phone", 2, 0},
    {"phone", "PHONE", 2, 0},         /* the word is case folded, the term is lower case */
    {"phnoe", "phone", 2, 1},         /* a transposition is one typo */
    {"phone", "phones", 2, 1},        /* an insertion */
    {"phone", "phon", 2, 1},          /* a deletion */
    {"phone", "phine", 2, 1},         /* a substitution */
    {"headphnoes", "headphones", 2, 1},
    {"electroincs", "electronics", 2, 1},
    {"samsnug", "samsung", 2, 1},
    {"ca", "abc", 3, 3},              /* the restricted distance: no edit of a transposed pair */
    {"ca", "abc", 2, 3},              /* beyond the bound: max + 1 */
    {"abcdef", "badcfe", 2, 3},       /* three transpositions */
    {"abcdef", "badcfe", 3, 3},
    {"kitten", "sitting", 2, 3},
    {"kitten", "sitting", 3, 3},
    {"abc", "abcdef", 2, 3},          /* lengths 3 apart: stopped at once */
    {"caf\xc3\xa9", "cafe", 2, 2},    /* bytes: a two-byte letter costs two */
    {"caf\xc3\xa9", "caf\xc3\xa8", 2, 1},
    {"usb", "usbc", 1, 1},
    {"", "ab", 2, 2},
    {"ab", "", 2, 2},
};

START_TEST(distance_table)
{
    unsigned got = typo_distance(DIST[_i].t, strlen(DIST[_i].t), DIST[_i].w, strlen(DIST[_i].w),
                                 DIST[_i].max);
    ck_assert_msg(got == DIST[_i].want, "typo_distance(%s, %s, %u) = %u, want %u", DIST[_i].t,
                  DIST[_i].w, DIST[_i].max, got, DIST[_i].want);
}
END_TEST

START_TEST(kept_words)
{
    ck_assert(!typo_word_kept("a", 1));
    ck_assert(typo_word_kept("ab", 2));
    ck_assert(typo_word_kept("usb3", 4));
    ck_assert(typo_word_kept("a12", 3));
    ck_assert(!typo_word_kept("a123", 4)); /* three digits cost three typos */
    ck_assert(!typo_word_kept("1234", 4));
    char long_word[TYPO_WORD_MAX + 1];
    memset(long_word, 'x', sizeof(long_word));
    ck_assert(typo_word_kept(long_word, TYPO_WORD_MAX));
    ck_assert(!typo_word_kept(long_word, TYPO_WORD_MAX + 1));
}
END_TEST

enum { WORDS = 3000, WORD_BYTES = 15 };

static uint64_t rng_state;

static unsigned rnd(unsigned n)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)((rng_state >> 33) % n);
}

/* A random word of 1..15 bytes (most under 10) over a small alphabet, so
 * that words share prefixes and lie near each other, and are longer than
 * the prefix whose deletions are keys (TYPO_PREFIX); now and then a byte
 * from 0x80. */
static size_t random_word(char *w)
{
    static const char ALPHABET[] = "abcde\xc3\xa9";
    size_t n = 1 + (rnd(4) == 0 ? rnd(WORD_BYTES) : rnd(9));
    for (size_t i = 0; i < n; i++)
        w[i] = ALPHABET[rnd(sizeof(ALPHABET) - 1)];
    return n;
}

static char word_bytes[WORDS][WORD_BYTES];
static const char *word_ptr[WORDS];
static uint32_t word_len[WORDS];
static uint32_t word_id[WORDS];

/* WORDS random words (with many repeats) gathered into a set, then a
 * dictionary d; word_id[i] is word i's index in d. */
static void random_dict(struct typo_dict *d, uint64_t seed)
{
    rng_state = seed;
    struct typo_words ws;
    memset(&ws, 0, sizeof(ws));
    for (size_t i = 0; i < WORDS; i++) {
        word_len[i] = (uint32_t)random_word(word_bytes[i]);
        word_ptr[i] = word_bytes[i];
        ck_assert_int_eq(typo_words_add(&ws, word_ptr[i], word_len[i]), 0);
    }
    static uint32_t id[WORDS];
    ck_assert_int_eq(typo_dict_init(d, &ws, id), 0);
    for (size_t i = 0; i < WORDS; i++) {
        uint32_t k = typo_words_find(&ws, word_ptr[i], word_len[i]);
        ck_assert_uint_lt(k, ws.n);
        word_id[i] = id[k];
    }
    typo_words_free(&ws);
}

START_TEST(dict_sorted_distinct_ids_right)
{
    struct typo_dict d;
    random_dict(&d, 0x5eed0000u + (uint64_t)_i);
    ck_assert_uint_gt(d.nwords, 100);
    ck_assert_uint_lt(d.nwords, WORDS); /* the repeats were merged */
    for (uint32_t k = 1; k < d.nwords; k++) {
        const char *a = d.chars + d.off[k - 1], *b = d.chars + d.off[k];
        size_t an = d.off[k] - d.off[k - 1], bn = d.off[k + 1] - d.off[k];
        int c = memcmp(a, b, an < bn ? an : bn);
        ck_assert_msg(c < 0 || (c == 0 && an < bn), "words %u and %u out of order", k - 1, k);
    }
    for (size_t i = 0; i < WORDS; i++) {
        uint32_t k = word_id[i];
        ck_assert_uint_lt(k, d.nwords);
        ck_assert_uint_eq(d.off[k + 1] - d.off[k], word_len[i]);
        ck_assert(memcmp(d.chars + d.off[k], word_ptr[i], word_len[i]) == 0);
    }
    typo_dict_deinit(&d);
}
END_TEST

/* The word set: each word once, numbered in the order first added, found
 * again by its bytes (not its address), absent words not found. */
START_TEST(word_set_keeps_each_word_once)
{
    struct typo_words ws;
    memset(&ws, 0, sizeof(ws));
    static char copies[5000][8];
    for (int i = 0; i < 5000; i++) { /* 2,500 words, each twice from other memory */
        snprintf(copies[i], sizeof(copies[i]), "w%d", i % 2500);
        ck_assert_int_eq(typo_words_add(&ws, copies[i], strlen(copies[i])), 0);
    }
    ck_assert_uint_eq(ws.n, 2500);
    ck_assert_uint_eq(typo_words_find(&ws, "w0", 2), 0);
    ck_assert_uint_eq(typo_words_find(&ws, "w2499", 5), 2499);
    ck_assert_uint_eq(typo_words_find(&ws, "w2500", 5), UINT32_MAX);
    ck_assert_uint_eq(typo_words_find(&ws, "w2", 1), UINT32_MAX); /* "w" */
    typo_words_free(&ws);
}
END_TEST

struct found {
    unsigned dist[WORDS]; /* per dictionary word: the distance reported, 0 = none */
    size_t calls;
};

static void on_found(void *ctx, uint32_t i, unsigned dist)
{
    struct found *f = ctx;
    ck_assert_msg(f->dist[i] == 0, "word %u reported twice", i);
    f->dist[i] = dist;
    f->calls++;
}

START_TEST(dict_search_equals_every_word)
{
    struct typo_dict d;
    random_dict(&d, 0xd1c70000u + (uint64_t)_i);
    static struct found got;
    for (int q = 0; q < 200; q++) {
        char t[WORD_BYTES];
        size_t m = random_word(t);
        unsigned max = 1 + (unsigned)rnd(2);
        memset(&got, 0, sizeof(got));
        ck_assert_int_eq(typo_dict_search(&d, t, m, max, on_found, &got), 0);
        for (uint32_t k = 0; k < d.nwords; k++) {
            unsigned want = typo_distance(t, m, d.chars + d.off[k], d.off[k + 1] - d.off[k], max);
            if (want == 0 || want > max)
                want = 0; /* the exact word and the far ones are not reported */
            ck_assert_msg(got.dist[k] == want, "term %.*s max %u, word %.*s: reported %u, want %u",
                          (int)m, t, max, (int)(d.off[k + 1] - d.off[k]), d.chars + d.off[k],
                          got.dist[k], want);
        }
    }
    typo_dict_deinit(&d);
}
END_TEST

START_TEST(empty_dict)
{
    struct typo_dict d;
    struct typo_words none;
    memset(&none, 0, sizeof(none));
    ck_assert_uint_eq(typo_words_find(&none, "abc", 3), UINT32_MAX);
    ck_assert_int_eq(typo_dict_init(&d, &none, NULL), 0);
    ck_assert_uint_eq(d.nwords, 0);
    static struct found got;
    memset(&got, 0, sizeof(got));
    ck_assert_int_eq(typo_dict_search(&d, "abc", 3, 2, on_found, &got), 0);
    ck_assert_uint_eq(got.calls, 0);
    typo_dict_deinit(&d);
}
END_TEST

Suite *typo_suite(void)
{
    Suite *s = suite_create("typo");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, distance_table, 0, (int)COUNT_OF(DIST));
    tcase_add_test(tc, kept_words);
    tcase_add_loop_test(tc, dict_sorted_distinct_ids_right, 0, 4);
    tcase_add_loop_test(tc, dict_search_equals_every_word, 0, 4);
    tcase_add_test(tc, empty_dict);
    tcase_add_test(tc, word_set_keeps_each_word_once);
    suite_add_tcase(s, tc);
    return s;
}
