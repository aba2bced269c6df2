/* STUB: to be replaced by the module's implementation. */
#include "api/sectors.h"

void sectors_register_statements(void)
{
}

enum app_err sectors_list(struct http_req *req, struct http_res *res)
{
    return http_problem(req, res, APP_ERR_INTERNAL, "not implemented yet", NULL);
}

enum app_err sectors_create(struct http_req *req, struct http_res *res)
{
    return http_problem(req, res, APP_ERR_INTERNAL, "not implemented yet", NULL);
}

enum app_err sectors_get(struct http_req *req, struct http_res *res)
{
    return http_problem(req, res, APP_ERR_INTERNAL, "not implemented yet", NULL);
}

enum app_err sectors_patch(struct http_req *req, struct http_res *res)
{
    return http_problem(req, res, APP_ERR_INTERNAL, "not implemented yet", NULL);
}
