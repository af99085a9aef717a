/* check_catalog_csv: CSV files that load (quoting, line ends, BOM, non-ASCII,
 * mapping, id assignment, prices), every refused file with its exact one-line
 * message, the --import-csv action and its flags, and the example catalog's
 * CSV against its JSON Lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "catalog_csv.h"
#include "catalog_file.h"
#include "config.h"
#include "render.h"
#include "suites.h"

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))
#define HEADER "id,name,category,description,brand,price\n"

static char path[64];

static const char *write_file(const char *content, size_t len)
{
    strcpy(path, "/tmp/ps-csv-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, content, len), (ssize_t)len);
    close(fd);
    return path;
}

/* Overrides of the default mapping; NULL and 0 keep the default. */
struct mapping {
    const char *id, *name, *category, *description, *brand, *price;
    char delimiter;
};

static void map_from(struct catalog_csv_map *map, const struct mapping *m)
{
    catalog_csv_map_init(map);
    if (m->id)
        map->id = m->id;
    if (m->name)
        map->name = m->name;
    if (m->category)
        map->category = m->category;
    if (m->description)
        map->description = m->description;
    if (m->brand)
        map->brand = m->brand;
    if (m->price)
        map->price = m->price;
    if (m->delimiter)
        map->delimiter = m->delimiter;
}

/* The catalog as --export-catalog writes it, in one heap string. */
static char *export_lines(const struct catalog *cat)
{
    size_t cap = 1, used = 0;
    char *all = malloc(cap);
    all[0] = '\0';
    for (size_t k = 0; k < cat->count; k++) {
        size_t len;
        char *line = render_product(cat, &cat->items[k], &len);
        all = realloc(all, cap += len + 1);
        memcpy(all + used, line, len);
        used += len;
        all[used++] = '\n';
        all[used] = '\0';
        free(line);
    }
    return all;
}

static const struct {
    const char *what;
    const char *csv;
    struct mapping map;
    bool assigned; /* the header has no id column */
    const char *jsonl; /* what --import-csv writes */
} GOOD[] = {
    {"plain, LF, products put in id order",
     HEADER "2,Two,Home,d2,Z,2.5\n1,One,Home,d1,Z,1\n",
     {0}, false,
     "{\"id\":1,\"name\":\"One\",\"category\":\"Home\",\"description\":\"d1\",\"brand\":\"Z\",\"price\":1.00}\n"
     "{\"id\":2,\"name\":\"Two\",\"category\":\"Home\",\"description\":\"d2\",\"brand\":\"Z\",\"price\":2.50}\n"},
    {"CRLF, no line end after the last row",
     "id,name,category,description,brand,price\r\n1,A,c,d,b,1\r\n2,B,c,d,b,2",
     {0}, false,
     "{\"id\":1,\"name\":\"A\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":1.00}\n"
     "{\"id\":2,\"name\":\"B\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":2.00}\n"},
    {"quoted fields: doubled quotes, delimiters and line breaks inside, kept byte for byte",
     HEADER "1,\"Hose Connector 1/2\"\" (3-pack)\",\"Home & Kitchen\",\"Line one,\r\nline \"\"two\"\"\n"
     "end\",\"\",\"12.50\"\n",
     {0}, false,
     "{\"id\":1,\"name\":\"Hose Connector 1/2\\\" (3-pack)\",\"category\":\"Home & Kitchen\","
     "\"description\":\"Line one,\\r\\nline \\\"two\\\"\\nend\",\"brand\":\"\",\"price\":12.50}\n"},
    {"UTF-8 byte order mark",
     "\xEF\xBB\xBF" HEADER "1,A,c,d,b,1\n",
     {0}, false,
     "{\"id\":1,\"name\":\"A\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":1.00}\n"},
    {"non-ASCII strings",
     HEADER "1,Crème Brûlée Torch,Home & Kitchen,\"Café, naïve, 日本, Straße\",Müller Küche,29.99\n",
     {0}, false,
     "{\"id\":1,\"name\":\"Crème Brûlée Torch\",\"category\":\"Home & Kitchen\","
     "\"description\":\"Café, naïve, 日本, Straße\",\"brand\":\"Müller Küche\",\"price\":29.99}\n"},
    {"no id column: ids 1..N in file order",
     "name,category,description,brand,price\nZeta,c,d,b,3\nAlpha,c,d,b,1\n\nMid,c,d,b,2\n",
     {0}, true,
     "{\"id\":1,\"name\":\"Zeta\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":3.00}\n"
     "{\"id\":2,\"name\":\"Alpha\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":1.00}\n"
     "{\"id\":3,\"name\":\"Mid\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":2.00}\n"},
    {"column mapping, any column order, other columns ignored",
     "Preis,Titel,sku,Bild,Marke,Kategorie,Beschreibung\n"
     "9.90,Käse,17,\"https://x/a.jpg\",Alm,Food,\"würzig, 200 g\"\n",
     {"sku", "Titel", "Kategorie", "Beschreibung", "Marke", "Preis", 0}, false,
     "{\"id\":17,\"name\":\"Käse\",\"category\":\"Food\",\"description\":\"würzig, 200 g\","
     "\"brand\":\"Alm\",\"price\":9.90}\n"},
    {"a mapped id column that the header lacks: ids assigned",
     "name,category,description,brand,price\nA,c,d,b,1\n",
     {"sku", NULL, NULL, NULL, NULL, NULL, 0}, true,
     "{\"id\":1,\"name\":\"A\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":1.00}\n"},
    {"semicolon delimiter: commas are ordinary bytes",
     "id;name;category;description;brand;price\r\n4;Mehl;Food;\"1,5 kg; Type 405\";Mühle;1.29\r\n",
     {NULL, NULL, NULL, NULL, NULL, NULL, ';'}, false,
     "{\"id\":4,\"name\":\"Mehl\",\"category\":\"Food\",\"description\":\"1,5 kg; Type 405\","
     "\"brand\":\"Mühle\",\"price\":1.29}\n"},
    {"tab delimiter",
     "id\tname\tcategory\tdescription\tbrand\tprice\n3\tA, B\tc\t\"x\ty\"\tb\t0.5\n",
     {NULL, NULL, NULL, NULL, NULL, NULL, '\t'}, false,
     "{\"id\":3,\"name\":\"A, B\",\"category\":\"c\",\"description\":\"x\\ty\",\"brand\":\"b\",\"price\":0.50}\n"},
    {"blank lines skipped, lone CR line ends",
     "\r\n" HEADER "\n1,A,c,d,b,1\r2,B,c,d,b,2\r\r\n",
     {0}, false,
     "{\"id\":1,\"name\":\"A\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":1.00}\n"
     "{\"id\":2,\"name\":\"B\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":2.00}\n"},
    {"a quote inside an unquoted field is an ordinary byte",
     HEADER "1,12\" Pizza Pan,c,say \"hi\",b,9\n",
     {0}, false,
     "{\"id\":1,\"name\":\"12\\\" Pizza Pan\",\"category\":\"c\",\"description\":\"say \\\"hi\\\"\","
     "\"brand\":\"b\",\"price\":9.00}\n"},
    {"blanks around id and price dropped, strings kept as they are",
     HEADER " 7 , Name ,c,d,b, 3.10 \n",
     {0}, false,
     "{\"id\":7,\"name\":\" Name \",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":3.10}\n"},
    {"empty category, description and brand are allowed",
     HEADER "1,A,,,,0\n",
     {0}, false,
     "{\"id\":1,\"name\":\"A\",\"category\":\"\",\"description\":\"\",\"brand\":\"\",\"price\":0.00}\n"},
    {"two fields read from one column",
     "sku,name,category,description,price\n1,A,Books,d,1\n",
     {"sku", NULL, NULL, NULL, "category", NULL, 0}, false,
     "{\"id\":1,\"name\":\"A\",\"category\":\"Books\",\"description\":\"d\",\"brand\":\"Books\",\"price\":1.00}\n"},
    {"control bytes and JSON specials escaped as --export-catalog escapes them",
     HEADER "1,\"a\\b\",\"tab\there\",\"\x01\",/,1\n",
     {0}, false,
     "{\"id\":1,\"name\":\"a\\\\b\",\"category\":\"tab\\there\",\"description\":\"\\u0001\","
     "\"brand\":\"/\",\"price\":1.00}\n"},
};

START_TEST(good_files_load)
{
    struct catalog cat;
    struct catalog_csv_map map;
    char err[CATALOG_FILE_ERROR_MAX];
    bool assigned = !GOOD[_i].assigned;
    map_from(&map, &GOOD[_i].map);
    write_file(GOOD[_i].csv, strlen(GOOD[_i].csv));
    int rc = catalog_csv_load(&cat, path, &map, &assigned, err);
    unlink(path);
    ck_assert_msg(rc == 0, "%s: %s", GOOD[_i].what, err);
    ck_assert_int_eq(assigned, GOOD[_i].assigned);
    char *got = export_lines(&cat);
    ck_assert_msg(strcmp(got, GOOD[_i].jsonl) == 0, "%s:\ngot:  %s\nwant: %s", GOOD[_i].what,
                  got, GOOD[_i].jsonl);
    free(got);
    catalog_deinit(&cat);
}
END_TEST

/* Prices become exact cents from their digits. */
static const struct {
    const char *price;
    uint64_t cents;
} PRICES[] = {
    {"0", 0},         {"0.0", 0},         {"0.07", 7},       {"12", 1200},
    {"12.5", 1250},   {"12.50", 1250},    {"19.99", 1999},   {"007.5", 750},
    {" 3 ", 300},     {"\"4.20\"", 420},
    {"10000000000000", 1000000000000000ULL}, {"10000000000000.00", 1000000000000000ULL},
    {"9007199254740.99", 900719925474099ULL}, /* not a double, exactly */
};

START_TEST(prices_are_exact_cents)
{
    char content[256];
    struct catalog cat;
    struct catalog_csv_map map;
    char err[CATALOG_FILE_ERROR_MAX];
    catalog_csv_map_init(&map);
    snprintf(content, sizeof(content), HEADER "1,A,c,d,b,%s\n", PRICES[_i].price);
    write_file(content, strlen(content));
    int rc = catalog_csv_load(&cat, path, &map, NULL, err);
    unlink(path);
    ck_assert_msg(rc == 0, "%s: %s", PRICES[_i].price, err);
    ck_assert_uint_eq(cat.items[0].price_cents, PRICES[_i].cents);
    catalog_deinit(&cat);
}
END_TEST

#define ROW(price) "1,A,c,d,b," price "\n"
#define LIT(s) s, sizeof(s) - 1 /* a literal that holds a NUL, with its length */

static const struct {
    const char *csv;
    size_t len; /* 0: strlen(csv) */
    struct mapping map;
    const char *message; /* the whole line after "--import-csv <path>: " */
} BAD[] = {
    /* the file and the header */
    {"", 0, {0}, "empty file, expected a header row naming the columns"},
    {"\n\r\n\n", 0, {0}, "empty file, expected a header row naming the columns"},
    {HEADER, 0, {0}, "no products: the header is followed by no rows"},
    {HEADER "\n\n", 0, {0}, "no products: the header is followed by no rows"},
    {LIT("\xFF\xFEi\0d\0"), {0}, "starts with a UTF-16 byte order mark; save the file as UTF-8"},
    {"id,name,category,description,brand\n1,A,c,d,b\n", 0, {0},
     "header: no \"price\" column (the header has \"id\", \"name\", \"category\", "
     "\"description\", \"brand\"); name it with --csv-price"},
    {"sku,title,category,description,brand,price\n1,A,c,d,b,1\n", 0, {0},
     "header: no \"name\" column (the header has \"sku\", \"title\", \"category\", "
     "\"description\", \"brand\", \"price\"); name it with --csv-name"},
    {"id;name;category;description;brand;price\n", 0, {0},
     "header: no \"name\" column (the header has \"id;name;category;descrip...\"); is the "
     "file separated by ';'? (--csv-delimiter ;)"},
    {"id\tname\tcategory\tdescription\tbrand\tprice\n", 0, {0},
     "header: no \"name\" column (the header has \"id?name?category?descrip...\"); is the "
     "file separated by tabs? (--csv-delimiter tab)"},
    {HEADER, 0, {NULL, NULL, NULL, NULL, NULL, NULL, ';'},
     "header: no \"name\" column (the header has \"id,name,category,descrip...\"); is the "
     "file separated by ','? (--csv-delimiter ,)"},
    {"a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z,aa,bb,cc,dd,ee,ff,gg\n", 0, {0},
     "header: no \"name\" column (the header has \"a\", \"b\", \"c\", \"d\", \"e\", \"f\", "
     "\"g\", \"h\", \"i\", \"j\", \"k\", \"l\", \"m\", \"n\", \"o\", \"p\", \"q\", \"r\", "
     "\"s\", \"t\", ...); name it with --csv-name"},
    {"\n" "id,name,name,description,brand,price\n", 0, {0},
     "header (line 2): column \"name\" appears twice (columns 2 and 3)"},
    {LIT("id,na\0me,category,description,brand,price\n"), {0},
     "header: column 2 holds a NUL byte (a UTF-16 file? save it as UTF-8)"},
    {"id,\"name,category,description,brand,price\n", 0, {0},
     "header: column 2: the quote opened on line 1 is never closed"},
    /* the shape of a row */
    {HEADER "1,A,c,d,b\n", 0, {0}, "row 2: 5 fields, the header has 6"},
    {HEADER ROW("1") "2,A,c,d,b,1,299.00\n", 0, {0}, "row 3: 7 fields, the header has 6"},
    {HEADER "x\n", 0, {0}, "row 2: 1 field, the header has 6"},
    {HEADER "1,A,c,\"two\nlines\",b,1\n2,B,c,d,b\n", 0, {0},
     "row 3 (line 4): 5 fields, the header has 6"},
    {HEADER "1,A,c,\"d,b,12.5\n2,B,c,d,b,3\n", 0, {0},
     "row 2: column \"description\": the quote opened on line 2 is never closed"},
    {HEADER "1,A,c,\"two\nlines\",b,1\n2,B,c,d,\"b,1\n", 0, {0},
     "row 3 (line 4): column \"brand\": the quote opened on line 4 is never closed"},
    {HEADER "1,A,c,\"d\"x,b,12.5\n", 0, {0},
     "row 2: column \"description\": a closing quote must be followed by ',' or the end "
     "of the line, not 'x' (write a quote inside a quoted field as \"\")"},
    {"id;name;category;description;brand;price\n1;\"A\" ;c;d;b;1\n", 0,
     {NULL, NULL, NULL, NULL, NULL, NULL, ';'},
     "row 2: column \"name\": a closing quote must be followed by ';' or the end of the "
     "line, not ' ' (write a quote inside a quoted field as \"\")"},
    /* strings */
    {HEADER "1,A\xC3\x28,c,d,b,1\n", 0, {0}, "row 2: column \"name\" is not valid UTF-8"},
    {"id,name,category,description,Marke,price\n1,A,c,d,\xFF,1\n", 0,
     {NULL, NULL, NULL, NULL, "Marke", NULL, 0},
     "row 2: column \"Marke\" (the brand) is not valid UTF-8"},
    {LIT(HEADER "1,A\0B,c,d,b,1\n"), {0}, "row 2: column \"name\" holds a NUL byte"},
    {LIT("id,name,category,description,brand,price,notes\n1,A,c,d,b,1,\0\n"), {0},
     "row 2: column \"notes\" holds a NUL byte"},
    {HEADER "1,,c,d,b,1\n", 0, {0}, "row 2: column \"name\" is empty (every product needs a name)"},
    {"id,title,category,description,brand,price\n1,\"\",c,d,b,1\n", 0,
     {NULL, "title", NULL, NULL, NULL, NULL, 0},
     "row 2: column \"title\" (the name) is empty (every product needs a name)"},
    /* ids */
    {HEADER ROW("1") "\n" "2,B,c,d,b,1\n" "1,C,c,d,b,1\n", 0, {0},
     "row 5: duplicate id 1, already used by row 2"},
    {HEADER "3,A,c,\"x\ny\",b,1\n" ROW("1") "3,C,c,d,b,1\n", 0, {0},
     "row 4 (line 5): duplicate id 3, already used by row 2"},
    {HEADER ",A,c,d,b,1\n", 0, {0}, "row 2: column \"id\" is empty"},
    {HEADER "0,A,c,d,b,1\n", 0, {0},
     "row 2: column \"id\": \"0\" is not an id: expected a whole number from 1 to "
     "9007199254740991, digits only, no sign or leading zeros"},
    {HEADER "-1,A,c,d,b,1\n", 0, {0},
     "row 2: column \"id\": \"-1\" is not an id: expected a whole number from 1 to "
     "9007199254740991, digits only, no sign or leading zeros"},
    {HEADER "007,A,c,d,b,1\n", 0, {0},
     "row 2: column \"id\": \"007\" is not an id: expected a whole number from 1 to "
     "9007199254740991, digits only, no sign or leading zeros"},
    {HEADER "1.0,A,c,d,b,1\n", 0, {0},
     "row 2: column \"id\": \"1.0\" is not an id: expected a whole number from 1 to "
     "9007199254740991, digits only, no sign or leading zeros"},
    {HEADER "9007199254740992,A,c,d,b,1\n", 0, {0},
     "row 2: column \"id\": \"9007199254740992\" is not an id: expected a whole number from "
     "1 to 9007199254740991, digits only, no sign or leading zeros"},
    /* prices */
    {HEADER ROW("12.345"), 0, {0},
     "row 2: column \"price\": \"12.345\" has more than 2 decimals (prices are whole cents)"},
    {HEADER ROW("0.285"), 0, {0},
     "row 2: column \"price\": \"0.285\" has more than 2 decimals (prices are whole cents)"},
    {HEADER ROW("-5"), 0, {0},
     "row 2: column \"price\": \"-5\" has a sign; expected a plain price like 12, 12.5 or 12.50"},
    {HEADER ROW("+5"), 0, {0},
     "row 2: column \"price\": \"+5\" has a sign; expected a plain price like 12, 12.5 or 12.50"},
    {HEADER ROW("1e3"), 0, {0},
     "row 2: column \"price\": \"1e3\" has an exponent; expected a plain price like 12, 12.5 "
     "or 12.50"},
    {HEADER ROW("1.5E2"), 0, {0},
     "row 2: column \"price\": \"1.5E2\" has an exponent; expected a plain price like 12, "
     "12.5 or 12.50"},
    {HEADER ROW("\"1,299.00\""), 0, {0},
     "row 2: column \"price\": \"1,299.00\" has a comma (a thousands separator or a decimal "
     "comma); write the decimal point as '.' and no separators, like 1299.50"},
    {"id;name;category;description;brand;price\n1;A;c;d;b;12,50\n", 0,
     {NULL, NULL, NULL, NULL, NULL, NULL, ';'},
     "row 2: column \"price\": \"12,50\" has a comma (a thousands separator or a decimal "
     "comma); write the decimal point as '.' and no separators, like 1299.50"},
    {HEADER ROW("1 299.00"), 0, {0},
     "row 2: column \"price\": \"1 299.00\" has a thousands separator; write it without, "
     "like 1299.50"},
    {HEADER ROW("1'299"), 0, {0},
     "row 2: column \"price\": \"1'299\" has a thousands separator; write it without, like "
     "1299.50"},
    {HEADER ROW("$5"), 0, {0},
     "row 2: column \"price\": \"$5\" is not a price; expected a plain price like 12, 12.5 "
     "or 12.50"},
    {HEADER ROW("12 EUR"), 0, {0},
     "row 2: column \"price\": \"12 EUR\" is not a price; expected a plain price like 12, "
     "12.5 or 12.50"},
    {HEADER ROW(".5"), 0, {0},
     "row 2: column \"price\": \".5\" is not a price; expected a plain price like 12, 12.5 "
     "or 12.50"},
    {HEADER ROW("5."), 0, {0},
     "row 2: column \"price\": \"5.\" is not a price; expected a plain price like 12, 12.5 "
     "or 12.50"},
    {HEADER ROW(""), 0, {0}, "row 2: column \"price\" is empty"},
    {HEADER ROW("10000000000000.01"), 0, {0},
     "row 2: column \"price\": \"10000000000000.01\" is above 10000000000000"},
    {HEADER ROW("99999999999999999999999999"), 0, {0},
     "row 2: column \"price\": \"999999999999999999999999...\" is above 10000000000000"},
    {"id,name,category,description,brand,Preis\n1,A,c,d,b,1.999\n", 0,
     {NULL, NULL, NULL, NULL, NULL, "Preis", 0},
     "row 2: column \"Preis\" (the price): \"1.999\" has more than 2 decimals (prices are "
     "whole cents)"},
};

START_TEST(bad_files_named_precisely)
{
    struct catalog cat;
    struct catalog_csv_map map;
    char err[CATALOG_FILE_ERROR_MAX], want[CATALOG_FILE_ERROR_MAX + 64];
    size_t len = BAD[_i].len ? BAD[_i].len : strlen(BAD[_i].csv);
    map_from(&map, &BAD[_i].map);
    write_file(BAD[_i].csv, len);
    ck_assert_int_eq(catalog_csv_load(&cat, path, &map, NULL, err), -1);
    unlink(path);
    snprintf(want, sizeof(want), "--import-csv %s: %s", path, BAD[_i].message);
    ck_assert_str_eq(err, want);
    ck_assert_uint_eq(cat.count, 0);
}
END_TEST

START_TEST(unreadable_files)
{
    struct catalog cat;
    struct catalog_csv_map map;
    char err[CATALOG_FILE_ERROR_MAX];
    catalog_csv_map_init(&map);
    ck_assert_int_eq(catalog_csv_load(&cat, "/nonexistent/shop.csv", &map, NULL, err), -1);
    ck_assert_str_eq(err, "--import-csv /nonexistent/shop.csv: cannot open: No such file or "
                          "directory");
    ck_assert_int_eq(catalog_csv_load(&cat, "/tmp", &map, NULL, err), -1);
    ck_assert_str_eq(err, "--import-csv /tmp: is a directory, expected a CSV file");
}
END_TEST

/* 4096 bytes is the longest field; a longer unread column is fine. */
START_TEST(field_length_limit)
{
    size_t cap = 3 * CATALOG_MAX_STRING + 256;
    char *csv = malloc(cap), *p;
    struct catalog cat;
    struct catalog_csv_map map;
    char err[CATALOG_FILE_ERROR_MAX], want[CATALOG_FILE_ERROR_MAX + 64];
    catalog_csv_map_init(&map);

    p = csv + sprintf(csv, "id,name,category,description,brand,price,html\n1,A,c,\"");
    memset(p, 'x', CATALOG_MAX_STRING);
    p += CATALOG_MAX_STRING;
    p += sprintf(p, "\",b,1,");
    memset(p, 'y', 2 * CATALOG_MAX_STRING);
    p += 2 * CATALOG_MAX_STRING;
    *p++ = '\n';
    write_file(csv, (size_t)(p - csv));
    ck_assert_msg(catalog_csv_load(&cat, path, &map, NULL, err) == 0, "%s", err);
    unlink(path);
    ck_assert_uint_eq(cat.items[0].description.len, CATALOG_MAX_STRING);
    catalog_deinit(&cat);

    p = csv + sprintf(csv, HEADER "1,A,c,");
    memset(p, 'x', CATALOG_MAX_STRING + 1);
    p += CATALOG_MAX_STRING + 1;
    p += sprintf(p, ",b,1\n");
    write_file(csv, (size_t)(p - csv));
    ck_assert_int_eq(catalog_csv_load(&cat, path, &map, NULL, err), -1);
    unlink(path);
    snprintf(want, sizeof(want),
             "--import-csv %s: row 2: column \"description\" is longer than 4096 bytes", path);
    ck_assert_str_eq(err, want);
    free(csv);
}
END_TEST

START_TEST(header_column_limit)
{
    char *csv = malloc(8 * CATALOG_CSV_MAX_COLUMNS + 256), *p = csv;
    struct catalog cat;
    struct catalog_csv_map map;
    char err[CATALOG_FILE_ERROR_MAX], want[CATALOG_FILE_ERROR_MAX + 64];
    catalog_csv_map_init(&map);
    p += sprintf(p, "id,name,category,description,brand,price");
    for (int c = 6; c <= CATALOG_CSV_MAX_COLUMNS; c++)
        p += sprintf(p, ",c%d", c);
    p += sprintf(p, "\n");
    write_file(csv, (size_t)(p - csv));
    ck_assert_int_eq(catalog_csv_load(&cat, path, &map, NULL, err), -1);
    unlink(path);
    snprintf(want, sizeof(want), "--import-csv %s: header: more than 1024 columns", path);
    ck_assert_str_eq(err, want);
    free(csv);
}
END_TEST

/* --import-csv and the --csv-* flags. */
START_TEST(flags_fill_the_config)
{
    struct config c;
    char err[CONFIG_ERROR_MAX];
    char *plain[] = {"p", NULL};
    ck_assert_int_eq(config_parse(&c, 1, plain, err), 0);
    ck_assert_int_eq(c.action, CONFIG_RUN);
    ck_assert_str_eq(c.import_csv, "");
    ck_assert_str_eq(c.csv_id, "id");
    ck_assert_str_eq(c.csv_name, "name");
    ck_assert_str_eq(c.csv_category, "category");
    ck_assert_str_eq(c.csv_description, "description");
    ck_assert_str_eq(c.csv_brand, "brand");
    ck_assert_str_eq(c.csv_price, "price");
    ck_assert_int_eq(c.csv_delimiter, ',');

    char *argv[] = {"p", "--import-csv", "shop.csv", "--csv-id", "SKU", "--csv-name=Title",
                    "--csv-category", "Kategorie", "--csv-description=Text", "--csv-brand",
                    "Marke", "--csv-price", "Preis (EUR)", "--csv-delimiter", ";", NULL};
    ck_assert_msg(config_parse(&c, 15, argv, err) == 0, "%s", err);
    ck_assert_int_eq(c.action, CONFIG_IMPORT_CSV);
    ck_assert_str_eq(c.import_csv, "shop.csv");
    ck_assert_str_eq(c.csv_id, "SKU");
    ck_assert_str_eq(c.csv_name, "Title");
    ck_assert_str_eq(c.csv_category, "Kategorie");
    ck_assert_str_eq(c.csv_description, "Text");
    ck_assert_str_eq(c.csv_brand, "Marke");
    ck_assert_str_eq(c.csv_price, "Preis (EUR)");
    ck_assert_int_eq(c.csv_delimiter, ';');

    char *tab[] = {"p", "--csv-delimiter=tab", "--import-csv=a.csv", NULL};
    ck_assert_int_eq(config_parse(&c, 3, tab, err), 0);
    ck_assert_int_eq(c.csv_delimiter, '\t');
    ck_assert_int_eq(c.action, CONFIG_IMPORT_CSV);
    ck_assert_ptr_nonnull(strstr(config_usage(), "--import-csv FILE"));
    ck_assert_ptr_nonnull(strstr(config_usage(), "--csv-delimiter D"));
}
END_TEST

static const struct {
    const char *args[3];
    const char *message;
} BAD_FLAGS[] = {
    {{"--csv-delimiter", "|", NULL}, "invalid --csv-delimiter \"|\": expected , or ; or tab"},
    {{"--csv-delimiter=", NULL, NULL}, "invalid --csv-delimiter \"\": expected , or ; or tab"},
    {{"--csv-name", "", NULL},
     "invalid --csv-name \"\": expected a column name of 1 to 255 bytes"},
    {{"--import-csv=", NULL, NULL}, "invalid --import-csv \"\": expected a file path"},
    {{"--import-csv", NULL, NULL}, "missing value for --import-csv"},
    {{"--csv-price", NULL, NULL}, "missing value for --csv-price"},
    {{"--csv-pric", "x", NULL}, "unknown option \"--csv-pric\" (see --help)"},
};

START_TEST(bad_flags_named)
{
    struct config c;
    char err[CONFIG_ERROR_MAX];
    char *argv[4] = {"p", NULL, NULL, NULL};
    int argc = 1;
    for (int k = 0; k < 2 && BAD_FLAGS[_i].args[k]; k++)
        argv[argc++] = (char *)BAD_FLAGS[_i].args[k];
    ck_assert_int_eq(config_parse(&c, argc, argv, err), -1);
    ck_assert_str_eq(err, BAD_FLAGS[_i].message);
}
END_TEST

/* Runs catalog_csv_import on content with argv's flags; fills out and log. */
static int run_import(const char *content, char **flags, char *out, size_t out_len, char *log,
                      size_t log_len)
{
    struct config c;
    char err[CONFIG_ERROR_MAX];
    char *argv[16] = {"p", "--import-csv", (char *)write_file(content, strlen(content))};
    int argc = 3;
    for (; flags != NULL && *flags != NULL; flags++)
        argv[argc++] = *flags;
    ck_assert_int_eq(config_parse(&c, argc, argv, err), 0);
    FILE *o = tmpfile(), *l = tmpfile();
    int status = catalog_csv_import(&c, o, l);
    rewind(o);
    rewind(l);
    out[fread(out, 1, out_len - 1, o)] = '\0';
    log[fread(log, 1, log_len - 1, l)] = '\0';
    fclose(o);
    fclose(l);
    unlink(path);
    return status;
}

START_TEST(import_writes_after_checking_everything)
{
    static char out[4096], log[1024], want[1024];
    /* a refused file: exit 2, nothing on out though its first rows were good */
    int status = run_import(HEADER ROW("1") "2,B,c,d,b,2\n3,C,c,d,b,2.999\n", NULL, out,
                            sizeof(out), log, sizeof(log));
    ck_assert_int_eq(status, CATALOG_CSV_EXIT_INVALID);
    ck_assert_str_eq(out, "");
    snprintf(want, sizeof(want),
             "product-search: --import-csv %s: row 4: column \"price\": \"2.999\" has more than "
             "2 decimals (prices are whole cents)\n",
             path);
    ck_assert_str_eq(log, want);

    /* a good one: the export's lines, one summary line */
    status = run_import(HEADER "2,B,c,d,b,2\n" ROW("1"), NULL, out, sizeof(out), log,
                        sizeof(log));
    ck_assert_int_eq(status, 0);
    ck_assert_str_eq(out,
        "{\"id\":1,\"name\":\"A\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":1.00}\n"
        "{\"id\":2,\"name\":\"B\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":2.00}\n");
    snprintf(want, sizeof(want), "product-search: --import-csv %s: 2 products\n", path);
    ck_assert_str_eq(log, want);

    /* no id column: said in the one line */
    char *flags[] = {"--csv-name", "Titel", "--csv-delimiter", ";", NULL};
    status = run_import("Titel;category;description;brand;price\nB;c;d;b;2\nA;c;d;b;1\n", flags,
                        out, sizeof(out), log, sizeof(log));
    ck_assert_int_eq(status, 0);
    ck_assert_str_eq(out,
        "{\"id\":1,\"name\":\"B\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":2.00}\n"
        "{\"id\":2,\"name\":\"A\",\"category\":\"c\",\"description\":\"d\",\"brand\":\"b\",\"price\":1.00}\n");
    snprintf(want, sizeof(want),
             "product-search: --import-csv %s: no \"id\" column; ids assigned 1..2 in file order\n",
             path);
    ck_assert_str_eq(log, want);
}
END_TEST

START_TEST(import_reports_a_failed_write)
{
    struct config c;
    char err[CONFIG_ERROR_MAX], log[1024];
    char *argv[] = {"p", "--import-csv", "docs/examples/catalog.csv", NULL};
    ck_assert_int_eq(config_parse(&c, 3, argv, err), 0);
    FILE *full = fopen("/dev/full", "w"), *l = tmpfile();
    ck_assert_ptr_nonnull(full);
    ck_assert_int_eq(catalog_csv_import(&c, full, l), CATALOG_CSV_EXIT_WRITE);
    rewind(l);
    log[fread(log, 1, sizeof(log) - 1, l)] = '\0';
    ck_assert_str_eq(log, "product-search: --import-csv docs/examples/catalog.csv: cannot "
                          "write the catalog: No space left on device\n");
    fclose(full);
    fclose(l);
}
END_TEST

/* The example catalog (scripts/make-example-catalog.py) as CSV, imported,
 * equals its JSON Lines twin loaded by PRODUCTS_FILE's loader, field by field,
 * and --import-csv writes that file's very bytes. */
START_TEST(example_catalog_round_trip)
{
    struct catalog csv, jsonl;
    struct catalog_csv_map map;
    char err[CATALOG_FILE_ERROR_MAX];
    bool assigned = true;
    catalog_csv_map_init(&map);
    ck_assert_msg(catalog_csv_load(&csv, "docs/examples/catalog.csv", &map, &assigned, err) == 0,
                  "%s", err);
    ck_assert(!assigned);
    ck_assert_msg(catalog_load_file(&jsonl, "docs/examples/catalog.jsonl", err) == 0, "%s", err);
    ck_assert_uint_eq(csv.count, 3000);
    ck_assert_uint_eq(csv.count, jsonl.count);
    for (size_t k = 0; k < csv.count; k++) {
        const struct product *a = &csv.items[k], *b = &jsonl.items[k];
        ck_assert_uint_eq(a->id, b->id);
        ck_assert_uint_eq(a->price_cents, b->price_cents);
        ck_assert_str_eq(catalog_text(&csv, a->name), catalog_text(&jsonl, b->name));
        ck_assert_str_eq(catalog_text(&csv, a->category), catalog_text(&jsonl, b->category));
        ck_assert_str_eq(catalog_text(&csv, a->description),
                         catalog_text(&jsonl, b->description));
        ck_assert_str_eq(catalog_text(&csv, a->brand), catalog_text(&jsonl, b->brand));
        ck_assert_uint_eq(a->plain, b->plain);
    }
    char *lines = export_lines(&csv);
    FILE *f = fopen("docs/examples/catalog.jsonl", "rb");
    ck_assert_ptr_nonnull(f);
    size_t want_len = strlen(lines);
    char *file = malloc(want_len + 2);
    size_t got = fread(file, 1, want_len + 1, f);
    fclose(f);
    ck_assert_uint_eq(got, want_len);
    ck_assert(memcmp(file, lines, want_len) == 0);
    free(file);
    free(lines);
    catalog_deinit(&csv);
    catalog_deinit(&jsonl);
}
END_TEST

Suite *catalog_csv_suite(void)
{
    Suite *s = suite_create("catalog_csv");
    TCase *tc = tcase_create("load");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, good_files_load, 0, (int)COUNT_OF(GOOD));
    tcase_add_loop_test(tc, prices_are_exact_cents, 0, (int)COUNT_OF(PRICES));
    tcase_add_loop_test(tc, bad_files_named_precisely, 0, (int)COUNT_OF(BAD));
    tcase_add_test(tc, unreadable_files);
    tcase_add_test(tc, field_length_limit);
    tcase_add_test(tc, header_column_limit);
    tcase_add_test(tc, example_catalog_round_trip);
    suite_add_tcase(s, tc);
    TCase *cli = tcase_create("import");
    tcase_add_test(cli, flags_fill_the_config);
    tcase_add_loop_test(cli, bad_flags_named, 0, (int)COUNT_OF(BAD_FLAGS));
    tcase_add_test(cli, import_writes_after_checking_everything);
    tcase_add_test(cli, import_reports_a_failed_write);
    suite_add_tcase(s, cli);
    return s;
}
