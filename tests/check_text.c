/* check_text: UTF-8 validation, trimming, folding and JSON strings, table-driven. */
#include <string.h>

#include <cjson/cJSON.h>

#include "base.h"
#include "suites.h"
#include "text.h"

static const struct {
    const char *bytes;
    size_t len;
    bool valid;
} UTF8[] = {
    {"plain ascii", 11, true},
    {"caf\xC3\xA9", 5, true},                /* é */
    {"\xE2\x82\xAC", 3, true},               /* € */
    {"\xF0\x9F\x98\x80", 4, true},           /* emoji */
    {"\xF4\x8F\xBF\xBF", 4, true},           /* U+10FFFF */
    {"\x80", 1, false},                      /* lone continuation */
    {"\xC3", 1, false},                      /* truncated */
    {"\xE2\x82", 2, false},                  /* truncated */
    {"\xC0\x80", 2, false},                  /* overlong NUL */
    {"\xE0\x80\x80", 3, false},              /* overlong */
    {"\xF0\x80\x80\x80", 4, false},          /* overlong */
    {"\xED\xA0\x80", 3, false},              /* surrogate U+D800 */
    {"\xF4\x90\x80\x80", 4, false},          /* above U+10FFFF */
    {"\xFF", 1, false},
    {"ok\xC3\x28", 4, false},                /* bad continuation */
};

START_TEST(utf8_table)
{
    ck_assert_msg(text_utf8_valid(UTF8[_i].bytes, UTF8[_i].len) == UTF8[_i].valid,
                  "case %d", _i);
}
END_TEST

START_TEST(trim_ascii_space_only)
{
    const char *s = " \t\r\n alpha beta \v\f ";
    size_t len = strlen(s);
    text_trim_ascii(&s, &len);
    ck_assert_uint_eq(len, 10);
    ck_assert_int_eq(memcmp(s, "alpha beta", 10), 0);

    const char *nb = "\xC2\xA0x\xC2\xA0"; /* U+00A0 is not ASCII space: kept */
    len = strlen(nb);
    text_trim_ascii(&nb, &len);
    ck_assert_uint_eq(len, 5);

    const char *blank = "   ";
    len = 3;
    text_trim_ascii(&blank, &len);
    ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(lower_is_ascii_only)
{
    ck_assert_int_eq(text_lower('A'), 'a');
    ck_assert_int_eq(text_lower('Z'), 'z');
    ck_assert_int_eq(text_lower('a'), 'a');
    ck_assert_int_eq(text_lower('@'), '@');
    ck_assert_int_eq(text_lower('['), '[');
    ck_assert_int_eq((unsigned char)text_lower('\xC3'), 0xC3);
}
END_TEST

/* The JSON string writer every answer and log line uses. */
static const struct {
    const char *in;
    size_t len;
    const char *out;
} ESCAPES[] = {
    {"plain", 5, "\"plain\""},
    {"say \"hi\"", 8, "\"say \\\"hi\\\"\""},
    {"back\\slash", 10, "\"back\\\\slash\""},
    {"tab\tnl\ncr\r", 10, "\"tab\\tnl\\ncr\\r\""},
    {"\b\f", 2, "\"\\b\\f\""},
    {"\x01\x1f", 2, "\"\\u0001\\u001f\""},
    {"nul\0x", 5, "\"nul\\u0000x\""},
    {"caf\xC3\xA9 \xE2\x82\xAC", 9, "\"caf\xC3\xA9 \xE2\x82\xAC\""}, /* UTF-8 passes through */
    {"</script>", 9, "\"</script>\""},
    {"\x7f", 1, "\"\x7f\""},
};

START_TEST(json_escaping)
{
    char out[128];
    size_t n = text_json_string(out, ESCAPES[_i].in, ESCAPES[_i].len);
    ck_assert_uint_le(n, text_json_string_max(ESCAPES[_i].len));
    out[n] = '\0';
    ck_assert_str_eq(out, ESCAPES[_i].out);
    /* and a JSON parser reads back the original bytes */
    cJSON *v = cJSON_ParseWithLength(out, n);
    ck_assert_ptr_nonnull(v);
    if (memchr(ESCAPES[_i].in, '\0', ESCAPES[_i].len) == NULL)
        ck_assert_str_eq(cJSON_GetStringValue(v), ESCAPES[_i].in);
    cJSON_Delete(v);
}
END_TEST

/* Byte order with and without ASCII folding; other bytes compare as they are. */
static const struct {
    const char *a, *b;
    int fold, exact; /* text_casecmp, text_cmp */
} ORDERS[] = {
    {"Books", "books", 0, -1},  {"books", "Books", 0, 1},   {"Book", "books", -1, -1},
    {"a", "", 1, 1},            {"", "", 0, 0},             {"Caf\xC3\xA9", "CAF\xC3\xA9", 0, 1},
    {"\xC3\x89", "\xC3\xA9", -1, -1}, {"Z", "a", 1, -1},     {"[", "a", -1, -1},
};

START_TEST(compare_folded_and_exact)
{
    const char *a = ORDERS[_i].a, *b = ORDERS[_i].b;
    ck_assert_int_eq(text_casecmp(a, strlen(a), b, strlen(b)), ORDERS[_i].fold);
    ck_assert_int_eq(text_cmp(a, strlen(a), b, strlen(b)), ORDERS[_i].exact);
    char low[16];
    text_lower_copy(low, a, strlen(a));
    ck_assert_int_eq(text_casecmp(low, strlen(a), a, strlen(a)), 0);
}
END_TEST

Suite *text_suite(void)
{
    Suite *s = suite_create("text");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, utf8_table, 0, (int)(sizeof(UTF8) / sizeof(UTF8[0])));
    tcase_add_test(tc, trim_ascii_space_only);
    tcase_add_test(tc, lower_is_ascii_only);
    tcase_add_loop_test(tc, json_escaping, 0, (int)COUNT_OF(ESCAPES));
    tcase_add_loop_test(tc, compare_folded_and_exact, 0, (int)COUNT_OF(ORDERS));
    suite_add_tcase(s, tc);
    return s;
}
