#include "api/csv.h"

#include "core/app.h"
#include "core/log.h"
#include "core/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One streamed CSV answer: owns the database connection until the response is done. */
struct csv_stream {
    struct db_pool *pool;
    struct db_conn *conn;
    char *header;
    size_t header_off, header_len;
    struct db_result *row; /* the row being written */
    size_t row_off;
    bool done;
};

/* Does @a haystack contain @a needle, ignoring ASCII case? */
static bool contains_nocase(const char *haystack, const char *needle)
{
    size_t n = strlen(needle);
    for (; *haystack != '\0'; haystack++)
        if (strncasecmp(haystack, needle, n) == 0)
            return true;
    return false;
}

enum app_err csv_wanted(struct http_req *req, struct http_res *res, bool *csv)
{
    const char *format = http_req_query(req, "format");
    *csv = false;
    if (format != NULL) {
        if (http_req_query_count(req, "format") > 1 ||
            (strcmp(format, "csv") != 0 && strcmp(format, "json") != 0))
            return http_problem_field(req, res, APP_ERR_INVALID, "format must be json or csv",
                                      "format", "must be json or csv");
        *csv = strcmp(format, "csv") == 0;
        return APP_OK;
    }
    /* the same URL answers JSON or CSV by Accept: caches must key on it */
    http_res_header(res, "Vary", "Accept");
    const char *accept = http_req_header(req, "Accept");
    *csv = accept != NULL && contains_nocase(accept, "text/csv") &&
           !contains_nocase(accept, "application/json");
    return APP_OK;
}

static void csv_stream_free(void *cls)
{
    struct csv_stream *s = cls;
    db_result_free(s->row);
    db_pool_release(s->pool, s->conn);
    free(s->header);
    free(s);
}

/* Copies what fits of @a src into @a buf; @return bytes copied. */
static size_t copy_part(char *buf, size_t max, const char *src, size_t len, size_t *off)
{
    size_t n = len - *off < max ? len - *off : max;
    memcpy(buf, src + *off, n);
    *off += n;
    return n;
}

static long csv_stream_read(void *cls, char *buf, size_t max)
{
    struct csv_stream *s = cls;
    size_t out = 0;
    if (s->header_off < s->header_len)
        out += copy_part(buf, max, s->header, s->header_len, &s->header_off);
    while (out < max && !s->done) {
        if (s->row == NULL) {
            s->row_off = 0;
            enum db_status st = db_stream_next(s->conn, &s->row);
            if (st != DB_OK) {
                log_msg(LOG_ERROR, "csv stream failed: %s", db_conn_message(s->conn));
                return -1; /* the client sees a cut chunked body, never a false end */
            }
            if (s->row == NULL) {
                s->done = true;
                break;
            }
        }
        out += copy_part(buf + out, max - out, db_result_value(s->row, 0, 0),
                         db_result_length(s->row, 0, 0), &s->row_off);
        if (s->row_off == db_result_length(s->row, 0, 0)) {
            db_result_free(s->row);
            s->row = NULL;
        }
    }
    return (long)out;
}

enum app_err csv_stream(struct http_req *req, struct http_res *res, const char *header,
                        const struct db_stmt *stmt, int nparams, const char *const *params)
{
    struct db_conn *conn = api_db(req, res);
    if (conn == NULL)
        return APP_ERR_UNAVAILABLE;
    /* a download lasts as long as the client reads: the statement timeout would cut it, so it is
       lifted for this transaction only; a stalled client is bounded by the idle timeout */
    enum db_status st = db_begin(conn);
    if (st == DB_OK)
        st = db_exec_script(conn, "SET LOCAL statement_timeout = 0");
    if (st == DB_OK)
        st = db_stream_start(conn, stmt, nparams, params);
    struct db_result *first = NULL;
    if (st == DB_OK)
        st = db_stream_next(conn, &first); /* errors surface here, before any byte is sent */
    if (st != DB_OK) {
        if (st == DB_CONN_LOST)
            req->db_lost = db_conn_lost_open(conn);
        log_msg(LOG_ERROR, "csv statement %s failed: %s (request %s)", stmt->name,
                db_conn_message(conn), req->request_id);
        return http_problem(req, res, st == DB_TIMEOUT ? APP_ERR_TIMEOUT : APP_ERR_UNAVAILABLE,
                            "the CSV answer could not be produced", NULL);
    }
    struct csv_stream *s = xcalloc(1, sizeof *s);
    s->pool = req->app->pool;
    s->conn = conn;
    s->header = xstrdup(header);
    s->header_len = strlen(header);
    s->row = first;
    s->done = first == NULL;
    req->db = NULL; /* the stream gives the connection back */
    res->status = 200;
    res->content_type = "text/csv; charset=utf-8";
    res->no_etag = true;
    res->stream = csv_stream_read;
    res->stream_cls = s;
    res->stream_free = csv_stream_free;
    return APP_OK;
}
