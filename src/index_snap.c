/* index_snap: the whole-catalog index written to a snapshot and read back
 * from its mapping.
 *
 * Every array of the index is a section of its own, read where it lies in
 * the mapping (never copied). Every bitmap is written in CRoaring's frozen
 * format into one section, 32-byte aligned, and read back as a view of the
 * mapping (roaring_bitmap_frozen_view(): a small header on the heap, the
 * containers in the file); the structures that point at bitmaps are written
 * as arrays of bitmap numbers and rebuilt as arrays of pointers. So the
 * index served from a snapshot holds on the heap only those pointer arrays,
 * the heavy nodes' table and the views' headers; the rest is the file's
 * pages, shared and evictable. Sizes are checked against the index's
 * header section before anything is used: a section of the wrong size is
 * refused, never read past. What the sections hold is trusted as this
 * build's own output once the checksums pass (they catch damage, not
 * forgery: a snapshot is trusted like the binary that serves it); only
 * values checked in O(1) or over small tables are checked again, so that
 * opening stays within its time budget (100 ms at 1,000,000 products). */
#include "index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <roaring/roaring.h>

#include "base.h"
#include "index_impl.h"
#include "snapfile.h"

enum {
    NO_BITMAP = UINT32_MAX, /* a bitmap number: none */
    NO_COUNTS = UINT32_MAX, /* a counts offset: none */
    FROZEN_ALIGN = 32,      /* roaring_bitmap_frozen_view() wants this */
};

static const char *const FIELD[CATALOG_FIELD_COUNT] = {"name", "category", "description",
                                                       "brand"};

/* What sizes every other section: the index's scalars. */
struct snap_meta {
    uint32_t n;
    uint32_t fcount;
    struct index_tuning tune;
    uint32_t foff[REQUEST_FIELD_COUNT];
    uint32_t nlevels;
    uint32_t nseg[INDEX_PRICE_LEVELS];
    uint32_t nbitmaps;
    uint32_t exact_mask; /* bit per request field: exact bitmaps kept */
    uint32_t counts_len; /* u32 in the counts section */
    struct snap_text {
        uint32_t per_product, own, npieces, tlen;
        uint64_t heavy_mask, nheavy;
        uint32_t has_heavy, has_sorted;
    } text[CATALOG_FIELD_COUNT];
    uint32_t fold_counts_mask; /* bit per catalog field: fold counts kept */
    uint32_t nwords, ndel, pad;
    uint64_t dmask, npairs;
    uint64_t bytes, dict_bytes;
    double build_s, dict_build_s;
};

/* A heavy node as written: bitmap numbers and offsets into the counts. */
struct snap_heavy {
    uint32_t depth, all, any, prefix, word, all_counts, counts, pad;
};

/* ---- writing ----------------------------------------------------------------- */

/* The bitmaps written so far, and the counts arrays gathered. */
struct out {
    struct snapfile_writer *w;
    uint64_t *at;         /* per bitmap: offset in its section, then length */
    uint32_t n, cap;
    char *buf;            /* one frozen bitmap */
    size_t buf_cap;
    uint32_t *counts;     /* the counts arrays back to back */
    size_t ncounts, counts_cap;
    bool failed;          /* memory ran out */
};

static uint32_t put_bitmap(struct out *o, const roaring_bitmap_t *b)
{
    if (b == NULL || o->failed)
        return NO_BITMAP;
    size_t len = roaring_bitmap_frozen_size_in_bytes(b);
    if (len > o->buf_cap) {
        free(o->buf);
        o->buf_cap = len * 2;
        o->buf = aligned_alloc(FROZEN_ALIGN, (o->buf_cap + FROZEN_ALIGN - 1) & ~(size_t)31);
    }
    if (o->n == o->cap) {
        o->cap = o->cap ? 2 * o->cap : 1024;
        uint64_t *at = realloc(o->at, o->cap * 2 * sizeof(*at));
        if (at != NULL)
            o->at = at;
        else
            o->failed = true;
    }
    if (o->buf == NULL || o->failed) {
        o->failed = true;
        return NO_BITMAP;
    }
    roaring_bitmap_frozen_serialize(b, o->buf);
    o->at[2 * o->n] = snapfile_pad(o->w, FROZEN_ALIGN);
    o->at[2 * o->n + 1] = len;
    snapfile_write(o->w, o->buf, len);
    return o->n++;
}

static uint32_t put_counts(struct out *o, const uint32_t *counts, uint32_t fcount)
{
    if (counts == NULL || o->failed)
        return NO_COUNTS;
    if (o->ncounts + fcount > o->counts_cap) {
        size_t cap = o->counts_cap ? 2 * o->counts_cap : 4096;
        while (cap < o->ncounts + fcount)
            cap *= 2;
        uint32_t *c = realloc(o->counts, cap * sizeof(*c));
        if (c == NULL || o->ncounts + fcount >= NO_COUNTS) {
            o->failed = true;
            return NO_COUNTS;
        }
        o->counts = c;
        o->counts_cap = cap;
    }
    memcpy(o->counts + o->ncounts, counts, fcount * sizeof(*counts));
    o->ncounts += fcount;
    return (uint32_t)(o->ncounts - fcount);
}

/* n bitmap numbers of bms, into a new array (NULL when memory runs out). */
static uint32_t *put_bitmaps(struct out *o, roaring_bitmap_t *const *bms, size_t n)
{
    uint32_t *refs = malloc((n ? n : 1) * sizeof(*refs));
    if (refs == NULL) {
        o->failed = true;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        refs[i] = bms != NULL ? put_bitmap(o, bms[i]) : NO_BITMAP;
    return refs;
}

static void section(struct snapfile_writer *w, const char *a, const char *b, const void *data,
                    size_t len)
{
    char name[SNAPFILE_NAME_MAX];
    snprintf(name, sizeof(name), "ix.%s%s%s", a, b[0] ? "." : "", b);
    snapfile_section(w, name, data, len);
}

/* The folded fields: all but the name. */
static uint32_t nfolded(const struct index *ix, int f)
{
    return f == CATALOG_NAME ? 0 : index_values(ix, (enum catalog_field)f)->nfolded;
}

int index_snapshot_write(const struct index *ix, struct snapfile_writer *w)
{
    struct out o = {.w = w};
    struct snap_meta m;
    memset(&m, 0, sizeof(m));
    uint32_t *heavy[CATALOG_FIELD_COUNT] = {NULL}, *fold_bm[CATALOG_FIELD_COUNT] = {NULL};
    uint32_t *fold_counts[CATALOG_FIELD_COUNT] = {NULL}, *post[CATALOG_FIELD_COUNT] = {NULL};
    uint32_t *exact[REQUEST_FIELD_COUNT] = {NULL}, *seg[INDEX_PRICE_LEVELS] = {NULL};

    /* 1. every bitmap, in one section; what points at them, in memory */
    snapfile_begin(w, "ix.bitmaps");
    for (int f = 0; f < CATALOG_FIELD_COUNT; f++) {
        const struct index_text *t = &ix->text[f];
        if (t->heavy == NULL)
            continue;
        size_t slots = t->heavy_mask + 1;
        struct snap_heavy *h = calloc(slots, sizeof(*h));
        heavy[f] = (uint32_t *)h;
        if (h == NULL) {
            o.failed = true;
            break;
        }
        for (size_t i = 0; i < slots; i++) {
            const struct index_heavy *x = &t->heavy[i];
            h[i] = (struct snap_heavy){x->depth,
                                       put_bitmap(&o, x->all),
                                       put_bitmap(&o, x->any),
                                       put_bitmap(&o, x->prefix),
                                       put_bitmap(&o, x->word),
                                       put_counts(&o, x->all_counts, ix->fcount),
                                       put_counts(&o, x->counts, ix->fcount),
                                       0};
        }
    }
    for (int f = 0; f < CATALOG_FIELD_COUNT && !o.failed; f++) {
        const struct index_folds *fo = &ix->fold[f];
        uint32_t nf = nfolded(ix, f);
        if (f == CATALOG_NAME)
            continue;
        fold_bm[f] = put_bitmaps(&o, fo->bm, nf);
        if (fo->counts != NULL && (fold_counts[f] = malloc((nf ? nf : 1) * 4)) != NULL)
            for (uint32_t g = 0; g < nf; g++)
                fold_counts[f][g] = put_counts(&o, fo->counts[g], ix->fcount);
        else if (fo->counts != NULL)
            o.failed = true;
    }
    for (int f = 0; f < REQUEST_FIELD_COUNT && !o.failed; f++)
        if (ix->exact[f] != NULL)
            exact[f] = put_bitmaps(
                &o, ix->exact[f],
                index_values(ix, request_catalog_field((enum request_field)f))->count);
    for (int f = 0; f < CATALOG_FIELD_COUNT && !o.failed; f++)
        post[f] = put_bitmaps(&o, ix->post[f], ix->dict.nwords);
    for (unsigned l = 0; l < ix->nlevels && !o.failed; l++)
        seg[l] = put_bitmaps(&o, ix->seg[l], ix->nseg[l]);
    snapfile_end(w);
    if (o.failed)
        goto out;

    /* 2. the header, the bitmaps' places, the counts */
    m.n = ix->n;
    m.fcount = ix->fcount;
    m.tune = ix->tune;
    memcpy(m.foff, ix->foff, sizeof(m.foff));
    m.nlevels = ix->nlevels;
    memcpy(m.nseg, ix->nseg, sizeof(m.nseg));
    m.nbitmaps = o.n;
    m.counts_len = (uint32_t)o.ncounts;
    for (int f = 0; f < REQUEST_FIELD_COUNT; f++)
        m.exact_mask |= (ix->exact[f] != NULL) << f;
    for (int f = 0; f < CATALOG_FIELD_COUNT; f++) {
        const struct index_text *t = &ix->text[f];
        m.text[f] = (struct snap_text){t->per_product, t->own,        t->npieces,
                                       t->tlen,        t->heavy_mask, t->nheavy,
                                       t->heavy != NULL, t->sorted != NULL};
        m.fold_counts_mask |= (ix->fold[f].counts != NULL) << f;
    }
    m.nwords = ix->dict.nwords;
    m.ndel = ix->dict.ndel;
    m.dmask = ix->dict.dmask;
    m.npairs = ix->dict.npairs;
    m.bytes = ix->bytes;
    m.dict_bytes = ix->dict_bytes;
    m.build_s = ix->build_s;
    m.dict_build_s = ix->dict_build_s;
    snapfile_section(w, "ix.meta", &m, sizeof(m));
    snapfile_section(w, "ix.bitmap_at", o.at, (size_t)o.n * 2 * sizeof(*o.at));
    snapfile_section(w, "ix.counts", o.counts, o.ncounts * sizeof(*o.counts));

    /* 3. the arrays */
    for (int f = 0; f < CATALOG_FIELD_COUNT; f++) {
        const struct index_text *t = &ix->text[f];
        const char *fn = FIELD[f];
        section(w, fn, "text", t->text, (size_t)t->tlen + INDEX_PAD);
        section(w, fn, "start", t->start, ((size_t)t->npieces + 1) * sizeof(*t->start));
        if (t->sorted != NULL)
            section(w, fn, "sorted", t->sorted, (size_t)t->own * sizeof(*t->sorted));
        section(w, fn, "sa", t->sa, (size_t)t->tlen * sizeof(*t->sa));
        section(w, fn, "owner", t->owner, (size_t)t->tlen * sizeof(*t->owner));
        section(w, fn, "wstart", t->wstart, ((size_t)t->tlen / 64 + 1) * sizeof(*t->wstart));
        section(w, fn, "bucket", t->bucket, 65537 * sizeof(*t->bucket));
        if (t->heavy != NULL) {
            section(w, fn, "heavy_key", t->heavy_key, (t->heavy_mask + 1) * sizeof(uint64_t));
            section(w, fn, "heavy", heavy[f], (t->heavy_mask + 1) * sizeof(struct snap_heavy));
        }
        section(w, fn, "post", post[f], (size_t)ix->dict.nwords * sizeof(uint32_t));
        if (f == CATALOG_NAME)
            continue;
        const struct index_folds *fo = &ix->fold[f];
        uint32_t nf = nfolded(ix, f);
        section(w, fn, "fold_start", fo->start, ((size_t)nf + 1) * sizeof(*fo->start));
        section(w, fn, "fold_member", fo->member, (size_t)ix->n * sizeof(*fo->member));
        section(w, fn, "fold_bm", fold_bm[f], (size_t)nf * sizeof(uint32_t));
        if (fold_counts[f] != NULL)
            section(w, fn, "fold_counts", fold_counts[f], (size_t)nf * sizeof(uint32_t));
    }
    for (int f = 0; f < REQUEST_FIELD_COUNT; f++)
        if (exact[f] != NULL)
            section(w, "exact", FIELD[request_catalog_field((enum request_field)f)], exact[f],
                    index_values(ix, request_catalog_field((enum request_field)f))->count *
                        sizeof(uint32_t));
    const struct typo_dict *d = &ix->dict;
    section(w, "dict", "chars", d->chars, d->off[d->nwords]);
    section(w, "dict", "off", d->off, ((size_t)d->nwords + 1) * sizeof(*d->off));
    section(w, "dict", "dslot", d->dslot, (d->dmask + 1) * sizeof(*d->dslot));
    section(w, "dict", "dchars", d->dchars, d->doff[d->ndel]);
    section(w, "dict", "doff", d->doff, ((size_t)d->ndel + 1) * sizeof(*d->doff));
    section(w, "dict", "dstart", d->dstart, ((size_t)d->ndel + 1) * sizeof(*d->dstart));
    section(w, "dict", "dword", d->dword, d->npairs * sizeof(*d->dword));
    section(w, "price", "order_asc", ix->order[0], (size_t)ix->n * sizeof(uint32_t));
    section(w, "price", "order_desc", ix->order[1], (size_t)ix->n * sizeof(uint32_t));
    section(w, "price", "rank_asc", ix->rank[0], (size_t)ix->n * sizeof(uint32_t));
    section(w, "price", "rank_desc", ix->rank[1], (size_t)ix->n * sizeof(uint32_t));
    snapfile_begin(w, "ix.price.seg");
    for (unsigned l = 0; l < ix->nlevels; l++)
        snapfile_write(w, seg[l], (size_t)ix->nseg[l] * sizeof(uint32_t));
    snapfile_end(w);
out:
    for (int f = 0; f < CATALOG_FIELD_COUNT; f++) {
        free(heavy[f]);
        free(fold_bm[f]);
        free(fold_counts[f]);
        free(post[f]);
    }
    for (int f = 0; f < REQUEST_FIELD_COUNT; f++)
        free(exact[f]);
    for (unsigned l = 0; l < INDEX_PRICE_LEVELS; l++)
        free(seg[l]);
    free(o.at);
    free(o.buf);
    free(o.counts);
    return o.failed ? -1 : 0;
}

/* ---- reading ----------------------------------------------------------------- */

/* Reading one snapshot: the bitmaps as views, and the first error. */
struct in {
    const struct snapfile *s;
    roaring_bitmap_t **bm; /* per bitmap number: its view */
    uint32_t nbitmaps;
    const uint32_t *counts;
    uint32_t ncounts;
    char *err;
    bool failed;
};

/* Section ix.a[.b] of exactly len bytes, or NULL (err set). */
static const void *need(struct in *in, const char *a, const char *b, size_t len)
{
    if (in->failed)
        return NULL;
    char name[SNAPFILE_NAME_MAX];
    snprintf(name, sizeof(name), "ix.%s%s%s", a, b[0] ? "." : "", b);
    size_t got;
    const void *p = snapfile_get(in->s, name, &got);
    if (p == NULL || got != len) {
        if (p == NULL)
            snprintf(in->err, SNAPFILE_ERROR_MAX, "section \"%s\" missing", name);
        else
            snprintf(in->err, SNAPFILE_ERROR_MAX, "section \"%s\": %zu bytes, %zu expected",
                     name, got, len);
        in->failed = true;
        return NULL;
    }
    return p;
}

static roaring_bitmap_t *bitmap(struct in *in, uint32_t ref)
{
    if (ref == NO_BITMAP || in->failed)
        return NULL;
    if (ref >= in->nbitmaps) {
        snprintf(in->err, SNAPFILE_ERROR_MAX, "bitmap %u of %u", ref, in->nbitmaps);
        in->failed = true;
        return NULL;
    }
    /* each view is its own, so that index_destroy() frees each once */
    roaring_bitmap_t *b = in->bm[ref];
    in->bm[ref] = NULL;
    if (b == NULL) {
        snprintf(in->err, SNAPFILE_ERROR_MAX, "bitmap %u used twice", ref);
        in->failed = true;
    }
    return b;
}

/* n views from n bitmap numbers, into a new pointer array. */
static roaring_bitmap_t **bitmaps(struct in *in, const uint32_t *refs, size_t n)
{
    if (refs == NULL || in->failed)
        return NULL;
    roaring_bitmap_t **out = calloc(n ? n : 1, sizeof(*out));
    if (out == NULL) {
        snprintf(in->err, SNAPFILE_ERROR_MAX, "out of memory");
        in->failed = true;
        return NULL;
    }
    for (size_t i = 0; i < n && !in->failed; i++)
        out[i] = bitmap(in, refs[i]);
    return out;
}

static uint32_t *counts(struct in *in, uint32_t at, uint32_t fcount)
{
    if (at == NO_COUNTS || in->failed)
        return NULL;
    if ((uint64_t)at + fcount > in->ncounts) {
        snprintf(in->err, SNAPFILE_ERROR_MAX, "counts at %u of %u", at, in->ncounts);
        in->failed = true;
        return NULL;
    }
    return (uint32_t *)(in->counts + at);
}

/* The bitmaps' views. */
static void views(struct in *in, uint32_t nbitmaps)
{
    size_t len;
    const char *blob = snapfile_get(in->s, "ix.bitmaps", &len);
    const uint64_t *at = need(in, "bitmap_at", "", (size_t)nbitmaps * 2 * sizeof(uint64_t));
    if (blob == NULL || at == NULL) {
        if (!in->failed)
            snprintf(in->err, SNAPFILE_ERROR_MAX, "section \"ix.bitmaps\" missing");
        in->failed = true;
        return;
    }
    in->bm = calloc(nbitmaps ? nbitmaps : 1, sizeof(*in->bm));
    if (in->bm == NULL) {
        snprintf(in->err, SNAPFILE_ERROR_MAX, "out of memory");
        in->failed = true;
        return;
    }
    in->nbitmaps = nbitmaps;
    for (uint32_t i = 0; i < nbitmaps; i++) {
        uint64_t off = at[2 * i], n = at[2 * i + 1];
        if (off % FROZEN_ALIGN != 0 || off > len || n > len - off ||
            (in->bm[i] = (roaring_bitmap_t *)roaring_bitmap_frozen_view(blob + off, n)) == NULL) {
            snprintf(in->err, SNAPFILE_ERROR_MAX, "bitmap %u of %u out of shape", i, nbitmaps);
            in->failed = true;
            return;
        }
    }
}

/* Whether every entry of a (n u32) is below limit. */
static bool below(const uint32_t *a, size_t n, uint64_t limit)
{
    for (size_t i = 0; a != NULL && i < n; i++)
        if (a[i] >= limit)
            return false;
    return true;
}

static void check(struct in *in, bool ok, const char *what)
{
    if (!ok && !in->failed) {
        snprintf(in->err, SNAPFILE_ERROR_MAX, "%s out of shape", what);
        in->failed = true;
    }
}

struct index *index_snapshot_open(const struct tables *t, const struct snapfile *s, char *err)
{
    struct in in = {.s = s, .err = err};
    const struct snap_meta *m = need(&in, "meta", "", sizeof(struct snap_meta));
    struct index *ix = calloc(1, sizeof(*ix));
    if (m == NULL || ix == NULL) {
        if (ix == NULL)
            snprintf(err, SNAPFILE_ERROR_MAX, "out of memory");
        free(ix);
        return NULL;
    }
    ix->mapped = true;
    ix->tables = t;
    if (m->n != t->count) {
        snprintf(err, SNAPFILE_ERROR_MAX, "the index holds %u products, the catalog %zu", m->n,
                 t->count);
        free(ix);
        return NULL;
    }
    ix->n = m->n;
    ix->tune = m->tune;
    ix->fcount = m->fcount;
    memcpy(ix->foff, m->foff, sizeof(ix->foff));
    ix->bytes = m->bytes;
    ix->dict_bytes = m->dict_bytes;
    ix->build_s = m->build_s;
    ix->dict_build_s = m->dict_build_s;
    size_t n = ix->n;
    views(&in, m->nbitmaps);
    in.ncounts = m->counts_len;
    in.counts = need(&in, "counts", "", (size_t)m->counts_len * sizeof(uint32_t));
    check(&in, m->nlevels <= INDEX_PRICE_LEVELS, "price tree");

    for (int f = 0; f < CATALOG_FIELD_COUNT && !in.failed; f++) {
        struct index_text *x = &ix->text[f];
        const struct snap_text *st = &m->text[f];
        const char *fn = FIELD[f];
        x->field = (enum catalog_field)f;
        x->per_product = st->per_product;
        x->own = st->own;
        x->npieces = st->npieces;
        x->tlen = st->tlen;
        size_t tlen = x->tlen;
        x->text = (unsigned char *)need(&in, fn, "text", tlen + INDEX_PAD);
        x->start = (uint32_t *)need(&in, fn, "start", ((size_t)x->npieces + 1) * 4);
        if (st->has_sorted)
            x->sorted = (uint32_t *)need(&in, fn, "sorted", (size_t)x->own * 4);
        x->sa = (int32_t *)need(&in, fn, "sa", tlen * 4);
        x->owner = (uint32_t *)need(&in, fn, "owner", tlen * 4);
        x->wstart = (uint64_t *)need(&in, fn, "wstart", (tlen / 64 + 1) * 8);
        x->bucket = (uint32_t *)need(&in, fn, "bucket", 65537 * 4);
        check(&in, x->own <= x->npieces && (!x->per_product || x->own == n), fn);
        check(&in, in.failed || (x->start[x->npieces] <= tlen + 1 && below(x->bucket, 65537, tlen + 1)),
              fn);
        if (st->has_heavy && !in.failed) {
            x->heavy_mask = (size_t)st->heavy_mask;
            x->nheavy = (size_t)st->nheavy;
            check(&in, x->heavy_mask < ((size_t)1 << 40) && (x->heavy_mask & (x->heavy_mask + 1)) == 0,
                  fn);
            size_t slots = x->heavy_mask + 1;
            x->heavy_key = (uint64_t *)need(&in, fn, "heavy_key", slots * 8);
            const struct snap_heavy *h = need(&in, fn, "heavy", slots * sizeof(*h));
            if (!in.failed && (x->heavy = calloc(slots, sizeof(*x->heavy))) == NULL)
                check(&in, false, "memory");
            for (size_t i = 0; i < slots && !in.failed; i++) {
                check(&in, (x->heavy_key[i] >> 32) <= tlen && (uint32_t)x->heavy_key[i] <= tlen,
                      fn);
                x->heavy[i] = (struct index_heavy){h[i].depth,
                                                   bitmap(&in, h[i].all),
                                                   counts(&in, h[i].all_counts, ix->fcount),
                                                   bitmap(&in, h[i].any),
                                                   bitmap(&in, h[i].prefix),
                                                   bitmap(&in, h[i].word),
                                                   counts(&in, h[i].counts, ix->fcount)};
            }
        }
    }
    for (int f = 0; f < CATALOG_FIELD_COUNT && !in.failed; f++) {
        if (f == CATALOG_NAME)
            continue;
        struct index_folds *fo = &ix->fold[f];
        const char *fn = FIELD[f];
        uint32_t nf = nfolded(ix, f);
        fo->start = (uint32_t *)need(&in, fn, "fold_start", ((size_t)nf + 1) * 4);
        fo->member = (uint32_t *)need(&in, fn, "fold_member", n * 4);
        fo->bm = bitmaps(&in, need(&in, fn, "fold_bm", (size_t)nf * 4), nf);
        check(&in, in.failed || fo->start[nf] == n, fn);
        if (m->fold_counts_mask >> f & 1) {
            const uint32_t *at = need(&in, fn, "fold_counts", (size_t)nf * 4);
            if (!in.failed && (fo->counts = calloc(nf ? nf : 1, sizeof(*fo->counts))) == NULL)
                check(&in, false, "memory");
            for (uint32_t g = 0; g < nf && !in.failed; g++)
                fo->counts[g] = counts(&in, at[g], ix->fcount);
        }
    }
    for (int f = 0; f < REQUEST_FIELD_COUNT && !in.failed; f++)
        if (m->exact_mask >> f & 1) {
            enum catalog_field cf = request_catalog_field((enum request_field)f);
            uint32_t count = index_values(ix, cf)->count;
            ix->exact[f] = bitmaps(&in, need(&in, "exact", FIELD[cf], (size_t)count * 4), count);
        }
    struct typo_dict *d = &ix->dict;
    if (!in.failed) {
        d->borrowed = true;
        d->nwords = m->nwords;
        d->ndel = m->ndel;
        d->dmask = (size_t)m->dmask;
        d->npairs = (size_t)m->npairs;
        check(&in, d->dmask < ((size_t)1 << 40) && (d->dmask & (d->dmask + 1)) == 0, "dictionary");
        d->off = (uint32_t *)need(&in, "dict", "off", ((size_t)d->nwords + 1) * 4);
        d->doff = (uint32_t *)need(&in, "dict", "doff", ((size_t)d->ndel + 1) * 4);
        d->chars = (char *)need(&in, "dict", "chars", in.failed ? 0 : d->off[d->nwords]);
        d->dchars = (char *)need(&in, "dict", "dchars", in.failed ? 0 : d->doff[d->ndel]);
        d->dslot = (uint32_t *)need(&in, "dict", "dslot", (d->dmask + 1) * 4);
        d->dstart = (uint32_t *)need(&in, "dict", "dstart", ((size_t)d->ndel + 1) * 4);
        d->dword = (uint32_t *)need(&in, "dict", "dword", d->npairs * 4);
        check(&in, in.failed || (below(d->dslot, d->dmask + 1, (uint64_t)d->ndel + 1) &&
                                 below(d->dword, d->npairs, d->nwords) &&
                                 d->dstart[d->ndel] == d->npairs),
              "dictionary");
        for (uint32_t i = 0; i < d->nwords && !in.failed; i++)
            check(&in, d->off[i] <= d->off[i + 1], "dictionary");
        for (uint32_t k = 0; k < d->ndel && !in.failed; k++)
            check(&in, d->doff[k] <= d->doff[k + 1] && d->dstart[k] <= d->dstart[k + 1],
                  "dictionary");
    }
    for (int f = 0; f < CATALOG_FIELD_COUNT && !in.failed; f++)
        ix->post[f] = bitmaps(&in, need(&in, FIELD[f], "post", (size_t)d->nwords * 4), d->nwords);
    ix->order[0] = (uint32_t *)need(&in, "price", "order_asc", n * 4);
    ix->order[1] = (uint32_t *)need(&in, "price", "order_desc", n * 4);
    ix->rank[0] = (uint32_t *)need(&in, "price", "rank_asc", n * 4);
    ix->rank[1] = (uint32_t *)need(&in, "price", "rank_desc", n * 4);
    size_t nseg = 0;
    for (unsigned l = 0; l < m->nlevels && !in.failed; l++)
        nseg += m->nseg[l];
    const uint32_t *seg = need(&in, "price", "seg", nseg * 4);
    for (unsigned l = 0; l < m->nlevels && !in.failed; l++) {
        ix->nseg[l] = m->nseg[l];
        ix->seg[l] = bitmaps(&in, seg, ix->nseg[l]);
        ix->nlevels = l + 1;
        seg += ix->nseg[l];
    }
    /* views no structure took (none, in a file this build wrote) */
    for (uint32_t i = 0; i < in.nbitmaps; i++)
        if (in.bm[i] != NULL)
            roaring_bitmap_free(in.bm[i]);
    free(in.bm);
    if (in.failed) {
        index_destroy(ix);
        return NULL;
    }
    return ix;
}
