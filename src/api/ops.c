/* Operations endpoints: /healthz, /readyz, /metrics, /openapi.yaml. */
#include "api/ops.h"

#include "core/app.h"
#include "core/xalloc.h"
#include "http/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct db_stmt ops_stmts[] = {
    /* used by ops_readyz() */
    {"ops_schema_version", "SELECT coalesce(max(version), '') FROM schema_migrations", -1},
};

void ops_register_statements(void)
{
    db_register(ops_stmts, sizeof ops_stmts / sizeof ops_stmts[0]);
}

enum app_err ops_healthz(struct http_req *req, struct http_res *res)
{
    (void)req;
    http_res_json_new(res, 200, json_pack("{s:s}", "status", "ok"));
    return APP_OK;
}

enum app_err ops_readyz(struct http_req *req, struct http_res *res)
{
    if (atomic_load(&req->app->draining))
        return http_problem(req, res, APP_ERR_UNAVAILABLE, "the service is shutting down", NULL);
    if (api_db(req, res) == NULL)
        return APP_ERR_UNAVAILABLE;
    struct db_result *r = NULL;
    enum db_status st = db_exec(req->db, &ops_stmts[0], 0, NULL, &r);
    if (st == DB_CONN_LOST || st == DB_TIMEOUT)
        return http_problem(req, res, APP_ERR_UNAVAILABLE, "the database is unavailable", NULL);
    if (st != DB_OK)
        return http_problem(req, res, APP_ERR_UNAVAILABLE, "the database schema is not migrated",
                            NULL);
    char version[16];
    snprintf(version, sizeof version, "%s", db_result_value(r, 0, 0));
    db_result_free(r);
    if (strcmp(version, req->app->latest_migration) < 0) {
        char detail[120];
        snprintf(detail, sizeof detail, "the database schema is at %s, the service needs %s",
                 version[0] ? version : "nothing", req->app->latest_migration);
        return http_problem(req, res, APP_ERR_UNAVAILABLE, detail, NULL);
    }
    http_res_json_new(res, 200,
                      json_pack("{s:s, s:s, s:s}", "status", "ready", "database", "ok",
                                "schema_version", version));
    return APP_OK;
}

enum app_err ops_metrics(struct http_req *req, struct http_res *res)
{
    struct db_stats s;
    db_pool_stats(req->app->pool, &s);
    char *extra = xasprintf(
        "# HELP tracker_db_connects_total Database connections opened.\n"
        "# TYPE tracker_db_connects_total counter\ntracker_db_connects_total %lu\n"
        "# HELP tracker_db_reconnects_total Database connections re-opened after a failure.\n"
        "# TYPE tracker_db_reconnects_total counter\ntracker_db_reconnects_total %lu\n"
        "# HELP tracker_db_errors_total Statements that ended in an SQL error.\n"
        "# TYPE tracker_db_errors_total counter\ntracker_db_errors_total %lu\n"
        "# HELP tracker_db_timeouts_total Calls cancelled by the client-side deadline.\n"
        "# TYPE tracker_db_timeouts_total counter\ntracker_db_timeouts_total %lu\n"
        "# HELP tracker_db_connection_lost_total Calls that found the connection broken.\n"
        "# TYPE tracker_db_connection_lost_total counter\ntracker_db_connection_lost_total %lu\n"
        "# HELP tracker_db_pool_wait_timeouts_total Requests that found no free connection.\n"
        "# TYPE tracker_db_pool_wait_timeouts_total counter\n"
        "tracker_db_pool_wait_timeouts_total %lu\n",
        s.connects, s.reconnects, s.errors, s.timeouts, s.conn_lost, s.wait_timeouts);
    char *text = metrics_render(req->app->metrics, req->app->routes, extra);
    free(extra);
    http_res_body_take(res, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
    return APP_OK;
}

enum app_err ops_openapi(struct http_req *req, struct http_res *res)
{
    if (req->app->openapi == NULL)
        return http_problem(req, res, APP_ERR_NOT_FOUND, "the OpenAPI document is not installed",
                            NULL);
    http_res_body(res, 200, "application/yaml", req->app->openapi, req->app->openapi_len);
    return APP_OK;
}
