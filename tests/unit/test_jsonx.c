/* Body validation: every kind of member, and the JSON Pointers of the errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "json/jsonx.h"

#include <stdlib.h>
#include <string.h>

static const char *const colours[] = {"red", "green", NULL};

static const struct jsonx_field fields[] = {
    {.name = "slug", .type = JX_SLUG, .flags = JX_REQUIRED},
    {.name = "title", .type = JX_LOCALIZED, .flags = JX_REQUIRED},
    {.name = "note", .type = JX_STRING, .flags = JX_NULLABLE},
    {.name = "on", .type = JX_DATE},
    {.name = "at", .type = JX_TIMESTAMP},
    {.name = "n", .type = JX_INT, .min = 0, .max = 100},
    {.name = "colour", .type = JX_ENUM, .values = colours},
    {.name = "sdgs", .type = JX_INT_ARRAY, .min = 1, .max = 17},
    {.name = "tags", .type = JX_STRING_ARRAY},
    {.name = "budget", .type = JX_BUDGET},
    {.name = "evidence", .type = JX_EVIDENCE},
    {.name = "country", .type = JX_COUNTRY},
    {.name = "id", .type = JX_STRING, .flags = JX_READONLY},
    {.name = NULL},
};

/* Validates @a text; @return the errors as compact JSON (caller frees). */
static char *errors_of(const char *text, bool partial)
{
    json_t *body = json_loads(text, 0, NULL);
    assert_non_null(body);
    json_t *errors = json_array();
    jsonx_validate(body, fields, partial, "", errors);
    char *out = json_dumps(errors, JSON_COMPACT);
    json_decref(errors);
    json_decref(body);
    return out;
}

static void expect_field(const char *text, bool partial, const char *field)
{
    char *errs = errors_of(text, partial);
    char want[128];
    snprintf(want, sizeof want, "\"field\":\"%s\"", field);
    if (strstr(errs, want) == NULL)
        fail_msg("%s: expected an error for %s, got %s", text, field, errs);
    free(errs);
}

static void test_valid_body(void **state)
{
    (void)state;
    char *errs = errors_of("{\"slug\":\"a-b\",\"title\":{\"en\":\"T\",\"ru\":\"Т\"},\"note\":null,"
                           "\"on\":\"2024-02-29\",\"at\":\"2024-01-01T10:00:00.5+05:00\",\"n\":100,"
                           "\"colour\":\"red\",\"sdgs\":[1,17],\"tags\":[\"x\"],"
                           "\"budget\":{\"amount\":\"10.50\",\"currency\":\"USD\"},"
                           "\"evidence\":[{\"url\":\"https://e.org/a\",\"title\":\"t\"}],"
                           "\"country\":\"KG\"}",
                           false);
    assert_string_equal(errs, "[]");
    free(errs);
}

static void test_each_rule(void **state)
{
    (void)state;
    expect_field("{\"title\":{\"en\":\"T\"}}", false, "/slug");
    expect_field("{\"slug\":\"A\",\"title\":{\"en\":\"T\"}}", false, "/slug");
    expect_field("{\"slug\":\"a--b\",\"title\":{\"en\":\"T\"}}", false, "/slug");
    expect_field("{\"slug\":\"a\",\"title\":{}}", false, "/title");
    expect_field("{\"slug\":\"a\",\"title\":{\"en\":\"\"}}", false, "/title/en");
    expect_field("{\"slug\":\"a\",\"title\":{\"EN\":\"x\"}}", false, "/title/EN");
    expect_field("{\"slug\":\"a\",\"title\":{\"ru-kg\":\"x\",\"ru-KG\":\"y\"}}", false, "/title/ru-kg");
    expect_field("{\"slug\":\"a\",\"title\":\"x\"}", false, "/title");
    expect_field("{\"on\":\"2023-02-29\"}", true, "/on");
    expect_field("{\"on\":\"2023-2-1\"}", true, "/on");
    expect_field("{\"at\":\"2024-01-01T10:00:00\"}", true, "/at");
    expect_field("{\"n\":101}", true, "/n");
    expect_field("{\"n\":\"1\"}", true, "/n");
    expect_field("{\"n\":1.5}", true, "/n");
    expect_field("{\"colour\":\"blue\"}", true, "/colour");
    expect_field("{\"sdgs\":[18]}", true, "/sdgs/0");
    expect_field("{\"sdgs\":[3,3]}", true, "/sdgs/1");
    expect_field("{\"tags\":[\"\"]}", true, "/tags/0");
    expect_field("{\"budget\":{\"amount\":\"1e5\",\"currency\":\"USD\"}}", true, "/budget/amount");
    expect_field("{\"budget\":{\"amount\":\"1\",\"currency\":\"usd\"}}", true, "/budget/currency");
    expect_field("{\"evidence\":[{\"url\":\"ftp://x\"}]}", true, "/evidence/0/url");
    expect_field("{\"evidence\":[{\"url\":\"javascript:alert(1)\"}]}", true, "/evidence/0/url");
    expect_field("{\"country\":\"kg\"}", true, "/country");
    /* the code lists themselves: shaped right but not assigned */
    expect_field("{\"country\":\"XX\"}", true, "/country");
    expect_field("{\"budget\":{\"amount\":\"1\",\"currency\":\"XYZ\"}}", true, "/budget/currency");
    /* a slug shaped like a UUID would be read as an id in paths */
    expect_field("{\"slug\":\"11111111-2222-3333-4444-555555555555\",\"title\":{\"en\":\"T\"}}",
                 false, "/slug");
    expect_field("{\"id\":\"x\"}", true, "/id");
    expect_field("{\"nope\":1}", true, "/nope");
    expect_field("{\"a/b~c\":1}", true, "/a~1b~0c");
    expect_field("{\"note\":null,\"slug\":null}", true, "/slug");
}

static void test_code_lists(void **state)
{
    (void)state;
    assert_true(jsonx_is_country("KG"));
    assert_true(jsonx_is_country("AD"));
    assert_true(jsonx_is_country("ZW"));
    assert_false(jsonx_is_country("XX"));
    assert_false(jsonx_is_country("kg"));
    assert_false(jsonx_is_country("KGZ"));
    assert_false(jsonx_is_country(""));
    assert_true(jsonx_is_currency("KGS"));
    assert_true(jsonx_is_currency("AED"));
    assert_true(jsonx_is_currency("ZWL"));
    assert_false(jsonx_is_currency("XYZ"));
    assert_false(jsonx_is_currency("kgs"));
    assert_true(jsonx_is_uuid("0f8fad5b-d9cb-469f-a165-70867728950e"));
    assert_false(jsonx_is_uuid("0f8fad5b-d9cb-469f-a165-70867728950"));
    assert_false(jsonx_is_uuid("0f8fad5b-d9cb-469f-a165-70867728950ee"));
    assert_false(jsonx_is_uuid("0f8fad5bd9cb-469f-a165-70867728950e0"));
}

static void test_text_limit_counts_characters(void **state)
{
    (void)state;
    /* 20,000 Cyrillic characters are 40,000 bytes and still allowed */
    size_t n = 20000;
    char *text = malloc(n * 2 + 64);
    strcpy(text, "{\"note\":\"");
    size_t o = strlen(text);
    for (size_t i = 0; i < n; i++) {
        text[o++] = (char)0xD0;
        text[o++] = (char)0x96;
    }
    strcpy(text + o, "\"}");
    char *errs = errors_of(text, true);
    assert_string_equal(errs, "[]");
    free(errs);
    text[o] = 'x'; /* one character more */
    strcpy(text + o + 1, "\"}");
    errs = errors_of(text, true);
    assert_string_equal(errs, "[{\"field\":\"/note\",\"message\":\"is too long (at most 20000 "
                              "characters)\"}]");
    free(errs);
    free(text);
}

/* A body {"evidence":[{"url":"http://x/ңң..."}]} whose URL is @a chars characters long. */
static char *url_body(size_t chars)
{
    char *text = malloc(chars * 2 + 64);
    strcpy(text, "{\"evidence\":[{\"url\":\"http://x/");
    size_t o = strlen(text);
    for (size_t i = strlen("http://x/"); i < chars; i++) {
        text[o++] = (char)0xD2; /* ң, two bytes */
        text[o++] = (char)0xA3;
    }
    strcpy(text + o, "\"}]}");
    return text;
}

static void test_url_limit_counts_characters(void **state)
{
    (void)state;
    /* 2,048 characters (4,087 bytes) pass; one more is too long, not "not a URL" */
    char *text = url_body(JSONX_MAX_URL);
    char *errs = errors_of(text, true);
    assert_string_equal(errs, "[]");
    free(errs);
    free(text);
    text = url_body(JSONX_MAX_URL + 1);
    errs = errors_of(text, true);
    assert_string_equal(errs, "[{\"field\":\"/evidence/0/url\",\"message\":\"is too long (at "
                              "most 2048 characters)\"}]");
    free(errs);
    free(text);
}

static void test_evidence_cap(void **state)
{
    (void)state;
    char *text = malloc(51 * 40 + 32);
    strcpy(text, "{\"evidence\":[");
    for (int i = 0; i < 51; i++)
        strcat(text, i ? ",{\"url\":\"http://a.b/\"}" : "{\"url\":\"http://a.b/\"}");
    strcat(text, "]}");
    expect_field(text, true, "/evidence");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_body),
        cmocka_unit_test(test_each_rule),
        cmocka_unit_test(test_code_lists),
        cmocka_unit_test(test_text_limit_counts_characters),
        cmocka_unit_test(test_url_limit_counts_characters),
        cmocka_unit_test(test_evidence_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
