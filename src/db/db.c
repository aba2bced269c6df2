#include "db/db.h"

#include "core/log.h"
#include "core/xalloc.h"

#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DB_MAX_STMTS 512

static struct db_stmt *registered[DB_MAX_STMTS];
/* set at the drain deadline: every wait on the database ends at once */
static atomic_bool aborting;

void db_abort_all(void)
{
    atomic_store(&aborting, true);
}
static int registered_count;

struct db_conn {
    PGconn *pg;               /* NULL while disconnected */
    bool streaming;           /* a single-row-mode statement has rows left */
    bool lost_open;           /* the last loss was of an open connection (not a failed connect) */
    struct db_pool *pool;     /* NULL for a standalone connection */
    char *conninfo;           /* standalone connections only */
    long deadline_ms;
    bool busy;                /* handed out by the pool */
    bool writer;              /* handed out to a write (counted in the pool's writers) */
    bool in_tx;               /* BEGIN sent and not yet ended */
    bool ever_connected;
    bool prepared[DB_MAX_STMTS];
    char sqlstate[6];
    char *message;
    char *constraint;
    char *detail;
};

struct db_result {
    PGresult *res;
};

struct db_pool {
    char *conninfo;
    long wait_ms, deadline_ms, statement_timeout_ms, lock_timeout_ms;
    int size;
    int writers, max_writers; /* connections held by writes, and their cap (see db_pool_new) */
    struct db_conn *conns;
    pthread_mutex_t lock;
    /* Readers and writers wait apart, so that a release wakes one of each at most (a broadcast
     * woke every waiting request thread for one connection: most of the service's CPU at 64
     * connections), and never a writer that the cap would send back to sleep. */
    pthread_cond_t reader_freed, writer_freed;
    int readers_waiting, writers_waiting;
    atomic_ulong connects, reconnects, errors, timeouts, conn_lost, wait_timeouts;
};

void db_register(struct db_stmt *stmts, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (registered_count >= DB_MAX_STMTS) {
            log_msg(LOG_ERROR, "too many statements registered");
            abort();
        }
        stmts[i].index = registered_count;
        registered[registered_count++] = &stmts[i];
    }
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- errors ---- */

static void conn_clear_error(struct db_conn *c)
{
    c->sqlstate[0] = '\0';
    free(c->message);
    free(c->constraint);
    free(c->detail);
    c->message = c->constraint = c->detail = NULL;
}

static void conn_set_error(struct db_conn *c, const PGresult *res, const char *fallback)
{
    conn_clear_error(c);
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *cons = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
    const char *det = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    snprintf(c->sqlstate, sizeof c->sqlstate, "%s", state ? state : "");
    c->message = xstrdup(msg ? msg : (fallback ? fallback : "database error"));
    c->constraint = xstrdup(cons ? cons : "");
    c->detail = xstrdup(det ? det : "");
}

bool db_conn_lost_open(const struct db_conn *c)
{
    return c->lost_open;
}

const char *db_conn_sqlstate(const struct db_conn *c)
{
    return c->sqlstate;
}

const char *db_conn_message(const struct db_conn *c)
{
    return c->message ? c->message : "";
}

const char *db_conn_constraint(const struct db_conn *c)
{
    return c->constraint ? c->constraint : "";
}

const char *db_conn_detail(const struct db_conn *c)
{
    return c->detail ? c->detail : "";
}

/* ---- connecting ---- */

static void conn_drop(struct db_conn *c)
{
    if (c->pg != NULL) {
        PQfinish(c->pg);
        c->lost_open = true;
    }
    c->pg = NULL;
    c->in_tx = false;
    memset(c->prepared, 0, sizeof c->prepared);
}

static PGconn *pg_connect(const char *conninfo, long statement_timeout_ms, long lock_timeout_ms,
                          long deadline_ms)
{
    char options[256];
    /* client_connection_check_interval: a statement whose client dropped the connection (after
       a client-side deadline) is ended by the server within a second */
    snprintf(options, sizeof options,
             "-c statement_timeout=%ld -c lock_timeout=%ld -c TimeZone=UTC "
             "-c idle_in_transaction_session_timeout=60000 -c client_connection_check_interval=1000",
             statement_timeout_ms, lock_timeout_ms);
    /* later keywords override what the expanded connection string says */
    const char *keys[] = {"dbname", "connect_timeout", "application_name", "options", NULL};
    /* a connect is bounded by the same deadline as a query (libpq counts whole seconds, >= 2) */
    char connect_timeout[16];
    long seconds = (deadline_ms + 999) / 1000;
    snprintf(connect_timeout, sizeof connect_timeout, "%ld",
             seconds < 2 ? 2 : (seconds > 10 ? 10 : seconds));
    const char *values[] = {conninfo, connect_timeout, "tracker", options, NULL};
    return PQconnectdbParams(keys, values, 1);
}

/* server notices ("relation already exists, skipping") are not errors: keep them off stderr */
static void notice_ignore(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static bool conn_ensure(struct db_conn *c)
{
    if (c->pg != NULL && PQstatus(c->pg) == CONNECTION_OK)
        return true;
    conn_drop(c);
    const char *conninfo = c->pool ? c->pool->conninfo : c->conninfo;
    long st = c->pool ? c->pool->statement_timeout_ms : 0;
    long lt = c->pool ? c->pool->lock_timeout_ms : 0;
    PGconn *pg = pg_connect(conninfo, st, lt, c->deadline_ms);
    if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
        conn_clear_error(c);
        c->message = xstrdup(pg ? PQerrorMessage(pg) : "out of memory");
        if (pg != NULL)
            PQfinish(pg);
        c->lost_open = false; /* the server did not answer a new connection */
        return false;
    }
    PQsetNoticeProcessor(pg, notice_ignore, NULL);
    if (PQsetnonblocking(pg, 1) != 0) {
        PQfinish(pg);
        return false;
    }
    c->pg = pg;
    if (c->pool != NULL) {
        atomic_fetch_add(&c->pool->connects, 1);
        if (c->ever_connected)
            atomic_fetch_add(&c->pool->reconnects, 1);
    }
    c->ever_connected = true;
    return true;
}

/* ---- waiting with a deadline ---- */

static void pool_count(struct db_conn *c, enum db_status st)
{
    if (c->pool == NULL)
        return;
    if (st == DB_ERROR)
        atomic_fetch_add(&c->pool->errors, 1);
    else if (st == DB_TIMEOUT)
        atomic_fetch_add(&c->pool->timeouts, 1);
    else if (st == DB_CONN_LOST)
        atomic_fetch_add(&c->pool->conn_lost, 1);
}

/* Polls the socket until @a events or the deadline. @return 1 ready, 0 timeout, -1 error. */
static int conn_poll(PGconn *pg, short events, long long deadline)
{
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0 || atomic_load(&aborting))
            return 0;
        struct pollfd p = {.fd = PQsocket(pg), .events = events};
        /* in slices, so that db_abort_all() is noticed within 100 ms */
        int n = poll(&p, 1, (int)(left > 100 ? 100 : left));
        if (n == 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
        return 1;
    }
}

/* Flushes the outgoing query and waits until the whole result is in. */
static int conn_wait_ready(PGconn *pg, long long deadline)
{
    for (;;) {
        int f = PQflush(pg);
        if (f < 0)
            return -1;
        if (f == 0)
            break;
        int r = conn_poll(pg, POLLOUT | POLLIN, deadline);
        if (r <= 0)
            return r;
        if (PQconsumeInput(pg) == 0)
            return -1;
    }
    while (PQisBusy(pg)) {
        int r = conn_poll(pg, POLLIN, deadline);
        if (r <= 0)
            return r;
        if (PQconsumeInput(pg) == 0)
            return -1;
    }
    return 1;
}

/* Collects the results of a sent query. @a keep receives the last tuples/command result. */
static enum db_status conn_collect(struct db_conn *c, PGresult **keep)
{
    long long deadline = now_ms() + c->deadline_ms;
    int ready = conn_wait_ready(c->pg, deadline);
    if (ready == 0) {
        conn_set_error(c, NULL, "query abandoned: client-side deadline passed");
        /* PQcancel() would block without limit when the server host is frozen or partitioned:
           drop the connection instead; the backend notices (client_connection_check_interval) */
        conn_drop(c);
        return DB_TIMEOUT;
    }
    if (ready < 0) {
        conn_set_error(c, NULL, PQerrorMessage(c->pg));
        conn_drop(c);
        return DB_CONN_LOST;
    }
    enum db_status st = DB_OK;
    PGresult *res;
    while ((res = PQgetResult(c->pg)) != NULL) {
        ExecStatusType s = PQresultStatus(res);
        if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK || s == PGRES_EMPTY_QUERY) {
            if (keep != NULL && st == DB_OK) {
                PQclear(*keep);
                *keep = res;
                continue;
            }
        } else if (st == DB_OK) {
            conn_set_error(c, res, PQerrorMessage(c->pg));
            st = DB_ERROR;
        }
        PQclear(res);
    }
    if (PQstatus(c->pg) != CONNECTION_OK) {
        if (st == DB_OK || c->sqlstate[0] == '\0' || strncmp(c->sqlstate, "57P", 3) == 0 ||
            strncmp(c->sqlstate, "08", 2) == 0) {
            conn_drop(c);
            return DB_CONN_LOST;
        }
        conn_drop(c);
    }
    if (st == DB_ERROR && (strncmp(c->sqlstate, "57P", 3) == 0 || strncmp(c->sqlstate, "08", 2) == 0)) {
        conn_drop(c); /* admin shutdown or connection failure: the backend is gone */
        return DB_CONN_LOST;
    }
    return st;
}

static enum db_status conn_prepare(struct db_conn *c, const struct db_stmt *stmt)
{
    if (c->prepared[stmt->index])
        return DB_OK;
    if (!PQsendPrepare(c->pg, stmt->name, stmt->sql, 0, NULL)) {
        conn_set_error(c, NULL, PQerrorMessage(c->pg));
        conn_drop(c);
        return DB_CONN_LOST;
    }
    enum db_status st = conn_collect(c, NULL);
    if (st == DB_OK)
        c->prepared[stmt->index] = true;
    return st;
}

enum db_status db_exec(struct db_conn *c, const struct db_stmt *stmt, int nparams,
                       const char *const *params, struct db_result **out)
{
    *out = NULL;
    conn_clear_error(c);
    if (c->pg == NULL && c->in_tx) {
        c->in_tx = false; /* the transaction died with its connection */
        pool_count(c, DB_CONN_LOST);
        return DB_CONN_LOST;
    }
    if (!conn_ensure(c)) {
        pool_count(c, DB_CONN_LOST);
        return DB_CONN_LOST;
    }
    enum db_status st = conn_prepare(c, stmt);
    if (st != DB_OK) {
        pool_count(c, st);
        if (st == DB_ERROR)
            log_msg(LOG_ERROR, "cannot prepare %s: %s", stmt->name, db_conn_message(c));
        return st;
    }
    if (!PQsendQueryPrepared(c->pg, stmt->name, nparams, params, NULL, NULL, 0)) {
        conn_set_error(c, NULL, PQerrorMessage(c->pg));
        conn_drop(c);
        pool_count(c, DB_CONN_LOST);
        return DB_CONN_LOST;
    }
    PGresult *res = NULL;
    st = conn_collect(c, &res);
    pool_count(c, st);
    if (st != DB_OK) {
        PQclear(res);
        return st;
    }
    *out = xmalloc(sizeof **out);
    (*out)->res = res;
    return DB_OK;
}

enum db_status db_stream_start(struct db_conn *c, const struct db_stmt *stmt, int nparams,
                               const char *const *params)
{
    conn_clear_error(c);
    if (!conn_ensure(c)) {
        pool_count(c, DB_CONN_LOST);
        return DB_CONN_LOST;
    }
    enum db_status st = conn_prepare(c, stmt);
    if (st != DB_OK) {
        pool_count(c, st);
        return st;
    }
    if (!PQsendQueryPrepared(c->pg, stmt->name, nparams, params, NULL, NULL, 0) ||
        !PQsetSingleRowMode(c->pg)) {
        conn_set_error(c, NULL, PQerrorMessage(c->pg));
        conn_drop(c);
        pool_count(c, DB_CONN_LOST);
        return DB_CONN_LOST;
    }
    c->streaming = true;
    return DB_OK;
}

enum db_status db_stream_next(struct db_conn *c, struct db_result **row)
{
    *row = NULL;
    if (!c->streaming || c->pg == NULL)
        return DB_OK;
    int ready = conn_wait_ready(c->pg, now_ms() + c->deadline_ms);
    if (ready <= 0) {
        conn_set_error(c, NULL, ready == 0 ? "stream stalled past the deadline" : "connection lost");
        conn_drop(c);
        c->streaming = false;
        pool_count(c, ready == 0 ? DB_TIMEOUT : DB_CONN_LOST);
        return ready == 0 ? DB_TIMEOUT : DB_CONN_LOST;
    }
    PGresult *res = PQgetResult(c->pg);
    if (res != NULL && PQresultStatus(res) == PGRES_SINGLE_TUPLE) {
        *row = xmalloc(sizeof **row);
        (*row)->res = res;
        return DB_OK;
    }
    enum db_status st = DB_OK;
    if (res != NULL && PQresultStatus(res) != PGRES_TUPLES_OK) {
        conn_set_error(c, res, PQerrorMessage(c->pg));
        st = DB_ERROR;
    }
    PQclear(res);
    while ((res = PQgetResult(c->pg)) != NULL) /* the end of the statement */
        PQclear(res);
    c->streaming = false;
    pool_count(c, st);
    return st;
}

enum db_status db_exec_params(struct db_conn *c, const char *sql, int nparams,
                              const char *const *params, struct db_result **out)
{
    if (out != NULL)
        *out = NULL;
    conn_clear_error(c);
    if (!conn_ensure(c))
        return DB_CONN_LOST;
    if (!PQsendQueryParams(c->pg, sql, nparams, NULL, params, NULL, NULL, 0)) {
        conn_set_error(c, NULL, PQerrorMessage(c->pg));
        conn_drop(c);
        return DB_CONN_LOST;
    }
    PGresult *res = NULL;
    enum db_status st = conn_collect(c, &res);
    pool_count(c, st);
    if (st == DB_OK && out != NULL) {
        *out = xmalloc(sizeof **out);
        (*out)->res = res;
    } else {
        PQclear(res);
    }
    return st;
}

enum db_status db_exec_script(struct db_conn *c, const char *sql)
{
    conn_clear_error(c);
    if (c->pg == NULL && c->in_tx) {
        c->in_tx = false;
        return DB_CONN_LOST;
    }
    if (!conn_ensure(c))
        return DB_CONN_LOST;
    if (!PQsendQuery(c->pg, sql)) {
        conn_set_error(c, NULL, PQerrorMessage(c->pg));
        conn_drop(c);
        return DB_CONN_LOST;
    }
    enum db_status st = conn_collect(c, NULL);
    pool_count(c, st);
    return st;
}

enum db_status db_exec_simple(struct db_conn *c, const char *sql)
{
    return db_exec_script(c, sql);
}

enum db_status db_begin(struct db_conn *c)
{
    enum db_status st = db_exec_script(c, "BEGIN");
    if (st == DB_OK)
        c->in_tx = true;
    return st;
}

enum db_status db_commit(struct db_conn *c)
{
    enum db_status st = db_exec_script(c, "COMMIT");
    c->in_tx = false;
    return st;
}

enum db_status db_rollback(struct db_conn *c)
{
    if (c->pg == NULL) {
        c->in_tx = false;
        return DB_OK;
    }
    enum db_status st = db_exec_script(c, "ROLLBACK");
    c->in_tx = false;
    return st;
}

/* ---- results ---- */

int db_result_rows(const struct db_result *r)
{
    return PQntuples(r->res);
}

int db_result_cols(const struct db_result *r)
{
    return PQnfields(r->res);
}

const char *db_result_value(const struct db_result *r, int row, int col)
{
    return PQgetvalue(r->res, row, col);
}

size_t db_result_length(const struct db_result *r, int row, int col)
{
    return (size_t)PQgetlength(r->res, row, col);
}

bool db_result_is_null(const struct db_result *r, int row, int col)
{
    return PQgetisnull(r->res, row, col) != 0;
}

void db_result_free(struct db_result *r)
{
    if (r == NULL)
        return;
    PQclear(r->res);
    free(r);
}

/* ---- pool ---- */

struct db_pool *db_pool_new(const struct db_pool_options *o)
{
    struct db_pool *p = xcalloc(1, sizeof *p);
    p->conninfo = xstrdup(o->conninfo);
    p->size = o->size;
    /* A quarter of the connections (from 4 up) is kept for reads: writes queued on one locked
     * row wait out the lock timeout holding theirs, and must not make every reader wait too. */
    p->max_writers = o->size - (o->size >= 4 ? o->size / 4 : 0);
    p->wait_ms = o->wait_ms;
    p->deadline_ms = o->deadline_ms;
    p->statement_timeout_ms = o->statement_timeout_ms;
    p->lock_timeout_ms = o->lock_timeout_ms;
    p->conns = xcalloc((size_t)o->size, sizeof *p->conns);
    for (int i = 0; i < o->size; i++) {
        p->conns[i].pool = p;
        p->conns[i].deadline_ms = o->deadline_ms;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&p->reader_freed, &attr);
    pthread_cond_init(&p->writer_freed, &attr);
    pthread_condattr_destroy(&attr);
    return p;
}

void db_pool_free(struct db_pool *p)
{
    if (p == NULL)
        return;
    for (int i = 0; i < p->size; i++) {
        conn_drop(&p->conns[i]);
        conn_clear_error(&p->conns[i]);
    }
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->reader_freed);
    pthread_cond_destroy(&p->writer_freed);
    free(p->conns);
    free(p->conninfo);
    free(p);
}

/* A free connection the caller may take (an open one first), or NULL; under p->lock. */
static struct db_conn *pool_take(struct db_pool *p, bool write)
{
    if (write && p->writers >= p->max_writers)
        return NULL;
    struct db_conn *found = NULL;
    for (int i = 0; i < p->size && found == NULL; i++)
        if (!p->conns[i].busy && p->conns[i].pg != NULL)
            found = &p->conns[i];
    for (int i = 0; i < p->size && found == NULL; i++)
        if (!p->conns[i].busy)
            found = &p->conns[i];
    if (found != NULL) {
        found->busy = true;
        found->writer = write;
        p->writers += write;
    }
    return found;
}

/* Wakes one waiting reader and, when the cap lets one through, one waiting writer; under p->lock. */
static void pool_wake(struct db_pool *p)
{
    if (p->readers_waiting > 0)
        pthread_cond_signal(&p->reader_freed);
    if (p->writers_waiting > 0 && p->writers < p->max_writers)
        pthread_cond_signal(&p->writer_freed);
}

struct db_conn *db_pool_acquire(struct db_pool *p, bool write)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += p->wait_ms / 1000;
    until.tv_nsec += (p->wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_cond_t *cond = write ? &p->writer_freed : &p->reader_freed;
    int *waiting = write ? &p->writers_waiting : &p->readers_waiting;
    pthread_mutex_lock(&p->lock);
    struct db_conn *found = pool_take(p, write);
    while (found == NULL && !atomic_load(&aborting)) {
        ++*waiting;
        int rc = pthread_cond_timedwait(cond, &p->lock, &until);
        --*waiting;
        found = pool_take(p, write);
        if (rc == ETIMEDOUT)
            break;
    }
    /* a wake-up this thread took but cannot use (it timed out meanwhile) goes to the next one */
    if (found == NULL)
        pool_wake(p);
    pthread_mutex_unlock(&p->lock);
    if (found == NULL)
        atomic_fetch_add(&p->wait_timeouts, 1);
    return found;
}

void db_pool_release(struct db_pool *p, struct db_conn *c)
{
    if (c == NULL)
        return;
    if (c->streaming) {
        conn_drop(c); /* an abandoned stream: rows are still coming */
        c->streaming = false;
    }
    if (c->in_tx && db_rollback(c) != DB_OK)
        conn_drop(c);
    conn_clear_error(c);
    pthread_mutex_lock(&p->lock);
    c->busy = false;
    p->writers -= c->writer;
    c->writer = false;
    pool_wake(p);
    pthread_mutex_unlock(&p->lock);
}

void db_pool_stats(const struct db_pool *p, struct db_stats *out)
{
    out->connects = atomic_load(&p->connects);
    out->reconnects = atomic_load(&p->reconnects);
    out->errors = atomic_load(&p->errors);
    out->timeouts = atomic_load(&p->timeouts);
    out->conn_lost = atomic_load(&p->conn_lost);
    out->wait_timeouts = atomic_load(&p->wait_timeouts);
}

/* ---- standalone connections ---- */

struct db_conn *db_conn_open(const char *conninfo, long deadline_ms, char *errbuf, size_t errlen)
{
    struct db_conn *c = xcalloc(1, sizeof *c);
    c->conninfo = xstrdup(conninfo);
    c->deadline_ms = deadline_ms;
    if (!conn_ensure(c)) {
        snprintf(errbuf, errlen, "cannot connect to the database: %s", db_conn_message(c));
        char *nl = strchr(errbuf, '\n');
        if (nl != NULL)
            *nl = '\0';
        db_conn_close(c);
        return NULL;
    }
    return c;
}

void db_conn_close(struct db_conn *c)
{
    if (c == NULL)
        return;
    conn_drop(c);
    conn_clear_error(c);
    free(c->conninfo);
    free(c);
}
