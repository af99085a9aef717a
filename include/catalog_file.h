/* catalog_file: loads a catalog from a JSON array or JSON Lines file, checking every record. */
#ifndef PRODUCT_SEARCH_CATALOG_FILE_H
#define PRODUCT_SEARCH_CATALOG_FILE_H

#include <stdbool.h>
#include <stdint.h>

#include "catalog.h"

enum {
    CATALOG_FILE_ERROR_MAX = 512, /* room for one error line */
};

/* Fills cat (caller-owned, initialised) from path, a regular file (a FIFO,
 * a device or a directory is refused before a byte is read): a JSON array of
 * product objects or one object per line, both parsed one record at a time,
 * so memory is the catalog plus the longest record. Prices are read from the number's digits
 * into exact cents (more than 2 fraction digits is an error, never rounded);
 * a string holding a NUL is an error, never cut short; ids are unique.
 * Products end up in id order. Returns 0, or -1 with one line in err
 * (CATALOG_FILE_ERROR_MAX bytes) naming the file, the record (its number,
 * and its line in a JSON Lines file) and the problem; cat is then empty. */
int catalog_load_file(struct catalog *cat, const char *path, char *err);

/* What tells two versions of a catalog file apart without reading it: a
 * file renamed over it has a new inode, one written in place a new size or
 * modification time. */
struct catalog_file_id {
    bool exists;      /* false: the path could not be stat'ed (the rest is 0) */
    uint64_t dev;     /* device */
    uint64_t ino;     /* inode */
    uint64_t size;    /* bytes */
    int64_t mtime_ns; /* modification time, ns since the epoch */
};

/* What a load read. */
struct catalog_file_info {
    struct catalog_file_id id; /* the file as opened (fstat) */
    uint64_t hash;             /* XXH3-64 of its bytes */
};

/* catalog_load_file() that also fills info (NULL: not wanted) with the
 * identity of the file it opened and the hash of its bytes. With info, a
 * file whose size or modification time changed while it was read is refused
 * (a catalog is one version of the file, never a mix). */
int catalog_file_load(struct catalog *cat, const char *path, struct catalog_file_info *info,
                      char *err);

/* The identity of path now (stat(2), following links); id->exists is false
 * when it cannot be stat'ed. */
void catalog_file_stat(const char *path, struct catalog_file_id *id);

/* True when a and b are the same identity. */
bool catalog_file_same(const struct catalog_file_id *a, const struct catalog_file_id *b);

#endif
