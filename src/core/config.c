#include "core/config.h"

#include "core/xalloc.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The settings, sorted by name. Numeric ones carry their bounds. */
static const struct config_entry {
    struct config_key key;
    size_t str_offset;  /* offsetof the char * field, or SIZE_MAX */
    size_t long_offset; /* offsetof the long field, or SIZE_MAX */
    long min, max;
} config_entries[] = {
#define STR(n, d, f, desc) {{n, d, desc}, offsetof(struct config, f), SIZE_MAX, 0, 0}
#define NUM(n, d, f, lo, hi, desc) {{n, d, desc}, SIZE_MAX, offsetof(struct config, f), lo, hi}
    STR("DATABASE_URL", NULL, database_url, "libpq connection string or URI of the database"),
    STR("TRACKER_BIND", "127.0.0.1", bind, "IPv4 or IPv6 address to listen on"),
    NUM("TRACKER_CONNECTION_MEMORY", "32768", connection_memory, 8192, 1048576,
        "bytes of request-header memory per connection (larger headers get 431)"),
    STR("TRACKER_CORS_ORIGINS", "", cors_origins,
        "allowed browser origins: comma-separated list, or * for any; empty disables CORS"),
    NUM("TRACKER_DB_WAIT_MS", "2000", db_wait_ms, 1, 600000,
        "how long a request waits for a free database connection before 503"),
    NUM("TRACKER_DRAIN_TIMEOUT_S", "20", drain_timeout_s, 0, 3600,
        "on SIGTERM/SIGINT, how long in-flight requests may take before exit"),
    NUM("TRACKER_IDLE_TIMEOUT_S", "15", idle_timeout_s, 1, 3600,
        "a connection with no activity for this long is closed"),
    NUM("TRACKER_LOCK_TIMEOUT_MS", "2000", lock_timeout_ms, 0, 3600000,
        "PostgreSQL lock_timeout for the service's sessions"),
    STR("TRACKER_LOG_LEVEL", "info", log_level, "debug, info, warn or error"),
    NUM("TRACKER_MAX_BODY", "1048576", max_body, 1024, 67108864,
        "largest request body in bytes (larger gets 413)"),
    NUM("TRACKER_MAX_CONNECTIONS", "1000", max_connections, 1, 100000,
        "simultaneous client connections (excess ones are closed at once)"),
    STR("TRACKER_MIGRATIONS_DIR", "migrations", migrations_dir,
        "folder of NNNN_*.sql migration files"),
    STR("TRACKER_OPENAPI_FILE", "openapi.yaml", openapi_file,
        "the OpenAPI document served at /openapi.yaml"),
    NUM("TRACKER_PER_IP_CONNECTIONS", "200", per_ip_connections, 1, 100000,
        "simultaneous connections from one client address"),
    NUM("TRACKER_PORT", "8080", port, 0, 65535, "TCP port (0 picks a free one)"),
    NUM("TRACKER_QUERY_DEADLINE_MS", "6000", query_deadline_ms, 100, 3600000,
        "client-side deadline of one database call; past it the query is cancelled (504)"),
    NUM("TRACKER_STATEMENT_TIMEOUT_MS", "5000", statement_timeout_ms, 0, 3600000,
        "PostgreSQL statement_timeout for the service's sessions"),
    NUM("TRACKER_THREADS", "8", threads, 1, 256,
        "database connections, i.e. requests doing database work at the same time"),
#undef STR
#undef NUM
};

#define CONFIG_COUNT (sizeof config_entries / sizeof config_entries[0])

const struct config_key *cfg_keys(void)
{
    static struct config_key keys[CONFIG_COUNT + 1];
    for (size_t i = 0; i < CONFIG_COUNT; i++)
        keys[i] = config_entries[i].key;
    return keys;
}

static bool cfg_parse_long(const char *text, long min, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool cfg_load(struct config *cfg, bool need_database, char *errbuf, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < CONFIG_COUNT; i++) {
        const struct config_entry *e = &config_entries[i];
        const char *value = getenv(e->key.name);
        if (value == NULL)
            value = e->key.default_text;
        if (value == NULL) {
            if (!need_database)
                continue;
            snprintf(errbuf, errlen, "missing configuration: %s", e->key.name);
            cfg_cleanup(cfg);
            return false;
        }
        if (e->str_offset != SIZE_MAX) {
            *(char **)((char *)cfg + e->str_offset) = xstrdup(value);
        } else if (!cfg_parse_long(value, e->min, e->max,
                                   (long *)((char *)cfg + e->long_offset))) {
            snprintf(errbuf, errlen, "invalid configuration: %s must be an integer in %ld..%ld",
                     e->key.name, e->min, e->max);
            cfg_cleanup(cfg);
            return false;
        }
    }
    return true;
}

void cfg_cleanup(struct config *cfg)
{
    free(cfg->bind);
    free(cfg->cors_origins);
    free(cfg->database_url);
    free(cfg->migrations_dir);
    free(cfg->openapi_file);
    free(cfg->log_level);
    memset(cfg, 0, sizeof *cfg);
}
