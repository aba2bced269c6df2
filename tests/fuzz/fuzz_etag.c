/*
 * Conditional request headers: etag_none_match() (If-None-Match, weak comparison) and
 * etag_if_match_versions() (If-Match on writes) with any header bytes.
 *
 * Input: the header value, then optionally a newline and the bytes of a representation; the
 * harness builds the tags the server would send for it (versioned, strong and weak).
 * Checks: If-Match reads nothing or a bigint[] literal of at most ETAG_MAX_IF_MATCH versions, 0
 * ("*") or positive; a tag matches itself, and its weak form, in If-None-Match; If-Match gives
 * back the version of a versioned tag (and nothing for another resource), also at the end of a
 * short enough list of other tags; a tag appended to a well-formed list still matches.
 */
#include "fuzz.h"

#include <ctype.h>

#include "core/xalloc.h"
#include "http/etag.h"

#define FUZZ_ID "3f2504e0-4f89-11d3-9a0c-0305e82c3301" /* the resource the tags are of */

/* The version a representation carries: positive, from its first bytes. */
static long long version_of(const char *rep, size_t len)
{
    unsigned long long v = 0;
    memcpy(&v, rep, len < sizeof v ? len : sizeof v);
    v >>= 1; /* within long long */
    return v == 0 ? 1 : (long long)v;
}

/* Does @a header hold only quoted tags, W/ prefixes, commas and spaces (RFC 9110's list)? */
static bool well_formed_list(const char *h)
{
    while (*h) {
        if (*h == ' ' || *h == '\t' || *h == ',') {
            h++;
            continue;
        }
        if (h[0] == 'W' && h[1] == '/')
            h += 2;
        if (*h != '"')
            return false;
        const char *q = strchr(h + 1, '"');
        if (q == NULL)
            return false;
        h = q + 1;
        if (*h != '\0' && *h != ',' && *h != ' ' && *h != '\t')
            return false;
    }
    return true;
}

/* Is @a s NULL or "{v,...}" with 1..ETAG_MAX_IF_MATCH non-negative versions? @return the count */
static int versions_count(const char *s)
{
    if (s == NULL)
        return 0;
    FUZZ_CHECK(s[0] == '{' && s[strlen(s) - 1] == '}');
    int n = 0;
    for (const char *p = s + 1; *p != '}'; n++) {
        FUZZ_CHECK(isdigit((unsigned char)*p));
        while (isdigit((unsigned char)*p))
            p++;
        FUZZ_CHECK(*p == ',' || *p == '}');
        if (*p == ',')
            p++;
    }
    FUZZ_CHECK(n >= 1 && n <= ETAG_MAX_IF_MATCH);
    return n;
}

static void check_tag(const char *header, const char *tag)
{
    FUZZ_CHECK(etag_none_match(tag, tag));
    const char *opaque = strncmp(tag, "W/", 2) == 0 ? tag + 2 : tag;
    char *weak = xasprintf("W/%s", opaque);
    FUZZ_CHECK(etag_none_match(weak, tag) && etag_none_match(opaque, tag));
    free(weak);
    if (well_formed_list(header)) {
        char *list = xasprintf("%s, %s", header, tag);
        FUZZ_CHECK(etag_none_match(list, tag));
        free(list);
    }
    (void)etag_none_match(header, tag);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *header = fuzz_cstr(data, size);
    const char *rep = "";
    size_t rep_len = 0;
    char *nl = memchr(header, '\n', strlen(header));
    if (nl != NULL) {
        *nl = '\0';
        rep = nl + 1;
        rep_len = strlen(rep);
    }
    char *got = etag_if_match_versions(header, FUZZ_ID);
    int named = versions_count(got);
    FUZZ_CHECK(!etag_none_match(header, NULL) && !etag_none_match(NULL, header));

    long long version = version_of(rep, rep_len);
    char *versioned = etag_for_version(FUZZ_ID, version, rep, rep_len);
    char *strong = etag_for_bytes(rep, rep_len, false);
    char *weak = etag_for_bytes(rep, rep_len, true);
    char *alone = etag_if_match_versions(versioned, FUZZ_ID);
    /* the tag names its resource: for another one it names nothing */
    char *elsewhere = etag_if_match_versions(versioned, "0f8fad5b-d9cb-469f-a165-70867728950e");
    FUZZ_CHECK(elsewhere == NULL);
    char *expected = xasprintf("{%lld}", version);
    FUZZ_CHECK(alone != NULL && strcmp(alone, expected) == 0);
    if (well_formed_list(header) && named < ETAG_MAX_IF_MATCH) {
        /* appended to a list that leaves room, the version is the last one read */
        char *list = xasprintf("%s, %s", header, versioned);
        char *v = etag_if_match_versions(list, FUZZ_ID);
        char *tail = xasprintf("%c%lld}", named ? ',' : '{', version);
        FUZZ_CHECK(v != NULL && strlen(v) >= strlen(tail) &&
                   strcmp(v + strlen(v) - strlen(tail), tail) == 0);
        free(tail);
        free(v);
        free(list);
    }
    free(expected);
    free(alone);
    free(elsewhere);
    free(got);
    check_tag(header, versioned);
    check_tag(header, strong);
    check_tag(header, weak);
    free(weak);
    free(strong);
    free(versioned);
    free(header);
    return 0;
}
