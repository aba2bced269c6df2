#include "http/server.h"

#include "core/app.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "http/metrics.h"
#include "http/router.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <jansson.h>
#include <limits.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

struct http_server {
    struct MHD_Daemon *daemon;
    struct app *app;
    http_dispatch_fn dispatch;
    atomic_int in_flight; /* requests between their first call and completion */
};

/* Per-request context: the request-lifetime arena, freed in on_completed(). */
struct req_ctx {
    struct http_server *srv;
    struct http_req req;
    struct http_res res;
    char *method, *path;
    char *body;
    size_t body_len, body_cap;
    long long started_us;
    size_t route_index;
    bool rejected; /* answered on the first call (framing, declared size) */
    size_t streamed; /* bytes of a streamed answer sent so far (for the access log) */
};

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- request accessors (declared in http.h) ---- */

static const char *fake_lookup(const char *const *pairs, const char *name, bool nocase)
{
    for (size_t i = 0; pairs != NULL && pairs[i] != NULL; i += 2)
        if (nocase ? strcasecmp(pairs[i], name) == 0 : strcmp(pairs[i], name) == 0)
            return pairs[i + 1];
    return NULL;
}

const char *http_req_header(const struct http_req *req, const char *name)
{
    if (req->conn == NULL)
        return fake_lookup(req->fake_headers, name, true);
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_req_query(const struct http_req *req, const char *name)
{
    if (req->conn == NULL)
        return fake_lookup(req->fake_query, name, false);
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct count_ctx {
    const char *name;
    size_t n;
};

static enum MHD_Result count_value(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    (void)value;
    struct count_ctx *c = cls;
    if (strcmp(key, c->name) == 0)
        c->n++;
    return MHD_YES;
}

size_t http_req_query_count(const struct http_req *req, const char *name)
{
    if (req->conn == NULL) {
        size_t n = 0;
        for (size_t i = 0; req->fake_query != NULL && req->fake_query[i] != NULL; i += 2)
            if (strcmp(req->fake_query[i], name) == 0)
                n++;
        return n;
    }
    struct count_ctx c = {name, 0};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, count_value, &c);
    return c.n;
}

struct rebuild_ctx {
    const char *skip;
    char *out;
    size_t len, cap;
};

static void rebuild_put(struct rebuild_ctx *r, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if (r->len + 4 > r->cap) {
            r->cap = r->cap * 2 + 64;
            r->out = xrealloc(r->out, r->cap);
        }
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~' || ch == ',') {
            r->out[r->len++] = (char)ch;
        } else {
            r->out[r->len++] = '%';
            r->out[r->len++] = hex[ch >> 4];
            r->out[r->len++] = hex[ch & 15];
        }
    }
}

static void rebuild_raw(struct rebuild_ctx *r, char ch)
{
    if (r->len + 2 > r->cap) {
        r->cap = r->cap * 2 + 64;
        r->out = xrealloc(r->out, r->cap);
    }
    r->out[r->len++] = ch;
}

static enum MHD_Result rebuild_value(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    struct rebuild_ctx *r = cls;
    if (strcmp(key, r->skip) == 0)
        return MHD_YES;
    if (r->len > 0)
        rebuild_raw(r, '&');
    rebuild_put(r, key);
    if (value != NULL) {
        rebuild_raw(r, '=');
        rebuild_put(r, value);
    }
    return MHD_YES;
}

char *http_req_query_without(const struct http_req *req, const char *skip)
{
    struct rebuild_ctx r = {skip, xmalloc(64), 0, 64};
    if (req->conn != NULL) {
        MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, rebuild_value, &r);
    } else {
        for (size_t i = 0; req->fake_query != NULL && req->fake_query[i] != NULL; i += 2)
            rebuild_value(&r, MHD_GET_ARGUMENT_KIND, req->fake_query[i], req->fake_query[i + 1]);
    }
    r.out[r.len] = '\0';
    return r.out;
}

struct each_ctx {
    http_query_fn fn;
    void *cls;
};

static enum MHD_Result each_value(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    struct each_ctx *e = cls;
    e->fn(e->cls, key, value);
    return MHD_YES;
}

void http_req_query_each(const struct http_req *req, http_query_fn fn, void *cls)
{
    if (req->conn == NULL) {
        for (size_t i = 0; req->fake_query != NULL && req->fake_query[i] != NULL; i += 2)
            fn(cls, req->fake_query[i], req->fake_query[i + 1]);
        return;
    }
    struct each_ctx e = {fn, cls};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, each_value, &e);
}

/* ---- framing checks on the first call ---- */

struct framing {
    int content_length, transfer_encoding, host, authorization, content_type, if_match,
        idempotency_key;
    bool bad_te, bad_name;
};

/* RFC 9110 5.1: a field name is a token. libmicrohttpd keeps "Transfer-Encoding " (a space before
 * the colon) as a name of its own, which a proxy in front may read as the real header: RFC 9112
 * 5.1 says to refuse such a request with 400, so no two readers disagree on its framing. */
static bool header_name_ok(const char *key)
{
    if (key == NULL || *key == '\0')
        return false;
    for (const char *c = key; *c != '\0'; c++) {
        if (!isalnum((unsigned char)*c) && strchr("!#$%&'*+-.^_`|~", *c) == NULL)
            return false;
    }
    return true;
}

static enum MHD_Result framing_count(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    struct framing *f = cls;
    if (!header_name_ok(key))
        f->bad_name = true;
    if (strcasecmp(key, "Content-Length") == 0)
        f->content_length++;
    else if (strcasecmp(key, "Transfer-Encoding") == 0) {
        f->transfer_encoding++;
        if (value == NULL || strcasecmp(value, "chunked") != 0)
            f->bad_te = true;
    } else if (strcasecmp(key, "Host") == 0)
        f->host++;
    else if (strcasecmp(key, "Authorization") == 0)
        f->authorization++;
    else if (strcasecmp(key, "Content-Type") == 0)
        f->content_type++;
    else if (strcasecmp(key, "If-Match") == 0)
        f->if_match++;
    else if (strcasecmp(key, "Idempotency-Key") == 0)
        f->idempotency_key++;
    return MHD_YES;
}

/* @return NULL when the framing is sound, else why not (static text). */
static const char *framing_problem(struct MHD_Connection *conn)
{
    struct framing f = {0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, framing_count, &f);
    if (f.bad_name)
        return "a header name that is not a token (whitespace before the colon?)";
    if (f.content_length > 1)
        return "more than one content-length header";
    if (f.transfer_encoding > 1)
        return "more than one transfer-encoding header";
    if (f.content_length > 0 && f.transfer_encoding > 0)
        return "both content-length and transfer-encoding";
    if (f.bad_te)
        return "transfer-encoding other than chunked";
    if (f.host > 1 || f.authorization > 1 || f.content_type > 1 || f.if_match > 1 ||
        f.idempotency_key > 1)
        return "a header that may appear once is repeated";
    return NULL;
}

/* Does the request declare a Content-Length? *length is its value, ULLONG_MAX when malformed. */
static bool declared_length(struct MHD_Connection *conn, unsigned long long *length)
{
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (cl == NULL)
        return false;
    char *end = NULL;
    *length = strtoull(cl, &end, 10);
    if (end == cl || *end != '\0')
        *length = ULLONG_MAX;
    return true;
}

static bool declared_too_large(struct MHD_Connection *conn, long max)
{
    unsigned long long v;
    return declared_length(conn, &v) && v > (unsigned long long)max;
}

/* Largest declared body over the limit that is read and dropped before the 413 is sent. */
#define DRAIN_MAX (16L * 1024 * 1024)

/*
 * Is a body over the limit better read and dropped than left unread? A client that sends it
 * without waiting for `100 Continue` has it on the wire already, and closing the connection on
 * unread bytes makes the kernel send a reset, which can destroy the answer before the client
 * reads it. One that asked for `100 Continue` sends nothing until told to, and a huge body is
 * not worth the reading: both are answered at once.
 */
static bool body_worth_draining(struct MHD_Connection *conn)
{
    const char *expect = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Expect");
    if (expect != NULL && strcasecmp(expect, "100-continue") == 0)
        return false;
    unsigned long long v;
    return declared_length(conn, &v) && v <= (unsigned long long)DRAIN_MAX;
}

/* ---- request id ---- */

static bool request_id_ok(const char *id)
{
    size_t n = 0;
    for (; id[n] != '\0'; n++) {
        char c = id[n];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return n >= 1 && n <= 128;
}

/*
 * A random (version 4) UUID as text. libuuid's uuid_generate_random() makes five system calls
 * each time (getrandom, then getpid, getuid, gettid and getppid to stir its fallback generator),
 * a third of the service's system calls for a read (bench/README.md); this takes the bytes from a
 * per-thread buffer that one getrandom() fills for 16 ids.
 */
static void request_id_random(char *out)
{
    static _Thread_local unsigned char pool[16 * 16];
    static _Thread_local size_t used = sizeof pool;
    if (used == sizeof pool) {
        if (getrandom(pool, sizeof pool, 0) != (ssize_t)sizeof pool) {
            uuid_t u;
            uuid_generate_random(u);
            uuid_unparse_lower(u, out);
            return;
        }
        used = 0;
    }
    unsigned char *b = pool + used;
    used += 16;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* variant 10 */
    uuid_unparse_lower(b, out);
}

static void request_id_set(struct req_ctx *ctx, struct MHD_Connection *conn)
{
    const char *given = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    if (given != NULL && request_id_ok(given)) {
        snprintf(ctx->req.request_id, sizeof ctx->req.request_id, "%s", given);
        return;
    }
    request_id_random(ctx->req.request_id);
}

/* ---- responses ---- */

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct req_ctx *ctx = cls;
    long n = ctx->res.stream(ctx->res.stream_cls, buf, max);
    if (n > 0) {
        ctx->streamed += (size_t)n;
        return (ssize_t)n;
    }
    return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

static enum MHD_Result queue(struct MHD_Connection *conn, struct req_ctx *ctx)
{
    struct http_res *res = &ctx->res;
    struct MHD_Response *r;
    if (res->stream != NULL) {
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_reader, ctx,
                                              NULL);
    } else {
        r = MHD_create_response_from_buffer(res->body_len, res->body, MHD_RESPMEM_MUST_FREE);
        if (r != NULL)
            res->body = NULL; /* MHD owns it now */
    }
    if (r == NULL)
        return MHD_NO;
    if (res->content_type != NULL)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, res->content_type);
    MHD_add_response_header(r, "X-Request-Id", ctx->req.request_id);
    if (res->etag != NULL)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, res->etag);
    for (size_t i = 0; i < res->nheaders; i++)
        MHD_add_response_header(r, res->headers[i].name, res->headers[i].value);
    if (atomic_load(&ctx->srv->app->draining) || ctx->rejected)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(conn, res->status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result reject_early(struct MHD_Connection *conn, struct req_ctx *ctx,
                                    enum app_err err, const char *detail)
{
    ctx->rejected = true;
    http_problem(&ctx->req, &ctx->res, err, detail, NULL);
    return queue(conn, ctx);
}

/* ---- libmicrohttpd callbacks ---- */

static struct req_ctx *ctx_new(struct http_server *srv, struct MHD_Connection *conn,
                               const char *url, const char *method)
{
    struct req_ctx *ctx = xcalloc(1, sizeof *ctx);
    ctx->srv = srv;
    ctx->started_us = now_us();
    ctx->method = xstrdup(method);
    ctx->path = xstrdup(url);
    ctx->route_index = srv->app->nroutes;
    ctx->req.method = ctx->method;
    ctx->req.path = ctx->path;
    ctx->req.app = srv->app;
    ctx->req.conn = conn;
    request_id_set(ctx, conn);
    atomic_fetch_add(&srv->in_flight, 1);
    return ctx;
}

static void body_append(struct req_ctx *ctx, const char *data, size_t len, long max)
{
    if (ctx->req.body_too_large)
        return;
    if (ctx->body_len + len > (size_t)max) {
        ctx->req.body_too_large = true;
        return;
    }
    if (ctx->body_len + len + 1 > ctx->body_cap) {
        ctx->body_cap = (ctx->body_len + len + 1) * 2;
        if (ctx->body_cap > (size_t)max + 1)
            ctx->body_cap = (size_t)max + 1;
        ctx->body = xrealloc(ctx->body, ctx->body_cap);
    }
    memcpy(ctx->body + ctx->body_len, data, len);
    ctx->body_len += len;
    ctx->body[ctx->body_len] = '\0';
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct http_server *srv = cls;
    struct req_ctx *ctx = *con_cls;
    if (ctx == NULL) {
        ctx = ctx_new(srv, conn, url, method);
        *con_cls = ctx;
        const char *why = framing_problem(conn);
        if (why != NULL)
            return reject_early(conn, ctx, APP_ERR_BAD_REQUEST, why);
        if (declared_too_large(conn, srv->app->cfg.max_body)) {
            /* The body is never kept. The handler still runs (without it), so 404 / 405 / 401 /
             * 403 come before 413 as for any other request: after the body was read and
             * dropped, or now, closing the connection. */
            ctx->req.body_too_large = true;
            if (body_worth_draining(conn))
                return MHD_YES;
            ctx->rejected = true;
            srv->dispatch(&ctx->req, &ctx->res, &ctx->route_index);
            return queue(conn, ctx);
        }
        /* queue on a later call: on the first, libmicrohttpd would close the connection */
        return MHD_YES;
    }
    if (ctx->rejected)
        return MHD_YES;
    if (*upload_data_size > 0) {
        body_append(ctx, upload_data, *upload_data_size, srv->app->cfg.max_body);
        *upload_data_size = 0;
        return MHD_YES;
    }
    ctx->req.body = ctx->body;
    ctx->req.body_len = ctx->body_len;
    srv->dispatch(&ctx->req, &ctx->res, &ctx->route_index);
    return queue(conn, ctx);
}

static void access_log(const struct req_ctx *ctx, unsigned status, long long micros)
{
    char now[40];
    log_time_now(now, sizeof now);
    const char *route = ctx->req.route ? ctx->req.route->pattern : NULL;
    json_t *line = json_pack("{s:s, s:s, s:s, s:s, s:o, s:i, s:I, s:I, s:s}", "time", now,
                             "level", "info", "msg", "request", "method", ctx->method, "route",
                             route ? json_string(route) : json_null(), "status", (int)status,
                             "bytes", (json_int_t)(ctx->res.body_len + ctx->streamed),
                             "us", (json_int_t)micros,
                             "request_id", ctx->req.request_id);
    if (line == NULL)
        return;
    char *text = json_dumps(line, JSON_COMPACT);
    if (text != NULL)
        log_line(text, strlen(text));
    free(text);
    json_decref(line);
}

/* What a request that ended before any answer counts as in the log and the metrics: the
 * client's doing (408 for a body that stopped coming, 499 for a client that went away, as
 * nginx logs it) is not a server error. */
static unsigned unanswered_status(enum MHD_RequestTerminationCode toe)
{
    switch (toe) {
        case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED:
            return 408;
        case MHD_REQUEST_TERMINATED_CLIENT_ABORT:
        case MHD_REQUEST_TERMINATED_READ_ERROR:
            return 499;
        case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN:
            return 503;
        case MHD_REQUEST_TERMINATED_WITH_ERROR:
            /* refused while it was read (a malformed chunk): libmicrohttpd answered 400 itself;
             * a failure of the service's own comes after dispatch, with a status set */
            return 400;
        default:
            return 500;
    }
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    struct http_server *srv = cls;
    struct req_ctx *ctx = *con_cls;
    if (ctx == NULL)
        return;
    *con_cls = NULL;
    long long micros = now_us() - ctx->started_us;
    unsigned status = ctx->res.status ? ctx->res.status : unanswered_status(toe);
    access_log(ctx, status, micros);
    metrics_observe(srv->app->metrics, ctx->route_index, status, micros);
    http_res_cleanup(&ctx->res);
    for (size_t i = 0; i < ctx->req.nparams; i++)
        free(ctx->req.params[i]);
    free(ctx->req.who.name);
    free(ctx->body);
    free(ctx->method);
    free(ctx->path);
    free(ctx);
    atomic_fetch_sub(&srv->in_flight, 1);
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_msg(LOG_DEBUG, "libmicrohttpd: %s", msg);
}

/* ---- URL decoding ---- */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Percent-decoding in place, except %00: decoded, a NUL would cut "/v1/resolutions%00x" to
 * "/v1/resolutions" and route it; kept as the three characters, it matches no route.
 */
static size_t unescape_keep_nul(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    char *r = s, *w = s;
    while (*r != '\0') {
        int hi = r[0] == '%' ? hex_value(r[1]) : -1;
        int lo = hi >= 0 ? hex_value(r[2]) : -1;
        if (lo >= 0 && (hi | lo) != 0) {
            *w++ = (char)(hi * 16 + lo);
            r += 3;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

/* ---- start and drain ---- */

static bool bind_address(const char *bind, unsigned port, struct sockaddr_storage *ss,
                         bool *ipv6)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, bind, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        *ipv6 = false;
        return true;
    }
    if (inet_pton(AF_INET6, bind, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *ipv6 = true;
        return true;
    }
    return false;
}

struct http_server *http_server_start(struct app *app, http_dispatch_fn dispatch, char *errbuf,
                                      size_t errlen)
{
    const struct config *cfg = &app->cfg;
    struct sockaddr_storage addr;
    bool ipv6 = false;
    if (!bind_address(cfg->bind, (unsigned)cfg->port, &addr, &ipv6)) {
        snprintf(errbuf, errlen, "invalid configuration: TRACKER_BIND is not an IP address");
        return NULL;
    }
    struct http_server *srv = xcalloc(1, sizeof *srv);
    srv->app = app;
    srv->dispatch = dispatch;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (ipv6)
        flags |= MHD_USE_IPv6;
    srv->daemon = MHD_start_daemon(
        flags, (uint16_t)cfg->port, NULL, NULL, on_access, srv, MHD_OPTION_SOCK_ADDR, &addr,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->per_ip_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->idle_timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)cfg->connection_memory,
        MHD_OPTION_STRICT_FOR_CLIENT, (int)1, MHD_OPTION_THREAD_STACK_SIZE,
        (size_t)(1024 * 1024), MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)511,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_UNESCAPE_CALLBACK,
        unescape_keep_nul, NULL, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log,
        NULL, MHD_OPTION_END);
    if (srv->daemon == NULL) {
        snprintf(errbuf, errlen, "cannot listen on %s port %ld", cfg->bind, cfg->port);
        free(srv);
        return NULL;
    }
    return srv;
}

unsigned http_server_port(const struct http_server *srv)
{
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}

bool http_server_drain(struct http_server *srv, long timeout_s, void (*at_deadline)(void))
{
    MHD_socket fd = MHD_quiesce_daemon(srv->daemon);
    /* quiesce leaves the socket listening, so new clients would hang in the backlog */
    if (fd != MHD_INVALID_SOCKET)
        shutdown(fd, SHUT_RDWR);
    long long deadline = now_us() + (long long)timeout_s * 1000000;
    while (atomic_load(&srv->in_flight) > 0 && now_us() < deadline) {
        struct timespec pause = {0, 20 * 1000000};
        nanosleep(&pause, NULL);
    }
    bool clean = atomic_load(&srv->in_flight) == 0;
    if (!clean) {
        /* requests still waiting on the database: end those waits so that they answer and
           their threads return; MHD_stop_daemon() joins them */
        if (at_deadline != NULL)
            at_deadline();
        long long grace = now_us() + 1000000;
        while (atomic_load(&srv->in_flight) > 0 && now_us() < grace) {
            struct timespec pause = {0, 20 * 1000000};
            nanosleep(&pause, NULL);
        }
    }
    MHD_stop_daemon(srv->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    free(srv);
    return clean;
}
