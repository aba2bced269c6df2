/* The route table: every method + path template the service answers, and its handler. */
#include "api/api.h"

#include "api/ops.h"
#include "api/resolutions.h"
#include "auth/auth.h"
#include "http/router.h"

static const struct route routes[] = {
    {.method = "GET", .pattern = "/healthz", .handler = ops_healthz, .flags = ROUTE_NO_AUTH},
    {.method = "GET", .pattern = "/readyz", .handler = ops_readyz,
     .flags = ROUTE_NO_RETRY | ROUTE_NO_AUTH},
    {.method = "GET", .pattern = "/metrics", .handler = ops_metrics, .flags = ROUTE_NO_AUTH},
    {.method = "GET", .pattern = "/openapi.yaml", .handler = ops_openapi, .flags = ROUTE_NO_AUTH},

    {.method = "GET", .pattern = "/v1/resolutions", .handler = resolutions_list, .flags = ROUTE_CSV},
    {.method = "POST", .pattern = "/v1/resolutions", .handler = resolutions_create},
    {.method = "GET", .pattern = "/v1/resolutions/{id}", .handler = resolutions_get},
    {.method = "PATCH", .pattern = "/v1/resolutions/{id}", .handler = resolutions_patch},
    {.method = "POST", .pattern = "/v1/resolutions/{id}/archive", .handler = resolutions_archive},
    {.method = "POST", .pattern = "/v1/resolutions/{id}/unarchive",
     .handler = resolutions_unarchive},
    {.pattern = NULL},
};

const struct route *api_routes(size_t *count)
{
    *count = sizeof routes / sizeof routes[0] - 1;
    return routes;
}

void api_register_statements(void)
{
    auth_register_statements();
    ops_register_statements();
    resolutions_register_statements();
}
