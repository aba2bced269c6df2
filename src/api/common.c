#include "api/api.h"

#include "core/app.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "api/cursor.h"
#include "http/etag.h"
#include "json/jsonx.h"
#include "json/parse_error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_read(const struct http_req *req)
{
    return strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
}

struct db_conn *api_db(struct http_req *req, struct http_res *res)
{
    if (req->db == NULL)
        req->db = db_pool_acquire(req->app->pool, !is_read(req));
    if (req->db == NULL)
        http_problem(req, res, APP_ERR_UNAVAILABLE, "no database connection is free; retry later",
                     NULL);
    return req->db;
}

static bool sqlstate_is(const char *state, const char *prefix)
{
    return strncmp(state, prefix, strlen(prefix)) == 0;
}

/* Maps a PostgreSQL error to a problem; logs what the client must not see. */
static enum app_err api_db_error(struct http_req *req, struct http_res *res, const char *stmt)
{
    struct db_conn *c = req->db;
    const char *state = db_conn_sqlstate(c);
    if (strcmp(state, "23505") == 0)
        return http_problem(req, res, APP_ERR_CONFLICT, "a resource with this key already exists",
                            NULL);
    if (strcmp(state, "23503") == 0)
        return http_problem(req, res, APP_ERR_INVALID, "a referenced resource does not exist",
                            NULL);
    if (sqlstate_is(state, "22") || strcmp(state, "23514") == 0)
        return http_problem(req, res, APP_ERR_INVALID, "a value is not valid", NULL);
    if (strcmp(state, "57014") == 0 || strcmp(state, "55P03") == 0 ||
        strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0) {
        log_msg(LOG_WARN, "statement %s gave up: %s (request %s)", stmt, db_conn_message(c),
                req->request_id);
        return http_problem(req, res, APP_ERR_UNAVAILABLE,
                            "the database is busy; retry later", NULL);
    }
    /* a table, column or function the statements need is missing: the schema is behind (served
       without --migrate); /readyz says so too, and the next request after a migrate works */
    if (strcmp(state, "42P01") == 0 || strcmp(state, "42703") == 0 || strcmp(state, "42883") == 0) {
        log_msg(LOG_WARN, "statement %s: %s; is the schema migrated? (request %s)", stmt,
                db_conn_message(c), req->request_id);
        return http_problem(req, res, APP_ERR_UNAVAILABLE,
                            "the database schema is not at the latest migration", NULL);
    }
    log_msg(LOG_ERROR, "statement %s failed: %s %s (request %s)", stmt, state,
            db_conn_message(c), req->request_id);
    return http_problem(req, res, APP_ERR_INTERNAL, "the request could not be completed", NULL);
}

static enum app_err api_db_status(struct http_req *req, struct http_res *res,
                                  enum db_status st, const char *stmt)
{
    switch (st) {
        case DB_OK:
            return APP_OK;
        case DB_CONN_LOST:
            /* only a connection that died while open is worth a retry on a fresh one */
            req->db_lost = db_conn_lost_open(req->db);
            return http_problem(req, res, APP_ERR_UNAVAILABLE, "the database is unavailable",
                                NULL);
        case DB_TIMEOUT:
            log_msg(LOG_WARN, "statement %s passed its deadline (request %s)", stmt,
                    req->request_id);
            return http_problem(req, res, APP_ERR_TIMEOUT, "the database did not answer in time",
                                NULL);
        case DB_ERROR:
        default:
            return api_db_error(req, res, stmt);
    }
}

enum app_err api_exec(struct http_req *req, struct http_res *res, const struct db_stmt *stmt,
                      int nparams, const char *const *params, struct db_result **out)
{
    *out = NULL;
    if (api_db(req, res) == NULL)
        return APP_ERR_UNAVAILABLE;
    return api_db_status(req, res, db_exec(req->db, stmt, nparams, params, out), stmt->name);
}

enum app_err api_begin(struct http_req *req, struct http_res *res)
{
    if (api_db(req, res) == NULL)
        return APP_ERR_UNAVAILABLE;
    req->wrote = true;
    if (req->tx_owned)
        return APP_OK; /* the dispatcher's transaction already covers the request */
    return api_db_status(req, res, db_begin(req->db), "BEGIN");
}

enum app_err api_commit(struct http_req *req, struct http_res *res)
{
    if (req->tx_owned)
        return APP_OK; /* committed by the dispatcher with the idempotency record */
    return api_db_status(req, res, db_commit(req->db), "COMMIT");
}

enum app_err api_commit_now(struct http_req *req, struct http_res *res)
{
    req->tx_owned = false;
    return api_db_status(req, res, db_commit(req->db), "COMMIT");
}

enum app_err api_exec_script(struct http_req *req, struct http_res *res, const char *sql)
{
    if (api_db(req, res) == NULL)
        return APP_ERR_UNAVAILABLE;
    return api_db_status(req, res, db_exec_script(req->db, sql), sql);
}

/* The id a single resource's JSON opens with ({"id" : "<uuid>", ...}, as PostgreSQL's
 * json_build_object writes it); NULL when it does not. */
static const char *representation_id(const char *body, size_t len, char out[37])
{
    static const char *const openings[] = {"{\"id\" : \"", "{\"id\":\""};
    for (size_t i = 0; i < sizeof openings / sizeof *openings; i++) {
        size_t n = strlen(openings[i]);
        if (len > n + 36 && strncmp(body, openings[i], n) == 0 && body[n + 36] == '"') {
            memcpy(out, body + n, 36);
            out[36] = '\0';
            return jsonx_is_uuid(out) ? out : NULL;
        }
    }
    return NULL;
}

enum app_err api_reply_row(struct http_req *req, struct http_res *res, unsigned status,
                           struct db_result *r, int version_col, const char *not_found)
{
    if (db_result_rows(r) == 0 || db_result_is_null(r, 0, 0))
        return http_problem(req, res, APP_ERR_NOT_FOUND, not_found, NULL);
    const char *body = db_result_value(r, 0, 0);
    size_t len = db_result_length(r, 0, 0);
    http_res_body(res, status, "application/json", body, len);
    if (version_col >= 0) {
        long long version = strtoll(db_result_value(r, 0, version_col), NULL, 10);
        char id[37];
        free(res->etag);
        res->etag = etag_for_version(representation_id(body, len, id), version, body, len);
    }
    return APP_OK;
}

enum app_err api_reply_query(struct http_req *req, struct http_res *res,
                             const struct db_stmt *stmt, int nparams, const char *const *params,
                             int version_col, const char *not_found)
{
    struct db_result *r = NULL;
    enum app_err err = api_exec(req, res, stmt, nparams, params, &r);
    if (err == APP_OK)
        err = api_reply_row(req, res, 200, r, version_col, not_found);
    db_result_free(r);
    return err;
}

enum app_err api_require_role(struct http_req *req, struct http_res *res, enum auth_role role)
{
    if (req->who.role == ROLE_NONE) {
        http_res_header(res, "WWW-Authenticate", "Bearer");
        return http_problem(req, res, APP_ERR_UNAUTHORIZED, "this request needs a bearer token",
                            NULL);
    }
    if (req->who.role < role)
        return http_problem(req, res, APP_ERR_FORBIDDEN, "your role may not do this", NULL);
    return APP_OK;
}

/* Is the charset parameter at @a p (after "charset=") UTF-8, quoted or not? */
static bool charset_is_utf8(const char *p)
{
    bool quoted = *p == '"';
    p += quoted;
    if (strncasecmp(p, "utf-8", 5) != 0)
        return false;
    p += 5 + (quoted && p[5] == '"');
    while (*p == ' ' || *p == '\t')
        p++;
    return *p == '\0' || *p == ';';
}

/* application/json, with parameters; a charset other than UTF-8 is not JSON as API.md has it. */
static bool content_type_is_json(const char *ct)
{
    if (ct == NULL)
        return false;
    while (*ct == ' ')
        ct++;
    size_t n = strlen("application/json");
    if (strncasecmp(ct, "application/json", n) != 0)
        return false;
    ct += n;
    while (*ct == ' ')
        ct++;
    if (*ct != '\0' && *ct != ';')
        return false;
    while (*ct == ';') {
        ct++;
        while (*ct == ' ' || *ct == '\t')
            ct++;
        if (strncasecmp(ct, "charset=", 8) == 0 && !charset_is_utf8(ct + 8))
            return false;
        ct += strcspn(ct, ";");
    }
    return true;
}

enum app_err api_body_object(struct http_req *req, struct http_res *res, json_t **out)
{
    *out = NULL;
    if (req->body_too_large)
        return http_problem(req, res, APP_ERR_TOO_LARGE, "the request body is larger than the limit",
                            NULL);
    const char *type = http_req_header(req, "Content-Type");
    bool empty = req->body == NULL || req->body_len == 0;
    /* no body and no type is a missing body (400), not a body of the wrong type (415) */
    if (!(empty && type == NULL) && !content_type_is_json(type))
        return http_problem(req, res, APP_ERR_MEDIA_TYPE,
                            "the request body must be application/json (in UTF-8)", NULL);
    if (empty)
        return http_problem_field(req, res, APP_ERR_BAD_REQUEST, "the request body is empty", "",
                                  "a JSON object is required");
    json_error_t error;
    json_t *doc = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &error);
    if (doc == NULL) {
        const char *why = parse_error_message(&error);
        char detail[300];
        snprintf(detail, sizeof detail, "the request body is not valid JSON: %s", why);
        char *field = parse_error_field(req->body, req->body_len, &error);
        enum app_err err = http_problem_field(req, res, APP_ERR_BAD_REQUEST, detail, field, why);
        free(field);
        return err;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        return http_problem_field(req, res, APP_ERR_BAD_REQUEST,
                                  "the request body must be a JSON object", "",
                                  "expected an object");
    }
    *out = doc;
    return APP_OK;
}

enum app_err api_body_none(struct http_req *req, struct http_res *res)
{
    if (req->body_too_large)
        return http_problem(req, res, APP_ERR_TOO_LARGE, "the request body is larger than the limit",
                            NULL);
    if (req->body_len == 0)
        return APP_OK;
    if (!content_type_is_json(http_req_header(req, "Content-Type")))
        return http_problem(req, res, APP_ERR_MEDIA_TYPE,
                            "this request takes no body, and a body must be application/json",
                            NULL);
    /* tolerate an empty JSON object from clients that always send one */
    json_t *doc = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, NULL);
    if (doc != NULL && json_is_object(doc)) {
        /* an object that reads fine: each member is unknown here, named as any unknown member */
        json_t *errors = json_array();
        const char *key;
        json_t *value;
        json_object_foreach(doc, key, value) {
            jsonx_error(errors, "", key, "is not allowed: this request takes no body");
        }
        json_decref(doc);
        return api_fields_ok(req, res, errors);
    }
    json_decref(doc);
    return http_problem_field(req, res, APP_ERR_BAD_REQUEST, "this request takes no body", "",
                              "remove the body");
}

enum app_err api_page_params(struct http_req *req, struct http_res *res, int *limit,
                             const char **cursor)
{
    *limit = 50;
    *cursor = NULL;
    if (http_req_query_count(req, "limit") > 1)
        return http_problem_field(req, res, APP_ERR_INVALID, "limit is given more than once",
                                  "limit", "give limit once");
    const char *text = http_req_query(req, "limit");
    if (text != NULL) {
        char *end = NULL;
        long v = (text[0] >= '0' && text[0] <= '9') ? strtol(text, &end, 10) : -1;
        if (end == NULL || *end != '\0' || v < 1 || v > 200)
            return http_problem_field(req, res, APP_ERR_INVALID,
                                      "limit must be an integer from 1 to 200", "limit",
                                      "must be an integer from 1 to 200");
        *limit = (int)v;
    }
    size_t given = http_req_query_count(req, "cursor");
    if (given > 1)
        return http_problem_field(req, res, APP_ERR_INVALID, "cursor is given more than once",
                                  "cursor", "give cursor once");
    if (given == 0)
        return APP_OK;
    const char *bound = http_req_query(req, "cursor"); /* NULL for a bare `cursor` */
    if (bound == NULL || bound[0] == '\0')
        return api_bad_param(req, res, "cursor", "must not be empty");
    char tag[CURSOR_TAG_LEN + 1];
    cursor_tag(req, tag);
    *cursor = cursor_unbind(bound, tag);
    if (*cursor == NULL)
        return http_problem_field(req, res, APP_ERR_INVALID,
                                  "the cursor is not one this list handed out for this query",
                                  "cursor",
                                  "use the next_cursor of a previous page, with the same path, "
                                  "filters and sort");
    return APP_OK;
}

enum app_err api_lang(struct http_req *req, struct http_res *res, const char **lang)
{
    const char *given = http_req_query(req, "lang");
    *lang = NULL;
    if (given == NULL)
        return APP_OK;
    size_t n = strlen(given);
    bool ok = http_req_query_count(req, "lang") == 1 && n < sizeof req->lang;
    if (ok) {
        /* tags ignore case (RFC 5646): the primary subtag is read in lower case, as keys store
           it; the subtags after it are matched without regard to case by loc() */
        memcpy(req->lang, given, n + 1);
        for (char *c = req->lang; *c != '\0' && *c != '-'; c++)
            *c = (char)tolower((unsigned char)*c);
        ok = jsonx_is_lang(req->lang);
    }
    if (!ok)
        return http_problem_field(req, res, APP_ERR_INVALID, "lang is not a language tag",
                                  "lang", "must be a language tag such as en, ru or ru-KG");
    *lang = req->lang;
    return APP_OK;
}

bool api_is_slug(const char *s)
{
    size_t n = 0;
    bool prev_dash = true;
    for (; s[n] != '\0'; n++) {
        char c = s[n];
        if (c == '-') {
            if (prev_dash)
                return false;
            prev_dash = true;
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            prev_dash = false;
        } else {
            return false;
        }
    }
    return n >= 1 && n <= 80 && !prev_dash && !jsonx_is_uuid(s);
}

/*
 * @return a new copy of the page @a body (*len bytes, updated) whose next_cursor, when a string,
 * carries @a tag in front. Every list statement builds its body with json_build_object() and
 * next_cursor last, so the member is found from the end; an item's text cannot fake it (a
 * quote inside a JSON string is escaped).
 */
static char *page_bind_cursor(const char *body, size_t *len, const char *tag)
{
    static const char key[] = "\"next_cursor\"";
    size_t klen = sizeof key - 1, at = *len;
    while (at >= klen && memcmp(body + at - klen, key, klen) != 0)
        at--;
    if (at < klen)
        return xstrndup(body, *len);
    while (at < *len && (body[at] == ' ' || body[at] == ':'))
        at++;
    if (at >= *len || body[at] != '"')
        return xstrndup(body, *len); /* null: the last page */
    at++;
    char *out = xasprintf("%.*s%s%s", (int)at, body, tag, body + at);
    *len += CURSOR_TAG_LEN;
    return out;
}

enum app_err api_reply_page(struct http_req *req, struct http_res *res, const struct db_stmt *stmt,
                            int nparams, const char *const *params)
{
    struct db_result *r = NULL;
    enum app_err err = api_exec(req, res, stmt, nparams, params, &r);
    if (err == APP_OK && db_result_rows(r) == 0)
        err = http_problem(req, res, APP_ERR_INTERNAL, "the list could not be built", NULL);
    if (err == APP_OK) {
        char tag[CURSOR_TAG_LEN + 1];
        cursor_tag(req, tag);
        size_t len = db_result_length(r, 0, 0);
        char *body = page_bind_cursor(db_result_value(r, 0, 0), &len, tag);
        http_res_body_take(res, 200, "application/json", body, len);
        if (db_result_cols(r) > 1 && !db_result_is_null(r, 0, 1)) {
            /* the cursor is base64url text: safe in a URL as it is */
            char *query = http_req_query_without(req, "cursor");
            char *link = xasprintf("<%s?%s%scursor=%s%s>; rel=\"next\"", req->path, query,
                                   query[0] ? "&" : "", tag, db_result_value(r, 0, 1));
            http_res_header(res, "Link", link);
            free(link);
            free(query);
        }
    }
    db_result_free(r);
    return err;
}

bool api_ref_split(const char *ref, const char **id, const char **slug)
{
    *id = *slug = NULL;
    if (ref == NULL)
        return false;
    if (jsonx_is_uuid(ref))
        *id = ref;
    else if (strlen(ref) <= 80 && ref[0] != '\0') {
        for (const char *p = ref; *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || *p == '-'))
                return false;
        *slug = ref;
    } else
        return false;
    return true;
}

enum app_err api_require_token(struct http_req *req, struct http_res *res)
{
    if (req->who.role != ROLE_NONE)
        return APP_OK;
    http_res_header(res, "WWW-Authenticate", "Bearer");
    return http_problem(req, res, APP_ERR_UNAUTHORIZED, "this request needs a bearer token", NULL);
}

enum app_err api_if_match(struct http_req *req, struct http_res *res, const char *id,
                          char **versions)
{
    const char *h = http_req_header(req, "If-Match");
    if (h == NULL)
        return http_problem(req, res, APP_ERR_PRECONDITION_REQ,
                            "send If-Match with the ETag of the current representation", NULL);
    *versions = etag_if_match_versions(h, id);
    if (*versions == NULL)
        return http_problem(req, res, APP_ERR_PRECONDITION,
                            "If-Match does not match the current representation", NULL);
    return APP_OK;
}

enum app_err api_if_match_optional(struct http_req *req, struct http_res *res, const char *id,
                                   char **versions)
{
    *versions = NULL;
    if (http_req_header(req, "If-Match") == NULL)
        return APP_OK;
    return api_if_match(req, res, id, versions);
}

enum app_err api_bad_param(struct http_req *req, struct http_res *res, const char *name,
                           const char *message)
{
    char detail[160];
    snprintf(detail, sizeof detail, "the %s parameter is not valid", name);
    return http_problem_field(req, res, APP_ERR_INVALID, detail, name, message);
}

enum app_err api_query_one(struct http_req *req, struct http_res *res, const char *name,
                           const char **value)
{
    *value = http_req_query(req, name);
    if (*value == NULL)
        return APP_OK;
    if (http_req_query_count(req, name) > 1)
        return api_bad_param(req, res, name, "give it once");
    if ((*value)[0] == '\0')
        return api_bad_param(req, res, name, "must not be empty");
    return APP_OK;
}

enum app_err api_cursor(struct http_req *req, struct http_res *res, const char *cursor,
                        const char *shape, char **parts)
{
    for (size_t i = 0; i < strlen(shape); i++)
        parts[i] = NULL;
    if (cursor == NULL)
        return APP_OK;
    if (!cursor_decode(cursor, shape, parts))
        return http_problem_field(req, res, APP_ERR_INVALID, "the cursor is not valid",
                                  "cursor", "use the next_cursor of a previous page");
    return APP_OK;
}

enum app_err api_archived_param(struct http_req *req, struct http_res *res, const char **value)
{
    const char *v = http_req_query(req, "archived");
    *value = "false";
    if (v == NULL)
        return APP_OK;
    if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
        return http_problem_field(req, res, APP_ERR_INVALID, "archived must be true or false",
                                  "archived", "must be true or false");
    *value = v;
    return APP_OK;
}

enum app_err api_fields_ok(struct http_req *req, struct http_res *res, json_t *errors)
{
    if (json_array_size(errors) == 0) {
        json_decref(errors);
        return APP_OK;
    }
    return http_problem(req, res, APP_ERR_INVALID, "the request body has invalid members", errors);
}

char *api_json_text(json_t *obj)
{
    char *text = json_dumps(obj, JSON_COMPACT | JSON_ENCODE_ANY);
    if (text == NULL)
        abort(); /* only on out-of-memory: every value came from a parsed document */
    return text;
}

const char *api_retracted_text_shown(const struct http_req *req, struct http_res *res)
{
    http_res_header(res, "Vary", "Authorization");
    return req->who.role >= ROLE_EDITOR ? "true" : "false";
}
