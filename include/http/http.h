/**
 * @file http.h
 * @brief Requests and responses as handlers see them, without libmicrohttpd.
 *
 * A handler reads a struct http_req (everything borrowed; owned by the server's per-request
 * context) and fills a struct http_res. Only http/server.c talks to libmicrohttpd; the header
 * and query accessors declared here are implemented there.
 */
#ifndef HTTP_HTTP_H
#define HTTP_HTTP_H

#include "core/err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct app;
struct db_conn;
struct http_req;
struct http_res;

#define HTTP_MAX_PARAMS  4
#define HTTP_MAX_HEADERS 16

/** @return APP_OK, or an error (the dispatcher writes the problem if @a res has no body). */
typedef enum app_err (*http_handler_fn)(struct http_req *req, struct http_res *res);

/**
 * A streamed body: called until it returns 0 (end) or -1 (abort). Writes at most @a max bytes.
 * @return bytes written (> 0), 0 at the end, -1 on error
 */
typedef long (*http_stream_fn)(void *cls, char *buf, size_t max);

enum auth_role { ROLE_NONE = 0, ROLE_AGENCY, ROLE_MONITOR, ROLE_EDITOR, ROLE_ADMIN };

/** Who is calling, from the bearer token (role ROLE_NONE when anonymous). */
struct auth_principal {
    enum auth_role role;
    char user_id[37];
    char token_id[37];
    char agency_id[37]; /* "" unless role is ROLE_AGENCY */
    char *name;         /* the whole name (owned, freed with the request); NULL if anonymous */
};

struct http_req {
    const char *method;          /* as received; HEAD is served as GET */
    const char *path;            /* decoded path, without the query */
    const struct route *route;   /* the matched route */
    char *params[HTTP_MAX_PARAMS]; /* path captures in pattern order (owned by the context) */
    size_t nparams;
    const char *body;            /* raw body (NUL-terminated), NULL when none */
    size_t body_len;
    bool body_too_large;         /* a chunked body ran past the limit */
    struct app *app;
    char request_id[129];
    char lang[64];               /* ?lang as read by api_lang(), primary subtag in lower case */
    struct auth_principal who;
    struct db_conn *db;          /* acquired on first use, released by the dispatcher */
    bool db_lost;                /* a database call found the connection broken */
    bool wrote;                  /* a write was attempted: never retry the handler */
    bool tx_owned;               /* the dispatcher runs this request in one transaction */
    void *conn;                  /* opaque libmicrohttpd connection */
    /* test seam: when conn is NULL, headers and query come from these NULL-ended pairs */
    const char *const *fake_headers;
    const char *const *fake_query;
};

struct http_header {
    char *name;
    char *value;
};

struct http_res {
    unsigned status;             /* 0 until set */
    char *body;                  /* owned, freed with free() */
    size_t body_len;
    const char *content_type;    /* static string */
    struct http_header headers[HTTP_MAX_HEADERS]; /* owned */
    size_t nheaders;
    char *etag;                  /* owned; set by the handler, else computed for GET 200 */
    bool weak_etag;              /* compute a weak ETag (reports) */
    bool no_etag;                /* never send an ETag (streamed CSV, token creation) */
    http_stream_fn stream;       /* when set, the body is streamed */
    void *stream_cls;            /* owned by the stream, freed with stream_free */
    void (*stream_free)(void *cls);
};

/** @return the first value of request header @a name, or NULL (borrowed). */
const char *http_req_header(const struct http_req *req, const char *name);
/** @return the first value of query parameter @a name, or NULL (borrowed). */
const char *http_req_query(const struct http_req *req, const char *name);
/** @return how many times query parameter @a name occurs. */
size_t http_req_query_count(const struct http_req *req, const char *name);
/** @return the decoded query string rebuilt in order, without @a skip (new, free()). */
char *http_req_query_without(const struct http_req *req, const char *skip);
/** Called with each query parameter, decoded; @a value is NULL for a key without '='. */
typedef void (*http_query_fn)(void *cls, const char *key, const char *value);
/** Calls @a fn for every query parameter, in the order given. */
void http_req_query_each(const struct http_req *req, http_query_fn fn, void *cls);

/** Adds a response header (copies both strings). Silently drops past HTTP_MAX_HEADERS. */
void http_res_header(struct http_res *res, const char *name, const char *value);
/** @return the value of response header @a name set so far, or NULL (borrowed). */
const char *http_res_header_get(const struct http_res *res, const char *name);

/** Sets a JSON body from @a obj, which it steals (even on failure). */
void http_res_json_new(struct http_res *res, unsigned status, json_t *obj);
/** Sets a body from a copy of @a len bytes of @a data. */
void http_res_body(struct http_res *res, unsigned status, const char *content_type,
                   const char *data, size_t len);
/** Sets a body the response now owns (@a data was malloc'ed; freed with free()). */
void http_res_body_take(struct http_res *res, unsigned status, const char *content_type,
                        char *data, size_t len);

/**
 * Writes an RFC 9457 problem.
 * @param detail lowercase factual sentence (copied)
 * @param errors NULL, or an array of {field, message} objects, which it steals
 * @return @a err, so a handler can `return http_problem(...)`
 */
enum app_err http_problem(const struct http_req *req, struct http_res *res, enum app_err err,
                          const char *detail, json_t *errors);

/** Same with one {field, message} entry. */
enum app_err http_problem_field(const struct http_req *req, struct http_res *res,
                                enum app_err err, const char *detail, const char *field,
                                const char *message);

/** Frees everything @a res owns and zeroes it. */
void http_res_cleanup(struct http_res *res);

#endif
