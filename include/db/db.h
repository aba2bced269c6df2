/**
 * @file db.h
 * @brief PostgreSQL access: a bounded pool of connections, prepared statements, deadlines.
 *
 * The only module that includes libpq. Every statement is registered once (db_register) and
 * prepared lazily, once per connection. Every call has a client-side deadline: the query is
 * sent asynchronously, the socket polled, and a late query cancelled, because a frozen backend
 * never answers a blocking PQexec. A broken connection is dropped and re-opened on next use.
 * Results are text; PGresult never leaves this module.
 */
#ifndef DB_DB_H
#define DB_DB_H

#include <stdbool.h>
#include <stddef.h>

/** A named SQL statement, prepared once per connection. */
struct db_stmt {
    const char *name; /* unique statement name */
    const char *sql;  /* text with $1.. parameters */
    int index;        /* assigned by db_register(); -1 before */
};

enum db_status {
    DB_OK = 0,     /* the statement ran; rows may be 0 */
    DB_ERROR,      /* PostgreSQL reported an error: see db_conn_sqlstate() */
    DB_CONN_LOST,  /* no connection, or it broke mid-call: the outcome is unknown */
    DB_TIMEOUT     /* the client-side deadline passed; the query was cancelled */
};

struct db_pool;
struct db_conn;
struct db_result;

struct db_pool_options {
    const char *conninfo;      /* libpq connection string or URI (borrowed, copied) */
    int size;                  /* number of connections */
    long wait_ms;              /* bounded wait for a free connection */
    long deadline_ms;          /* client-side deadline of one call */
    long statement_timeout_ms; /* server-side statement_timeout */
    long lock_timeout_ms;      /* server-side lock_timeout */
};

/** Counters for /metrics (read without locks; approximate while changing). */
struct db_stats {
    unsigned long connects;   /* connections opened (the first ones included) */
    unsigned long reconnects; /* connections re-opened after a failure */
    unsigned long errors;     /* statements that ended in an SQL error */
    unsigned long timeouts;   /* calls cancelled by the client-side deadline */
    unsigned long conn_lost;  /* calls that found the connection broken */
    unsigned long wait_timeouts; /* acquisitions that found no free connection in time */
};

/**
 * Registers statements so that they are prepared on each connection at first use.
 * Must be called before any pool is used; @a stmts must live for the process (borrowed).
 */
void db_register(struct db_stmt *stmts, size_t count);

/** @return a new pool (no connection is opened yet); free with db_pool_free(). */
struct db_pool *db_pool_new(const struct db_pool_options *opts);
void db_pool_free(struct db_pool *pool);
/** Ends every wait on the database at once (at the drain deadline); thread-safe. */
void db_abort_all(void);

/**
 * Takes a free connection, waiting at most the pool's wait_ms. Writes (@a write) may hold only
 * three quarters of the pool (all of it below 4 connections): the rest is kept for reads.
 * @return a borrowed connection to give back with db_pool_release(), or NULL on timeout.
 */
struct db_conn *db_pool_acquire(struct db_pool *pool, bool write);

/** Gives @a conn back; an open transaction is rolled back first. NULL is a no-op. */
void db_pool_release(struct db_pool *pool, struct db_conn *conn);

/** Copies the counters into @a out. */
void db_pool_stats(const struct db_pool *pool, struct db_stats *out);

/**
 * Runs a registered statement with text parameters (NULL = SQL NULL).
 * @param[out] out on DB_OK, a new result to free with db_result_free(); else NULL
 */
enum db_status db_exec(struct db_conn *conn, const struct db_stmt *stmt, int nparams,
                       const char *const *params, struct db_result **out);

/**
 * Starts a statement whose rows are read one at a time (libpq single-row mode), so a large
 * answer streams without being held in memory. Read with db_stream_next() until it gives
 * no row; the connection is busy until then (db_pool_release() drops it if abandoned).
 */
enum db_status db_stream_start(struct db_conn *conn, const struct db_stmt *stmt, int nparams,
                               const char *const *params);

/**
 * Reads the next row of a streamed statement, waiting at most the deadline.
 * @param[out] row a new one-row result, or NULL at the end
 */
enum db_status db_stream_next(struct db_conn *conn, struct db_result **row);

/** Runs one-off SQL (no parameters), e.g. "BEGIN"; the result is discarded. */
enum db_status db_exec_simple(struct db_conn *conn, const char *sql);

/** BEGIN/COMMIT/ROLLBACK with the same deadline rules. */
enum db_status db_begin(struct db_conn *conn);
enum db_status db_commit(struct db_conn *conn);
enum db_status db_rollback(struct db_conn *conn);

/**
 * After DB_CONN_LOST: was an open connection lost (worth one retry on a fresh one), rather than
 * a new connection refused or timed out (where a retry would only wait again)?
 */
bool db_conn_lost_open(const struct db_conn *conn);

/** @return the SQLSTATE of the last DB_ERROR ("" if none; borrowed, valid until next call). */
const char *db_conn_sqlstate(const struct db_conn *conn);
/** @return the primary message of the last error (borrowed). */
const char *db_conn_message(const struct db_conn *conn);
/** @return the constraint name of the last error, "" if none (borrowed). */
const char *db_conn_constraint(const struct db_conn *conn);
/** @return the detail of the last error, "" if none (borrowed). */
const char *db_conn_detail(const struct db_conn *conn);

int db_result_rows(const struct db_result *r);
int db_result_cols(const struct db_result *r);
/** @return the text of a value ("" for NULL; borrowed, lives as long as @a r). */
const char *db_result_value(const struct db_result *r, int row, int col);
size_t db_result_length(const struct db_result *r, int row, int col);
bool db_result_is_null(const struct db_result *r, int row, int col);
void db_result_free(struct db_result *r);

/**
 * Opens a single connection outside any pool (for migrate, import, token commands).
 * @param[out] errbuf one-line message on failure
 * @return a new connection to close with db_conn_close(), or NULL
 */
struct db_conn *db_conn_open(const char *conninfo, long deadline_ms, char *errbuf, size_t errlen);
void db_conn_close(struct db_conn *conn);

/** Runs @a sql (several statements allowed, no parameters) with the simple-query protocol. */
enum db_status db_exec_script(struct db_conn *conn, const char *sql);

/** Runs one-off SQL with parameters (not prepared), e.g. in migrate. */
enum db_status db_exec_params(struct db_conn *conn, const char *sql, int nparams,
                              const char *const *params, struct db_result **out);

#endif
