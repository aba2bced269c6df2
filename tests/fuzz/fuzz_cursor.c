/*
 * Keyset cursors: cursor_decode() against every shape the list handlers pass to api_cursor()
 * (grep 'api_cursor(' src/api: keep SHAPES in step), plus one shape with the letters no handler
 * uses yet ('n', and 'D' and 'x' again), so every letter of cursor.h is reached.
 *
 * Input: a cursor's key (what follows its tag in `?cursor=`); or, when byte 0 is 'J', the JSON
 * text inside a key, which the harness encodes in base64url first (so the fuzzer reaches the JSON
 * and the per-letter checks without having to discover base64 on its own).
 * Checks: on success every part has the type its letter promises; on failure nothing is left;
 * cursor_unbind() gives the text after the tag, never empty, or NULL.
 */
#include "fuzz.h"

#include "api/api.h"
#include "api/cursor.h"
#include "json/jsonx.h"

static const char *const shapes[] = {"s",   "is",   "du",    "tu",  "Du", "xi",
                                     "dtu", "dtui", "duiiu", "nDx", NULL};

static char *b64url_encode(const uint8_t *data, size_t size)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *out = malloc(size / 3 * 4 + 5);
    FUZZ_CHECK(out != NULL);
    size_t o = 0;
    for (size_t i = 0; i < size; i += 3) {
        unsigned v = (unsigned)data[i] << 16;
        if (i + 1 < size)
            v |= (unsigned)data[i + 1] << 8;
        if (i + 2 < size)
            v |= data[i + 2];
        out[o++] = abc[(v >> 18) & 63];
        out[o++] = abc[(v >> 12) & 63];
        if (i + 1 < size)
            out[o++] = abc[(v >> 6) & 63];
        if (i + 2 < size)
            out[o++] = abc[v & 63];
    }
    out[o] = '\0';
    return out;
}

static bool integer_text(const char *s)
{
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    char back[32];
    snprintf(back, sizeof back, "%lld", v);
    return *end == '\0' && strcmp(back, s) == 0;
}

static void check_part(char kind, const char *p)
{
    if (p == NULL) {
        FUZZ_CHECK(kind == 'n' || kind == 'D');
        return;
    }
    switch (kind) {
        case 'd':
        case 'D':
            FUZZ_CHECK(jsonx_is_date(p));
            break;
        case 't':
            FUZZ_CHECK(jsonx_is_timestamp(p));
            break;
        case 'u':
            FUZZ_CHECK(jsonx_is_uuid(p));
            break;
        case 'i':
        case 'n':
            FUZZ_CHECK(integer_text(p));
            break;
        case 'x':
            FUZZ_CHECK(p[0] != '\0' && strlen(p) <= 20 && strspn(p, "0123456789") == strlen(p));
            break;
        case 's':
            FUZZ_CHECK(strlen(p) <= 400);
            break;
        default:
            FUZZ_CHECK(!"a letter cursor.h does not define");
    }
}

static void check_shape(const char *text, const char *shape)
{
    char *parts[CURSOR_MAX_PARTS];
    size_t n = strlen(shape);
    FUZZ_CHECK(n <= CURSOR_MAX_PARTS);
    memset(parts, 0xA5, sizeof parts); /* garbage, as in a handler's uninitialised array */
    if (cursor_decode(text, shape, parts)) {
        for (size_t i = 0; i < n; i++)
            check_part(shape[i], parts[i]);
    } else {
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(parts[i] == NULL);
    }
    cursor_parts_free(shape, parts);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(parts[i] == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text =
        (size > 0 && data[0] == 'J') ? b64url_encode(data + 1, size - 1) : fuzz_cstr(data, size);
    for (const char *const *s = shapes; *s != NULL; s++)
        check_shape(text, *s);
    const char *key = cursor_unbind(text, "0123456789abcdef");
    FUZZ_CHECK(key == NULL || (key == text + CURSOR_TAG_LEN && key[0] != '\0' &&
                               strncmp(text, "0123456789abcdef", CURSOR_TAG_LEN) == 0));
    free(text);
    return 0;
}
