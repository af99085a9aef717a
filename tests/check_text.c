/* check_text: UTF-8 validation and trimming, table-driven. */
#include <string.h>

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

Suite *text_suite(void)
{
    Suite *s = suite_create("text");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, utf8_table, 0, (int)(sizeof(UTF8) / sizeof(UTF8[0])));
    tcase_add_test(tc, trim_ascii_space_only);
    tcase_add_test(tc, lower_is_ascii_only);
    suite_add_tcase(s, tc);
    return s;
}
