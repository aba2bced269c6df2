/* The route table: every method + path template the service answers, and its handler. */
#include "api/api.h"

#include "api/ops.h"
#include "auth/auth.h"
#include "http/router.h"

static const struct route routes[] = {
    {.method = "GET", .pattern = "/healthz", .handler = ops_healthz},
    {.method = "GET", .pattern = "/readyz", .handler = ops_readyz, .flags = ROUTE_NO_RETRY},
    {.method = "GET", .pattern = "/metrics", .handler = ops_metrics},
    {.method = "GET", .pattern = "/openapi.yaml", .handler = ops_openapi},
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
}
