#include "http/router.h"

#include "core/xalloc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Compares @a path with @a pattern segment by segment; collects captures when @a params. */
static bool path_matches(const char *pattern, const char *path, char **params, size_t *nparams)
{
    size_t n = 0;
    const char *p = pattern, *s = path;
    while (*p != '\0' && *s != '\0') {
        if (*p != '/' || *s != '/')
            goto fail;
        p++;
        s++;
        const char *pend = strchr(p, '/');
        const char *send = strchr(s, '/');
        size_t plen = pend ? (size_t)(pend - p) : strlen(p);
        size_t slen = send ? (size_t)(send - s) : strlen(s);
        if (plen > 0 && p[0] == '{') {
            if (slen == 0 || n >= HTTP_MAX_PARAMS)
                goto fail;
            if (params != NULL)
                params[n] = xstrndup(s, slen);
            n++;
        } else if (plen != slen || strncmp(p, s, plen) != 0) {
            goto fail;
        }
        p += plen;
        s += slen;
    }
    if (*p != '\0' || *s != '\0')
        goto fail;
    if (nparams != NULL)
        *nparams = n;
    return true;
fail:
    if (params != NULL)
        for (size_t i = 0; i < n; i++) {
            free(params[i]);
            params[i] = NULL;
        }
    return false;
}

static void allow_add(char *allow, size_t len, const char *method)
{
    if (strstr(allow, method) != NULL)
        return;
    if (allow[0] != '\0')
        strncat(allow, ", ", len - strlen(allow) - 1);
    strncat(allow, method, len - strlen(allow) - 1);
}

enum route_match router_match(const struct route *routes, const char *method, const char *path,
                              const struct route **found, char **params, size_t *nparams,
                              char *allow, size_t allow_len)
{
    const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;
    allow[0] = '\0';
    *found = NULL;
    *nparams = 0;
    for (const struct route *r = routes; r->pattern != NULL; r++) {
        if (!path_matches(r->pattern, path, NULL, NULL))
            continue;
        allow_add(allow, allow_len, r->method);
        if (*found == NULL && strcmp(r->method, want) == 0)
            *found = r;
    }
    if (*found != NULL) {
        path_matches((*found)->pattern, path, params, nparams);
        return ROUTE_FOUND;
    }
    return allow[0] != '\0' ? ROUTE_METHOD_NOT_ALLOWED : ROUTE_NOT_FOUND;
}

size_t router_index(const struct route *routes, const struct route *r)
{
    return (size_t)(r - routes);
}
