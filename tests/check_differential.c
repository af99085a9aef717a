/* check_differential: the search (search_run) against the plain reference
 * (reference_run) on random requests mixing every parameter, over a
 * generated catalog and an awkward one, under three windows each: the seed's
 * SCAN_LIMIT=100, the whole catalog, and a window smaller than the catalog.
 * The first difference fails the test and prints the request. */
#include <stdio.h>
#include <stdlib.h>

#include "catalog.h"
#include "reference.h"
#include "reqgen.h"
#include "search.h"
#include "suites.h"

enum {
    REQUESTS = 17500, /* compared per case; six cases: 105,000 */
};

static const struct {
    bool awkward;      /* the awkward catalog, or the generated one */
    size_t products;   /* catalog size */
    size_t scan_limit; /* window (0 = whole catalog) */
} CASES[] = {
    {false, 2000, 100}, {false, 2000, 0}, {false, 2000, 700},
    {true, 3000, 100},  {true, 3000, 0},  {true, 3000, 1000},
};

START_TEST(search_equals_reference)
{
    struct catalog cat;
    struct search engine;
    if (CASES[_i].awkward)
        ck_assert_int_eq(reqgen_awkward_catalog(&cat, CASES[_i].products, 7u + (unsigned)_i), 0);
    else
        ck_assert_int_eq(catalog_generate(&cat, CASES[_i].products), 0);
    ck_assert_int_eq(search_init(&engine, &cat, 0), 0);
    unsigned seed = 1000u + (unsigned)_i;
    struct reqgen_report rep;
    int ret = reqgen_compare(&cat, CASES[_i].scan_limit, reqgen_answer_search, &engine, reqgen_url,
                             &seed, REQUESTS, &rep);
    ck_assert_msg(ret == 0, "case %d, request %zu differs: %s (total %zu vs reference %zu)", _i,
                  rep.drawn, rep.url, rep.got_total, rep.want_total);
    /* the generator must mostly produce valid requests, many of them hits */
    ck_assert_uint_ge(rep.compared, rep.drawn * 9 / 10);
    ck_assert_uint_ge(rep.matched, rep.compared / 4);
    printf("differential: case %d (%s, %zu products, window %zu): %zu requests equal\n", _i,
           CASES[_i].awkward ? "awkward" : "generated", CASES[_i].products, CASES[_i].scan_limit,
           rep.compared);
    search_deinit(&engine);
    catalog_deinit(&cat);
}
END_TEST

/* Hand-picked answers the reference itself must give (so that it is the
 * right judge): facets order, ties by id, offset past the end, case-folded
 * filters with exact-byte facets. */
START_TEST(reference_gives_the_contract_answers)
{
    struct catalog cat;
    struct request req;
    struct result r;
    catalog_init(&cat);
    ck_assert_int_eq(catalog_add(&cat, 1, 500, "Red book", 8, "Books", 5, "d", 1, "Alpha", 5), 0);
    ck_assert_int_eq(catalog_add(&cat, 2, 100, "Blue book", 9, "books", 5, "d", 1, "Beta", 4), 0);
    ck_assert_int_eq(catalog_add(&cat, 3, 500, "Red toy", 7, "Toys", 4, "d", 1, "Alpha", 5), 0);
    ck_assert_int_eq(catalog_add(&cat, 4, 100, "Red ball", 8, "Toys", 4, "d", 1, "beta", 4), 0);

    ck_assert_int_eq(reqgen_parse("q=red&sort=-price&facets=category,brand", &req), 0);
    ck_assert_int_eq(reference_run(&cat, &req, 0, &r), 0);
    ck_assert_uint_eq(r.total_found, 3);
    ck_assert_uint_eq(r.count, 3);
    ck_assert_uint_eq(r.item[0], 0); /* 5.00, id 1 before id 3 */
    ck_assert_uint_eq(r.item[1], 2);
    ck_assert_uint_eq(r.item[2], 3);
    ck_assert_uint_eq(r.nfacet[REQUEST_CATEGORY], 2); /* Toys 2, Books 1 */
    ck_assert_uint_eq(r.facet[REQUEST_CATEGORY][0].count, 2);
    ck_assert_str_eq(catalog_text(&cat, cat.items[r.facet[0][0].product].category), "Toys");
    ck_assert_str_eq(catalog_text(&cat, cat.items[r.facet[0][1].product].category), "Books");
    ck_assert_uint_eq(r.nfacet[REQUEST_BRAND], 2); /* Alpha 2, beta 1 */
    ck_assert_str_eq(catalog_text(&cat, cat.items[r.facet[1][1].product].brand), "beta");

    ck_assert_int_eq(reqgen_parse("category=BOOKS&facets=category", &req), 0);
    ck_assert_int_eq(reference_run(&cat, &req, 0, &r), 0);
    ck_assert_uint_eq(r.total_found, 2); /* Books and books */
    ck_assert_uint_eq(r.nfacet[0], 2);   /* counted apart: exact bytes, "Books" < "books" */
    ck_assert_str_eq(catalog_text(&cat, cat.items[r.facet[0][0].product].category), "Books");

    ck_assert_int_eq(reqgen_parse("q=book&offset=2", &req), 0);
    ck_assert_int_eq(reference_run(&cat, &req, 0, &r), 0);
    ck_assert_uint_eq(r.total_found, 2);
    ck_assert_uint_eq(r.count, 0);

    ck_assert_int_eq(reqgen_parse("q=red book&match=all&min_price=1&max_price=1", &req), 0);
    ck_assert_int_eq(reference_run(&cat, &req, 0, &r), 0);
    ck_assert_uint_eq(r.total_found, 0);
    ck_assert_int_eq(reqgen_parse("q=book red&match=all", &req), 0);
    ck_assert_int_eq(reference_run(&cat, &req, 0, &r), 0);
    ck_assert_uint_eq(r.total_found, 1);
    ck_assert_int_eq(reqgen_parse("q=red toys&match=all", &req), 0); /* terms in two fields */
    ck_assert_int_eq(reference_run(&cat, &req, 0, &r), 0);
    ck_assert_uint_eq(r.total_found, 2);
    catalog_deinit(&cat);
}
END_TEST

Suite *differential_suite(void)
{
    Suite *s = suite_create("differential");
    TCase *tc = tcase_create("search_vs_reference");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, reference_gives_the_contract_answers);
    tcase_add_loop_test(tc, search_equals_reference, 0, (int)(sizeof(CASES) / sizeof(CASES[0])));
    suite_add_tcase(s, tc);
    return s;
}
