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

#define ID "3f2504e0-4f89-11d3-9a0c-0305e82c3301"

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
    char *v = etag_for_version(ID, 42, "abc", 3);
    assert_memory_equal(v, "\"42-", 4);
    assert_int_equal(strlen(v), strlen("\"42-") + 16 + 1);
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
    assert_false(etag_none_match("W/*", "\"a\""));
    assert_false(etag_none_match("\"b\"", "\"a\""));
    assert_false(etag_none_match("", "\"a\""));
    assert_false(etag_none_match("\"a", "\"a\""));
    assert_false(etag_none_match(NULL, "\"a\""));
}

static void assert_versions(const char *header, const char *expected)
{
    char *got = etag_if_match_versions(header, ID);
    if (expected == NULL)
        assert_null(got);
    else
        assert_string_equal(got, expected);
    free(got);
}

/* The tag the service gives version @a v of resource ID (with any representation's hash). */
static char *tag_of(long long v, const char *representation)
{
    return etag_for_version(ID, v, representation, strlen(representation));
}

static void test_if_match_versions(void **state)
{
    (void)state;
    char *t7 = tag_of(7, "{\"title\": \"en\"}"), *t7ru = tag_of(7, "{\"title\": \"ru\"}");
    char *t5 = tag_of(5, "x"), *t9 = tag_of(9, "y");
    char header[512];
    assert_versions(t7, "{7}");
    assert_versions(t7ru, "{7}"); /* another language's representation of the same version */
    snprintf(header, sizeof header, "%s, \"x\", %s", t5, t9);
    assert_versions(header, "{5,9}");
    /* If-Match compares strongly: a weak tag never matches, even of the current version */
    snprintf(header, sizeof header, "%s, W/%s", t5, t9);
    assert_versions(header, "{5}");
    snprintf(header, sizeof header, "W/%s", t9);
    assert_versions(header, NULL);
    assert_versions("*", "{0}");
    /* made up, or another resource's tag of the same version: no match */
    assert_versions("\"7-0000000000000000\"", NULL);
    char *padded = tag_of(7, "x");
    char zero[64];
    snprintf(zero, sizeof zero, "\"0%s", padded + 1); /* "07-..." is not the tag given */
    assert_versions(zero, NULL);
    free(padded);
    assert_versions("\"7-zzzz\", \"7-1\", \"abc\", \"0-ab\", \"-1-ab\", 7-ab", NULL);
    char *other = etag_for_version("0f8fad5b-d9cb-469f-a165-70867728950e", 7, "x", 1);
    assert_versions(other, NULL);
    /* the id's case does not matter (a path may spell it in capitals) */
    char *upper = etag_for_version("3F2504E0-4F89-11D3-9A0C-0305E82C3301", 7, "x", 1);
    assert_versions(upper, "{7}");
    assert_versions("", NULL);
    /* a list longer than ETAG_MAX_IF_MATCH: the first ones count */
    char many[2048] = "";
    for (int i = 1; i <= ETAG_MAX_IF_MATCH + 4; i++) {
        char *t = tag_of(i, "a");
        snprintf(many + strlen(many), sizeof many - strlen(many), "%s%s", i > 1 ? "," : "", t);
        free(t);
    }
    char *got = etag_if_match_versions(many, ID);
    assert_non_null(got);
    assert_non_null(strstr(got, ",16}"));
    free(got);
    free(t7);
    free(t7ru);
    free(t5);
    free(t9);
    free(other);
    free(upper);
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
