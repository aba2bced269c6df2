/**
 * @file api.h
 * @brief Shared helpers of the resource handlers: database calls that answer problems,
 *        roles, request bodies, query parameters, JSON passed through from PostgreSQL.
 *
 * Every helper that returns enum app_err has already written the problem into the response
 * when it returns an error, so a handler can simply `return` it.
 */
#ifndef API_API_H
#define API_API_H

#include "db/db.h"
#include "http/http.h"

#include <jansson.h>
#include <stdbool.h>

/** The route table (ends with a NULL pattern) and its length. */
const struct route *api_routes(size_t *count);

/** Registers every statement of every module with the database layer (once, at start-up). */
void api_register_statements(void);

/** Runs one request through routing, authentication, the handler and caching rules. */
void api_dispatch(struct http_req *req, struct http_res *res, size_t *route_index);

/** @return the request's database connection, acquiring it on first use; NULL → 503 written. */
struct db_conn *api_db(struct http_req *req, struct http_res *res);

/**
 * Runs a statement on the request's connection and maps failures to problems:
 * lost connection → 503, deadline → 504, lock or statement timeout → 503, unique violation
 * → 409, foreign key → 400, bad text for a type → 400, anything else → 500 (logged).
 * @param[out] out the result on APP_OK (free with db_result_free()); NULL otherwise
 */
enum app_err api_exec(struct http_req *req, struct http_res *res, const struct db_stmt *stmt,
                      int nparams, const char *const *params, struct db_result **out);

/**
 * BEGIN / COMMIT on the request's connection; marks the request as a write. Inside a write
 * request the dispatcher already holds a transaction, and both are no-ops.
 */
enum app_err api_begin(struct http_req *req, struct http_res *res);
enum app_err api_commit(struct http_req *req, struct http_res *res);

/** Commits the dispatcher's transaction (dispatch.c only). */
enum app_err api_commit_now(struct http_req *req, struct http_res *res);

/** Runs fixed SQL without parameters (SAVEPOINT, ...) with the same error mapping. */
enum app_err api_exec_script(struct http_req *req, struct http_res *res, const char *sql);

/**
 * Answers with the JSON text PostgreSQL built: column 0 of row 0 is the body; when
 * @a version_col >= 0 that column holds the resource version and the ETag is versioned.
 * No row → 404 with @a not_found as detail.
 */
enum app_err api_reply_row(struct http_req *req, struct http_res *res, unsigned status,
                           struct db_result *r, int version_col, const char *not_found);

/** Runs @a stmt and answers 200 with its first row as api_reply_row() does (a read by id). */
enum app_err api_reply_query(struct http_req *req, struct http_res *res,
                             const struct db_stmt *stmt, int nparams, const char *const *params,
                             int version_col, const char *not_found);

/** Requires a signed-in caller of at least @a role (401 / 403 written otherwise). */
enum app_err api_require_role(struct http_req *req, struct http_res *res, enum auth_role role);

/**
 * Parses the request body as a JSON object: 413 when too large, 415 when not JSON, 400 when
 * not valid UTF-8 JSON, duplicate keys, NUL, or not an object.
 * @param[out] out a new reference on APP_OK
 */
enum app_err api_body_object(struct http_req *req, struct http_res *res, json_t **out);

/** Rejects a body that is present (415/400) where none is taken (archive, ...). */
enum app_err api_body_none(struct http_req *req, struct http_res *res);

/**
 * Reads `limit` (1..200, default 50, not repeated) and `cursor`: not repeated, not empty, and
 * handed out for this path and query (cursor.h); @a cursor gets its key (borrowed), for
 * api_cursor(), or NULL when absent.
 */
enum app_err api_page_params(struct http_req *req, struct http_res *res, int *limit,
                             const char **cursor);

/**
 * Reads the `lang` parameter. @return APP_OK with *lang NULL when absent; 400 when malformed.
 */
enum app_err api_lang(struct http_req *req, struct http_res *res, const char **lang);

/**
 * Whether the caller's role sees the text of retracted updates: "true" or "false", for a
 * statement parameter. The answer then depends on the token, so caches are told with
 * `Vary: Authorization`; call once per answer.
 */
const char *api_retracted_text_shown(const struct http_req *req, struct http_res *res);

/** Is @a s a slug (^[a-z0-9]+(-[a-z0-9]+)*$, at most 80 characters)? */
bool api_is_slug(const char *s);

/**
 * Runs a list statement and answers its page: PostgreSQL's JSON `{"items": [...],
 * "next_cursor": ...}` (built by json_build_object(), next_cursor last) in column 0 and the
 * next cursor's key (or NULL) in column 1, with the `Link: rel="next"` header; both cursors get
 * the request's tag in front (cursor.h).
 */
enum app_err api_reply_page(struct http_req *req, struct http_res *res, const struct db_stmt *stmt,
                            int nparams, const char *const *params);

#endif

#ifndef API_API_H_MORE
#define API_API_H_MORE

/**
 * Splits a path or body reference into an id or a slug (exactly one non-NULL, borrowed).
 * @return false when @a ref is neither a UUID nor slug-shaped (callers answer 404 or 400)
 */
bool api_ref_split(const char *ref, const char **id, const char **slug);

/** Requires any valid token (401 with WWW-Authenticate otherwise). */
enum app_err api_require_token(struct http_req *req, struct http_res *res);

/** 400 naming query parameter @a name (`field`) with @a message. */
enum app_err api_bad_param(struct http_req *req, struct http_res *res, const char *name,
                           const char *message);

/** Reads query parameter @a name (borrowed, NULL when absent): given twice or empty → 400. */
enum app_err api_query_one(struct http_req *req, struct http_res *res, const char *name,
                           const char **value);

/**
 * Reads If-Match for a write on resource @a id: missing → 428; no tag of a version of @a id → 412.
 * @param[out] versions the versions it names as a bigint[] literal ("{0}" for "*"); free()
 */
enum app_err api_if_match(struct http_req *req, struct http_res *res, const char *id,
                          char **versions);

/**
 * Reads an If-Match that a write honours without requiring it (RFC 9110 13.1.1): as
 * api_if_match(), but a missing header is no error and leaves *versions NULL.
 */
enum app_err api_if_match_optional(struct http_req *req, struct http_res *res, const char *id,
                                   char **versions);

/** Decodes the key api_page_params() gave against @a shape (see cursor.h); 400 naming `cursor`. */
enum app_err api_cursor(struct http_req *req, struct http_res *res, const char *cursor,
                        const char *shape, char **parts);

/** Reads `archived` (true|false, default false) for lists of archivable resources. */
enum app_err api_archived_param(struct http_req *req, struct http_res *res, const char **value);

/** 400 with the body's field errors when @a errors is not empty (steals @a errors). */
enum app_err api_fields_ok(struct http_req *req, struct http_res *res, json_t *errors);

/** @return a new JSON text of @a obj for a jsonb parameter (free()). */
char *api_json_text(json_t *obj);

#endif
