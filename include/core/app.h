/**
 * @file app.h
 * @brief The process-lifetime state shared by every request: settings, database pool, routes.
 */
#ifndef CORE_APP_H
#define CORE_APP_H

#include "core/config.h"

#include <stdatomic.h>
#include <stddef.h>

struct db_pool;
struct route;
struct metrics;

struct app {
    struct config cfg;           /* immutable after start-up */
    struct db_pool *pool;        /* owned */
    const struct route *routes;  /* borrowed, static table ending with a NULL pattern */
    size_t nroutes;
    char *openapi;               /* owned: the served openapi.yaml, or NULL */
    size_t openapi_len;
    char latest_migration[16];   /* newest migration version the binary knows */
    struct metrics *metrics;     /* owned */
    atomic_bool draining;        /* set on SIGTERM: /readyz answers 503 */
};

#endif
