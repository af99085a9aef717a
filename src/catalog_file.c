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
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "hash.h"
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

/* A window on the file being read, for the array format: the bytes from the
 * first one still needed (the record being parsed) up to the last one read.
 * Positions are file offsets, so that they survive the buffer moving. */
struct reader {
    FILE *f;       /* the file */
    char *buf;     /* bytes [off, off + len) of the file */
    size_t len;    /* bytes held */
    size_t cap;    /* bytes allocated */
    size_t off;    /* file offset of buf[0] */
    size_t keep;   /* file offset of the first byte still needed */
    bool eof;      /* the file has no more bytes */
    int error;     /* errno of a failed read, ENOMEM when the buffer cannot grow */
};

enum {
    READ_CHUNK = 64 * 1024, /* bytes asked of the file at a time */
};

/* Reads more of the file so that position pos is held. Returns false at the
 * end of the file or on an error (r->error). */
static bool fill(struct reader *r, size_t pos)
{
    while (!r->eof && r->error == 0 && pos >= r->off + r->len) {
        size_t drop = r->keep - r->off;
        if (drop > 0 && drop >= r->len / 2) { /* bytes no longer needed go first */
            memmove(r->buf, r->buf + drop, r->len - drop);
            r->len -= drop;
            r->off += drop;
        }
        if (r->cap - r->len < READ_CHUNK) {
            size_t cap = r->cap ? r->cap * 2 : 4 * READ_CHUNK;
            char *grown = realloc(r->buf, cap);
            if (grown == NULL) {
                r->error = ENOMEM;
                break;
            }
            r->buf = grown;
            r->cap = cap;
        }
        size_t n = fread(r->buf + r->len, 1, r->cap - r->len, r->f);
        r->len += n;
        if (n == 0) {
            if (ferror(r->f))
                r->error = errno ? errno : EIO;
            r->eof = true;
        }
    }
    return pos < r->off + r->len;
}

/* True when position pos is held (read now if need be). */
static inline bool have(struct reader *r, size_t pos)
{
    return pos < r->off + r->len || fill(r, pos);
}

/* The byte at position pos, which have() said is held. */
static inline unsigned char at(const struct reader *r, size_t pos)
{
    return (unsigned char)r->buf[pos - r->off];
}

/* The first position from pos on that is not white space (as cJSON skips
 * it: every byte up to 0x20); the end of the file if none. */
static size_t skip_blank(struct reader *r, size_t pos)
{
    while (have(r, pos) && at(r, pos) <= 0x20)
        pos++;
    return pos;
}

/* One past the end of the JSON value that starts at pos (held), found by
 * its brackets and quotes alone (what is inside is cJSON's to judge): an
 * object or an array up to its matching bracket, a string up to its closing
 * quote, anything else up to the next delimiter. A value the file cuts short
 * ends where the file does. Reads as much of the file as the value needs. */
static size_t value_end(struct reader *r, size_t pos)
{
    unsigned char c = at(r, pos);
    size_t p = pos;
    if (c == '{' || c == '[') {
        size_t depth = 0;
        bool in_string = false;
        for (; have(r, p); p++) {
            c = at(r, p);
            if (in_string) {
                if (c == '\\')
                    p++;
                else if (c == '"')
                    in_string = false;
            } else if (c == '"') {
                in_string = true;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if ((c == '}' || c == ']') && --depth == 0) {
                return p + 1;
            }
        }
    } else if (c == '"') {
        for (p++; have(r, p); p++) {
            c = at(r, p);
            if (c == '\\')
                p++;
            else if (c == '"')
                return p + 1;
        }
    } else {
        while (have(r, p) && at(r, p) > 0x20 && !strchr(",:]}[{\"", at(r, p)))
            p++;
        return p > pos ? p : pos + 1;
    }
    return r->off + r->len; /* the file ended inside the value */
}

/* Line and column (1-based) of file offset pos, counted by reading the file
 * again from its start: only for an error line, so its cost never matters. */
static void locate(FILE *f, size_t pos, size_t *line, size_t *col)
{
    char chunk[8192];
    size_t done = 0;
    *line = 1;
    *col = 1;
    while (done < pos) {
        size_t want = pos - done < sizeof(chunk) ? pos - done : sizeof(chunk);
        ssize_t n = pread(fileno(f), chunk, want, (off_t)done);
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++) {
            if (chunk[i] == '\n')
                (*line)++, *col = 1;
            else
                (*col)++;
        }
        done += (size_t)n;
    }
}

/* The error line of malformed JSON at file offset pos, inside record (0:
 * outside any record). Returns -1. */
static int fail_syntax(char *err, FILE *f, const char *path, size_t record, size_t pos)
{
    size_t line, col;
    locate(f, pos, &line, &col);
    if (record > 0)
        snprintf(err, CATALOG_FILE_ERROR_MAX,
                 "PRODUCTS_FILE %s: record %zu: malformed JSON at line %zu, column %zu", path,
                 record, line, col);
    else
        snprintf(err, CATALOG_FILE_ERROR_MAX,
                 "PRODUCTS_FILE %s: malformed JSON at line %zu, column %zu (outside any "
                 "record)",
                 path, line, col);
    return -1;
}

/* Parses the record whose text is [start, end) of the file (held) and adds
 * it. Returns 0, or -1 with err set. */
static int parse_element(struct catalog *cat, struct reader *r, size_t start, size_t end,
                         const struct origin *o, char *err)
{
    const char *text = r->buf + (start - r->off), *stop = NULL;
    size_t len = end - start;
    cJSON *obj = cJSON_ParseWithLengthOpts(text, len, &stop, 0);
    if (obj == NULL || stop != text + len) {
        cJSON_Delete(obj);
        size_t at_pos = stop != NULL && stop >= text ? start + (size_t)(stop - text) : start;
        return fail_syntax(err, r->f, o->path, o->record, at_pos);
    }
    int ret = add_record(cat, obj, (struct span){text, len}, o, err);
    cJSON_Delete(obj);
    return ret;
}

/* The file is one JSON array of records, parsed one record at a time as the
 * JSON Lines format is: a small scanner finds each element's bytes by its
 * brackets and quotes, cJSON parses that element alone, and its bytes are
 * dropped once it is added. The memory is the catalog plus the largest
 * record, not a tree of the whole file (which took 8 times the file's size). */
static int load_array(struct catalog *cat, FILE *f, const char *path, char *err)
{
    struct reader r = {f, NULL, 0, 0, 0, 0, false, 0};
    struct origin o = {path, 0, 0};
    int ret = -1;
    size_t pos = skip_blank(&r, 0);
    if (!have(&r, pos) || at(&r, pos) != '[') { /* the caller saw a '[': the file changed */
        fail_syntax(err, f, path, 0, pos);
        goto out;
    }
    pos = skip_blank(&r, pos + 1);
    if (have(&r, pos) && at(&r, pos) == ']') {
        pos++;
    } else {
        for (;;) {
            o.record++;
            if (!have(&r, pos)) { /* the file ends where a record should start */
                fail_syntax(err, f, path, o.record, pos);
                goto out;
            }
            r.keep = pos;
            size_t end = value_end(&r, pos);
            if (r.error != 0)
                break;
            if (parse_element(cat, &r, pos, end, &o, err) != 0)
                goto out;
            pos = skip_blank(&r, end);
            r.keep = pos;
            if (have(&r, pos) && at(&r, pos) == ']') {
                pos++;
                break;
            }
            if (!have(&r, pos) || at(&r, pos) != ',') { /* neither ',' nor ']' */
                fail_syntax(err, f, path, o.record + 1, pos);
                goto out;
            }
            pos = skip_blank(&r, pos + 1);
        }
    }
    if (r.error == 0) {
        r.keep = pos;
        pos = skip_blank(&r, pos);
        if (have(&r, pos)) {
            fail_syntax(err, f, path, 0, pos);
            goto out;
        }
    }
    if (r.error == ENOMEM) {
        snprintf(err, CATALOG_FILE_ERROR_MAX, "PRODUCTS_FILE %s: out of memory", path);
        goto out;
    }
    if (r.error != 0) {
        snprintf(err, CATALOG_FILE_ERROR_MAX, "PRODUCTS_FILE %s: read error: %s", path,
                 strerror(r.error));
        goto out;
    }
    ret = 0;
out:
    free(r.buf);
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

static void identify(const struct stat *st, struct catalog_file_id *id)
{
    memset(id, 0, sizeof(*id));
    id->exists = true;
    id->dev = (uint64_t)st->st_dev;
    id->ino = (uint64_t)st->st_ino;
    id->size = (uint64_t)st->st_size;
    id->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

void catalog_file_stat(const char *path, struct catalog_file_id *id)
{
    struct stat st;
    if (stat(path, &st) == 0)
        identify(&st, id);
    else
        memset(id, 0, sizeof(*id));
}

bool catalog_file_same(const struct catalog_file_id *a, const struct catalog_file_id *b)
{
    return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino &&
           a->size == b->size && a->mtime_ns == b->mtime_ns;
}

/* What a file that is not a regular one is, for the error line. */
static const char *file_kind(mode_t mode)
{
    if (S_ISDIR(mode))
        return "is a directory";
    if (S_ISFIFO(mode))
        return "is a FIFO (named pipe)";
    if (S_ISCHR(mode))
        return "is a character device";
    if (S_ISBLK(mode))
        return "is a block device";
    if (S_ISSOCK(mode))
        return "is a socket";
    return "is not a regular file";
}

/* Opens path for reading, refusing what is not a regular file before
 * reading a byte of it: a FIFO would block the start-up until a writer came
 * (O_NONBLOCK makes the open itself return at once), /dev/zero would be read
 * for ever. Returns the stream with its fstat() in st, or NULL with err set. */
static FILE *open_regular(const char *path, struct stat *st, char *err)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, CATALOG_FILE_ERROR_MAX, "PRODUCTS_FILE %s: cannot open: %s", path,
                 strerror(errno));
        return NULL;
    }
    if (fstat(fd, st) != 0) {
        snprintf(err, CATALOG_FILE_ERROR_MAX, "PRODUCTS_FILE %s: cannot stat: %s", path,
                 strerror(errno));
        goto error;
    }
    if (!S_ISREG(st->st_mode)) {
        snprintf(err, CATALOG_FILE_ERROR_MAX,
                 "PRODUCTS_FILE %s: %s, expected a JSON or JSON Lines file", path,
                 file_kind(st->st_mode));
        goto error;
    }
    int flags = fcntl(fd, F_GETFL);
    FILE *f = NULL;
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0 ||
        (f = fdopen(fd, "r")) == NULL) {
        snprintf(err, CATALOG_FILE_ERROR_MAX, "PRODUCTS_FILE %s: cannot open: %s", path,
                 strerror(errno));
        goto error;
    }
    return f;
error:
    close(fd);
    return NULL;
}

/* XXH3-64 of the first size bytes of f's file, read again with pread(2).
 * Returns 0, or -1 with err set. */
static int hash_file(FILE *f, const char *path, uint64_t size, uint64_t *hash, char *err)
{
    enum { CHUNK = 1 << 20 };
    char *buf = malloc(CHUNK);
    XXH3_state_t *h = XXH3_createState();
    int ret = -1;
    if (buf == NULL || h == NULL || XXH3_64bits_reset(h) != XXH_OK) {
        snprintf(err, CATALOG_FILE_ERROR_MAX, "PRODUCTS_FILE %s: out of memory", path);
        goto out;
    }
    for (uint64_t done = 0; done < size;) {
        size_t want = size - done < CHUNK ? (size_t)(size - done) : CHUNK;
        ssize_t n = pread(fileno(f), buf, want, (off_t)done);
        if (n <= 0) {
            snprintf(err, CATALOG_FILE_ERROR_MAX, "PRODUCTS_FILE %s: read error: %s", path,
                     n < 0 ? strerror(errno) : "the file got shorter while being read");
            goto out;
        }
        XXH3_64bits_update(h, buf, (size_t)n);
        done += (uint64_t)n;
    }
    *hash = XXH3_64bits_digest(h);
    ret = 0;
out:
    XXH3_freeState(h);
    free(buf);
    return ret;
}

int catalog_load_file(struct catalog *cat, const char *path, char *err)
{
    return catalog_file_load(cat, path, NULL, err);
}

int catalog_file_load(struct catalog *cat, const char *path, struct catalog_file_info *info,
                      char *err)
{
    catalog_init(cat);
    struct stat st, after;
    FILE *f = open_regular(path, &st, err);
    if (f == NULL)
        return -1;
    int ret = -1;
    bool lines = false;
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
    if (info != NULL) {
        identify(&st, &info->id);
        if (hash_file(f, path, info->id.size, &info->hash, err) != 0)
            goto out;
        /* Written in place while it was read, the file may have mixed two
         * versions: refused, so that a catalog is one file's content. */
        if (fstat(fileno(f), &after) != 0 || after.st_size != st.st_size ||
            after.st_mtim.tv_sec != st.st_mtim.tv_sec ||
            after.st_mtim.tv_nsec != st.st_mtim.tv_nsec) {
            snprintf(err, CATALOG_FILE_ERROR_MAX,
                     "PRODUCTS_FILE %s: changed while being read (write a new catalog to a "
                     "temporary name, then rename it over the file)",
                     path);
            goto out;
        }
    }
    ret = 0;
out:
    fclose(f);
    if (ret != 0)
        catalog_deinit(cat);
    else
        catalog_shrink(cat);
    return ret;
}
