/* catalog_file: JSON and JSON Lines catalogs, validated record by record. */
#define _GNU_SOURCE /* getline */
#include "catalog_file.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "text.h"

#define ID_MAX 9007199254740991.0  /* 2^53 - 1: every id a double holds exactly */
#define PRICE_MAX 1e13             /* ten trillion: far above any real price */

/* Where a record came from, for error lines. */
struct origin {
    const char *path; /* the file */
    size_t record;    /* 1-based record number */
    size_t line;      /* 1-based line number, 0 when unknown */
};

static void fail(char *err, const struct origin *o, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(char *err, const struct origin *o, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (o->line)
        snprintf(err, CATALOG_FILE_ERROR_MAX, "PRODUCTS_FILE %s: record %zu (line %zu): %s",
                 o->path, o->record, o->line, what);
    else
        snprintf(err, CATALOG_FILE_ERROR_MAX, "PRODUCTS_FILE %s: record %zu: %s", o->path,
                 o->record, what);
}

static const char *const STRING_FIELDS[] = {"name", "category", "description", "brand"};

/* Checks one product object and appends it. Returns 0, or -1 with err set. */
static int add_record(struct catalog *cat, const cJSON *obj, const struct origin *o, char *err)
{
    if (!cJSON_IsObject(obj)) {
        fail(err, o, "%s", "expected a JSON object");
        return -1;
    }
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(obj, "id");
    if (id == NULL) {
        fail(err, o, "missing field \"%s\"", "id");
        return -1;
    }
    if (!cJSON_IsNumber(id) || id->valuedouble != floor(id->valuedouble) ||
        id->valuedouble < 1 || id->valuedouble > ID_MAX) {
        fail(err, o, "field \"%s\" must be a positive integer", "id");
        return -1;
    }
    const char *s[4];
    size_t len[4];
    for (size_t i = 0; i < 4; i++) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(obj, STRING_FIELDS[i]);
        if (f == NULL) {
            fail(err, o, "missing field \"%s\"", STRING_FIELDS[i]);
            return -1;
        }
        if (!cJSON_IsString(f)) {
            fail(err, o, "field \"%s\" must be a string", STRING_FIELDS[i]);
            return -1;
        }
        s[i] = f->valuestring;
        len[i] = strlen(s[i]);
        if (len[i] > CATALOG_MAX_STRING) {
            fail(err, o, "field \"%s\" is longer than 4096 bytes", STRING_FIELDS[i]);
            return -1;
        }
        if (!text_utf8_valid(s[i], len[i])) {
            fail(err, o, "field \"%s\" is not valid UTF-8", STRING_FIELDS[i]);
            return -1;
        }
    }
    const cJSON *price = cJSON_GetObjectItemCaseSensitive(obj, "price");
    if (price == NULL) {
        fail(err, o, "missing field \"%s\"", "price");
        return -1;
    }
    if (!cJSON_IsNumber(price) || !(price->valuedouble >= 0) || price->valuedouble > PRICE_MAX) {
        fail(err, o, "field \"%s\" must be a number from 0 to 10000000000000", "price");
        return -1;
    }
    if (cat->count >= CATALOG_MAX_PRODUCTS) {
        fail(err, o, "%s", "more than 10000000 products");
        return -1;
    }
    uint64_t cents = (uint64_t)llround(price->valuedouble * 100.0);
    if (catalog_add(cat, (uint64_t)id->valuedouble, cents, s[0], len[0], s[1], len[1], s[2],
                    len[2], s[3], len[3]) != 0) {
        fail(err, o, "%s", "out of memory");
        return -1;
    }
    return 0;
}

/* Line and column (1-based) of offset pos in buf. */
static void locate(const char *buf, size_t pos, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < pos; i++) {
        if (buf[i] == '\n')
            (*line)++, *col = 1;
        else
            (*col)++;
    }
}

static void fail_syntax(char *err, const char *path, const char *buf, size_t pos)
{
    size_t line, col;
    locate(buf, pos, &line, &col);
    snprintf(err, CATALOG_FILE_ERROR_MAX,
             "PRODUCTS_FILE %s: malformed JSON at line %zu, column %zu", path, line, col);
}

/* The whole file is one JSON array: parsed as one tree (arrays are for small
 * catalogs; large ones should be JSON Lines). */
static int load_array(struct catalog *cat, FILE *f, const char *path, char *err)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 65536) {
            cap = cap ? cap * 2 : 1 << 20;
            char *grown = realloc(buf, cap);
            if (grown == NULL) {
                free(buf);
                snprintf(err, CATALOG_FILE_ERROR_MAX, "PRODUCTS_FILE %s: out of memory", path);
                return -1;
            }
            buf = grown;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    buf[len] = '\0';
    if (ferror(f)) {
        snprintf(err, CATALOG_FILE_ERROR_MAX, "PRODUCTS_FILE %s: read error: %s", path,
                 strerror(errno));
        free(buf);
        return -1;
    }
    const char *end = NULL;
    /* The length counts the terminator: cJSON checks for it within the length. */
    cJSON *root = cJSON_ParseWithLengthOpts(buf, len + 1, &end, 1);
    int ret = -1;
    if (root == NULL) {
        fail_syntax(err, path, buf, end ? (size_t)(end - buf) : 0);
        goto out;
    }
    if (!cJSON_IsArray(root)) {
        snprintf(err, CATALOG_FILE_ERROR_MAX, "PRODUCTS_FILE %s: expected a JSON array", path);
        goto out;
    }
    struct origin o = {path, 0, 0};
    for (const cJSON *item = root->child; item != NULL; item = item->next) {
        o.record++;
        if (add_record(cat, item, &o, err) != 0)
            goto out;
    }
    ret = 0;
out:
    cJSON_Delete(root);
    free(buf);
    return ret;
}

/* One object per line, parsed one line at a time; blank lines are skipped. */
static int load_lines(struct catalog *cat, FILE *f, const char *path, char *err)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    struct origin o = {path, 0, 0};
    int ret = -1;
    while ((n = getline(&line, &cap, f)) >= 0) {
        o.line++;
        const char *p = line;
        size_t len = (size_t)n;
        text_trim_ascii(&p, &len);
        if (len == 0)
            continue;
        o.record++;
        const char *end = NULL;
        cJSON *obj = cJSON_ParseWithLengthOpts(p, len, &end, 0);
        if (obj == NULL || end != p + len) {
            size_t col = (end ? (size_t)(end - line) : 0) + 1;
            snprintf(err, CATALOG_FILE_ERROR_MAX,
                     "PRODUCTS_FILE %s: malformed JSON at line %zu, column %zu", path, o.line,
                     col);
            cJSON_Delete(obj);
            goto out;
        }
        int bad = add_record(cat, obj, &o, err);
        cJSON_Delete(obj);
        if (bad)
            goto out;
    }
    if (ferror(f)) {
        snprintf(err, CATALOG_FILE_ERROR_MAX, "PRODUCTS_FILE %s: read error: %s", path,
                 strerror(errno));
        goto out;
    }
    ret = 0;
out:
    free(line);
    return ret;
}

static int by_id(const void *a, const void *b)
{
    uint64_t x = ((const struct product *)a)->id, y = ((const struct product *)b)->id;
    return (x > y) - (x < y);
}

int catalog_load_file(struct catalog *cat, const char *path, char *err)
{
    catalog_init(cat);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, CATALOG_FILE_ERROR_MAX, "PRODUCTS_FILE %s: cannot open: %s", path,
                 strerror(errno));
        return -1;
    }
    int c;
    while ((c = getc(f)) == ' ' || c == '\t' || c == '\n' || c == '\r')
        ;
    if (c != EOF)
        ungetc(c, f);
    int ret;
    if (c == EOF) {
        snprintf(err, CATALOG_FILE_ERROR_MAX, "PRODUCTS_FILE %s: empty catalog", path);
        ret = -1;
    } else {
        rewind(f);
        ret = (c == '[') ? load_array(cat, f, path, err) : load_lines(cat, f, path, err);
    }
    fclose(f);
    if (ret == 0 && cat->count == 0) {
        snprintf(err, CATALOG_FILE_ERROR_MAX, "PRODUCTS_FILE %s: empty catalog", path);
        ret = -1;
    }
    if (ret == 0) {
        qsort(cat->items, cat->count, sizeof(cat->items[0]), by_id);
        for (size_t k = 1; k < cat->count; k++) {
            if (cat->items[k].id == cat->items[k - 1].id) {
                snprintf(err, CATALOG_FILE_ERROR_MAX,
                         "PRODUCTS_FILE %s: duplicate id %llu", path,
                         (unsigned long long)cat->items[k].id);
                ret = -1;
                break;
            }
        }
    }
    if (ret != 0)
        catalog_deinit(cat);
    else
        catalog_shrink(cat);
    return ret;
}
