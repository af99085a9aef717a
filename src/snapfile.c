/* snapfile: the snapshot container.
 *
 * Layout, every number little-endian as this build writes it (the header's
 * byte-order word refuses another):
 *   header (64 bytes): magic "PSEARCH\x1a", format (u32), sections (u32),
 *     file size (u64), table offset (u64), byte-order word (u64), the table's
 *     checksum (u64), reserved (u64), the header's own checksum (u64: XXH3-64
 *     of the 56 bytes before it)
 *   sections, each at a multiple of SNAPFILE_ALIGN, zero padding after each
 *   the table: one snapfile_entry per section
 * Every byte is under a checksum: the header's, the table's, and each
 * section's, which covers its padding too. */
#define _GNU_SOURCE /* pthread, MAP_POPULATE */
#include "snapfile.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"

static const char MAGIC[8] = {'P', 'S', 'E', 'A', 'R', 'C', 'H', 0x1a};
static const uint64_t ORDER_WORD = 0x0102030405060708ull;

enum {
    HEADER_BYTES = 64,
    VERIFY_THREADS = 2, /* the machines this runs on have two cores or more */
};

struct header {
    char magic[8];
    uint32_t format;
    uint32_t nsections;
    uint64_t size;
    uint64_t table_offset;
    uint64_t byte_order;
    uint64_t table_checksum;
    uint64_t reserved;
    uint64_t checksum; /* of the 56 bytes above */
};

_Static_assert(sizeof(struct header) == HEADER_BYTES, "header layout");
_Static_assert(sizeof(struct snapfile_entry) == 56, "table entry layout");

static const unsigned char ZEROS[SNAPFILE_ALIGN];

/* ---- writing ------------------------------------------------------------- */

static void put(struct snapfile_writer *w, const void *data, size_t len)
{
    if (len == 0 || w->failed)
        return;
    if (fwrite(data, 1, len, w->f) != len)
        w->failed = true;
    w->pos += len;
}

int snapfile_create(struct snapfile_writer *w, const char *path, char *err)
{
    memset(w, 0, sizeof(*w));
    if (strlen(path) >= sizeof(w->path)) {
        snprintf(err, SNAPFILE_ERROR_MAX, "snapshot path too long");
        return -1;
    }
    strcpy(w->path, path);
    snprintf(w->tmp, sizeof(w->tmp), "%s.tmp", path);
    w->hash = XXH3_createState();
    int fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->hash == NULL || fd < 0 || (w->f = fdopen(fd, "wb")) == NULL) {
        snprintf(err, SNAPFILE_ERROR_MAX, "%.300s: cannot write: %s", w->tmp,
                 w->hash == NULL ? "out of memory" : strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(w->tmp);
        }
        XXH3_freeState(w->hash);
        w->hash = NULL;
        return -1;
    }
    struct header blank;
    memset(&blank, 0, sizeof(blank)); /* the real one goes in last */
    put(w, &blank, sizeof(blank));
    return 0;
}

void snapfile_begin(struct snapfile_writer *w, const char *name)
{
    if (w->nsections == SNAPFILE_MAX_SECTIONS || strlen(name) >= SNAPFILE_NAME_MAX) {
        w->failed = true; /* a bug of the caller's: reported by snapfile_finish() */
        return;
    }
    struct snapfile_entry *e = &w->table[w->nsections];
    memset(e, 0, sizeof(*e));
    strcpy(e->name, name);
    e->offset = w->pos;
    XXH3_64bits_reset(w->hash);
    w->open = true;
}

void snapfile_write(struct snapfile_writer *w, const void *data, size_t len)
{
    if (!w->open || len == 0)
        return;
    XXH3_64bits_update(w->hash, data, len);
    put(w, data, len);
}

uint64_t snapfile_pad(struct snapfile_writer *w, size_t align)
{
    if (!w->open)
        return 0;
    uint64_t at = w->pos - w->table[w->nsections].offset;
    size_t gap = (size_t)((align - at % align) % align);
    snapfile_write(w, ZEROS, gap);
    return at + gap;
}

void snapfile_end(struct snapfile_writer *w)
{
    if (!w->open)
        return;
    struct snapfile_entry *e = &w->table[w->nsections];
    e->length = w->pos - e->offset;
    snapfile_pad(w, SNAPFILE_ALIGN); /* the padding is under the checksum too */
    e->checksum = XXH3_64bits_digest(w->hash);
    w->nsections++;
    w->open = false;
}

void snapfile_section(struct snapfile_writer *w, const char *name, const void *data, size_t len)
{
    snapfile_begin(w, name);
    snapfile_write(w, data, len);
    snapfile_end(w);
}

void snapfile_abandon(struct snapfile_writer *w)
{
    if (w->f != NULL) {
        fclose(w->f);
        unlink(w->tmp);
    }
    XXH3_freeState(w->hash);
    memset(w, 0, sizeof(*w));
}

int snapfile_finish(struct snapfile_writer *w, char *err)
{
    struct header h;
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, MAGIC, sizeof(MAGIC));
    h.format = SNAPFILE_FORMAT;
    h.nsections = w->nsections;
    h.table_offset = w->pos;
    h.byte_order = ORDER_WORD;
    size_t table_bytes = w->nsections * sizeof(w->table[0]);
    h.table_checksum = XXH3_64bits(w->table, table_bytes);
    put(w, w->table, table_bytes);
    h.size = w->pos;
    h.checksum = XXH3_64bits(&h, offsetof(struct header, checksum));
    bool bad = w->failed || w->open || fflush(w->f) != 0 || fseek(w->f, 0, SEEK_SET) != 0 ||
               fwrite(&h, sizeof(h), 1, w->f) != 1 || fflush(w->f) != 0 ||
               fsync(fileno(w->f)) != 0;
    int saved = errno;
    if (fclose(w->f) != 0 && !bad) {
        bad = true;
        saved = errno;
    }
    w->f = NULL;
    if (!bad && rename(w->tmp, w->path) != 0) {
        bad = true;
        saved = errno;
    }
    if (bad) {
        snprintf(err, SNAPFILE_ERROR_MAX, "%.300s: writing failed: %s", w->tmp,
                 w->open || w->nsections == SNAPFILE_MAX_SECTIONS ? "too many sections"
                                                                 : strerror(saved));
        unlink(w->tmp);
    }
    XXH3_freeState(w->hash);
    w->hash = NULL;
    return bad ? -1 : 0;
}

/* ---- reading ------------------------------------------------------------- */

/* The sections' checksums, some on this thread and some on another. */
struct verify {
    const struct snapfile *s;
    const bool *mine;     /* per section: whether this worker checks it */
    int32_t bad;          /* the first section that failed, or -1 */
};

/* The end of section i's checked bytes: the next section's start or the table's. */
static uint64_t section_end(const struct snapfile *s, uint32_t i, uint64_t table_offset)
{
    return i + 1 < s->nsections ? s->table[i + 1].offset : table_offset;
}

static void *verify_part(void *arg)
{
    struct verify *v = arg;
    const struct snapfile *s = v->s;
    const struct header *h = (const void *)s->base;
    for (uint32_t i = 0; i < s->nsections && v->bad < 0; i++) {
        const struct snapfile_entry *e = &s->table[i];
        if (!v->mine[i])
            continue;
        uint64_t end = section_end(s, i, h->table_offset);
        if (XXH3_64bits(s->base + e->offset, end - e->offset) != e->checksum)
            v->bad = (int32_t)i;
    }
    return NULL;
}

static int refuse(struct snapfile *s, char *err, const char *path, const char *what)
{
    snprintf(err, SNAPFILE_ERROR_MAX, "%.300s: %s", path, what);
    snapfile_close(s);
    return -1;
}

int snapfile_open(struct snapfile *s, const char *path, char *err)
{
    memset(s, 0, sizeof(*s));
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, SNAPFILE_ERROR_MAX, "%.300s: cannot open: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return refuse(s, err, path, "not a regular file");
    }
    if ((uint64_t)st.st_size < HEADER_BYTES) {
        close(fd);
        return refuse(s, err, path,
                      st.st_size == 0 ? "empty file, not a snapshot"
                                      : "too short to be a snapshot (truncated?)");
    }
    /* Populated at once: every byte is read for the checksums anyway, and a
     * request should not wait for a page fault. */
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    int saved = errno;
    close(fd);
    if (map == MAP_FAILED) {
        snprintf(err, SNAPFILE_ERROR_MAX, "%.300s: cannot map: %s", path, strerror(saved));
        return -1;
    }
    s->base = map;
    s->len = (size_t)st.st_size;
    const struct header *h = map;
    if (memcmp(h->magic, MAGIC, sizeof(MAGIC)) != 0)
        return refuse(s, err, path, "not a product-search snapshot (wrong magic)");
    if (h->checksum != XXH3_64bits(h, offsetof(struct header, checksum)))
        return refuse(s, err, path, "header checksum mismatch (damaged file)");
    if (h->byte_order != ORDER_WORD)
        return refuse(s, err, path, "written on a machine of another byte order");
    if (h->format != SNAPFILE_FORMAT) {
        char what[128];
        snprintf(what, sizeof(what),
                 "snapshot format %u, this build reads format %d: write it again with "
                 "--write-snapshot",
                 h->format, SNAPFILE_FORMAT);
        return refuse(s, err, path, what);
    }
    if (h->size != s->len) {
        char what[160];
        snprintf(what, sizeof(what), "%zu bytes where the header says %llu (%s)", s->len,
                 (unsigned long long)h->size, s->len < h->size ? "truncated" : "extra bytes");
        return refuse(s, err, path, what);
    }
    size_t table_bytes = (size_t)h->nsections * sizeof(struct snapfile_entry);
    if (h->nsections > SNAPFILE_MAX_SECTIONS || h->table_offset < HEADER_BYTES ||
        h->table_offset > s->len || s->len - h->table_offset != table_bytes ||
        h->table_offset % 8 != 0)
        return refuse(s, err, path, "section table out of place (damaged file)");
    s->table = (const void *)(s->base + h->table_offset);
    s->nsections = h->nsections;
    if (XXH3_64bits(s->table, table_bytes) != h->table_checksum)
        return refuse(s, err, path, "section table checksum mismatch (damaged file)");
    uint64_t at = HEADER_BYTES;
    for (uint32_t i = 0; i < s->nsections; i++) {
        const struct snapfile_entry *e = &s->table[i];
        if (e->offset != at || e->offset % SNAPFILE_ALIGN != 0 || e->length > h->table_offset ||
            e->offset + e->length > section_end(s, i, h->table_offset) ||
            memchr(e->name, 0, SNAPFILE_NAME_MAX) == NULL)
            return refuse(s, err, path, "section out of place (damaged file)");
        at = section_end(s, i, h->table_offset);
    }
    /* The sections shared out by size, largest first to the lighter worker. */
    bool mine[VERIFY_THREADS][SNAPFILE_MAX_SECTIONS] = {{false}};
    bool taken[SNAPFILE_MAX_SECTIONS] = {false};
    uint64_t load[VERIFY_THREADS] = {0};
    for (uint32_t n = 0; n < s->nsections; n++) {
        uint32_t big = 0;
        uint64_t most = 0;
        for (uint32_t i = 0; i < s->nsections; i++) {
            uint64_t size = section_end(s, i, h->table_offset) - s->table[i].offset;
            if (!taken[i] && (size >= most || most == 0)) {
                big = i;
                most = size;
            }
        }
        unsigned p = load[1] < load[0];
        taken[big] = mine[p][big] = true;
        load[p] += most;
    }
    struct verify parts[VERIFY_THREADS];
    pthread_t helper;
    for (unsigned p = 0; p < VERIFY_THREADS; p++)
        parts[p] = (struct verify){s, mine[p], -1};
    bool threaded = pthread_create(&helper, NULL, verify_part, &parts[1]) == 0;
    verify_part(&parts[0]);
    if (threaded)
        pthread_join(helper, NULL);
    else
        verify_part(&parts[1]);
    for (unsigned p = 0; p < VERIFY_THREADS; p++)
        if (parts[p].bad >= 0) {
            char what[128];
            snprintf(what, sizeof(what), "section \"%s\" checksum mismatch (damaged file)",
                     s->table[parts[p].bad].name);
            return refuse(s, err, path, what);
        }
    return 0;
}

const void *snapfile_get(const struct snapfile *s, const char *name, size_t *len)
{
    for (uint32_t i = 0; i < s->nsections; i++)
        if (strcmp(s->table[i].name, name) == 0) {
            *len = (size_t)s->table[i].length;
            return s->base + s->table[i].offset;
        }
    *len = 0;
    return NULL;
}

void snapfile_close(struct snapfile *s)
{
    if (s->base != NULL)
        munmap((void *)s->base, s->len);
    memset(s, 0, sizeof(*s));
}
