/**
 * @file writes.h
 * @brief The common endings of write handlers: the answer and its audit record together.
 *
 * Statements hand their results over in one shape: column 0 the new representation (JSON
 * text), column 1 its version, column 2 the representation before (for updates) or the new id
 * (for creates).
 */
#ifndef API_WRITES_H
#define API_WRITES_H

#include "api/api.h"

/** A create once its body was validated. */
struct write_create {
    const struct db_stmt *stmt; /**< → body, version, new id */
    const char *entity;         /**< for the audit record */
    const char *location;       /**< `Location` is this prefix, '/', the new id */
    /** maps the statement's error to its answer (a taken slug → 409 naming it) */
    enum app_err (*on_error)(struct http_req *req, struct http_res *res, enum app_err err);
};

/** Runs the insert with @a params (made by the caller), then as writes_created(). */
enum app_err writes_create(struct http_req *req, struct http_res *res,
                           const struct write_create *w, int nparams, const char *const *params);

/**
 * A created resource: audit "create", then 201 with the ETag and `Location: <prefix>/<id>`.
 * @param r the result of the insert: body, version, id (borrowed)
 */
enum app_err writes_created(struct http_req *req, struct http_res *res, struct db_result *r,
                            const char *entity, const char *location_prefix);

/**
 * The SQL condition of a PATCH statement on the If-Match versions in $3 (a bigint[]; 0 for
 * "*"): the row of alias @a t matches when any listed version is its current one.
 */
#define WRITES_VERSION_MATCHES(t) "(0 = ANY($3::bigint[]) OR " t ".version = ANY($3::bigint[]))"

/** A PATCH once its target was found and its body validated (preconditions come after). */
struct write_patch {
    /** (id, body, If-Match versions[, extra]) → body, version, body before; no row: 412 */
    const struct db_stmt *stmt;
    const char *entity; /**< for the audit record */
    const char *id;
    int nparams;        /**< 3, or 4 with @a extra */
    const char *extra;  /**< the 4th parameter (may be NULL) */
    /** maps the statement's error to its answer (a taken slug → 409 naming it) */
    enum app_err (*on_error)(struct http_req *req, struct http_res *res, enum app_err err);
};

/** If-Match (428 / 412), the statement with @a body, then as writes_patched(). */
enum app_err writes_patch(struct http_req *req, struct http_res *res, json_t *body,
                          const struct write_patch *w);

/**
 * A PATCH: no row means the version moved (412); else audit "update" (unless nothing changed)
 * and 200 with the ETag.
 * @param r the result of the update: body, version, body before (borrowed)
 */
enum app_err writes_patched(struct http_req *req, struct http_res *res, struct db_result *r,
                            const char *entity, const char *id);

/**
 * Archive or unarchive: checks (401, 404 through @a find, 403, no body), runs @a stmt with
 * (id, "true"|"false") returning body, version, body before, changed; audits a real change.
 */
enum app_err writes_set_archived(struct http_req *req, struct http_res *res,
                                 enum app_err (*find)(struct http_req *, struct http_res *,
                                                      const char *, char *),
                                 const struct db_stmt *stmt, const char *entity, bool archived);

#endif
