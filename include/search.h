/* search: the engine: owns one catalog's tables and index and answers from the fastest exact path. */
#ifndef PRODUCT_SEARCH_SEARCH_H
#define PRODUCT_SEARCH_SEARCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "catalog.h"
#include "index.h"
#include "request.h"
#include "tables.h"

/* Called once on the builder's thread when the index is published (stats
 * set) or could not be built (stats NULL). */
typedef void (*search_ready_fn)(void *ctx, const struct index_stats *stats);

/* One catalog's search engine. */
struct search {
    const struct catalog *cat;     /* the products (borrowed; must outlive the engine) */
    struct tables tables;          /* scan text and value tables (whole catalog: once built) */
    bool whole;                    /* the tables and the index wait for search_build_index();
                                    * the reference answers until the index is published */
    _Atomic(struct index *) index; /* the whole-catalog index once published, or NULL */
    atomic_bool stop;              /* asks a running build to give up */
    pthread_t builder;             /* the thread search_start_builder() started */
    bool building;                 /* builder was started and not yet joined */
    search_ready_fn ready;         /* told when the build ends */
    void *ready_ctx;               /* its context */
};

/* A bounded-window engine: builds the scan text of the first window products
 * (0 = all) now, so that search_run() answers windows up to that size with
 * the scan. No index. Returns 0, or -1 when memory runs out (s is then
 * empty). */
int search_init(struct search *s, const struct catalog *cat, size_t window);

/* A whole-catalog engine: builds nothing now, so a server is ready at once;
 * search_run() answers with the reference until search_build_index() (or the
 * builder thread) publishes the index. */
void search_init_whole(struct search *s, const struct catalog *cat);

/* Builds what the index needs (the tables, for a whole-catalog engine), the
 * index itself, and publishes it: search_run() answers windows covering the
 * catalog from it from then on. From one thread, once. Returns 0, or -1 when
 * memory ran out or the build was stopped (the current path keeps
 * answering). */
int search_build_index(struct search *s);

/* search_build_index() on a thread of its own; ready (may be NULL) is called
 * on that thread when it ends. Returns 0, or -1 when the thread cannot
 * start. */
int search_start_builder(struct search *s, search_ready_fn ready, void *ctx);

/* True when search_run() answers windows covering the catalog from a fast
 * path: a bounded engine always, a whole-catalog one once its index is
 * published (until then it would run the reference, which takes seconds at
 * 1,000,000 products). Safe from many threads. */
bool search_ready(const struct search *s);

/* Asks a build running on another thread to give up at its next step; it
 * then returns -1 and the engine stays as it was. Safe from any thread. */
void search_stop(struct search *s);

/* Answers req over the window of the first min(scan_limit, count) products
 * (scan_limit 0 = all): the whole-catalog index when it is published and the
 * window covers the catalog, the reference while a whole-catalog engine
 * waits for it, the scan otherwise. Sets elapsed_ns. Safe from many threads.
 * Returns 0, or -1 when memory runs out or the window is wider than the
 * engine's. */
int search_run(const struct search *s, const struct request *req, size_t scan_limit,
               struct result *out);

struct snapfile;
struct snapfile_writer;

/* Writes a whole-catalog engine's value tables and published index to w.
 * Returns 0, or -1 when there is no index or memory runs out. */
int search_snapshot_write(const struct search *s, struct snapfile_writer *w);

/* A whole-catalog engine over cat (read from the same snapshot) with its
 * tables and index read from snapshot s (which must outlive it): ready at
 * once, nothing to build. Returns 0, or -1 with one line in err
 * (SNAPFILE_ERROR_MAX bytes); s is then left empty. */
int search_init_snapshot(struct search *s, const struct catalog *cat, const struct snapfile *snap,
                         char *err);

/* Stops a running build (waiting for its current step), frees what s owns
 * (the index included) and leaves it empty. */
void search_deinit(struct search *s);

#endif
