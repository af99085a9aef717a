/* catalog_csv: reads a shop's CSV export (RFC 4180) into a catalog, row by row; the --import-csv action. */
#ifndef PRODUCT_SEARCH_CATALOG_CSV_H
#define PRODUCT_SEARCH_CATALOG_CSV_H

#include <stdbool.h>
#include <stdio.h>

#include "catalog.h"
#include "config.h"

enum {
    CATALOG_CSV_MAX_COLUMNS = 1024, /* header columns at most */
    CATALOG_CSV_EXIT_INVALID = 2,   /* exit status when the CSV file is refused */
    CATALOG_CSV_EXIT_WRITE = 1,     /* exit status when stdout cannot take the catalog */
};

/* Which header column holds each product field, and how columns are separated. */
struct catalog_csv_map {
    const char *id;          /* header of the id column; when the header has no such
                                column, ids are assigned 1..N in file order */
    const char *name;        /* header of the name column (required, never empty) */
    const char *category;    /* header of the category column (required) */
    const char *description; /* header of the description column (required) */
    const char *brand;       /* header of the brand column (required) */
    const char *price;       /* header of the price column (required) */
    char delimiter;          /* ',', ';' or '\t' */
};

/* Sets map to the defaults: columns "id", "name", "category", "description",
 * "brand" and "price", separated by commas. */
void catalog_csv_map_init(struct catalog_csv_map *map);

/* Fills cat (caller-owned storage) from the CSV file at path: UTF-8 with an
 * optional byte order mark, a header row naming the columns (matched exactly,
 * in any order; other columns are ignored), one product per row. Fields are
 * separated by map->delimiter and may be double-quoted, with "" for a quote
 * and line breaks kept inside; rows end with CRLF or LF; blank lines are
 * skipped. Strings are kept byte for byte (at most 4096 bytes of valid UTF-8,
 * no NUL), the name is never empty, ids are unique positive integers up to
 * 2^53 - 1 (what PRODUCTS_FILE accepts), prices are 12, 12.5 or 12.50, at most
 * 10000000000000, read exactly into cents. Products end up in id order.
 * *ids_assigned (when not NULL) tells whether the header had no id column.
 * Returns 0, or -1 with one line in err (CATALOG_FILE_ERROR_MAX bytes) naming
 * the file, the row as a spreadsheet numbers it (the header is row 1), its
 * line when that differs, and the problem; cat is then empty. */
int catalog_csv_load(struct catalog *cat, const char *path, const struct catalog_csv_map *map,
                     bool *ids_assigned, char *err);

/* The --import-csv action, whole: loads cfg->import_csv with the cfg->csv_*
 * column mapping and only then writes every product to out as JSON Lines,
 * exactly as --export-catalog does (so nothing reaches out when the file is
 * refused). Writes one line to log: the error, or a summary. Returns the exit
 * status: 0, CATALOG_CSV_EXIT_INVALID when the file is refused, or
 * CATALOG_CSV_EXIT_WRITE when out fails (then it may hold part of the catalog).
 * It sits here, not in main.c, so that main only dispatches to it. */
int catalog_csv_import(const struct config *cfg, FILE *out, FILE *log);

#endif
