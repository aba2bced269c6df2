#include "http/http.h"

#include "core/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void http_res_header(struct http_res *res, const char *name, const char *value)
{
    if (res->nheaders >= HTTP_MAX_HEADERS)
        return;
    res->headers[res->nheaders].name = xstrdup(name);
    res->headers[res->nheaders].value = xstrdup(value);
    res->nheaders++;
}

const char *http_res_header_get(const struct http_res *res, const char *name)
{
    for (size_t i = 0; i < res->nheaders; i++)
        if (strcasecmp(res->headers[i].name, name) == 0)
            return res->headers[i].value;
    return NULL;
}

void http_res_body_take(struct http_res *res, unsigned status, const char *content_type,
                        char *data, size_t len)
{
    free(res->body);
    res->status = status;
    res->content_type = content_type;
    res->body = data;
    res->body_len = len;
}

void http_res_body(struct http_res *res, unsigned status, const char *content_type,
                   const char *data, size_t len)
{
    http_res_body_take(res, status, content_type, xstrndup(data, len), len);
}

void http_res_json_new(struct http_res *res, unsigned status, json_t *obj)
{
    char *text = obj ? json_dumps(obj, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(obj);
    if (text == NULL) {
        http_res_body(res, 500, "application/problem+json",
                      "{\"type\":\"/problems/internal\",\"title\":\"Internal error\","
                      "\"status\":500,\"detail\":\"cannot encode the answer\","
                      "\"request_id\":\"\",\"code\":\"internal\"}",
                      sizeof "{\"type\":\"/problems/internal\",\"title\":\"Internal error\","
                             "\"status\":500,\"detail\":\"cannot encode the answer\","
                             "\"request_id\":\"\",\"code\":\"internal\"}" - 1);
        return;
    }
    http_res_body_take(res, status, "application/json", text, strlen(text));
}

enum app_err http_problem(const struct http_req *req, struct http_res *res, enum app_err err,
                          const char *detail, json_t *errors)
{
    unsigned status = app_err_http_status(err);
    const char *code = app_err_code(err);
    char type[64];
    strcpy(type, "/problems/");
    strncat(type, code, sizeof type - strlen(type) - 1);
    json_t *p = json_object();
    json_object_set_new(p, "type", json_string(type));
    json_object_set_new(p, "title", json_string(app_err_title(err)));
    json_object_set_new(p, "status", json_integer(status));
    json_t *d = json_string(detail ? detail : app_err_title(err));
    json_object_set_new(p, "detail", d ? d : json_string("invalid text in detail"));
    json_object_set_new(p, "request_id", json_string(req ? req->request_id : ""));
    json_object_set_new(p, "code", json_string(code));
    if (errors != NULL)
        json_object_set_new(p, "errors", errors);
    http_res_json_new(res, status, p);
    res->content_type = "application/problem+json";
    res->no_etag = true;
    /* a busy or unreachable database is a passing state: tell clients when to try again */
    if (status == 503 && http_res_header_get(res, "Retry-After") == NULL)
        http_res_header(res, "Retry-After", "1");
    return err;
}

enum app_err http_problem_field(const struct http_req *req, struct http_res *res,
                                enum app_err err, const char *detail, const char *field,
                                const char *message)
{
    json_t *errors = json_array();
    json_t *f = json_string(field);
    /* a parser's message may quote the client's bytes, which need not be UTF-8 */
    json_t *m = json_string(message);
    json_array_append_new(errors, json_pack("{s:o, s:o}", "field", f ? f : json_string("?"),
                                            "message",
                                            m ? m : json_string("is not valid (near bytes that "
                                                                "are not UTF-8)")));
    return http_problem(req, res, err, detail, errors);
}

void http_res_cleanup(struct http_res *res)
{
    free(res->body);
    free(res->etag);
    for (size_t i = 0; i < res->nheaders; i++) {
        free(res->headers[i].name);
        free(res->headers[i].value);
    }
    if (res->stream_free != NULL)
        res->stream_free(res->stream_cls);
    memset(res, 0, sizeof *res);
}
