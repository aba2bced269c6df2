/* STUB: to be replaced by the module's implementation. */
#include "api/agencies.h"

void agencies_register_statements(void)
{
}

enum app_err agencies_list(struct http_req *req, struct http_res *res)
{
    return http_problem(req, res, APP_ERR_INTERNAL, "not implemented yet", NULL);
}

enum app_err agencies_create(struct http_req *req, struct http_res *res)
{
    return http_problem(req, res, APP_ERR_INTERNAL, "not implemented yet", NULL);
}

enum app_err agencies_get(struct http_req *req, struct http_res *res)
{
    return http_problem(req, res, APP_ERR_INTERNAL, "not implemented yet", NULL);
}

enum app_err agencies_patch(struct http_req *req, struct http_res *res)
{
    return http_problem(req, res, APP_ERR_INTERNAL, "not implemented yet", NULL);
}

enum app_err agencies_archive(struct http_req *req, struct http_res *res)
{
    return http_problem(req, res, APP_ERR_INTERNAL, "not implemented yet", NULL);
}

enum app_err agencies_unarchive(struct http_req *req, struct http_res *res)
{
    return http_problem(req, res, APP_ERR_INTERNAL, "not implemented yet", NULL);
}
