/* catalog_file: JSON and JSON Lines catalogs, validated record by record. */
#define _GNU_SOURCE /* getline */
#include "catalog_file.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "text.h"

#define ID_MAX 9007199254740991.0  /* 2^53 - 1: every id a double holds exactly */
#define PRICE_MAX_CENTS 1000000000000000ULL /* ten trillion (1e13) in cents */

/* Where a record came from, for error lines. */
struct origin {
    const char *path; /* the file */
    size_t record;    /* 1-based record number */
    size_t line;      /* 1-based line number, 0 when unknown */
};

/* Writes the error line (file, record, line, what) into err; returns -1, so
 * that a refusal is `return fail(...)`. */
static int fail(char *err, const struct origin *o, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, const struct origin *o, const char *fmt, ...)
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
    return -1;
}

/* The text of one JSON value inside the file's bytes. */
struct span {
    const char *p; /* first byte */
    size_t len;    /* bytes */
};

/* cJSON hands back values, not the text they came from: a number as a double
 * (0.285 and 1.005 are then already rounded) and a string up to its first NUL
 * (a "\u0000" silently cuts it). The helpers below step over the text of a
 * document cJSON has already accepted, member by member in the order cJSON
 * keeps them, so that the loader can read a price exactly from its digits and
 * see a NUL inside a string. They never read past end, whatever the text. */

/* White space as cJSON skips it: every byte up to 0x20. */
static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (unsigned char)*p <= 0x20)
        p++;
    return p;
}

/* p at an opening quote; returns the byte after the closing one. */
static const char *skip_string(const char *p, const char *end)
{
    for (p++; p < end && *p != '"'; p++) {
        if (*p == '\\' && p + 1 < end)
            p++;
    }
    return p < end ? p + 1 : end;
}

/* Steps over one value of any kind; always makes progress. */
static const char *skip_value(const char *p, const char *end)
{
    if (p >= end)
        return end;
    if (*p == '"')
        return skip_string(p, end);
    if (*p == '{' || *p == '[') {
        size_t depth = 0;
        while (p < end) {
            if (*p == '"') {
                p = skip_string(p, end);
                continue;
            }
            if (*p == '{' || *p == '[')
                depth++;
            else if ((*p == '}' || *p == ']') && --depth == 0)
                return p + 1;
            p++;
        }
        return end;
    }
    /* a number or a literal: up to the next delimiter */
    const char *start = p;
    while (p < end && (unsigned char)*p > 0x20 && !strchr(",:]}[{\"", *p))
        p++;
    return p > start ? p : start + 1;
}

/* Steps over the next member ("key": value) of an object whose text *cur is
 * inside (just after '{' or after the previous member); returns the value. */
static struct span next_member(const char **cur, const char *end)
{
    const char *p = skip_ws(*cur, end);
    if (p < end && *p == ',')
        p = skip_ws(p + 1, end);
    if (p < end && *p == '"')
        p = skip_string(p, end);
    p = skip_ws(p, end);
    if (p < end && *p == ':')
        p = skip_ws(p + 1, end);
    const char *e = skip_value(p, end);
    *cur = e;
    return (struct span){p, (size_t)(e - p)};
}

/* Steps over the next element of an array whose text *cur is inside (just
 * after '[' or after the previous element); returns it. */
static struct span next_element(const char **cur, const char *end)
{
    const char *p = skip_ws(*cur, end);
    if (p < end && *p == ',')
        p = skip_ws(p + 1, end);
    const char *e = skip_value(p, end);
    *cur = e;
    return (struct span){p, (size_t)(e - p)};
}

/* True when the string text v (quotes included) holds a NUL: a raw 0 byte or
 * the escape \u0000, which cJSON decodes into a terminator. */
static bool holds_nul(struct span v)
{
    const char *p = v.p + 1, *end = v.p + (v.len > 0 ? v.len - 1 : 0);
    for (; p < end; p++) {
        if (*p == '\0')
            return true;
        if (*p != '\\' || p + 1 >= end)
            continue;
        p++;
        if (*p == 'u' && end - p > 4 && memcmp(p + 1, "0000", 4) == 0)
            return true;
    }
    return false;
}

enum price_status {
    PRICE_OK,
    PRICE_NOT_DECIMAL, /* not plain JSON number syntax ("+1", ".5", "01") */
    PRICE_RANGE,       /* negative, or above PRICE_MAX_CENTS */
    PRICE_PRECISION,   /* more than 2 fraction digits */
};

/* Reads the JSON number text v as an exact count of cents: digits, at most 2
 * of them after the point (an exponent moves the point: 1.5e1 is 15, 1e-3
 * has 3 fraction digits), from 0 to 10000000000000. */
static enum price_status parse_cents(struct span v, uint64_t *cents)
{
    const char *p = v.p, *end = v.p + v.len;
    bool negative = false;
    if (p < end && *p == '-')
        negative = true, p++;
    const char *int_start = p;
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    size_t int_len = (size_t)(p - int_start);
    if (int_len == 0 || (int_len > 1 && *int_start == '0'))
        return PRICE_NOT_DECIMAL;
    const char *frac_start = p, *frac_end = p;
    if (p < end && *p == '.') {
        frac_start = ++p;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        frac_end = p;
        if (frac_end == frac_start)
            return PRICE_NOT_DECIMAL;
    }
    long exp = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        bool exp_negative = false;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            exp_negative = (*p == '-'), p++;
        if (p == end)
            return PRICE_NOT_DECIMAL;
        for (; p < end && *p >= '0' && *p <= '9'; p++) {
            if (exp < 100000) /* past this only zero or an error remains */
                exp = exp * 10 + (*p - '0');
        }
        if (exp_negative)
            exp = -exp;
    }
    if (p != end)
        return PRICE_NOT_DECIMAL;
    long frac_len = (long)(frac_end - frac_start);
    if (frac_len - exp > 2)
        return PRICE_PRECISION;
    /* value = digits * 10^(exp - frac_len); cents = digits * 10^shift */
    long shift = exp - frac_len + 2;
    uint64_t v_cents = 0;
    bool nonzero = false;
    for (const char *d = int_start; d < frac_end; d++) {
        if (*d == '.')
            continue;
        nonzero = nonzero || *d != '0';
        v_cents = v_cents * 10 + (uint64_t)(*d - '0');
        if (v_cents > PRICE_MAX_CENTS)
            return PRICE_RANGE;
    }
    for (long k = 0; nonzero && k < shift; k++) {
        v_cents *= 10;
        if (v_cents > PRICE_MAX_CENTS)
            return PRICE_RANGE;
    }
    if (negative && nonzero)
        return PRICE_RANGE;
    *cents = v_cents;
    return PRICE_OK;
}

/* v as shown in an error: at most 24 bytes, non-printables as '?'. */
static void show_text(char *out, struct span v)
{
    size_t n = v.len < 24 ? v.len : 24;
    for (size_t i = 0; i < n; i++)
        out[i] = (v.p[i] >= 0x20 && v.p[i] < 0x7f) ? v.p[i] : '?';
    if (n < v.len)
        out[n++] = '.', out[n++] = '.', out[n++] = '.';
    out[n] = '\0';
}

static const char *const STRING_FIELDS[] = {"name", "category", "description", "brand"};

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

enum { FEW_MEMBERS = 32 }; /* members compared pairwise; more are sorted */

/* The first member name obj holds twice, NULL when every name is unique.
 * cJSON keeps every member of a repeated key and its lookups find the first,
 * so {"price":1.5,"price":"abc"} would load silently as 1.5 while another
 * reader of the same file may take "abc". *nomem is set when a record of
 * very many members cannot be sorted. */
static const char *repeated_name(const cJSON *obj, bool *nomem)
{
    size_t n = 0;
    const char *found = NULL;
    for (const cJSON *m = obj->child; m != NULL; m = m->next)
        n++;
    *nomem = false;
    if (n <= FEW_MEMBERS) {
        for (const cJSON *a = obj->child; a != NULL && found == NULL; a = a->next)
            for (const cJSON *b = a->next; b != NULL && found == NULL; b = b->next)
                if (strcmp(a->string, b->string) == 0)
                    found = a->string;
        return found;
    }
    const char **names = malloc(n * sizeof(*names));
    if (names == NULL) {
        *nomem = true;
        return NULL;
    }
    n = 0;
    for (const cJSON *m = obj->child; m != NULL; m = m->next)
        names[n++] = m->string;
    qsort(names, n, sizeof(*names), compare_names);
    for (size_t i = 1; i < n && found == NULL; i++)
        if (strcmp(names[i - 1], names[i]) == 0)
            found = names[i];
    free(names);
    return found;
}

/* Checks one product object, whose text in the file is rec, and appends it.
 * Returns 0, or -1 with err set. */
static int add_record(struct catalog *cat, const cJSON *obj, struct span rec,
                      const struct origin *o, char *err)
{
    if (!cJSON_IsObject(obj) || rec.len == 0 || rec.p[0] != '{')
        return fail(err, o, "%s", "expected a JSON object");
    bool nomem;
    const char *twice = repeated_name(obj, &nomem);
    if (nomem)
        return fail(err, o, "%s", "out of memory");
    if (twice != NULL) {
        char shown[32];
        show_text(shown, (struct span){twice, strlen(twice)});
        return fail(err, o, "duplicate field \"%s\"", shown);
    }
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(obj, "id");
    if (id == NULL)
        return fail(err, o, "missing field \"%s\"", "id");
    if (!cJSON_IsNumber(id) || id->valuedouble != floor(id->valuedouble) ||
        id->valuedouble < 1 || id->valuedouble > ID_MAX)
        return fail(err, o, "field \"%s\" must be a positive integer", "id");
    const cJSON *field[4];
    for (size_t i = 0; i < 4; i++) {
        field[i] = cJSON_GetObjectItemCaseSensitive(obj, STRING_FIELDS[i]);
        if (field[i] == NULL)
            return fail(err, o, "missing field \"%s\"", STRING_FIELDS[i]);
        if (!cJSON_IsString(field[i]))
            return fail(err, o, "field \"%s\" must be a string", STRING_FIELDS[i]);
    }
    const cJSON *price = cJSON_GetObjectItemCaseSensitive(obj, "price");
    if (price == NULL)
        return fail(err, o, "missing field \"%s\"", "price");
    if (!cJSON_IsNumber(price))
        return fail(err, o,
                    "field \"%s\" must be a number from 0 to %llu", "price", PRICE_MAX_CENTS / 100);
    /* The text of the members cJSON picked (each name is unique by now). */
    struct span text[4] = {{NULL, 0}}, price_text = {NULL, 0};
    const char *cur = rec.p + 1, *end = rec.p + rec.len;
    for (const cJSON *m = obj->child; m != NULL; m = m->next) {
        struct span v = next_member(&cur, end);
        if (m == price)
            price_text = v;
        for (size_t i = 0; i < 4; i++) {
            if (m == field[i])
                text[i] = v;
        }
    }
    const char *s[4];
    size_t len[4];
    for (size_t i = 0; i < 4; i++) {
        s[i] = field[i]->valuestring;
        len[i] = strlen(s[i]);
        if (text[i].p == NULL) { /* cannot happen for text cJSON accepted */
            return fail(err, o, "field \"%s\": its text was not found", STRING_FIELDS[i]);
        }
        if (holds_nul(text[i]))
            return fail(err, o, "field \"%s\" holds a NUL character (\\u0000)", STRING_FIELDS[i]);
        if (len[i] > CATALOG_MAX_STRING)
            return fail(err, o,
                        "field \"%s\" is longer than %d bytes", STRING_FIELDS[i], CATALOG_MAX_STRING);
        if (!text_utf8_valid(s[i], len[i]))
            return fail(err, o, "field \"%s\" is not valid UTF-8", STRING_FIELDS[i]);
    }
    uint64_t cents = 0;
    char shown[32];
    show_text(shown, price_text);
    switch (price_text.p == NULL ? PRICE_NOT_DECIMAL : parse_cents(price_text, &cents)) {
    case PRICE_OK:
        break;
    case PRICE_PRECISION:
        return fail(err, o,
                    "field \"price\" %s has more than 2 fraction digits (prices are whole cents)", shown);
    case PRICE_NOT_DECIMAL:
        return fail(err, o, "field \"price\" %s is not a plain JSON number", shown);
    case PRICE_RANGE:
        return fail(err, o,
                    "field \"price\" %s must be a number from 0 to %llu", shown, PRICE_MAX_CENTS / 100);
    }
    if (cat->count >= CATALOG_MAX_PRODUCTS)
        return fail(err, o, "more than %d products", CATALOG_MAX_PRODUCTS);
    if (catalog_add(cat, (uint64_t)id->valuedouble, cents, s[0], len[0], s[1], len[1], s[2],
                    len[2], s[3], len[3]) != 0)
        return fail(err, o, "%s", "out of memory");
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

/* The record of an array file that the byte at pos belongs to: 1-based, 0
 * when pos is before the first element or after the closing bracket. */
static size_t record_at(const char *buf, size_t len, size_t pos)
{
    const char *end = buf + len, *at = buf + pos;
    const char *cur = skip_ws(buf, end);
    size_t record = 0;
    if (cur >= end || *cur != '[')
        return 0;
    cur++;
    for (;;) {
        const char *p = skip_ws(cur, end);
        if (p < end && *p == ',')
            p = skip_ws(p + 1, end);
        if (p >= at || p >= end)
            return record;
        if (*p == ']')
            return 0;
        record++;
        cur = skip_value(p, end);
        if (cur > at)
            return record;
    }
}

static void fail_syntax(char *err, const char *path, const char *buf, size_t len, size_t pos)
{
    size_t line, col, record = record_at(buf, len, pos);
    locate(buf, pos, &line, &col);
    if (record > 0)
        snprintf(err, CATALOG_FILE_ERROR_MAX,
                 "PRODUCTS_FILE %s: record %zu: malformed JSON at line %zu, column %zu", path,
                 record, line, col);
    else
        snprintf(err, CATALOG_FILE_ERROR_MAX,
                 "PRODUCTS_FILE %s: malformed JSON at line %zu, column %zu (outside any "
                 "record)",
                 path, line, col);
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
        fail_syntax(err, path, buf, len, end ? (size_t)(end - buf) : 0);
        goto out;
    }
    if (!cJSON_IsArray(root)) {
        snprintf(err, CATALOG_FILE_ERROR_MAX, "PRODUCTS_FILE %s: expected a JSON array", path);
        goto out;
    }
    struct origin o = {path, 0, 0};
    const char *cur = skip_ws(buf, buf + len) + 1; /* just after the '[' */
    for (const cJSON *item = root->child; item != NULL; item = item->next) {
        o.record++;
        if (add_record(cat, item, next_element(&cur, buf + len), &o, err) != 0)
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
            fail(err, &o, "malformed JSON at column %zu", col);
            cJSON_Delete(obj);
            goto out;
        }
        /* cJSON skips a byte order mark at the start of what it parses */
        const char *rec = p;
        if (len >= 3 && memcmp(rec, "\xEF\xBB\xBF", 3) == 0)
            rec += 3;
        rec = skip_ws(rec, p + len);
        int bad = add_record(cat, obj, (struct span){rec, (size_t)(p + len - rec)}, &o, err);
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

/* Orders record indexes by their product's id, then by file order. */
static int by_id_then_record(const void *a, const void *b, void *items)
{
    uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
    const struct product *p = items;
    int c = (p[i].id > p[j].id) - (p[i].id < p[j].id);
    return c != 0 ? c : (i > j) - (i < j);
}

/* The line of a JSON Lines file that holds record (1-based), 0 if unknown:
 * read again only to word a duplicate-id error. */
static size_t record_line(const char *path, size_t record)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, line_no = 0, seen = 0, found = 0;
    ssize_t n;
    if (f == NULL)
        return 0;
    while (found == 0 && (n = getline(&line, &cap, f)) >= 0) {
        const char *p = line;
        size_t len = (size_t)n;
        line_no++;
        text_trim_ascii(&p, &len);
        if (len > 0 && ++seen == record)
            found = line_no;
    }
    free(line);
    fclose(f);
    return found;
}

/* Names a record for an error line: "record 3 (line 4)" or "record 3". */
static void name_record(char *out, size_t out_len, const char *path, size_t record, bool lines)
{
    size_t line = lines ? record_line(path, record) : 0;
    if (line > 0)
        snprintf(out, out_len, "record %zu (line %zu)", record, line);
    else
        snprintf(out, out_len, "record %zu", record);
}

/* Puts the products (in file order: item k is record k + 1) in id order.
 * Returns 0, or -1 when an id repeats, with err naming both records. */
static int sort_unique(struct catalog *cat, const char *path, bool lines, char *err)
{
    size_t n = cat->count, k;
    for (k = 1; k < n && cat->items[k - 1].id < cat->items[k].id; k++)
        ;
    if (k >= n)
        return 0; /* already strictly increasing, as exports are */
    uint32_t *order = malloc(n * sizeof(*order));
    if (order == NULL) {
        snprintf(err, CATALOG_FILE_ERROR_MAX, "PRODUCTS_FILE %s: out of memory", path);
        return -1;
    }
    for (k = 0; k < n; k++)
        order[k] = (uint32_t)k;
    qsort_r(order, n, sizeof(*order), by_id_then_record, cat->items);
    /* Of all repeats, the one whose later record comes first in the file. */
    size_t first = 0, second = SIZE_MAX;
    for (k = 1; k < n; k++) {
        if (cat->items[order[k]].id == cat->items[order[k - 1]].id && order[k] < second)
            first = order[k - 1], second = order[k];
    }
    int ret = 0;
    if (second != SIZE_MAX) {
        char a[64], b[64];
        name_record(a, sizeof(a), path, second + 1, lines);
        name_record(b, sizeof(b), path, first + 1, lines);
        snprintf(err, CATALOG_FILE_ERROR_MAX,
                 "PRODUCTS_FILE %s: %s: duplicate id %llu, already used by %s", path, a,
                 (unsigned long long)cat->items[second].id, b);
        ret = -1;
    } else {
        qsort(cat->items, n, sizeof(cat->items[0]), by_id);
    }
    free(order);
    return ret;
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
    struct stat st;
    int ret = -1;
    bool lines = false;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, CATALOG_FILE_ERROR_MAX,
                 "PRODUCTS_FILE %s: is a directory, expected a JSON or JSON Lines file", path);
        goto out;
    }
    int c;
    while ((c = getc(f)) == ' ' || c == '\t' || c == '\n' || c == '\r')
        ;
    if (ferror(f)) {
        snprintf(err, CATALOG_FILE_ERROR_MAX, "PRODUCTS_FILE %s: read error: %s", path,
                 strerror(errno));
        goto out;
    }
    if (c == EOF) {
        snprintf(err, CATALOG_FILE_ERROR_MAX, "PRODUCTS_FILE %s: empty catalog (no records)",
                 path);
        goto out;
    }
    rewind(f);
    lines = (c != '[');
    if ((lines ? load_lines(cat, f, path, err) : load_array(cat, f, path, err)) != 0)
        goto out;
    if (cat->count == 0) {
        snprintf(err, CATALOG_FILE_ERROR_MAX, "PRODUCTS_FILE %s: empty catalog (no records)",
                 path);
        goto out;
    }
    if (sort_unique(cat, path, lines, err) != 0)
        goto out;
    ret = 0;
out:
    fclose(f);
    if (ret != 0)
        catalog_deinit(cat);
    else
        catalog_shrink(cat);
    return ret;
}
