/* STUB: to be replaced by the module's implementation. */
#include "api/bundles.h"

void bundles_register_statements(void)
{
}

enum app_err bundles_import(struct http_req *req, struct http_res *res)
{
    return http_problem(req, res, APP_ERR_INTERNAL, "not implemented yet", NULL);
}

enum app_err bundles_export(struct http_req *req, struct http_res *res)
{
    return http_problem(req, res, APP_ERR_INTERNAL, "not implemented yet", NULL);
}
int import_command(const struct config *cfg, const char *text, size_t len)
{
    (void)cfg;
    (void)text;
    (void)len;
    return 1;
}
