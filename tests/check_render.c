/* check_render: Go durations, the search answer's shape, products and errors. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "render.h"
#include "reqgen.h"
#include "search.h"
#include "suites.h"

static const struct {
    uint64_t ns;
    const char *text;
} DURATIONS[] = {
    {0, "0s"},
    {1, "1ns"},
    {850, "850ns"},
    {999, "999ns"},
    {1000, "1\xC2\xB5s"},
    {3200, "3.2\xC2\xB5s"},
    {1234, "1.234\xC2\xB5s"},
    {999999, "999.999\xC2\xB5s"},
    {1000000, "1ms"},
    {1250000, "1.25ms"},
    {1000001, "1.000001ms"},
    {1500000000, "1.5s"},
    {61000000000ULL, "1m1s"},
    {3723500000000ULL, "1h2m3.5s"},
};

START_TEST(duration_like_go)
{
    char buf[RENDER_DURATION_MAX];
    size_t n = render_duration(buf, DURATIONS[_i].ns);
    ck_assert_str_eq(buf, DURATIONS[_i].text);
    ck_assert_uint_eq(n, strlen(DURATIONS[_i].text));
}
END_TEST

START_TEST(search_answer_shape)
{
    struct catalog cat;
    struct search engine;
    struct request req;
    struct result res;
    ck_assert_int_eq(catalog_generate(&cat, 1000), 0);
    ck_assert_int_eq(search_init(&engine, &cat, 0), 0);
    ck_assert_int_eq((request_phrase(&req, "alpha", 5, 2) || search_run(&engine, &req, 100, &res)), 0);
    res.elapsed_ns = 3200;
    size_t len;
    char *body = render_search(&cat, &req, &res, &len);
    ck_assert_ptr_nonnull(body);
    ck_assert_uint_eq(len, strlen(body));
    const char *want =
        "{\"products\":[{\"id\":1,\"name\":\"Product Alpha 1\",\"category\":\"Electronics\","
        "\"description\":\"Durable electronics item by Alpha.\",\"brand\":\"Alpha\","
        "\"price\":80.19},{\"id\":11,\"name\":\"Product Alpha 11\",\"category\":\"Beauty\","
        "\"description\":\"Premium beauty item by Alpha.\",\"brand\":\"Alpha\","
        "\"price\":872.09}],\"total_found\":10,\"checked\":100,\"search_time\":\"3.2\xC2\xB5s\","
        "\"search_time_ns\":3200}";
    ck_assert_str_eq(body, want);
    free(body);

    ck_assert_int_eq((request_phrase(&req, "zzz", 3, 20) || search_run(&engine, &req, 100, &res)), 0);
    body = render_search(&cat, &req, &res, &len);
    cJSON *j = cJSON_Parse(body);
    ck_assert(cJSON_IsArray(cJSON_GetObjectItem(j, "products"))); /* [] never null */
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "products")), 0);
    ck_assert_int_eq(cJSON_GetObjectItem(j, "total_found")->valueint, 0);
    cJSON_Delete(j);
    free(body);
    search_deinit(&engine);
    catalog_deinit(&cat);
}
END_TEST

START_TEST(awkward_product_escaped_and_prices_have_two_decimals)
{
    struct catalog cat;
    catalog_init(&cat);
    ck_assert_int_eq(catalog_add(&cat, 42, 500, "Q \"x\" \\ y", 9, "C\x01", 2,
                                 "multi\nline \xE2\x82\xAC", 14, "B", 1), 0);
    size_t len;
    char *line = render_product(&cat, &cat.items[0], &len);
    ck_assert_str_eq(line, "{\"id\":42,\"name\":\"Q \\\"x\\\" \\\\ y\",\"category\":\"C\\u0001\","
                           "\"description\":\"multi\\nline \xE2\x82\xAC\",\"brand\":\"B\","
                           "\"price\":5.00}");
    free(line);
    catalog_deinit(&cat);
}
END_TEST

START_TEST(error_body)
{
    size_t len;
    char *b = render_error("invalid_query", "q \"bad\"", &len);
    ck_assert_str_eq(b, "{\"error\":\"invalid_query\",\"message\":\"q \\\"bad\\\"\"}");
    free(b);
}
END_TEST

/* With highlight=true each product gains "highlight": per listed field
 * holding a range, its [start, end) byte ranges in the field as stored; {}
 * when none. */
START_TEST(highlight_in_each_product)
{
    struct catalog cat;
    struct search engine;
    struct request req;
    struct query_error err;
    struct result res;
    catalog_init(&cat);
    ck_assert_int_eq(catalog_add(&cat, 7, 1999, "Caf\xC3\xA9 Phone", 11, "Phones", 6,
                                 "A phone, phone.", 15, "Ph", 2), 0);
    ck_assert_int_eq(catalog_add(&cat, 8, 5, "Stand", 5, "Audio", 5, "x", 1, "Phonic", 6), 0);
    ck_assert_int_eq(search_init(&engine, &cat, 0), 0);
    ck_assert_int_eq(reqgen_parse_err("q=ph&fields=description,brand,name&highlight=true",
                                      &req, &err), 0);
    ck_assert_int_eq(search_run(&engine, &req, 0, &res), 0);
    res.elapsed_ns = 1000;
    size_t len;
    char *body = render_search(&cat, &req, &res, &len);
    const char *want =
        "{\"products\":[{\"id\":7,\"name\":\"Caf\xC3\xA9 Phone\",\"category\":\"Phones\","
        "\"description\":\"A phone, phone.\",\"brand\":\"Ph\",\"price\":19.99,"
        "\"highlight\":{\"description\":[[2,4],[9,11]],\"brand\":[[0,2]],\"name\":[[6,8]]}},"
        "{\"id\":8,\"name\":\"Stand\",\"category\":\"Audio\",\"description\":\"x\","
        "\"brand\":\"Phonic\",\"price\":0.05,\"highlight\":{\"brand\":[[0,2]]}}],"
        "\"total_found\":2,\"checked\":2,\"search_time\":\"1\xC2\xB5s\",\"search_time_ns\":1000}";
    ck_assert_str_eq(body, want);
    ck_assert_uint_eq(len, strlen(want));
    free(body);
    /* a browse lists products whose highlight is empty */
    ck_assert_int_eq(reqgen_parse_err("category=audio&highlight=true", &req, &err), 0);
    ck_assert_int_eq(search_run(&engine, &req, 0, &res), 0);
    body = render_search(&cat, &req, &res, &len);
    ck_assert_ptr_nonnull(strstr(body, "\"price\":0.05,\"highlight\":{}}"));
    free(body);
    search_deinit(&engine);
    catalog_deinit(&cat);
}
END_TEST

Suite *render_suite(void)
{
    Suite *s = suite_create("render");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, duration_like_go, 0, (int)(sizeof(DURATIONS) / sizeof(DURATIONS[0])));
    tcase_add_test(tc, search_answer_shape);
    tcase_add_test(tc, highlight_in_each_product);
    tcase_add_test(tc, awkward_product_escaped_and_prices_have_two_decimals);
    tcase_add_test(tc, error_body);
    suite_add_tcase(s, tc);
    return s;
}
