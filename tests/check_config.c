/* check_config: defaults, precedence, and every kind of invalid value. */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "suites.h"

static const char *const VARS[] = {
    "PORT", "BIND", "THREADS", "PRODUCT_COUNT", "SCAN_LIMIT", "MAX_RESULTS",
    "CONN_LIMIT", "CONN_TIMEOUT_S", "DRAIN_S", "ACCESS_LOG", "PRODUCTS_FILE", "RELOAD_S",
    "UI",
};

static void clear_env(void)
{
    for (size_t i = 0; i < sizeof(VARS) / sizeof(VARS[0]); i++)
        unsetenv(VARS[i]);
}

START_TEST(defaults)
{
    struct config c;
    char err[CONFIG_ERROR_MAX];
    char *argv[] = {"product-search", NULL};
    clear_env();
    ck_assert_int_eq(config_parse(&c, 1, argv, err), 0);
    ck_assert_int_eq(c.action, CONFIG_RUN);
    ck_assert_uint_eq(c.port, 8080);
    ck_assert_str_eq(c.bind, "0.0.0.0");
    ck_assert_uint_ge(c.threads, 1);
    ck_assert_uint_eq(c.product_count, 100000);
    ck_assert_uint_eq(c.scan_limit, 100);
    ck_assert_uint_eq(c.max_results, 20);
    ck_assert_uint_eq(c.conn_limit, 10000);
    ck_assert_uint_eq(c.conn_timeout_s, 30);
    ck_assert_uint_eq(c.drain_s, 0);
    ck_assert(!c.access_log);
    ck_assert(c.ui);
    ck_assert_str_eq(c.products_file, "");
    ck_assert_uint_eq(c.reload_s, 0);
}
END_TEST

/* A catalog file is searched whole unless SCAN_LIMIT says otherwise, from
 * the environment or a flag; the generated catalog keeps 100. */
START_TEST(scan_limit_default_follows_the_source)
{
    struct config c;
    char err[CONFIG_ERROR_MAX];
    char *file_flag[] = {"p", "--products-file", "/x.jsonl", NULL};
    char *file_and_limit[] = {"p", "--products-file=/x.jsonl", "--scan-limit", "100", NULL};
    char *plain[] = {"p", NULL};
    clear_env();
    ck_assert_int_eq(config_parse(&c, 3, file_flag, err), 0);
    ck_assert_uint_eq(c.scan_limit, 0);
    ck_assert_int_eq(config_parse(&c, 4, file_and_limit, err), 0);
    ck_assert_uint_eq(c.scan_limit, 100);
    setenv("PRODUCTS_FILE", "/x.jsonl", 1);
    ck_assert_int_eq(config_parse(&c, 1, plain, err), 0);
    ck_assert_uint_eq(c.scan_limit, 0);
    setenv("SCAN_LIMIT", "250", 1);
    ck_assert_int_eq(config_parse(&c, 1, plain, err), 0);
    ck_assert_uint_eq(c.scan_limit, 250);
    setenv("SCAN_LIMIT", "", 1); /* empty counts as unset */
    ck_assert_int_eq(config_parse(&c, 1, plain, err), 0);
    ck_assert_uint_eq(c.scan_limit, 0);
    clear_env();
    ck_assert_int_eq(config_parse(&c, 1, plain, err), 0);
    ck_assert_uint_eq(c.scan_limit, 100);
}
END_TEST

START_TEST(reload_s_from_environment_and_flag)
{
    struct config c;
    char err[CONFIG_ERROR_MAX];
    char *flag[] = {"p", "--reload-s", "5", NULL}, *plain[] = {"p", NULL};
    clear_env();
    setenv("RELOAD_S", "30", 1);
    ck_assert_int_eq(config_parse(&c, 1, plain, err), 0);
    ck_assert_uint_eq(c.reload_s, 30);
    ck_assert_int_eq(config_parse(&c, 3, flag, err), 0);
    ck_assert_uint_eq(c.reload_s, 5);
    ck_assert_ptr_nonnull(strstr(config_usage(), "RELOAD_S"));
}
END_TEST

START_TEST(flag_wins_over_environment)
{
    struct config c;
    char err[CONFIG_ERROR_MAX];
    char *argv[] = {"product-search", "--port", "9090", "--scan-limit=0", "--access-log", "on",
                    "--bind", "::1", NULL};
    clear_env();
    setenv("PORT", "7070", 1);
    setenv("THREADS", "3", 1);
    setenv("SCAN_LIMIT", "50", 1);
    ck_assert_int_eq(config_parse(&c, 8, argv, err), 0);
    ck_assert_uint_eq(c.port, 9090);
    ck_assert_uint_eq(c.threads, 3);
    ck_assert_uint_eq(c.scan_limit, 0);
    ck_assert(c.access_log);
    ck_assert_str_eq(c.bind, "::1");
}
END_TEST

/* The variable a flag overrides is not read: a stale or broken value in the
 * environment cannot stop an explicitly configured start. */
START_TEST(flag_wins_without_reading_the_variable)
{
    struct config c;
    char err[CONFIG_ERROR_MAX];
    char *argv[] = {"product-search", "--port", "9000", "--access-log=off", NULL};
    clear_env();
    setenv("PORT", "abc", 1);
    setenv("ACCESS_LOG", "loud", 1);
    ck_assert_msg(config_parse(&c, 4, argv, err) == 0, "%s", err);
    ck_assert_uint_eq(c.port, 9000);
    ck_assert(!c.access_log);
    /* a broken variable that no flag overrides is still refused */
    setenv("THREADS", "many", 1);
    ck_assert_int_eq(config_parse(&c, 4, argv, err), -1);
    ck_assert_msg(strstr(err, "THREADS") != NULL, "%s", err);
}
END_TEST

/* ACCESS_LOG: exactly the spellings --help lists, lower case. */
static const struct {
    const char *value;
    int ok;   /* accepted */
    bool on;  /* the value it means when accepted */
} SPELLINGS[] = {
    {"on", 1, true},     {"true", 1, true},  {"yes", 1, true},  {"1", 1, true},
    {"off", 1, false},   {"false", 1, false}, {"no", 1, false},  {"0", 1, false},
    {"On", 0, false},    {"TRUE", 0, false}, {"Off", 0, false}, {"enabled", 0, false},
    {"y", 0, false},     {" on", 0, false},  {"on ", 0, false}, {"2", 0, false},
};

START_TEST(access_log_accepts_only_the_listed_spellings)
{
    struct config c;
    char err[CONFIG_ERROR_MAX];
    char *argv[] = {"product-search", NULL};
    clear_env();
    setenv("ACCESS_LOG", SPELLINGS[_i].value, 1);
    int rc = config_parse(&c, 1, argv, err);
    if (SPELLINGS[_i].ok) {
        ck_assert_msg(rc == 0, "\"%s\": %s", SPELLINGS[_i].value, err);
        ck_assert(c.access_log == SPELLINGS[_i].on);
    } else {
        ck_assert_msg(rc == -1, "\"%s\" accepted", SPELLINGS[_i].value);
        ck_assert_msg(strstr(err, "ACCESS_LOG") && strstr(err, "on, off, true, false, yes, no"),
                      "%s", err);
    }
}
END_TEST

START_TEST(help_lists_the_access_log_spellings)
{
    const char *help = config_usage();
    ck_assert_ptr_nonnull(strstr(help, "on, true, yes or 1 turn it on"));
    ck_assert_ptr_nonnull(strstr(help, "off,\n"));
    ck_assert_ptr_nonnull(strstr(help, "false, no or 0 turn it off (lower case)"));
}
END_TEST

/* UI: the search page is on unless turned off, by the variable (as the
 * Terraform passes it, on or off) or the flag, which wins. */
START_TEST(ui_is_on_unless_turned_off)
{
    struct config c;
    char err[CONFIG_ERROR_MAX];
    char *plain[] = {"p", NULL}, *off[] = {"p", "--ui", "off", NULL},
         *on[] = {"p", "--ui=on", NULL};
    clear_env();
    setenv("UI", "off", 1);
    ck_assert_int_eq(config_parse(&c, 1, plain, err), 0);
    ck_assert(!c.ui);
    ck_assert_int_eq(config_parse(&c, 2, on, err), 0);
    ck_assert(c.ui);
    setenv("UI", "on", 1);
    ck_assert_int_eq(config_parse(&c, 1, plain, err), 0);
    ck_assert(c.ui);
    ck_assert_int_eq(config_parse(&c, 3, off, err), 0);
    ck_assert(!c.ui);
    ck_assert_ptr_nonnull(strstr(config_usage(), "--ui on|off"));
}
END_TEST

/* --help names every route the server answers. */
START_TEST(help_lists_every_route)
{
    static const char *const routes[] = {"  /products/search ", "  /products/{id} ", "  /health ",
                                         "  /metrics ", "  /openapi.json ", "  / "};
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        ck_assert_msg(strstr(config_usage(), routes[i]) != NULL, "no \"%s\" in --help",
                      routes[i]);
}
END_TEST

START_TEST(actions)
{
    struct config c;
    char err[CONFIG_ERROR_MAX];
    char *help[] = {"p", "--help", NULL}, *ver[] = {"p", "--version", NULL},
         *hc[] = {"p", "--healthcheck", "--port", "1234", NULL},
         *ex[] = {"p", "--export-catalog", NULL};
    clear_env();
    ck_assert_int_eq(config_parse(&c, 2, help, err), 0);
    ck_assert_int_eq(c.action, CONFIG_HELP);
    ck_assert_int_eq(config_parse(&c, 2, ver, err), 0);
    ck_assert_int_eq(c.action, CONFIG_VERSION);
    ck_assert_int_eq(config_parse(&c, 4, hc, err), 0);
    ck_assert_int_eq(c.action, CONFIG_HEALTHCHECK);
    ck_assert_uint_eq(c.port, 1234);
    ck_assert_int_eq(config_parse(&c, 2, ex, err), 0);
    ck_assert_int_eq(c.action, CONFIG_EXPORT_CATALOG);
    ck_assert_ptr_nonnull(strstr(config_usage(), "SCAN_LIMIT"));
}
END_TEST

/* Each bad value, once from the environment and once as a flag. */
static const struct {
    const char *var, *flag, *value;
} BAD[] = {
    {"PORT", "--port", "abc"},          {"PORT", "--port", "65536"},
    {"PORT", "--port", "-1"},           {"PORT", "--port", "80x"},
    {"PORT", "--port", " 80"},          {"BIND", "--bind", "localhost"},
    {"BIND", "--bind", "1.2.3.256"},    {"THREADS", "--threads", "0"},
    {"THREADS", "--threads", "1025"},   {"PRODUCT_COUNT", "--product-count", "0"},
    {"PRODUCT_COUNT", "--product-count", "10000001"},
    {"PRODUCT_COUNT", "--product-count", "99999999999999999999999"},
    {"SCAN_LIMIT", "--scan-limit", "-5"}, {"SCAN_LIMIT", "--scan-limit", "1e3"},
    {"MAX_RESULTS", "--max-results", "0"}, {"MAX_RESULTS", "--max-results", "101"},
    {"CONN_LIMIT", "--conn-limit", "0"}, {"CONN_TIMEOUT_S", "--conn-timeout-s", "0"},
    {"CONN_TIMEOUT_S", "--conn-timeout-s", "1.5"}, {"DRAIN_S", "--drain-s", "3601"},
    {"DRAIN_S", "--drain-s", "soon"},   {"ACCESS_LOG", "--access-log", "maybe"},
    {"ACCESS_LOG", "--access-log", "ON"}, {"RELOAD_S", "--reload-s", "-1"},
    {"RELOAD_S", "--reload-s", "86401"}, {"RELOAD_S", "--reload-s", "5s"},
    {"UI", "--ui", "Off"},              {"UI", "--ui", "disabled"},
};

START_TEST(bad_environment_value_names_the_setting)
{
    struct config c;
    char err[CONFIG_ERROR_MAX];
    char *argv[] = {"product-search", NULL};
    clear_env();
    setenv(BAD[_i].var, BAD[_i].value, 1);
    ck_assert_int_eq(config_parse(&c, 1, argv, err), -1);
    ck_assert_msg(strstr(err, BAD[_i].var) != NULL, "%s", err);
    ck_assert_msg(strstr(err, "environment") != NULL, "%s", err);
    ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

START_TEST(bad_flag_value_names_the_setting)
{
    struct config c;
    char err[CONFIG_ERROR_MAX];
    char *argv[] = {"product-search", (char *)BAD[_i].flag, (char *)BAD[_i].value, NULL};
    clear_env();
    ck_assert_int_eq(config_parse(&c, 3, argv, err), -1);
    ck_assert_msg(strstr(err, BAD[_i].var) != NULL && strstr(err, BAD[_i].flag) != NULL, "%s",
                  err);
}
END_TEST

START_TEST(unknown_and_incomplete_flags)
{
    struct config c;
    char err[CONFIG_ERROR_MAX];
    char *unknown[] = {"p", "--prot", "80", NULL}, *missing[] = {"p", "--port", NULL},
         *glued[] = {"p", "--portx=1", NULL};
    clear_env();
    ck_assert_int_eq(config_parse(&c, 3, unknown, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "--prot"));
    ck_assert_int_eq(config_parse(&c, 2, missing, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "--port"));
    ck_assert_int_eq(config_parse(&c, 2, glued, err), -1);
}
END_TEST

START_TEST(empty_environment_value_means_default)
{
    struct config c;
    char err[CONFIG_ERROR_MAX];
    char *argv[] = {"product-search", NULL};
    clear_env();
    setenv("PORT", "", 1);
    ck_assert_int_eq(config_parse(&c, 1, argv, err), 0);
    ck_assert_uint_eq(c.port, 8080);
}
END_TEST

Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, scan_limit_default_follows_the_source);
    tcase_add_test(tc, reload_s_from_environment_and_flag);
    tcase_add_test(tc, flag_wins_over_environment);
    tcase_add_test(tc, flag_wins_without_reading_the_variable);
    tcase_add_loop_test(tc, access_log_accepts_only_the_listed_spellings, 0,
                        (int)(sizeof(SPELLINGS) / sizeof(SPELLINGS[0])));
    tcase_add_test(tc, help_lists_the_access_log_spellings);
    tcase_add_test(tc, ui_is_on_unless_turned_off);
    tcase_add_test(tc, help_lists_every_route);
    tcase_add_test(tc, actions);
    tcase_add_loop_test(tc, bad_environment_value_names_the_setting, 0,
                        (int)(sizeof(BAD) / sizeof(BAD[0])));
    tcase_add_loop_test(tc, bad_flag_value_names_the_setting, 0,
                        (int)(sizeof(BAD) / sizeof(BAD[0])));
    tcase_add_test(tc, unknown_and_incomplete_flags);
    tcase_add_test(tc, empty_environment_value_means_default);
    suite_add_tcase(s, tc);
    return s;
}
