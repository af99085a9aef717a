/* check_ui: the search page at GET /: served whole from the binary, self-contained,
 * under a policy that lets only its own inline blocks run; UI=off takes it away. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sha256.h"
#include "suites.h"
#include "testutil.h"
#include "ui.h"

enum {
    PAGE_MAX = 30 * 1024, /* the page's size limit: one small answer, no build step */
    HEADER_MAX = 1024,    /* room for the policy header */
};

/* ---- SHA-256 against FIPS 180-4's examples and lengths around a block ---- */

static void hex(const uint8_t d[SHA256_BYTES], char out[2 * SHA256_BYTES + 1])
{
    for (int i = 0; i < SHA256_BYTES; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static const struct {
    const char *text;   /* the message (repeated) */
    size_t repeat;      /* times */
    const char *digest; /* its SHA-256, hex */
} VECTORS[] = {
    {"", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    {"a", 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
    /* 55, 56 and 64 bytes: the length fits the last block, needs one more, fills one */
    {"a", 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
    {"a", 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
    {"a", 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
};

START_TEST(sha256_known_answers)
{
    size_t n = strlen(VECTORS[_i].text), len = n * VECTORS[_i].repeat;
    char *msg = malloc(len + 1);
    ck_assert_ptr_nonnull(msg);
    for (size_t k = 0; k < VECTORS[_i].repeat; k++)
        memcpy(msg + k * n, VECTORS[_i].text, n);
    uint8_t d[SHA256_BYTES];
    char got[2 * SHA256_BYTES + 1];
    sha256_digest(msg, len, d);
    hex(d, got);
    ck_assert_str_eq(got, VECTORS[_i].digest);
    free(msg);
}
END_TEST

/* ---- the page on a live daemon ---- */

static struct tu_daemon live;

static void start(void)
{
    tu_daemon_start(&live, "5", "1000");
}

static void stop(void)
{
    tu_daemon_stop(&live);
}

/* GET target; asserts 200 and the page's headers; r holds the answer. */
static void get_page(const char *target, struct tu_response *r)
{
    char v[HEADER_MAX];
    ck_assert_int_eq(tu_request(live.server.port, "GET", target, r), 0);
    ck_assert_int_eq(r->status, 200);
    ck_assert_str_eq(tu_header(r, "Content-Type", v, sizeof(v)), "text/html; charset=utf-8");
    ck_assert_str_eq(tu_header(r, "X-Content-Type-Options", v, sizeof(v)), "nosniff");
    ck_assert_ptr_nonnull(tu_header(r, "Content-Security-Policy", v, sizeof(v)));
}

/* The page is ui/index.html, byte for byte, and small; the address's query
 * (the page's own state) and the absolute form change nothing. */
START_TEST(page_is_the_file_and_small)
{
    static const char *const targets[] = {"/", "/?q=lamp&offset=20", "http://127.0.0.1/",
                                          "http://127.0.0.1"};
    FILE *f = fopen("ui/index.html", "rb");
    ck_assert_ptr_nonnull(f);
    static char want[PAGE_MAX + 1];
    size_t n = fread(want, 1, sizeof(want), f);
    fclose(f);
    ck_assert_uint_lt(n, PAGE_MAX);
    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        struct tu_response r;
        get_page(targets[i], &r);
        ck_assert_uint_eq(r.body_len, n);
        ck_assert_int_eq(memcmp(r.body, want, n), 0);
        tu_response_deinit(&r);
    }
    size_t len;
    ui_page(&len);
    ck_assert_uint_eq(len, n);
}
END_TEST

/* Every src and href of the page (quoted or not) stays on this server: a
 * path ("/openapi.json"), a fragment or data:. Nothing names another host. */
START_TEST(page_makes_no_outside_request)
{
    struct tu_response r;
    get_page("/", &r);
    ck_assert_ptr_null(strstr(r.body, "http://"));
    ck_assert_ptr_null(strstr(r.body, "https://"));
    static const char *const attrs[] = {"src=", "href=", "action="};
    unsigned seen = 0;
    for (size_t a = 0; a < sizeof(attrs) / sizeof(attrs[0]); a++) {
        for (const char *p = strstr(r.body, attrs[a]); p != NULL; p = strstr(p + 1, attrs[a])) {
            const char *v = p + strlen(attrs[a]);
            if (*v == '"' || *v == '\'')
                v++;
            bool local = (v[0] == '/' && v[1] != '/') || v[0] == '#' || strncmp(v, "data:", 5) == 0;
            ck_assert_msg(local, "outside reference: %.40s", p);
            seen++;
        }
    }
    ck_assert_uint_gt(seen, 0); /* the icon and the link to /openapi.json at least */
    tu_response_deinit(&r);
}
END_TEST

/* base64 (RFC 4648, padded), written here apart from the server's. */
static void b64(const uint8_t *d, size_t n, char *out)
{
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < n ? (uint32_t)d[i + 1] << 8 : 0) |
                     (i + 2 < n ? d[i + 2] : 0);
        out[o++] = A[v >> 18 & 63];
        out[o++] = A[v >> 12 & 63];
        out[o++] = i + 1 < n ? A[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? A[v & 63] : '=';
    }
    out[o] = '\0';
}

/* The sources of directive name in policy ("'sha256-...' 'sha256-...'"), copied into out. */
static void directive(const char *policy, const char *name, char *out, size_t cap)
{
    char key[64];
    snprintf(key, sizeof(key), "%s ", name);
    const char *p = strstr(policy, key);
    ck_assert_msg(p != NULL, "no %s in %s", name, policy);
    p += strlen(key);
    size_t n = strcspn(p, ";");
    ck_assert_uint_lt(n, cap);
    memcpy(out, p, n);
    out[n] = '\0';
}

/* The policy allows nothing by default, no inline code but the page's own
 * blocks, by hash, and requests to the page's own origin only; each inline
 * <script> and <style> block of the page, hashed here, is in it, and it
 * holds no other hash. */
START_TEST(policy_allows_exactly_the_inline_blocks)
{
    struct tu_response r;
    char policy[HEADER_MAX];
    get_page("/", &r);
    tu_header(&r, "Content-Security-Policy", policy, sizeof(policy));
    ck_assert_ptr_nonnull(strstr(policy, "default-src 'none'"));
    ck_assert_ptr_nonnull(strstr(policy, "connect-src 'self'"));
    ck_assert_ptr_nonnull(strstr(policy, "frame-ancestors 'none'"));
    ck_assert_ptr_null(strstr(policy, "unsafe"));
    ck_assert_ptr_null(strstr(policy, "*"));
    static const char *const tags[][3] = {{"script", "<script>", "</script>"},
                                          {"style", "<style>", "</style>"}};
    for (size_t t = 0; t < 2; t++) {
        char name[32], sources[512];
        snprintf(name, sizeof(name), "%s-src", tags[t][0]);
        directive(policy, name, sources, sizeof(sources));
        unsigned blocks = 0;
        for (const char *p = strstr(r.body, tags[t][1]); p != NULL;
             p = strstr(p, tags[t][1])) {
            const char *body = p + strlen(tags[t][1]), *end = strstr(body, tags[t][2]);
            ck_assert_ptr_nonnull(end);
            uint8_t d[SHA256_BYTES];
            char want[80], text[60];
            sha256_digest(body, (size_t)(end - body), d);
            b64(d, SHA256_BYTES, text);
            snprintf(want, sizeof(want), "'sha256-%s'", text);
            ck_assert_msg(strstr(sources, want) != NULL, "%s: %s is not in %s", name, want,
                          sources);
            blocks++;
            p = end;
        }
        ck_assert_uint_eq(blocks, 1); /* the page has one of each */
        unsigned hashes = 0;
        for (const char *p = strstr(sources, "'sha256-"); p; p = strstr(p + 1, "'sha256-"))
            hashes++;
        ck_assert_uint_eq(hashes, blocks);
    }
    /* no inline handler (onclick=...) or style attribute, which no hash allows */
    ck_assert_ptr_null(strstr(r.body, " onclick="));
    ck_assert_ptr_null(strstr(r.body, " onload="));
    ck_assert_ptr_null(strstr(r.body, " style="));
    tu_response_deinit(&r);
}
END_TEST

/* HEAD / is GET / without the body; another method is 405 with Allow, as on
 * every route; /metrics counts the page under route "/". */
START_TEST(head_other_methods_and_metrics)
{
    struct tu_response get, head, post, m;
    char a[HEADER_MAX], b[HEADER_MAX];
    get_page("/", &get);
    int fd = tu_connect(live.server.port);
    static const char req[] = "HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    ck_assert_int_eq(tu_send(fd, req, sizeof(req) - 1), 0);
    ck_assert_int_eq(tu_read_response(fd, true, &head), 0);
    char extra;
    ck_assert_int_eq(recv(fd, &extra, 1, 0), 0); /* nothing after the headers */
    close(fd);
    ck_assert_int_eq(head.status, 200);
    static const char *const same[] = {"Content-Type", "Content-Length",
                                       "Content-Security-Policy", "X-Content-Type-Options"};
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        ck_assert_ptr_nonnull(tu_header(&head, same[i], a, sizeof(a)));
        ck_assert_str_eq(a, tu_header(&get, same[i], b, sizeof(b)));
    }
    ck_assert_int_eq(tu_request(live.server.port, "POST", "/", &post), 0);
    ck_assert_int_eq(post.status, 405);
    ck_assert_str_eq(tu_header(&post, "Allow", a, sizeof(a)), "GET, HEAD");
    ck_assert_int_eq(tu_request(live.server.port, "GET", "/metrics", &m), 0);
    ck_assert_ptr_nonnull(strstr(m.body, "product_search_requests_total{route=\"/\",code=\"200\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(m.body, "product_search_requests_total{route=\"/\",code=\"405\"} 1\n"));
    tu_response_deinit(&get);
    tu_response_deinit(&head);
    tu_response_deinit(&post);
    tu_response_deinit(&m);
}
END_TEST

/* The policy is built from the page in the binary; it fits its buffer. */
START_TEST(policy_of_the_embedded_page)
{
    char policy[UI_POLICY_MAX];
    ck_assert_int_eq(ui_policy(policy), 0);
    ck_assert_ptr_nonnull(strstr(policy, "script-src 'sha256-"));
    ck_assert_ptr_nonnull(strstr(policy, "style-src 'sha256-"));
}
END_TEST

/* UI=off (as the Terraform passes it): / is an unknown path again, the JSON
 * 404 of any other, whatever the method; the API is untouched. */
START_TEST(ui_off_is_the_json_404)
{
    unsigned port = 0;
    char *env[] = {"PORT=0", "BIND=127.0.0.1", "THREADS=1", "PRODUCT_COUNT=1000", "UI=off", NULL};
    pid_t pid = tu_spawn_server(env, NULL, tu_tmp_path("check-ui-off.log"), &port);
    ck_assert_int_gt(pid, 0);
    ck_assert_int_eq(tu_wait_ready(port, 10000), 0);
    static const char *const methods[] = {"GET", "HEAD", "POST"};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        struct tu_response r;
        char v[HEADER_MAX];
        ck_assert_int_eq(tu_request(port, methods[i], "/", &r), 0);
        ck_assert_int_eq(r.status, 404);
        ck_assert_str_eq(tu_header(&r, "Content-Type", v, sizeof(v)), "application/json");
        ck_assert_ptr_null(tu_header(&r, "Content-Security-Policy", v, sizeof(v)));
        if (i == 0) {
            cJSON *j = tu_json(&r);
            ck_assert_ptr_nonnull(j);
            ck_assert_str_eq(cJSON_GetObjectItem(j, "error")->valuestring, "not_found");
            cJSON_Delete(j);
        }
        tu_response_deinit(&r);
    }
    struct tu_response r;
    ck_assert_int_eq(tu_request(port, "GET", "/products/search?q=alpha", &r), 0);
    ck_assert_int_eq(r.status, 200);
    tu_response_deinit(&r);
    ck_assert_int_eq(tu_request(port, "GET", "/metrics", &r), 0);
    ck_assert_ptr_null(strstr(r.body, "requests_total{route=\"/\""));
    ck_assert_ptr_nonnull(strstr(r.body, "{route=\"other\",code=\"404\"} 3\n"));
    tu_response_deinit(&r);
    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    ck_assert_int_eq(tu_wait_exit(pid, 5000), 0);
}
END_TEST

Suite *ui_suite(void)
{
    Suite *s = suite_create("ui");
    TCase *hash = tcase_create("sha256");
    tcase_add_loop_test(hash, sha256_known_answers, 0,
                        (int)(sizeof(VECTORS) / sizeof(VECTORS[0])));
    tcase_add_test(hash, policy_of_the_embedded_page);
    suite_add_tcase(s, hash);
    TCase *page = tcase_create("page");
    tcase_add_checked_fixture(page, start, stop);
    tcase_add_test(page, page_is_the_file_and_small);
    tcase_add_test(page, page_makes_no_outside_request);
    tcase_add_test(page, policy_allows_exactly_the_inline_blocks);
    tcase_add_test(page, head_other_methods_and_metrics);
    suite_add_tcase(s, page);
    TCase *off = tcase_create("off");
    tcase_set_timeout(off, 20);
    tcase_add_test(off, ui_off_is_the_json_404);
    suite_add_tcase(s, off);
    return s;
}
