/**
 * @file config.h
 * @brief The service's settings: one table of environment variables with defaults.
 *
 * cfg_load() reads the environment once at start-up, validates every value and fails fast with
 * a one-line message. The result is immutable and reached through struct app.
 */
#ifndef CORE_CONFIG_H
#define CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct config {
    char *bind;                 /* TRACKER_BIND */
    char *cors_origins;         /* TRACKER_CORS_ORIGINS: comma list, "*" or "" */
    char *database_url;         /* DATABASE_URL */
    char *migrations_dir;       /* TRACKER_MIGRATIONS_DIR */
    char *openapi_file;         /* TRACKER_OPENAPI_FILE */
    char *log_level;            /* TRACKER_LOG_LEVEL */
    long port;                  /* TRACKER_PORT */
    long threads;               /* TRACKER_THREADS: requests processed at once = DB connections */
    long max_connections;       /* TRACKER_MAX_CONNECTIONS */
    long per_ip_connections;    /* TRACKER_PER_IP_CONNECTIONS */
    long idle_timeout_s;        /* TRACKER_IDLE_TIMEOUT_S */
    long connection_memory;     /* TRACKER_CONNECTION_MEMORY */
    long max_body;              /* TRACKER_MAX_BODY */
    long statement_timeout_ms;  /* TRACKER_STATEMENT_TIMEOUT_MS */
    long lock_timeout_ms;       /* TRACKER_LOCK_TIMEOUT_MS */
    long query_deadline_ms;     /* TRACKER_QUERY_DEADLINE_MS */
    long db_wait_ms;            /* TRACKER_DB_WAIT_MS */
    long drain_timeout_s;       /* TRACKER_DRAIN_TIMEOUT_S */
};

/** One documented setting (the README table is checked against this list). */
struct config_key {
    const char *name;         /* environment variable */
    const char *default_text; /* default as text; NULL when required */
    const char *description;
};

/** @return the settings table, sorted by name, ending with a NULL name (borrowed, static). */
const struct config_key *cfg_keys(void);

/**
 * Loads the settings from the environment into @a cfg.
 * @param need_database whether DATABASE_URL is required for the command being run
 * @param[out] errbuf one-line message on failure
 * @return true on success; on failure @a cfg is left cleaned up
 */
bool cfg_load(struct config *cfg, bool need_database, char *errbuf, size_t errlen);

/** Frees the strings of @a cfg (the struct itself is the caller's). */
void cfg_cleanup(struct config *cfg);

#endif
