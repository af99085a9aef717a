/* fts5: the benchmark's other yardstick for whole-catalog search:
 * SQLite's FTS5 trigram index, in-process, over the same catalog
 * and the same text mix as product-search.
 *
 * Usage: fts5 CATALOG_JSONL QUERIES OUT
 *   CATALOG_JSONL  the catalog as JSON Lines (product-search --export-catalog)
 *   QUERIES        one query a line (bench/mixes.py's .text.queries)
 *   OUT            written: one line per query, "ns total_found id,id,..."
 *
 * Loads id, name and category of every product into an in-memory table
 * `CREATE VIRTUAL TABLE p USING fts5(name, category, tokenize='trigram')`
 * (rowid = id; the trigram tokenizer folds case), then answers each query
 * as product-search does: the number of products whose name or category
 * contains it, plus the first 20 ids in id order. A query of 3 characters
 * or more is one FTS5 phrase, `p MATCH '"query"'`, which the trigram index
 * serves as a substring test. A trigram index cannot answer a query shorter
 * than 3 characters, so those go through SQLite's LIKE on the same table
 * (`name LIKE '%q%' OR category LIKE '%q%'`, ASCII case-insensitive): a full
 * scan, which is what a user of FTS5 trigram has to do for them.
 *
 * The time of a query is the wall time of binding, stepping through every
 * matching row and resetting the prepared statement (no rendering). Prints
 * one JSON line: products, load time, and per-query median, mean and p99.
 * Exit status 0, 1 on a SQLite or input error, 2 on bad usage.
 */
#define _POSIX_C_SOURCE 200809L

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    FTS5_FIRST_IDS = 20,     /* ids listed per query, as the server's default limit */
    FTS5_TRIGRAM = 3,        /* shortest query the trigram index answers */
    FTS5_LINE_MAX = 1 << 16, /* longest catalog or query line */
};

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Characters (not bytes) of UTF-8 text: the trigram tokenizer counts those. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Reads the JSON Lines catalog into p; returns the product count or -1. */
static long load_catalog(sqlite3 *db, const char *path)
{
    FILE *file = fopen(path, "r");
    sqlite3_stmt *insert = NULL;
    char *line = malloc(FTS5_LINE_MAX);
    long count = 0, ret = -1;

    if (file == NULL || line == NULL) {
        fprintf(stderr, "fts5: cannot read %s\n", path);
        goto out;
    }
    if (sqlite3_exec(db, "CREATE VIRTUAL TABLE p USING fts5(name, category, "
                         "tokenize='trigram'); BEGIN",
                     NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO p(rowid, name, category) VALUES (?1, ?2, ?3)",
                           -1, &insert, NULL) != SQLITE_OK) {
        fprintf(stderr, "fts5: %s\n", sqlite3_errmsg(db));
        goto out;
    }
    while (fgets(line, FTS5_LINE_MAX, file) != NULL) {
        cJSON *product = cJSON_Parse(line);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(product, "id");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(product, "name");
        const cJSON *category = cJSON_GetObjectItemCaseSensitive(product, "category");
        int ok = cJSON_IsNumber(id) && cJSON_IsString(name) && cJSON_IsString(category);

        if (ok) {
            sqlite3_bind_int64(insert, 1, (sqlite3_int64)id->valuedouble);
            sqlite3_bind_text(insert, 2, name->valuestring, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(insert, 3, category->valuestring, -1, SQLITE_TRANSIENT);
            ok = sqlite3_step(insert) == SQLITE_DONE;
            sqlite3_reset(insert);
        }
        cJSON_Delete(product);
        if (!ok) {
            fprintf(stderr, "fts5: %s, product %ld: not a product line (%s)\n", path,
                    count + 1, sqlite3_errmsg(db));
            goto out;
        }
        count++;
    }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "fts5: %s\n", sqlite3_errmsg(db));
        goto out;
    }
    ret = count;
out:
    sqlite3_finalize(insert);
    free(line);
    if (file != NULL)
        fclose(file);
    return ret;
}

/* The pattern for one query: an FTS5 phrase ("..." with " doubled) or a
 * LIKE pattern (%...% with %, _ and \ escaped by \). The caller frees it. */
static char *pattern_of(const char *q, int phrase)
{
    size_t n = strlen(q);
    char *out = malloc(2 * n + 3), *w = out;

    if (out == NULL)
        return NULL;
    *w++ = phrase ? '"' : '%';
    for (const char *s = q; *s != '\0'; s++) {
        if (phrase ? *s == '"' : (*s == '%' || *s == '_' || *s == '\\'))
            *w++ = phrase ? '"' : '\\';
        *w++ = *s;
    }
    *w++ = phrase ? '"' : '%';
    *w = '\0';
    return out;
}

int main(int argc, char **argv)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *match = NULL, *like = NULL;
    FILE *queries = NULL, *out = NULL;
    char *line = NULL;
    int64_t *times = NULL;
    size_t n = 0, cap = 0, fallback = 0;
    double total_ns = 0;
    long products;
    int ret = 1;

    if (argc != 4) {
        fprintf(stderr, "usage: fts5 CATALOG_JSONL QUERIES OUT\n");
        return 2;
    }
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
        fprintf(stderr, "fts5: cannot open an in-memory database\n");
        goto out;
    }
    int64_t t0 = now_ns();
    products = load_catalog(db, argv[1]);
    if (products < 0)
        goto out;
    double load_ms = (double)(now_ns() - t0) / 1e6;
    if (sqlite3_prepare_v2(db, "SELECT rowid FROM p WHERE p MATCH ?1 ORDER BY rowid", -1,
                           &match, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT rowid FROM p WHERE name LIKE ?1 ESCAPE '\\' "
                           "OR category LIKE ?1 ESCAPE '\\' ORDER BY rowid",
                           -1, &like, NULL) != SQLITE_OK) {
        fprintf(stderr, "fts5: %s\n", sqlite3_errmsg(db));
        goto out;
    }
    queries = fopen(argv[2], "r");
    out = fopen(argv[3], "w");
    line = malloc(FTS5_LINE_MAX);
    if (queries == NULL || out == NULL || line == NULL) {
        fprintf(stderr, "fts5: cannot read %s or write %s\n", argv[2], argv[3]);
        goto out;
    }
    while (fgets(line, FTS5_LINE_MAX, queries) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0')
            continue;
        int phrase = utf8_chars(line) >= FTS5_TRIGRAM;
        sqlite3_stmt *stmt = phrase ? match : like;
        char *pattern = pattern_of(line, phrase);
        sqlite3_int64 ids[FTS5_FIRST_IDS];
        long found = 0;
        int rc;

        if (pattern == NULL)
            goto out;
        if (n == cap) {
            int64_t *grown = realloc(times, (cap = cap ? 2 * cap : 16384) * sizeof(*times));
            if (grown == NULL) {
                free(pattern);
                goto out;
            }
            times = grown;
        }
        int64_t start = now_ns();
        sqlite3_bind_text(stmt, 1, pattern, -1, SQLITE_STATIC);
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            if (found < FTS5_FIRST_IDS)
                ids[found] = sqlite3_column_int64(stmt, 0);
            found++;
        }
        sqlite3_reset(stmt);
        times[n] = now_ns() - start;
        free(pattern);
        if (rc != SQLITE_DONE) {
            fprintf(stderr, "fts5: query '%s': %s\n", line, sqlite3_errmsg(db));
            goto out;
        }
        total_ns += (double)times[n];
        fallback += !phrase;
        fprintf(out, "%lld %ld ", (long long)times[n], found);
        for (long k = 0; k < found && k < FTS5_FIRST_IDS; k++)
            fprintf(out, k ? ",%lld" : "%lld", (long long)ids[k]);
        fputc('\n', out);
        n++;
    }
    if (n == 0) {
        fprintf(stderr, "fts5: no queries in %s\n", argv[2]);
        goto out;
    }
    if (fflush(out) != 0) {
        fprintf(stderr, "fts5: cannot write %s\n", argv[3]);
        goto out;
    }
    qsort(times, n, sizeof(*times), cmp_i64);
    printf("{\"products\":%ld,\"load_ms\":%.1f,\"queries\":%zu,\"like_fallback\":%zu,"
           "\"median_ns\":%lld,\"mean_ns\":%.0f,\"p99_ns\":%lld,\"sqlite\":\"%s\"}\n",
           products, load_ms, n, fallback, (long long)times[n / 2], total_ns / (double)n,
           (long long)times[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1], sqlite3_libversion());
    ret = 0;
out:
    free(times);
    free(line);
    if (out != NULL && fclose(out) != 0)
        ret = 1;
    if (queries != NULL)
        fclose(queries);
    sqlite3_finalize(match);
    sqlite3_finalize(like);
    sqlite3_close(db);
    return ret;
}
