/* check_compat: without any of the newer search parameters, the server's
 * answers are byte for byte those of the seed's server. tests/golden/
 * seed_answers.tsv holds the seed server's answers (status and a hash of the
 * body, search_time masked) to 6,000 requests under three settings, recorded
 * by tests/golden/record.py; each is replayed against today's binary. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"
#include "testutil.h"

static const char GOLDEN[] = "tests/golden/seed_answers.tsv";

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3u;
    }
    return h;
}

/* The body's hash with ,"search_time":"...","search_time_ns":N cut out. */
static uint64_t masked_hash(const char *body, size_t len)
{
    const char *a = strstr(body, ",\"search_time\":\"");
    const char *b = a ? strstr(a, "\"search_time_ns\":") : NULL;
    if (b == NULL)
        return fnv(body, len);
    b += strlen("\"search_time_ns\":");
    while (*b >= '0' && *b <= '9')
        b++;
    uint64_t h = 0xcbf29ce484222325u;
    for (const char *p = body; p < body + len; p++) {
        if (p == a)
            p = b;
        if (p == body + len)
            break;
        h ^= (unsigned char)*p;
        h *= 0x100000001b3u;
    }
    return h;
}

/* Replays every golden line of one setting ("PRODUCT_COUNT/SCAN_LIMIT") over
 * one keep-alive connection; returns the lines checked. */
static size_t replay(const char *setting)
{
    char count[32], scan[32];
    ck_assert_int_eq(sscanf(setting, "%31[0-9]/%31[0-9]", count, scan), 2);
    char env_count[64], env_scan[64];
    snprintf(env_count, sizeof(env_count), "PRODUCT_COUNT=%s", count);
    snprintf(env_scan, sizeof(env_scan), "SCAN_LIMIT=%s", scan);
    char *env[] = {env_count, env_scan, "THREADS=1", "PORT=0", "BIND=127.0.0.1", NULL};
    unsigned port;
    pid_t pid = tu_spawn_server(env, NULL, tu_tmp_path("check-compat.log"), &port);
    ck_assert_int_gt(pid, 0);
    ck_assert_int_eq(tu_wait_ready(port, 30000), 0); /* SCAN_LIMIT=0: indexed first */
    int fd = tu_connect(port);
    ck_assert_int_ge(fd, 0);

    FILE *f = fopen(GOLDEN, "r");
    ck_assert_msg(f != NULL, "cannot open %s (run from the repository root)", GOLDEN);
    char line[8192], req[8400];
    size_t checked = 0, slen = strlen(setting);
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, setting, slen) != 0 || line[slen] != '\t')
            continue;
        char target[8192];
        int status;
        unsigned long long want;
        ck_assert_int_eq(sscanf(line + slen + 1, "%8191s %d %llx", target, &status, &want), 3);
        int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", target);
        struct tu_response r;
        if (tu_send(fd, req, (size_t)n) != 0 || tu_read_response(fd, false, &r) != 0) {
            close(fd);
            fd = tu_connect(port); /* the server may close after an error answer */
            ck_assert_int_eq(tu_send(fd, req, (size_t)n), 0);
            ck_assert_int_eq(tu_read_response(fd, false, &r), 0);
        }
        ck_assert_msg(r.status == status, "%s %s: status %d, the seed answered %d", setting,
                      target, r.status, status);
        ck_assert_msg(masked_hash(r.body, r.body_len) == want,
                      "%s %s: the body differs from the seed's: %s", setting, target, r.body);
        if (r.closed) {
            close(fd);
            fd = tu_connect(port);
        }
        tu_response_deinit(&r);
        checked++;
    }
    fclose(f);
    close(fd);
    kill(pid, SIGTERM);
    ck_assert_int_eq(tu_wait_exit(pid, 5000), 0);
    return checked;
}

static const char *const SETTINGS[] = {"100000/100", "5000/0", "3000/1000"};

START_TEST(seed_answers_unchanged)
{
    size_t n = replay(SETTINGS[_i]);
    ck_assert_uint_ge(n, 2000);
}
END_TEST

Suite *compat_suite(void)
{
    Suite *s = suite_create("compat");
    TCase *tc = tcase_create("seed");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, seed_answers_unchanged, 0, (int)(sizeof(SETTINGS) / sizeof(SETTINGS[0])));
    suite_add_tcase(s, tc);
    return s;
}
