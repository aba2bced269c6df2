#include "api/cursor.h"

#include "api/api.h"
#include "core/xalloc.h"
#include "http/etag.h"
#include "http/http.h"
#include "json/jsonx.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CURSOR_MAX_TEXT 1024

static int b64url_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* @return new decoded bytes (NUL-terminated), or NULL when not base64url. */
static char *b64url_decode(const char *text, size_t *len)
{
    size_t n = strlen(text);
    while (n > 0 && text[n - 1] == '=')
        n--;
    if (n == 0 || n > CURSOR_MAX_TEXT || n % 4 == 1)
        return NULL;
    char *out = xmalloc(n * 3 / 4 + 2);
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64url_value(text[i]);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((acc >> bits) & 0xFF);
        }
    }
    out[o] = '\0';
    *len = o;
    return out;
}

/* Digits only, within PostgreSQL's xid8 (an unsigned 64-bit number). */
static bool is_uint64(const char *s)
{
    if (*s == '\0' || strlen(s) > 20 || strspn(s, "0123456789") != strlen(s))
        return false;
    return strlen(s) < 20 || strcmp(s, "18446744073709551615") <= 0;
}

/* Checks one element; @return a new string for it, or NULL with *ok false. */
static char *part_text(json_t *v, char kind, bool *ok)
{
    *ok = true;
    if (json_is_null(v) && (kind == 'n' || kind == 'D'))
        return NULL;
    if (kind == 'i' || kind == 'n' || kind == 'l') {
        /* in the range of the column it is compared with, so PostgreSQL never fails on a cast */
        json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;
        if (!json_is_integer(v) || (kind != 'l' && (n < INT32_MIN || n > INT32_MAX)))
            goto bad;
        return xasprintf("%lld", (long long)n);
    }
    const char *s = json_string_value(v);
    if (s == NULL)
        goto bad;
    bool good = (kind == 'd' || kind == 'D')   ? jsonx_is_date(s)
                : kind == 't'                  ? jsonx_is_timestamp(s)
                : kind == 'u'                  ? jsonx_is_uuid(s)
                : kind == 'x'                  ? is_uint64(s)
                : kind == 's'                  ? strlen(s) <= 400
                                               : false;
    if (good)
        return xstrdup(s);
bad:
    *ok = false;
    return NULL;
}

bool cursor_decode(const char *text, const char *shape, char **parts)
{
    size_t nshape = strlen(shape);
    for (size_t i = 0; i < nshape; i++)
        parts[i] = NULL;
    size_t len = 0;
    char *raw = text ? b64url_decode(text, &len) : NULL;
    if (raw == NULL)
        return false;
    json_t *doc = json_loadb(raw, len, JSON_REJECT_DUPLICATES, NULL);
    free(raw);
    bool ok = json_is_array(doc) && json_array_size(doc) == nshape;
    for (size_t i = 0; ok && i < nshape; i++)
        parts[i] = part_text(json_array_get(doc, i), shape[i], &ok);
    json_decref(doc);
    if (!ok)
        cursor_parts_free(shape, parts);
    return ok;
}

void cursor_parts_free(const char *shape, char **parts)
{
    for (size_t i = 0; i < strlen(shape); i++) {
        free(parts[i]);
        parts[i] = NULL;
    }
}

/* The query parameters that select or order a list's items, on any list: a cursor is bound to
 * them. The others may change between pages: limit, lang and format, unknown ones (ignored, as a
 * cache-buster `_=`), and `cursor`, which is what moves. */
static const char *const bound_params[] = {
    "resolution", "sector", "agency", "lead_agency", "status", "response", "theme", "sdg",
    "overdue", "updated_since", "q", "sort", "archived", "kind", "source", "since", "actor",
    "entity", "entity_id", NULL,
};

struct tag_sum {
    uint64_t sum;
    bool feed; /* the feed's `since` is for the first pull (API.md): later polls may drop it */
};

static bool is_bound(const char *key, bool feed)
{
    if (feed && strcmp(key, "since") == 0)
        return false;
    for (const char *const *p = bound_params; *p != NULL; p++)
        if (strcmp(key, *p) == 0)
            return true;
    return false;
}

/* Adds one parameter's hash to the sum in @a cls: a sum, so their order does not matter. */
static void tag_add(void *cls, const char *key, const char *value)
{
    struct tag_sum *t = cls;
    if (!is_bound(key, t->feed))
        return;
    size_t nk = strlen(key), nv = value != NULL ? strlen(value) : 0;
    char *pair = xmalloc(nk + nv + 2);
    memcpy(pair, key, nk + 1); /* the NUL keeps "a" "bc" apart from "ab" "c" */
    if (value != NULL)
        memcpy(pair + nk + 1, value, nv + 1);
    /* a key without '=' counts apart from one with an empty value */
    t->sum += etag_hash(pair, value != NULL ? nk + 1 + nv : nk);
    free(pair);
}

void cursor_tag(const struct http_req *req, char tag[CURSOR_TAG_LEN + 1])
{
    const char *path = req->path != NULL ? req->path : "";
    struct tag_sum t = {0, strcmp(path, "/v1/updates") == 0};
    http_req_query_each(req, tag_add, &t);
    char *text = xasprintf("%s?%016llx", path, (unsigned long long)t.sum);
    snprintf(tag, CURSOR_TAG_LEN + 1, "%016llx",
             (unsigned long long)etag_hash(text, strlen(text)));
    free(text);
}

const char *cursor_unbind(const char *text, const char *tag)
{
    size_t n = strlen(tag);
    if (text == NULL || strncmp(text, tag, n) != 0 || text[n] == '\0')
        return NULL;
    return text + n;
}
