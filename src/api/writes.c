#include "api/writes.h"

#include "api/audit.h"
#include "core/xalloc.h"

#include <stdlib.h>
#include <string.h>

enum app_err writes_created(struct http_req *req, struct http_res *res, struct db_result *r,
                            const char *entity, const char *location_prefix)
{
    const char *id = db_result_value(r, 0, 2);
    enum app_err err = audit_record(req, res, "create", entity, id, NULL, db_result_value(r, 0, 0));
    if (err == APP_OK)
        err = api_reply_row(req, res, 201, r, 1, "not found");
    if (err == APP_OK) {
        char *location = xasprintf("%s/%s", location_prefix, id);
        http_res_header(res, "Location", location);
        free(location);
    }
    return err;
}

enum app_err writes_create(struct http_req *req, struct http_res *res,
                           const struct write_create *w, int nparams, const char *const *params)
{
    struct db_result *r = NULL;
    enum app_err err = w->on_error(req, res, api_exec(req, res, w->stmt, nparams, params, &r));
    if (err == APP_OK)
        err = writes_created(req, res, r, w->entity, w->location);
    db_result_free(r);
    return err;
}

enum app_err writes_patched(struct http_req *req, struct http_res *res, struct db_result *r,
                            const char *entity, const char *id)
{
    if (db_result_rows(r) == 0)
        return http_problem(req, res, APP_ERR_PRECONDITION,
                            "the resource changed since the ETag in If-Match", NULL);
    const char *after = db_result_value(r, 0, 0), *before = db_result_value(r, 0, 2);
    enum app_err err = APP_OK;
    /* a PATCH that changes nothing keeps the version and is not a write to audit */
    if (strcmp(after, before) != 0)
        err = audit_record(req, res, "update", entity, id, before, after);
    if (err == APP_OK)
        err = api_reply_row(req, res, 200, r, 1, "not found");
    return err;
}

enum app_err writes_patch(struct http_req *req, struct http_res *res, json_t *body,
                          const struct write_patch *w)
{
    char *versions = NULL;
    enum app_err err = api_if_match(req, res, w->id, &versions);
    if (err != APP_OK)
        return err;
    char *text = api_json_text(body);
    const char *params[] = {w->id, text, versions, w->extra};
    struct db_result *r = NULL;
    err = api_exec(req, res, w->stmt, w->nparams, params, &r);
    if (w->on_error != NULL)
        err = w->on_error(req, res, err);
    if (err == APP_OK)
        err = writes_patched(req, res, r, w->entity, w->id);
    db_result_free(r);
    free(text);
    free(versions);
    return err;
}

enum app_err writes_set_archived(struct http_req *req, struct http_res *res,
                                 enum app_err (*find)(struct http_req *, struct http_res *,
                                                      const char *, char *),
                                 const struct db_stmt *stmt, const char *entity, bool archived)
{
    char id[37];
    enum app_err err = api_require_token(req, res);
    if (err == APP_OK)
        err = find(req, res, req->params[0], id);
    if (err == APP_OK)
        err = api_require_role(req, res, ROLE_EDITOR);
    if (err == APP_OK)
        err = api_body_none(req, res);
    if (err != APP_OK)
        return err;
    const char *params[] = {id, archived ? "true" : "false"};
    struct db_result *r = NULL;
    err = api_exec(req, res, stmt, 2, params, &r);
    /* a repeated archive changes nothing and is not audited */
    if (err == APP_OK && db_result_rows(r) == 1 && strcmp(db_result_value(r, 0, 3), "t") == 0)
        err = audit_record(req, res, archived ? "archive" : "unarchive", entity, id,
                           db_result_value(r, 0, 2), db_result_value(r, 0, 0));
    if (err == APP_OK)
        err = api_reply_row(req, res, 200, r, 1, "not found");
    db_result_free(r);
    return err;
}
