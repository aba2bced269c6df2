/* ETags: shapes, weak comparison for If-None-Match, versions out of If-Match. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/etag.h"

#include <stdio.h>
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

static void assert_versions(const char *header, const char *expected)
{
    char *got = etag_if_match_versions(header);
    if (expected == NULL)
        assert_null(got);
    else
        assert_string_equal(got, expected);
    free(got);
}

static void test_if_match_versions(void **state)
{
    (void)state;
    assert_versions("\"7-0badc0de\"", "{7}");
    assert_versions("\"5-aa\", \"x\", \"9-bb\"", "{5,9}");
    /* If-Match compares strongly: a weak tag never matches, even of the current version */
    assert_versions("\"5-aa\", W/\"9-bb\"", "{5}");
    assert_versions("W/\"9-bb\"", NULL);
    assert_versions("*", "{0}");
    assert_versions("\"abc\", \"0-ab\", \"-1-ab\", 7-ab", NULL);
    assert_versions("", NULL);
    assert_versions("\"99999999999999999999999-ab\"", "{9223372036854775807}");
    /* a list longer than ETAG_MAX_IF_MATCH: the first ones count */
    char many[256] = "";
    for (int i = 1; i <= ETAG_MAX_IF_MATCH + 4; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "%s\"%d-a\"", i > 1 ? "," : "", i);
    char *got = etag_if_match_versions(many);
    assert_non_null(got);
    assert_non_null(strstr(got, ",16}"));
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_none_match),
        cmocka_unit_test(test_if_match_versions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
