/* main: wires configuration, catalog, search engine, metrics and the HTTP server. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>

#include "base.h"
#include "catalog.h"
#include "catalog_csv.h"
#include "catalog_file.h"
#include "config.h"
#include "healthcheck.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "render.h"
#include "search.h"
#include "version.h"


enum {
    EXIT_CONFIG = 2,        /* invalid setting (configuration) */
    STOP_WAIT_MS = 10000,   /* longest wait for in-flight requests at shutdown */
};

static double ms_since(uint64_t t0)
{
    return (double)(clock_ns() - t0) / 1e6;
}

/* A field of /proc/self/status in kB (VmRSS, VmHWM), or -1. */
static long proc_status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    size_t n = strlen(field);
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            kb = strtol(line + n + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

/* The engine's builder thread is done: the index answers from now on (st
 * set), or could not be built (st NULL). */
static void index_ready(void *ctx, const struct index_stats *st)
{
    struct metrics *metrics = ctx;
    if (st == NULL) {
        log_error("index", "out of memory building the whole-catalog index; the scan keeps answering");
        return;
    }
    metrics_index_ready(metrics, (uint64_t)(st->build_s * 1e9));
    cJSON *f = cJSON_CreateObject();
    if (f != NULL) {
        cJSON_AddNumberToObject(f, "products", (double)metrics->products);
        cJSON_AddNumberToObject(f, "build_ms", (double)(long)(st->build_s * 1e5) / 100);
        cJSON_AddNumberToObject(f, "index_kb", (double)(st->bytes / 1024));
        cJSON_AddNumberToObject(f, "precomputed_sets", (double)st->heavy);
        cJSON_AddNumberToObject(f, "dictionary_words", (double)st->dict_words);
        cJSON_AddNumberToObject(f, "dictionary_kb", (double)(st->dict_bytes / 1024));
        cJSON_AddNumberToObject(f, "dictionary_ms", (double)(long)(st->dict_build_s * 1e5) / 100);
        cJSON_AddNumberToObject(f, "rss_kb", (double)proc_status_kb("VmRSS"));
    }
    log_info("index_ready", f);
}

static void log_start(const struct config *cfg, unsigned port, size_t products, double load_ms,
                      double ready_ms, bool indexing)
{
    cJSON *f = cJSON_CreateObject();
    if (f == NULL)
        return;
    cJSON_AddStringToObject(f, "version", PRODUCT_SEARCH_VERSION);
    cJSON_AddStringToObject(f, "bind", cfg->bind);
    cJSON_AddNumberToObject(f, "port", port);
    cJSON_AddNumberToObject(f, "threads", cfg->threads);
    cJSON_AddNumberToObject(f, "product_count", (double)cfg->product_count);
    cJSON_AddNumberToObject(f, "scan_limit", (double)cfg->scan_limit);
    cJSON_AddNumberToObject(f, "max_results", cfg->max_results);
    cJSON_AddNumberToObject(f, "conn_limit", cfg->conn_limit);
    cJSON_AddNumberToObject(f, "conn_timeout_s", cfg->conn_timeout_s);
    cJSON_AddNumberToObject(f, "drain_s", cfg->drain_s);
    cJSON_AddBoolToObject(f, "access_log", cfg->access_log);
    cJSON_AddStringToObject(f, "catalog", cfg->products_file[0] ? "file" : "generated");
    cJSON_AddNumberToObject(f, "products", (double)products);
    cJSON_AddNumberToObject(f, "load_ms", (double)(long)(load_ms * 100) / 100);
    cJSON_AddNumberToObject(f, "ready_ms", (double)(long)(ready_ms * 100) / 100);
    cJSON_AddNumberToObject(f, "rss_kb", (double)proc_status_kb("VmRSS"));
    cJSON_AddStringToObject(f, "index", indexing ? "building" : "off");
    log_info("start", f);
}

/* Writes the catalog as JSON Lines on stdout. Returns 0, or -1 on a write error. */
static int export_catalog(const struct catalog *cat)
{
    for (size_t k = 0; k < cat->count; k++) {
        size_t len;
        char *line = render_product(cat, &cat->items[k], &len);
        if (line == NULL)
            return -1;
        int bad = fwrite(line, 1, len, stdout) != len || fputc('\n', stdout) == EOF;
        free(line);
        if (bad)
            return -1;
    }
    return fflush(stdout) == 0 ? 0 : -1;
}

/* Waits for SIGTERM or SIGINT (blocked in every thread), then drains. */
static void wait_and_drain(struct http_server *server, const sigset_t *stop, unsigned drain_s)
{
    int sig = 0;
    while (sigwait(stop, &sig) != 0)
        ;
    http_server_drain(server);
    cJSON *f = cJSON_CreateObject();
    if (f != NULL) {
        cJSON_AddStringToObject(f, "signal", sig == SIGINT ? "SIGINT" : "SIGTERM");
        cJSON_AddNumberToObject(f, "drain_s", drain_s);
    }
    log_info("draining", f);
    /* A second signal cuts the drain short. */
    struct timespec ts = {(time_t)drain_s, 0};
    while (drain_s > 0 && sigtimedwait(stop, NULL, &ts) < 0 && errno == EINTR)
        ;
}

int main(int argc, char **argv)
{
    uint64_t t0 = clock_ns();
    signal(SIGPIPE, SIG_IGN);

    struct config cfg;
    char err[CATALOG_FILE_ERROR_MAX]; /* the longest error line of any module used here */
    _Static_assert((int)CATALOG_FILE_ERROR_MAX >= (int)CONFIG_ERROR_MAX, "err too small");
    if (config_parse(&cfg, argc, argv, err) != 0) {
        fprintf(stderr, "product-search: %s\n", err);
        return EXIT_CONFIG;
    }
    switch (cfg.action) {
    case CONFIG_HELP:
        fputs(config_usage(), stdout);
        return 0;
    case CONFIG_VERSION:
        printf("product-search %s (revision %s, libmicrohttpd %s)\n", PRODUCT_SEARCH_VERSION,
               PRODUCT_SEARCH_REVISION, MHD_get_version());
        return 0;
    case CONFIG_HEALTHCHECK:
        return healthcheck_run(&cfg);
    case CONFIG_IMPORT_CSV:
        return catalog_csv_import(&cfg, stdout, stderr);
    default:
        break;
    }

    int status = 1;
    struct catalog cat;
    struct search engine;
    struct metrics metrics;
    struct http_server server;
    catalog_init(&cat);
    memset(&engine, 0, sizeof(engine));

    if (cfg.products_file[0] != '\0') {
        if (catalog_load_file(&cat, cfg.products_file, err) != 0) {
            fprintf(stderr, "product-search: %s\n", err);
            status = EXIT_CONFIG;
            goto out;
        }
    } else if (catalog_generate(&cat, cfg.product_count) != 0) {
        log_error("catalog", "out of memory generating the catalog");
        goto out;
    }
    if (cfg.action == CONFIG_EXPORT_CATALOG) {
        status = export_catalog(&cat) == 0 ? 0 : 1;
        goto out;
    }
    double load_ms = ms_since(t0);
    /* A window covering the catalog leaves the tables and the index to the
     * builder thread, so start-up is the catalog alone; a bounded window
     * builds its (small) text now, and no index: in the bounded mode it would
     * be memory for nothing. */
    bool whole = (cfg.scan_limit == 0 || cfg.scan_limit >= cat.count) && cat.count > 0;
    if (whole)
        search_init_whole(&engine, &cat);
    else if (search_init(&engine, &cat, cfg.scan_limit) != 0) {
        log_error("catalog", "out of memory building the search index");
        goto out;
    }
    metrics_init(&metrics, cat.count, HTTP_ROUTE_NAMES, HTTP_ROUTE_COUNT);

    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL); /* inherited by the daemon's threads */

    if (http_server_start(&server, &cfg, &cat, &engine, &metrics, err) != 0) {
        log_error("listen", err);
        goto out;
    }
    bool building = false;
    if (whole) {
        building = search_start_builder(&engine, index_ready, &metrics) == 0;
        if (!building)
            log_error("index", "cannot start the index thread; the scan keeps answering");
    }
    log_start(&cfg, server.port, cat.count, load_ms, ms_since(t0), building);

    wait_and_drain(&server, &stop, cfg.drain_s);
    http_server_stop(&server, STOP_WAIT_MS);
    cJSON *f = cJSON_CreateObject();
    if (f != NULL)
        cJSON_AddNumberToObject(f, "peak_rss_kb", (double)proc_status_kb("VmHWM"));
    log_info("stopped", f);
    status = 0;
out:
    search_deinit(&engine); /* stops a build still running, at its next step */
    catalog_deinit(&cat);
    return status;
}
