/* check_index: the whole-catalog index (index_run) against the plain
 * reference (reference_run, whole window) on random requests mixing
 * every parameter: the generated catalog at 100,000 and 1,000,000 products,
 * and awkward catalogs, some indexed with tiny thresholds so that a small
 * catalog takes every path (precomputed sets, depth-limited gathering,
 * product-by-product price filtering). The first difference fails the test
 * and prints the request. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "http_frame.h"
#include "index.h"
#include "index_test.h"
#include "metrics.h"
#include "reqgen.h"
#include "reference.h"
#include "search.h"
#include "snapfile.h"
#include "tables.h"
#include "suites.h"
#include "testutil.h"

/* The catalogs built in this test, besides the generated and reqgen's awkward one. */
enum shape {
    GENERATED, /* the SPEC catalog */
    AWKWARD,   /* reqgen_awkward_catalog() */
    REPEATS,   /* long runs of one letter and repeated words inside one product */
    TINY,      /* empty-ish strings, one-letter fields, prices 0.00 */
};

static const struct {
    enum shape shape;
    size_t products;
    int requests;
    uint32_t heavy_min; /* 0: the default thresholds */
    uint32_t heavy_depth;
    uint32_t small_set;
} CASES[] = {
    {GENERATED, 100000, 3000, 0, 0, 0},
    {GENERATED, 1000000, 200, 0, 0, 0},
    {GENERATED, 5000, 15000, 16, 24, 64},
    {AWKWARD, 40000, 6000, 0, 0, 0},
    {AWKWARD, 3000, 23000, 8, 24, 32},
    {AWKWARD, 3000, 15000, 4, 2, 0},
    {REPEATS, 2000, 15000, 8, 6, 16},
    {REPEATS, 20000, 5000, 0, 0, 0},
    {TINY, 1, 6000, 2, 24, 0},
    {TINY, 200, 15000, 2, 3, 4},
};

static unsigned pick(unsigned *seed, unsigned n)
{
    return (unsigned)rand_r(seed) % n;
}

static int add(struct catalog *cat, uint64_t id, uint64_t price, const char *name,
               const char *category, const char *brand)
{
    return catalog_add(cat, id, price, name, strlen(name), category, strlen(category), "d", 1,
                       brand, strlen(brand));
}

/* Names made of long runs of one letter and words repeated inside the name
 * (so one product holds a substring many times, and the suffix tree is deep). */
static int repeats_catalog(struct catalog *cat, size_t n, unsigned seed)
{
    static const char *const CATS[] = {"aaaa", "Aa", "banana", "nana", "ab"};
    static const char *const BRANDS[] = {"Aaa", "aAa", "Nan", "b"};
    catalog_init(cat);
    for (size_t k = 0; k < n; k++) {
        char name[600];
        size_t len = 0;
        for (unsigned w = 0, words = 1 + pick(&seed, 4); w < words; w++) {
            unsigned run = 1 + pick(&seed, pick(&seed, 8) == 0 ? 300 : 12);
            char c = "aAbn"[pick(&seed, 4)];
            for (unsigned i = 0; i < run && len < 500; i++)
                name[len++] = c;
            if (pick(&seed, 2) == 0)
                len += (size_t)snprintf(name + len, sizeof(name) - len, "%s", "banana");
            name[len++] = ' ';
        }
        name[len] = '\0';
        if (add(cat, k * 3 + 1, pick(&seed, 3) == 0 ? 0 : pick(&seed, 100), name,
                CATS[pick(&seed, 5)], BRANDS[pick(&seed, 4)]) != 0)
            return -1;
    }
    return 0;
}

/* Empty names, one-letter fields in every case, a category inside the name. */
static int tiny_catalog(struct catalog *cat, size_t n, unsigned seed)
{
    static const char *const NAMES[] = {"", "a", "A", "aa", " ", "Books", "x books y", "1", "'",
                                        "\"", "\xC3\xA9", "\xC3\x89"};
    static const char *const CATS[] = {"", "b", "B", "Books", "books", "a"};
    catalog_init(cat);
    for (size_t k = 0; k < n; k++) {
        uint64_t id = k + 1 == n ? 5000000 : k + 1; /* ids ascend, the last one far off */
        if (add(cat, id, pick(&seed, 3), NAMES[pick(&seed, 12)], CATS[pick(&seed, 6)],
                CATS[pick(&seed, 6)]) != 0)
            return -1;
    }
    return 0;
}

/* The next random request that the parser accepts, into url and req. */
static void next_request(const struct catalog *cat, unsigned *seed, char *url,
                         struct request *req)
{
    do
        reqgen_url_mixed(url, cat, seed);
    while (reqgen_parse(url, req) != 0);
}

static int build_catalog(struct catalog *cat, int i)
{
    unsigned seed = 77u + (unsigned)i;
    switch (CASES[i].shape) {
    case GENERATED:
        return catalog_generate(cat, CASES[i].products);
    case AWKWARD:
        return reqgen_awkward_catalog(cat, CASES[i].products, seed);
    case REPEATS:
        return repeats_catalog(cat, CASES[i].products, seed);
    default:
        return tiny_catalog(cat, CASES[i].products, seed);
    }
}

/* Case i's catalog into cat, its value tables into t, and the index over
 * them with the case's thresholds (the defaults when it sets none). */
static struct index *build_case(int i, struct catalog *cat, struct tables *t)
{
    ck_assert_int_eq(build_catalog(cat, i), 0);
    ck_assert_int_eq(tables_init(t, cat, 0), 0);
    struct index_tuning tune = {CASES[i].heavy_min, CASES[i].heavy_depth, CASES[i].small_set};
    struct index *ix = tune.heavy_min ? index_build_tuned(t, &tune, NULL) : index_build(t, NULL);
    ck_assert_ptr_nonnull(ix);
    return ix;
}

START_TEST(index_equals_reference)
{
    struct catalog cat;
    struct tables t;
    struct index *ix = build_case(_i, &cat, &t);
    unsigned seed = 4242u + (unsigned)_i;
    struct reqgen_report rep;
    int ret = reqgen_compare(&cat, 0, reqgen_answer_index, ix, reqgen_url_mixed, &seed,
                             (size_t)CASES[_i].requests, &rep);
    ck_assert_msg(ret == 0,
                  "case %d, request %zu differs: %s (total %zu vs reference %zu, listed %zu vs %zu)",
                  _i, rep.compared, rep.url, rep.got_total, rep.want_total, rep.got_count,
                  rep.want_count);
    ck_assert_uint_ge(rep.matched, (size_t)CASES[_i].requests / 4); /* mostly hits */
    printf("index: case %d (%zu products): %d requests equal to the reference\n", _i,
           CASES[_i].products, CASES[_i].requests);
    index_destroy(ix);
    tables_deinit(&t);
    catalog_deinit(&cat);
}
END_TEST

/* The index written to a snapshot with its catalog and value tables, and
 * read back from the mapping, answers as the reference does on every case's
 * catalog and thresholds (a third of each case's requests). */
START_TEST(snapshot_equals_reference)
{
    struct catalog built;
    struct tables t;
    struct index *ix = build_case(_i, &built, &t);
    const char *path = tu_tmp_path("index.snap");
    struct snapfile_writer w;
    char err[SNAPFILE_ERROR_MAX];
    ck_assert_int_eq(snapfile_create(&w, path, err), 0);
    ck_assert_int_eq(catalog_snapshot_write(&built, &w), 0);
    tables_snapshot_write(&t, &w);
    ck_assert_int_eq(index_snapshot_write(ix, &w), 0);
    ck_assert_msg(snapfile_finish(&w, err) == 0, "%s", err);
    index_destroy(ix);
    tables_deinit(&t);
    catalog_deinit(&built);

    struct snapfile snap;
    struct catalog cat;
    struct tables mt;
    ck_assert_msg(snapfile_open(&snap, path, err) == 0, "%s", err);
    ck_assert_msg(catalog_snapshot_open(&cat, &snap, err) == 0, "%s", err);
    ck_assert_uint_eq(cat.count, CASES[_i].products);
    ck_assert_msg(tables_snapshot_open(&mt, &cat, &snap, err) == 0, "%s", err);
    struct index *mapped = index_snapshot_open(&mt, &snap, err);
    ck_assert_msg(mapped != NULL, "%s", err);
    unsigned seed = 5151u + (unsigned)_i;
    struct reqgen_report rep;
    size_t requests = (size_t)CASES[_i].requests / 3 + 1;
    int ret = reqgen_compare(&cat, 0, reqgen_answer_index, mapped, reqgen_url_mixed, &seed,
                             requests, &rep);
    ck_assert_msg(ret == 0,
                  "case %d from its snapshot, request %zu differs: %s (total %zu vs reference "
                  "%zu, listed %zu vs %zu)",
                  _i, rep.compared, rep.url, rep.got_total, rep.want_total, rep.got_count,
                  rep.want_count);
    ck_assert_uint_ge(rep.matched, requests / 4);
    index_destroy(mapped);
    tables_deinit(&mt);
    catalog_deinit(&cat);
    snapfile_close(&snap);
    unlink(path);
}
END_TEST

/* search_run() answers from the index once it is published, for every window
 * that covers the catalog, and from the scan for a smaller window: the
 * answers stay the reference's either way, checked equal before and after. */
START_TEST(search_run_uses_the_index_for_whole_windows)
{
    struct catalog cat;
    struct search engine;
    ck_assert_int_eq(reqgen_awkward_catalog(&cat, 2500, 5), 0);
    ck_assert_int_eq(search_init(&engine, &cat, 0), 0);
    static const size_t WINDOWS[] = {0, 2500, 9999, 100, 2499};
    unsigned seed = 99;
    for (int built = 0; built < 2; built++) {
        if (built)
            ck_assert_int_eq(search_build_index(&engine), 0);
        for (int i = 0; i < 2000; i++) {
            char url[REQGEN_URL_MAX];
            struct request req;
            struct reqgen_report rep = {0};
            size_t window = WINDOWS[i % 5];
            next_request(&cat, &seed, url, &req);
            ck_assert_msg(reqgen_check(&cat, window, reqgen_answer_search, &engine, &req, &rep) ==
                              0,
                          "window %zu, index %d: %s", window, built, url);
        }
    }
    search_deinit(&engine); /* frees the published index too */
    catalog_deinit(&cat);
}
END_TEST

/* Broad queries: every product, most products, a whole category through
 * the category field only; totals and first pages exact. */
START_TEST(broad_queries_count_every_match)
{
    struct catalog cat;
    struct tables t;
    ck_assert_int_eq(catalog_generate(&cat, 30000), 0);
    ck_assert_int_eq(tables_init(&t, &cat, 0), 0);
    struct index *ix = index_build(&t, NULL);
    ck_assert_ptr_nonnull(ix);
    static const struct {
        const char *url;
        size_t total;
    } WANT[] = {
        {"q=product", 30000},
        {"q=PRODUCT&sort=-price&offset=29999", 30000},
        {"q=electronics", 2500},   /* the category only */
        {"q=product alpha", 3000}, /* a brand's names */
        {"q=zzz-none", 0},
        {"q=a&facets=category,brand&sort=price&offset=777", 0},
        {"category=books,toys&brand=beta&min_price=10&max_price=900.5&facets=brand", 0},
    };
    for (size_t i = 0; i < sizeof(WANT) / sizeof(WANT[0]); i++) {
        struct request req;
        struct result got, want;
        ck_assert_int_eq(reqgen_parse(WANT[i].url, &req), 0);
        ck_assert_int_eq(index_run(ix, &req, &got), 0);
        ck_assert_int_eq(reference_run(&cat, &req, 0, &want), 0);
        ck_assert_msg(request_results_equal(&cat, &got, &want), "%s", WANT[i].url);
        if (WANT[i].total > 0)
            ck_assert_uint_eq(got.total_found, WANT[i].total);
        ck_assert_uint_eq(got.checked, 30000);
    }
    index_destroy(ix);
    tables_deinit(&t);
    catalog_deinit(&cat);
}
END_TEST

/* The gauge a deployment (and the benchmark) waits on. */
START_TEST(metrics_report_index_readiness)
{
    struct metrics m;
    size_t len;
    metrics_init(&m, 10, HTTP_ROUTE_NAMES, HTTP_ROUTE_COUNT);
    char *text = metrics_render(&m, &len);
    ck_assert_ptr_nonnull(strstr(text, "\nproduct_search_index_ready 0\n"));
    ck_assert_ptr_nonnull(strstr(text, "\nproduct_search_index_build_seconds 0.000000\n"));
    free(text);
    metrics_index_ready(&m, 1500000000u);
    text = metrics_render(&m, &len);
    ck_assert_ptr_nonnull(strstr(text, "\nproduct_search_index_ready 1\n"));
    ck_assert_ptr_nonnull(strstr(text, "\nproduct_search_index_build_seconds 1.500000\n"));
    free(text);
}
END_TEST

/* The answer of target on the server at port, without its timing fields. */
static cJSON *answer(unsigned port, const char *target)
{
    struct tu_response r;
    ck_assert_int_eq(tu_request(port, "GET", target, &r), 0);
    ck_assert_int_eq(r.status, 200);
    cJSON *j = tu_json(&r);
    ck_assert_ptr_nonnull(j);
    cJSON_DeleteItemFromObject(j, "search_time");
    cJSON_DeleteItemFromObject(j, "search_time_ns");
    tu_response_deinit(&r);
    return j;
}

/* The answer of target on the server at port while it may still be
 * indexing: NULL for 503 starting (with Retry-After), else the 200 answer. */
static cJSON *answer_or_starting(unsigned port, const char *target)
{
    struct tu_response r;
    ck_assert_int_eq(tu_request(port, "GET", target, &r), 0);
    if (r.status == 503) {
        char v[64];
        ck_assert_ptr_nonnull(strstr(r.body, "\"error\":\"starting\""));
        ck_assert_ptr_nonnull(tu_header(&r, "Retry-After", v, sizeof(v)));
        tu_response_deinit(&r);
        return NULL;
    }
    tu_response_deinit(&r);
    return answer(port, target);
}

/* With SCAN_LIMIT=0 the server builds the index in the background, reports
 * it in /metrics and in a log line; until it is published searches get 503
 * starting (a reference scan would cost seconds at 1,000,000 products), and
 * any answer given is the index's; in the bounded mode it builds none. */
START_TEST(server_builds_the_index_in_the_background)
{
    static const char *const TARGETS[] = {
        "/products/search?q=product&limit=3",
        "/products/search?q=a%201&match=all&sort=-price&offset=7&facets=category,brand",
        "/products/search?category=books&min_price=10&max_price=500&sort=price",
    };
    unsigned port = 0;
    char *env[] = {"PORT=0", "BIND=127.0.0.1", "THREADS=1", "SCAN_LIMIT=0", "PRODUCT_COUNT=30000",
                   NULL};
    const char *log = tu_tmp_path("check-index.log");
    pid_t pid = tu_spawn_server(env, NULL, log, &port);
    ck_assert_int_gt(pid, 0);
    cJSON *before[3];
    for (int i = 0; i < 3; i++)
        before[i] = answer_or_starting(port, TARGETS[i]);
    int ready = 0;
    for (int tries = 0; tries < 600 && !ready; tries++) { /* at most a minute */
        struct tu_response r;
        ck_assert_int_eq(tu_request(port, "GET", "/metrics", &r), 0);
        ready = strstr(r.body, "\nproduct_search_index_ready 1\n") != NULL;
        tu_response_deinit(&r);
        if (!ready)
            usleep(100000);
    }
    ck_assert_msg(ready, "the index never became ready");
    ck_assert_int_eq(tu_wait_ready(port, 1000), 0);
    for (int i = 0; i < 3; i++) {
        cJSON *after = answer(port, TARGETS[i]);
        if (i == 0)
            ck_assert_int_eq(cJSON_GetObjectItem(after, "total_found")->valueint, 30000);
        ck_assert_msg(before[i] == NULL || cJSON_Compare(before[i], after, true), "%s changed",
                      TARGETS[i]);
        cJSON_Delete(after);
        cJSON_Delete(before[i]);
    }
    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    ck_assert_int_eq(tu_wait_exit(pid, 10000), 0);

    FILE *f = fopen(log, "r");
    char line[4096];
    int logged = 0;
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        cJSON *j = cJSON_Parse(line);
        const cJSON *event = cJSON_GetObjectItem(j, "event");
        if (cJSON_IsString(event) && strcmp(event->valuestring, "index_ready") == 0) {
            ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(j, "build_ms")));
            ck_assert_int_gt(cJSON_GetObjectItem(j, "index_kb")->valueint, 0);
            logged = 1;
        }
        cJSON_Delete(j);
    }
    if (f != NULL)
        fclose(f);
    ck_assert(logged);

    char *bounded[] = {"PORT=0", "BIND=127.0.0.1", "THREADS=1", "PRODUCT_COUNT=30000", NULL};
    pid = tu_spawn_server(bounded, NULL, log, &port);
    ck_assert_int_gt(pid, 0);
    struct tu_response r;
    ck_assert_int_eq(tu_request(port, "GET", "/metrics", &r), 0);
    ck_assert_ptr_nonnull(strstr(r.body, "\nproduct_search_index_ready 0\n"));
    tu_response_deinit(&r);
    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    ck_assert_int_eq(tu_wait_exit(pid, 10000), 0);
    f = fopen(log, "r");
    ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
    fclose(f);
    ck_assert_ptr_nonnull(strstr(line, "\"index\":\"off\""));
}
END_TEST

Suite *index_suite(void)
{
    Suite *s = suite_create("index");
    TCase *tc = tcase_create("index_vs_reference");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, metrics_report_index_readiness);
    tcase_add_test(tc, server_builds_the_index_in_the_background);
    tcase_add_test(tc, broad_queries_count_every_match);
    tcase_add_test(tc, search_run_uses_the_index_for_whole_windows);
    tcase_add_loop_test(tc, index_equals_reference, 0, (int)(sizeof(CASES) / sizeof(CASES[0])));
    tcase_add_loop_test(tc, snapshot_equals_reference, 0, (int)(sizeof(CASES) / sizeof(CASES[0])));
    suite_add_tcase(s, tc);
    return s;
}
