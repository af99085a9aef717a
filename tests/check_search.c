/* check_search: the matcher's edge cases and the scan's bounds. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "reference.h"
#include "scan_test.h"
#include "search.h"
#include "suites.h"

static struct catalog cat;
static struct search engine;

static void setup(void)
{
    ck_assert_int_eq(catalog_generate(&cat, 1000), 0);
    ck_assert_int_eq(search_init(&engine, &cat, 0), 0);
}

static void teardown(void)
{
    search_deinit(&engine);
    catalog_deinit(&cat);
}

static struct result run(const char *q, size_t scan_limit, size_t limit)
{
    struct request req;
    struct result r;
    ck_assert_int_eq(request_phrase(&req, q, strlen(q), limit), 0);
    ck_assert_int_eq(search_run(&engine, &req, scan_limit, &r), 0);
    return r;
}

/* Brute force over the catalog itself, the reference the scan must agree with. */
static size_t reference_count(const char *q, size_t checked)
{
    size_t found = 0;
    for (size_t k = 0; k < checked; k++) {
        const struct product *p = &cat.items[k];
        if (strcasestr(catalog_text(&cat, p->name), q) ||
            strcasestr(catalog_text(&cat, p->category), q))
            found++;
    }
    return found;
}

static const struct {
    const char *q;
    size_t scan_limit, limit;
    size_t total, checked, first_id;
} CASES[] = {
    {"alpha", 100, 20, 10, 100, 1},
    {"ALPHA", 100, 20, 10, 100, 1},
    {"aLpHa", 100, 3, 10, 100, 1},
    {"electronics", 100, 20, 9, 100, 1},      /* category match: ids 1, 13, ... 97 */
    {"Product", 100, 20, 100, 100, 1},
    {"product alpha 1", 100, 20, 2, 100, 1},  /* 1 and 11 */
    {"kappa 100", 100, 20, 1, 100, 100},      /* last checked product */
    {"kappa 100", 99, 20, 0, 99, 0},          /* one past the bound */
    {"kappa 1000", 0, 20, 1, 1000, 1000},     /* 0 = the whole catalog */
    {"kappa 1000", 5000, 20, 1, 1000, 1000},  /* bound above the catalog */
    {"zzz-none", 0, 20, 0, 1000, 0},
    {"1electronics", 100, 20, 0, 100, 0},     /* never across name and category */
    {"ics", 100, 20, 9, 100, 1},              /* end of a category */
    {"p", 1, 1, 1, 1, 1},                     /* one product checked */
    {"item by", 100, 20, 0, 100, 0},          /* description is not searched */
};

START_TEST(scan_cases)
{
    struct result r = run(CASES[_i].q, CASES[_i].scan_limit, CASES[_i].limit);
    ck_assert_msg(r.total_found == CASES[_i].total, "%s: total %zu", CASES[_i].q, r.total_found);
    ck_assert_uint_eq(r.checked, CASES[_i].checked);
    size_t listed = CASES[_i].total < CASES[_i].limit ? CASES[_i].total : CASES[_i].limit;
    ck_assert_uint_eq(r.count, listed);
    if (listed > 0)
        ck_assert_uint_eq(cat.items[r.item[0]].id, CASES[_i].first_id);
    ck_assert_uint_eq(r.total_found, reference_count(CASES[_i].q, r.checked));
}
END_TEST

START_TEST(results_in_id_order_capped_by_limit)
{
    struct result r = run("a", 0, 100);
    ck_assert_uint_eq(r.count, 100);
    ck_assert_uint_eq(r.total_found, reference_count("a", 1000));
    for (size_t i = 1; i < r.count; i++)
        ck_assert_uint_lt(r.item[i - 1], r.item[i]);
}
END_TEST

START_TEST(non_ascii_compares_exactly)
{
    struct catalog c;
    struct search x;
    struct request req;
    struct result r;
    catalog_init(&c);
    ck_assert_int_eq(catalog_add(&c, 1, 100, "Caf\xC3\xA9 CR\xC3\x88ME", 12, "Food", 4, "d", 1, "b", 1), 0);
    ck_assert_int_eq(search_init(&x, &c, 0), 0);
    ck_assert_int_eq((request_phrase(&req, "caf\xC3\xA9", 5, 10) || search_run(&x, &req, 0, &r)), 0);
    ck_assert_uint_eq(r.total_found, 1);
    ck_assert_int_eq((request_phrase(&req, "CAF\xC3\x89", 5, 10) || search_run(&x, &req, 0, &r)), 0); /* É is not é */
    ck_assert_uint_eq(r.total_found, 0);
    ck_assert_int_eq((request_phrase(&req, "cr\xC3\x88me", 6, 10) || search_run(&x, &req, 0, &r)), 0);
    ck_assert_uint_eq(r.total_found, 1);
    search_deinit(&x);
    catalog_deinit(&c);
}
END_TEST

START_TEST(rejects_out_of_range_arguments)
{
    struct request req;
    char big[REQUEST_MAX_QUERY + 1];
    memset(big, 'a', sizeof(big));
    ck_assert_int_eq(request_phrase(&req, "", 0, 20), -1);
    ck_assert_int_eq(request_phrase(&req, big, sizeof(big), 20), -1);
    ck_assert_int_eq(request_phrase(&req, big, REQUEST_MAX_QUERY, 20), 0);
    ck_assert_int_eq(request_phrase(&req, "a\0b", 3, 20), -1);
    ck_assert_int_eq(request_phrase(&req, "a", 1, 0), -1);
    ck_assert_int_eq(request_phrase(&req, "a", 1, 101), -1);
}
END_TEST

/* A scan text built for a window answers that window exactly as the full
 * one does, and refuses a wider window instead of reading past its text. */
START_TEST(window_text_answers_its_window_only)
{
    struct search w;
    struct request req;
    struct result a, b;
    ck_assert_int_eq(search_init(&w, &cat, 100), 0);
    ck_assert_uint_eq(w.tables.scanned, 100);
    ck_assert_uint_eq(w.tables.count, cat.count);
    ck_assert_int_eq(request_phrase(&req, "alpha", 5, 20), 0);
    ck_assert_int_eq(search_run(&w, &req, 100, &a), 0);
    ck_assert_int_eq(search_run(&engine, &req, 100, &b), 0);
    ck_assert(request_results_equal(&cat, &a, &b));
    ck_assert_int_eq(search_run(&w, &req, 50, &a), 0);
    ck_assert_uint_eq(a.checked, 50);
    ck_assert_int_eq(search_run(&w, &req, 101, &a), -1);
    ck_assert_int_eq(search_run(&w, &req, 0, &a), -1);
    search_deinit(&w);
}
END_TEST

/* Whole-catalog mode builds nothing at start: the reference answers until
 * the index is published, so answers are exact from the first request. */
START_TEST(deferred_index_answers_with_the_reference)
{
    struct search d;
    struct request req;
    struct result a, b;
    search_init_whole(&d, &cat);
    ck_assert_ptr_null(d.tables.text);
    ck_assert_int_eq(request_phrase(&req, "kappa 1", 7, 20), 0);
    ck_assert_int_eq(search_run(&d, &req, 0, &a), 0);
    ck_assert_int_eq(reference_run(&cat, &req, 0, &b), 0);
    ck_assert(request_results_equal(&cat, &a, &b));
    ck_assert_uint_eq(a.checked, cat.count);
    ck_assert_int_eq(search_build_index(&d), 0);
    ck_assert_uint_eq(d.tables.scanned, 0); /* the index reads the catalog, not a scan text */
    ck_assert_ptr_nonnull(atomic_load(&d.index));
    ck_assert_int_eq(search_run(&d, &req, 0, &a), 0);
    ck_assert(request_results_equal(&cat, &a, &b));
    search_deinit(&d);
}
END_TEST

/* The SIMD finder against memmem on random text over a small alphabet, so
 * that partial matches, overlaps and block edges all occur. */
START_TEST(find_agrees_with_memmem)
{
    char hay[300], needle[40];
    unsigned seed = 12345;
    for (int round = 0; round < 20000; round++) {
        size_t n = (size_t)(rand_r(&seed) % 300), m = 1 + (size_t)(rand_r(&seed) % 8);
        if (round % 7 == 0)
            m = 17 + (size_t)(rand_r(&seed) % 20);
        for (size_t i = 0; i < n; i++)
            hay[i] = "ab\0c"[rand_r(&seed) % 4];
        for (size_t i = 0; i < m; i++)
            needle[i] = "abc"[rand_r(&seed) % 3];
        if (n > m && round % 3 == 0) /* plant a match */
            memcpy(hay + rand_r(&seed) % (n - m + 1), needle, m);
        const char *want = memmem(hay, n, needle, m);
        const char *got = scan_find(hay, n, needle, m);
        ck_assert_msg(got == want, "round %d: n=%zu m=%zu", round, n, m);
    }
}
END_TEST

Suite *search_suite(void)
{
    Suite *s = suite_create("search");
    TCase *tc = tcase_create("scan");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, scan_cases, 0, (int)(sizeof(CASES) / sizeof(CASES[0])));
    tcase_add_test(tc, results_in_id_order_capped_by_limit);
    tcase_add_test(tc, rejects_out_of_range_arguments);
    tcase_add_test(tc, window_text_answers_its_window_only);
    tcase_add_test(tc, deferred_index_answers_with_the_reference);
    suite_add_tcase(s, tc);
    TCase *tf = tcase_create("find");
    tcase_add_test(tf, non_ascii_compares_exactly);
    tcase_add_test(tf, find_agrees_with_memmem);
    suite_add_tcase(s, tf);
    return s;
}
