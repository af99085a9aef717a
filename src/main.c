/* main: wires configuration, catalog, search engine, reloader, metrics and the HTTP server. */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>

#include "base.h"
#include "catalog.h"
#include "catalog_csv.h"
#include "config.h"
#include "healthcheck.h"
#include "http.h"
#include "live.h"
#include "log.h"
#include "metrics.h"
#include "reload.h"
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

/* The first catalog's index builder is done: the index answers from now on
 * (st set; /health turns 200), or could not be built (st NULL: /health
 * stays 503 starting and searches 503, so that the load balancer replaces
 * the task rather than route to one that cannot answer in time). */
static void index_ready(void *ctx, const struct index_stats *st)
{
    struct metrics *metrics = ctx;
    if (st == NULL) {
        log_error("index", "out of memory building the whole-catalog index; searches are refused "
                           "(503) until a reload succeeds");
        return;
    }
    metrics_index_ready(metrics, (uint64_t)(st->build_s * 1e9));
    cJSON *f = cJSON_CreateObject();
    if (f != NULL) {
        cJSON_AddNumberToObject(f, "products", (double)atomic_load(&metrics->products));
        cJSON_AddNumberToObject(f, "build_ms", (double)(long)(st->build_s * 1e5) / 100);
        cJSON_AddNumberToObject(f, "index_kb", (double)(st->bytes / 1024));
        cJSON_AddNumberToObject(f, "precomputed_sets", (double)st->heavy);
        cJSON_AddNumberToObject(f, "dictionary_words", (double)st->dict_words);
        cJSON_AddNumberToObject(f, "dictionary_kb", (double)(st->dict_bytes / 1024));
        cJSON_AddNumberToObject(f, "dictionary_ms", (double)(long)(st->dict_build_s * 1e5) / 100);
        cJSON_AddNumberToObject(f, "rss_kb", (double)log_proc_kb("VmRSS"));
    }
    log_info("index_ready", f);
}

/* The first catalog came from a snapshot, its index with it: ready at once. */
static void snapshot_ready(struct metrics *metrics, const struct live_gen *g, double open_ms)
{
    struct index_stats st;
    index_stats(atomic_load(&g->engine.index), &st);
    metrics_index_ready(metrics, (uint64_t)(open_ms * 1e6));
    cJSON *f = cJSON_CreateObject();
    if (f != NULL) {
        cJSON_AddStringToObject(f, "source", "snapshot");
        cJSON_AddNumberToObject(f, "products", (double)g->cat.count);
        cJSON_AddNumberToObject(f, "open_ms", (double)(long)(open_ms * 100) / 100);
        cJSON_AddNumberToObject(f, "snapshot_kb", (double)(g->snap.len / 1024));
        cJSON_AddNumberToObject(f, "index_kb", (double)(st.bytes / 1024));
        cJSON_AddNumberToObject(f, "rss_kb", (double)log_proc_kb("VmRSS"));
    }
    log_info("index_ready", f);
}

/* --write-snapshot: g's index built here, then g written to path. Returns
 * the exit status. */
static int write_snapshot(struct live_gen *g, const char *path, uint64_t t0)
{
    char err[LIVE_ERROR_MAX];
    if (live_gen_index(g) != 0) {
        log_error("snapshot", "out of memory building the whole-catalog index");
        return 1;
    }
    double build_ms = ms_since(t0);
    if (live_gen_write_snapshot(g, path, err) != 0) {
        fprintf(stderr, "product-search: %s\n", err);
        return 1;
    }
    struct stat st;
    cJSON *f = cJSON_CreateObject();
    if (f != NULL) {
        cJSON_AddStringToObject(f, "file", path);
        cJSON_AddStringToObject(f, "catalog_version", g->version);
        cJSON_AddNumberToObject(f, "products", (double)g->cat.count);
        cJSON_AddNumberToObject(f, "bytes", stat(path, &st) == 0 ? (double)st.st_size : -1);
        cJSON_AddNumberToObject(f, "build_ms", (double)(long)(build_ms * 100) / 100);
        cJSON_AddNumberToObject(f, "write_ms", (double)(long)((ms_since(t0) - build_ms) * 100) / 100);
        cJSON_AddNumberToObject(f, "peak_rss_kb", (double)log_proc_kb("VmHWM"));
    }
    log_info("snapshot_written", f);
    return 0;
}

/* The start-up line: the settings in force (the effective SCAN_LIMIT), none
 * that the catalog source ignores (PRODUCT_COUNT beside a file, RELOAD_S
 * without one), and the catalog loaded. */
static void log_start(const struct config *cfg, unsigned port, const struct live_gen *g,
                      double load_ms, double ready_ms, bool indexing)
{
    cJSON *f = cJSON_CreateObject();
    if (f == NULL)
        return;
    cJSON_AddStringToObject(f, "version", PRODUCT_SEARCH_VERSION);
    cJSON_AddStringToObject(f, "bind", cfg->bind);
    cJSON_AddNumberToObject(f, "port", port);
    cJSON_AddNumberToObject(f, "threads", cfg->threads);
    if (!g->from_file)
        cJSON_AddNumberToObject(f, "product_count", (double)cfg->product_count);
    cJSON_AddNumberToObject(f, "scan_limit", (double)cfg->scan_limit);
    cJSON_AddNumberToObject(f, "max_results", cfg->max_results);
    cJSON_AddNumberToObject(f, "conn_limit", cfg->conn_limit);
    cJSON_AddNumberToObject(f, "conn_timeout_s", cfg->conn_timeout_s);
    cJSON_AddNumberToObject(f, "drain_s", cfg->drain_s);
    cJSON_AddBoolToObject(f, "access_log", cfg->access_log);
    cJSON_AddBoolToObject(f, "ui", cfg->ui);
    cJSON_AddStringToObject(f, "catalog",
                            g->from_snapshot ? "snapshot" : g->from_file ? "file" : "generated");
    if (g->from_snapshot)
        cJSON_AddStringToObject(f, "snapshot_file", cfg->snapshot_file);
    if (cfg->products_file[0] != '\0')
        cJSON_AddStringToObject(f, "products_file", cfg->products_file);
    if (g->from_file)
        cJSON_AddNumberToObject(f, "reload_s", cfg->reload_s);
    cJSON_AddStringToObject(f, "catalog_version", g->version);
    cJSON_AddNumberToObject(f, "products", (double)g->cat.count);
    cJSON_AddNumberToObject(f, "load_ms", (double)(long)(load_ms * 100) / 100);
    cJSON_AddNumberToObject(f, "ready_ms", (double)(long)(ready_ms * 100) / 100);
    cJSON_AddNumberToObject(f, "rss_kb", (double)log_proc_kb("VmRSS"));
    cJSON_AddStringToObject(f, "index",
                            g->from_snapshot ? "snapshot" : indexing ? "building" : "off");
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

/* Waits for SIGTERM or SIGINT (blocked in every thread), then drains.
 * SIGHUP meanwhile asks the reloader for a reload (reloader NULL: the
 * generated catalog, which has nothing to reload; that is logged). */
static void wait_and_drain(struct http_server *server, const sigset_t *signals,
                           struct reload *reloader, unsigned drain_s)
{
    int sig = 0;
    for (;;) {
        if (sigwait(signals, &sig) != 0)
            continue;
        if (sig != SIGHUP)
            break;
        if (reloader != NULL) {
            reload_request(reloader);
            continue;
        }
        cJSON *f = cJSON_CreateObject();
        if (f != NULL)
            cJSON_AddStringToObject(f, "skipped", "the catalog is generated (no PRODUCTS_FILE): "
                                                  "nothing to reload");
        log_info("reload", f);
    }
    http_server_drain(server);
    cJSON *f = cJSON_CreateObject();
    if (f != NULL) {
        cJSON_AddStringToObject(f, "signal", sig == SIGINT ? "SIGINT" : "SIGTERM");
        cJSON_AddNumberToObject(f, "drain_s", drain_s);
    }
    log_info("draining", f);
    /* A second SIGTERM or SIGINT cuts the drain short; a SIGHUP now is ignored. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    struct timespec ts = {(time_t)drain_s, 0};
    while (drain_s > 0 && sigtimedwait(&stop, NULL, &ts) < 0 && errno == EINTR)
        ;
}

enum {
    MMAP_THRESHOLD = 128 * 1024, /* glibc's default, fixed (see main) */
};

int main(int argc, char **argv)
{
    uint64_t t0 = clock_ns();
    signal(SIGPIPE, SIG_IGN);
    /* Every buffer of 128 KB or more gets pages of its own (mmap), given
     * back to the system when freed. glibc's default threshold moves up to
     * the size of each large block freed (up to 32 MB), after which a
     * catalog's arrays came from the heap, and a reload left the old
     * catalog's holes resident: 62 MB instead of 47 after some of 10 reloads
     * of 100,000 products, and a peak above old + new. Requests seldom
     * allocate that much (the answer is a few KB). */
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);

    struct config cfg;
    char err[LIVE_ERROR_MAX]; /* the longest error line of any module used here */
    _Static_assert((int)LIVE_ERROR_MAX >= (int)CONFIG_ERROR_MAX, "err too small");
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

    /* Blocked before any thread starts (all inherit the mask) and before
     * the catalog loads, so that a SIGHUP during start-up is a reload
     * request, not the end of the process. */
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    if (cfg.action == CONFIG_RUN)
        pthread_sigmask(SIG_BLOCK, &signals, NULL);

    int status = 1;
    struct live live;
    struct metrics metrics;
    struct http_server server;
    struct reload reloader;
    bool serving = false, reloading = false;
    struct live_source src = {cfg.products_file, cfg.snapshot_file, cfg.product_count,
                              cfg.action == CONFIG_WRITE_SNAPSHOT ? 0 : cfg.scan_limit};
    struct live_gen *g = live_gen_create(&src, err);
    if (g == NULL && live_source_file(&src) == NULL) {
        log_error("catalog", err);
        return 1;
    }
    if (g == NULL) { /* the file's fault, named in one line */
        fprintf(stderr, "product-search: %s\n", err);
        return EXIT_CONFIG;
    }
    if (cfg.action == CONFIG_EXPORT_CATALOG || cfg.action == CONFIG_WRITE_SNAPSHOT) {
        if (cfg.action == CONFIG_EXPORT_CATALOG)
            status = export_catalog(&g->cat) == 0 ? 0 : 1;
        else
            status = write_snapshot(g, cfg.write_snapshot, t0);
        live_gen_destroy(g);
        return status;
    }
    double load_ms = ms_since(t0);
    metrics_init(&metrics, g->cat.count, HTTP_ROUTE_NAMES, HTTP_ROUTE_COUNT);
    metrics_catalog(&metrics, g->cat.count, g->hash >> 16, g->loaded_at_ms, g->load_ns);
    live_init(&live, g); /* from here the live catalog owns g */
    serving = true;

    if (http_server_start(&server, &cfg, &live, &metrics, err) != 0) {
        log_error("listen", err);
        goto out;
    }
    /* A window covering the catalog has its tables and index built by the
     * builder thread: the server listens at once, /health says starting and
     * searches get 503 until the index is published (then every search takes
     * microseconds). A bounded window built its (small) text at load. The
     * start line goes first, before the builder's index_ready line. */
    log_start(&cfg, server.port, g, load_ms, ms_since(t0), g->engine.whole);
    if (g->from_snapshot)
        snapshot_ready(&metrics, g, load_ms);
    else if (g->engine.whole && search_start_builder(&g->engine, index_ready, &metrics) != 0)
        log_error("index", "cannot start the index thread; searches are refused (503)");
    if (g->from_file) {
        reload_init(&reloader, &live, &metrics, &src, cfg.reload_s, &g->file);
        reloading = true;
        if (reload_start(&reloader) != 0)
            log_error("reload", "cannot start the reloader thread; the catalog will not be reloaded");
    }

    wait_and_drain(&server, &signals, reloading ? &reloader : NULL, cfg.drain_s);
    if (reloading)
        reload_stop(&reloader); /* a reload being indexed gives up */
    reloading = false;
    http_server_stop(&server, STOP_WAIT_MS);
    cJSON *f = cJSON_CreateObject();
    if (f != NULL)
        cJSON_AddNumberToObject(f, "peak_rss_kb", (double)log_proc_kb("VmHWM"));
    log_info("stopped", f);
    status = 0;
out:
    if (reloading)
        reload_stop(&reloader);
    if (serving)
        live_deinit(&live); /* stops a build still running, at its next step */
    return status;
}
