/* fuzz_config: config_parse with an environment and argv built from the input.
 * The input is split at NUL bytes; a piece "@NAME=value" whose NAME is one of
 * the configuration's variables sets it in the environment, every other piece is one argv
 * entry. Checks: success leaves every setting in its range; failure leaves
 * one short printable line. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const VARS[] = {
    "PORT",       "BIND",           "THREADS", "PRODUCT_COUNT", "SCAN_LIMIT",    "MAX_RESULTS",
    "CONN_LIMIT", "CONN_TIMEOUT_S", "DRAIN_S", "ACCESS_LOG",    "PRODUCTS_FILE", "RELOAD_S",
    "SNAPSHOT_FILE", "UI",
};
enum { NVARS = sizeof(VARS) / sizeof(VARS[0]), MAX_ARGS = 64 };

static bool bounded_string(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static void check_ok(const struct config *c)
{
    unsigned char a[16];
    if (c->port > 65535 || c->threads < 1 || c->threads > 1024 || c->product_count < 1 ||
        c->product_count > 10000000 || c->scan_limit > 10000000 || c->max_results < 1 ||
        c->max_results > 100 || c->conn_limit < 1 || c->conn_timeout_s < 1 ||
        c->drain_s > 3600 || c->reload_s > 86400 || c->action > CONFIG_WRITE_SNAPSHOT)
        abort();
    if (!bounded_string(c->bind, sizeof(c->bind)) ||
        (inet_pton(AF_INET, c->bind, a) != 1 && inet_pton(AF_INET6, c->bind, a) != 1))
        abort();
    if (!bounded_string(c->products_file, sizeof(c->products_file)) ||
        !bounded_string(c->snapshot_file, sizeof(c->snapshot_file)) ||
        !bounded_string(c->write_snapshot, sizeof(c->write_snapshot)) ||
        !bounded_string(c->import_csv, sizeof(c->import_csv)))
        abort();
}

static void check_err(const char *err)
{
    size_t n = strnlen(err, CONFIG_ERROR_MAX);
    if (n == 0 || n >= CONFIG_ERROR_MAX)
        abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)err[i] < 0x20 || (unsigned char)err[i] >= 0x7f)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < NVARS; i++)
        unsetenv(VARS[i]);
    char *copy = malloc(size + 1);
    memcpy(copy, data, size);
    copy[size] = '\0';

    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = "product-search";
    for (char *p = copy; p <= copy + size && argc <= MAX_ARGS; p += strlen(p) + 1) {
        if (p[0] == '@') {
            char *eq = strchr(p + 1, '=');
            for (size_t i = 0; eq != NULL && i < NVARS; i++)
                if ((size_t)(eq - p - 1) == strlen(VARS[i]) &&
                    strncmp(p + 1, VARS[i], strlen(VARS[i])) == 0)
                    setenv(VARS[i], eq + 1, 1);
            continue;
        }
        argv[argc++] = p;
    }
    argv[argc] = NULL;

    struct config cfg;
    char err[CONFIG_ERROR_MAX];
    memset(err, 0, sizeof(err));
    if (config_parse(&cfg, argc, argv, err) == 0)
        check_ok(&cfg);
    else
        check_err(err);
    free(copy);
    return 0;
}
