/**
 * @file router.h
 * @brief Route table matching: method + path template ("/v1/users/{id}") to a handler.
 *
 * Matching is by path first, so a known path with another method is told apart (405 with the
 * methods that exist) from an unknown path (404).
 */
#ifndef HTTP_ROUTER_H
#define HTTP_ROUTER_H

#include "http/http.h"

#include <stddef.h>

enum route_flags {
    ROUTE_BODY = 1u << 0,     /* expects a JSON body */
    ROUTE_CSV = 1u << 1,      /* also answers text/csv */
    ROUTE_NO_RETRY = 1u << 2, /* never re-run after a lost connection */
    ROUTE_NO_AUTH = 1u << 3,  /* operations endpoints: a sent token is not looked at */
    ROUTE_SECRET_ANSWER = 1u << 4, /* the answer holds a secret: kept only sealed for replays */
};

struct route {
    const char *method;       /* "GET", "POST", ... */
    const char *pattern;      /* "/v1/users/{id}"; NULL ends the table */
    http_handler_fn handler;
    unsigned flags;
};

enum route_match { ROUTE_FOUND, ROUTE_NOT_FOUND, ROUTE_METHOD_NOT_ALLOWED };

/**
 * Finds the route for @a method and @a path.
 * @param[out] found the matched route (borrowed) when ROUTE_FOUND
 * @param[out] params new copies of the path captures (free each with free())
 * @param[out] allow when ROUTE_METHOD_NOT_ALLOWED or ROUTE_FOUND: the methods of the path,
 *             ", "-separated (HEAD is served as GET)
 */
enum route_match router_match(const struct route *routes, const char *method, const char *path,
                              const struct route **found, char **params, size_t *nparams,
                              char *allow, size_t allow_len);

/** @return the index of @a r in @a routes (for metrics). */
size_t router_index(const struct route *routes, const struct route *r);

#endif
