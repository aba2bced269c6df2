/*
 * The request pipeline: route → CORS preflight → query checks → authentication → handler
 * (re-run once when a read lost its database connection) → ETag / 304 → CORS headers.
 */
#include "api/api.h"

#include "api/idempotency.h"
#include "auth/auth.h"
#include "core/app.h"
#include "core/xalloc.h"
#include "http/etag.h"
#include "http/router.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CORS_ALLOW_HEADERS \
    "Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key, X-Request-Id"
#define CORS_EXPOSE_HEADERS "ETag, Link, X-Request-Id, Location, Idempotent-Replayed"

/* Is @a origin in the comma list @a allowed (or is the list "*")? Origins compare without regard
 * to case: their scheme and host are case-insensitive, and they carry nothing else but a port. */
static bool cors_origin_allowed(const char *allowed, const char *origin)
{
    if (allowed == NULL || allowed[0] == '\0' || origin == NULL)
        return false;
    if (strcmp(allowed, "*") == 0)
        return true;
    size_t olen = strlen(origin);
    const char *p = allowed;
    while (*p != '\0') {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len > 0 && p[len - 1] == ' ')
            len--;
        if (len == olen && strncasecmp(p, origin, len) == 0)
            return true;
        p += len;
    }
    return false;
}

static void cors_headers(struct http_req *req, struct http_res *res)
{
    const char *allowed = req->app->cfg.cors_origins;
    const char *origin = http_req_header(req, "Origin");
    /* with a list, the answer depends on Origin even when it carries no CORS header (a cache
       must not give the copy made for another origin, or for none, to an allowed one) */
    if (allowed[0] != '\0' && strcmp(allowed, "*") != 0)
        http_res_header(res, "Vary", "Origin");
    if (!cors_origin_allowed(allowed, origin))
        return;
    http_res_header(res, "Access-Control-Allow-Origin", strcmp(allowed, "*") == 0 ? "*" : origin);
    http_res_header(res, "Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS);
}

static void cors_preflight(struct http_req *req, struct http_res *res, const char *allow)
{
    res->status = 204;
    res->no_etag = true;
    char *methods = xasprintf("%s, OPTIONS", allow);
    http_res_header(res, "Allow", methods);
    if (cors_origin_allowed(req->app->cfg.cors_origins, http_req_header(req, "Origin"))) {
        http_res_header(res, "Access-Control-Allow-Methods", methods);
        http_res_header(res, "Access-Control-Allow-Headers", CORS_ALLOW_HEADERS);
        http_res_header(res, "Access-Control-Max-Age", "600");
    }
    free(methods);
}

static bool is_get(const struct http_req *req)
{
    return strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
}

/* A GET answered 200 gets an ETag; a matching If-None-Match turns it into 304. */
static void apply_etag(struct http_req *req, struct http_res *res)
{
    if (!is_get(req) || res->status != 200 || res->no_etag || res->stream != NULL)
        return;
    if (res->etag == NULL)
        res->etag = etag_for_bytes(res->body ? res->body : "", res->body_len, res->weak_etag);
    if (etag_none_match(http_req_header(req, "If-None-Match"), res->etag)) {
        free(res->body);
        res->body = NULL;
        res->body_len = 0;
        res->status = 304;
        res->content_type = NULL;
    }
}

static void release_db(struct http_req *req)
{
    db_pool_release(req->app->pool, req->db);
    req->db = NULL;
}

/*
 * A body over the limit is never kept, so no answer may claim to have handled it: whatever the
 * handler answered after the checks that come first (401, 403, 404) becomes 413 — a handler that
 * takes no body does not look at it, and one that does saw none.
 */
static void refuse_unread_body(struct http_req *req, struct http_res *res)
{
    unsigned s = res->status;
    if (!req->body_too_large || s == 401 || s == 403 || s == 404 || s == 413)
        return;
    http_res_cleanup(res);
    http_problem(req, res, APP_ERR_TOO_LARGE, "the request body is larger than the limit", NULL);
}

/* Ends the request's transaction: a 4xx keeps only the idempotency record (if any), a 5xx
   nothing. */
static enum app_err finish_write(struct http_req *req, struct http_res *res, const char *key)
{
    enum app_err err = APP_OK;
    if (res->status >= 500 || req->db_lost || res->status == 0) {
        db_rollback(req->db);
        return APP_OK;
    }
    if (res->status >= 400 && key == NULL) {
        /* nothing to keep: the same as rolling back to the savepoint and committing */
        db_rollback(req->db);
        return APP_OK;
    }
    if (res->status >= 400)
        err = api_exec_script(req, res, "ROLLBACK TO SAVEPOINT handler");
    if (err == APP_OK && key != NULL)
        err = idempotency_store(req, res, key);
    if (err == APP_OK) {
        struct http_res failure;
        memset(&failure, 0, sizeof failure);
        err = api_commit_now(req, &failure);
        if (err != APP_OK) {
            /* the outcome is unknown to the client only if the commit itself was lost */
            http_res_cleanup(res);
            *res = failure;
        } else {
            http_res_cleanup(&failure);
        }
    }
    if (err != APP_OK)
        db_rollback(req->db);
    return err;
}

/*
 * A signed-in write runs in one transaction: the handler's statements, the audit record and
 * the Idempotency-Key answer commit together or not at all.
 */
static enum app_err run_write(struct http_req *req, struct http_res *res)
{
    /* a body too large to read cannot be compared later: its 413 is not kept under the key */
    const char *key = strcmp(req->method, "POST") == 0 && !req->body_too_large
                          ? http_req_header(req, "Idempotency-Key")
                          : NULL;
    if (key != NULL && !idempotency_key_valid(key))
        return http_problem_field(req, res, APP_ERR_BAD_REQUEST,
                                  "Idempotency-Key must be 1 to 255 printable ASCII characters",
                                  "Idempotency-Key", "is not a valid key");
    enum app_err err = api_begin(req, res);
    if (err != APP_OK && req->db_lost) {
        /* the pooled connection died while idle (a PostgreSQL restart): BEGIN never reached
           the server, so starting again on a fresh connection cannot apply anything twice */
        release_db(req);
        http_res_cleanup(res);
        req->db_lost = false;
        err = api_begin(req, res);
    }
    if (err != APP_OK)
        return err;
    req->tx_owned = true;
    bool answered = false;
    if (key != NULL)
        err = idempotency_check(req, res, key, &answered);
    /* a 4xx keeps the idempotency record and undoes the rest; without a key it keeps nothing,
       and a rollback needs no savepoint (one round trip fewer) */
    if (err == APP_OK && !answered && key != NULL)
        err = api_exec_script(req, res, "SAVEPOINT handler");
    if (err != APP_OK || answered) {
        db_rollback(req->db);
        return err;
    }
    err = req->route->handler(req, res);
    if (err != APP_OK && res->status == 0)
        http_problem(req, res, err, NULL, NULL);
    refuse_unread_body(req, res); /* before finish_write: a 413 rolls the handler's work back */
    enum app_err end = finish_write(req, res, key);
    return end != APP_OK ? end : err;
}

static bool is_write(const struct http_req *req)
{
    return !is_get(req) && strcmp(req->method, "OPTIONS") != 0;
}

/* Reads the token; its lookup is a read, so a connection found dead is replaced once. */
static enum app_err authenticate(struct http_req *req, struct http_res *res)
{
    if (req->route->flags & ROUTE_NO_AUTH)
        return APP_OK;
    enum app_err err = auth_authenticate(req, res);
    if (err != APP_OK && req->db_lost) {
        release_db(req);
        http_res_cleanup(res);
        req->db_lost = false;
        err = auth_authenticate(req, res);
    }
    return err;
}

static enum app_err run_handler(struct http_req *req, struct http_res *res)
{
    enum app_err err = authenticate(req, res);
    if (err != APP_OK)
        return err;
    if (is_write(req) && req->who.role != ROLE_NONE)
        return run_write(req, res);
    return req->route->handler(req, res);
}

void api_dispatch(struct http_req *req, struct http_res *res, size_t *route_index)
{
    const struct route *routes = req->app->routes;
    const struct route *route = NULL;
    char allow[128];
    enum route_match m = router_match(routes, req->method, req->path, &route, req->params,
                                      &req->nparams, allow, sizeof allow);
    *route_index = req->app->nroutes;
    if (m == ROUTE_NOT_FOUND) {
        http_problem(req, res, APP_ERR_NOT_FOUND, "no such path", NULL);
    } else if (strcmp(req->method, "OPTIONS") == 0) {
        cors_preflight(req, res, allow);
    } else if (m == ROUTE_METHOD_NOT_ALLOWED) {
        http_res_header(res, "Allow", allow);
        http_problem(req, res, APP_ERR_METHOD, "this path does not take this method", NULL);
    } else {
        req->route = route;
        *route_index = router_index(routes, route);
        const char *lang = NULL;
        enum app_err err = is_get(req) ? api_lang(req, res, &lang) : APP_OK;
        if (err == APP_OK) {
            err = run_handler(req, res);
            /* a read that lost its connection is run once more on a fresh one */
            if (err != APP_OK && req->db_lost && !req->wrote && is_get(req) &&
                !(route->flags & ROUTE_NO_RETRY)) {
                release_db(req);
                http_res_cleanup(res);
                req->db_lost = false;
                err = run_handler(req, res);
            }
        }
        release_db(req);
        if (err != APP_OK && res->status == 0)
            http_problem(req, res, err, NULL, NULL);
        if (err == APP_OK && res->status == 0)
            http_problem(req, res, APP_ERR_INTERNAL, "the handler gave no answer", NULL);
        refuse_unread_body(req, res);
        apply_etag(req, res);
    }
    if (res->status == 401 && http_res_header_get(res, "WWW-Authenticate") == NULL)
        http_res_header(res, "WWW-Authenticate", "Bearer");
    cors_headers(req, res);
}
