/*
 * Users and tokens (admin), and /v1/me.
 *
 * A token's secret exists in this process only while the creating request runs: it is made by
 * auth_token_generate(), handed to PostgreSQL once as a bound parameter (which stores its
 * SHA-256 and first 8 characters) and returned in the 201 body. It never reaches a log line,
 * an error body or the audit trail (token_audit_json has no secret and no hash).
 */
#include "api/users.h"

#include "api/audit.h"
#include "api/csv.h"
#include "api/cursor.h"
#include "api/writes.h"
#include "auth/auth.h"
#include "json/jsonx.h"

#include "core/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USERS_EMAIL_MAX 254 /* RFC 5321: the longest usable address */

static const char *const user_roles[] = {"agency", "monitor", "editor", "admin", NULL};

static const struct jsonx_field user_fields[] = {
    {.name = "name", .type = JX_STRING, .flags = JX_REQUIRED, .max = JSONX_MAX_SHORT},
    {.name = "email", .type = JX_STRING, .flags = JX_NULLABLE, .max = USERS_EMAIL_MAX},
    {.name = "role", .type = JX_ENUM, .flags = JX_REQUIRED, .values = user_roles},
    {.name = "agency_id", .type = JX_REF, .flags = JX_NULLABLE},
    {.name = "active", .type = JX_BOOL},
    {.name = "id", .type = JX_STRING, .flags = JX_READONLY},
    {.name = "created_at", .type = JX_STRING, .flags = JX_READONLY},
    {.name = "updated_at", .type = JX_STRING, .flags = JX_READONLY},
    {.name = "version", .type = JX_INT, .flags = JX_READONLY},
    {.name = NULL},
};

static const struct jsonx_field token_fields[] = {
    {.name = "name", .type = JX_STRING, .flags = JX_REQUIRED, .max = JSONX_MAX_SHORT},
    {.name = "expires_at", .type = JX_TIMESTAMP, .flags = JX_NULLABLE},
    {.name = "id", .type = JX_STRING, .flags = JX_READONLY},
    {.name = "token", .type = JX_STRING, .flags = JX_READONLY},
    {.name = "prefix", .type = JX_STRING, .flags = JX_READONLY},
    {.name = "created_at", .type = JX_STRING, .flags = JX_READONLY},
    {.name = "last_used_at", .type = JX_STRING, .flags = JX_READONLY},
    {.name = NULL},
};

/* a member of a PATCH: b is the validated body as jsonb, u the row before */
#define USER_SET(m, col) "CASE WHEN b ? '" m "' THEN " col " ELSE u." m " END"

/* a keyset page of rows `x` of `page` (ordered, limit $n + 1) as {items, next_cursor} */
#define USERS_PAGE(limit, item, key)                                                           \
    " numbered AS (SELECT x, row_number() OVER () AS n FROM page),"                            \
    " shown AS (SELECT x, n FROM numbered WHERE n <= " limit "::int),"                         \
    " next AS (SELECT cursor_encode(" key ") AS c FROM shown WHERE n = " limit "::int"         \
    "          AND EXISTS (SELECT 1 FROM numbered WHERE n > " limit "::int))"                  \
    " SELECT json_build_object('items', coalesce((SELECT json_agg(" item " ORDER BY n)"        \
    "                                              FROM shown), '[]'),"                        \
    "                          'next_cursor', (SELECT c FROM next))::text, (SELECT c FROM next)"

static struct db_stmt users_stmts[] = {
    /* used by users_find() */
    {"users_find", "SELECT id, role::text, agency_id IS NOT NULL FROM users WHERE id = $1", -1},
    /* used by users_get() */
    {"users_get", "SELECT user_json(u)::text, u.version FROM users u WHERE u.id = $1", -1},
    /* used by users_list(): $1 limit, $2 $3 cursor (created_at, id) */
    {"users_list",
     "WITH page AS ("
     " SELECT x FROM users x"
     " WHERE $2::timestamptz IS NULL OR (x.created_at, x.id) > ($2::timestamptz, $3::uuid)"
     " ORDER BY x.created_at, x.id LIMIT $1::int + 1),"
     USERS_PAGE("$1", "user_json(x)", "jsonb_build_array(ts_text((x).created_at), (x).id)"),
     -1},
    /* used by users_list() for CSV: every user, oldest first (sorted in the subquery, so each
     * line is built as it streams out) */
    {"users_csv",
     "SELECT user_csv(s.x) FROM (SELECT x FROM users x ORDER BY x.created_at, x.id) s", -1},
    /* used by users_agency_resolve(): an agency by id or slug */
    {"users_agency_find", "SELECT id FROM agencies WHERE id = $1::uuid OR slug = $2", -1},
    /* used by users_create(): $1 body, $2 the resolved agency id */
    {"users_insert",
     "INSERT INTO users AS u (id, name, email, role, agency_id, active)"
     " SELECT gen_random_uuid(), b->>'name', b->>'email', (b->>'role')::user_role, $2::uuid,"
     "  coalesce((b->>'active')::boolean, true)"
     " FROM (SELECT $1::jsonb AS b) x"
     " RETURNING user_json(u)::text, u.version, u.id",
     -1},
    /* used by users_patch(): $1 id, $2 body, $3 the If-Match versions (0 = any), $4 agency id */
    {"users_update",
     "WITH before AS (SELECT user_json(u)::text AS j FROM users u"
     "                WHERE u.id = $1 FOR UPDATE)"
     " UPDATE users u SET"
     " name = " USER_SET("name", "b->>'name'") ","
     " email = " USER_SET("email", "b->>'email'") ","
     " role = " USER_SET("role", "(b->>'role')::user_role") ","
     " agency_id = " USER_SET("agency_id", "$4::uuid") ","
     " active = " USER_SET("active", "(b->>'active')::boolean") ","
     " version = u.version + 1, updated_at = now()"
     " FROM (SELECT $2::jsonb AS b) x, before" /* read (and locked) before the update */
     " WHERE u.id = $1 AND " WRITES_VERSION_MATCHES("u")
     " RETURNING user_json(u)::text, u.version, before.j",
     -1},
    /* used by users_me() */
    {"users_me",
     "SELECT json_build_object('user', user_json(u), 'token', token_json(t))::text"
     " FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1",
     -1},
    /* used by users_tokens_create(): expires_at must lie in the future */
    {"users_token_expiry_ok", "SELECT token_expiry_ok($1)", -1},
    /* used by users_tokens_create(): $1 user, $2 body, $3 the secret (stored only hashed) */
    {"users_token_insert",
     "INSERT INTO api_tokens AS t (id, user_id, name, token_hash, prefix, expires_at)"
     " SELECT gen_random_uuid(), $1, b->>'name', sha256(convert_to($3, 'UTF8')), left($3, 8),"
     "  (b->>'expires_at')::timestamptz"
     " FROM (SELECT $2::jsonb AS b) x"
     " RETURNING json_build_object('id', t.id, 'name', t.name, 'token', $3::text,"
     "   'prefix', t.prefix, 'created_at', ts_text(t.created_at),"
     "   'expires_at', ts_text(t.expires_at))::text,"
     "  token_audit_json(t)::text, t.id",
     -1},
    /* used by users_tokens_list(): $1 user, $2 limit, $3 $4 cursor (created_at, id) */
    {"users_tokens_list",
     "WITH page AS ("
     " SELECT x FROM api_tokens x"
     " WHERE x.user_id = $1 AND x.revoked_at IS NULL"
     "   AND ($3::timestamptz IS NULL OR (x.created_at, x.id) < ($3::timestamptz, $4::uuid))"
     " ORDER BY x.created_at DESC, x.id DESC LIMIT $2::int + 1),"
     USERS_PAGE("$2", "token_json(x)", "jsonb_build_array(ts_text((x).created_at), (x).id)"),
     -1},
    /* used by users_tokens_list() for CSV: every live token of user $1, newest first */
    {"users_tokens_csv",
     "SELECT token_csv(s.x) FROM (SELECT x FROM api_tokens x"
     " WHERE x.user_id = $1 AND x.revoked_at IS NULL ORDER BY x.created_at DESC, x.id DESC) s",
     -1},
    /* used by users_tokens_revoke(): whose token it is */
    {"users_token_owner", "SELECT user_id FROM api_tokens WHERE id = $1", -1},
    /* used by users_tokens_revoke(): no row when it was already revoked (nothing to audit) */
    {"users_token_revoke",
     "WITH before AS (SELECT token_audit_json(t)::text AS j FROM api_tokens t WHERE t.id = $1)"
     " UPDATE api_tokens t SET revoked_at = now()"
     " WHERE t.id = $1 AND t.revoked_at IS NULL"
     " RETURNING token_audit_json(t)::text, (SELECT j FROM before)",
     -1},
};

enum {
    STMT_FIND,
    STMT_GET,
    STMT_LIST,
    STMT_CSV,
    STMT_AGENCY_FIND,
    STMT_INSERT,
    STMT_UPDATE,
    STMT_ME,
    STMT_EXPIRY_OK,
    STMT_TOKEN_INSERT,
    STMT_TOKENS_LIST,
    STMT_TOKENS_CSV,
    STMT_TOKEN_OWNER,
    STMT_TOKEN_REVOKE,
};

/* the members of user_json and token_json, in order */
#define USER_CSV_HEADER                                                                        \
    "id,name,email,role,agency_id,active,created_at,updated_at,version\r\n"
#define TOKEN_CSV_HEADER "id,name,prefix,created_at,expires_at,last_used_at\r\n"

void users_register_statements(void)
{
    db_register(users_stmts, sizeof users_stmts / sizeof users_stmts[0]);
}

/* ------------------------------------------------------------------ helpers */

/* What PATCH needs to know of the user before the change. */
struct users_row {
    char id[37];
    bool is_agency;  /* role is agency */
    bool has_agency; /* agency_id is set */
};

/* Finds the user of path id @a ref: a malformed or unknown id is 404. */
static enum app_err users_find(struct http_req *req, struct http_res *res, const char *ref,
                               struct users_row *row)
{
    if (ref == NULL || !jsonx_is_uuid(ref))
        return http_problem(req, res, APP_ERR_NOT_FOUND, "no such user", NULL);
    const char *params[] = {ref};
    struct db_result *r = NULL;
    enum app_err err = api_exec(req, res, &users_stmts[STMT_FIND], 1, params, &r);
    if (err != APP_OK)
        return err;
    if (db_result_rows(r) == 0) {
        err = http_problem(req, res, APP_ERR_NOT_FOUND, "no such user", NULL);
    } else {
        snprintf(row->id, sizeof row->id, "%s", db_result_value(r, 0, 0));
        row->is_agency = strcmp(db_result_value(r, 0, 1), "agency") == 0;
        row->has_agency = strcmp(db_result_value(r, 0, 2), "t") == 0;
    }
    db_result_free(r);
    return err;
}

/*
 * A plausible mailbox: local@domain, the domain with a dot, no spaces, controls or the
 * characters that make an address ambiguous in a header. (Deliverability is not our business.)
 */
static bool users_email_ok(const char *s)
{
    const char *at = strchr(s, '@');
    if (at == NULL || at == s || strchr(at + 1, '@') != NULL || at - s > 64)
        return false;
    const char *domain = at + 1;
    size_t n = strlen(domain);
    if (n < 3 || domain[0] == '.' || domain[n - 1] == '.' || strchr(domain, '.') == NULL ||
        strstr(domain, "..") != NULL)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == 0x7f || strchr("\"(),:;<>[\\]", *p) != NULL)
            return false;
    return true;
}

/*
 * Resolves the body's agency_id (an id or a slug) to an id; a missing agency is a body problem
 * (400 naming /agency_id), collected into @a errors.
 * @param[out] id the agency id, "" when the member is absent or null
 */
static enum app_err users_agency_resolve(struct http_req *req, struct http_res *res,
                                         json_t *body, char *id, json_t *errors)
{
    id[0] = '\0';
    json_t *v = json_object_get(body, "agency_id");
    if (!json_is_string(v))
        return APP_OK;
    const char *by_id, *by_slug;
    if (!api_ref_split(json_string_value(v), &by_id, &by_slug)) {
        jsonx_error(errors, "", "agency_id", "no agency has this id or slug");
        return APP_OK;
    }
    const char *params[] = {by_id, by_slug};
    struct db_result *r = NULL;
    enum app_err err = api_exec(req, res, &users_stmts[STMT_AGENCY_FIND], 2, params, &r);
    if (err != APP_OK)
        return err;
    if (db_result_rows(r) == 0)
        jsonx_error(errors, "", "agency_id", "no agency has this id or slug");
    else
        snprintf(id, 37, "%s", db_result_value(r, 0, 0));
    db_result_free(r);
    return APP_OK;
}

/*
 * The rules beyond member types: a plausible e-mail, and agency_id set exactly when the role
 * is agency after the write. @a before is the row for a PATCH, NULL for a create.
 */
static void users_rules(json_t *body, const struct users_row *before, json_t *errors)
{
    json_t *email = json_object_get(body, "email");
    if (json_is_string(email) && !users_email_ok(json_string_value(email)))
        jsonx_error(errors, "", "email", "must be an e-mail address such as name@example.org");
    json_t *role = json_object_get(body, "role");
    bool is_agency = role != NULL ? strcmp(json_string_value(role), "agency") == 0
                                  : (before != NULL && before->is_agency);
    json_t *agency = json_object_get(body, "agency_id");
    bool has_agency = agency != NULL ? !json_is_null(agency)
                                     : (before != NULL && before->has_agency);
    if (is_agency && !has_agency)
        jsonx_error(errors, "", "agency_id", "is required when role is agency");
    else if (!is_agency && has_agency)
        jsonx_error(errors, "", "agency_id", "must be null unless role is agency");
}

/*
 * Validates a user body: member types, then the rules, then the agency reference.
 * @param[out] agency_id the resolved agency ("" when none)
 */
static enum app_err users_validate(struct http_req *req, struct http_res *res, json_t *body,
                                   const struct users_row *before, char *agency_id)
{
    json_t *errors = json_array();
    jsonx_validate(body, user_fields, before != NULL, "", errors);
    enum app_err err = APP_OK;
    agency_id[0] = '\0';
    if (json_array_size(errors) == 0)
        users_rules(body, before, errors);
    if (json_array_size(errors) == 0)
        err = users_agency_resolve(req, res, body, agency_id, errors);
    if (err != APP_OK) {
        json_decref(errors);
        return err;
    }
    return api_fields_ok(req, res, errors);
}

/* 409 for an e-mail address another user has; other errors pass through unchanged. */
static enum app_err users_email_conflict(struct http_req *req, struct http_res *res,
                                         enum app_err err)
{
    if (err != APP_ERR_CONFLICT)
        return err;
    return http_problem_field(req, res, APP_ERR_CONFLICT, "another user has this e-mail address",
                              "/email", "is taken");
}

/* Users and tokens have no localized text, but any GET accepts ?lang: an invalid tag is 400. */
static enum app_err users_lang_ok(struct http_req *req, struct http_res *res)
{
    const char *lang;
    return api_lang(req, res, &lang);
}

/* Reads limit and cursor (created_at, id) of a list; @a limit_text gets the limit. */
static enum app_err users_page(struct http_req *req, struct http_res *res, char *limit_text,
                               size_t len, char **key)
{
    int limit;
    const char *cursor;
    enum app_err err = api_page_params(req, res, &limit, &cursor);
    if (err == APP_OK)
        err = api_cursor(req, res, cursor, "tu", key);
    snprintf(limit_text, len, "%d", limit);
    return err;
}

/* ------------------------------------------------------------------ /v1/me */

enum app_err users_me(struct http_req *req, struct http_res *res)
{
    enum app_err err = api_require_token(req, res);
    if (err != APP_OK)
        return err;
    http_res_header(res, "Vary", "Authorization"); /* the answer is the token's own */
    const char *params[] = {req->who.token_id};
    return api_reply_query(req, res, &users_stmts[STMT_ME], 1, params, -1,
                           "no such token");
}

/* ------------------------------------------------------------------ users */

enum app_err users_list(struct http_req *req, struct http_res *res)
{
    char limit_text[8];
    char *key[2] = {NULL, NULL};
    bool csv = false;
    enum app_err err = api_require_role(req, res, ROLE_ADMIN);
    if (err == APP_OK)
        err = csv_wanted(req, res, &csv);
    if (err == APP_OK)
        err = users_lang_ok(req, res);
    if (err == APP_OK && csv) /* every user: limit and cursor do not apply */
        return csv_stream(req, res, USER_CSV_HEADER, &users_stmts[STMT_CSV], 0, NULL);
    if (err == APP_OK)
        err = users_page(req, res, limit_text, sizeof limit_text, key);
    if (err != APP_OK)
        goto out;
    const char *params[] = {limit_text, key[0], key[1]};
    err = api_reply_page(req, res, &users_stmts[STMT_LIST], 3, params);
out:
    cursor_parts_free("tu", key);
    return err;
}

enum app_err users_get(struct http_req *req, struct http_res *res)
{
    struct users_row row;
    enum app_err err = api_require_token(req, res);
    if (err == APP_OK)
        err = users_find(req, res, req->params[0], &row);
    if (err == APP_OK)
        err = api_require_role(req, res, ROLE_ADMIN);
    if (err != APP_OK)
        return err;
    const char *params[] = {row.id};
    return api_reply_query(req, res, &users_stmts[STMT_GET], 1, params, 1,
                           "no such user");
}

enum app_err users_create(struct http_req *req, struct http_res *res)
{
    json_t *body = NULL;
    char agency_id[37];
    enum app_err err = api_require_role(req, res, ROLE_ADMIN);
    if (err == APP_OK)
        err = api_body_object(req, res, &body);
    if (err == APP_OK)
        err = users_validate(req, res, body, NULL, agency_id);
    if (err == APP_OK) {
        char *text = api_json_text(body);
        const char *params[] = {text, agency_id[0] ? agency_id : NULL};
        const struct write_create w = {&users_stmts[STMT_INSERT], "user", "/v1/users",
                                       users_email_conflict};
        err = writes_create(req, res, &w, 2, params);
        free(text);
    }
    json_decref(body);
    return err;
}

enum app_err users_patch(struct http_req *req, struct http_res *res)
{
    struct users_row row;
    json_t *body = NULL;
    char agency_id[37];
    enum app_err err = api_require_token(req, res);
    if (err == APP_OK)
        err = users_find(req, res, req->params[0], &row);
    if (err == APP_OK)
        err = api_require_role(req, res, ROLE_ADMIN);
    if (err == APP_OK)
        err = api_body_object(req, res, &body);
    if (err == APP_OK)
        err = users_validate(req, res, body, &row, agency_id);
    if (err == APP_OK) {
        const struct write_patch w = {&users_stmts[STMT_UPDATE], "user", row.id, 4,
                                      agency_id[0] ? agency_id : NULL, users_email_conflict};
        err = writes_patch(req, res, body, &w);
    }
    json_decref(body);
    return err;
}

/* ------------------------------------------------------------------ tokens */

/* Validates a token body; expires_at must lie in the future (checked by PostgreSQL's clock). */
static enum app_err users_token_validate(struct http_req *req, struct http_res *res,
                                         json_t *body)
{
    json_t *errors = json_array();
    jsonx_validate(body, token_fields, false, "", errors);
    json_t *expires = json_object_get(body, "expires_at");
    if (json_array_size(errors) == 0 && json_is_string(expires)) {
        const char *params[] = {json_string_value(expires)};
        struct db_result *r = NULL;
        enum app_err err = api_exec(req, res, &users_stmts[STMT_EXPIRY_OK], 1, params, &r);
        if (err != APP_OK) {
            json_decref(errors);
            return err;
        }
        if (strcmp(db_result_value(r, 0, 0), "t") != 0)
            jsonx_error(errors, "", "expires_at", "must lie in the future");
        db_result_free(r);
    }
    return api_fields_ok(req, res, errors);
}

enum app_err users_tokens_create(struct http_req *req, struct http_res *res)
{
    struct users_row row;
    json_t *body = NULL;
    struct db_result *r = NULL;
    char *text = NULL;
    char secret[AUTH_TOKEN_LEN + 1] = "";
    enum app_err err = api_require_token(req, res);
    if (err == APP_OK)
        err = users_find(req, res, req->params[0], &row);
    if (err == APP_OK)
        err = api_require_role(req, res, ROLE_ADMIN);
    if (err == APP_OK)
        err = api_body_object(req, res, &body);
    if (err == APP_OK)
        err = users_token_validate(req, res, body);
    if (err != APP_OK)
        goto out;
    if (!auth_token_generate(secret, sizeof secret)) {
        err = http_problem(req, res, APP_ERR_UNAVAILABLE,
                           "no random bytes are available for a token; retry later", NULL);
        goto out;
    }
    text = api_json_text(body);
    const char *params[] = {row.id, text, secret};
    err = api_exec(req, res, &users_stmts[STMT_TOKEN_INSERT], 3, params, &r);
    if (err != APP_OK)
        goto out;
    err = audit_record(req, res, "create_token", "token", db_result_value(r, 0, 2), NULL,
                       db_result_value(r, 0, 1));
    if (err != APP_OK)
        goto out;
    err = api_reply_row(req, res, 201, r, -1, "no such token");
    res->no_etag = true; /* the body holds a secret shown once: nothing to revalidate */
    char *location = xasprintf("/v1/users/%s/tokens", row.id);
    http_res_header(res, "Location", location);
    free(location);
out:
    explicit_bzero(secret, sizeof secret);
    db_result_free(r);
    free(text);
    json_decref(body);
    return err;
}

enum app_err users_tokens_list(struct http_req *req, struct http_res *res)
{
    struct users_row row;
    char limit_text[8];
    char *key[2] = {NULL, NULL};
    bool csv = false;
    enum app_err err = api_require_token(req, res);
    if (err == APP_OK)
        err = users_find(req, res, req->params[0], &row);
    if (err == APP_OK)
        err = api_require_role(req, res, ROLE_ADMIN);
    if (err == APP_OK)
        err = csv_wanted(req, res, &csv);
    if (err == APP_OK)
        err = users_lang_ok(req, res);
    if (err == APP_OK && csv) { /* every live token: limit and cursor do not apply */
        const char *id_param[] = {row.id};
        return csv_stream(req, res, TOKEN_CSV_HEADER, &users_stmts[STMT_TOKENS_CSV], 1, id_param);
    }
    if (err == APP_OK)
        err = users_page(req, res, limit_text, sizeof limit_text, key);
    if (err != APP_OK)
        goto out;
    const char *params[] = {row.id, limit_text, key[0], key[1]};
    err = api_reply_page(req, res, &users_stmts[STMT_TOKENS_LIST], 4, params);
out:
    cursor_parts_free("tu", key);
    return err;
}

/*
 * An admin may revoke any token, anyone else only their own: another user's token is answered
 * 404 as an unknown one, so that token ids cannot be probed.
 */
static enum app_err users_token_find(struct http_req *req, struct http_res *res, const char *ref)
{
    if (ref == NULL || !jsonx_is_uuid(ref))
        return http_problem(req, res, APP_ERR_NOT_FOUND, "no such token", NULL);
    const char *params[] = {ref};
    struct db_result *r = NULL;
    enum app_err err = api_exec(req, res, &users_stmts[STMT_TOKEN_OWNER], 1, params, &r);
    if (err != APP_OK)
        return err;
    if (db_result_rows(r) == 0 ||
        (req->who.role != ROLE_ADMIN && strcmp(db_result_value(r, 0, 0), req->who.user_id) != 0))
        err = http_problem(req, res, APP_ERR_NOT_FOUND, "no such token", NULL);
    db_result_free(r);
    return err;
}

enum app_err users_tokens_revoke(struct http_req *req, struct http_res *res)
{
    enum app_err err = api_require_token(req, res);
    if (err == APP_OK)
        err = users_token_find(req, res, req->params[0]);
    if (err == APP_OK)
        err = api_body_none(req, res);
    if (err != APP_OK)
        return err;
    const char *params[] = {req->params[0]};
    struct db_result *r = NULL;
    err = api_exec(req, res, &users_stmts[STMT_TOKEN_REVOKE], 1, params, &r);
    /* revoking an already revoked token changes nothing and is not audited */
    if (err == APP_OK && db_result_rows(r) == 1)
        err = audit_record(req, res, "revoke", "token", req->params[0], db_result_value(r, 0, 1),
                           db_result_value(r, 0, 0));
    if (err == APP_OK) {
        res->status = 204;
        res->no_etag = true;
    }
    db_result_free(r);
    return err;
}
