/* snapfile: one file of named, checksummed sections, written in one pass and mapped read-only. */
#ifndef PRODUCT_SEARCH_SNAPFILE_H
#define PRODUCT_SEARCH_SNAPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <xxhash.h>

enum {
    SNAPFILE_FORMAT = 1,        /* the layout of the file and of what the sections hold:
                                 * raised whenever either changes */
    SNAPFILE_NAME_MAX = 32,     /* a section's name, its NUL included */
    SNAPFILE_ALIGN = 64,        /* every section starts at a multiple of this */
    SNAPFILE_MAX_SECTIONS = 256,
    SNAPFILE_ERROR_MAX = 512,   /* room for one error line */
};

/* A file being written: sections one after the other, each streamed in
 * pieces and checksummed as it goes; the header and the section table go in
 * last. The file is written beside its final path and renamed onto it by
 * snapfile_finish(), so that a reader never sees half a snapshot. */
struct snapfile_writer {
    FILE *f;                 /* the temporary file */
    char path[4096];         /* the final path */
    char tmp[4112];          /* the temporary one */
    uint64_t pos;            /* bytes written */
    bool open;               /* a section is open */
    bool failed;             /* a write failed: snapfile_finish() reports it */
    XXH3_state_t *hash;      /* the open section's checksum */
    uint32_t nsections;
    struct snapfile_entry {
        char name[SNAPFILE_NAME_MAX];
        uint64_t offset;     /* from the start of the file */
        uint64_t length;     /* bytes of data, without the padding after them */
        uint64_t checksum;   /* XXH3-64 of the data and the zero padding after it */
    } table[SNAPFILE_MAX_SECTIONS];
};

/* Starts writing path (a temporary file beside it). Returns 0, or -1 with
 * one line in err (SNAPFILE_ERROR_MAX bytes). */
int snapfile_create(struct snapfile_writer *w, const char *path, char *err);

/* Opens the section called name (unique, shorter than SNAPFILE_NAME_MAX);
 * snapfile_write() appends to it until snapfile_end(). */
void snapfile_begin(struct snapfile_writer *w, const char *name);

/* Appends len bytes to the open section. */
void snapfile_write(struct snapfile_writer *w, const void *data, size_t len);

/* Pads the open section with zeros to a multiple of align (a power of two,
 * at most SNAPFILE_ALIGN) from the section's start; returns the offset of
 * the next byte within the section. */
uint64_t snapfile_pad(struct snapfile_writer *w, size_t align);

/* Closes the open section. */
void snapfile_end(struct snapfile_writer *w);

/* A whole section in one call: begin, write, end. */
void snapfile_section(struct snapfile_writer *w, const char *name, const void *data, size_t len);

/* Writes the table and the header, syncs and renames the file onto its
 * path. Returns 0, or -1 with one line in err (the temporary file is then
 * removed). */
int snapfile_finish(struct snapfile_writer *w, char *err);

/* Gives up a file being written: removes the temporary file. */
void snapfile_abandon(struct snapfile_writer *w);

/* A snapshot file mapped read-only, every byte checked against its
 * checksum. */
struct snapfile {
    const unsigned char *base; /* the mapping */
    size_t len;                /* its bytes: the file's size */
    uint32_t nsections;
    const struct snapfile_entry *table; /* in the mapping */
};

/* Maps path and checks it: a regular file, the magic, the format and byte
 * order, every section inside the file, and every byte against the
 * checksums (on two threads). Returns 0, or -1 with one line in err naming
 * the file and what is wrong with it. */
int snapfile_open(struct snapfile *s, const char *path, char *err);

/* Section name's bytes and length, or NULL when the file has no such
 * section. */
const void *snapfile_get(const struct snapfile *s, const char *name, size_t *len);

/* Unmaps s. */
void snapfile_close(struct snapfile *s);

#endif
