#include "core/err.h"

#include <stddef.h>

static const struct {
    unsigned status;
    const char *code;
    const char *title;
} err_table[APP_ERR__COUNT] = {
    [APP_OK] = {200, "ok", "OK"},
    [APP_ERR_BAD_REQUEST] = {400, "bad_request", "Bad request"},
    [APP_ERR_INVALID] = {400, "validation_failed", "Validation failed"},
    [APP_ERR_UNAUTHORIZED] = {401, "unauthorized", "Authentication required"},
    [APP_ERR_FORBIDDEN] = {403, "forbidden", "Forbidden"},
    [APP_ERR_NOT_FOUND] = {404, "not_found", "Not found"},
    [APP_ERR_METHOD] = {405, "method_not_allowed", "Method not allowed"},
    [APP_ERR_NOT_ACCEPTABLE] = {406, "not_acceptable", "Not acceptable"},
    [APP_ERR_CONFLICT] = {409, "conflict", "Conflict"},
    [APP_ERR_PRECONDITION] = {412, "precondition_failed", "Precondition failed"},
    [APP_ERR_TOO_LARGE] = {413, "payload_too_large", "Payload too large"},
    [APP_ERR_MEDIA_TYPE] = {415, "unsupported_media_type", "Unsupported media type"},
    [APP_ERR_UNPROCESSABLE] = {422, "unprocessable", "Unprocessable request"},
    [APP_ERR_PRECONDITION_REQ] = {428, "precondition_required", "Precondition required"},
    [APP_ERR_INTERNAL] = {500, "internal", "Internal error"},
    [APP_ERR_UNAVAILABLE] = {503, "unavailable", "Service unavailable"},
    [APP_ERR_TIMEOUT] = {504, "gateway_timeout", "Database timeout"},
};

static int err_known(enum app_err e)
{
    return (int)e >= 0 && e < APP_ERR__COUNT && err_table[e].code != NULL;
}

unsigned app_err_http_status(enum app_err e)
{
    return err_known(e) ? err_table[e].status : 500;
}

const char *app_err_code(enum app_err e)
{
    return err_known(e) ? err_table[e].code : "internal";
}

const char *app_err_title(enum app_err e)
{
    return err_known(e) ? err_table[e].title : "Internal error";
}
