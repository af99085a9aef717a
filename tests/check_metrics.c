/* check_metrics: the Prometheus exposition counts what was observed. */
#include <stdlib.h>
#include <string.h>

#include "http_frame.h"
#include "metrics.h"
#include "suites.h"

START_TEST(exposition_counts_and_buckets)
{
    struct metrics m;
    metrics_init(&m, 1234, HTTP_ROUTE_NAMES, HTTP_ROUTE_COUNT);
    metrics_observe(&m, HTTP_ROUTE_SEARCH, 200, 40000);   /* 40 µs */
    metrics_observe(&m, HTTP_ROUTE_SEARCH, 200, 2000000); /* 2 ms */
    metrics_observe(&m, HTTP_ROUTE_SEARCH, 400, 1000);
    metrics_observe(&m, HTTP_ROUTE_OTHER, 404, 1000);
    metrics_observe(&m, HTTP_ROUTE_HEALTH, 299, 1000);   /* an uncounted code */
    metrics_begin(&m);
    size_t len;
    char *t = metrics_render(&m, &len);
    ck_assert_uint_eq(strlen(t), len);
    ck_assert_ptr_nonnull(strstr(t, "product_search_requests_total{route=\"/products/search\",code=\"200\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(t, "product_search_requests_total{route=\"/products/search\",code=\"400\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(t, "product_search_requests_total{route=\"other\",code=\"404\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(t, "product_search_requests_total{route=\"/health\",code=\"other\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(t, "product_search_request_duration_seconds_bucket{route=\"/products/search\",le=\"5e-05\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(t, "product_search_request_duration_seconds_bucket{route=\"/products/search\",le=\"0.001\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(t, "product_search_request_duration_seconds_bucket{route=\"/products/search\",le=\"0.0025\"} 3\n"));
    ck_assert_ptr_nonnull(strstr(t, "product_search_request_duration_seconds_bucket{route=\"/products/search\",le=\"+Inf\"} 3\n"));
    ck_assert_ptr_nonnull(strstr(t, "product_search_request_duration_seconds_count{route=\"/products/search\"} 3\n"));
    ck_assert_ptr_nonnull(strstr(t, "product_search_request_duration_seconds_sum{route=\"/products/search\"} 0.002041000\n"));
    ck_assert_ptr_nonnull(strstr(t, "product_search_requests_in_flight 1\n"));
    ck_assert_ptr_nonnull(strstr(t, "product_search_products_loaded 1234\n"));
    ck_assert_ptr_nonnull(strstr(t, "product_search_build_info{version=\""));
    ck_assert_ptr_nonnull(strstr(t, "product_search_catalog_info{version=\"000000000000\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(t, "product_search_reloads_total 0\n"));
    ck_assert_ptr_nonnull(strstr(t, "product_search_reload_failures_total 0\n"));
    free(t);
    /* a reload: the catalog shown follows it, and the outcome is counted */
    metrics_catalog(&m, 99, 0x85f261a778e5u, 1767225600123, 1500000);
    metrics_reload(&m, true);
    metrics_reload(&m, false);
    t = metrics_render(&m, &len);
    ck_assert_ptr_nonnull(strstr(t, "product_search_products_loaded 99\n"));
    ck_assert_ptr_nonnull(strstr(t, "product_search_catalog_info{version=\"85f261a778e5\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(t, "product_search_catalog_loaded_timestamp_seconds 1767225600.123\n"));
    ck_assert_ptr_nonnull(strstr(t, "product_search_catalog_load_seconds 0.001500\n"));
    ck_assert_ptr_nonnull(strstr(t, "product_search_reloads_total 1\n"));
    ck_assert_ptr_nonnull(strstr(t, "product_search_reload_failures_total 1\n"));
    ck_assert_ptr_nonnull(strstr(t, "# TYPE product_search_request_duration_seconds histogram\n"));
    free(t);
}
END_TEST

Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, exposition_counts_and_buckets);
    suite_add_tcase(s, tc);
    return s;
}
