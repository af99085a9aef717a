/* check_process: the binary as a user runs it: exit codes, logs, health
 * check, and the SIGTERM drain. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "suites.h"
#include "testutil.h"
#include "text.h"

static char out[65536], err[65536];

START_TEST(help_and_version)
{
    char *help[] = {"--help", NULL}, *ver[] = {"--version", NULL};
    ck_assert_int_eq(tu_run(NULL, help, out, sizeof(out), err, sizeof(err)), 0);
    ck_assert_ptr_nonnull(strstr(out, "Usage: product-search"));
    ck_assert_ptr_nonnull(strstr(out, "DRAIN_S"));
    ck_assert_ptr_nonnull(strstr(out, "on, true, yes or 1 turn it on"));
    ck_assert_int_eq(tu_run(NULL, ver, out, sizeof(out), err, sizeof(err)), 0);
    ck_assert_int_eq(strncmp(out, "product-search ", 15), 0);
}
END_TEST

static const struct {
    const char *env;
    const char *flag, *value;
    const char *named;
} BAD[] = {
    {"PORT=http", NULL, NULL, "PORT"},
    {"THREADS=0", NULL, NULL, "THREADS"},
    {"PRODUCT_COUNT=20000000", NULL, NULL, "PRODUCT_COUNT"},
    {"SCAN_LIMIT=all", NULL, NULL, "SCAN_LIMIT"},
    {"MAX_RESULTS=500", NULL, NULL, "MAX_RESULTS"},
    {"CONN_LIMIT=-1", NULL, NULL, "CONN_LIMIT"},
    {"CONN_TIMEOUT_S=0", NULL, NULL, "CONN_TIMEOUT_S"},
    {"DRAIN_S=x", NULL, NULL, "DRAIN_S"},
    {"ACCESS_LOG=loud", NULL, NULL, "ACCESS_LOG"},
    {"ACCESS_LOG=Yes", NULL, NULL, "ACCESS_LOG"},
    {"BIND=example.com", NULL, NULL, "BIND"},
    {NULL, "--port", "70000", "--port"},
    {"PORT=8080", "--port", "x", "--port"}, /* the flag is read, and wins */
    {NULL, "--nonsense", NULL, "--nonsense"},
    {NULL, "--max-results", NULL, "--max-results"},
    {NULL, "--products-file", "/nonexistent/catalog.jsonl", "PRODUCTS_FILE"},
};

START_TEST(invalid_setting_exits_2_with_one_line)
{
    char *env[] = {(char *)BAD[_i].env, NULL};
    char *argv[] = {(char *)BAD[_i].flag, (char *)BAD[_i].value, NULL};
    ck_assert_int_eq(tu_run(env, argv, out, sizeof(out), err, sizeof(err)), 2);
    ck_assert_msg(strstr(err, BAD[_i].named) != NULL, "stderr: %s", err);
    char *nl = strchr(err, '\n');
    ck_assert_ptr_nonnull(nl);
    ck_assert_msg(nl[1] == '\0', "more than one line: %s", err);
    ck_assert_str_eq(out, ""); /* nothing started */
}
END_TEST

/* PORT=abc product-search --port 0: the flag wins and the variable is not
 * read, so the server starts on the flag's port. */
START_TEST(flag_wins_over_a_broken_variable)
{
    unsigned port = 0;
    char *env[] = {"PORT=abc", "BIND=127.0.0.1", "ACCESS_LOG=loud", "PRODUCT_COUNT=10", NULL};
    char *argv[] = {"--port", "0", "--access-log", "on", NULL};
    pid_t pid = tu_spawn_server(env, argv, tu_tmp_path("check-flag.log"), &port);
    ck_assert_int_gt(pid, 0);
    ck_assert_uint_gt(port, 0);
    /* 10 products fit the default window: the whole catalog is indexed first */
    ck_assert_int_eq(tu_wait_ready(port, 10000), 0);
    struct tu_response r;
    ck_assert_int_eq(tu_request(port, "GET", "/health", &r), 0);
    ck_assert_int_eq(r.status, 200);
    tu_response_deinit(&r);
    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    ck_assert_int_eq(tu_wait_exit(pid, 5000), 0);
}
END_TEST

START_TEST(start_line_health_check_and_sigterm)
{
    unsigned port = 0;
    char *env[] = {"PORT=0", "BIND=127.0.0.1", "THREADS=1", NULL};
    pid_t pid = tu_spawn_server(env, NULL, tu_tmp_path("check-start.log"), &port);
    ck_assert_int_gt(pid, 0);
    ck_assert_uint_gt(port, 0);

    FILE *f = fopen(tu_tmp_path("check-start.log"), "r");
    char line[4096];
    ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
    fclose(f);
    cJSON *start = cJSON_Parse(line);
    ck_assert_ptr_nonnull(start);
    ck_assert_str_eq(cJSON_GetObjectItem(start, "event")->valuestring, "start");
    ck_assert_str_eq(cJSON_GetObjectItem(start, "level")->valuestring, "info");
    ck_assert_int_eq(cJSON_GetObjectItem(start, "products")->valueint, 100000);
    ck_assert_int_eq(cJSON_GetObjectItem(start, "port")->valueint, (int)port);
    ck_assert_int_eq(cJSON_GetObjectItem(start, "scan_limit")->valueint, 100);
    ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(start, "load_ms")));
    ck_assert_int_gt(cJSON_GetObjectItem(start, "rss_kb")->valueint, 0);
    ck_assert(cJSON_IsString(cJSON_GetObjectItem(start, "ts")));
    cJSON_Delete(start);

    char port_env[32];
    snprintf(port_env, sizeof(port_env), "PORT=%u", port);
    char *hc_env[] = {port_env, NULL};
    char *hc[] = {"--healthcheck", NULL};
    ck_assert_int_eq(tu_run(hc_env, hc, out, sizeof(out), err, sizeof(err)), 0);

    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    ck_assert_int_eq(tu_wait_exit(pid, 5000), 0);
    /* nobody listens now: the health check fails */
    ck_assert_int_eq(tu_run(hc_env, hc, out, sizeof(out), err, sizeof(err)), 1);
}
END_TEST

static long elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

START_TEST(sigterm_drains_then_exits_0)
{
    unsigned port = 0;
    char *env[] = {"PORT=0", "BIND=127.0.0.1", "DRAIN_S=1", "THREADS=2", NULL};
    pid_t pid = tu_spawn_server(env, NULL, tu_tmp_path("check-drain.log"), &port);
    ck_assert_int_gt(pid, 0);

    /* a keep-alive client that is mid-conversation when the signal comes */
    int fd = tu_connect(port);
    struct tu_response r;
    static const char search[] = "GET /products/search?q=alpha HTTP/1.1\r\nHost: x\r\n\r\n";
    static const char health[] = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
    ck_assert_int_eq(tu_send(fd, search, sizeof(search) - 1), 0);
    ck_assert_int_eq(tu_read_response(fd, false, &r), 0);
    ck_assert_int_eq(r.status, 200);
    tu_response_deinit(&r);

    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    int saw_503 = 0;
    while (elapsed_ms(&t0) < 700) {
        ck_assert_int_eq(tu_send(fd, health, sizeof(health) - 1), 0);
        ck_assert_int_eq(tu_read_response(fd, false, &r), 0);
        if (r.status == 503) {
            saw_503 = 1;
            ck_assert_ptr_nonnull(strstr(r.body, "\"status\":\"draining\""));
        }
        tu_response_deinit(&r);
        /* searches keep being answered in full during the drain */
        ck_assert_int_eq(tu_send(fd, search, sizeof(search) - 1), 0);
        ck_assert_int_eq(tu_read_response(fd, false, &r), 0);
        ck_assert_int_eq(r.status, 200);
        ck_assert_ptr_nonnull(strstr(r.body, "\"search_time_ns\""));
        tu_response_deinit(&r);
    }
    ck_assert(saw_503);
    close(fd);
    ck_assert_int_eq(tu_wait_exit(pid, 5000), 0);
    ck_assert_int_ge(elapsed_ms(&t0), 1000); /* DRAIN_S was honoured */

    FILE *f = fopen(tu_tmp_path("check-drain.log"), "r");
    char log[8192] = "";
    ck_assert_uint_gt(fread(log, 1, sizeof(log) - 1, f), 0);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(log, "\"event\":\"draining\""));
    ck_assert_ptr_nonnull(strstr(log, "\"event\":\"stopped\""));
}
END_TEST

START_TEST(sigint_also_stops_cleanly)
{
    unsigned port = 0;
    char *env[] = {"PORT=0", "BIND=127.0.0.1", "PRODUCT_COUNT=10", NULL};
    pid_t pid = tu_spawn_server(env, NULL, tu_tmp_path("check-int.log"), &port);
    ck_assert_int_gt(pid, 0);
    ck_assert_int_eq(kill(pid, SIGINT), 0);
    ck_assert_int_eq(tu_wait_exit(pid, 5000), 0);
}
END_TEST

START_TEST(access_log_one_json_line_per_request)
{
    unsigned port = 0;
    char *env[] = {"PORT=0", "BIND=127.0.0.1", "ACCESS_LOG=on", NULL};
    pid_t pid = tu_spawn_server(env, NULL, tu_tmp_path("check-access.log"), &port);
    ck_assert_int_gt(pid, 0);
    struct tu_response r;
    ck_assert_int_eq(tu_request(port, "GET", "/products/search?q=secret-token", &r), 0);
    tu_response_deinit(&r);
    ck_assert_int_eq(tu_request(port, "GET", "/nope", &r), 0);
    tu_response_deinit(&r);
    kill(pid, SIGTERM);
    ck_assert_int_eq(tu_wait_exit(pid, 5000), 0);

    FILE *f = fopen(tu_tmp_path("check-access.log"), "r");
    char line[4096];
    int access = 0;
    while (fgets(line, sizeof(line), f)) {
        cJSON *j = cJSON_Parse(line);
        ck_assert_msg(j != NULL, "not JSON: %s", line);
        if (strcmp(cJSON_GetObjectItem(j, "event")->valuestring, "access") == 0) {
            access++;
            ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(j, "status")));
            ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(j, "duration_us")));
            ck_assert(cJSON_IsString(cJSON_GetObjectItem(j, "path")));
        }
        ck_assert_ptr_null(strstr(line, "secret-token")); /* queries stay out of logs */
        cJSON_Delete(j);
    }
    fclose(f);
    ck_assert_int_eq(access, 2);
}
END_TEST

/* Access-log lines stay valid UTF-8 JSON whatever the path holds: bytes that
 * are not UTF-8 (%FF) become U+FFFD, and the 80-byte cut never splits a
 * character. Each case: the request target and the path the log must show. */
static const struct {
    const char *target, *logged;
} LOGGED_PATHS[] = {
    {"/%FF%FE", "/\xEF\xBF\xBD\xEF\xBF\xBD"},
    {"/a%C3", "/a\xEF\xBF\xBD"},                  /* a sequence cut short by the end */
    {"/%ED%A0%80", "/\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"}, /* a UTF-16 surrogate */
    /* 79 bytes, then a 2-byte character across byte 80: it is left out whole */
    {"/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa%C3%A9b",
     "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
    /* 1 + 26 * 3 = 79 bytes of 3-byte characters fit; the 27th would cross 80 */
    {"/%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC"
     "%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC"
     "%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC"
     "%E2%82%AC%E2%82%AC%E2%82%AC",
     "/\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC"
     "\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC"
     "\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC"
     "\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC"},
    {"/caf%C3%A9", "/caf\xC3\xA9"}, /* valid UTF-8 is kept as it is */
};

START_TEST(access_log_is_valid_utf8_json)
{
    unsigned port = 0;
    char *env[] = {"PORT=0", "BIND=127.0.0.1", "ACCESS_LOG=on", "PRODUCT_COUNT=10", NULL};
    const char *log_path = tu_tmp_path("check-utf8.log");
    pid_t pid = tu_spawn_server(env, NULL, log_path, &port);
    ck_assert_int_gt(pid, 0);
    size_t cases = sizeof(LOGGED_PATHS) / sizeof(LOGGED_PATHS[0]);
    for (size_t i = 0; i < cases; i++) {
        struct tu_response r;
        ck_assert_int_eq(tu_request(port, "GET", LOGGED_PATHS[i].target, &r), 0);
        ck_assert_int_eq(r.status, 404);
        tu_response_deinit(&r);
    }
    kill(pid, SIGTERM);
    ck_assert_int_eq(tu_wait_exit(pid, 5000), 0);

    FILE *f = fopen(log_path, "r");
    ck_assert_ptr_nonnull(f);
    char line[4096];
    size_t seen = 0;
    while (fgets(line, sizeof(line), f)) {
        ck_assert_msg(text_utf8_valid(line, strlen(line)), "not UTF-8: %s", line);
        cJSON *j = cJSON_Parse(line);
        ck_assert_msg(j != NULL, "not JSON: %s", line);
        if (strcmp(cJSON_GetObjectItem(j, "event")->valuestring, "access") == 0) {
            ck_assert_uint_lt(seen, cases);
            const char *path = cJSON_GetObjectItem(j, "path")->valuestring;
            ck_assert_msg(strcmp(path, LOGGED_PATHS[seen].logged) == 0, "%s logged as %s",
                          LOGGED_PATHS[seen].target, path);
            seen++;
        }
        cJSON_Delete(j);
    }
    fclose(f);
    ck_assert_uint_eq(seen, cases);
}
END_TEST

Suite *process_suite(void)
{
    Suite *s = suite_create("process");
    TCase *tc = tcase_create("binary");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, help_and_version);
    tcase_add_loop_test(tc, invalid_setting_exits_2_with_one_line, 0,
                        (int)(sizeof(BAD) / sizeof(BAD[0])));
    tcase_add_test(tc, flag_wins_over_a_broken_variable);
    tcase_add_test(tc, start_line_health_check_and_sigterm);
    tcase_add_test(tc, sigterm_drains_then_exits_0);
    tcase_add_test(tc, sigint_also_stops_cleanly);
    tcase_add_test(tc, access_log_one_json_line_per_request);
    tcase_add_test(tc, access_log_is_valid_utf8_json);
    suite_add_tcase(s, tc);
    return s;
}
