/* STUB: to be replaced by the module's implementation. */
#include "api/users.h"

void users_register_statements(void)
{
}

enum app_err users_me(struct http_req *req, struct http_res *res)
{
    return http_problem(req, res, APP_ERR_INTERNAL, "not implemented yet", NULL);
}

enum app_err users_list(struct http_req *req, struct http_res *res)
{
    return http_problem(req, res, APP_ERR_INTERNAL, "not implemented yet", NULL);
}

enum app_err users_create(struct http_req *req, struct http_res *res)
{
    return http_problem(req, res, APP_ERR_INTERNAL, "not implemented yet", NULL);
}

enum app_err users_get(struct http_req *req, struct http_res *res)
{
    return http_problem(req, res, APP_ERR_INTERNAL, "not implemented yet", NULL);
}

enum app_err users_patch(struct http_req *req, struct http_res *res)
{
    return http_problem(req, res, APP_ERR_INTERNAL, "not implemented yet", NULL);
}

enum app_err users_tokens_create(struct http_req *req, struct http_res *res)
{
    return http_problem(req, res, APP_ERR_INTERNAL, "not implemented yet", NULL);
}

enum app_err users_tokens_list(struct http_req *req, struct http_res *res)
{
    return http_problem(req, res, APP_ERR_INTERNAL, "not implemented yet", NULL);
}

enum app_err users_tokens_revoke(struct http_req *req, struct http_res *res)
{
    return http_problem(req, res, APP_ERR_INTERNAL, "not implemented yet", NULL);
}
