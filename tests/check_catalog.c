/* check_catalog: every field of the generated catalog for sample ids, determinism, bounds. */
#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "suites.h"

static const struct {
    uint64_t id;
    const char *name, *category, *description, *brand;
    uint64_t price_cents;
} SAMPLES[] = {
    {1, "Product Alpha 1", "Electronics", "Durable electronics item by Alpha.", "Alpha", 8019},
    {2, "Product Beta 2", "Books", "Compact books item by Beta.", "Beta", 15938},
    {8, "Product Theta 8", "Food", "Eco-friendly food item by Theta.", "Theta", 63452},
    {10, "Product Kappa 10", "Automotive", "Compact automotive item by Kappa.", "Kappa", 79290},
    {12, "Product Beta 12", "Office", "Classic office item by Beta.", "Beta", 95128},
    {13, "Product Gamma 13", "Electronics", "Lightweight electronics item by Gamma.", "Gamma",
     3147},
    {100000, "Product Kappa 100000", "Sports", "Eco-friendly sports item by Kappa.", "Kappa",
     92700},
};

static struct catalog cat;

static void setup(void)
{
    ck_assert_int_eq(catalog_generate(&cat, 100000), 0);
}

static void teardown(void)
{
    catalog_deinit(&cat);
}

START_TEST(fields_of_sample_ids)
{
    const struct product *p = &cat.items[SAMPLES[_i].id - 1];
    ck_assert_uint_eq(p->id, SAMPLES[_i].id);
    ck_assert_str_eq(catalog_text(&cat, p->name), SAMPLES[_i].name);
    ck_assert_str_eq(catalog_text(&cat, p->category), SAMPLES[_i].category);
    ck_assert_str_eq(catalog_text(&cat, p->description), SAMPLES[_i].description);
    ck_assert_str_eq(catalog_text(&cat, p->brand), SAMPLES[_i].brand);
    ck_assert_uint_eq(p->price_cents, SAMPLES[_i].price_cents);
    ck_assert_uint_eq(p->name.len, strlen(SAMPLES[_i].name));
}
END_TEST

START_TEST(every_price_follows_the_formula)
{
    ck_assert_uint_eq(cat.count, 100000);
    for (size_t i = 1; i <= cat.count; i++) {
        const struct product *p = &cat.items[i - 1];
        ck_assert_uint_eq(p->id, i);
        ck_assert_uint_eq(p->price_cents, 100 + (i * 7919) % 99900);
        ck_assert_uint_eq(p->plain, 0xF); /* generated strings never need escaping */
    }
}
END_TEST

START_TEST(generation_is_byte_identical)
{
    struct catalog again;
    ck_assert_int_eq(catalog_generate(&again, 100000), 0);
    ck_assert_uint_eq(again.arena_len, cat.arena_len);
    ck_assert_int_eq(memcmp(again.arena, cat.arena, cat.arena_len), 0);
    ck_assert_int_eq(memcmp(again.items, cat.items, cat.count * sizeof(*cat.items)), 0);
    catalog_deinit(&again);
}
END_TEST

START_TEST(count_bounds)
{
    struct catalog c;
    ck_assert_int_eq(catalog_generate(&c, 0), -1);
    ck_assert_uint_eq(c.count, 0);
    ck_assert_int_eq(catalog_generate(&c, CATALOG_MAX_PRODUCTS + 1), -1);
    ck_assert_int_eq(catalog_generate(&c, 1), 0);
    ck_assert_uint_eq(c.count, 1);
    ck_assert_str_eq(catalog_text(&c, c.items[0].name), "Product Alpha 1");
    catalog_deinit(&c);
}
END_TEST

START_TEST(add_marks_strings_needing_escapes)
{
    struct catalog c;
    catalog_init(&c);
    ck_assert_int_eq(catalog_add(&c, 7, 1, "a \"q\"", 5, "cat", 3, "line\nbreak", 10, "b", 1), 0);
    ck_assert_uint_eq(c.items[0].plain, CATALOG_PLAIN_CATEGORY | CATALOG_PLAIN_BRAND);
    ck_assert_str_eq(catalog_text(&c, c.items[0].description), "line\nbreak");
    catalog_deinit(&c);
}
END_TEST

Suite *catalog_suite(void)
{
    Suite *s = suite_create("catalog");
    TCase *tc = tcase_create("generate");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, fields_of_sample_ids, 0, (int)(sizeof(SAMPLES) / sizeof(SAMPLES[0])));
    tcase_add_test(tc, every_price_follows_the_formula);
    tcase_add_test(tc, generation_is_byte_identical);
    suite_add_tcase(s, tc);
    TCase *tb = tcase_create("bounds");
    tcase_add_test(tb, count_bounds);
    tcase_add_test(tb, add_marks_strings_needing_escapes);
    suite_add_tcase(s, tb);
    return s;
}
