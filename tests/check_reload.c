/* check_reload: catalog files and their reload (SIGHUP, RELOAD_S), the
 * readiness rules, and the switch under concurrent searches: every answer
 * comes from exactly one catalog, named by its X-Catalog-Version header. The
 * in-process test is the one to run under ASan and TSan
 * (make SANITIZER=thread test SUITE=reload). */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>

#include "http.h"
#include "live.h"
#include "reload.h"
#include "render.h"
#include "reqgen.h"
#include "suites.h"
#include "testutil.h"

static char out[65536], err[65536];

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* ---- catalog files ---- */

/* Writes cat as JSON Lines to path through a temporary name and a rename,
 * the documented way to replace a catalog file. */
static void write_catalog(const struct catalog *cat, const char *path)
{
    char tmp[256];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    ck_assert_ptr_nonnull(f);
    for (size_t k = 0; k < cat->count; k++) {
        size_t len;
        char *line = render_product(cat, &cat->items[k], &len);
        ck_assert_ptr_nonnull(line);
        ck_assert_uint_eq(fwrite(line, 1, len, f), len);
        fputc('\n', f);
        free(line);
    }
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(rename(tmp, path), 0);
}

/* Writes len bytes to path through a temporary name and a rename. */
static void write_bytes(const char *path, const char *bytes, size_t len)
{
    char tmp[256];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(bytes, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(rename(tmp, path), 0);
}

/* The whole file in a heap buffer (NUL-terminated); *len its size. */
static char *slurp_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* The version the server must give a file: the first 48 bits of the XXH3-64
 * hash of its bytes, in hex. */
static void file_version(const char *path, char *version)
{
    size_t len;
    char *bytes = slurp_file(path, &len);
    snprintf(version, LIVE_VERSION_LEN + 1, "%012llx",
             (unsigned long long)(XXH3_64bits(bytes, len) >> 16));
    free(bytes);
}

/* Two awkward catalogs whose answers differ, as files. */
struct pair {
    struct catalog a, b;          /* the catalogs */
    char a_path[128], b_path[128]; /* their files */
    char va[LIVE_VERSION_LEN + 1], vb[LIVE_VERSION_LEN + 1]; /* their versions */
};

static void pair_init(struct pair *p, size_t na, size_t nb)
{
    ck_assert_int_eq(reqgen_awkward_catalog(&p->a, na, 11), 0);
    ck_assert_int_eq(reqgen_awkward_catalog(&p->b, nb, 12), 0);
    snprintf(p->a_path, sizeof(p->a_path), "%s", tu_tmp_path("reload-a.jsonl"));
    snprintf(p->b_path, sizeof(p->b_path), "%s", tu_tmp_path("reload-b.jsonl"));
    write_catalog(&p->a, p->a_path);
    write_catalog(&p->b, p->b_path);
    file_version(p->a_path, p->va);
    file_version(p->b_path, p->vb);
    ck_assert_str_ne(p->va, p->vb);
}

static void pair_deinit(struct pair *p)
{
    unlink(p->a_path);
    unlink(p->b_path);
    catalog_deinit(&p->a);
    catalog_deinit(&p->b);
}

/* Copies file from to to (a new inode, renamed into place). */
static void copy_file(const char *from, const char *to)
{
    size_t len;
    char *bytes = slurp_file(from, &len);
    write_bytes(to, bytes, len);
    free(bytes);
}

/* ---- one server process ---- */

struct server {
    pid_t pid;          /* the process */
    unsigned port;      /* its port */
    char log[128];      /* its stdout */
    char errlog[128];   /* its stderr */
};

/* Starts the binary on file (NULL: generated) with extra settings, and
 * waits until /health answers 200. */
static void server_start(struct server *s, const char *name, const char *file, const char *e1,
                         const char *e2)
{
    char file_env[256];
    snprintf(file_env, sizeof(file_env), "PRODUCTS_FILE=%s", file ? file : "");
    snprintf(s->log, sizeof(s->log), "/tmp/ps-%ld-%s.log", (long)getpid(), name);
    snprintf(s->errlog, sizeof(s->errlog), "/tmp/ps-%ld-%s.err", (long)getpid(), name);
    char *env[] = {"PORT=0", "BIND=127.0.0.1", "THREADS=2", file_env, (char *)e1, (char *)e2, NULL};
    s->pid = tu_spawn_server_err(env, NULL, s->log, s->errlog, &s->port);
    ck_assert_msg(s->pid > 0, "the server did not start; see %s and %s", s->log, s->errlog);
    ck_assert_msg(tu_wait_ready(s->port, 60000) == 0, "the server never became ready");
}

static void server_stop(struct server *s)
{
    ck_assert_int_eq(kill(s->pid, SIGTERM), 0);
    ck_assert_int_eq(tu_wait_exit(s->pid, 20000), 0);
    unlink(s->log);
    unlink(s->errlog);
}

/* GET target; the status, the body (heap, caller frees) and the version header. */
static int get(unsigned port, const char *target, char **body, char *version)
{
    struct tu_response r;
    memset(&r, 0, sizeof(r));
    ck_assert_int_eq(tu_request(port, "GET", target, &r), 0);
    if (version != NULL && tu_header(&r, "X-Catalog-Version", version, LIVE_VERSION_LEN + 1) == NULL)
        version[0] = '\0';
    if (body != NULL)
        *body = r.body;
    else
        tu_response_deinit(&r);
    return r.status;
}

/* The version /health reports (its "catalog" field). */
static void health_version(unsigned port, char *version)
{
    char *body, header[LIVE_VERSION_LEN + 1];
    ck_assert_int_eq(get(port, "/health", &body, header), 200);
    cJSON *j = cJSON_Parse(body);
    ck_assert_ptr_nonnull(j);
    const cJSON *v = cJSON_GetObjectItem(j, "catalog");
    ck_assert(cJSON_IsString(v));
    snprintf(version, LIVE_VERSION_LEN + 1, "%s", v->valuestring);
    ck_assert_str_eq(version, header);
    cJSON_Delete(j);
    free(body);
}

/* Waits (at most timeout_ms) until /health reports version. */
static int wait_version(unsigned port, const char *version, long timeout_ms)
{
    for (long waited = 0; waited <= timeout_ms; waited += 20) {
        char v[LIVE_VERSION_LEN + 1];
        health_version(port, v);
        if (strcmp(v, version) == 0)
            return 0;
        sleep_ms(20);
    }
    return -1;
}

/* The value of a metric line "name value" on /metrics. */
static double metric(unsigned port, const char *name)
{
    char *body;
    ck_assert_int_eq(get(port, "/metrics", &body, NULL), 200);
    char key[128];
    snprintf(key, sizeof(key), "\n%s ", name);
    const char *p = strstr(body, key);
    ck_assert_msg(p != NULL, "no %s on /metrics", name);
    double v = strtod(p + strlen(key), NULL);
    free(body);
    return v;
}

/* Waits until metric reaches at least want; returns its value. */
static double wait_metric(unsigned port, const char *name, double want, long timeout_ms)
{
    double v = 0;
    for (long waited = 0; waited <= timeout_ms; waited += 20) {
        v = metric(port, name);
        if (v >= want)
            break;
        sleep_ms(20);
    }
    return v;
}

/* Lines of path holding needle. */
static int count_lines(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    char line[8192];
    int n = 0;
    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
        n += strstr(line, needle) != NULL;
    if (f != NULL)
        fclose(f);
    return n;
}

/* count_lines, once it reaches want or timeout_ms passes: the reloader
 * writes its log line just after it counts (and publishes) the reload. */
static int wait_lines(const char *path, const char *needle, int want, int timeout_ms)
{
    int n = count_lines(path, needle);
    for (int waited = 0; n < want && waited < timeout_ms; waited += 10) {
        sleep_ms(10);
        n = count_lines(path, needle);
    }
    return n;
}

/* ---- answers compared without their timing ---- */

/* body with ,"search_time":"...","search_time_ns":N cut out (in place). */
static void mask(char *body)
{
    char *a = strstr(body, ",\"search_time\":\"");
    char *b = a ? strstr(a, "\"search_time_ns\":") : NULL;
    if (b == NULL)
        return;
    b += strlen("\"search_time_ns\":");
    while (*b >= '0' && *b <= '9')
        b++;
    memmove(a, b, strlen(b) + 1);
}

/* A reqgen query string ("q=a b&sort=price") as a request target, each
 * value percent-encoded. */
static void target_of(const char *url, char *target, size_t cap)
{
    static const char HEX[] = "0123456789ABCDEF";
    size_t n = (size_t)snprintf(target, cap, "/products/search?");
    for (const unsigned char *p = (const unsigned char *)url; *p && n + 4 < cap; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("&=,-._~", *p) != NULL) {
            target[n++] = (char)*p;
        } else {
            target[n++] = '%';
            target[n++] = HEX[*p >> 4];
            target[n++] = HEX[*p & 15];
        }
    }
    target[n] = '\0';
}

/* ---- the tests: files, readiness, reload of a process ---- */

/* A 1,000-product file is searched whole by default: its last product is
 * found. The start line shows the effective SCAN_LIMIT and leaves out
 * PRODUCT_COUNT, which a file ignores; an explicit SCAN_LIMIT still wins. */
START_TEST(file_catalog_is_searched_whole_by_default)
{
    struct catalog cat;
    ck_assert_int_eq(catalog_generate(&cat, 1000), 0);
    char path[128];
    snprintf(path, sizeof(path), "%s", tu_tmp_path("whole.jsonl"));
    write_catalog(&cat, path);
    catalog_deinit(&cat);
    struct server s;
    server_start(&s, "whole", path, "PRODUCT_COUNT=5", NULL);
    char *body;
    ck_assert_int_eq(get(s.port, "/products/search?q=Product%20Kappa%201000", &body, NULL), 200);
    ck_assert_msg(strstr(body, "\"total_found\":1,\"checked\":1000") != NULL, "%s", body);
    free(body);
    FILE *f = fopen(s.log, "r");
    char line[4096];
    cJSON *start = NULL;
    while (start == NULL && fgets(line, sizeof(line), f) != NULL) {
        if (strstr(line, "\"event\":\"start\"") != NULL) /* index_ready may come first */
            start = cJSON_Parse(line);
    }
    fclose(f);
    ck_assert_ptr_nonnull(start);
    ck_assert_int_eq(cJSON_GetObjectItem(start, "scan_limit")->valueint, 0);
    ck_assert_ptr_null(cJSON_GetObjectItem(start, "product_count"));
    ck_assert_int_eq(cJSON_GetObjectItem(start, "reload_s")->valueint, 0);
    ck_assert_int_eq(cJSON_GetObjectItem(start, "products")->valueint, 1000);
    char version[LIVE_VERSION_LEN + 1];
    file_version(path, version);
    ck_assert_str_eq(cJSON_GetObjectItem(start, "catalog_version")->valuestring, version);
    cJSON_Delete(start);
    server_stop(&s);

    server_start(&s, "window", path, "SCAN_LIMIT=100", NULL);
    ck_assert_int_eq(get(s.port, "/products/search?q=Product%20Kappa%201000", &body, NULL), 200);
    ck_assert_msg(strstr(body, "\"total_found\":0,\"checked\":100") != NULL, "%s", body);
    free(body);
    server_stop(&s);
    unlink(path);
}
END_TEST

/* Whatever is not a regular file stops start-up with exit 2 and one line,
 * at once (a FIFO used to hang it, /dev/zero to read for ever). */
START_TEST(products_file_not_regular_exits_2)
{
    const char *fifo = tu_tmp_path("start.fifo");
    unlink(fifo);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    const char *paths[] = {fifo, "/dev/zero", "/tmp"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        char *argv[] = {"--products-file", (char *)paths[i], NULL};
        ck_assert_int_eq(tu_run(NULL, argv, out, sizeof(out), err, sizeof(err)), 2);
        ck_assert_msg(strstr(err, "expected a JSON or JSON Lines file") != NULL, "%s", err);
        ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1, "not one line: %s", err);
    }
    unlink(fifo);
}
END_TEST

/* In whole-catalog mode /health says starting (503), the health check
 * fails and searches get 503 with Retry-After until the index is
 * published; then 200 with the seed's exact health body. */
START_TEST(whole_catalog_is_ready_once_indexed)
{
    unsigned port = 0;
    char *env[] = {"PORT=0", "BIND=127.0.0.1", "THREADS=2", "SCAN_LIMIT=0",
                   "PRODUCT_COUNT=300000", NULL};
    pid_t pid = tu_spawn_server(env, NULL, tu_tmp_path("ready.log"), &port);
    ck_assert_int_gt(pid, 0);
    char port_env[32];
    snprintf(port_env, sizeof(port_env), "PORT=%u", port);
    char *hc_env[] = {port_env, NULL}, *hc[] = {"--healthcheck", NULL};
    /* 300,000 products take hundreds of ms to index; this is the first ms */
    int hc_starting = tu_run(hc_env, hc, out, sizeof(out), err, sizeof(err));
    char *body;
    int health = get(port, "/health", &body, NULL);
    ck_assert_msg(health == 503 || health == 200, "health %d", health);
    if (health == 503)
        ck_assert_str_eq(body, "{\"status\":\"starting\"}");
    free(body);
    int seen_503 = hc_starting == 1 || health == 503;
    for (int i = 0; i < 1000; i++) {
        struct tu_response r;
        ck_assert_int_eq(tu_request(port, "GET", "/products/search?q=product&limit=1", &r), 0);
        int status = r.status;
        if (status == 503) {
            char v[16];
            ck_assert_ptr_nonnull(strstr(r.body, "\"error\":\"starting\""));
            ck_assert_ptr_nonnull(tu_header(&r, "Retry-After", v, sizeof(v)));
            seen_503 = 1;
        } else {
            ck_assert_int_eq(status, 200);
            ck_assert_ptr_nonnull(strstr(r.body, "\"total_found\":300000"));
        }
        tu_response_deinit(&r);
        if (status == 200)
            break;
        sleep_ms(20);
    }
    ck_assert_msg(seen_503, "never saw the starting state (the index was built too fast?)");
    ck_assert_int_eq(tu_wait_ready(port, 60000), 0);
    ck_assert_int_eq(get(port, "/health", &body, NULL), 200);
    ck_assert_str_eq(body, "{\"status\":\"ok\",\"products\":300000}");
    free(body);
    ck_assert_int_eq(tu_run(hc_env, hc, out, sizeof(out), err, sizeof(err)), 0);
    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    ck_assert_int_eq(tu_wait_exit(pid, 10000), 0);
}
END_TEST

/* SIGHUP reloads a file renamed over the catalog; the answers are then
 * those of a fresh server started on the new file, for random requests
 * mixing every parameter (reqgen), and carry the new version. */
START_TEST(sighup_reload_answers_as_a_fresh_server)
{
    struct pair p;
    pair_init(&p, 3000, 4000);
    char served[128];
    snprintf(served, sizeof(served), "%s", tu_tmp_path("served.jsonl"));
    copy_file(p.a_path, served);
    struct server s, fresh;
    server_start(&s, "reloaded", served, NULL, NULL);
    char v[LIVE_VERSION_LEN + 1];
    health_version(s.port, v);
    ck_assert_str_eq(v, p.va);
    copy_file(p.b_path, served);
    ck_assert_int_eq(kill(s.pid, SIGHUP), 0);
    ck_assert_msg(wait_version(s.port, p.vb, 30000) == 0, "the reload never showed");
    ck_assert_int_eq((int)metric(s.port, "product_search_reloads_total"), 1);
    ck_assert_int_eq((int)metric(s.port, "product_search_products_loaded"), 4000);
    ck_assert_int_eq(wait_lines(s.log, "\"event\":\"reload\"", 1, 10000), 1);

    server_start(&fresh, "fresh", p.b_path, NULL, NULL);
    unsigned seed = 99;
    int compared = 0;
    while (compared < 400) {
        char url[REQGEN_URL_MAX], target[4 * REQGEN_URL_MAX];
        reqgen_url(url, &p.b, &seed);
        target_of(url, target, sizeof(target));
        char *a, *b, va[LIVE_VERSION_LEN + 1], vb[LIVE_VERSION_LEN + 1];
        int sa = get(s.port, target, &a, va), sb = get(fresh.port, target, &b, vb);
        ck_assert_int_eq(sa, sb);
        if (sa == 200) {
            ck_assert_str_eq(va, p.vb);
            ck_assert_str_eq(vb, p.vb);
            mask(a);
            mask(b);
            compared++;
        }
        ck_assert_msg(strcmp(a, b) == 0, "%s\nreloaded: %s\nfresh:    %s", target, a, b);
        free(a);
        free(b);
    }
    server_stop(&fresh);
    server_stop(&s);
    unlink(served);
    pair_deinit(&p);
}
END_TEST

/* RELOAD_S: a file renamed over the catalog is picked up by the next check,
 * without a signal; a file that then disappears is reported once (one
 * error line, one failure counted), however many checks see it gone, and
 * the catalog keeps serving; its return is picked up. */
START_TEST(reload_s_follows_the_file)
{
    struct pair p;
    pair_init(&p, 500, 700);
    char served[128];
    snprintf(served, sizeof(served), "%s", tu_tmp_path("polled.jsonl"));
    copy_file(p.a_path, served);
    struct server s;
    server_start(&s, "polled", served, "RELOAD_S=1", NULL);
    copy_file(p.b_path, served);
    ck_assert_msg(wait_version(s.port, p.vb, 20000) == 0, "the change was not picked up");
    ck_assert_int_eq(unlink(served), 0);
    ck_assert_int_eq((int)wait_metric(s.port, "product_search_reload_failures_total", 1, 20000), 1);
    sleep_ms(3000); /* three more checks see the file gone */
    ck_assert_int_eq((int)metric(s.port, "product_search_reload_failures_total"), 1);
    ck_assert_int_eq(count_lines(s.errlog, "\"event\":\"reload\""), 1);
    ck_assert_int_eq(count_lines(s.errlog, "No such file or directory; still serving catalog"), 1);
    char v[LIVE_VERSION_LEN + 1];
    health_version(s.port, v);
    ck_assert_str_eq(v, p.vb);
    ck_assert_int_eq(get(s.port, "/products/search?q=a", NULL, v), 200);
    ck_assert_str_eq(v, p.vb);
    copy_file(p.a_path, served);
    ck_assert_msg(wait_version(s.port, p.va, 20000) == 0, "the file's return was not picked up");
    ck_assert_int_eq((int)metric(s.port, "product_search_reloads_total"), 2);
    server_stop(&s);
    unlink(served);
    pair_deinit(&p);
}
END_TEST

/* Valid JSON that breaks a rule, and what is not a catalog: each is
 * refused whole, with the record when one is at fault; the catalog served
 * stays, one error line is logged and the failure counted. */
static const struct {
    const char *content;
    const char *message;
} BAD_RELOADS[] = {
    {"{\"id\":1,\"name\":\"n\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":1}\n"
     "{\"id\":1,\"name\":\"m\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":2}\n",
     "record 2 (line 2): duplicate id 1, already used by record 1 (line 1)"},
    {"{\"id\":1,\"name\":\"n\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":1}\n"
     "{\"id\":2,\"name\":\"n\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":-3}\n",
     "record 2 (line 2): field \\\"price\\\" -3 must be a number from 0 to"},
    {"[{\"id\":1,\"name\":\"n\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":1},"
     "{\"id\":2,\"name\":\"n\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":0.001}]",
     "record 2: field \\\"price\\\" 0.001 has more than 2 fraction digits"},
    {NULL, "record 1 (line 1): field \\\"name\\\" is longer than 4096 bytes"},
    {"{\"id\":1,\"name\":\"n\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":1}\n"
     "{\"id\":2,\"name\":\"n\",\"categ",
     "record 2 (line 2): malformed JSON"},
    {"", "empty catalog (no records)"},
};

START_TEST(bad_file_leaves_the_old_catalog_serving)
{
    struct pair p;
    pair_init(&p, 300, 300);
    char served[128];
    snprintf(served, sizeof(served), "%s", tu_tmp_path("bad.jsonl"));
    copy_file(p.a_path, served);
    struct server s;
    server_start(&s, "bad", served, NULL, NULL);
    char *body_before;
    ck_assert_int_eq(get(s.port, "/products/search?q=a&limit=100", &body_before, NULL), 200);
    mask(body_before);
    if (BAD_RELOADS[_i].content != NULL) {
        write_bytes(served, BAD_RELOADS[_i].content, strlen(BAD_RELOADS[_i].content));
    } else {
        char *long_name = malloc(6000);
        int n = snprintf(long_name, 6000, "{\"id\":1,\"name\":\"");
        memset(long_name + n, 'x', 4097);
        snprintf(long_name + n + 4097, 6000 - (size_t)n - 4097,
                 "\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":1}\n");
        write_bytes(served, long_name, strlen(long_name));
        free(long_name);
    }
    ck_assert_int_eq(kill(s.pid, SIGHUP), 0);
    ck_assert_int_eq((int)wait_metric(s.port, "product_search_reload_failures_total", 1, 20000), 1);
    ck_assert_int_eq((int)metric(s.port, "product_search_reloads_total"), 0);
    ck_assert_int_eq(wait_lines(s.errlog, "\"event\":\"reload\"", 1, 10000), 1);
    ck_assert_msg(count_lines(s.errlog, BAD_RELOADS[_i].message) == 1, "want %s in %s",
                  BAD_RELOADS[_i].message, s.errlog);
    char v[LIVE_VERSION_LEN + 1], *body_after;
    health_version(s.port, v);
    ck_assert_str_eq(v, p.va);
    ck_assert_int_eq(get(s.port, "/products/search?q=a&limit=100", &body_after, v), 200);
    ck_assert_str_eq(v, p.va);
    mask(body_after);
    ck_assert_str_eq(body_after, body_before);
    free(body_before);
    free(body_after);
    server_stop(&s);
    unlink(served);
    pair_deinit(&p);
}
END_TEST

/* A file written in place instead of renamed: caught half-way (cut inside
 * a record) it is refused and the old catalog stays; once whole, the next
 * reload takes it. With RELOAD_S, a change in place waits for a check that
 * finds it unchanged, so a writer that finishes within RELOAD_S is never
 * read half-way (one reload, no failure). */
START_TEST(half_written_file)
{
    struct pair p;
    pair_init(&p, 400, 600);
    char served[128];
    snprintf(served, sizeof(served), "%s", tu_tmp_path("half.jsonl"));
    copy_file(p.a_path, served);
    size_t len;
    char *b = slurp_file(p.b_path, &len);
    size_t half = len / 2;
    while (b[half - 1] == '\n') /* cut inside a record */
        half--;

    struct server s;
    server_start(&s, "half", served, NULL, NULL);
    FILE *f = fopen(served, "r+"); /* same inode: in place */
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(ftruncate(fileno(f), 0), 0);
    ck_assert_uint_eq(fwrite(b, 1, half, f), half);
    fflush(f);
    ck_assert_int_eq(kill(s.pid, SIGHUP), 0);
    ck_assert_int_eq((int)wait_metric(s.port, "product_search_reload_failures_total", 1, 20000), 1);
    char v[LIVE_VERSION_LEN + 1];
    health_version(s.port, v);
    ck_assert_str_eq(v, p.va);
    ck_assert_uint_eq(fwrite(b + half, 1, len - half, f), len - half);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(kill(s.pid, SIGHUP), 0);
    ck_assert_msg(wait_version(s.port, p.vb, 20000) == 0, "the whole file was not taken");
    server_stop(&s);

    copy_file(p.a_path, served);
    server_start(&s, "settle", served, "RELOAD_S=1", NULL);
    f = fopen(served, "r+");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(ftruncate(fileno(f), 0), 0);
    ck_assert_uint_eq(fwrite(b, 1, half, f), half);
    fflush(f);
    sleep_ms(300);
    ck_assert_uint_eq(fwrite(b + half, 1, len - half, f), len - half);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_msg(wait_version(s.port, p.vb, 20000) == 0, "the file was not taken");
    ck_assert_int_eq((int)metric(s.port, "product_search_reload_failures_total"), 0);
    ck_assert_int_eq((int)metric(s.port, "product_search_reloads_total"), 1);
    server_stop(&s);
    free(b);
    unlink(served);
    pair_deinit(&p);
}
END_TEST

/* The generated catalog has nothing to reload: SIGHUP logs so and changes
 * nothing; its health answer stays the seed's. */
START_TEST(generated_catalog_ignores_sighup)
{
    struct server s;
    server_start(&s, "generated", NULL, "PRODUCT_COUNT=1000", NULL);
    ck_assert_int_eq(kill(s.pid, SIGHUP), 0);
    for (int i = 0; i < 200 && count_lines(s.log, "nothing to reload") == 0; i++)
        sleep_ms(20);
    ck_assert_int_eq(count_lines(s.log, "nothing to reload"), 1);
    char *body, v[LIVE_VERSION_LEN + 1];
    ck_assert_int_eq(get(s.port, "/health", &body, v), 200);
    ck_assert_str_eq(body, "{\"status\":\"ok\",\"products\":1000}");
    ck_assert_uint_eq(strlen(v), LIVE_VERSION_LEN);
    free(body);
    ck_assert_int_eq((int)metric(s.port, "product_search_reloads_total"), 0);
    server_stop(&s);
}
END_TEST

/* ---- in process: reloads under concurrent searches ---- */

enum {
    MIX_URLS = 64,   /* distinct requests the clients cycle through */
    CLIENTS = 4,     /* client threads, one keep-alive connection each */
    SWITCHES = 12,   /* reloads, alternating between the two files */
};

/* What every client checks an answer against. */
struct mix {
    char targets[MIX_URLS][4 * REQGEN_URL_MAX]; /* the requests */
    char *want[2][MIX_URLS];                    /* masked answers of catalog a, b */
    char version[2][LIVE_VERSION_LEN + 1];      /* versions of a and b */
};

struct client {
    const struct mix *mix; /* requests and answers */
    unsigned port;         /* the server */
    atomic_bool *stop;     /* set when the reloads are over */
    long answers[2];       /* answers from a and from b */
    long wrong;            /* answers equal to neither catalog's */
    char failure[512];     /* the first wrong answer */
};

static void *client_run(void *arg)
{
    struct client *c = arg;
    int fd = tu_connect(c->port);
    for (unsigned i = 0; fd >= 0 && !atomic_load(c->stop); i++) {
        const char *target = c->mix->targets[i % MIX_URLS];
        char req[4 * REQGEN_URL_MAX + 64], v[LIVE_VERSION_LEN + 1];
        int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", target);
        struct tu_response r;
        if (tu_send(fd, req, (size_t)n) != 0 || tu_read_response(fd, false, &r) != 0) {
            snprintf(c->failure, sizeof(c->failure), "%s: no answer", target);
            c->wrong++;
            break;
        }
        int k = -1;
        if (tu_header(&r, "X-Catalog-Version", v, sizeof(v)) != NULL)
            k = strcmp(v, c->mix->version[0]) == 0 ? 0 : strcmp(v, c->mix->version[1]) == 0 ? 1 : -1;
        mask(r.body);
        if (r.status == 200 && k >= 0 && strcmp(r.body, c->mix->want[k][i % MIX_URLS]) == 0) {
            c->answers[k]++;
        } else {
            if (c->wrong++ == 0)
                snprintf(c->failure, sizeof(c->failure), "%s: status %d, version %s: %.300s",
                         target, r.status, k >= 0 ? v : "?", r.body);
        }
        tu_response_deinit(&r);
        /* A pause leaves the CPU some idle time: the reloader runs at
         * SCHED_IDLE and would wait for the clients to stop otherwise. */
        sleep_ms(1);
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

/* A server of this process on file, whole-catalog mode, indexed at once. */
struct inproc {
    struct config cfg;         /* settings */
    struct live served;        /* the catalog served */
    struct metrics metrics;    /* counters */
    struct http_server server; /* the server */
    struct reload reloader;    /* its reloader */
};

static void inproc_start(struct inproc *d, const char *file)
{
    char e[LIVE_ERROR_MAX];
    char *argv[] = {"test", "--port", "0", "--bind", "127.0.0.1", "--threads", "2",
                    "--products-file", (char *)file, NULL};
    ck_assert_int_eq(config_parse(&d->cfg, 9, argv, e), 0);
    ck_assert_uint_eq(d->cfg.scan_limit, 0);
    struct live_source src = {d->cfg.products_file, NULL, d->cfg.product_count,
                              d->cfg.scan_limit};
    struct live_gen *g = live_gen_create(&src, e);
    ck_assert_msg(g != NULL, "%s", e);
    ck_assert_int_eq(live_gen_index(g), 0);
    live_init(&d->served, g);
    metrics_init(&d->metrics, g->cat.count, HTTP_ROUTE_NAMES, HTTP_ROUTE_COUNT);
    ck_assert_int_eq(http_server_start(&d->server, &d->cfg, &d->served, &d->metrics, e), 0);
    reload_init(&d->reloader, &d->served, &d->metrics, &src, 0, &g->file);
}

static void inproc_stop(struct inproc *d)
{
    reload_stop(&d->reloader);
    http_server_stop(&d->server, 5000);
    live_deinit(&d->served);
}

/* Waits until the reloader has switched n times: up to two minutes (under
 * ThreadSanitizer one reload of a few thousand products takes seconds). */
static void wait_reloads(struct inproc *d, uint64_t n)
{
    for (int i = 0; i < 24000 && atomic_load(&d->metrics.reloads) < n; i++)
        sleep_ms(5);
    ck_assert_uint_ge(atomic_load(&d->metrics.reloads), n);
}

START_TEST(reloads_under_concurrent_searches_never_mix_catalogs)
{
    struct pair p;
    pair_init(&p, 2000, 2500);
    char served[128];
    snprintf(served, sizeof(served), "%s", tu_tmp_path("inproc.jsonl"));
    copy_file(p.a_path, served);
    static struct inproc d;
    inproc_start(&d, served);
    ck_assert_int_eq(reload_start(&d.reloader), 0);

    /* The requests, and each catalog's answers to them, taken while that
     * catalog alone is served. */
    static struct mix mix;
    unsigned seed = 5;
    for (int i = 0; i < MIX_URLS; i++) {
        char url[REQGEN_URL_MAX];
        struct request req;
        do
            reqgen_url(url, i % 2 ? &p.b : &p.a, &seed);
        while (reqgen_parse(url, &req) != 0);
        target_of(url, mix.targets[i], sizeof(mix.targets[i]));
    }
    snprintf(mix.version[0], sizeof(mix.version[0]), "%s", p.va);
    snprintf(mix.version[1], sizeof(mix.version[1]), "%s", p.vb);
    for (int k = 0; k < 2; k++) {
        if (k == 1) {
            copy_file(p.b_path, served);
            reload_request(&d.reloader);
            wait_reloads(&d, 1);
        }
        for (int i = 0; i < MIX_URLS; i++) {
            char v[LIVE_VERSION_LEN + 1];
            ck_assert_int_eq(get(d.server.port, mix.targets[i], &mix.want[k][i], v), 200);
            ck_assert_str_eq(v, mix.version[k]);
            mask(mix.want[k][i]);
        }
    }
    ck_assert_int_ne(memcmp(mix.want[0], mix.want[1], sizeof(mix.want[0])), 0);

    atomic_bool stop = false;
    static struct client clients[CLIENTS];
    pthread_t th[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        clients[i] = (struct client){&mix, d.server.port, &stop, {0, 0}, 0, ""};
        ck_assert_int_eq(pthread_create(&th[i], NULL, client_run, &clients[i]), 0);
    }
    for (int n = 0; n < SWITCHES; n++) {
        copy_file(n % 2 ? p.b_path : p.a_path, served);
        reload_request(&d.reloader);
        wait_reloads(&d, 2 + (uint64_t)n);
        sleep_ms(30); /* answers from the new catalog for a while */
    }
    atomic_store(&stop, true);
    long answers[2] = {0, 0}, wrong = 0;
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(th[i], NULL);
        answers[0] += clients[i].answers[0];
        answers[1] += clients[i].answers[1];
        wrong += clients[i].wrong;
        ck_assert_msg(clients[i].wrong == 0, "client %d: %ld wrong answers; first: %s", i,
                      clients[i].wrong, clients[i].failure);
    }
    ck_assert_int_eq(wrong, 0);
    ck_assert_int_gt(answers[0], 0);
    ck_assert_int_gt(answers[1], 0);
    ck_assert_uint_eq(atomic_load(&d.metrics.reload_failures), 0);
    fprintf(stderr, "reload: %d switches under %d clients: %ld answers from a, %ld from b, "
                    "0 mixed\n", SWITCHES + 1, CLIENTS, answers[0], answers[1]);
    inproc_stop(&d);
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < MIX_URLS; i++)
            free(mix.want[k][i]);
    unlink(served);
    pair_deinit(&p);
}
END_TEST

/* Requests made while a reload runs are coalesced into one more reload,
 * not queued: a burst of 200 requests makes one or two reloads (of a
 * 20,000-product file, so that the burst meets a reload running). */
START_TEST(reload_requests_are_coalesced)
{
    struct catalog big;
    ck_assert_int_eq(catalog_generate(&big, 20000), 0);
    char served[128];
    snprintf(served, sizeof(served), "%s", tu_tmp_path("burst.jsonl"));
    write_catalog(&big, served);
    static struct inproc d;
    inproc_start(&d, served);
    ck_assert_int_eq(reload_start(&d.reloader), 0);
    for (int i = 0; i < 200; i++)
        reload_request(&d.reloader);
    wait_reloads(&d, 1);
    sleep_ms(1500); /* room for any queued reload to run */
    uint64_t n = atomic_load(&d.metrics.reloads);
    ck_assert_msg(n >= 1 && n <= 2, "%llu reloads for 200 requests", (unsigned long long)n);
    inproc_stop(&d);
    unlink(served);
    catalog_deinit(&big);
}
END_TEST

/* reload_run() switches in a catalog equal to the file: the engine of the
 * new generation answers as the reference does on random requests. */
START_TEST(reloaded_engine_equals_the_reference)
{
    struct pair p;
    pair_init(&p, 300, 3000);
    char served[128];
    snprintf(served, sizeof(served), "%s", tu_tmp_path("direct.jsonl"));
    copy_file(p.a_path, served);
    static struct inproc d;
    inproc_start(&d, served);
    copy_file(p.b_path, served);
    ck_assert_int_eq(reload_run(&d.reloader), 0);
    struct live_gen *g = live_acquire(&d.served);
    ck_assert_str_eq(g->version, p.vb);
    ck_assert_uint_eq(g->cat.count, p.b.count);
    unsigned seed = 3;
    struct reqgen_report rep;
    int ret = reqgen_compare(&g->cat, 0, reqgen_answer_search, &g->engine, reqgen_url, &seed,
                             3000, &rep);
    live_release(g);
    ck_assert_msg(ret == 0, "request differs: %s", rep.url);
    inproc_stop(&d);
    unlink(served);
    pair_deinit(&p);
}
END_TEST

Suite *reload_suite(void)
{
    Suite *s = suite_create("reload");
    TCase *files = tcase_create("files and readiness");
    tcase_set_timeout(files, 120);
    tcase_add_test(files, file_catalog_is_searched_whole_by_default);
    tcase_add_test(files, products_file_not_regular_exits_2);
    tcase_add_test(files, whole_catalog_is_ready_once_indexed);
    suite_add_tcase(s, files);
    TCase *process = tcase_create("reload of a process");
    tcase_set_timeout(process, 120);
    tcase_add_test(process, sighup_reload_answers_as_a_fresh_server);
    tcase_add_test(process, reload_s_follows_the_file);
    tcase_add_loop_test(process, bad_file_leaves_the_old_catalog_serving, 0,
                        (int)(sizeof(BAD_RELOADS) / sizeof(BAD_RELOADS[0])));
    tcase_add_test(process, half_written_file);
    tcase_add_test(process, generated_catalog_ignores_sighup);
    suite_add_tcase(s, process);
    TCase *inproc = tcase_create("switch under load");
    tcase_set_timeout(inproc, 300);
    tcase_add_test(inproc, reloads_under_concurrent_searches_never_mix_catalogs);
    tcase_add_test(inproc, reload_requests_are_coalesced);
    tcase_add_test(inproc, reloaded_engine_equals_the_reference);
    suite_add_tcase(s, inproc);
    return s;
}
