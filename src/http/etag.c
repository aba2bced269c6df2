#include "http/etag.h"

#include "core/xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t etag_hash(const char *data, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)data[i];
        h *= 1099511628211ULL;
    }
    return h;
}

char *etag_for_bytes(const char *data, size_t len, bool weak)
{
    return xasprintf("%s\"%016llx\"", weak ? "W/" : "",
                     (unsigned long long)etag_hash(data, len));
}

/* 32 bits naming the resource @a id (case-insensitive: a path may spell a UUID in capitals) at
 * @a version: an If-Match tag is current only if it carries them. */
static unsigned long resource_mark(const char *id, long long version)
{
    char text[80];
    int n = snprintf(text, sizeof text, "%s:%lld", id ? id : "", version);
    for (int i = 0; i < n && i < (int)sizeof text; i++)
        text[i] = (char)tolower((unsigned char)text[i]);
    size_t len = n < (int)sizeof text ? (size_t)n : sizeof text - 1;
    return (unsigned long)(etag_hash(text, len) & 0xffffffffUL);
}

char *etag_for_version(const char *id, long long version, const char *data, size_t len)
{
    return xasprintf("\"%lld-%08lx%08llx\"", version, resource_mark(id, version),
                     (unsigned long long)(etag_hash(data, len) & 0xffffffffULL));
}

/* Moves past one entity tag in a comma list, setting *start and *len to its opaque part (with
 * its quotes) and *weak when it had the W/ prefix; @return where the next tag may start. */
static const char *next_tag(const char *p, const char **start, size_t *len, bool *weak)
{
    while (*p == ' ' || *p == '\t' || *p == ',')
        p++;
    if (*p == '\0')
        return NULL;
    *weak = p[0] == 'W' && p[1] == '/';
    if (*weak)
        p += 2;
    const char *s = p;
    if (*p == '"') {
        const char *q = strchr(p + 1, '"');
        if (q == NULL)
            return NULL;
        *start = s;
        *len = (size_t)(q - s) + 1;
        return q + 1;
    }
    while (*p != '\0' && *p != ',')
        p++;
    *start = s;
    *len = (size_t)(p - s);
    while (*len > 0 && (s[*len - 1] == ' ' || s[*len - 1] == '\t'))
        (*len)--;
    return p;
}

bool etag_none_match(const char *header, const char *etag)
{
    if (header == NULL || etag == NULL)
        return false;
    const char *mine = etag;
    if (mine[0] == 'W' && mine[1] == '/')
        mine += 2;
    size_t mine_len = strlen(mine);
    const char *p = header, *tag = NULL;
    size_t len = 0;
    bool weak = false; /* If-None-Match compares weakly: W/ does not matter */
    while ((p = next_tag(p, &tag, &len, &weak)) != NULL) {
        if (len == 1 && tag[0] == '*' && !weak) /* a weak star is no tag at all */
            return true;
        if (len == mine_len && strncmp(tag, mine, len) == 0)
            return true;
    }
    return false;
}

/* The version a strong tag "<version>-<mark><hash>" of resource @a id names; -1 for another
 * resource's tag, one without the resource's mark or any other text. The hash is not compared:
 * it is of one language's representation, and any language's tag of the version matches. */
static long long tag_version(const char *tag, size_t len, const char *id)
{
    if (len < 4 || tag[0] != '"' || !isdigit((unsigned char)tag[1]) || tag[1] == '0')
        return -1; /* the service writes no leading zero */
    char *end = NULL;
    long long v = strtoll(tag + 1, &end, 10);
    if (end == NULL || *end != '-' || v <= 0 || (size_t)(end - tag) + 18 != len)
        return -1;
    char mark[9];
    snprintf(mark, sizeof mark, "%08lx", resource_mark(id, v));
    return strncmp(end + 1, mark, 8) == 0 ? v : -1;
}

char *etag_if_match_versions(const char *header, const char *id)
{
    char list[ETAG_MAX_IF_MATCH * 21 + 3] = "{";
    size_t used = 1;
    int count = 0;
    const char *p = header, *tag = NULL;
    size_t len = 0;
    bool weak = false;
    while (count < ETAG_MAX_IF_MATCH && (p = next_tag(p, &tag, &len, &weak)) != NULL) {
        long long v = -1;
        if (weak) /* If-Match compares strongly (RFC 9110 13.1.1): a weak tag never matches */
            v = -1;
        else if (len == 1 && tag[0] == '*')
            v = 0;
        else
            v = tag_version(tag, len, id);
        if (v < 0)
            continue;
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%lld", count ? "," : "", v);
        count++;
    }
    if (count == 0)
        return NULL;
    snprintf(list + used, sizeof list - used, "}");
    return xstrdup(list);
}
