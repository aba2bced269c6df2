/*
 * Request bodies: the raw bytes go through api_body_object() (the handlers' parser: size,
 * Content-Type, json_loadb with JSON_REJECT_DUPLICATES, object only, parse_error_field() naming
 * where a body that does not parse went wrong), then jsonx_validate() against a harness-local
 * field table that holds every enum jsonx_type, with the bounds the resources use, under each
 * combination of flags the resources use. The resources' own tables are static in the src/api/ files; the real bundle tables (resolution, sector, agency,
 * recommendation, update, retraction) are fuzzed by fuzz_bundle through bundle_validate().
 *
 * Input: byte 0 chooses the mode (bit 0: a nested prefix, as in bundles; bits 1..: the flags
 * variant), the rest is the body. Each body is validated both whole (create) and partial (PATCH).
 * Checks: a body that does not parse is one error naming the member parse_error_field() finds
 * (a JSON Pointer, or "" for the whole body); every error is {field, message} under the prefix;
 * a partial validation reports exactly the errors of a full one except the top-level
 * "is required"; a problem answer is well formed.
 */
#include "fuzz.h"

#include "api/api.h"
#include "json/jsonx.h"
#include "json/parse_error.h"

#include <limits.h>

static const char *const colours[] = {"red", "green", "blue", "not_assessed", NULL};

/* Every type once, plus the bounded variants the resources use (max, min). */
#define FUZZ_FIELDS(fl)                                                                     \
    {                                                                                       \
        {.name = "string", .type = JX_STRING, .flags = (fl)},                              \
        {.name = "short", .type = JX_STRING, .flags = (fl), .max = 5},                     \
        {.name = "localized", .type = JX_LOCALIZED, .flags = (fl)},                        \
        {.name = "date", .type = JX_DATE, .flags = (fl)},                                  \
        {.name = "timestamp", .type = JX_TIMESTAMP, .flags = (fl)},                        \
        {.name = "int", .type = JX_INT, .flags = (fl), .min = 0, .max = 100},              \
        {.name = "int32", .type = JX_INT, .flags = (fl), .min = -2147483647LL - 1,         \
         .max = 2147483647LL},                                                              \
        {.name = "int64", .type = JX_INT, .flags = (fl), .min = LLONG_MIN, .max = LLONG_MAX}, \
        {.name = "bool", .type = JX_BOOL, .flags = (fl)},                                  \
        {.name = "enum", .type = JX_ENUM, .flags = (fl), .values = colours},               \
        {.name = "slug", .type = JX_SLUG, .flags = (fl)},                                  \
        {.name = "code", .type = JX_CODE, .flags = (fl)},                                  \
        {.name = "code20", .type = JX_CODE, .flags = (fl), .max = 20},                     \
        {.name = "ref", .type = JX_REF, .flags = (fl)},                                    \
        {.name = "url", .type = JX_URL, .flags = (fl)},                                    \
        {.name = "country", .type = JX_COUNTRY, .flags = (fl)},                            \
        {.name = "lang", .type = JX_LANG, .flags = (fl)},                                  \
        {.name = "strings", .type = JX_STRING_ARRAY, .flags = (fl)},                       \
        {.name = "strings3", .type = JX_STRING_ARRAY, .flags = (fl), .max = 3},            \
        {.name = "refs", .type = JX_REF_ARRAY, .flags = (fl)},                             \
        {.name = "sdgs", .type = JX_INT_ARRAY, .flags = (fl), .min = 1, .max = 17},        \
        {.name = "budget", .type = JX_BUDGET, .flags = (fl)},                              \
        {.name = "evidence", .type = JX_EVIDENCE, .flags = (fl)},                          \
        {.name = "id", .type = JX_STRING, .flags = JX_READONLY},                           \
        {.name = "a/b~c", .type = JX_STRING, .flags = (fl)}, /* a name to escape */        \
        {.name = NULL},                                                                     \
    }

static const struct jsonx_field fields_plain[] = FUZZ_FIELDS(0);
static const struct jsonx_field fields_required[] = FUZZ_FIELDS(JX_REQUIRED);
static const struct jsonx_field fields_nullable[] = FUZZ_FIELDS(JX_NULLABLE);
static const struct jsonx_field fields_both[] = FUZZ_FIELDS(JX_REQUIRED | JX_NULLABLE);
static const struct jsonx_field fields_readonly[] = FUZZ_FIELDS(JX_READONLY);

static const struct jsonx_field *const tables[] = {fields_plain, fields_required, fields_nullable,
                                                   fields_both, fields_readonly};

/* Errors "is required" of a top-level member (nested objects, such as budget, stay whole). */
static size_t count_required(json_t *errors, const char *prefix)
{
    size_t n = 0, i, skip = strlen(prefix) + 1;
    json_t *e;
    json_array_foreach(errors, i, e) {
        const char *field = json_string_value(json_object_get(e, "field"));
        if (strcmp(json_string_value(json_object_get(e, "message")), "is required") == 0 &&
            strchr(field + skip, '/') == NULL)
            n++;
    }
    return n;
}

static void check_body(json_t *body, const struct jsonx_field *fields, const char *prefix)
{
    json_t *full = json_array(), *partial = json_array();
    jsonx_validate(body, fields, false, prefix, full);
    jsonx_validate(body, fields, true, prefix, partial);
    fuzz_check_errors(full, prefix);
    fuzz_check_errors(partial, prefix);
    FUZZ_CHECK(count_required(partial, prefix) == 0);
    FUZZ_CHECK(json_array_size(partial) + count_required(full, prefix) == json_array_size(full));
    if (json_array_size(full) == 0) {
        char *text = api_json_text(body); /* what goes to PostgreSQL as the jsonb parameter */
        FUZZ_CHECK(text != NULL && text[0] == '{');
        free(text);
    }
    json_decref(partial);
    json_decref(full);
}

/* A refused body is a 400 with one error, the parser's reason, naming the member where the
 * problem lies (a JSON Pointer) or the body itself (""), as parse_error_field() finds it. */
static void check_body_problem(const struct http_res *res, const char *body, size_t len)
{
    json_t *doc = json_loadb(res->body, res->body_len, 0, NULL);
    json_t *errors = json_object_get(doc, "errors");
    FUZZ_CHECK(json_array_size(errors) == 1);
    const char *field = json_string_value(json_object_get(json_array_get(errors, 0), "field"));
    fuzz_check_pointer(field);
    json_error_t error;
    json_t *again = json_loadb(body, len, JSON_REJECT_DUPLICATES, &error);
    if (again == NULL) { /* an empty body too: "" either way */
        char *expected = parse_error_field(body, len, &error);
        FUZZ_CHECK(strcmp(field, expected) == 0);
        free(expected);
    } else {
        FUZZ_CHECK(field[0] == '\0');
    }
    json_decref(again);
    json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned mode = data[0];
    static const char *const headers[] = {"Content-Type", "application/json; charset=utf-8", NULL};
    struct http_req req;
    struct http_res res;
    memset(&req, 0, sizeof req);
    memset(&res, 0, sizeof res);
    char *body_text = fuzz_cstr(data + 1, size - 1); /* the server NUL-terminates bodies too */
    req.method = "POST";
    req.path = "/v1/things";
    req.body = body_text;
    req.body_len = size - 1;
    req.fake_headers = headers;
    json_t *body = NULL;
    if (api_body_object(&req, &res, &body) != APP_OK) {
        FUZZ_CHECK(body == NULL);
        fuzz_check_problem(&res);
        FUZZ_CHECK(res.status == 400);
        check_body_problem(&res, body_text, size - 1);
    } else {
        FUZZ_CHECK(json_is_object(body) && res.status == 0);
        const struct jsonx_field *fields = tables[(mode >> 1) % (sizeof tables / sizeof *tables)];
        check_body(body, fields, (mode & 1) ? "/recommendations/0" : "");
    }
    json_decref(body);
    http_res_cleanup(&res);
    free(body_text);
    return 0;
}
