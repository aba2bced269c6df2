/*
 * tracker: serve | migrate | import FILE | token create --name N --role R [--agency SLUG]
 * Configured from the environment (see cfg_keys()); flags override. A command line that cannot
 * run exits 2 and a failed command 1, each with one line on stderr (API.md §7).
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

#define USAGE_SERVE   "tracker serve [--port N] [--threads N] [--migrate]"
#define USAGE_MIGRATE "tracker migrate"
#define USAGE_IMPORT  "tracker import FILE"
#define USAGE_TOKEN   "tracker token create --name NAME --role ROLE [--agency SLUG]"
#define USAGE_HELP    "tracker --help"
#define COMMANDS      "commands: serve, migrate, import, token create; " USAGE_HELP " for their usage"

enum { EXIT_USAGE = 2 }; /* a command line the commands cannot run */

static int fail(const char *msg)
{
    return log_cli_error(1, "%s", msg);
}

static int help(void)
{
    fputs("usage: " USAGE_SERVE "\n"
          "       " USAGE_MIGRATE "\n"
          "       " USAGE_IMPORT "\n"
          "       " USAGE_TOKEN "\n"
          "       " USAGE_HELP "\n",
          stdout);
    return 0;
}

static bool is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/* One option of a command: a flag (@a flag set) or one that takes a value (@a value set). */
struct cli_opt {
    const char *name;   /* "--port" */
    const char **value; /* [out] the argument after it (borrowed from argv), NULL until given */
    bool *flag;         /* [out] true once given */
    bool required;
};

/* A command's grammar: its options and at most one operand (import's FILE). */
struct cli_cmd {
    const char *name;  /* "serve", in messages */
    const char *usage; /* one of the USAGE_ lines */
    const struct cli_opt *opts;
    size_t nopts;
    const char **operand;     /* [out] NULL when the command takes none */
    const char *operand_name; /* "FILE" */
};

enum cli_parse_result { CLI_RUN, CLI_HELPED, CLI_REFUSED };

static bool cli_opt_given(const struct cli_opt *o)
{
    return o->flag != NULL ? *o->flag : *o->value != NULL;
}

/* Reads one argument at argv[*i] (and its value) into @a cmd; @return false after a message */
static bool cli_take(const struct cli_cmd *cmd, int argc, char **argv, int *i)
{
    const char *arg = argv[*i];
    for (size_t k = 0; k < cmd->nopts; k++) {
        const struct cli_opt *o = &cmd->opts[k];
        if (strcmp(arg, o->name) != 0)
            continue;
        if (cli_opt_given(o)) {
            log_cli_error(EXIT_USAGE, "%s given twice (usage: %s)", arg, cmd->usage);
            return false;
        }
        if (o->flag != NULL) {
            *o->flag = true;
            return true;
        }
        /* `--name --role x` is a forgotten value rather than a name that starts with -- */
        if (*i + 1 >= argc || strncmp(argv[*i + 1], "--", 2) == 0) {
            log_cli_error(EXIT_USAGE, "%s needs a value (usage: %s)", arg, cmd->usage);
            return false;
        }
        *o->value = argv[++*i];
        return true;
    }
    if (arg[0] == '-' && arg[1] != '\0')
        log_cli_error(EXIT_USAGE, "unknown option %s for %s (usage: %s)", arg, cmd->name,
                      cmd->usage);
    else if (cmd->operand == NULL || *cmd->operand != NULL)
        log_cli_error(EXIT_USAGE, "unexpected argument %s for %s (usage: %s)", arg, cmd->name,
                      cmd->usage);
    else {
        *cmd->operand = arg;
        return true;
    }
    return false;
}

/*
 * Reads @a argv (the arguments after the command's name) into @a cmd's outputs, which start
 * NULL/false. Unknown, repeated and value-less options, stray arguments and missing required
 * ones are refused with one line on stderr; --help prints the full usage on stdout.
 */
static enum cli_parse_result cli_parse(const struct cli_cmd *cmd, int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (is_help(argv[i])) {
            help();
            return CLI_HELPED;
        }
        if (!cli_take(cmd, argc, argv, &i))
            return CLI_REFUSED;
    }
    for (size_t k = 0; k < cmd->nopts; k++)
        if (cmd->opts[k].required && !cli_opt_given(&cmd->opts[k])) {
            log_cli_error(EXIT_USAGE, "%s is required (usage: %s)", cmd->opts[k].name, cmd->usage);
            return CLI_REFUSED;
        }
    if (cmd->operand != NULL && *cmd->operand == NULL) {
        log_cli_error(EXIT_USAGE, "%s is required (usage: %s)", cmd->operand_name, cmd->usage);
        return CLI_REFUSED;
    }
    return CLI_RUN;
}

/* The exit status for a parse that did not end in CLI_RUN. */
static int cli_exit(enum cli_parse_result r)
{
    return r == CLI_HELPED ? 0 : EXIT_USAGE;
}

/* @return false for a name that is no level (a typo must not silently log at another level) */
static bool level_from(const char *name, enum log_level *out)
{
    static const struct {
        const char *name;
        enum log_level level;
    } levels[] = {{"debug", LOG_DEBUG}, {"info", LOG_INFO}, {"warn", LOG_WARN}, {"error", LOG_ERROR}};
    for (size_t i = 0; i < sizeof levels / sizeof *levels; i++)
        if (strcmp(name, levels[i].name) == 0) {
            *out = levels[i].level;
            return true;
        }
    return false;
}

static bool load_config(struct config *cfg, char *err, size_t errlen)
{
    if (!cfg_load(cfg, true, err, errlen))
        return false;
    enum log_level level;
    if (!level_from(cfg->log_level, &level)) {
        snprintf(err, errlen, "invalid configuration: TRACKER_LOG_LEVEL must be debug, info, warn or error");
        cfg_cleanup(cfg);
        return false;
    }
    log_set_level(level);
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

/* Reads --port and --threads when given; @return false after a message */
static bool serve_numbers(const char *port_text, const char *threads_text, long *port,
                          long *threads)
{
    if (port_text != NULL && !parse_long_flag(port_text, 0, 65535, port)) {
        log_cli_error(EXIT_USAGE, "--port must be an integer in 0..65535");
        return false;
    }
    if (threads_text != NULL && !parse_long_flag(threads_text, 1, 256, threads)) {
        log_cli_error(EXIT_USAGE, "--threads must be an integer in 1..256");
        return false;
    }
    return true;
}

static int cmd_serve(int argc, char **argv)
{
    const char *port_text = NULL, *threads_text = NULL;
    bool migrate = false;
    const struct cli_opt opts[] = {
        {.name = "--port", .value = &port_text},
        {.name = "--threads", .value = &threads_text},
        {.name = "--migrate", .flag = &migrate},
    };
    const struct cli_cmd cmd = {
        .name = "serve", .usage = USAGE_SERVE, .opts = opts, .nopts = sizeof opts / sizeof opts[0]};
    enum cli_parse_result parsed = cli_parse(&cmd, argc, argv);
    if (parsed != CLI_RUN)
        return cli_exit(parsed);
    long port = -1, threads = -1;
    if (!serve_numbers(port_text, threads_text, &port, &threads))
        return EXIT_USAGE;
    char err[512];
    struct app app;
    memset(&app, 0, sizeof app);
    if (!load_config(&app.cfg, err, sizeof err))
        return fail(err);
    if (port_text != NULL) /* flags override the environment */
        app.cfg.port = port;
    if (threads_text != NULL)
        app.cfg.threads = threads;
    int rc = 1;
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

static int cmd_migrate(int argc, char **argv)
{
    const struct cli_cmd cmd = {.name = "migrate", .usage = USAGE_MIGRATE};
    enum cli_parse_result parsed = cli_parse(&cmd, argc, argv);
    if (parsed != CLI_RUN)
        return cli_exit(parsed);
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
    const char *file = NULL;
    const struct cli_cmd cmd = {
        .name = "import", .usage = USAGE_IMPORT, .operand = &file, .operand_name = "FILE"};
    enum cli_parse_result parsed = cli_parse(&cmd, argc, argv);
    if (parsed != CLI_RUN)
        return cli_exit(parsed);
    char err[512];
    struct config cfg;
    if (!load_config(&cfg, err, sizeof err))
        return fail(err);
    size_t len = 0;
    char *text = read_whole_file(file, &len);
    int rc =
        text == NULL ? log_cli_error(1, "cannot read %s", file) : import_command(&cfg, text, len);
    free(text);
    cfg_cleanup(&cfg);
    return rc;
}

static int cmd_token(int argc, char **argv)
{
    if (argc < 1)
        return log_cli_error(EXIT_USAGE, "missing token command (usage: %s)", USAGE_TOKEN);
    if (argc == 1 && is_help(argv[0]))
        return help();
    if (strcmp(argv[0], "create") != 0)
        return log_cli_error(EXIT_USAGE, "unknown token command %s (usage: %s)", argv[0],
                             USAGE_TOKEN);
    const char *name = NULL, *role = NULL, *agency = NULL;
    const struct cli_opt opts[] = {
        {.name = "--name", .value = &name, .required = true},
        {.name = "--role", .value = &role, .required = true},
        {.name = "--agency", .value = &agency},
    };
    const struct cli_cmd cmd = {.name = "token create",
                                .usage = USAGE_TOKEN,
                                .opts = opts,
                                .nopts = sizeof opts / sizeof opts[0]};
    enum cli_parse_result parsed = cli_parse(&cmd, argc - 1, argv + 1);
    if (parsed != CLI_RUN)
        return cli_exit(parsed);
    char err[512];
    if (!token_args_check(name, role, agency, err, sizeof err))
        return log_cli_error(EXIT_USAGE, "%s", err);
    struct config cfg;
    if (!load_config(&cfg, err, sizeof err))
        return fail(err);
    int rc = token_command(&cfg, name, role, agency);
    cfg_cleanup(&cfg);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return log_cli_error(EXIT_USAGE, "missing command (" COMMANDS ")");
    const char *name = argv[1];
    if (strcmp(name, "serve") == 0)
        return cmd_serve(argc - 2, argv + 2);
    if (strcmp(name, "migrate") == 0)
        return cmd_migrate(argc - 2, argv + 2);
    if (strcmp(name, "import") == 0)
        return cmd_import(argc - 2, argv + 2);
    if (strcmp(name, "token") == 0)
        return cmd_token(argc - 2, argv + 2);
    if (is_help(name) || strcmp(name, "help") == 0)
        return argc == 2 ? help()
                         : log_cli_error(EXIT_USAGE, "unexpected argument %s for help", argv[2]);
    return log_cli_error(EXIT_USAGE, "unknown command %s (" COMMANDS ")", name);
}
