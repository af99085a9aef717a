/* reload: the reloader thread: SIGHUP requests and RELOAD_S checks of the catalog file, one reload at a time. */
#ifndef PRODUCT_SEARCH_RELOAD_H
#define PRODUCT_SEARCH_RELOAD_H

#include <pthread.h>
#include <stdbool.h>

#include "catalog_file.h"
#include "live.h"
#include "metrics.h"

/* The reloader of one server. */
struct reload {
    struct live *live;               /* where a new generation is switched in */
    struct metrics *metrics;         /* reloads counted, the catalog shown */
    struct live_source src;          /* the file and the settings */
    unsigned every_s;                /* RELOAD_S: seconds between checks, 0 = none */
    pthread_t thread;                /* the reloader */
    bool started;                    /* thread runs (reload_stop() joins it) */
    pthread_mutex_t mu;              /* guards the fields below */
    pthread_cond_t wake;             /* signalled by reload_request() and reload_stop() */
    bool requested;                  /* a reload was asked for and has not begun */
    bool stopping;                   /* reload_stop() was called */
    struct search *building;         /* the engine being indexed, stopped by reload_stop() */
    struct catalog_file_id seen;     /* the file as last loaded or tried (reloader only) */
    struct catalog_file_id settling; /* a change written in place, waiting one more
                                      * check to be sure the writing is over (reloader only) */
};

/* Prepares the reloader of src's file (which must be one) for l, whose
 * current generation was loaded from that file as loaded says. Nothing
 * runs until reload_start(). */
void reload_init(struct reload *r, struct live *l, struct metrics *m,
                 const struct live_source *src, unsigned every_s,
                 const struct catalog_file_id *loaded);

/* Starts the reloader thread: it reloads on reload_request(), and every
 * every_s seconds (0: never) when the file's size, modification time or
 * inode changed since it was last loaded or tried. A changed inode (a new
 * file renamed over the path, the documented way) is reloaded at the first
 * check that sees it; a change in place (same inode) once the next check
 * finds it unchanged, so that a file still being written is not read
 * half-way. A file that failed is not tried again until it changes.
 * Returns 0, or -1 when the thread cannot start. */
int reload_start(struct reload *r);

/* Asks for a reload (SIGHUP): it runs as soon as the reloader is free.
 * Requests made while a reload runs are coalesced into one more reload
 * after it, never queued. Safe from any thread. */
void reload_request(struct reload *r);

/* Loads the file into a new generation beside the current one, indexes it
 * (a whole-catalog engine), then switches to it and frees the old one once
 * the last request holding it has finished. A file that fails validation,
 * cannot be read or does not fit in memory changes nothing: the current
 * catalog keeps serving, one error line is logged and the failure counted.
 * On the calling thread (the reloader's, or a test's while no reloader
 * runs). Returns 0 when it switched, -1 otherwise. */
int reload_run(struct reload *r);

/* Stops the reloader: a build in progress gives up at its next step, a
 * file being parsed is finished first. Then joins the thread and frees what
 * reload_init() set up. Safe when the reloader never started. */
void reload_stop(struct reload *r);

#endif
