/* check_query: every parameter rule of the search and lookup routes, from
 * raw URL parameters to a validated request or an error code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "reqgen.h"
#include "search.h"
#include "suites.h"

static const struct {
    const char *raw;
    size_t len;
    enum query_q_status want;
    const char *trimmed;
} Q_CASES[] = {
    {"alpha", 5, QUERY_Q_OK, "alpha"},
    {"  Alpha Beta\t", 13, QUERY_Q_OK, "Alpha Beta"},
    {"caf\xC3\xA9", 5, QUERY_Q_OK, "caf\xC3\xA9"},
    {NULL, 0, QUERY_Q_MISSING, NULL},
    {"", 0, QUERY_Q_BLANK, NULL},
    {" \t\r\n", 4, QUERY_Q_BLANK, NULL},
    {"a\0b", 3, QUERY_Q_NUL, NULL},
    {"\xFF", 1, QUERY_Q_BAD_UTF8, NULL},
    {"\xC3\x28", 2, QUERY_Q_BAD_UTF8, NULL},
    {"\xED\xA0\x80", 3, QUERY_Q_BAD_UTF8, NULL},
};

START_TEST(q_table)
{
    const char *q = NULL;
    size_t qlen = 0;
    ck_assert_int_eq(query_check_q(Q_CASES[_i].raw, Q_CASES[_i].len, &q, &qlen), Q_CASES[_i].want);
    if (Q_CASES[_i].want == QUERY_Q_OK) {
        ck_assert_uint_eq(qlen, strlen(Q_CASES[_i].trimmed));
        ck_assert_int_eq(memcmp(q, Q_CASES[_i].trimmed, qlen), 0);
    }
}
END_TEST

START_TEST(q_length_bounds_after_trimming)
{
    char buf[300];
    const char *q;
    size_t qlen;
    memset(buf, 'x', sizeof(buf));
    ck_assert_int_eq(query_check_q(buf, 256, &q, &qlen), QUERY_Q_OK);
    ck_assert_int_eq(query_check_q(buf, 257, &q, &qlen), QUERY_Q_TOO_LONG);
    buf[0] = ' ', buf[257] = ' '; /* 256 bytes between two spaces */
    ck_assert_int_eq(query_check_q(buf, 258, &q, &qlen), QUERY_Q_OK);
    ck_assert_uint_eq(qlen, 256);
}
END_TEST

static const struct {
    const char *s;
    int ok;
    unsigned want;
} LIMITS[] = {
    {"1", 1, 1}, {"20", 1, 20}, {"100", 1, 100}, {"007", 1, 7}, {"0007", 1, 7},
    {"000000000000000000000000000100", 1, 100}, {"0000", 0, 0},
    {"0", 0, 0}, {"101", 0, 0}, {"-1", 0, 0}, {"+5", 0, 0}, {"abc", 0, 0},
    {"5x", 0, 0}, {"", 0, 0}, {" 5", 0, 0}, {"1.5", 0, 0}, {"1000", 0, 0},
    {"99999999999999999999", 0, 0},
};

START_TEST(limit_table)
{
    unsigned v = 0;
    int r = query_parse_limit(LIMITS[_i].s, strlen(LIMITS[_i].s), &v);
    ck_assert_int_eq(r, LIMITS[_i].ok ? 0 : -1);
    if (LIMITS[_i].ok)
        ck_assert_uint_eq(v, LIMITS[_i].want);
}
END_TEST

static const struct {
    const char *s;
    int ok;
    uint64_t cents;
} PRICES[] = {
    {"0", 1, 0}, {"0.00", 1, 0}, {"10", 1, 1000}, {"10.5", 1, 1050}, {"10.05", 1, 1005},
    {"007.10", 1, 710}, {"10000000", 1, 1000000000}, {"10000000.00", 1, 1000000000},
    {"10000000.01", 0, 0}, {"10000001", 0, 0}, {"1.005", 0, 0}, {"10.", 0, 0}, {".5", 0, 0},
    {"-1", 0, 0}, {"+1", 0, 0}, {"1e3", 0, 0}, {"", 0, 0}, {" 1", 0, 0}, {"1,5", 0, 0},
    {"1.2.3", 0, 0}, {"99999999999999999999999", 0, 0},
};

START_TEST(price_table)
{
    uint64_t v = 12345;
    int r = query_parse_price(PRICES[_i].s, strlen(PRICES[_i].s), &v);
    ck_assert_msg(r == (PRICES[_i].ok ? 0 : -1), "%s", PRICES[_i].s);
    if (PRICES[_i].ok)
        ck_assert_uint_eq(v, PRICES[_i].cents);
}
END_TEST

static const struct {
    const char *s;
    int ok;
    uint64_t id;
} IDS[] = {
    {"1", 1, 1}, {"100000", 1, 100000}, {"9223372036854775807", 1, 9223372036854775807ull},
    {"9223372036854775808", 0, 0}, {"0", 0, 0}, {"01", 0, 0}, {"-1", 0, 0}, {"+1", 0, 0},
    {"", 0, 0}, {"1a", 0, 0}, {"99999999999999999999", 0, 0}, {"1.0", 0, 0},
};

START_TEST(id_table)
{
    uint64_t v = 0;
    int r = query_parse_id(IDS[_i].s, strlen(IDS[_i].s), &v);
    ck_assert_msg(r == (IDS[_i].ok ? 0 : -1), "%s", IDS[_i].s);
    if (IDS[_i].ok)
        ck_assert_uint_eq(v, IDS[_i].id);
}
END_TEST

/* Parses "a=1&b&c=" (no URL decoding: the tests write decoded text). */
static int parse(const char *url, struct request *req, struct query_error *err)
{
    return reqgen_parse_err(url, req, err);
}

/* Each malformed parameter gets its code, and a message naming it. */
static const struct {
    const char *url, *code, *names;
} BAD[] = {
    {"limit=5", "missing_query", "q"},
    {"Q=alpha", "missing_query", "q"},
    {"q=", "invalid_query", "q"},
    {"q= \t ", "invalid_query", "q"},
    {"q=a&q=b", "duplicate_parameter", "q"},
    {"q=a&limit=1&limit=2", "duplicate_parameter", "limit"},
    {"q=a&sort=id&sort=id", "duplicate_parameter", "sort"},
    {"q=a&limit=0", "invalid_limit", "limit"},
    {"q=a&offset=-1", "invalid_offset", "offset"},
    {"q=a&offset=1000001", "invalid_offset", "offset"},
    {"q=a&offset=", "invalid_offset", "offset"},
    {"q=a&offset", "invalid_offset", "offset"},
    {"q=a&sort=Price", "invalid_sort", "sort"},
    {"q=a&sort=name", "invalid_sort", "sort"},
    {"q=a&sort=", "invalid_sort", "sort"},
    {"q=a&category=", "invalid_filter", "category"},
    {"q=a&category=Books,", "invalid_filter", "category"},
    {"q=a&category=,Books", "invalid_filter", "category"},
    {"q=a&category=Books,,Toys", "invalid_filter", "category"},
    {"q=a&brand=a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", "invalid_filter", "brand"},
    {"q=a&brand=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
     "invalid_filter", "brand"},
    {"q=a&min_price=abc", "invalid_price", "min_price"},
    {"q=a&max_price=1.005", "invalid_price", "max_price"},
    {"q=a&max_price=10000000.01", "invalid_price", "max_price"},
    {"q=a&min_price=5&max_price=4.99", "invalid_price", "min_price"},
    {"q=a&match=any", "invalid_match", "match"},
    {"q=a&match=", "invalid_match", "match"},
    {"q=a&facets=", "invalid_facets", "facets"},
    {"q=a&facets=price", "invalid_facets", "facets"},
    {"q=a&facets=brand,brand", "invalid_facets", "facets"},
    {"q=a&facets=category,", "invalid_facets", "facets"},
    {"q=1 2 3 4 5 6 7 8 9&match=all", "invalid_query", "q"},
    {"category=Books&q=", "invalid_query", "q"},
    {"q=a&sort=Relevance", "invalid_sort", "sort"},
    {"q=a&fields=", "invalid_fields", "fields"},
    {"q=a&fields=Name", "invalid_fields", "fields"},
    {"q=a&fields=name,name", "invalid_fields", "fields"},
    {"q=a&fields=name,", "invalid_fields", "fields"},
    {"q=a&fields=,name", "invalid_fields", "fields"},
    {"q=a&fields=price", "invalid_fields", "fields"},
    {"q=a&fields=name,brand,category,description,name", "invalid_fields", "fields"},
    {"q=a&fields", "invalid_fields", "fields"},
    {"q=a&highlight=yes", "invalid_highlight", "highlight"},
    {"q=a&highlight=True", "invalid_highlight", "highlight"},
    {"q=a&highlight=", "invalid_highlight", "highlight"},
    {"q=a&highlight=1", "invalid_highlight", "highlight"},
    {"q=a&fields=name&fields=brand", "duplicate_parameter", "fields"},
    {"q=a&typos=3", "invalid_typos", "typos"},
    {"q=a&typos=-1", "invalid_typos", "typos"},
    {"q=a&typos=01", "invalid_typos", "typos"},
    {"q=a&typos=", "invalid_typos", "typos"},
    {"q=a&typos=one", "invalid_typos", "typos"},
    {"q=a&typos", "invalid_typos", "typos"},
    {"q=a&typos=1&typos=1", "duplicate_parameter", "typos"},
    {"q=1 2 3 4 5 6 7 8 9&typos=1", "invalid_query", "typos"},
};

START_TEST(bad_parameters_get_their_code)
{
    struct request req;
    struct query_error err;
    ck_assert_int_eq(parse(BAD[_i].url, &req, &err), -1);
    ck_assert_msg(strcmp(err.code, BAD[_i].code) == 0, "%s: %s", BAD[_i].url, err.code);
    if (BAD[_i].names != NULL)
        ck_assert_msg(strstr(err.message, BAD[_i].names) != NULL, "%s: %s", BAD[_i].url,
                      err.message);
}
END_TEST

START_TEST(defaults_are_the_seed_search)
{
    struct request req, want;
    struct query_error err;
    ck_assert_int_eq(parse("q= Alpha \t&other=1&LIMIT=5", &req, &err), 0);
    ck_assert_int_eq(request_phrase(&want, "Alpha", 5, 20), 0);
    ck_assert(req.has_text);
    ck_assert_uint_eq(req.text_len, 5);
    ck_assert_int_eq(memcmp(req.text, "alpha", 5), 0);
    ck_assert_uint_eq(req.nterms, 1);
    ck_assert_uint_eq(req.term_len[0], 5);
    ck_assert_uint_eq(req.limit, 20);
    ck_assert_uint_eq(req.offset, 0);
    ck_assert_int_eq(req.sort, REQUEST_SORT_ID);
    ck_assert_int_eq(req.match, REQUEST_MATCH_PHRASE);
    ck_assert_uint_eq(req.filter[0].count + req.filter[1].count, 0);
    ck_assert_uint_eq(req.min_price, 0);
    ck_assert_uint_eq(req.max_price, UINT64_MAX);
    ck_assert_uint_eq(req.facets, 0);
    ck_assert_uint_eq(want.max_price, UINT64_MAX);
    ck_assert(request_default_fields(&req)); /* name, then category */
    ck_assert(!req.highlight);
    ck_assert_uint_eq(req.typos, 0);
}
END_TEST

START_TEST(relevance_parameters_land_in_the_request)
{
    struct request req;
    struct query_error err;
    ck_assert_int_eq(parse("q=usb-c&sort=relevance&fields=description,brand,name&highlight=true",
                           &req, &err),
                     0);
    ck_assert_int_eq(req.sort, REQUEST_SORT_RELEVANCE);
    ck_assert_uint_eq(req.nfields, 3);
    ck_assert_int_eq(req.field[0], CATALOG_DESCRIPTION);
    ck_assert_int_eq(req.field[1], CATALOG_BRAND);
    ck_assert_int_eq(req.field[2], CATALOG_NAME);
    ck_assert(req.highlight);
    ck_assert_int_eq(parse("q=alpah  electronisc&typos=2", &req, &err), 0);
    ck_assert_uint_eq(req.typos, 2);
    ck_assert_uint_eq(req.nterms, 2); /* typos split q into terms, as match=all */
    ck_assert_int_eq(req.match, REQUEST_MATCH_PHRASE);
    ck_assert_uint_eq(request_allowance(&req, "alpah", 5), 1);
    ck_assert_uint_eq(request_allowance(&req, "electronisc", 11), 2);
    ck_assert_uint_eq(request_allowance(&req, "abc", 3), 0);
    ck_assert_uint_eq(request_allowance(&req, "abc1", 4), 0);
    ck_assert_uint_eq(request_allowance(&req, "usb-c", 5), 0);
    ck_assert_int_eq(parse("q=a&fields=category&highlight=false", &req, &err), 0);
    ck_assert_uint_eq(req.nfields, 1);
    ck_assert(!req.highlight);
    ck_assert(!request_default_fields(&req));
}
END_TEST

START_TEST(every_parameter_lands_in_the_request)
{
    struct request req;
    struct query_error err;
    ck_assert_int_eq(parse("q=Alpha  Electronics&match=all&limit=7&offset=40&sort=-price"
                           "&category=Books,TOYS&brand=Alpha&min_price=1.5&max_price=20"
                           "&facets=brand,category",
                           &req, &err),
                     0);
    ck_assert_uint_eq(req.nterms, 2);
    ck_assert_int_eq(memcmp(req.text + req.term_off[0], "alpha", req.term_len[0]), 0);
    ck_assert_int_eq(memcmp(req.text + req.term_off[1], "electronics", req.term_len[1]), 0);
    ck_assert_uint_eq(req.limit, 7);
    ck_assert_uint_eq(req.offset, 40);
    ck_assert_int_eq(req.sort, REQUEST_SORT_PRICE_DESC);
    ck_assert_uint_eq(req.filter[REQUEST_CATEGORY].count, 2);
    ck_assert_int_eq(memcmp(req.filter[REQUEST_CATEGORY].value[1], "toys", 4), 0);
    ck_assert_uint_eq(req.filter[REQUEST_BRAND].count, 1);
    ck_assert_uint_eq(req.min_price, 150);
    ck_assert_uint_eq(req.max_price, 2000);
    ck_assert_uint_eq(req.facets, 3u);
}
END_TEST

START_TEST(browse_without_q_needs_a_filter)
{
    struct request req;
    struct query_error err;
    ck_assert_int_eq(parse("category=Books", &req, &err), 0);
    ck_assert(!req.has_text);
    ck_assert_int_eq(parse("min_price=0", &req, &err), 0);
    ck_assert(!req.has_text);
    ck_assert_int_eq(parse("max_price=3&match=all", &req, &err), 0);
    ck_assert(!req.has_text);
    ck_assert_int_eq(parse("sort=price&facets=brand", &req, &err), -1);
    ck_assert_str_eq(err.code, "missing_query");
}
END_TEST

START_TEST(phrase_keeps_inner_white_space)
{
    struct request req;
    struct query_error err;
    ck_assert_int_eq(parse("q=product alpha 1&match=phrase", &req, &err), 0);
    ck_assert_uint_eq(req.nterms, 1);
    ck_assert_uint_eq(req.term_len[0], strlen("product alpha 1"));
    ck_assert_int_eq(parse("q=1 2 3 4 5 6 7 8&match=all", &req, &err), 0);
    ck_assert_uint_eq(req.nterms, 8);
}
END_TEST

Suite *query_suite(void)
{
    Suite *s = suite_create("query");
    TCase *tv = tcase_create("rules");
    tcase_add_loop_test(tv, q_table, 0, (int)(sizeof(Q_CASES) / sizeof(Q_CASES[0])));
    tcase_add_test(tv, q_length_bounds_after_trimming);
    tcase_add_loop_test(tv, limit_table, 0, (int)(sizeof(LIMITS) / sizeof(LIMITS[0])));
    tcase_add_loop_test(tv, price_table, 0, (int)(sizeof(PRICES) / sizeof(PRICES[0])));
    tcase_add_loop_test(tv, id_table, 0, (int)(sizeof(IDS) / sizeof(IDS[0])));
    suite_add_tcase(s, tv);
    TCase *tp = tcase_create("parse");
    tcase_add_loop_test(tp, bad_parameters_get_their_code, 0, (int)(sizeof(BAD) / sizeof(BAD[0])));
    tcase_add_test(tp, defaults_are_the_seed_search);
    tcase_add_test(tp, relevance_parameters_land_in_the_request);
    tcase_add_test(tp, every_parameter_lands_in_the_request);
    tcase_add_test(tp, browse_without_q_needs_a_filter);
    tcase_add_test(tp, phrase_keeps_inner_white_space);
    suite_add_tcase(s, tp);
    return s;
}
