/*
 * Query strings and the identifiers and filters read out of them: the helpers every list and
 * read handler calls before anything reaches SQL.
 *
 * Input: a query string `k=v&k2&...` (raw bytes, as the server hands them over once decoded),
 * optionally followed by a newline and an Accept header value. The pairs become the fake_query
 * of a struct http_req (conn NULL), as in the unit tests.
 * Reached: api_page_params, cursor_tag, api_lang, api_archived_param, csv_wanted,
 * http_req_query_without, and on every key and value jsonx_is_uuid, api_is_slug, api_is_lang, api_ref_split,
 * jsonx_is_date, jsonx_is_timestamp, jsonx_is_http_url, idempotency_key_valid, auth_role_parse.
 * Checks: the answers agree with what the helpers promise (a cursor's tag ignores the order of
 * the parameters and those that do not select items), with jsonx's own checks of the same
 * shapes (slug, language tag) and with the C library's calendar (dates).
 */
#include "fuzz.h"

#include "api/api.h"
#include "api/csv.h"
#include "api/cursor.h"
#include "api/idempotency.h"
#include "auth/auth.h"
#include "json/jsonx.h"

#include <ctype.h>
#include <strings.h>
#include <time.h>

#define FUZZ_MAX_PAIRS 32

/* Splits @a text in place into NULL-ended key/value pairs (a key without '=' has no value). */
static size_t split_query(char *text, const char **pairs)
{
    size_t n = 0;
    char *save = NULL;
    for (char *item = strtok_r(text, "&", &save); item != NULL && n < FUZZ_MAX_PAIRS;
         item = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(item, '=');
        if (eq != NULL)
            *eq = '\0';
        pairs[2 * n] = item;
        pairs[2 * n + 1] = eq != NULL ? eq + 1 : NULL;
        n++;
    }
    pairs[2 * n] = NULL;
    return n;
}

/* The date check again, by the C library's calendar: does YYYY-MM-DD survive timegm()? */
static bool date_by_libc(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !(s[i] >= '0' && s[i] <= '9'))
            return false;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > 31)
        return false;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = 12};
    time_t t = timegm(&tm);
    struct tm back;
    if (gmtime_r(&t, &back) == NULL)
        return false;
    return back.tm_year == y - 1900 && back.tm_mon == m - 1 && back.tm_mday == d;
}

/* What jsonx says of the string @a s as a member of @a type (it must be valid UTF-8). */
static int jsonx_accepts(const char *s, enum jsonx_type type)
{
    json_t *v = json_string(s);
    if (v == NULL)
        return -1; /* not UTF-8: jsonx never sees such a string */
    const struct jsonx_field fields[] = {{.name = "v", .type = type}, {.name = NULL}};
    json_t *body = json_pack("{s:o}", "v", v), *errors = json_array();
    jsonx_validate(body, fields, false, "", errors);
    int ok = json_array_size(errors) == 0;
    json_decref(errors);
    json_decref(body);
    return ok;
}

static void check_ids(const char *s)
{
    if (jsonx_is_uuid(s))
        FUZZ_CHECK(strlen(s) == 36);
    const char *id = NULL, *slug = NULL;
    if (api_ref_split(s, &id, &slug)) {
        FUZZ_CHECK((id == NULL) != (slug == NULL));
        FUZZ_CHECK(id == s || slug == s);
        FUZZ_CHECK(id == NULL || jsonx_is_uuid(id));
        FUZZ_CHECK(id != NULL ? strlen(s) == 36 : strlen(s) >= 1 && strlen(s) <= 80);
    } else {
        FUZZ_CHECK(id == NULL && slug == NULL);
    }
    if (api_is_slug(s)) {
        FUZZ_CHECK(strlen(s) >= 1 && strlen(s) <= 80);
        FUZZ_CHECK(slug == s || id == s); /* a slug is always a reference (maybe UUID-shaped) */
    }
    int jx = jsonx_accepts(s, JX_SLUG);
    FUZZ_CHECK(jx < 0 || jx == (int)api_is_slug(s));
}

static void check_formats(const char *s)
{
    FUZZ_CHECK(jsonx_is_date(s) == date_by_libc(s));
    if (jsonx_is_timestamp(s)) {
        char day[11];
        memcpy(day, s, 10);
        day[10] = '\0';
        FUZZ_CHECK(strlen(s) >= 20 && jsonx_is_date(day));
        FUZZ_CHECK(s[10] == 'T' || s[10] == 't' || s[10] == ' ');
    }
    if (jsonx_is_http_url(s)) {
        FUZZ_CHECK(strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0);
        for (const char *p = s; *p; p++)
            FUZZ_CHECK((unsigned char)*p > ' ' && *p != 0x7f);
    }
    if (idempotency_key_valid(s))
        FUZZ_CHECK(strlen(s) >= 1 && strlen(s) <= 255);
    enum auth_role role = auth_role_parse(s);
    FUZZ_CHECK(role >= ROLE_NONE && role <= ROLE_ADMIN);
    if (role != ROLE_NONE)
        FUZZ_CHECK(strcmp(auth_role_name(role), s) == 0);
}

static void check_params(struct http_req *req)
{
    struct http_res res;
    memset(&res, 0, sizeof res);
    int limit = 0;
    const char *cursor = NULL, *lang = NULL, *archived = NULL;
    bool csv = false;
    if (api_page_params(req, &res, &limit, &cursor) == APP_OK) {
        FUZZ_CHECK(limit >= 1 && limit <= 200);
        /* the key of a cursor this path and query handed out: after its tag, never empty */
        const char *given = http_req_query(req, "cursor");
        FUZZ_CHECK(cursor == NULL || (cursor[0] != '\0' && given != NULL &&
                                      cursor == given + CURSOR_TAG_LEN));
        FUZZ_CHECK(cursor != NULL || http_req_query_count(req, "cursor") == 0);
    } else {
        fuzz_check_problem(&res);
    }
    http_res_cleanup(&res);
    if (api_lang(req, &res, &lang) == APP_OK)
        FUZZ_CHECK(lang == NULL || jsonx_is_lang(lang)); /* its primary subtag read in lower case */
    else
        fuzz_check_problem(&res);
    http_res_cleanup(&res);
    if (api_archived_param(req, &res, &archived) == APP_OK)
        FUZZ_CHECK(strcmp(archived, "true") == 0 || strcmp(archived, "false") == 0);
    else
        fuzz_check_problem(&res);
    http_res_cleanup(&res);
    if (csv_wanted(req, &res, &csv) != APP_OK)
        fuzz_check_problem(&res);
    http_res_cleanup(&res);
}

/* The tag of req's query with @a pairs instead (@a n of them, in that order). */
static void tag_with(const struct http_req *req, const char **pairs, size_t n, char *tag)
{
    struct http_req copy = *req;
    pairs[2 * n] = NULL;
    copy.fake_query = pairs;
    cursor_tag(&copy, tag);
}

/* A cursor's tag: the same with the pairs reversed and without limit, lang, format and cursor
 * (a client may change those between pages). */
static void check_tag(const struct http_req *req, const char *const *pairs, size_t n)
{
    char tag[CURSOR_TAG_LEN + 1], again[CURSOR_TAG_LEN + 1];
    cursor_tag(req, tag);
    FUZZ_CHECK(strlen(tag) == CURSOR_TAG_LEN);
    const char *kept[2 * FUZZ_MAX_PAIRS + 1];
    size_t k = 0;
    for (size_t i = n; i-- > 0;) {
        const char *key = pairs[2 * i];
        if (strcmp(key, "limit") == 0 || strcmp(key, "lang") == 0 ||
            strcmp(key, "format") == 0 || strcmp(key, "cursor") == 0)
            continue;
        kept[2 * k] = key;
        kept[2 * k + 1] = pairs[2 * i + 1];
        k++;
    }
    tag_with(req, kept, k, again);
    FUZZ_CHECK(strcmp(tag, again) == 0);
}

/* The query rebuilt for the Link header: percent-encoded, without the cursor. */
static void check_rebuilt(struct http_req *req)
{
    char *q = http_req_query_without(req, "cursor");
    for (const char *p = q; *p; p++)
        FUZZ_CHECK(isalnum((unsigned char)*p) || strchr("-_.~,%&=", *p) != NULL);
    FUZZ_CHECK(strncmp(q, "cursor=", 7) != 0 && strstr(q, "&cursor=") == NULL);
    free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    const char *headers[3] = {NULL, NULL, NULL};
    char *nl = strchr(text, '\n');
    if (nl != NULL) {
        *nl = '\0';
        headers[0] = "Accept";
        headers[1] = nl + 1;
    }
    const char *pairs[2 * FUZZ_MAX_PAIRS + 1];
    size_t n = split_query(text, pairs);
    struct http_req req;
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.path = "/v1/recommendations";
    req.fake_query = pairs;
    req.fake_headers = headers;
    check_params(&req);
    check_tag(&req, pairs, n);
    check_rebuilt(&req);
    for (size_t i = 0; i < 2 * n; i++) {
        if (pairs[i] == NULL)
            continue;
        check_ids(pairs[i]);
        check_formats(pairs[i]);
    }
    free(text);
    return 0;
}
