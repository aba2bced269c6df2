/* STUB: to be replaced by the module's implementation. */
#include "api/recommendations.h"

void recommendations_register_statements(void)
{
}

enum app_err recommendations_list(struct http_req *req, struct http_res *res)
{
    return http_problem(req, res, APP_ERR_INTERNAL, "not implemented yet", NULL);
}

enum app_err recommendations_create(struct http_req *req, struct http_res *res)
{
    return http_problem(req, res, APP_ERR_INTERNAL, "not implemented yet", NULL);
}

enum app_err recommendations_get(struct http_req *req, struct http_res *res)
{
    return http_problem(req, res, APP_ERR_INTERNAL, "not implemented yet", NULL);
}

enum app_err recommendations_get_by_code(struct http_req *req, struct http_res *res)
{
    return http_problem(req, res, APP_ERR_INTERNAL, "not implemented yet", NULL);
}

enum app_err recommendations_patch(struct http_req *req, struct http_res *res)
{
    return http_problem(req, res, APP_ERR_INTERNAL, "not implemented yet", NULL);
}

enum app_err recommendations_put_agencies(struct http_req *req, struct http_res *res)
{
    return http_problem(req, res, APP_ERR_INTERNAL, "not implemented yet", NULL);
}

enum app_err recommendations_history(struct http_req *req, struct http_res *res)
{
    return http_problem(req, res, APP_ERR_INTERNAL, "not implemented yet", NULL);
}
