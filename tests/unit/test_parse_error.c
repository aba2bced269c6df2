/* Bodies that jansson refuses: the JSON Pointer of the member where the problem lies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "json/parse_error.h"

#include <stdlib.h>
#include <string.h>

/* Parses @a len bytes of @a text as bodies are parsed, which must fail, and checks the field. */
static void expect_field_n(const char *text, size_t len, const char *field)
{
    json_error_t error;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &error);
    if (doc != NULL)
        fail_msg("%s: parsed, but should not", text);
    char *got = parse_error_field(text, len, &error);
    if (strcmp(got, field) != 0)
        fail_msg("%s (%s): expected field \"%s\", got \"%s\"", text, error.text, field, got);
    json_t *valid = json_string(got); /* NULL unless valid UTF-8 */
    assert_non_null(valid);
    json_decref(valid);
    free(got);
}

static void expect_field(const char *text, const char *field)
{
    expect_field_n(text, strlen(text), field);
}

static void test_nul_names_the_member(void **state)
{
    (void)state;
    expect_field("{\"slug\":\"a\",\"kind\":\"other\",\"name\":{\"en\":\"x\\u0000\"}}", "/name/en");
    expect_field("{\"title\":{\"en\":\"a\\u0000\"}}", "/title/en");
    expect_field("{\"slug\":\"a\\u0000b\"}", "/slug");
    expect_field("{\"addressees\":[\"x\",\"y\\u0000\"]}", "/addressees/1");
    /* a raw NUL byte, as a client may send, is a control character in the string */
    expect_field_n("{\"a\":\"x\0y\"}", 10, "/a");
}

static void test_duplicate_names_the_duplicated_member(void **state)
{
    (void)state;
    expect_field("{\"slug\":\"a\",\"slug\":\"b\"}", "/slug");
    expect_field("{\"name\":{\"en\":\"a\",\"en\":\"b\"}}", "/name/en");
    expect_field("{\"r\":[{},{\"a\":1,\"b\":{},\"a\":2}]}", "/r/1/a");
}

static void test_bad_text_names_the_member(void **state)
{
    (void)state;
    expect_field("{\"a\":\"\\ud800\"}", "/a");
    expect_field("{\"a\":\"x\\udc00y\"}", "/a");
    expect_field("{\"a\":\"\\ud800\\u0041\"}", "/a");
    expect_field("{\"a\":\"\\x\"}", "/a");
    expect_field("{\"a\":\"\\u12\"}", "/a");
    expect_field("{\"a\":\"tab\there\"}", "/a");
    expect_field("{\"a\":\"line\nbreak\"}", "/a");
    expect_field("{\"t\":{\"en\":\"a\xff\"}}", "/t/en");
    expect_field("{\"t\":{\"en\":\"a\xed\xa0\x80\"}}", "/t/en"); /* a surrogate in UTF-8 */
    expect_field("{\"t\":[\"x\",\"\xc3\x28\"]}", "/t/1");
    expect_field("{\"t\":[\"x\",\xc3\xa9]}", "/t/1"); /* a character outside a string */
}

static void test_bad_values_name_the_member(void **state)
{
    (void)state;
    expect_field("{\"a\":tru}", "/a");
    expect_field("{\"a\":01}", "/a");
    expect_field("{\"a\":1.}", "/a");
    expect_field("{\"a\":-}", "/a");
    expect_field("{\"a\":+1}", "/a");
    expect_field("{\"a\":1e99999}", "/a");
    expect_field("{\"a\":123456789012345678901234567890}", "/a");
    expect_field("{\"a\":}", "/a");
    expect_field("{\"a\" 1}", "/a");
    expect_field("{\"a\":[1,,2]}", "/a/1");
    expect_field("{\"a\":[1,2}", "/a");
    expect_field("{\"a\":{\"b\":[true,{\"c\":nul}]}}", "/a/b/1/c");
}

static void test_import_bundle_path(void **state)
{
    (void)state;
    expect_field("{\"format\":\"x\",\"recommendations\":[{},{},{\"updates\":[]},"
                 "{\"code\":\"A-1\",\"updates\":[{\"body\":\"\\ud800 x\"}]}]}",
                 "/recommendations/3/updates/0/body");
}

static void test_keys_are_escaped(void **state)
{
    (void)state;
    expect_field("{\"a/b~c\":{\"x\":\"\\u0000\"}}", "/a~1b~0c/x");
    expect_field("{\"\\u002f\\u007e\":\"\\u0000\"}", "/~1~0");
    expect_field("{\"\\u00e9\\ud83d\\ude00\":\"\\u0000\"}", "/\xc3\xa9\xf0\x9f\x98\x80");
    expect_field("{\"\xd0\x96\\\"\":\"\\u0000\"}", "/\xd0\x96\"");
    expect_field("{\"\":{\"\":\"\\u0000\"}}", "//");
}

static void test_key_that_is_not_text_names_its_object(void **state)
{
    (void)state;
    expect_field("{\"a\":{\"b\\ud800\":1}}", "/a");
    expect_field("{\"a\":{\"k\\u0000\":1}}", "/a");
    expect_field("{\"a\":{\"k\xff\":1}}", "/a");
    expect_field("{\"a\":{\"k\\q\":1}}", "/a");
    expect_field("{\"k\\u0000\":1}", "");
}

static void test_problems_between_members_name_the_container(void **state)
{
    (void)state;
    expect_field("{\"a\":{\"b\":1 \"c\":2}}", "/a");
    expect_field("{\"a\":{\"b\":1,}}", "/a");
    expect_field("{\"a\":{b:1}}", "/a");
    expect_field("{\"a\":[\"x\"\xff]}", "/a");
    expect_field("{\"a\":[{}]]}", "");
}

static void test_whole_document_problems_are_empty(void **state)
{
    (void)state;
    const char *const whole[] = {
        "", " ", "x", "\"s\"", "42", "null", "{", "{\"a\":", "{\"a\":\"x", "{\"a\":[1,",
        "{\"a\":{\"b\":\"\\u00", "{\"a\":1}garbage", "{\"a\":1}}", "{} {}", "{\"a\":1 \"b\":2}",
        "{a:1}", "{'a':1}", "\xef\xbb\xbf{}", "\xff", "[{\"a\":\"\\u0000\"}]", "[1,,2]",
    };
    for (size_t i = 0; i < sizeof whole / sizeof *whole; i++)
        expect_field(whole[i], "");
}

static void test_nesting_too_deep(void **state)
{
    (void)state;
    size_t depth = 3000;
    char *text = malloc(depth + 16);
    strcpy(text, "{\"a\":");
    memset(text + 5, '[', depth);
    text[5 + depth] = '\0';
    json_error_t error;
    assert_null(json_loadb(text, strlen(text), JSON_REJECT_DUPLICATES, &error));
    char *field = parse_error_field(text, strlen(text), &error);
    assert_true(strncmp(field, "/a/0/0/", 7) == 0); /* down to where the parser gave up */
    free(field);
    free(text);
}

/* Whatever the position and the text, the answer is a string: never out of bounds (the fuzzer
 * goes further, through api_body_object()). */
static void test_any_position(void **state)
{
    (void)state;
    const char text[] = "{\"a\":[{\"b\\\"\":\"\\ud800\"},\"";
    for (int code = 0; code <= json_error_index_out_of_range; code++) {
        for (int pos = -1; pos <= (int)sizeof text + 2; pos++) {
            json_error_t error;
            memset(&error, 0, sizeof error);
            error.position = pos;
            error.text[JSON_ERROR_TEXT_LENGTH - 1] = (char)code;
            char *field = parse_error_field(text, strlen(text), &error);
            json_t *valid = json_string(field);
            assert_non_null(valid);
            json_decref(valid);
            free(field);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nul_names_the_member),
        cmocka_unit_test(test_duplicate_names_the_duplicated_member),
        cmocka_unit_test(test_bad_text_names_the_member),
        cmocka_unit_test(test_bad_values_name_the_member),
        cmocka_unit_test(test_import_bundle_path),
        cmocka_unit_test(test_keys_are_escaped),
        cmocka_unit_test(test_key_that_is_not_text_names_its_object),
        cmocka_unit_test(test_problems_between_members_name_the_container),
        cmocka_unit_test(test_whole_document_problems_are_empty),
        cmocka_unit_test(test_nesting_too_deep),
        cmocka_unit_test(test_any_position),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
