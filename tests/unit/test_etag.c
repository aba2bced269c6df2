/* ETags: shapes, weak comparison for If-None-Match, versions out of If-Match. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/etag.h"

#include <stdlib.h>
#include <string.h>

static void test_shapes(void **state)
{
    (void)state;
    char *strong = etag_for_bytes("abc", 3, false);
    char *weak = etag_for_bytes("abc", 3, true);
    char *other = etag_for_bytes("abd", 3, false);
    assert_int_equal(strong[0], '"');
    assert_memory_equal(weak, "W/\"", 3);
    assert_string_equal(weak + 2, strong);
    assert_string_not_equal(strong, other);
    char *v = etag_for_version(42, "abc", 3);
    assert_memory_equal(v, "\"42-", 4);
    free(strong);
    free(weak);
    free(other);
    free(v);
}

static void test_none_match(void **state)
{
    (void)state;
    assert_true(etag_none_match("\"a\"", "\"a\""));
    assert_true(etag_none_match("W/\"a\"", "\"a\""));
    assert_true(etag_none_match("\"a\"", "W/\"a\""));
    assert_true(etag_none_match("\"x\", \"a\"", "\"a\""));
    assert_true(etag_none_match("*", "\"a\""));
    assert_false(etag_none_match("\"b\"", "\"a\""));
    assert_false(etag_none_match("", "\"a\""));
    assert_false(etag_none_match("\"a", "\"a\""));
    assert_false(etag_none_match(NULL, "\"a\""));
}

static void test_if_match_version(void **state)
{
    (void)state;
    assert_int_equal(etag_if_match_version("\"7-0badc0de\""), 7);
    assert_int_equal(etag_if_match_version("W/\"7-0badc0de\""), 7);
    assert_int_equal(etag_if_match_version("\"x\", \"12-ab\""), 12);
    assert_int_equal(etag_if_match_version("*"), 0);
    assert_int_equal(etag_if_match_version("\"abc\""), -1);
    assert_int_equal(etag_if_match_version("\"-1-ab\""), -1);
    assert_int_equal(etag_if_match_version("\"0-ab\""), -1);
    assert_int_equal(etag_if_match_version(""), -1);
    assert_int_equal(etag_if_match_version("7-ab"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_none_match),
        cmocka_unit_test(test_if_match_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
