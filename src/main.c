/*
 * tracker: serve | migrate | import FILE | token create --name N --role R [--agency SLUG]
 * Configured from the environment (see cfg_keys()); flags override.
 */
#include "api/api.h"
#include "api/bundles.h"
#include "auth/auth.h"
#include "core/app.h"
#include "core/config.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "db/migrate.h"
#include "http/metrics.h"
#include "http/server.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *msg)
{
    fprintf(stderr, "tracker: %s\n", msg);
    return 1;
}

static void usage(void)
{
    fputs("usage: tracker serve [--port N] [--threads N] [--migrate]\n"
          "       tracker migrate\n"
          "       tracker import FILE\n"
          "       tracker token create --name NAME --role ROLE [--agency SLUG]\n",
          stderr);
}

static enum log_level level_from(const char *name)
{
    if (strcmp(name, "debug") == 0)
        return LOG_DEBUG;
    if (strcmp(name, "warn") == 0)
        return LOG_WARN;
    if (strcmp(name, "error") == 0)
        return LOG_ERROR;
    return LOG_INFO;
}

static bool load_config(struct config *cfg, char *err, size_t errlen)
{
    if (!cfg_load(cfg, true, err, errlen))
        return false;
    log_set_level(level_from(cfg->log_level));
    return true;
}

/* Runs migrations on a connection of its own. */
static bool run_migrations(const struct config *cfg, char *err, size_t errlen)
{
    struct db_conn *conn = db_conn_open(cfg->database_url, 600000, err, errlen);
    if (conn == NULL)
        return false;
    int applied = 0;
    bool ok = migrate_run(conn, cfg->migrations_dir, &applied, err, errlen);
    db_conn_close(conn);
    if (ok)
        log_msg(LOG_INFO, "migrations applied: %d", applied);
    return ok;
}

/* Refuses to serve on a schema whose applied migrations were edited; warns when behind. */
static bool check_schema(const struct config *cfg, char *err, size_t errlen)
{
    struct db_conn *conn = db_conn_open(cfg->database_url, 10000, err, errlen);
    if (conn == NULL) {
        log_msg(LOG_WARN, "%s; serving anyway, /readyz reports it", err);
        return true;
    }
    int pending = 0;
    bool ok = migrate_check(conn, cfg->migrations_dir, &pending, err, errlen);
    db_conn_close(conn);
    if (ok && pending > 0)
        log_msg(LOG_WARN, "%d migrations pending: run tracker migrate (or serve --migrate)",
                pending);
    return ok;
}

static char *read_whole_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0, got;
    do {
        if (n + 65536 > cap) {
            cap = cap * 2 + 65536;
            buf = xrealloc(buf, cap + 1);
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int serve_until_signal(struct app *app)
{
    char err[512];
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* every thread started below inherits the mask */
    signal(SIGPIPE, SIG_IGN);
    struct http_server *srv = http_server_start(app, api_dispatch, err, sizeof err);
    if (srv == NULL)
        return fail(err);
    log_msg(LOG_INFO, "listening on http://%s:%u", app->cfg.bind, http_server_port(srv));
    int sig = 0;
    sigwait(&set, &sig);
    log_msg(LOG_INFO, "signal %d: draining", sig);
    atomic_store(&app->draining, true);
    bool clean = http_server_drain(srv, app->cfg.drain_timeout_s, db_abort_all);
    log_msg(clean ? LOG_INFO : LOG_WARN, "stopped%s",
            clean ? "" : " with requests still running at the drain deadline");
    return 0;
}

static bool parse_long_flag(const char *text, long lo, long hi, long *out)
{
    char *end = NULL;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static int cmd_serve(int argc, char **argv)
{
    char err[512];
    struct app app;
    memset(&app, 0, sizeof app);
    if (!load_config(&app.cfg, err, sizeof err))
        return fail(err);
    bool migrate = false;
    int rc = 1;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--migrate") == 0) {
            migrate = true;
        } else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            if (!parse_long_flag(argv[++i], 0, 65535, &app.cfg.port))
                return fail("--port must be an integer in 0..65535");
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            if (!parse_long_flag(argv[++i], 1, 256, &app.cfg.threads))
                return fail("--threads must be an integer in 1..256");
        } else {
            usage();
            goto out;
        }
    }
    if (!migrate_latest(app.cfg.migrations_dir, app.latest_migration,
                        sizeof app.latest_migration, err, sizeof err)) {
        fail(err);
        goto out;
    }
    if (migrate ? !run_migrations(&app.cfg, err, sizeof err)
                : !check_schema(&app.cfg, err, sizeof err)) {
        fail(err);
        goto out;
    }
    app.openapi = read_whole_file(app.cfg.openapi_file, &app.openapi_len);
    if (app.openapi == NULL)
        log_msg(LOG_WARN, "cannot read %s: /openapi.yaml answers 404", app.cfg.openapi_file);
    api_register_statements();
    app.routes = api_routes(&app.nroutes);
    app.metrics = metrics_new(app.nroutes);
    struct db_pool_options po = {app.cfg.database_url,   (int)app.cfg.threads,
                                 app.cfg.db_wait_ms,     app.cfg.query_deadline_ms,
                                 app.cfg.statement_timeout_ms, app.cfg.lock_timeout_ms};
    app.pool = db_pool_new(&po);
    rc = serve_until_signal(&app);
out:
    db_pool_free(app.pool);
    metrics_free(app.metrics);
    free(app.openapi);
    cfg_cleanup(&app.cfg);
    return rc;
}

static int cmd_migrate(void)
{
    char err[512];
    struct config cfg;
    if (!load_config(&cfg, err, sizeof err))
        return fail(err);
    bool ok = run_migrations(&cfg, err, sizeof err);
    cfg_cleanup(&cfg);
    return ok ? 0 : fail(err);
}

static int cmd_import(int argc, char **argv)
{
    char err[512];
    if (argc != 1) {
        usage();
        return 2;
    }
    struct config cfg;
    if (!load_config(&cfg, err, sizeof err))
        return fail(err);
    size_t len = 0;
    char *text = read_whole_file(argv[0], &len);
    int rc;
    if (text == NULL) {
        snprintf(err, sizeof err, "cannot read %s", argv[0]);
        rc = fail(err);
    } else {
        rc = import_command(&cfg, text, len);
    }
    free(text);
    cfg_cleanup(&cfg);
    return rc;
}

static int cmd_token(int argc, char **argv)
{
    const char *name = NULL, *role = NULL, *agency = NULL;
    if (argc < 1 || strcmp(argv[0], "create") != 0) {
        usage();
        return 2;
    }
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--name") == 0)
            name = argv[i + 1];
        else if (strcmp(argv[i], "--role") == 0)
            role = argv[i + 1];
        else if (strcmp(argv[i], "--agency") == 0)
            agency = argv[i + 1];
    }
    if (name == NULL || role == NULL || (argc - 1) % 2 != 0) {
        usage();
        return 2;
    }
    char err[512];
    struct config cfg;
    if (!load_config(&cfg, err, sizeof err))
        return fail(err);
    int rc = token_command(&cfg, name, role, agency);
    cfg_cleanup(&cfg);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage();
        return 2;
    }
    if (strcmp(argv[1], "serve") == 0)
        return cmd_serve(argc - 2, argv + 2);
    if (strcmp(argv[1], "migrate") == 0 && argc == 2)
        return cmd_migrate();
    if (strcmp(argv[1], "import") == 0)
        return cmd_import(argc - 2, argv + 2);
    if (strcmp(argv[1], "token") == 0)
        return cmd_token(argc - 2, argv + 2);
    usage();
    return 2;
}
