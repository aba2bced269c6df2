/* Cursor decoding: only the shapes the service produced get through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/cursor.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* base64url of @a json without padding (test-side encoder). */
static char *b64url(const char *json)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t n = strlen(json);
    char *out = calloc(n * 2 + 4, 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)json[i] << 16;
        if (i + 1 < n)
            v |= (unsigned char)json[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)json[i + 2];
        out[o++] = a[(v >> 18) & 63];
        out[o++] = a[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = a[(v >> 6) & 63];
        if (i + 2 < n)
            out[o++] = a[v & 63];
    }
    return out;
}

static void test_round_trip(void **state)
{
    (void)state;
    char *parts[CURSOR_MAX_PARTS];
    char *c = b64url("[\"2021-11-15\",\"0b5c1b46-6cb9-4a0a-9d43-8ab1b5b0a0e1\",3,null]");
    assert_true(cursor_decode(c, "duin", parts));
    assert_string_equal(parts[0], "2021-11-15");
    assert_string_equal(parts[1], "0b5c1b46-6cb9-4a0a-9d43-8ab1b5b0a0e1");
    assert_string_equal(parts[2], "3");
    assert_null(parts[3]);
    cursor_parts_free("duin", parts);
    free(c);
}

static void test_rejects(void **state)
{
    (void)state;
    char *parts[CURSOR_MAX_PARTS];
    const char *bad_json[] = {"[\"2021-13-15\",\"0b5c1b46-6cb9-4a0a-9d43-8ab1b5b0a0e1\"]",
                              "[\"2021-11-15\"]",
                              "[\"2021-11-15\",\"x'; DROP TABLE t; --\"]",
                              "{\"a\":1}",
                              "[1,2]"};
    for (size_t i = 0; i < sizeof bad_json / sizeof bad_json[0]; i++) {
        char *c = b64url(bad_json[i]);
        assert_false(cursor_decode(c, "du", parts));
        free(c);
    }
    assert_false(cursor_decode("", "du", parts));
    assert_false(cursor_decode("!!!", "du", parts));
    assert_false(cursor_decode("A", "du", parts));
    assert_false(cursor_decode(NULL, "du", parts));
}

/* Values of the right JSON type but outside the column they are compared with. */
static void test_rejects_out_of_range(void **state)
{
    (void)state;
    char *parts[CURSOR_MAX_PARTS];
    const struct {
        const char *json, *shape;
        bool ok;
    } cases[] = {
        {"[2147483647]", "i", true},           {"[2147483648]", "i", false},
        {"[-2147483649]", "i", false},         {"[99999999999]", "l", true},
        {"[\"18446744073709551615\"]", "x", true}, {"[\"18446744073709551616\"]", "x", false},
        {"[\"99999999999999999999\"]", "x", false}, {"[\"-1\"]", "x", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *c = b64url(cases[i].json);
        bool ok = cursor_decode(c, cases[i].shape, parts);
        if (ok != cases[i].ok)
            fail_msg("%s as %s: %s", cases[i].json, cases[i].shape, ok ? "accepted" : "refused");
        if (ok)
            cursor_parts_free(cases[i].shape, parts);
        free(c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_rejects_out_of_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
