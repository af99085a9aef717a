/* check_catalog_file: good files in both formats, every invalid case with its
 * message, and the export round trip. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "catalog.h"
#include "catalog_file.h"
#include "render.h"
#include "search.h"
#include "suites.h"
#include "testutil.h"

static char path[64];

static const char *write_file(const char *content, size_t len)
{
    strcpy(path, "/tmp/ps-catalog-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, content, len), (ssize_t)len);
    close(fd);
    return path;
}

static const char AWKWARD_JSONL[] =
    "{\"id\":3,\"name\":\"Quote \\\"q\\\" and \\\\ slash\",\"category\":\"Caf\xC3\xA9\","
    "\"description\":\"tab\\there\\nnew line \\u0001 \\u20ac\",\"brand\":\"B\",\"price\":12.3}\n"
    "\n"
    "{\"id\":1,\"name\":\"First\",\"category\":\"Books\",\"description\":\"d\",\"brand\":\"A\","
    "\"price\":0,\"extra\":true}\n";

START_TEST(json_lines_loads_sorted_and_exact)
{
    struct catalog cat;
    char err[CATALOG_FILE_ERROR_MAX];
    ck_assert_int_eq(catalog_load_file(&cat, write_file(AWKWARD_JSONL, sizeof(AWKWARD_JSONL) - 1), err), 0);
    unlink(path);
    ck_assert_uint_eq(cat.count, 2);
    ck_assert_uint_eq(cat.items[0].id, 1);
    ck_assert_uint_eq(cat.items[1].id, 3);
    ck_assert_str_eq(catalog_text(&cat, cat.items[1].name), "Quote \"q\" and \\ slash");
    ck_assert_str_eq(catalog_text(&cat, cat.items[1].category), "Caf\xC3\xA9");
    ck_assert_str_eq(catalog_text(&cat, cat.items[1].description),
                     "tab\there\nnew line \x01 \xE2\x82\xAC");
    ck_assert_uint_eq(cat.items[1].price_cents, 1230);
    ck_assert_uint_eq(cat.items[0].price_cents, 0);
    size_t len;
    char *line = render_product(&cat, &cat.items[1], &len);
    ck_assert_str_eq(line, "{\"id\":3,\"name\":\"Quote \\\"q\\\" and \\\\ slash\",\"category\":"
                           "\"Caf\xC3\xA9\",\"description\":\"tab\\there\\nnew line \\u0001 "
                           "\xE2\x82\xAC\",\"brand\":\"B\",\"price\":12.30}");
    free(line);
    catalog_deinit(&cat);
}
END_TEST

START_TEST(json_array_loads)
{
    static const char arr[] =
        " [ {\"id\":2,\"name\":\"Two\",\"category\":\"Home\",\"description\":\"x\",\"brand\":\"Z\",\"price\":2.5},\n"
        "   {\"id\":1,\"name\":\"One\",\"category\":\"Home\",\"description\":\"y\",\"brand\":\"Z\",\"price\":1} ]\n";
    struct catalog cat;
    char err[CATALOG_FILE_ERROR_MAX];
    ck_assert_int_eq(catalog_load_file(&cat, write_file(arr, sizeof(arr) - 1), err), 0);
    unlink(path);
    ck_assert_uint_eq(cat.count, 2);
    ck_assert_str_eq(catalog_text(&cat, cat.items[0].name), "One");
    ck_assert_uint_eq(cat.items[1].price_cents, 250);
    catalog_deinit(&cat);
}
END_TEST

#define P(extra) "{\"id\":1,\"name\":\"n\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\"" extra "}"

static const struct {
    const char *content;
    const char *message; /* after "PRODUCTS_FILE <path>: " */
} BAD[] = {
    {"", "empty catalog (no records)"},
    {"  \n\n", "empty catalog"},
    {"[]", "empty catalog"},
    {"[{\"id\":1,", "record 1: malformed JSON at line 1, column"},
    {"[" P(",\"price\":1") ",\n" P(",\"price\":2 x") "]", "record 2: malformed JSON at line 2, column"},
    {"[" P(",\"price\":1") "] x", "malformed JSON at line 1, column 78 (outside any record)"},
    {P(",\"price\":1") "\n{\"id\":2 oops}\n", "record 2 (line 2): malformed JSON at column"},
    {P(",\"price\":1") " trailing\n", "record 1 (line 1): malformed JSON at column"},
    {"{\"id\":1,\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":1}",
     "record 1 (line 1): missing field \"name\""},
    {"{\"name\":\"n\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":1}",
     "record 1 (line 1): missing field \"id\""},
    {P(""), "record 1 (line 1): missing field \"price\""},
    {"{\"id\":\"1\",\"name\":\"n\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":1}",
     "field \"id\" must be a positive integer"},
    {"{\"id\":0,\"name\":\"n\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":1}",
     "field \"id\" must be a positive integer"},
    {"{\"id\":-4,\"name\":\"n\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":1}",
     "field \"id\" must be a positive integer"},
    {"{\"id\":1.5,\"name\":\"n\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":1}",
     "field \"id\" must be a positive integer"},
    {"{\"id\":1,\"name\":7,\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":1}",
     "field \"name\" must be a string"},
    {"{\"id\":1,\"name\":\"n\",\"category\":null,\"description\":\"d\",\"brand\":\"b\",\"price\":1}",
     "field \"category\" must be a string"},
    {P(",\"price\":-0.01"), "record 1 (line 1): field \"price\" -0.01 must be a number from 0 to"},
    {P(",\"price\":\"9.99\""), "field \"price\" must be a number"},
    {"{\"id\":1,\"name\":\"bad \xC3\x28\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":1}",
     "field \"name\" is not valid UTF-8"},
    {P(",\"price\":1") "\n" P(",\"price\":2") "\n",
     "record 2 (line 2): duplicate id 1, already used by record 1 (line 1)"},
    {"{\"id\":7,\"name\":\"n\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":1}\n\n"
     P(",\"price\":1") "\n\n" P(",\"price\":2") "\n",
     "record 3 (line 5): duplicate id 1, already used by record 2 (line 3)"},
    {"[" P(",\"price\":1") ",{\"id\":2,\"name\":\"n\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\","
     "\"price\":1}," P(",\"price\":3") "]",
     "record 3: duplicate id 1, already used by record 1"},
    /* prices are read from their digits: never rounded to a whole cent */
    {P(",\"price\":0.285"),
     "record 1 (line 1): field \"price\" 0.285 has more than 2 fraction digits (prices are whole cents)"},
    {P(",\"price\":1.005"), "record 1 (line 1): field \"price\" 1.005 has more than 2 fraction digits"},
    {P(",\"price\":1.500"), "record 1 (line 1): field \"price\" 1.500 has more than 2 fraction digits"},
    {P(",\"price\":285e-3"), "record 1 (line 1): field \"price\" 285e-3 has more than 2 fraction digits"},
    {"[" P(",\"price\":1") "," P(",\"price\":19.999") "]",
     "record 2: field \"price\" 19.999 has more than 2 fraction digits"},
    {P(",\"price\":01"), "record 1 (line 1): field \"price\" 01 is not a plain JSON number"},
    {P(",\"price\":1."), "record 1 (line 1): field \"price\" 1. is not a plain JSON number"},
    {P(",\"price\":10000000000000.01"),
     "record 1 (line 1): field \"price\" 10000000000000.01 must be a number from 0 to"},
    /* a NUL inside a string: refused, never cut short */
    {"{\"id\":1,\"name\":\"before\\u0000after\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":1}",
     "record 1 (line 1): field \"name\" holds a NUL character (\\u0000)"},
    {"[" P(",\"price\":1") ",{\"id\":2,\"name\":\"n\",\"category\":\"c\",\"description\":\"d\\u0000\",\"brand\":\"b\",\"price\":1}]",
     "record 2: field \"description\" holds a NUL character"},
    {"[1]", "record 1: expected a JSON object"},
    {"[" P(",\"price\":1") ",\"x\"]", "record 2: expected a JSON object"},
    {"{\"a\":1}\n[1]\n", "record 1 (line 1): missing field \"id\""},
    {"\"just a string\"", "record 1 (line 1): expected a JSON object"},
    {"{\"id\":1,\"name\":\"n\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":1e14}",
     "record 1 (line 1): field \"price\" 1e14 must be a number from 0 to"},
    /* a name twice in a record: which value counts would depend on the reader */
    {P(",\"price\":1.5,\"price\":\"abc\""), "record 1 (line 1): duplicate field \"price\""},
    {P(",\"price\":1") "\n" P(",\"price\":2,\"id\":3") "\n", "record 2 (line 2): duplicate field \"id\""},
    {"[" P(",\"price\":1") "," P(",\"price\":2,\"brand\":\"x\"") "]", "record 2: duplicate field \"brand\""},
    {P(",\"price\":1,\"n\\u0061me\":\"z\""), "record 1 (line 1): duplicate field \"name\""},
    {P(",\"price\":1,\"x\":1,\"x\":2"), "record 1 (line 1): duplicate field \"x\""},
};

START_TEST(invalid_files_named_precisely)
{
    struct catalog cat;
    char err[CATALOG_FILE_ERROR_MAX], want[CATALOG_FILE_ERROR_MAX + 64];
    write_file(BAD[_i].content, strlen(BAD[_i].content));
    ck_assert_int_eq(catalog_load_file(&cat, path, err), -1);
    unlink(path);
    snprintf(want, sizeof(want), "PRODUCTS_FILE %s: ", path);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0 && strstr(err, BAD[_i].message) != NULL,
                  "got: %s\nwant: %s%s", err, want, BAD[_i].message);
    ck_assert_ptr_null(strchr(err, '\n'));
    ck_assert_uint_eq(cat.count, 0);
}
END_TEST

/* Prices become exact cents from the number's text, in both formats. */
static const struct {
    const char *price;
    uint64_t cents;
} PRICES[] = {
    {"0", 0},         {"-0", 0},         {"0.07", 7},        {"0.29", 29},
    {"19.99", 1999},  {"1.1", 110},      {"1.10", 110},      {"80.19", 8019},
    {"1e2", 10000},   {"1.5E1", 1500},   {"2.85e1", 2850},   {"285E-2", 285},
    {"0.0", 0},       {"10000000000000", 1000000000000000ULL},
    {"9007199254740.99", 900719925474099ULL}, /* not a double, exactly */
};

START_TEST(prices_are_exact_cents)
{
    char content[256];
    struct catalog cat;
    char err[CATALOG_FILE_ERROR_MAX];
    snprintf(content, sizeof(content), P(",\"price\":%s") "\n", PRICES[_i].price);
    ck_assert_msg(catalog_load_file(&cat, write_file(content, strlen(content)), err) == 0, "%s",
                  err);
    unlink(path);
    ck_assert_uint_eq(cat.items[0].price_cents, PRICES[_i].cents);
    catalog_deinit(&cat);
    snprintf(content, sizeof(content), "[" P(",\"price\":%s") "]", PRICES[_i].price);
    ck_assert_msg(catalog_load_file(&cat, write_file(content, strlen(content)), err) == 0, "%s",
                  err);
    unlink(path);
    ck_assert_uint_eq(cat.items[0].price_cents, PRICES[_i].cents);
    catalog_deinit(&cat);
}
END_TEST

/* An escaped backslash before "u0000" is text, not a NUL; the price and the
 * strings are read from the members cJSON uses, whatever their order. */
START_TEST(escapes_read_as_cjson_does)
{
    static const char line[] =
        "{\"id\":1,\"name\":\"a\\\\u0000b\",\"price\":2.5,\"category\":\"c\",\"description\":"
        "\"{[\\\"x\\\"]}\",\"brand\":\"b\",\"Price\":0.285,\"n\\u0061mes\":\"z\"}\n";
    struct catalog cat;
    char err[CATALOG_FILE_ERROR_MAX];
    ck_assert_msg(catalog_load_file(&cat, write_file(line, sizeof(line) - 1), err) == 0, "%s",
                  err);
    unlink(path);
    ck_assert_str_eq(catalog_text(&cat, cat.items[0].name), "a\\u0000b");
    ck_assert_str_eq(catalog_text(&cat, cat.items[0].description), "{[\"x\"]}");
    ck_assert_uint_eq(cat.items[0].price_cents, 250);
    catalog_deinit(&cat);
}
END_TEST

/* A record of many members (past the ones compared pairwise): unique names
 * load, a name repeated at the end is refused. */
START_TEST(many_members_checked_for_repeats)
{
    char line[4096];
    struct catalog cat;
    char err[CATALOG_FILE_ERROR_MAX];
    for (int repeat = 0; repeat < 2; repeat++) {
        int n = snprintf(line, sizeof(line), "{\"id\":1,\"name\":\"n\",\"category\":\"c\","
                                             "\"description\":\"d\",\"brand\":\"b\",\"price\":1");
        for (int k = 0; k < 100; k++)
            n += snprintf(line + n, sizeof(line) - (size_t)n, ",\"k%d\":%d", k, k);
        n += snprintf(line + n, sizeof(line) - (size_t)n, "%s}\n", repeat ? ",\"k57\":0" : "");
        int rc = catalog_load_file(&cat, write_file(line, (size_t)n), err);
        unlink(path);
        if (repeat) {
            ck_assert_int_eq(rc, -1);
            ck_assert_msg(strstr(err, "record 1 (line 1): duplicate field \"k57\"") != NULL, "%s", err);
        } else {
            ck_assert_msg(rc == 0, "%s", err);
            ck_assert_uint_eq(cat.count, 1);
            catalog_deinit(&cat);
        }
    }
}
END_TEST

START_TEST(too_long_string_refused)
{
    size_t n = CATALOG_MAX_STRING + 1;
    char *content = malloc(n + 200);
    int off = sprintf(content, "{\"id\":1,\"name\":\"");
    memset(content + off, 'x', n);
    strcpy(content + off + n, "\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":1}");
    struct catalog cat;
    char err[CATALOG_FILE_ERROR_MAX];
    ck_assert_int_eq(catalog_load_file(&cat, write_file(content, strlen(content)), err), -1);
    unlink(path);
    ck_assert_ptr_nonnull(strstr(err, "field \"name\" is longer than 4096 bytes"));
    free(content);
}
END_TEST

START_TEST(unreadable_file)
{
    struct catalog cat;
    char err[CATALOG_FILE_ERROR_MAX];
    ck_assert_int_eq(catalog_load_file(&cat, "/nonexistent/x.jsonl", err), -1);
    ck_assert_str_eq(err, "PRODUCTS_FILE /nonexistent/x.jsonl: cannot open: No such file or directory");
    ck_assert_int_eq(catalog_load_file(&cat, "/tmp", err), -1); /* a directory */
    ck_assert_str_eq(err, "PRODUCTS_FILE /tmp: is a directory, expected a JSON or JSON Lines file");
}
END_TEST

/* --export-catalog, loaded back, answers every query exactly as generation. */
START_TEST(export_round_trip_answers_identically)
{
    char *env[] = {"PRODUCT_COUNT=100000", NULL};
    char *argv[] = {"--export-catalog", NULL};
    static char out[16 * 1024 * 1024], err[4096];
    ck_assert_int_eq(tu_run(env, argv, out, sizeof(out), err, sizeof(err)), 0);
    write_file(out, strlen(out));

    struct catalog gen, file;
    struct search gi, fi;
    char msg[CATALOG_FILE_ERROR_MAX];
    ck_assert_int_eq(catalog_generate(&gen, 100000), 0);
    ck_assert_msg(catalog_load_file(&file, path, msg) == 0, "%s", msg);
    unlink(path);
    ck_assert_uint_eq(file.count, gen.count);
    for (size_t k = 0; k < gen.count; k++) {
        const struct product *a = &gen.items[k], *b = &file.items[k];
        ck_assert_uint_eq(a->id, b->id);
        ck_assert_uint_eq(a->price_cents, b->price_cents);
        ck_assert_str_eq(catalog_text(&gen, a->name), catalog_text(&file, b->name));
        ck_assert_str_eq(catalog_text(&gen, a->category), catalog_text(&file, b->category));
        ck_assert_str_eq(catalog_text(&gen, a->description), catalog_text(&file, b->description));
        ck_assert_str_eq(catalog_text(&gen, a->brand), catalog_text(&file, b->brand));
    }
    ck_assert_int_eq(search_init(&gi, &gen, 0), 0);
    ck_assert_int_eq(search_init(&fi, &file, 0), 0);
    static const char *const queries[] = {"alpha", "zzz-none", "Electronics", "kappa 99",
                                          "product", "1", "eta", "BOOKS"};
    for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        for (size_t scan = 0; scan <= 100; scan += 100) {
            struct request req;
            struct result ra, rb;
            ck_assert_int_eq(request_phrase(&req, queries[i], strlen(queries[i]), 100), 0);
            size_t la, lb;
            ck_assert_int_eq(search_run(&gi, &req, scan, &ra), 0);
            ck_assert_int_eq(search_run(&fi, &req, scan, &rb), 0);
            ra.elapsed_ns = rb.elapsed_ns = 1; /* the only field allowed to differ */
            char *a = render_search(&gen, &req, &ra, &la), *b = render_search(&file, &req, &rb, &lb);
            size_t d = 0;
            while (d < la && d < lb && a[d] == b[d])
                d++;
            ck_assert_msg(la == lb && d == la, "q=%s scan=%zu: answers differ at byte %zu: %.60s | %.60s",
                          queries[i], scan, d, a + (d > 20 ? d - 20 : 0), b + (d > 20 ? d - 20 : 0));
            free(a);
            free(b);
        }
    }
    search_deinit(&gi);
    search_deinit(&fi);
    catalog_deinit(&gen);
    catalog_deinit(&file);
}
END_TEST

/* Awkward strings from a file come back exactly through the HTTP answer. */
START_TEST(awkward_strings_end_to_end)
{
    write_file(AWKWARD_JSONL, sizeof(AWKWARD_JSONL) - 1);
    char file_env[96];
    snprintf(file_env, sizeof(file_env), "PRODUCTS_FILE=%s", path);
    char *env[] = {"PORT=0", "BIND=127.0.0.1", file_env, NULL};
    unsigned port;
    pid_t pid = tu_spawn_server(env, NULL, tu_tmp_path("check-file.log"), &port);
    ck_assert_int_gt(pid, 0);
    ck_assert_int_eq(tu_wait_ready(port, 10000), 0); /* a file is searched whole: indexed first */
    struct tu_response r;
    ck_assert_int_eq(tu_request(port, "GET", "/products/search?q=QUOTE+%22Q%22", &r), 0);
    ck_assert_int_eq(r.status, 200);
    cJSON *j = tu_json(&r);
    cJSON *p = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "products"), 0);
    ck_assert_str_eq(cJSON_GetObjectItem(p, "name")->valuestring, "Quote \"q\" and \\ slash");
    ck_assert_str_eq(cJSON_GetObjectItem(p, "description")->valuestring,
                     "tab\there\nnew line \x01 \xE2\x82\xAC");
    ck_assert_int_eq(cJSON_GetObjectItem(j, "total_found")->valueint, 1);
    cJSON_Delete(j);
    tu_response_deinit(&r);
    ck_assert_int_eq(tu_request(port, "GET", "/health", &r), 0);
    ck_assert_ptr_nonnull(strstr(r.body, "\"products\":2"));
    tu_response_deinit(&r);
    kill(pid, SIGTERM);
    ck_assert_int_eq(tu_wait_exit(pid, 5000), 0);
    unlink(path);
}
END_TEST

/* ---- the array reader (record by record) and the file itself ---- */

/* Arrays whose brackets, quotes and white space could mislead a scanner that
 * finds each record's bytes before cJSON parses them. */
static const struct {
    const char *content;
    size_t count;     /* products loaded, 0: refused */
    const char *message; /* when refused: after "PRODUCTS_FILE <path>: " */
} ARRAYS[] = {
    {"[{\"id\":1,\"name\":\"a]b}[{\\\"\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\","
     "\"price\":1}]", 1, NULL},
    {"[" P(",\"price\":1,\"extra\":{\"a\":[1,{\"b\":\"]}\"}],\"c\":\"\\\\\"}") "]", 1, NULL},
    {"\r\n[\t" P(",\"price\":1") "\n,\n{\"id\":2,\"name\":\"n\",\"category\":\"c\",\"description\":\"d\","
     "\"brand\":\"b\",\"price\":2}\n]\n\n", 2, NULL},
    {"[" P(",\"price\":1") " " P(",\"price\":2") "]", 0, "record 2: malformed JSON at line 1, column 77"},
    {"[" P(",\"price\":1") ",]", 0, "record 2: malformed JSON at line 1, column 77"},
    {"[" P(",\"price\":1"), 0, "record 2: malformed JSON at line 1, column 76"},
    {"[" P(",\"price\":1") ",", 0, "record 2: malformed JSON at line 1, column 77"},
    {"[\n\n{\"id\":1,\"name\":\"unterminated}]\n", 0, "record 1: malformed JSON at line 3"},
    {"[" P(",\"price\":1") "]\n\n  ]", 0, "malformed JSON at line 3, column 3 (outside any record)"},
    {"[" P(",\"price\":1") ",{\"id\":2,\"name\":\"n\",\"category\":\"c\",\"description\":\"d\","
     "\"brand\":\"b\",\"price\":1.001}]", 0, "record 2: field \"price\" 1.001 has more than 2"},
};

START_TEST(array_records_found_by_their_brackets)
{
    struct catalog cat;
    char err[CATALOG_FILE_ERROR_MAX], want[CATALOG_FILE_ERROR_MAX + 64];
    write_file(ARRAYS[_i].content, strlen(ARRAYS[_i].content));
    int ret = catalog_load_file(&cat, path, err);
    unlink(path);
    if (ARRAYS[_i].count > 0) {
        ck_assert_msg(ret == 0, "%s", err);
        ck_assert_uint_eq(cat.count, ARRAYS[_i].count);
        catalog_deinit(&cat);
        return;
    }
    ck_assert_int_eq(ret, -1);
    snprintf(want, sizeof(want), "PRODUCTS_FILE %s: %s", path, ARRAYS[_i].message);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got: %s\nwant: %s", err, want);
}
END_TEST

/* The same products as an array and as JSON Lines load into the same
 * catalog, across many read chunks. */
START_TEST(array_equals_json_lines)
{
    struct catalog gen, a, l;
    char err[CATALOG_FILE_ERROR_MAX];
    ck_assert_int_eq(catalog_generate(&gen, 30000), 0);
    char lines_path[64], array_path[64];
    strcpy(lines_path, tu_tmp_path("same.jsonl"));
    strcpy(array_path, tu_tmp_path("same.json"));
    FILE *fl = fopen(lines_path, "w"), *fa = fopen(array_path, "w");
    ck_assert_ptr_nonnull(fl);
    ck_assert_ptr_nonnull(fa);
    fputs(" [\n", fa);
    for (size_t k = gen.count; k-- > 0;) { /* reversed: the loader sorts */
        size_t len;
        char *line = render_product(&gen, &gen.items[k], &len);
        fprintf(fl, "%s\n", line);
        fprintf(fa, "%s%s", line, k > 0 ? ",\n" : "\n]\n");
        free(line);
    }
    fclose(fl);
    fclose(fa);
    ck_assert_msg(catalog_load_file(&a, array_path, err) == 0, "%s", err);
    ck_assert_msg(catalog_load_file(&l, lines_path, err) == 0, "%s", err);
    unlink(array_path);
    unlink(lines_path);
    ck_assert_uint_eq(a.count, gen.count);
    ck_assert_uint_eq(l.count, gen.count);
    ck_assert_uint_eq(a.arena_len, l.arena_len);
    ck_assert_int_eq(memcmp(a.arena, l.arena, a.arena_len), 0);
    ck_assert_int_eq(memcmp(a.items, l.items, a.count * sizeof(a.items[0])), 0);
    catalog_deinit(&a);
    catalog_deinit(&l);
    catalog_deinit(&gen);
}
END_TEST

/* Whatever is not a regular file is refused before a byte is read: a FIFO
 * would block the start-up until a writer came, /dev/zero never ends. */
START_TEST(not_a_regular_file_refused_at_once)
{
    const char *fifo = tu_tmp_path("catalog.fifo");
    unlink(fifo);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    static const struct {
        const char *path, *what;
    } CASES[] = {
        {NULL, "is a FIFO (named pipe)"},
        {"/dev/zero", "is a character device"},
        {"/dev/null", "is a character device"},
        {"/", "is a directory"},
    };
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        struct catalog cat;
        char err[CATALOG_FILE_ERROR_MAX], want[CATALOG_FILE_ERROR_MAX];
        const char *p = CASES[i].path ? CASES[i].path : fifo;
        ck_assert_int_eq(catalog_load_file(&cat, p, err), -1);
        snprintf(want, sizeof(want), "PRODUCTS_FILE %s: %s, expected a JSON or JSON Lines file",
                 p, CASES[i].what);
        ck_assert_str_eq(err, want);
    }
    unlink(fifo);
}
END_TEST

/* catalog_file_load() reports the file it read: its identity as stat(2)
 * sees it, and the XXH3-64 hash of its bytes. */
START_TEST(load_reports_identity_and_hash)
{
    static const char content[] = P(",\"price\":1") "\n";
    struct catalog cat;
    struct catalog_file_info info;
    struct catalog_file_id now;
    char err[CATALOG_FILE_ERROR_MAX];
    write_file(content, sizeof(content) - 1);
    ck_assert_msg(catalog_file_load(&cat, path, &info, err) == 0, "%s", err);
    catalog_deinit(&cat);
    ck_assert_uint_eq(info.hash, XXH3_64bits(content, sizeof(content) - 1));
    catalog_file_stat(path, &now);
    ck_assert(now.exists);
    ck_assert_uint_eq(info.id.size, sizeof(content) - 1);
    ck_assert(catalog_file_same(&now, &info.id));
    unlink(path);
    catalog_file_stat(path, &now);
    ck_assert(!now.exists);
    ck_assert(!catalog_file_same(&now, &info.id));
}
END_TEST

Suite *catalog_file_suite(void)
{
    Suite *s = suite_create("catalog_file");
    TCase *tc = tcase_create("load");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, json_lines_loads_sorted_and_exact);
    tcase_add_test(tc, json_array_loads);
    tcase_add_loop_test(tc, invalid_files_named_precisely, 0, (int)(sizeof(BAD) / sizeof(BAD[0])));
    tcase_add_loop_test(tc, prices_are_exact_cents, 0, (int)(sizeof(PRICES) / sizeof(PRICES[0])));
    tcase_add_test(tc, escapes_read_as_cjson_does);
    tcase_add_test(tc, many_members_checked_for_repeats);
    tcase_add_test(tc, too_long_string_refused);
    tcase_add_test(tc, unreadable_file);
    tcase_add_test(tc, export_round_trip_answers_identically);
    tcase_add_test(tc, awkward_strings_end_to_end);
    suite_add_tcase(s, tc);
    TCase *files = tcase_create("array reader and files");
    tcase_set_timeout(files, 60);
    tcase_add_loop_test(files, array_records_found_by_their_brackets, 0,
                        (int)(sizeof(ARRAYS) / sizeof(ARRAYS[0])));
    tcase_add_test(files, array_equals_json_lines);
    tcase_add_test(files, not_a_regular_file_refused_at_once);
    tcase_add_test(files, load_reports_identity_and_hash);
    suite_add_tcase(s, files);
    return s;
}
