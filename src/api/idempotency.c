#include "api/idempotency.h"

#include "core/xalloc.h"
#include "http/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct db_stmt idempotency_stmts[] = {
    /* used by idempotency_check(): false while another transaction holds the key */
    {"idempotency_lock",
     "SELECT pg_try_advisory_xact_lock(hashtextextended($1::text || ':' || $2, 7271))", -1},
    /* used by idempotency_check() */
    {"idempotency_find",
     "SELECT method = $3 AND path = $4 AND body_hash = sha256(decode($5, 'hex')),"
     "       status, content_type, location, etag,"
     "       coalesce(body, pgp_sym_decrypt(sealed, $6 || ':' || key))"
     " FROM idempotency_keys"
     " WHERE token_id = $1 AND key = $2 AND created_at > now() - interval '24 hours'",
     -1},
    /* used by idempotency_store(): replaces an expired record of the same key */
    {"idempotency_insert",
     "WITH expired AS (DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours'"
     "                 AND ctid = ANY (ARRAY(SELECT ctid FROM idempotency_keys"
     "                   WHERE created_at < now() - interval '24 hours' LIMIT 100)))"
     " INSERT INTO idempotency_keys (token_id, key, method, path, body_hash, status,"
     "   content_type, location, etag, body, sealed)"
     " VALUES ($1, $2, $3, $4, sha256(decode($5, 'hex')), $6::int, $7, $8, $9,"
     "  CASE WHEN $11::text IS NULL THEN $10 END,"
     "  CASE WHEN $11::text IS NOT NULL"
     "   THEN pgp_sym_encrypt($10, $11 || ':' || $2, 'cipher-algo=aes256, s2k-mode=1') END)"
     " ON CONFLICT (token_id, key) DO UPDATE SET method = EXCLUDED.method, path = EXCLUDED.path,"
     "   body_hash = EXCLUDED.body_hash, status = EXCLUDED.status,"
     "   content_type = EXCLUDED.content_type, location = EXCLUDED.location,"
     "   etag = EXCLUDED.etag, body = EXCLUDED.body, sealed = EXCLUDED.sealed, created_at = now()",
     -1},
};

enum { STMT_LOCK, STMT_FIND, STMT_INSERT };

void idempotency_register_statements(void)
{
    db_register(idempotency_stmts, sizeof idempotency_stmts / sizeof idempotency_stmts[0]);
}

bool idempotency_key_valid(const char *key)
{
    size_t n = strlen(key);
    if (n < 1 || n > 255)
        return false;
    for (size_t i = 0; i < n; i++)
        if (key[i] < 0x20 || key[i] > 0x7e)
            return false;
    return true;
}

/* The caller's raw bearer token (borrowed): the key that seals answers holding secrets. */
static const char *bearer_secret(const struct http_req *req)
{
    const char *header = http_req_header(req, "Authorization");
    if (header == NULL || strlen(header) < 8)
        return "";
    header += 7;
    while (*header == ' ')
        header++;
    return header;
}

/* @return the body as a new hex string (the fingerprint is computed by PostgreSQL). */
static char *body_hex(const struct http_req *req)
{
    static const char digits[] = "0123456789abcdef";
    char *hex = xmalloc(req->body_len * 2 + 1);
    for (size_t i = 0; i < req->body_len; i++) {
        hex[2 * i] = digits[(unsigned char)req->body[i] >> 4];
        hex[2 * i + 1] = digits[(unsigned char)req->body[i] & 15];
    }
    hex[req->body_len * 2] = '\0';
    return hex;
}

static void replay(struct http_res *res, struct db_result *r)
{
    static const char *const types[] = {"application/json", "application/problem+json"};
    const char *stored_type = db_result_value(r, 0, 2);
    const char *type = strcmp(stored_type, types[1]) == 0 ? types[1] : types[0];
    unsigned status = (unsigned)strtoul(db_result_value(r, 0, 1), NULL, 10);
    http_res_body(res, status, type, db_result_value(r, 0, 5), db_result_length(r, 0, 5));
    if (!db_result_is_null(r, 0, 3))
        http_res_header(res, "Location", db_result_value(r, 0, 3));
    if (!db_result_is_null(r, 0, 4))
        res->etag = xstrdup(db_result_value(r, 0, 4));
    res->no_etag = db_result_is_null(r, 0, 4);
    http_res_header(res, "Idempotent-Replayed", "true");
}

enum app_err idempotency_check(struct http_req *req, struct http_res *res, const char *key,
                               bool *answered)
{
    *answered = false;
    struct db_result *r = NULL;
    const char *lock_params[] = {req->who.token_id, key};
    enum app_err err = api_exec(req, res, &idempotency_stmts[STMT_LOCK], 2, lock_params, &r);
    if (err != APP_OK)
        return err;
    bool locked = strcmp(db_result_value(r, 0, 0), "t") == 0;
    db_result_free(r);
    if (!locked) {
        *answered = true;
        http_problem(req, res, APP_ERR_CONFLICT,
                     "a request with this Idempotency-Key is still in progress", NULL);
        http_res_header(res, "Retry-After", "1"); /* its answer is then replayed */
        return APP_ERR_CONFLICT;
    }
    char *hex = body_hex(req);
    const char *params[] = {req->who.token_id, key, req->method, req->path, hex,
                            bearer_secret(req)};
    err = api_exec(req, res, &idempotency_stmts[STMT_FIND], 6, params, &r);
    free(hex);
    if (err != APP_OK)
        return err;
    if (db_result_rows(r) == 1) {
        *answered = true;
        if (strcmp(db_result_value(r, 0, 0), "t") == 0)
            replay(res, r);
        else
            http_problem(req, res, APP_ERR_UNPROCESSABLE,
                         "this Idempotency-Key was used for a different request", NULL);
    }
    db_result_free(r);
    return APP_OK;
}

enum app_err idempotency_store(struct http_req *req, struct http_res *res, const char *key)
{
    char status[8];
    snprintf(status, sizeof status, "%u", res->status);
    char *hex = body_hex(req);
    const char *params[] = {req->who.token_id,
                            key,
                            req->method,
                            req->path,
                            hex,
                            status,
                            res->content_type,
                            http_res_header_get(res, "Location"),
                            res->no_etag ? NULL : res->etag,
                            res->body ? res->body : "",
                            (req->route->flags & ROUTE_SECRET_ANSWER) ? bearer_secret(req) : NULL};
    struct db_result *r = NULL;
    struct http_res scratch;
    memset(&scratch, 0, sizeof scratch);
    enum app_err err = api_exec(req, &scratch, &idempotency_stmts[STMT_INSERT], 11, params, &r);
    free(hex);
    db_result_free(r);
    if (err != APP_OK) {
        /* the write is rolled back with it: answer the failure instead */
        http_res_cleanup(res);
        *res = scratch;
        return err;
    }
    http_res_cleanup(&scratch);
    return APP_OK;
}
