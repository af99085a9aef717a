/* tables: the lower-cased scan text and the value tables, each built in one
 * pass over the catalog. */
#define _GNU_SOURCE /* qsort_r */
#include "tables.h"

#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "snapfile.h"
#include "text.h"

static int str_cmp(const char *a, size_t an, const char *b, size_t bn, bool fold)
{
    return fold ? text_casecmp(a, an, b, bn) : text_cmp(a, an, b, bn);
}

static uint64_t str_hash(const char *s, size_t n, bool fold)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    if (fold) {
        for (size_t i = 0; i < n; i++)
            h = (h ^ (unsigned char)text_lower(s[i])) * 1099511628211u;
    } else {
        for (size_t i = 0; i < n; i++)
            h = (h ^ (unsigned char)s[i]) * 1099511628211u;
    }
    return h;
}

/* The strings grouped by distinct(): string i is field f of product at[i]. */
struct strings {
    const struct catalog *cat; /* where the strings live */
    enum catalog_field f;      /* which field */
    const uint32_t *at;        /* product of each string, or NULL: string i is product i's */
    bool fold;                 /* compare ASCII lower-cased */
};

static const char *str_at(const struct strings *ss, size_t i, size_t *len)
{
    const struct product *p = &ss->cat->items[ss->at ? ss->at[i] : i];
    struct catalog_str s = catalog_field(p, ss->f);
    *len = s.len;
    return catalog_text(ss->cat, s);
}

static int rep_cmp(const void *a, const void *b, void *ctx)
{
    const struct strings *ss = ctx;
    size_t an, bn;
    const char *as = str_at(ss, *(const uint32_t *)a, &an);
    const char *bs = str_at(ss, *(const uint32_t *)b, &bn);
    return str_cmp(as, an, bs, bn, ss->fold);
}

/* Groups the n strings of ss into distinct values: id_of[i] gets string i's
 * value id, ids in the byte order of the values; *reps gets (malloc) one
 * string index per id. Returns the number of values, or -1 when memory runs
 * out. A hash table finds the values in one pass; only they are sorted. */
static long distinct(const struct strings *ss, size_t n, uint32_t *id_of, uint32_t **reps)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    uint32_t *slot = calloc(cap, sizeof(*slot)); /* value number + 1, 0 = empty */
    uint32_t *rep = malloc((n ? n : 1) * sizeof(*rep));
    uint32_t *rank = NULL;
    long count = -1;
    if (slot == NULL || rep == NULL)
        goto out;
    uint32_t nv = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *s = str_at(ss, i, &len);
        size_t h = (size_t)str_hash(s, len, ss->fold) & (cap - 1);
        for (;; h = (h + 1) & (cap - 1)) {
            if (slot[h] == 0) {
                rep[nv] = (uint32_t)i;
                slot[h] = ++nv;
                id_of[i] = nv - 1;
                break;
            }
            size_t olen;
            const char *o = str_at(ss, rep[slot[h] - 1], &olen);
            if (str_cmp(s, len, o, olen, ss->fold) == 0) {
                id_of[i] = slot[h] - 1;
                break;
            }
        }
    }
    /* Number the values in byte order. */
    uint32_t *order = malloc((nv ? nv : 1) * sizeof(*order));
    rank = malloc((nv ? nv : 1) * sizeof(*rank));
    if (order == NULL || rank == NULL) {
        free(order);
        goto out;
    }
    for (uint32_t v = 0; v < nv; v++)
        order[v] = rep[v];
    qsort_r(order, nv, sizeof(*order), rep_cmp, (void *)ss);
    for (uint32_t r = 0; r < nv; r++) {
        rep[r] = order[r];
        rank[id_of[order[r]]] = r; /* the first-seen string of each value is its rep */
    }
    free(order);
    for (size_t i = 0; i < n; i++)
        id_of[i] = rank[id_of[i]];
    *reps = rep;
    rep = NULL;
    count = nv;
out:
    free(slot);
    free(rep);
    free(rank);
    return count;
}

static void values_deinit(struct tables_values *v)
{
    free(v->of);
    free(v->rep);
    free(v->folded);
    free(v->fold_rep);
    memset(v, 0, sizeof(*v));
}

/* The value tables of field f: exact values, then their folded groups. */
static int values_init(struct tables_values *v, const struct catalog *cat, enum catalog_field f)
{
    memset(v, 0, sizeof(*v));
    v->of = malloc((cat->count ? cat->count : 1) * sizeof(*v->of));
    if (v->of == NULL)
        return -1;
    struct strings exact = {cat, f, NULL, false};
    long n = distinct(&exact, cat->count, v->of, &v->rep);
    if (n < 0)
        goto error;
    v->count = (uint32_t)n;
    v->folded = malloc((n ? (size_t)n : 1) * sizeof(*v->folded));
    if (v->folded == NULL)
        goto error;
    struct strings folded = {cat, f, v->rep, true};
    uint32_t *reps; /* indexes into v->rep */
    long g = distinct(&folded, (size_t)n, v->folded, &reps);
    if (g < 0)
        goto error;
    for (long i = 0; i < g; i++)
        reps[i] = v->rep[reps[i]];
    v->fold_rep = reps;
    v->nfolded = (uint32_t)g;
    return 0;
error:
    values_deinit(v);
    return -1;
}

/* For each of the first scanned products its fields a and b lower-cased, each
 * followed by a NUL, into *text, with scanned + 1 offsets into *offs.
 * Returns 0, or -1 when memory runs out or the text would pass 4 GiB. */
static int texts(char **text, uint32_t **offs, const struct catalog *cat, size_t scanned,
                 enum catalog_field a, enum catalog_field b)
{
    size_t total = 0;
    for (size_t k = 0; k < scanned; k++)
        total += catalog_field(&cat->items[k], a).len + catalog_field(&cat->items[k], b).len + 2;
    if (total > UINT32_MAX)
        return -1;
    *text = malloc(total ? total : 1);
    *offs = malloc((scanned + 1) * sizeof(**offs));
    if (*text == NULL || *offs == NULL)
        return -1;
    catalog_huge_pages(*text, total);
    char *w = *text;
    for (size_t k = 0; k < scanned; k++) {
        struct catalog_str x = catalog_field(&cat->items[k], a);
        struct catalog_str y = catalog_field(&cat->items[k], b);
        (*offs)[k] = (uint32_t)(w - *text);
        w = text_lower_copy(w, catalog_text(cat, x), x.len);
        *w++ = '\0';
        w = text_lower_copy(w, catalog_text(cat, y), y.len);
        *w++ = '\0';
    }
    (*offs)[scanned] = (uint32_t)(w - *text);
    return 0;
}

int tables_init(struct tables *t, const struct catalog *cat, size_t scanned)
{
    memset(t, 0, sizeof(*t));
    t->cat = cat;
    t->count = cat->count;
    if (scanned > cat->count)
        scanned = cat->count;
    if (texts(&t->text, &t->offs, cat, scanned, CATALOG_NAME, CATALOG_CATEGORY) != 0 ||
        texts(&t->more, &t->more_offs, cat, scanned, CATALOG_DESCRIPTION, CATALOG_BRAND) != 0)
        goto error;
    if (values_init(&t->values[CATALOG_CATEGORY], cat, CATALOG_CATEGORY) != 0 ||
        values_init(&t->values[CATALOG_BRAND], cat, CATALOG_BRAND) != 0 ||
        values_init(&t->values[CATALOG_DESCRIPTION], cat, CATALOG_DESCRIPTION) != 0)
        goto error;
    t->scanned = scanned;
    return 0;
error:
    tables_deinit(t);
    return -1;
}

void tables_deinit(struct tables *t)
{
    free(t->text);
    free(t->offs);
    free(t->more);
    free(t->more_offs);
    for (int f = 0; f < CATALOG_FIELD_COUNT && !t->borrowed; f++)
        values_deinit(&t->values[f]);
    memset(t, 0, sizeof(*t));
}

const char *tables_field(const struct tables *t, size_t k, enum catalog_field f, size_t *len)
{
    const struct product *p = &t->cat->items[k];
    *len = catalog_field(p, f).len;
    switch (f) {
    case CATALOG_NAME:
        return t->text + t->offs[k];
    case CATALOG_CATEGORY:
        return t->text + t->offs[k] + p->name.len + 1;
    case CATALOG_DESCRIPTION:
        return t->more + t->more_offs[k];
    default:
        return t->more + t->more_offs[k] + p->description.len + 1;
    }
}

uint32_t tables_fold_find(const struct tables *t, enum catalog_field f, const char *v, size_t vn)
{
    const struct tables_values *vals = &t->values[f];
    uint32_t lo = 0, hi = vals->nfolded;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        struct catalog_str s = catalog_field(&t->cat->items[vals->fold_rep[mid]], f);
        int c = text_casecmp(catalog_text(t->cat, s), s.len, v, vn);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return UINT32_MAX;
}

/* ---- snapshots -------------------------------------------------------------- */

static const char *const SNAP_FIELD[CATALOG_FIELD_COUNT] = {"name", "category", "description",
                                                            "brand"};

/* The fields with value tables. */
static bool has_values(enum catalog_field f)
{
    return f != CATALOG_NAME;
}

/* One array of a field's value table: its section name and where it goes. */
struct snap_array {
    const char *part;
    uint32_t **at;
    size_t count;
};

static void value_arrays(struct tables_values *v, size_t products, struct snap_array out[4])
{
    out[0] = (struct snap_array){"of", &v->of, products};
    out[1] = (struct snap_array){"rep", &v->rep, v->count};
    out[2] = (struct snap_array){"folded", &v->folded, v->count};
    out[3] = (struct snap_array){"fold_rep", &v->fold_rep, v->nfolded};
}

void tables_snapshot_write(const struct tables *t, struct snapfile_writer *w)
{
    uint32_t counts[CATALOG_FIELD_COUNT][2];
    for (int f = 0; f < CATALOG_FIELD_COUNT; f++) {
        counts[f][0] = t->values[f].count;
        counts[f][1] = t->values[f].nfolded;
    }
    snapfile_section(w, "tables.counts", counts, sizeof(counts));
    for (int f = 0; f < CATALOG_FIELD_COUNT; f++) {
        if (!has_values((enum catalog_field)f))
            continue;
        struct tables_values v = t->values[f];
        struct snap_array arrays[4];
        value_arrays(&v, t->count, arrays);
        for (size_t i = 0; i < COUNT_OF(arrays); i++) {
            char name[SNAPFILE_NAME_MAX];
            snprintf(name, sizeof(name), "tables.%s.%s", SNAP_FIELD[f], arrays[i].part);
            snapfile_section(w, name, *arrays[i].at, arrays[i].count * sizeof(uint32_t));
        }
    }
}

int tables_snapshot_open(struct tables *t, const struct catalog *cat, const struct snapfile *s,
                         char *err)
{
    memset(t, 0, sizeof(*t));
    t->cat = cat;
    t->count = cat->count;
    t->borrowed = true;
    size_t len;
    const uint32_t *counts = snapfile_get(s, "tables.counts", &len); /* per field: 2 */
    if (counts == NULL || len != 2 * CATALOG_FIELD_COUNT * sizeof(uint32_t)) {
        snprintf(err, SNAPFILE_ERROR_MAX, "section \"tables.counts\" missing or out of shape");
        return -1;
    }
    for (int f = 0; f < CATALOG_FIELD_COUNT; f++) {
        if (!has_values((enum catalog_field)f))
            continue;
        struct tables_values *v = &t->values[f];
        v->count = counts[2 * f];
        v->nfolded = counts[2 * f + 1];
        struct snap_array arrays[4];
        value_arrays(v, t->count, arrays);
        for (size_t i = 0; i < COUNT_OF(arrays); i++) {
            char name[SNAPFILE_NAME_MAX];
            snprintf(name, sizeof(name), "tables.%s.%s", SNAP_FIELD[f], arrays[i].part);
            *arrays[i].at = (uint32_t *)snapfile_get(s, name, &len);
            if (*arrays[i].at == NULL || len != arrays[i].count * sizeof(uint32_t)) {
                snprintf(err, SNAPFILE_ERROR_MAX, "section \"%s\" missing or out of shape", name);
                memset(t, 0, sizeof(*t));
                return -1;
            }
        }
        /* ids within their tables: the index reads through them */
        for (size_t k = 0; k < t->count; k++)
            if (v->of[k] >= v->count)
                goto bad;
        for (uint32_t i = 0; i < v->count; i++)
            if (v->rep[i] >= t->count || v->folded[i] >= v->nfolded)
                goto bad;
        for (uint32_t i = 0; i < v->nfolded; i++)
            if (v->fold_rep[i] >= t->count)
                goto bad;
    }
    /* no scan text: a whole-catalog engine scans nothing */
    t->text = calloc(1, 1);
    t->more = calloc(1, 1);
    t->offs = calloc(1, sizeof(*t->offs));
    t->more_offs = calloc(1, sizeof(*t->more_offs));
    if (t->text == NULL || t->more == NULL || t->offs == NULL || t->more_offs == NULL) {
        snprintf(err, SNAPFILE_ERROR_MAX, "out of memory");
        tables_deinit(t);
        return -1;
    }
    return 0;
bad:
    snprintf(err, SNAPFILE_ERROR_MAX, "the value tables are out of shape");
    memset(t, 0, sizeof(*t));
    return -1;
}
