/* check_snapshot: snapshots written by --write-snapshot's code path and
 * served by SNAPSHOT_FILE: a round trip answers every random request as the
 * reference does; every kind of damage (a cut at each section boundary, a
 * byte flipped in each section, in the header and in the table, another
 * format, another program version, another catalog, wrong magic, an empty
 * file, a directory, a FIFO) is refused with one line naming what is wrong,
 * and the binary exits with status 2; a snapshot renamed over the served
 * one is picked up by SIGHUP. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>

#include "base.h"
#include "live.h"
#include "render.h"
#include "reqgen.h"
#include "snapfile.h"
#include "suites.h"
#include "testutil.h"

enum {
    FILE_PRODUCTS = 3000, /* the awkward catalog written as a file */
    HEADER_CHECKSUM_AT = 56,
    FORMAT_AT = 8,
};

static void write_catalog_file(const struct catalog *cat, const char *path)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    for (size_t k = 0; k < cat->count; k++) {
        size_t len;
        char *line = render_product(cat, &cat->items[k], &len);
        ck_assert_ptr_nonnull(line);
        fwrite(line, 1, len, f);
        fputc('\n', f);
        free(line);
    }
    ck_assert_int_eq(fclose(f), 0);
}

/* A snapshot of the catalog file products_file (NULL: the generated catalog
 * of count products) at path, written as --write-snapshot writes it. */
static void write_snapshot(const char *path, const char *products_file, size_t count)
{
    char err[LIVE_ERROR_MAX];
    struct live_source src = {products_file, NULL, count, 0};
    struct live_gen *g = live_gen_create(&src, err);
    ck_assert_msg(g != NULL, "%s", err);
    ck_assert_int_eq(live_gen_index(g), 0);
    ck_assert_msg(live_gen_write_snapshot(g, path, err) == 0, "%s", err);
    live_gen_destroy(g);
}

/* live_gen_create() on snapshot path (with products_file, when given): NULL
 * is expected, with an error holding want. */
static void refused(const char *path, const char *products_file, const char *want)
{
    char err[LIVE_ERROR_MAX] = "";
    struct live_source src = {products_file, path, 0, 0};
    struct live_gen *g = live_gen_create(&src, err);
    if (g != NULL)
        live_gen_destroy(g);
    ck_assert_msg(g == NULL, "%s was served; expected: %s", path, want);
    ck_assert_msg(strstr(err, want) != NULL && strncmp(err, "SNAPSHOT_FILE ", 14) == 0,
                  "error \"%s\" does not say \"%s\"", err, want);
    ck_assert_ptr_null(strchr(err, '\n'));
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(*len ? *len : 1);
    ck_assert_uint_eq(fread(buf, 1, *len, f), *len);
    fclose(f);
    return buf;
}

static void spill(const char *path, const unsigned char *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* ---- round trip ---- */

/* A file catalog of awkward strings, written to a snapshot and served from
 * it: every random request (every parameter, typos, fields, highlights)
 * answered as the reference answers it over the snapshot's catalog, which
 * is the file's, product for product. */
START_TEST(round_trip_equals_reference)
{
    const char *file = tu_tmp_path("snap-catalog.jsonl");
    const char *path = tu_tmp_path("round.snap");
    struct catalog awkward;
    ck_assert_int_eq(reqgen_awkward_catalog(&awkward, FILE_PRODUCTS, 9), 0);
    write_catalog_file(&awkward, file);
    catalog_deinit(&awkward);
    write_snapshot(path, file, 0);

    char err[LIVE_ERROR_MAX];
    struct live_source from_file = {file, NULL, 0, 0};
    struct live_gen *rebuilt = live_gen_create(&from_file, err);
    ck_assert_msg(rebuilt != NULL, "%s", err);
    struct live_source from_snap = {file, path, 0, 0};
    struct live_gen *g = live_gen_create(&from_snap, err);
    ck_assert_msg(g != NULL, "%s", err);
    ck_assert(g->from_snapshot);
    ck_assert(search_ready(&g->engine)); /* no build */
    ck_assert_str_eq(g->version, rebuilt->version);
    ck_assert_uint_eq(g->cat.count, rebuilt->cat.count);
    for (size_t k = 0; k < g->cat.count; k++) {
        size_t a, b;
        char *x = render_product(&g->cat, &g->cat.items[k], &a);
        char *y = render_product(&rebuilt->cat, &rebuilt->cat.items[k], &b);
        ck_assert_msg(a == b && memcmp(x, y, a) == 0, "product %zu differs", k);
        free(x);
        free(y);
    }
    unsigned seed = 6161;
    struct reqgen_report rep;
    int ret = reqgen_compare(&g->cat, 0, reqgen_answer_search, &g->engine, reqgen_url_mixed,
                             &seed, 8000, &rep);
    ck_assert_msg(ret == 0, "request %zu from the snapshot differs: %s (total %zu vs %zu)",
                  rep.compared, rep.url, rep.got_total, rep.want_total);
    ck_assert_uint_ge(rep.matched, 2000);
    live_gen_destroy(g);
    live_gen_destroy(rebuilt);
    unlink(path);
    unlink(file);
}
END_TEST

/* The generated catalog: the snapshot holds it and its version. */
START_TEST(generated_catalog_round_trip)
{
    const char *path = tu_tmp_path("generated.snap");
    write_snapshot(path, NULL, 20000);
    char err[LIVE_ERROR_MAX];
    struct live_source src = {NULL, path, 5, 0}; /* PRODUCT_COUNT is the snapshot's business */
    struct live_gen *g = live_gen_create(&src, err);
    ck_assert_msg(g != NULL, "%s", err);
    ck_assert_uint_eq(g->cat.count, 20000);
    struct live_source gen = {NULL, NULL, 20000, 0};
    struct live_gen *fresh = live_gen_create(&gen, err);
    ck_assert_str_eq(g->version, fresh->version);
    unsigned seed = 7171;
    struct reqgen_report rep;
    ck_assert_int_eq(reqgen_compare(&g->cat, 0, reqgen_answer_search, &g->engine,
                                    reqgen_url_mixed, &seed, 2000, &rep),
                     0);
    live_gen_destroy(fresh);
    live_gen_destroy(g);
    unlink(path);
}
END_TEST

/* ---- damage ---- */

static const char *good_snapshot(void)
{
    static char path[256];
    if (path[0] == '\0') {
        snprintf(path, sizeof(path), "%s", tu_tmp_path("good.snap"));
        write_snapshot(path, NULL, 3000);
    }
    return path;
}

/* Cut at every section's start and in its middle, and inside the table. */
START_TEST(truncated_anywhere_is_refused)
{
    const char *good = good_snapshot();
    const char *cut = tu_tmp_path("cut.snap");
    struct snapfile s;
    char err[SNAPFILE_ERROR_MAX];
    ck_assert_msg(snapfile_open(&s, good, err) == 0, "%s", err);
    size_t len;
    unsigned char *bytes = slurp(good, &len);
    ck_assert_uint_gt(s.nsections, 20);
    for (uint32_t i = 0; i < s.nsections; i++) {
        const struct snapfile_entry *e = &s.table[i];
        size_t at[] = {(size_t)e->offset, (size_t)(e->offset + e->length / 2)};
        for (size_t j = 0; j < COUNT_OF(at); j++) {
            spill(cut, bytes, at[j]);
            refused(cut, NULL, "truncated");
        }
    }
    spill(cut, bytes, len - 10); /* in the table */
    refused(cut, NULL, "truncated");
    spill(cut, bytes, 30); /* in the header */
    refused(cut, NULL, "too short");
    spill(cut, bytes, 0);
    refused(cut, NULL, "empty file");
    snapfile_close(&s);
    free(bytes);
    unlink(cut);
}
END_TEST

/* One byte flipped in each section (its first, middle and last byte), in
 * the header and in the table: the checksum names where. */
START_TEST(flipped_byte_anywhere_is_refused)
{
    const char *good = good_snapshot();
    const char *bad = tu_tmp_path("flipped.snap");
    struct snapfile s;
    char err[SNAPFILE_ERROR_MAX];
    ck_assert_msg(snapfile_open(&s, good, err) == 0, "%s", err);
    size_t len;
    unsigned char *bytes = slurp(good, &len);
    unsigned checked = 0;
    for (uint32_t i = 0; i < s.nsections; i++) {
        const struct snapfile_entry *e = &s.table[i];
        if (e->length == 0)
            continue;
        size_t at[] = {(size_t)e->offset, (size_t)(e->offset + e->length / 2),
                       (size_t)(e->offset + e->length - 1)};
        char want[96];
        snprintf(want, sizeof(want), "section \"%s\" checksum mismatch", e->name);
        for (size_t j = 0; j < COUNT_OF(at); j++) {
            bytes[at[j]] ^= 0x20;
            spill(bad, bytes, len);
            bytes[at[j]] ^= 0x20;
            refused(bad, NULL, want);
            checked++;
        }
    }
    ck_assert_uint_gt(checked, 60);
    size_t table = (size_t)((const unsigned char *)s.table - s.base);
    bytes[table + 5] ^= 1;
    spill(bad, bytes, len);
    bytes[table + 5] ^= 1;
    refused(bad, NULL, "section table checksum mismatch");
    bytes[20] ^= 1; /* the file size in the header */
    spill(bad, bytes, len);
    bytes[20] ^= 1;
    refused(bad, NULL, "header checksum mismatch");
    snapfile_close(&s);
    free(bytes);
    unlink(bad);
}
END_TEST

/* Not a snapshot at all, or not a file. */
START_TEST(not_a_snapshot_is_refused)
{
    const char *path = tu_tmp_path("foreign.snap");
    size_t len;
    unsigned char *bytes = slurp(good_snapshot(), &len);
    memcpy(bytes, "SQLite f", 8);
    spill(path, bytes, len);
    refused(path, NULL, "wrong magic");
    free(bytes);
    const char *text = "{\"id\":1,\"name\":\"a\"}\n{\"id\":2,\"name\":\"b\"}\n"
                       "{\"id\":3,\"name\":\"c\",\"category\":\"x\",\"price\":1}\n";
    spill(path, (const unsigned char *)text, strlen(text));
    refused(path, NULL, "wrong magic");
    unlink(path);
    refused("/tmp", NULL, "not a regular file");
    refused("/dev/zero", NULL, "not a regular file");
    refused(tu_tmp_path("no-such.snap"), NULL, "cannot open");
    const char *fifo = tu_tmp_path("fifo.snap");
    unlink(fifo);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    refused(fifo, NULL, "not a regular file"); /* at once: no writer is waited for */
    unlink(fifo);
}
END_TEST

/* Another format (the header's number), another program version (what the
 * snapshot says of its writer), another catalog than PRODUCTS_FILE. */
START_TEST(other_version_or_catalog_is_refused)
{
    const char *good = good_snapshot();
    const char *path = tu_tmp_path("other.snap");
    size_t len;
    unsigned char *bytes = slurp(good, &len);
    uint32_t format = SNAPFILE_FORMAT + 1;
    memcpy(bytes + FORMAT_AT, &format, sizeof(format));
    uint64_t sum = XXH3_64bits(bytes, HEADER_CHECKSUM_AT);
    memcpy(bytes + HEADER_CHECKSUM_AT, &sum, sizeof(sum));
    spill(path, bytes, len);
    char want[64];
    snprintf(want, sizeof(want), "snapshot format %d, this build reads format %d",
             SNAPFILE_FORMAT + 1, SNAPFILE_FORMAT);
    refused(path, NULL, want);
    free(bytes);

    /* the same sections, the writer's name changed (checksums made anew) */
    struct snapfile s;
    struct snapfile_writer w;
    char err[SNAPFILE_ERROR_MAX];
    ck_assert_int_eq(snapfile_open(&s, good, err), 0);
    ck_assert_int_eq(snapfile_create(&w, path, err), 0);
    for (uint32_t i = 0; i < s.nsections; i++) {
        const struct snapfile_entry *e = &s.table[i];
        if (strcmp(e->name, "about") == 0) {
            char about[512];
            ck_assert_uint_le(e->length, sizeof(about));
            memcpy(about, s.base + e->offset, e->length);
            snprintf(about, 64, "product-search 0.0.1-older");
            snapfile_section(&w, e->name, about, e->length);
        } else {
            snapfile_section(&w, e->name, s.base + e->offset, e->length);
        }
    }
    ck_assert_int_eq(snapfile_finish(&w, err), 0);
    snapfile_close(&s);
    refused(path, NULL, "written by product-search 0.0.1-older");

    /* a snapshot of one file given beside another file */
    const char *file_a = tu_tmp_path("a.jsonl"), *file_b = tu_tmp_path("b.jsonl");
    struct catalog cat;
    ck_assert_int_eq(reqgen_awkward_catalog(&cat, 200, 1), 0);
    write_catalog_file(&cat, file_a);
    catalog_deinit(&cat);
    ck_assert_int_eq(reqgen_awkward_catalog(&cat, 200, 2), 0);
    write_catalog_file(&cat, file_b);
    catalog_deinit(&cat);
    write_snapshot(path, file_a, 0);
    refused(path, file_b, "written from another catalog than PRODUCTS_FILE");
    refused(good, file_a, "written from another catalog"); /* the generated one */
    char load_err[LIVE_ERROR_MAX];
    struct live_source same = {file_a, path, 0, 0};
    struct live_gen *g = live_gen_create(&same, load_err);
    ck_assert_msg(g != NULL, "%s", load_err);
    live_gen_destroy(g);
    unlink(path);
    unlink(file_a);
    unlink(file_b);
}
END_TEST

/* ---- the binary ---- */

/* A damaged snapshot stops start-up: exit status 2, one line naming
 * SNAPSHOT_FILE and the damage, and nothing served. */
START_TEST(binary_exits_2_on_a_damaged_snapshot)
{
    static char out[8192], err[8192];
    const char *good = good_snapshot();
    const char *cut = tu_tmp_path("bin-cut.snap");
    size_t len;
    unsigned char *bytes = slurp(good, &len);
    spill(cut, bytes, len / 2);
    free(bytes);
    char env[4200];
    snprintf(env, sizeof(env), "SNAPSHOT_FILE=%s", cut);
    char *envs[] = {env, "PORT=0", NULL};
    ck_assert_int_eq(tu_run(envs, NULL, out, sizeof(out), err, sizeof(err)), 2);
    ck_assert_msg(strstr(err, "product-search: SNAPSHOT_FILE ") != NULL &&
                      strstr(err, "truncated") != NULL,
                  "stderr: %s", err);
    ck_assert_ptr_null(strstr(out, "\"event\":\"start\""));
    unlink(cut);
    /* SCAN_LIMIT other than 0 beside a snapshot: a setting error */
    char *limited[] = {env, "SCAN_LIMIT=100", NULL};
    ck_assert_int_eq(tu_run(limited, NULL, out, sizeof(out), err, sizeof(err)), 2);
    ck_assert_ptr_nonnull(strstr(err, "SCAN_LIMIT"));
}
END_TEST

/* --write-snapshot then SNAPSHOT_FILE through the binary: the server is
 * ready at its start line, with the catalog's version, and answers. */
START_TEST(binary_writes_and_serves_a_snapshot)
{
    static char out[8192], err[8192];
    const char *path = tu_tmp_path("bin.snap");
    char *args[] = {"--write-snapshot", (char *)path, NULL};
    char *envs[] = {"PRODUCT_COUNT=5000", NULL};
    ck_assert_int_eq(tu_run(envs, args, out, sizeof(out), err, sizeof(err)), 0);
    ck_assert_msg(strstr(out, "\"event\":\"snapshot_written\"") != NULL, "%s%s", out, err);
    char env[4200];
    snprintf(env, sizeof(env), "SNAPSHOT_FILE=%s", path);
    char *serve[] = {env, "BIND=127.0.0.1", NULL};
    const char *log = tu_tmp_path("bin-snap.log");
    unsigned port;
    pid_t pid = tu_spawn_server(serve, NULL, log, &port);
    ck_assert_int_gt(pid, 0);
    struct tu_response r;
    memset(&r, 0, sizeof(r));
    ck_assert_int_eq(tu_request(port, "GET", "/health", &r), 0);
    ck_assert_int_eq(r.status, 200); /* ready from the first request: no index to build */
    tu_response_deinit(&r);
    memset(&r, 0, sizeof(r));
    ck_assert_int_eq(tu_request(port, "GET", "/products/search?q=alpha&limit=1", &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"total_found\":500,"));
    tu_response_deinit(&r);
    kill(pid, SIGTERM);
    ck_assert_int_eq(tu_wait_exit(pid, 5000), 0);
    unlink(path);
    unlink(log);
}
END_TEST

/* A snapshot renamed over the one served, then SIGHUP: the new catalog is
 * served, with its version. */
START_TEST(sighup_reloads_a_new_snapshot)
{
    const char *path = tu_tmp_path("served.snap");
    const char *next = tu_tmp_path("next.snap");
    write_snapshot(path, NULL, 3000);
    write_snapshot(next, NULL, 4000);
    char env[4200];
    snprintf(env, sizeof(env), "SNAPSHOT_FILE=%s", path);
    char *serve[] = {env, "BIND=127.0.0.1", NULL};
    const char *log = tu_tmp_path("reload-snap.log");
    unsigned port;
    pid_t pid = tu_spawn_server(serve, NULL, log, &port);
    ck_assert_int_gt(pid, 0);
    ck_assert_int_eq(rename(next, path), 0);
    kill(pid, SIGHUP);
    bool switched = false;
    for (int i = 0; i < 500 && !switched; i++) {
        struct tu_response r;
        memset(&r, 0, sizeof(r));
        if (tu_request(port, "GET", "/health", &r) == 0 && r.body != NULL)
            switched = strstr(r.body, "\"products\":4000") != NULL;
        tu_response_deinit(&r);
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    ck_assert_msg(switched, "the new snapshot was not served after SIGHUP");
    kill(pid, SIGTERM);
    ck_assert_int_eq(tu_wait_exit(pid, 5000), 0);
    unlink(path);
    unlink(log);
}
END_TEST

Suite *snapshot_suite(void)
{
    Suite *s = suite_create("snapshot");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, round_trip_equals_reference);
    tcase_add_test(tc, generated_catalog_round_trip);
    tcase_add_test(tc, truncated_anywhere_is_refused);
    tcase_add_test(tc, flipped_byte_anywhere_is_refused);
    tcase_add_test(tc, not_a_snapshot_is_refused);
    tcase_add_test(tc, other_version_or_catalog_is_refused);
    tcase_add_test(tc, binary_exits_2_on_a_damaged_snapshot);
    tcase_add_test(tc, binary_writes_and_serves_a_snapshot);
    tcase_add_test(tc, sighup_reloads_a_new_snapshot);
    suite_add_tcase(s, tc);
    return s;
}
