/* check_differential: the search (search_run) against the plain reference
 * (reference_run) on random requests mixing every parameter, over a
 * generated catalog and an awkward one, under three windows each: the seed's
 * SCAN_LIMIT=100, the whole catalog, and a window smaller than the catalog.
 * The first difference fails the test and prints the request. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
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

/* The relevance order, fields and highlight as docs/api.md words them, on a
 * catalog a shopper would search: the reference must give these answers
 * (so that it is the right judge), and so must every fast path. */
static void shop(struct catalog *cat)
{
    static const struct {
        const char *name, *category, *description, *brand;
    } P[] = {
        {"Headphone Stand", "Audio", "A stand for your phone and headphones.", "Deskly"},  /* 1 */
        {"iPhone 15 Pro Max", "Phones", "The big one.", "Apple"},                          /* 2 */
        {"Phone", "Phones", "Just a phone.", "Generic"},                                   /* 3 */
        {"iPhone 15 Pro", "Phones", "Pro camera, USB-C.", "Apple"},                        /* 4 */
        {"Phone Case", "Accessories", "Fits every phone.", "Casey"},                       /* 5 */
        {"Smartphones Guide", "Books", "All about phones", "Readers"},                     /* 6 */
        {"Stand", "Audio", "iPhone 15 Pro dock", "Deskly"},                                /* 7 */
        {"Cable usb-c", "Cables", "usb-c to usb-c, 1 m", "Wired"},                         /* 8 */
    };
    catalog_init(cat);
    for (size_t i = 0; i < COUNT_OF(P); i++)
        ck_assert_int_eq(catalog_add(cat, i + 1, 100 * (i + 1), P[i].name, strlen(P[i].name),
                                     P[i].category, strlen(P[i].category), P[i].description,
                                     strlen(P[i].description), P[i].brand, strlen(P[i].brand)),
                         0);
}

/* The ids listed for url by the reference and by the scan and the index
 * (which must agree), as "3,5,2". */
static void listed(const struct catalog *cat, const char *url, char *ids, size_t len)
{
    struct request req;
    struct result want;
    ck_assert_msg(reqgen_parse(url, &req) == 0, "%s refused", url);
    ck_assert_int_eq(reference_run(cat, &req, 0, &want), 0);
    struct search scan, whole;
    ck_assert_int_eq(search_init(&scan, cat, 0), 0);
    ck_assert_int_eq(search_init(&whole, cat, 0), 0);
    ck_assert_int_eq(search_build_index(&whole), 0);
    struct reqgen_report rep = {0};
    ck_assert_msg(reqgen_check(cat, 0, reqgen_answer_search, &scan, &req, &rep) == 0,
                  "scan differs on %s", url);
    ck_assert_msg(reqgen_check(cat, 0, reqgen_answer_search, &whole, &req, &rep) == 0,
                  "index differs on %s", url);
    search_deinit(&scan);
    search_deinit(&whole);
    ids[0] = '\0';
    for (size_t i = 0; i < want.count; i++)
        snprintf(ids + strlen(ids), len - strlen(ids), "%s%" PRIu64, i ? "," : "",
                 cat->items[want.item[i]].id);
}

static const struct {
    const char *url;  /* the request */
    const char *want; /* the ids listed, in order */
} RANKED[] = {
    /* the whole name, then a word of the name; the infixes ("headphone",
     * "iphone", "smartphones") tie at 3 and beat 2's prefix in the category
     * (4 + 2), so they come by id */
    {"q=phone&sort=relevance", "3,5,1,2,4,6"},
    /* without sort=relevance: id order, the seed's */
    {"q=phone", "1,2,3,4,5,6"},
    /* the exact name first, then names that begin with it */
    {"q=iphone 15 pro&sort=relevance", "4,2"},
    {"q=iphone 15 pro&sort=relevance&fields=name,description", "4,2,7"},
    /* the brand is searched only when listed */
    {"q=apple", ""},
    {"q=apple&fields=brand&sort=relevance", "2,4"},
    /* heaviest field first: a word in the description (1, 3, 5) beats its
     * prefix (6, "phones") and its infix (7, "iphone"), and all of them an
     * infix in the name (2, 4) */
    {"q=phone&fields=description,name&sort=relevance", "1,3,5,6,7,2,4"},
    /* terms add up: "stand" whole in 7's name, a word in 1's */
    {"q=stand audio&match=all&sort=relevance", "7,1"},
    /* a term with non-word bytes starts and ends anywhere: "usb-c" is a word */
    {"q=usb-c&fields=name,description&sort=relevance", "8,4"},
    /* relevance with offset and limit */
    {"q=phone&sort=relevance&offset=2&limit=2", "1,2"},
    /* no q: every product ties, id order */
    {"category=phones&sort=relevance", "2,3,4"},
    /* typos: "phnoe" is one transposition from the word "phone" (3, 5); "phones"
     * and "iphone" are two away, beyond a 5-byte term's one typo */
    {"q=phnoe&typos=1&sort=relevance", "3,5"},
    {"q=phnoe&typos=2&sort=relevance", "3,5"},
    {"q=phnoe", ""},
    {"q=pheno&typos=2", ""},
    /* 10 bytes: two typos allowed; the name's "headphone" is two away, the
     * description's "headphones" one: with the description listed first it
     * places 1 at 4 x 0 + 1 with one typo */
    {"q=headphnoes&typos=2&sort=relevance", "1"},
    {"q=headphnoes&typos=1", ""},
    {"q=headphnoes&typos=2&fields=description,name&sort=relevance", "1"},
    /* an occurrence beats any typo; 7's "stand" is its whole name */
    {"q=stand&typos=2&sort=relevance", "7,1"},
    /* typos split q into terms; a term with a digit or under 4 bytes takes none
     * (both place every term as a word: a tie, by id) */
    {"q=iphnoe 15 pro&typos=1&sort=relevance", "2,4"},
    {"q=iphnoe 16&typos=2", ""},
    /* a term with a byte that is not a word byte is compared whole: no typos */
    {"q=usb-d&typos=2&fields=name,description", ""},
    /* "phnoes" is one transposition from 6's "phones" (description) and two
     * from every "phone": only 6 */
    {"q=phnoes&typos=1&fields=name,description&sort=relevance", "6"},
    {"q=phnoes&typos=2&fields=name,description&sort=relevance", "6"},
};

START_TEST(relevance_orders_as_documented)
{
    struct catalog cat;
    char ids[256];
    shop(&cat);
    listed(&cat, RANKED[_i].url, ids, sizeof(ids));
    ck_assert_msg(strcmp(ids, RANKED[_i].want) == 0, "%s: listed %s, want %s", RANKED[_i].url,
                  ids, RANKED[_i].want);
    catalog_deinit(&cat);
}
END_TEST

/* Highlight ranges: every occurrence of every term, left to right without
 * overlap, merged where they touch; per listed field, empty fields left out. */
START_TEST(highlight_ranges_as_documented)
{
    struct catalog cat;
    struct request req;
    struct highlight h;
    catalog_init(&cat);
    ck_assert_int_eq(
        catalog_add(&cat, 1, 100, "aaaa Phone-phonephone", 21, "Phones", 6, "", 0, "Zz", 2), 0);
    ck_assert_int_eq(reqgen_parse("q=aa phone&match=all&fields=name,category,brand&highlight=true",
                                  &req),
                     0);
    reference_highlight(&cat, &cat.items[0], &req, &h);
    /* "aaaa" is aa + aa, touching: merged; "Phone" alone; "phonephone" two
     * touching occurrences, merged */
    ck_assert_uint_eq(h.n[0], 3);
    static const uint16_t WANT[3][2] = {{0, 4}, {5, 10}, {11, 21}};
    ck_assert_int_eq(memcmp(h.range[0], WANT, sizeof(WANT)), 0);
    ck_assert_uint_eq(h.n[1], 1); /* "Phone" of "Phones" */
    ck_assert_uint_eq(h.range[1][0][1], 5);
    ck_assert_uint_eq(h.n[2], 0); /* no range in the brand */
    /* a term matched with typos marks the words at its distance */
    ck_assert_int_eq(reqgen_parse("q=phnoe aaaaa&typos=1&highlight=true", &req), 0);
    reference_highlight(&cat, &cat.items[0], &req, &h);
    static const uint16_t TYPO[2][2] = {{0, 4}, {5, 10}}; /* aaaa and Phone, one typo each */
    ck_assert_uint_eq(h.n[0], 2);
    ck_assert_int_eq(memcmp(h.range[0], TYPO, sizeof(TYPO)), 0);
    ck_assert_int_eq(reqgen_parse("q=aaa&highlight=true", &req), 0);
    reference_highlight(&cat, &cat.items[0], &req, &h);
    ck_assert_uint_eq(h.n[0], 1); /* at 0, then from 3: one occurrence, not two */
    ck_assert_uint_eq(h.range[0][0][1], 3);
    struct result res = {.count = 1};
    res.item[0] = 0;
    ck_assert_int_eq(reqgen_highlights_equal(&cat, &req, &res), 0);
    catalog_deinit(&cat);
}
END_TEST

Suite *differential_suite(void)
{
    Suite *s = suite_create("differential");
    TCase *tc = tcase_create("search_vs_reference");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, reference_gives_the_contract_answers);
    tcase_add_loop_test(tc, relevance_orders_as_documented, 0, (int)COUNT_OF(RANKED));
    tcase_add_test(tc, highlight_ranges_as_documented);
    tcase_add_loop_test(tc, search_equals_reference, 0, (int)(sizeof(CASES) / sizeof(CASES[0])));
    suite_add_tcase(s, tc);
    return s;
}
