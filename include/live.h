/* live: the catalog being served: one generation at a time, switched atomically, held by each request that reads it. */
#ifndef PRODUCT_SEARCH_LIVE_H
#define PRODUCT_SEARCH_LIVE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "catalog_file.h"
#include "search.h"
#include "snapfile.h"

enum {
    LIVE_VERSION_LEN = 12, /* hex digits of a catalog version */
    LIVE_ERROR_MAX = CATALOG_FILE_ERROR_MAX, /* room for one error line */
};

_Static_assert((int)LIVE_ERROR_MAX >= (int)SNAPFILE_ERROR_MAX, "room for a snapshot's error");

/* Where catalogs come from and how they are searched. */
struct live_source {
    const char *products_file; /* PRODUCTS_FILE; NULL or "": the generated catalog */
    const char *snapshot_file; /* SNAPSHOT_FILE; NULL or "": none. With PRODUCTS_FILE
                                * too, the snapshot must have been written from it */
    size_t product_count;      /* PRODUCT_COUNT, for the generated catalog */
    size_t scan_limit;         /* SCAN_LIMIT (0 = all): a window covering the
                                * catalog gets a whole-catalog engine */
};

/* One catalog as served: its products, its engine and what names it.
 * Nothing in it changes once it is published, except the engine's index,
 * which a whole-catalog engine publishes once. */
struct live_gen {
    struct catalog cat;                 /* the products (owned) */
    struct search engine;               /* over cat (owned) */
    char version[LIVE_VERSION_LEN + 1]; /* the first 48 bits of the XXH3-64 hash of
                                         * the file's bytes (or of the generated
                                         * catalog's parameters), in hex */
    uint64_t hash;                      /* that whole hash */
    bool from_file;                     /* loaded from PRODUCTS_FILE or SNAPSHOT_FILE */
    struct catalog_file_id file;        /* the file as it was opened (from_file) */
    bool from_snapshot;                 /* served from SNAPSHOT_FILE, mapped */
    struct snapfile snap;               /* that mapping (from_snapshot); cat and engine
                                         * read from it, so it goes last */
    char loaded_at[32];                 /* when loading ended, UTC, 2026-01-02T03:04:05.678Z */
    int64_t loaded_at_ms;               /* the same in ms since the epoch */
    uint64_t load_ns;                   /* loading time (and, by a reload, indexing time) */
    atomic_uint_fast64_t released;      /* requests done with it (see live_acquire) */
};

/* The file a reload watches: SNAPSHOT_FILE, else PRODUCTS_FILE; NULL for the
 * generated catalog. */
const char *live_source_file(const struct live_source *src);

/* The setting that names live_source_file(): "SNAPSHOT_FILE" or "PRODUCTS_FILE". */
const char *live_source_setting(const struct live_source *src);

/* Loads a new generation from src: a snapshot (checked whole, mapped, its
 * index ready), the file (validated whole) or the generated catalog, its
 * version, and its engine: a whole-catalog engine when src->scan_limit
 * covers the catalog (its index still to build: live_gen_index() or
 * search_start_builder()), else a bounded one, built now. Returns it
 * (live_gen_destroy() frees it), or NULL with one line in err
 * (LIVE_ERROR_MAX bytes) naming the setting and the file. */
struct live_gen *live_gen_create(const struct live_source *src, char *err);

/* Writes g (a whole-catalog engine whose index is built) to path as a
 * snapshot: the catalog, its value tables and index, and what names them
 * (the catalog version, the program's version). Returns 0, or -1 with one
 * line in err. */
int live_gen_write_snapshot(const struct live_gen *g, const char *path, char *err);

/* Builds what g's engine still needs before it answers at full speed (a
 * whole-catalog engine's index) on the calling thread; nothing for a
 * bounded engine. Returns 0, or -1 when memory ran out or the build was
 * stopped (search_stop()). */
int live_gen_index(struct live_gen *g);

/* Frees g, stopping its index build if one runs. No request may hold it. */
void live_gen_destroy(struct live_gen *g);

/* The generation being served, and the one a switch still waits on.
 *
 * A request holds a generation from live_acquire() to live_release(): every
 * answer comes from one catalog, and the one a switch replaces is freed once
 * the last request that holds it has let go. The count is split in two, so
 * that a request never touches memory a switch may free: acquisitions are
 * counted on the word that names the current generation, in the same atomic
 * add that reads it (a request cannot read the name, then count itself on a
 * generation already being freed), releases on the generation itself. The
 * switch exchanges the word, which tells how many acquired the old
 * generation, and waits until as many have released it. Reference counts,
 * not epochs: requests hold a generation for microseconds on threads
 * libmicrohttpd owns, so there is no per-thread quiescent point to hook an
 * epoch on, and two atomic adds per request cost nothing measurable. */
struct live {
    atomic_uint_fast64_t word; /* bit 0: the slot of the current generation;
                                * bits 1 and up: acquisitions since it was published */
    struct live_gen *slot[2];  /* the current generation; the replaced one while
                                * a switch waits for it */
};

/* Serves first (taking ownership) from now on. */
void live_init(struct live *l, struct live_gen *first);

/* The current generation, held until live_release(); never NULL. Lock-free,
 * one atomic add. Safe from many threads. */
struct live_gen *live_acquire(struct live *l);

/* Lets go of a generation live_acquire() gave. One atomic add. */
void live_release(struct live_gen *g);

/* Serves g (taking ownership) from now on: requests that start after this
 * call get g; waits until the requests holding the generation it replaces
 * have released it, then returns that one for the caller to destroy (so
 * that its memory is given back on the caller's thread, never on a request
 * thread). One switch at a time. */
struct live_gen *live_switch(struct live *l, struct live_gen *g);

/* Destroys the current generation; no request may hold it. */
void live_deinit(struct live *l);

#endif
