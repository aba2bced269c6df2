/*
 * Path routing: router_match() over the real route table (api_routes()) with any method and
 * any path bytes, and the Allow buffer size the dispatcher uses.
 *
 * Input: `METHOD PATH` (split at the first space; without one, the whole input is a GET path).
 * Checks: a found route has the method asked (HEAD as GET) and as many non-empty captures,
 * free of '/', as its pattern has; Allow names the found method; 405 only with an Allow list;
 * a second match gives the same answer.
 */
#include "fuzz.h"

#include "api/api.h"
#include "http/router.h"

#define FUZZ_ALLOW_LEN 128 /* as in api_dispatch() */

static size_t pattern_captures(const char *pattern)
{
    size_t n = 0;
    for (; *pattern; pattern++)
        n += *pattern == '{';
    return n;
}

static void check_found(const struct route *r, const char *method, char **params, size_t n,
                        const char *allow)
{
    FUZZ_CHECK(r != NULL && r->pattern != NULL && r->handler != NULL);
    FUZZ_CHECK(strcmp(r->method, strcmp(method, "HEAD") == 0 ? "GET" : method) == 0);
    FUZZ_CHECK(n == pattern_captures(r->pattern) && n <= HTTP_MAX_PARAMS);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(params[i] != NULL && params[i][0] != '\0' && strchr(params[i], '/') == NULL);
    FUZZ_CHECK(strstr(allow, r->method) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    const char *method = "GET", *path = text;
    char *space = strchr(text, ' ');
    if (space != NULL) {
        *space = '\0';
        method = text;
        path = space + 1;
    }
    size_t count = 0;
    const struct route *routes = api_routes(&count);
    FUZZ_CHECK(routes != NULL && count > 0);
    const struct route *found = NULL, *again = NULL;
    char *params[HTTP_MAX_PARAMS] = {NULL}, *params2[HTTP_MAX_PARAMS] = {NULL};
    size_t n = 0, n2 = 0;
    char allow[FUZZ_ALLOW_LEN], allow2[FUZZ_ALLOW_LEN];
    enum route_match m =
        router_match(routes, method, path, &found, params, &n, allow, sizeof allow);
    FUZZ_CHECK(strlen(allow) < sizeof allow);
    if (m == ROUTE_FOUND) {
        check_found(found, method, params, n, allow);
        FUZZ_CHECK(router_index(routes, found) < count);
    } else {
        FUZZ_CHECK(found == NULL && n == 0);
        FUZZ_CHECK((m == ROUTE_METHOD_NOT_ALLOWED) == (allow[0] != '\0'));
    }
    enum route_match m2 =
        router_match(routes, method, path, &again, params2, &n2, allow2, sizeof allow2);
    FUZZ_CHECK(m2 == m && again == found && n2 == n && strcmp(allow, allow2) == 0);
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(strcmp(params[i], params2[i]) == 0);
        free(params[i]);
        free(params2[i]);
    }
    free(text);
    return 0;
}
