#include "auth/auth.h"

#include "api/api.h"
#include "core/log.h"
#include "core/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

static struct db_stmt auth_stmts[] = {
    /* used by auth_authenticate(): the lookup also stamps last_used_at at most once a minute */
    {"auth_lookup",
     "WITH hit AS ("
     " SELECT t.id AS token_id, u.id AS user_id, u.role::text AS role,"
     "        coalesce(u.agency_id::text, '') AS agency_id, u.name"
     " FROM api_tokens t JOIN users u ON u.id = t.user_id"
     " WHERE t.token_hash = sha256(convert_to($1, 'UTF8'))"
     "   AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())"
     "   AND u.active),"
     " touch AS ("
     " UPDATE api_tokens SET last_used_at = now()"
     " WHERE id = (SELECT token_id FROM hit)"
     "   AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute'))"
     " SELECT token_id, user_id, role, agency_id, name FROM hit",
     -1},
};

void auth_register_statements(void)
{
    db_register(auth_stmts, sizeof auth_stmts / sizeof auth_stmts[0]);
}

static const char *const role_names[] = {
    [ROLE_NONE] = "anonymous", [ROLE_AGENCY] = "agency", [ROLE_MONITOR] = "monitor",
    [ROLE_EDITOR] = "editor",  [ROLE_ADMIN] = "admin",
};

enum auth_role auth_role_parse(const char *name)
{
    for (int r = ROLE_AGENCY; r <= ROLE_ADMIN; r++)
        if (strcmp(name, role_names[r]) == 0)
            return (enum auth_role)r;
    return ROLE_NONE;
}

const char *auth_role_name(enum auth_role role)
{
    return (role >= ROLE_NONE && role <= ROLE_ADMIN) ? role_names[role] : "anonymous";
}

bool auth_token_generate(char *out, size_t outlen)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[33];
    if (outlen < AUTH_TOKEN_LEN + 1)
        return false;
    if (getrandom(raw, 32, 0) != 32)
        return false;
    raw[32] = 0;
    size_t o = 0;
    memcpy(out, "trk_", 4);
    o = 4;
    for (size_t i = 0; i < 33 && o < AUTH_TOKEN_LEN; i += 3) {
        unsigned v = (unsigned)raw[i] << 16 | (unsigned)raw[i + 1] << 8 | raw[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        if (o < AUTH_TOKEN_LEN)
            out[o++] = b64[(v >> 6) & 63];
        if (o < AUTH_TOKEN_LEN)
            out[o++] = b64[v & 63];
    }
    out[AUTH_TOKEN_LEN] = '\0';
    return true;
}

/* A token's shape is checked before it reaches the database. */
static bool token_shape_ok(const char *t)
{
    size_t n = strlen(t);
    if (n < 8 || n > 200)
        return false;
    for (size_t i = 0; i < n; i++)
        if (t[i] <= ' ' || t[i] > '~')
            return false;
    return true;
}

static enum app_err unauthorized(struct http_req *req, struct http_res *res, const char *detail)
{
    http_res_header(res, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
    return http_problem(req, res, APP_ERR_UNAUTHORIZED, detail, NULL);
}

enum app_err auth_authenticate(struct http_req *req, struct http_res *res)
{
    free(req->who.name); /* a second try on a fresh connection */
    memset(&req->who, 0, sizeof req->who);
    const char *header = http_req_header(req, "Authorization");
    if (header == NULL)
        return APP_OK;
    if (strncasecmp(header, "Bearer ", 7) != 0)
        return unauthorized(req, res, "the authorization header must be a bearer token");
    const char *token = header + 7;
    while (*token == ' ')
        token++;
    if (!token_shape_ok(token))
        return unauthorized(req, res, "the bearer token is not valid");
    struct db_result *r = NULL;
    const char *params[] = {token};
    enum app_err err = api_exec(req, res, &auth_stmts[0], 1, params, &r);
    if (err != APP_OK)
        return err;
    if (db_result_rows(r) == 0) {
        db_result_free(r);
        return unauthorized(req, res, "the bearer token is unknown, revoked or expired");
    }
    snprintf(req->who.token_id, sizeof req->who.token_id, "%s", db_result_value(r, 0, 0));
    snprintf(req->who.user_id, sizeof req->who.user_id, "%s", db_result_value(r, 0, 1));
    req->who.role = auth_role_parse(db_result_value(r, 0, 2));
    snprintf(req->who.agency_id, sizeof req->who.agency_id, "%s", db_result_value(r, 0, 3));
    /* whole: it is copied as the author of updates and the actor of the audit log */
    req->who.name = xstrdup(db_result_value(r, 0, 4));
    db_result_free(r);
    return APP_OK;
}
