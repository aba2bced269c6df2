/*
 * The import bundle reader: the bytes of `POST /v1/import` or `tracker import FILE` parsed as
 * import_command() does (json_loadb with JSON_REJECT_DUPLICATES, any JSON value), then
 * bundle_validate(), which checks a bundle with the real field tables of bundles.c and the
 * references inside it, without a database.
 *
 * Checks: a bundle that does not parse is named by a JSON Pointer (parse_error_field()); the
 * errors are {field, message} with JSON Pointers; the references handed to SQL are
 * [pointer, slug] pairs whose slug is slug-shaped; a valid bundle serialises for the jsonb
 * parameter.
 */
#include "fuzz.h"

#include "api/api.h"
#include "api/bundles.h"
#include "json/parse_error.h"

static void check_refs(json_t *refs)
{
    FUZZ_CHECK(json_is_array(refs));
    size_t i;
    json_t *r;
    json_array_foreach(refs, i, r) {
        FUZZ_CHECK(json_is_array(r) && json_array_size(r) == 2);
        const char *ptr = json_string_value(json_array_get(r, 0));
        const char *slug = json_string_value(json_array_get(r, 1));
        FUZZ_CHECK(ptr != NULL && ptr[0] == '/');
        FUZZ_CHECK(slug != NULL && api_is_slug(slug));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t error;
    json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &error);
    if (doc == NULL) { /* the 400 of POST /v1/import names where in the bundle it went wrong */
        char *field = parse_error_field((const char *)data, size, &error);
        fuzz_check_pointer(field);
        free(field);
        return 0;
    }
    json_t *errors = NULL;
    json_t *refs = bundle_validate(doc, &errors);
    fuzz_check_errors(errors, "");
    check_refs(refs);
    if (json_array_size(errors) == 0) {
        FUZZ_CHECK(json_is_object(doc));
        char *text = api_json_text(doc);
        char *refs_text = api_json_text(refs);
        FUZZ_CHECK(text[0] == '{' && refs_text[0] == '[');
        free(refs_text);
        free(text);
    }
    json_decref(errors);
    json_decref(refs);
    json_decref(doc);
    return 0;
}
