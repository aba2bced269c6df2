/**
 * @file server.h
 * @brief The libmicrohttpd daemon: connections, body intake, framing checks, access log, drain.
 *
 * Thread per connection: a request blocked on the database (a big report, a locked row) holds
 * only its own connection's thread, never another client's. Database concurrency is bounded
 * separately by the connection pool. The only file that includes <microhttpd.h>.
 */
#ifndef HTTP_SERVER_H
#define HTTP_SERVER_H

#include "http/http.h"

#include <stdbool.h>
#include <stddef.h>

struct app;
struct http_server;

/** Runs one request: fills @a res; @a route_index receives the route's index for metrics. */
typedef void (*http_dispatch_fn)(struct http_req *req, struct http_res *res, size_t *route_index);

/**
 * Starts listening on the configured address and port.
 * @return a new server, or NULL with a message in @a errbuf
 */
struct http_server *http_server_start(struct app *app, http_dispatch_fn dispatch, char *errbuf,
                                      size_t errlen);

/** @return the port actually bound (useful with port 0). */
unsigned http_server_port(const struct http_server *srv);

/**
 * Stops accepting (new clients are refused at once), waits up to @a timeout_s for in-flight
 * requests, then stops and frees the server.
 * @param at_deadline called when requests are still running at the deadline, to end their
 *        waits (the database layer's db_abort_all()); they get one more second to answer
 * @return true when every in-flight request finished in time
 */
bool http_server_drain(struct http_server *srv, long timeout_s, void (*at_deadline)(void));

#endif
