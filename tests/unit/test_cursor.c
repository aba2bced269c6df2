/* Cursor decoding: only the shapes the service produced get through, and only on the list and
 * query that handed the cursor out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/cursor.h"
#include "http/http.h"

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

/* The tag of @a path with the query pairs @a query, ended by a NULL key (a NULL value: a key
 * without '='). */
static void tag_of(const char *path, const char *const *query, char *tag)
{
    struct http_req req;
    memset(&req, 0, sizeof req);
    req.path = path;
    req.fake_query = query;
    cursor_tag(&req, tag);
    assert_int_equal(strlen(tag), CURSOR_TAG_LEN);
    assert_int_equal(strspn(tag, "0123456789abcdef"), CURSOR_TAG_LEN);
}

static void test_tag_binds_path_and_filters(void **state)
{
    (void)state;
    char base[CURSOR_TAG_LEN + 1], other[CURSOR_TAG_LEN + 1];
    const char *const q[] = {"resolution", "a", "status", "stalled", NULL};
    tag_of("/v1/recommendations", q, base);
    /* the same filters in another order, with limit, lang, format, cursor and parameters no
       list takes (a cache-buster) added */
    const char *const same[] = {"limit",  "3",    "status", "stalled", "lang",       "ru",
                                "cursor", "x",    "format", "json",    "resolution", "a",
                                "_",      "1001", "utm_source", "feed", NULL};
    tag_of("/v1/recommendations", same, other);
    assert_string_equal(base, other);
    /* another path, another value, one filter less or more, a key without a value */
    const char *const *variants[] = {
        (const char *const[]){"resolution", "b", "status", "stalled", NULL},
        (const char *const[]){"resolution", "a", NULL},
        (const char *const[]){"resolution", "a", "status", "stalled", "sort", "code", NULL},
        (const char *const[]){"resolution", "a", "status", "stalled", "q", NULL, NULL},
        (const char *const[]){"resolution", "a", "status", "stalled", "q", "", NULL},
        (const char *const[]){"resolutio", "na", "status", "stalled", NULL},
    };
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        tag_of("/v1/recommendations", variants[i], other);
        if (strcmp(base, other) == 0)
            fail_msg("variant %zu has the tag of the original query", i);
    }
    tag_of("/v1/resolutions", q, other);
    assert_string_not_equal(base, other);
    /* FNV-1a of "<path>?<sum of the parameters' hashes, in hex>": a changed scheme would refuse
       every cursor clients hold across an upgrade, so it changes only on purpose */
    tag_of("/v1/recommendations", (const char *const[]){"limit", "1", NULL}, other);
    assert_string_equal(other, "072de55c47f492db");
    char empty_q[CURSOR_TAG_LEN + 1];
    tag_of("/v1/recommendations", (const char *const[]){"q", NULL, NULL}, empty_q);
    tag_of("/v1/recommendations", (const char *const[]){"q", "", NULL}, other);
    assert_string_not_equal(empty_q, other);
}

static void test_unbind(void **state)
{
    (void)state;
    const char *tag = "0123456789abcdef";
    assert_string_equal(cursor_unbind("0123456789abcdefWyJ4Il0", tag), "WyJ4Il0");
    assert_null(cursor_unbind("0123456789abcdef", tag));  /* no key */
    assert_null(cursor_unbind("0123456789abcdeeWyJ4Il0", tag));
    assert_null(cursor_unbind("WyJ4Il0", tag));
    assert_null(cursor_unbind("", tag));
    assert_null(cursor_unbind(NULL, tag));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_rejects_out_of_range),
        cmocka_unit_test(test_tag_binds_path_and_filters),
        cmocka_unit_test(test_unbind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
