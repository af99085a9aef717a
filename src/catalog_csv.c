/* catalog_csv: shop CSV exports (RFC 4180) into a catalog, checked row by row. */
#define _GNU_SOURCE /* qsort_r */
#include "catalog_csv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog_file.h"
#include "render.h"
#include "text.h"

#define ID_MAX 9007199254740991ULL           /* 2^53 - 1: what PRODUCTS_FILE accepts */
#define PRICE_MAX_CENTS 1000000000000000ULL  /* ten trillion (1e13) in cents */
#define PATH_SHOWN 160                       /* bytes of the path in an error line */

/* The product fields, in the order --export-catalog writes them. */
enum field { F_ID, F_NAME, F_CATEGORY, F_DESCRIPTION, F_BRAND, F_PRICE, F_COUNT };

static const char *const FIELD_NAME[F_COUNT] = {"id",          "name",  "category",
                                                "description", "brand", "price"};

enum { NO_SLOT = -1 };

/* The state of one load: the file, the header, the row being read. */
struct parse {
    FILE *f;                       /* the open file */
    char path[PATH_SHOWN + 4];     /* the path as error lines show it */
    char delim;                    /* field separator */
    unsigned char buf[1 << 16];    /* bytes read ahead */
    size_t pos;                    /* next byte in buf */
    size_t len;                    /* bytes in buf */
    bool read_failed;              /* fread reported an error */
    size_t line;                   /* 1-based line of the next byte */
    size_t row;                    /* 1-based row of the record being read (header: 1) */
    size_t row_line;               /* line where that record starts */
    bool in_header;                /* the record being read is the header */
    char *names;                   /* header names, each NUL-terminated, in column order */
    size_t names_len;              /* bytes used in names */
    size_t names_cap;              /* bytes allocated for names */
    size_t *name_off;              /* offset of each column's name in names */
    size_t ncols;                  /* columns in the header */
    size_t field_col[F_COUNT];     /* column of each field; SIZE_MAX: none (id only) */
    int *col_slot;                 /* slot of each header column, NO_SLOT when unread */
    char slot[F_COUNT][CATALOG_MAX_STRING + 1]; /* bytes of the columns that are read */
    size_t slot_len[F_COUNT];      /* bytes in each slot */
    size_t nfields;                /* fields in the record just read */
    char *err;                     /* CATALOG_FILE_ERROR_MAX bytes for the error line */
};

/* Where the row being read is: "row 4", "row 4 (line 9)", "header", "header (line 3)". */
static void where(const struct parse *ps, char *out, size_t n)
{
    if (ps->in_header)
        snprintf(out, n, ps->row_line == 1 ? "header" : "header (line %zu)", ps->row_line);
    else if (ps->row_line == ps->row)
        snprintf(out, n, "row %zu", ps->row);
    else
        snprintf(out, n, "row %zu (line %zu)", ps->row, ps->row_line);
}

static void fail_file(struct parse *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* An error about the whole file: "--import-csv <path>: <what>". */
static void fail_file(struct parse *ps, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    snprintf(ps->err, CATALOG_FILE_ERROR_MAX, "--import-csv %s: %s", ps->path, what);
}

static void fail_row(struct parse *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* An error about the row being read: "--import-csv <path>: row 4: <what>". */
static void fail_row(struct parse *ps, const char *fmt, ...)
{
    char what[256], at[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    where(ps, at, sizeof(at));
    snprintf(ps->err, CATALOG_FILE_ERROR_MAX, "--import-csv %s: %s: %s", ps->path, at, what);
}

/* s[0..len) as an error line shows it: at most max bytes, each byte outside
 * printable ASCII as '?', "..." when cut. out has room for max + 4 bytes. */
static void show(char *out, const char *s, size_t len, size_t max)
{
    size_t n = len < max ? len : max;
    for (size_t i = 0; i < n; i++)
        out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (n < len)
        out[n++] = '.', out[n++] = '.', out[n++] = '.';
    out[n] = '\0';
}

/* Names column col (0-based) for an error line: column "title" (the name), column
 * "name", column "notes", or column 7 when the header gives it no name. */
static void column_label(const struct parse *ps, size_t col, char *out, size_t n)
{
    const char *name = col < ps->ncols ? ps->names + ps->name_off[col] : "";
    char shown[48];
    show(shown, name, strlen(name), 40);
    int field = -1;
    for (int f = 0; f < F_COUNT && field < 0; f++) {
        if (ps->field_col[f] == col)
            field = f;
    }
    if (*name == '\0')
        snprintf(out, n, "column %zu", col + 1);
    else if (field < 0 || strcmp(name, FIELD_NAME[field]) == 0)
        snprintf(out, n, "column \"%s\"", shown);
    else
        snprintf(out, n, "column \"%s\" (the %s)", shown, FIELD_NAME[field]);
}

/* The next byte, or EOF at the end or on a read error (read_failed is set). */
static int next_raw(struct parse *ps)
{
    if (ps->pos == ps->len) {
        if (ps->read_failed || feof(ps->f))
            return EOF;
        ps->len = fread(ps->buf, 1, sizeof(ps->buf), ps->f);
        ps->pos = 0;
        if (ps->len == 0) {
            ps->read_failed = ferror(ps->f) != 0;
            return EOF;
        }
    }
    return ps->buf[ps->pos++];
}

static int peek(struct parse *ps)
{
    int c = next_raw(ps);
    if (c != EOF)
        ps->pos--;
    return c;
}

/* The next byte, counting lines: LF ends one, so does a CR that no LF follows. */
static int next(struct parse *ps)
{
    int c = next_raw(ps);
    if (c == '\n' || (c == '\r' && peek(ps) != '\n'))
        ps->line++;
    return c;
}

/* Appends byte c to the header names. Returns 0, or -1 with err set. */
static int push_name(struct parse *ps, char c)
{
    if (ps->names_len == ps->names_cap) {
        size_t cap = ps->names_cap ? 2 * ps->names_cap : 1024;
        char *grown = realloc(ps->names, cap);
        if (grown == NULL) {
            fail_file(ps, "out of memory");
            return -1;
        }
        ps->names = grown;
        ps->names_cap = cap;
    }
    ps->names[ps->names_len++] = c;
    return 0;
}

/* Keeps byte c of column col, whose *n bytes so far are counted. The header
 * keeps every name, a row only the columns of product fields (each at most
 * 4096 bytes); every column is checked for NUL. Returns 0, or -1 with err set. */
static int keep(struct parse *ps, size_t col, size_t *n, int c)
{
    char label[96];
    if (c == '\0') {
        if (ps->in_header)
            fail_row(ps, "column %zu holds a NUL byte (a UTF-16 file? save it as UTF-8)",
                     col + 1);
        else {
            column_label(ps, col, label, sizeof(label));
            fail_row(ps, "%s holds a NUL byte", label);
        }
        return -1;
    }
    if (ps->in_header) {
        if (*n == CATALOG_MAX_STRING) {
            fail_row(ps, "column %zu is longer than %d bytes", col + 1, CATALOG_MAX_STRING);
            return -1;
        }
        if (push_name(ps, (char)c) != 0)
            return -1;
    } else {
        int slot = col < ps->ncols ? ps->col_slot[col] : NO_SLOT;
        if (slot != NO_SLOT) {
            if (*n == CATALOG_MAX_STRING) {
                column_label(ps, col, label, sizeof(label));
                fail_row(ps, "%s is longer than %d bytes", label, CATALOG_MAX_STRING);
                return -1;
            }
            ps->slot[slot][*n] = (char)c;
        }
    }
    (*n)++;
    return 0;
}

/* Starts column col of the record: the header makes room for its name. */
static int begin_column(struct parse *ps, size_t col)
{
    if (!ps->in_header)
        return 0;
    if (col >= CATALOG_CSV_MAX_COLUMNS) {
        fail_row(ps, "more than %d columns", CATALOG_CSV_MAX_COLUMNS);
        return -1;
    }
    ps->name_off[col] = ps->names_len;
    return 0;
}

/* Ends column col, n bytes long. Returns 0, or -1 with err set. */
static int end_column(struct parse *ps, size_t col, size_t n)
{
    if (ps->in_header)
        return push_name(ps, '\0');
    int slot = col < ps->ncols ? ps->col_slot[col] : NO_SLOT;
    if (slot != NO_SLOT) {
        ps->slot[slot][n] = '\0';
        ps->slot_len[slot] = n;
    }
    return 0;
}

enum record { RECORD_OK, RECORD_BLANK, RECORD_END, RECORD_BAD };

/* Reads one record (RFC 4180): fields split by the delimiter; a field that
 * opens with a quote runs to the closing quote ("" inside is one quote, line
 * breaks are kept) and must be followed by the delimiter or the line end; a
 * quote inside an unquoted field is an ordinary byte. The record ends at LF,
 * CRLF, CR or the end of the file. An empty line is RECORD_BLANK. */
static enum record read_record(struct parse *ps)
{
    size_t col = 0;
    ps->row_line = ps->line;
    int c = next(ps);
    if (c == EOF)
        return RECORD_END;
    if (c == '\n' || c == '\r') {
        if (c == '\r' && peek(ps) == '\n')
            next(ps);
        return RECORD_BLANK;
    }
    for (;;) {
        size_t n = 0;
        if (begin_column(ps, col) != 0)
            return RECORD_BAD;
        if (c == '"') {
            size_t opened = ps->line;
            for (;;) {
                c = next(ps);
                if (c == EOF && !ps->read_failed) {
                    char label[96];
                    if (ps->in_header)
                        snprintf(label, sizeof(label), "column %zu", col + 1);
                    else
                        column_label(ps, col, label, sizeof(label));
                    fail_row(ps, "%s: the quote opened on line %zu is never closed", label,
                             opened);
                    return RECORD_BAD;
                }
                if (c == EOF)
                    return RECORD_END; /* the caller reports the read error */
                if (c == '"') {
                    c = next(ps);
                    if (c != '"')
                        break;
                }
                if (keep(ps, col, &n, c) != 0)
                    return RECORD_BAD;
            }
            if (c != EOF && c != ps->delim && c != '\n' && c != '\r') {
                char label[96], after[8];
                if (ps->in_header)
                    snprintf(label, sizeof(label), "column %zu", col + 1);
                else
                    column_label(ps, col, label, sizeof(label));
                char byte = (char)c;
                show(after, &byte, 1, 1);
                fail_row(ps,
                         "%s: a closing quote must be followed by %s or the end of the line, "
                         "not '%s' (write a quote inside a quoted field as \"\")",
                         label, ps->delim == '\t' ? "a tab" : ps->delim == ';' ? "';'" : "','",
                         after);
                return RECORD_BAD;
            }
        } else {
            while (c != EOF && c != ps->delim && c != '\n' && c != '\r') {
                if (keep(ps, col, &n, c) != 0)
                    return RECORD_BAD;
                c = next(ps);
            }
        }
        if (end_column(ps, col, n) != 0)
            return RECORD_BAD;
        col++;
        if (c != ps->delim)
            break;
        c = next(ps);
    }
    if (c == '\r' && peek(ps) == '\n')
        next(ps);
    ps->nfields = col;
    return RECORD_OK;
}

/* Opens the file and steps over a UTF-8 byte order mark; refuses UTF-16. */
static int open_file(struct parse *ps, const char *path)
{
    ps->f = fopen(path, "rb");
    if (ps->f == NULL) {
        fail_file(ps, "cannot open: %s", strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(ps->f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fail_file(ps, "is a directory, expected a CSV file");
        return -1;
    }
    int a = next_raw(ps), b = next_raw(ps), c = next_raw(ps);
    if ((a == 0xFF && b == 0xFE) || (a == 0xFE && b == 0xFF)) {
        fail_file(ps, "starts with a UTF-16 byte order mark; save the file as UTF-8");
        return -1;
    }
    if (a == 0xEF && b == 0xBB && c == 0xBF)
        return 0;
    ps->pos = 0; /* the first read fills at least 3 bytes unless the file is shorter */
    return 0;
}

/* Reads the header (after any blank lines) and finds each field's column.
 * Returns 0, or -1 with err set. */
static int read_header(struct parse *ps, const struct catalog_csv_map *map, bool *ids_assigned)
{
    const char *want[F_COUNT] = {map->id,          map->name,  map->category,
                                 map->description, map->brand, map->price};
    enum record rec;
    ps->in_header = true;
    ps->row = 1;
    while ((rec = read_record(ps)) == RECORD_BLANK)
        ps->row++;
    if (rec == RECORD_BAD)
        return -1;
    if (rec == RECORD_END) {
        if (ps->read_failed)
            fail_file(ps, "read error: %s", strerror(errno));
        else
            fail_file(ps, "empty file, expected a header row naming the columns");
        return -1;
    }
    ps->ncols = ps->nfields;
    ps->col_slot = malloc(ps->ncols * sizeof(*ps->col_slot));
    if (ps->col_slot == NULL) {
        fail_file(ps, "out of memory");
        return -1;
    }
    for (size_t col = 0; col < ps->ncols; col++)
        ps->col_slot[col] = NO_SLOT;
    for (int f = 0; f < F_COUNT; f++) {
        ps->field_col[f] = SIZE_MAX;
        for (size_t col = 0; col < ps->ncols; col++) {
            if (strcmp(ps->names + ps->name_off[col], want[f]) != 0)
                continue;
            if (ps->field_col[f] != SIZE_MAX) {
                char shown[48];
                show(shown, want[f], strlen(want[f]), 40);
                fail_row(ps, "column \"%s\" appears twice (columns %zu and %zu)", shown,
                         ps->field_col[f] + 1, col + 1);
                return -1;
            }
            ps->field_col[f] = col;
            ps->col_slot[col] = f; /* fields that share a column read its one slot */
        }
        if (ps->field_col[f] == SIZE_MAX && f != F_ID) {
            char shown[48], list[144];
            size_t used = 0, col = 0;
            show(shown, want[f], strlen(want[f]), 40);
            list[0] = '\0';
            for (; col < ps->ncols && used + 50 < sizeof(list); col++) {
                char name[48];
                const char *s = ps->names + ps->name_off[col];
                show(name, s, strlen(s), 24);
                used += (size_t)snprintf(list + used, sizeof(list) - used, "%s\"%s\"",
                                         col ? ", " : "", name);
            }
            if (col < ps->ncols)
                snprintf(list + used, sizeof(list) - used, ", ...");
            /* one column holding another separator: the usual mistake */
            static const char *const OTHER[][3] = {
                {",", "','", ","}, {";", "';'", ";"}, {"\t", "tabs", "tab"}};
            int other = -1;
            for (int k = 0; k < 3 && other < 0 && ps->ncols == 1; k++) {
                if (OTHER[k][0][0] != ps->delim && strchr(ps->names, OTHER[k][0][0]))
                    other = k;
            }
            if (other >= 0)
                fail_row(ps, "no \"%s\" column (the header has %s); is the file separated "
                             "by %s? (--csv-delimiter %s)",
                         shown, list, OTHER[other][1], OTHER[other][2]);
            else
                fail_row(ps, "no \"%s\" column (the header has %s); name it with --csv-%s",
                         shown, list, FIELD_NAME[f]);
            return -1;
        }
    }
    *ids_assigned = ps->field_col[F_ID] == SIZE_MAX;
    ps->in_header = false;
    return 0;
}

/* The text of field f in the record just read. */
static const char *field_text(const struct parse *ps, int f, size_t *len)
{
    int slot = ps->col_slot[ps->field_col[f]];
    *len = ps->slot_len[slot];
    return ps->slot[slot];
}

/* Narrows s past ASCII spaces and tabs at both ends: numbers in exports
 * often carry them ("12.50 "). */
static void trim_blanks(const char **s, size_t *len)
{
    while (*len > 0 && (**s == ' ' || **s == '\t'))
        (*s)++, (*len)--;
    while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
        (*len)--;
}

/* The id: decimal digits without sign or leading zeros, 1 to 2^53 - 1. */
static int parse_id(struct parse *ps, uint64_t *id)
{
    size_t len;
    const char *s = field_text(ps, F_ID, &len);
    char label[96], shown[32];
    trim_blanks(&s, &len);
    column_label(ps, ps->field_col[F_ID], label, sizeof(label));
    if (len == 0) {
        fail_row(ps, "%s is empty", label);
        return -1;
    }
    uint64_t v = 0;
    bool ok = s[0] != '0';
    for (size_t i = 0; i < len && ok; i++) {
        ok = s[i] >= '0' && s[i] <= '9';
        v = v * 10 + (uint64_t)(s[i] - '0');
        ok = ok && v <= ID_MAX;
    }
    if (!ok) {
        show(shown, s, len, 24);
        fail_row(ps,
                 "%s: \"%s\" is not an id: expected a whole number from 1 to "
                 "9007199254740991, digits only, no sign or leading zeros",
                 label, shown);
        return -1;
    }
    *id = v;
    return 0;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The price: digits, then optionally a point and 1 or 2 digits, at most 1e13;
 * read into exact cents. Anything else is refused with its reason. */
static int parse_price(struct parse *ps, uint64_t *cents)
{
    static const char EXPECTED[] = "expected a plain price like 12, 12.5 or 12.50";
    size_t len, i = 0;
    const char *s = field_text(ps, F_PRICE, &len);
    char label[96], shown[32];
    trim_blanks(&s, &len);
    column_label(ps, ps->field_col[F_PRICE], label, sizeof(label));
    show(shown, s, len, 24);
    if (len == 0) {
        fail_row(ps, "%s is empty", label);
        return -1;
    }
    if (s[0] == '+' || s[0] == '-') {
        fail_row(ps, "%s: \"%s\" has a sign; %s", label, shown, EXPECTED);
        return -1;
    }
    while (i < len && is_digit(s[i]))
        i++;
    size_t int_end = i, frac = 0;
    if (i > 0 && i < len && s[i] == '.') {
        for (i++; i < len && is_digit(s[i]); i++)
            frac++;
    }
    if (i < len || int_end == 0 || (int_end < len && frac == 0)) {
        /* name the likely mistake; the byte at i is the first that does not fit */
        if (memchr(s, ',', len) != NULL)
            fail_row(ps,
                     "%s: \"%s\" has a comma (a thousands separator or a decimal comma); "
                     "write the decimal point as '.' and no separators, like 1299.50",
                     label, shown);
        else if (i > 0 && i + 1 < len && (s[i] == ' ' || s[i] == '\'' || s[i] == '_') &&
                 is_digit(s[i - 1]) && is_digit(s[i + 1]))
            fail_row(ps, "%s: \"%s\" has a thousands separator; write it without, like 1299.50",
                     label, shown);
        else if (i > 0 && i < len && (s[i] == 'e' || s[i] == 'E') && is_digit(s[i - 1]))
            fail_row(ps, "%s: \"%s\" has an exponent; %s", label, shown, EXPECTED);
        else
            fail_row(ps, "%s: \"%s\" is not a price; %s", label, shown, EXPECTED);
        return -1;
    }
    if (frac > 2) {
        fail_row(ps, "%s: \"%s\" has more than 2 decimals (prices are whole cents)", label,
                 shown);
        return -1;
    }
    uint64_t v = 0;
    for (size_t k = 0; k < len; k++) {
        if (s[k] == '.')
            continue;
        v = v * 10 + (uint64_t)(s[k] - '0');
        if (v > PRICE_MAX_CENTS * 100) /* past this it only grows */
            break;
    }
    for (size_t k = frac; k < 2; k++)
        v *= 10;
    if (v > PRICE_MAX_CENTS) {
        fail_row(ps, "%s: \"%s\" is above 10000000000000", label, shown);
        return -1;
    }
    *cents = v;
    return 0;
}

/* Where each product came from, for duplicate-id errors. */
struct origin {
    size_t *row;  /* row of product k */
    size_t *line; /* line where that row starts */
    size_t cap;   /* slots allocated in both */
};

static int by_id_then_position(const void *a, const void *b, void *items)
{
    uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
    const struct product *p = items;
    int c = (p[i].id > p[j].id) - (p[i].id < p[j].id);
    return c != 0 ? c : (i > j) - (i < j);
}

static int by_id(const void *a, const void *b)
{
    uint64_t x = ((const struct product *)a)->id, y = ((const struct product *)b)->id;
    return (x > y) - (x < y);
}

/* Puts the products (in file order) in id order. Returns 0, or -1 when an id
 * repeats, with err naming both rows (the later row the earliest in the file). */
static int sort_unique(struct catalog *cat, const struct origin *o, struct parse *ps)
{
    size_t n = cat->count, k;
    for (k = 1; k < n && cat->items[k - 1].id < cat->items[k].id; k++)
        ;
    if (k >= n)
        return 0;
    uint32_t *order = malloc(n * sizeof(*order));
    if (order == NULL) {
        fail_file(ps, "out of memory");
        return -1;
    }
    for (k = 0; k < n; k++)
        order[k] = (uint32_t)k;
    qsort_r(order, n, sizeof(*order), by_id_then_position, cat->items);
    size_t first = 0, second = SIZE_MAX;
    for (k = 1; k < n; k++) {
        if (cat->items[order[k]].id == cat->items[order[k - 1]].id && order[k] < second)
            first = order[k - 1], second = order[k];
    }
    int ret = 0;
    if (second != SIZE_MAX) {
        char earlier[64];
        ps->row = o->row[first];
        ps->row_line = o->line[first];
        where(ps, earlier, sizeof(earlier));
        ps->row = o->row[second];
        ps->row_line = o->line[second];
        fail_row(ps, "duplicate id %llu, already used by %s",
                 (unsigned long long)cat->items[second].id, earlier);
        ret = -1;
    } else {
        qsort(cat->items, n, sizeof(cat->items[0]), by_id);
    }
    free(order);
    return ret;
}

/* Checks the record just read and appends its product. Returns 0, or -1 with err set. */
static int add_row(struct catalog *cat, struct parse *ps, bool ids_assigned,
                   struct origin *o)
{
    if (ps->nfields != ps->ncols) {
        fail_row(ps, "%zu field%s, the header has %zu", ps->nfields,
                 ps->nfields == 1 ? "" : "s", ps->ncols);
        return -1;
    }
    if (cat->count >= CATALOG_MAX_PRODUCTS) {
        fail_row(ps, "more than %d products", CATALOG_MAX_PRODUCTS);
        return -1;
    }
    uint64_t id = cat->count + 1, cents;
    if (!ids_assigned && parse_id(ps, &id) != 0)
        return -1;
    const char *s[4];
    size_t len[4];
    for (int f = F_NAME; f <= F_BRAND; f++) {
        char label[96];
        s[f - F_NAME] = field_text(ps, f, &len[f - F_NAME]);
        if (!text_utf8_valid(s[f - F_NAME], len[f - F_NAME])) {
            column_label(ps, ps->field_col[f], label, sizeof(label));
            fail_row(ps, "%s is not valid UTF-8", label);
            return -1;
        }
        if (f == F_NAME && len[0] == 0) {
            column_label(ps, ps->field_col[f], label, sizeof(label));
            fail_row(ps, "%s is empty (every product needs a name)", label);
            return -1;
        }
    }
    if (parse_price(ps, &cents) != 0)
        return -1;
    if (cat->count == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 4096;
        size_t *row = realloc(o->row, cap * sizeof(*row));
        if (row != NULL)
            o->row = row;
        size_t *line = row ? realloc(o->line, cap * sizeof(*line)) : NULL;
        if (line == NULL) {
            fail_file(ps, "out of memory");
            return -1;
        }
        o->line = line;
        o->cap = cap;
    }
    o->row[cat->count] = ps->row;
    o->line[cat->count] = ps->row_line;
    if (catalog_add(cat, id, cents, s[0], len[0], s[1], len[1], s[2], len[2], s[3], len[3]) !=
        0) {
        fail_file(ps, "out of memory");
        return -1;
    }
    return 0;
}

void catalog_csv_map_init(struct catalog_csv_map *map)
{
    map->id = "id";
    map->name = "name";
    map->category = "category";
    map->description = "description";
    map->brand = "brand";
    map->price = "price";
    map->delimiter = ',';
}

/* path as error lines show it: control bytes as '?', a long one cut from the
 * front, so that the line stays one line and keeps its end. */
static void show_path(char *out, const char *path)
{
    size_t len = strlen(path);
    const char *p = path;
    char *w = out;
    if (len > PATH_SHOWN) {
        p = path + len - (PATH_SHOWN - 3);
        w = stpcpy(w, "...");
    }
    for (; *p; p++)
        *w++ = ((unsigned char)*p < 0x20 || *p == 0x7f) ? '?' : *p;
    *w = '\0';
}

int catalog_csv_load(struct catalog *cat, const char *path, const struct catalog_csv_map *map,
                     bool *ids_assigned, char *err)
{
    struct origin o = {NULL, NULL, 0};
    bool assigned = false;
    int ret = -1;
    catalog_init(cat);
    struct parse *ps = calloc(1, sizeof(*ps));
    if (ps == NULL) {
        snprintf(err, CATALOG_FILE_ERROR_MAX, "--import-csv: out of memory");
        goto out;
    }
    ps->err = err;
    ps->delim = map->delimiter;
    ps->line = 1;
    show_path(ps->path, path);
    ps->name_off = malloc(CATALOG_CSV_MAX_COLUMNS * sizeof(*ps->name_off));
    if (ps->name_off == NULL) {
        fail_file(ps, "out of memory");
        goto out;
    }
    if (open_file(ps, path) != 0 || read_header(ps, map, &assigned) != 0)
        goto out;
    for (;;) {
        ps->row++;
        enum record rec = read_record(ps);
        if (rec == RECORD_BLANK)
            continue;
        if (rec == RECORD_BAD)
            goto out;
        if (rec == RECORD_END)
            break;
        if (add_row(cat, ps, assigned, &o) != 0)
            goto out;
    }
    if (ps->read_failed) {
        fail_file(ps, "read error: %s", strerror(errno));
        goto out;
    }
    if (cat->count == 0) {
        fail_file(ps, "no products: the header is followed by no rows");
        goto out;
    }
    if (!assigned && sort_unique(cat, &o, ps) != 0)
        goto out;
    if (ids_assigned != NULL)
        *ids_assigned = assigned;
    ret = 0;
out:
    if (ps != NULL) {
        if (ps->f != NULL)
            fclose(ps->f);
        free(ps->names);
        free(ps->name_off);
        free(ps->col_slot);
        free(ps);
    }
    free(o.row);
    free(o.line);
    if (ret != 0)
        catalog_deinit(cat);
    else
        catalog_shrink(cat);
    return ret;
}

int catalog_csv_import(const struct config *cfg, FILE *out, FILE *log)
{
    struct catalog_csv_map map = {cfg->csv_id,    cfg->csv_name,  cfg->csv_category,
                                  cfg->csv_description, cfg->csv_brand, cfg->csv_price,
                                  cfg->csv_delimiter};
    struct catalog cat;
    char err[CATALOG_FILE_ERROR_MAX], path[PATH_SHOWN + 4];
    bool assigned = false;
    int status = CATALOG_CSV_EXIT_INVALID;
    if (catalog_csv_load(&cat, cfg->import_csv, &map, &assigned, err) != 0) {
        fprintf(log, "product-search: %s\n", err);
        goto out;
    }
    status = CATALOG_CSV_EXIT_WRITE;
    show_path(path, cfg->import_csv);
    for (size_t k = 0; k < cat.count; k++) {
        size_t len;
        char *line = render_product(&cat, &cat.items[k], &len);
        if (line == NULL) {
            fprintf(log, "product-search: --import-csv %s: out of memory\n", path);
            goto out;
        }
        bool bad = fwrite(line, 1, len, out) != len || fputc('\n', out) == EOF;
        free(line);
        if (bad)
            break;
    }
    if (fflush(out) != 0 || ferror(out)) {
        fprintf(log, "product-search: --import-csv %s: cannot write the catalog: %s\n", path,
                strerror(errno));
        goto out;
    }
    if (assigned) {
        char shown[48];
        show(shown, map.id, strlen(map.id), 40);
        fprintf(log, "product-search: --import-csv %s: no \"%s\" column; ids assigned 1..%zu in "
                     "file order\n",
                path, shown, cat.count);
    } else {
        fprintf(log, "product-search: --import-csv %s: %zu product%s\n", path, cat.count,
                cat.count == 1 ? "" : "s");
    }
    status = 0;
out:
    catalog_deinit(&cat);
    return status;
}
