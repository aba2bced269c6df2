/* The route table: every method + path template the service answers, and its handler. */
#include "api/api.h"

#include "api/ops.h"
#include "api/agencies.h"
#include "api/audit.h"
#include "api/bundles.h"
#include "api/idempotency.h"
#include "api/recommendations.h"
#include "api/reports.h"
#include "api/resolutions.h"
#include "api/sectors.h"
#include "api/updates.h"
#include "api/users.h"
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
    {.method = "GET", .pattern = "/v1/resolutions/{id}/sectors", .handler = sectors_list,
     .flags = ROUTE_CSV},
    {.method = "POST", .pattern = "/v1/resolutions/{id}/sectors", .handler = sectors_create},
    {.method = "GET", .pattern = "/v1/resolutions/{id}/recommendations/{code}",
     .handler = recommendations_get_by_code},
    {.method = "GET", .pattern = "/v1/resolutions/{id}/export", .handler = bundles_export},
    {.method = "GET", .pattern = "/v1/sectors/{id}", .handler = sectors_get},
    {.method = "PATCH", .pattern = "/v1/sectors/{id}", .handler = sectors_patch},

    {.method = "GET", .pattern = "/v1/agencies", .handler = agencies_list, .flags = ROUTE_CSV},
    {.method = "POST", .pattern = "/v1/agencies", .handler = agencies_create},
    {.method = "GET", .pattern = "/v1/agencies/{id}", .handler = agencies_get},
    {.method = "PATCH", .pattern = "/v1/agencies/{id}", .handler = agencies_patch},
    {.method = "POST", .pattern = "/v1/agencies/{id}/archive", .handler = agencies_archive},
    {.method = "POST", .pattern = "/v1/agencies/{id}/unarchive", .handler = agencies_unarchive},

    {.method = "GET", .pattern = "/v1/recommendations", .handler = recommendations_list,
     .flags = ROUTE_CSV},
    {.method = "POST", .pattern = "/v1/recommendations", .handler = recommendations_create},
    {.method = "GET", .pattern = "/v1/recommendations/{id}", .handler = recommendations_get},
    {.method = "PATCH", .pattern = "/v1/recommendations/{id}", .handler = recommendations_patch},
    {.method = "PUT", .pattern = "/v1/recommendations/{id}/agencies",
     .handler = recommendations_put_agencies},
    {.method = "GET", .pattern = "/v1/recommendations/{id}/history",
     .handler = recommendations_history, .flags = ROUTE_CSV},
    {.method = "GET", .pattern = "/v1/recommendations/{id}/updates",
     .handler = updates_list_for_recommendation, .flags = ROUTE_CSV},
    {.method = "POST", .pattern = "/v1/recommendations/{id}/updates", .handler = updates_create},

    {.method = "GET", .pattern = "/v1/updates", .handler = updates_feed, .flags = ROUTE_CSV},
    {.method = "GET", .pattern = "/v1/updates/{id}", .handler = updates_get},
    {.method = "POST", .pattern = "/v1/updates/{id}/retract", .handler = updates_retract},

    {.method = "POST", .pattern = "/v1/import", .handler = bundles_import},

    {.method = "GET", .pattern = "/v1/me", .handler = users_me},
    {.method = "GET", .pattern = "/v1/users", .handler = users_list, .flags = ROUTE_CSV},
    {.method = "POST", .pattern = "/v1/users", .handler = users_create},
    {.method = "GET", .pattern = "/v1/users/{id}", .handler = users_get},
    {.method = "PATCH", .pattern = "/v1/users/{id}", .handler = users_patch},
    {.method = "GET", .pattern = "/v1/users/{id}/tokens", .handler = users_tokens_list,
     .flags = ROUTE_CSV},
    {.method = "POST", .pattern = "/v1/users/{id}/tokens", .handler = users_tokens_create,
     .flags = ROUTE_SECRET_ANSWER},
    {.method = "DELETE", .pattern = "/v1/tokens/{id}", .handler = users_tokens_revoke},
    {.method = "GET", .pattern = "/v1/audit", .handler = audit_list, .flags = ROUTE_CSV},

    {.method = "GET", .pattern = "/v1/reports/summary", .handler = reports_summary,
     .flags = ROUTE_CSV},
    {.method = "GET", .pattern = "/v1/reports/agencies", .handler = reports_agencies,
     .flags = ROUTE_CSV},
    {.method = "GET", .pattern = "/v1/reports/overdue", .handler = reports_overdue,
     .flags = ROUTE_CSV},
    {.method = "GET", .pattern = "/v1/reports/timeline", .handler = reports_timeline,
     .flags = ROUTE_CSV},
    {.method = "GET", .pattern = "/v1/reports/activity", .handler = reports_activity,
     .flags = ROUTE_CSV},
    {.method = "GET", .pattern = "/v1/reports/stale", .handler = reports_stale,
     .flags = ROUTE_CSV},
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
    idempotency_register_statements();
    audit_register_statements();
    users_register_statements();
    reports_register_statements();
    resolutions_register_statements();
    sectors_register_statements();
    agencies_register_statements();
    recommendations_register_statements();
    updates_register_statements();
    bundles_register_statements();
}
