/* Configuration: defaults, overrides, bounds, the required DATABASE_URL, sorted table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_defaults(void **state)
{
    (void)state;
    struct config cfg;
    char err[256];
    unsetenv("TRACKER_PORT");
    setenv("DATABASE_URL", "postgresql:///x", 1);
    assert_true(cfg_load(&cfg, true, err, sizeof err));
    assert_int_equal(cfg.port, 8080);
    assert_string_equal(cfg.bind, "127.0.0.1");
    assert_int_equal(cfg.max_body, 1048576);
    cfg_cleanup(&cfg);
}

static void test_override_and_bounds(void **state)
{
    (void)state;
    struct config cfg;
    char err[256];
    setenv("DATABASE_URL", "postgresql:///x", 1);
    setenv("TRACKER_PORT", "9090", 1);
    assert_true(cfg_load(&cfg, true, err, sizeof err));
    assert_int_equal(cfg.port, 9090);
    cfg_cleanup(&cfg);
    setenv("TRACKER_PORT", "70000", 1);
    assert_false(cfg_load(&cfg, true, err, sizeof err));
    assert_non_null(strstr(err, "TRACKER_PORT"));
    setenv("TRACKER_PORT", "80x", 1);
    assert_false(cfg_load(&cfg, true, err, sizeof err));
    unsetenv("TRACKER_PORT");
}

static void test_database_required(void **state)
{
    (void)state;
    struct config cfg;
    char err[256];
    unsetenv("DATABASE_URL");
    assert_false(cfg_load(&cfg, true, err, sizeof err));
    assert_string_equal(err, "missing configuration: DATABASE_URL");
    assert_true(cfg_load(&cfg, false, err, sizeof err));
    cfg_cleanup(&cfg);
}

static void test_table_sorted(void **state)
{
    (void)state;
    const struct config_key *keys = cfg_keys();
    for (size_t i = 1; keys[i].name != NULL; i++)
        assert_true(strcmp(keys[i - 1].name, keys[i].name) < 0);
}

static void test_readme_lists_every_key(void **state)
{
    (void)state;
    FILE *f = fopen(README_PATH, "r");
    assert_non_null(f);
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    const struct config_key *keys = cfg_keys();
    for (size_t i = 0; keys[i].name != NULL; i++) {
        char row[256];
        if (keys[i].default_text == NULL)
            snprintf(row, sizeof row, "| `%s` | (required) |", keys[i].name);
        else if (keys[i].default_text[0] == '\0')
            snprintf(row, sizeof row, "| `%s` | (empty) |", keys[i].name);
        else
            snprintf(row, sizeof row, "| `%s` | `%s` |", keys[i].name, keys[i].default_text);
        if (strstr(text, row) == NULL)
            fail_msg("README.md has no row starting %s", row);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_override_and_bounds),
        cmocka_unit_test(test_database_required),
        cmocka_unit_test(test_table_sorted),
        cmocka_unit_test(test_readme_lists_every_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
