/* index: the whole-catalog index (suffix array plus bitmaps); answers exactly as the reference. */
#ifndef PRODUCT_SEARCH_INDEX_H
#define PRODUCT_SEARCH_INDEX_H

#include <stdatomic.h>
#include <stddef.h>

#include "request.h"
#include "tables.h"

struct index;

/* What building an index cost. */
struct index_stats {
    double build_s; /* wall-clock seconds index_build() took */
    size_t bytes;   /* heap bytes the index holds */
    size_t heavy;   /* precomputed product sets of broad substrings */
    size_t dict_words;   /* distinct words of the typo dictionary */
    size_t dict_bytes;   /* heap bytes of the dictionary and its per-field products */
    double dict_build_s; /* seconds of the build spent on the dictionary */
};

/* Builds the whole-catalog index over t, whose text must cover every product
 * (tables_init() with window 0) and which must outlive the index unchanged.
 * When stop (NULL: never) turns true the build gives up at its next step.
 * Returns NULL when it gave up, memory ran out or the catalog's text is too
 * large to index. */
struct index *index_build(const struct tables *t, const atomic_bool *stop);

/* Answers req over the whole catalog (checked = the catalog's size), the
 * same answer reference_run() gives with scan_limit 0 except elapsed_ns,
 * which is left for the caller. Safe from many threads at once. Returns 0,
 * or -1 when memory runs out. */
int index_run(const struct index *ix, const struct request *req, struct result *out);

/* What building ix cost. */
void index_stats(const struct index *ix, struct index_stats *st);

struct snapfile;
struct snapfile_writer;

/* Writes ix to w as sections of its own (index_snap.c). Returns 0, or -1
 * when memory runs out. */
int index_snapshot_write(const struct index *ix, struct snapfile_writer *w);

/* The index of snapshot s over t (whose catalog and value tables came from
 * the same snapshot), read where it lies in the mapping: s must outlive it.
 * Returns it, or NULL with one line in err (SNAPFILE_ERROR_MAX bytes) when
 * a section is missing or out of shape. */
struct index *index_snapshot_open(const struct tables *t, const struct snapfile *s, char *err);

/* Frees ix (NULL is fine). */
void index_destroy(struct index *ix);

#endif
