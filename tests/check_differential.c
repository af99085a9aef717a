/* check_differential: the search (search_run) against the plain reference
 * (reference_run) on random requests mixing every parameter, over a
 * generated catalog and an awkward one, under three windows each: the seed's
 * SCAN_LIMIT=100, the whole catalog, and a window smaller than the catalog;
 * then typo requests over file catalogs (the example catalog and a shop file
 * of non-ASCII, punctuation-joined and numbered words) through the scan, a
 * bounded window and the index. The first difference fails the test and
 * prints the request. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "catalog.h"
#include "catalog_file.h"
#include "index.h"
#include "index_test.h"
#include "reference.h"
#include "reqgen.h"
#include "search.h"
#include "suites.h"
#include "tables.h"
#include "testutil.h"

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

/* ---- typos on file catalogs ------------------------------------------------- */

/* A shop's catalog file (JSON Lines; product 6 spelt with \u escapes, 7 and
 * 18 in raw UTF-8): words with non-ASCII bytes (café, crème, Müller, Großmann,
 * 日本, Naïve), punctuation-joined ones (USB-C, Wi-Fi, XYZ-123), words with
 * digits (Bass2, AX3000, 4K), and words of 2, 3, 4, 5, 7, 8 and 10 bytes
 * beside others one or two typos away (Mouse and House, Lamp and Camp). */
static const char *const TYPO_SHOP[] = {
    "{\"id\":1,\"name\":\"Wireless Headphones\",\"category\":\"Audio\","
    "\"description\":\"Over-ear, Bluetooth 5.3.\",\"brand\":\"Sonora\",\"price\":59.00}",
    "{\"id\":2,\"name\":\"Headphone Stand\",\"category\":\"Audio\","
    "\"description\":\"Holds one pair.\",\"brand\":\"Deskly\",\"price\":19.00}",
    "{\"id\":3,\"name\":\"Phone\",\"category\":\"Phones\",\"description\":\"Just a phone.\","
    "\"brand\":\"Generic\",\"price\":99.00}",
    "{\"id\":4,\"name\":\"XYZ-123 Adapter\",\"category\":\"Cables\","
    "\"description\":\"USB-C to HDMI adapter.\",\"brand\":\"Linkit\",\"price\":15.00}",
    "{\"id\":5,\"name\":\"XYZ-223 Adapter\",\"category\":\"Cables\","
    "\"description\":\"USB-C to VGA adapter.\",\"brand\":\"Linkit\",\"price\":14.00}",
    "{\"id\":6,\"name\":\"Caf\\u00e9 Cr\\u00e8me Mug\",\"category\":\"Kitchen\","
    "\"description\":\"A mug for caf\\u00e9 cr\\u00e8me.\",\"brand\":\"M\\u00fcller K\\u00fcche\","
    "\"price\":9.00}",
    "{\"id\":7,\"name\":\"Creme Brulee Torch\",\"category\":\"Kitchen\","
    "\"description\":\"Caramelises cr\xC3\xA8me br\xC3\xBBl\xC3\xA9\x65.\","
    "\"brand\":\"Gro\xC3\x9Fmann\",\"price\":29.00}",
    "{\"id\":8,\"name\":\"USB-C Cable 1 m\",\"category\":\"Cables\","
    "\"description\":\"usb-c to usb-c, wi-fi free\",\"brand\":\"Wired\",\"price\":7.00}",
    "{\"id\":9,\"name\":\"Wi-Fi Router AX3000\",\"category\":\"Network\","
    "\"description\":\"Dual-band Wi-Fi 6.\",\"brand\":\"Netra\",\"price\":89.00}",
    "{\"id\":10,\"name\":\"Tea Cup\",\"category\":\"Kitchen\","
    "\"description\":\"A cup of tea, a cap for the pot.\",\"brand\":\"Leaf\",\"price\":5.00}",
    "{\"id\":11,\"name\":\"Keyboard Mechanical\",\"category\":\"Computers\","
    "\"description\":\"Tactile switches.\",\"brand\":\"Klack\",\"price\":79.00}",
    "{\"id\":12,\"name\":\"Electronics Kit\",\"category\":\"Electronics\","
    "\"description\":\"For beginners.\",\"brand\":\"Volt\",\"price\":39.00}",
    "{\"id\":13,\"name\":\"Doll House\",\"category\":\"Toys\","
    "\"description\":\"A house with furniture.\",\"brand\":\"Playhaven\",\"price\":45.00}",
    "{\"id\":14,\"name\":\"Mouse\",\"category\":\"Computers\","
    "\"description\":\"Wireless mouse for the house.\",\"brand\":\"Klack\",\"price\":25.00}",
    "{\"id\":15,\"name\":\"Lamp\",\"category\":\"Home\",\"description\":\"Desk lamp.\","
    "\"brand\":\"Lumo\",\"price\":22.00}",
    "{\"id\":16,\"name\":\"Camp Stove\",\"category\":\"Outdoor\","
    "\"description\":\"Light camp stove.\",\"brand\":\"Trek\",\"price\":49.00}",
    "{\"id\":17,\"name\":\"Bass2 Speaker\",\"category\":\"Audio\","
    "\"description\":\"Loud, 2 x 10 W.\",\"brand\":\"Boomr\",\"price\":35.00}",
    "{\"id\":18,\"name\":\"\xE6\x97\xA5\xE6\x9C\xAC Tea Set\",\"category\":\"Kitchen\","
    "\"description\":\"Na\xC3\xAFve glaze, made in \xE6\x97\xA5\xE6\x9C\xAC.\","
    "\"brand\":\"Sakura\",\"price\":40.00}",
    "{\"id\":19,\"name\":\"Mouse Pad\",\"category\":\"Computers\","
    "\"description\":\"Fits any desk.\",\"brand\":\"Klack\",\"price\":8.00}",
    "{\"id\":20,\"name\":\"TV Box 4K\",\"category\":\"Video\",\"description\":\"An HD box.\","
    "\"brand\":\"Zeno\",\"price\":30.00}",
};

/* Loads TYPO_SHOP from a catalog file, as PRODUCTS_FILE would. */
static void typo_shop(struct catalog *cat)
{
    const char *path = tu_tmp_path("typo-shop.jsonl");
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < COUNT_OF(TYPO_SHOP); i++)
        fprintf(f, "%s\n", TYPO_SHOP[i]);
    ck_assert_int_eq(fclose(f), 0);
    char err[CATALOG_FILE_ERROR_MAX];
    catalog_init(cat);
    ck_assert_msg(catalog_load_file(cat, path, err) == 0, "%s", err);
    ck_assert_uint_eq(cat->count, COUNT_OF(TYPO_SHOP));
    remove(path);
}

/* Worked out by hand from the rule in docs/api.md ("Typos"): what a shopper
 * relies on. Default fields name,category unless a request says. */
static const struct {
    const char *url;  /* the request */
    const char *want; /* the ids listed, in order */
} TYPO_RANKED[] = {
    /* a misspelt word finds nothing without typos; 10 bytes: "headphones" is
     * one transposition away, "headphone" two */
    {"q=headphnoes", ""},
    {"q=headphnoes&typos=1&sort=relevance", "1"},
    {"q=headphnoes&typos=2&sort=relevance", "1,2"},
    {"q=wireles headphnoes&typos=2&sort=relevance", "1"},
    {"q=headphone stnad&typos=1&sort=relevance", "2"},
    {"q=electroincs&typos=1", "12"},
    /* exact first: the whole name (0), a word (1), then House one typo away */
    {"q=mouse", "14,19"},
    {"q=mouse&typos=1&sort=relevance", "14,19,13"},
    {"q=mouse&typos=1", "13,14,19"},
    /* an exact word in the description (4 + 1) beats a typo in the name (1) */
    {"q=house&typos=1&fields=name,description&sort=relevance", "13,14,19"},
    {"q=lamp&typos=1&sort=relevance", "15,16"},
    /* a term with a digit never matches with typos: XYZ-123 finds no XYZ-223 */
    {"q=xyz-123&typos=2", "4"},
    {"q=xyz-223&typos=2", "5"},
    {"q=xyz-323&typos=2", ""},
    {"q=xyz123&typos=2", ""},
    {"q=ax3001&typos=2", ""},
    {"q=bass22&typos=2", ""},
    /* a term without digits may be near a word with one: bass2 */
    {"q=basss&typos=1", "17"},
    /* under 4 bytes, no typos: tae is not tea, cap not cup, tx not tv */
    {"q=cup&typos=2", "10"},
    {"q=cap&typos=2", ""},
    {"q=cap&typos=2&fields=description", "10"},
    {"q=tae&typos=2", ""},
    {"q=tv&typos=2", "20"},
    {"q=tx&typos=2", ""},
    {"q=bxo&typos=2", ""},
    /* 4 bytes: one typo; 7 bytes: one; 8 bytes: two */
    {"q=lmap&typos=1", "15"},
    {"q=lmpa&typos=2", ""},
    {"q=netwrok&typos=1", "9"},
    {"q=nteowrk&typos=2", ""},
    {"q=wrielses&typos=1", ""},
    {"q=wrielses&typos=2", "1"},
    {"q=keybaord&typos=1", "11"},
    /* bytes, not characters: crême is one from crème, creme two (found only
     * as the substring of "Creme"), cafe two from café, cafè one */
    {"q=cr\xC3\xAAme&typos=1", "6"},
    {"q=cr\xC3\xAAme&typos=1&fields=name,description&sort=relevance", "6,7"},
    {"q=creme&typos=2", "7"},
    {"q=cafe&typos=1", ""},
    {"q=caf\xC3\xA8&typos=1", "6"},
    {"q=grossmann&typos=1&fields=brand", ""},
    {"q=grossmann&typos=2&fields=brand", "7"},
    {"q=m\xC3\xBCler&typos=1&fields=brand", "6"},
    {"q=kuche&typos=2&fields=brand", ""},
    {"q=naive&typos=2&fields=description", ""},
    {"q=\xE6\x97\xA5\xE6\x9C\xA8&typos=1", "18"},
    /* punctuation: usb-c is compared whole (no typos); usbc is one from the
     * word "usb" of "USB-C", wifi two from "wi" and "fi" */
    {"q=usb-c&typos=2&fields=name,description&sort=relevance", "8,4,5"},
    {"q=usb-d&typos=2&fields=name,description", ""},
    {"q=usbc&typos=1&fields=name,description&sort=relevance", "8,4,5"},
    {"q=usbc&typos=1&fields=name,description", "4,5,8"},
    {"q=wi-fi&typos=2", "9"},
    {"q=wifi&typos=1&fields=name,description", ""},
    {"q=wi-fy&typos=2&fields=name,description", ""},
    /* typos split q into terms, whatever match says */
    {"q=house doll", ""},
    {"q=house doll&typos=1", "13"},
    {"q=house doll&typos=1&match=phrase", "13"},
    /* browsing: typos change nothing */
    {"category=audio&typos=2", "1,2,17"},
};

START_TEST(typos_on_a_shop_file_as_documented)
{
    struct catalog cat;
    char ids[256];
    typo_shop(&cat);
    listed(&cat, TYPO_RANKED[_i].url, ids, sizeof(ids));
    ck_assert_msg(strcmp(ids, TYPO_RANKED[_i].want) == 0, "%s: listed %s, want %s",
                  TYPO_RANKED[_i].url, ids, TYPO_RANKED[_i].want);
    catalog_deinit(&cat);
}
END_TEST

/* The fast paths of one catalog, each checked against the reference. */
struct paths {
    struct search scan;   /* the scan over the whole catalog */
    struct search window; /* the scan over a window of a third of it */
    struct search whole;  /* the index, published */
    struct tables tables; /* for the index with tiny thresholds */
    struct index *tiny;   /* every path of the index on few products */
    size_t third;         /* the window's size */
};

static void paths_init(struct paths *ps, const struct catalog *cat)
{
    ps->third = cat->count / 3 + 1;
    ck_assert_int_eq(search_init(&ps->scan, cat, 0), 0);
    ck_assert_int_eq(search_init(&ps->window, cat, ps->third), 0);
    ck_assert_int_eq(search_init(&ps->whole, cat, 0), 0);
    ck_assert_int_eq(search_build_index(&ps->whole), 0);
    ck_assert_int_eq(tables_init(&ps->tables, cat, 0), 0);
    struct index_tuning tune = {2, 3, 4};
    ps->tiny = index_build_tuned(&ps->tables, &tune, NULL);
    ck_assert_ptr_nonnull(ps->tiny);
}

static void paths_deinit(struct paths *ps)
{
    index_destroy(ps->tiny);
    tables_deinit(&ps->tables);
    search_deinit(&ps->scan);
    search_deinit(&ps->window);
    search_deinit(&ps->whole);
}

/* req through every path; fails the test, naming url, at a difference. */
static void check_paths(const struct catalog *cat, struct paths *ps, const struct request *req,
                        const char *url, struct reqgen_report *rep)
{
    ck_assert_msg(reqgen_check(cat, 0, reqgen_answer_search, &ps->scan, req, rep) == 0,
                  "scan differs%s on %s (total %zu vs reference %zu)",
                  rep->highlight ? " (highlight)" : "", url, rep->got_total, rep->want_total);
    ck_assert_msg(reqgen_check(cat, ps->third, reqgen_answer_search, &ps->window, req, rep) == 0,
                  "window %zu differs%s on %s (total %zu vs reference %zu)", ps->third,
                  rep->highlight ? " (highlight)" : "", url, rep->got_total, rep->want_total);
    ck_assert_msg(reqgen_check(cat, 0, reqgen_answer_search, &ps->whole, req, rep) == 0,
                  "index differs%s on %s (total %zu vs reference %zu)",
                  rep->highlight ? " (highlight)" : "", url, rep->got_total, rep->want_total);
    ck_assert_msg(reqgen_check(cat, 0, reqgen_answer_index, ps->tiny, req, rep) == 0,
                  "tiny-threshold index differs%s on %s (total %zu vs reference %zu)",
                  rep->highlight ? " (highlight)" : "", url, rep->got_total, rep->want_total);
}

/* Random typo requests (reqgen_url_typos: misspelt words of the catalog,
 * non-ASCII ones edited by whole characters or by one byte, every other
 * parameter mixed in) on two file catalogs: the example catalog (3,000 shop
 * products) and the typo shop. */
static const struct {
    const char *path; /* NULL: the typo shop */
    size_t requests;
} TYPO_FILES[] = {
    {"docs/examples/catalog.jsonl", 300},
    {NULL, 3000},
};

START_TEST(typo_requests_on_file_catalogs)
{
    struct catalog cat;
    char err[CATALOG_FILE_ERROR_MAX];
    if (TYPO_FILES[_i].path != NULL) {
        catalog_init(&cat);
        ck_assert_msg(catalog_load_file(&cat, TYPO_FILES[_i].path, err) == 0, "%s", err);
    } else {
        typo_shop(&cat);
    }
    struct paths ps;
    paths_init(&ps, &cat);
    unsigned seed = 2200u + (unsigned)_i;
    struct reqgen_report rep = {0};
    size_t drawn = 0, typos = 0;
    while (rep.compared < 4 * TYPO_FILES[_i].requests && drawn < 40 * TYPO_FILES[_i].requests) {
        char url[REQGEN_URL_MAX];
        struct request req;
        reqgen_url_typos(url, &cat, &seed);
        drawn++;
        if (reqgen_parse(url, &req) != 0)
            continue;
        typos += req.typos > 0;
        check_paths(&cat, &ps, &req, url, &rep);
    }
    ck_assert_uint_eq(rep.compared, 4 * TYPO_FILES[_i].requests);
    ck_assert_uint_ge(typos, TYPO_FILES[_i].requests * 3 / 4);
    ck_assert_uint_ge(rep.matched, rep.compared / 8); /* an eighth of them find something */
    printf("differential: %s: %zu typo requests, each through 4 paths, equal (%zu with a "
           "match)\n",
           TYPO_FILES[_i].path ? TYPO_FILES[_i].path : "typo shop file", TYPO_FILES[_i].requests,
           rep.matched / 4);
    paths_deinit(&ps);
    catalog_deinit(&cat);
}
END_TEST

/* Edit op of word (n bytes) at byte at into term: 0 delete the byte, 1 swap
 * it with the next, 2 substitute it, 3 insert a letter before it, 4 the word
 * itself, 5 delete it and the next. Returns the term's length; 0 when op
 * does not apply at at. */
static size_t edit_word(const char *word, size_t n, int op, size_t at, char *term)
{
    memcpy(term, word, n);
    switch (op) {
    case 0:
        memmove(term + at, term + at + 1, n - at - 1);
        return n - 1;
    case 1:
        if (at + 1 == n)
            return 0;
        term[at] = word[at + 1];
        term[at + 1] = word[at];
        return n;
    case 2:
        term[at] = word[at] == 'x' ? 'y' : 'x';
        return n;
    case 3:
        memmove(term + at + 1, word + at, n - at);
        term[at] = 'e';
        return n + 1;
    case 4:
        return at == 0 ? n : 0;
    default:
        if (at + 2 > n)
            return 0;
        memmove(term + at, term + at + 2, n - at - 2);
        return n - 2;
    }
}

/* Every token of the typo shop (a word, or words joined by punctuation:
 * usb-c) with every one-byte edit and every two adjacent bytes deleted,
 * under typos=1 and 2, so that each allowance's edge (3/4 and 7/8 bytes,
 * digits, punctuation, non-ASCII bytes) is met; over all four fields,
 * ranked and highlighted, through every path. An edit inside a UTF-8
 * character leaves no UTF-8 and is refused: those are not compared. */
START_TEST(every_edit_of_every_shop_word)
{
    struct catalog cat;
    typo_shop(&cat);
    struct paths ps;
    paths_init(&ps, &cat);
    struct reqgen_report rep = {0};
    size_t variants = 0;
    for (size_t k = 0; k < cat.count; k++) {
        for (int f = 0; f < CATALOG_FIELD_COUNT; f++) {
            struct catalog_str s = catalog_field(&cat.items[k], (enum catalog_field)f);
            const char *t = catalog_text(&cat, s);
            for (size_t a = 0, b; a < s.len; a = b + 1) {
                for (b = a; b < s.len && t[b] != ' ' && t[b] != ',' && t[b] != '.'; b++)
                    ;
                for (int op = 0; op < 6; op++)
                    for (size_t at = 0; at < b - a; at++)
                        for (unsigned typos = 1; typos <= 2; typos++) {
                            char term[64], url[REQGEN_URL_MAX];
                            struct request req;
                            size_t m = edit_word(t + a, b - a, op, at, term);
                            snprintf(url, sizeof(url),
                                     "q=%.*s&typos=%u&fields=name,brand,category,description&"
                                     "sort=relevance&highlight=true&limit=100",
                                     (int)m, term, typos);
                            if (m == 0 || reqgen_parse(url, &req) != 0)
                                continue;
                            check_paths(&cat, &ps, &req, url, &rep);
                            variants++;
                        }
            }
        }
    }
    ck_assert_uint_gt(variants, 5000);
    printf("differential: typo shop file: %zu edits of its words, each through 4 paths, equal "
           "(%zu with a match)\n",
           variants, rep.matched / 4);
    paths_deinit(&ps);
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
    tcase_add_loop_test(tc, typos_on_a_shop_file_as_documented, 0, (int)COUNT_OF(TYPO_RANKED));
    tcase_add_loop_test(tc, typo_requests_on_file_catalogs, 0, (int)COUNT_OF(TYPO_FILES));
    tcase_add_test(tc, every_edit_of_every_shop_word);
    suite_add_tcase(s, tc);
    return s;
}
