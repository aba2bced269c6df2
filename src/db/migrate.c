#include "db/migrate.h"

#include "core/log.h"
#include "core/xalloc.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* an arbitrary constant naming the migration lock among advisory locks */
#define MIGRATE_LOCK_KEY "727100001"

struct migration {
    char version[16]; /* "0001" */
    char *file;       /* "0001_core.sql" */
    char *path;
};

static bool is_migration_name(const char *name)
{
    size_t n = strlen(name);
    if (n < 10 || strcmp(name + n - 4, ".sql") != 0 || name[4] != '_')
        return false;
    for (int i = 0; i < 4; i++)
        if (name[i] < '0' || name[i] > '9')
            return false;
    return true;
}

static int migration_cmp(const void *a, const void *b)
{
    return strcmp(((const struct migration *)a)->file, ((const struct migration *)b)->file);
}

static void migrations_free(struct migration *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(list[i].file);
        free(list[i].path);
    }
    free(list);
}

/* Lists the migration files of @a dir, sorted. @return false when the folder cannot be read. */
static bool migrations_list(const char *dir, struct migration **out, size_t *count, char *errbuf,
                            size_t errlen)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        snprintf(errbuf, errlen, "cannot open migrations folder %s", dir);
        return false;
    }
    struct migration *list = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!is_migration_name(e->d_name))
            continue;
        list = xrealloc(list, (n + 1) * sizeof *list);
        memcpy(list[n].version, e->d_name, 4);
        list[n].version[4] = '\0';
        list[n].file = xstrdup(e->d_name);
        list[n].path = xasprintf("%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    qsort(list, n, sizeof *list, migration_cmp);
    for (size_t i = 1; i < n; i++) {
        if (strcmp(list[i].version, list[i - 1].version) == 0) {
            snprintf(errbuf, errlen, "two migrations share version %s", list[i].version);
            migrations_free(list, n);
            return false;
        }
    }
    *out = list;
    *count = n;
    return true;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = (cap ? cap * 2 : 8192);
            buf = xrealloc(buf, cap);
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

bool migrate_latest(const char *dir, char *out, size_t outlen, char *errbuf, size_t errlen)
{
    struct migration *list = NULL;
    size_t n = 0;
    if (!migrations_list(dir, &list, &n, errbuf, errlen))
        return false;
    snprintf(out, outlen, "%s", n ? list[n - 1].version : "");
    migrations_free(list, n);
    return true;
}

static bool db_fail(struct db_conn *conn, const char *what, char *errbuf, size_t errlen)
{
    snprintf(errbuf, errlen, "%s: %s", what, db_conn_message(conn));
    char *nl = strchr(errbuf, '\n');
    if (nl != NULL)
        *nl = '\0';
    return false;
}

/*
 * Compares one file with its record. @return 1 applied and unchanged, 0 not applied,
 * -1 edited or error (message in errbuf).
 */
static int migration_state(struct db_conn *conn, const struct migration *m, const char *text,
                           char *errbuf, size_t errlen)
{
    const char *params[] = {m->version, text};
    struct db_result *r = NULL;
    if (db_exec_params(conn,
                       "SELECT checksum = encode(sha256(convert_to($2, 'UTF8')), 'hex') "
                       "FROM schema_migrations WHERE version = $1",
                       2, params, &r) != DB_OK) {
        db_fail(conn, "cannot read schema_migrations", errbuf, errlen);
        return -1;
    }
    int state = 0;
    if (db_result_rows(r) == 1) {
        state = strcmp(db_result_value(r, 0, 0), "t") == 0 ? 1 : -1;
        if (state < 0)
            snprintf(errbuf, errlen,
                     "migration %s was edited after it was applied; restore it and add a new "
                     "migration instead",
                     m->file);
    }
    db_result_free(r);
    return state;
}

static bool migration_apply(struct db_conn *conn, const struct migration *m, const char *text,
                            char *errbuf, size_t errlen)
{
    if (db_begin(conn) != DB_OK)
        return db_fail(conn, "cannot begin", errbuf, errlen);
    if (db_exec_script(conn, text) != DB_OK) {
        char what[256];
        snprintf(what, sizeof what, "migration %s failed", m->file);
        db_fail(conn, what, errbuf, errlen);
        db_rollback(conn);
        return false;
    }
    const char *params[] = {m->version, m->file, text};
    if (db_exec_params(conn,
                       "INSERT INTO schema_migrations (version, name, checksum) "
                       "VALUES ($1, $2, encode(sha256(convert_to($3, 'UTF8')), 'hex'))",
                       3, params, NULL) != DB_OK) {
        db_fail(conn, "cannot record migration", errbuf, errlen);
        db_rollback(conn);
        return false;
    }
    if (db_commit(conn) != DB_OK)
        return db_fail(conn, "cannot commit migration", errbuf, errlen);
    log_msg(LOG_INFO, "applied migration %s", m->file);
    return true;
}

static bool ensure_table(struct db_conn *conn, char *errbuf, size_t errlen)
{
    if (db_exec_script(conn, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                             " version text PRIMARY KEY,"
                             " name text NOT NULL,"
                             " checksum text NOT NULL,"
                             " applied_at timestamptz NOT NULL DEFAULT now())") != DB_OK)
        return db_fail(conn, "cannot create schema_migrations", errbuf, errlen);
    return true;
}

/* Walks the files; applies pending ones when @a apply, else counts them. */
static bool migrate_walk(struct db_conn *conn, const char *dir, bool apply, int *count,
                         char *errbuf, size_t errlen)
{
    struct migration *list = NULL;
    size_t n = 0;
    bool ok = false;
    int done = 0;
    if (!migrations_list(dir, &list, &n, errbuf, errlen))
        return false;
    for (size_t i = 0; i < n; i++) {
        char *text = read_file(list[i].path);
        if (text == NULL) {
            snprintf(errbuf, errlen, "cannot read %s", list[i].path);
            goto out;
        }
        int state = migration_state(conn, &list[i], text, errbuf, errlen);
        if (state == 0 && apply && !migration_apply(conn, &list[i], text, errbuf, errlen))
            state = -1;
        free(text);
        if (state < 0)
            goto out;
        if (state == 0)
            done++;
    }
    ok = true;
out:
    migrations_free(list, n);
    if (count != NULL)
        *count = done;
    return ok;
}

bool migrate_run(struct db_conn *conn, const char *dir, int *applied, char *errbuf, size_t errlen)
{
    if (db_exec_script(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")") != DB_OK)
        return db_fail(conn, "cannot take the migration lock", errbuf, errlen);
    bool ok = ensure_table(conn, errbuf, errlen) &&
              migrate_walk(conn, dir, true, applied, errbuf, errlen);
    db_exec_script(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")");
    return ok;
}

bool migrate_check(struct db_conn *conn, const char *dir, int *pending, char *errbuf,
                   size_t errlen)
{
    struct db_result *r = NULL;
    if (db_exec_params(conn, "SELECT to_regclass('schema_migrations') IS NOT NULL", 0, NULL, &r) !=
        DB_OK)
        return db_fail(conn, "cannot inspect the schema", errbuf, errlen);
    bool exists = strcmp(db_result_value(r, 0, 0), "t") == 0;
    db_result_free(r);
    if (!exists) {
        struct migration *list = NULL;
        size_t n = 0;
        if (!migrations_list(dir, &list, &n, errbuf, errlen))
            return false;
        migrations_free(list, n);
        *pending = (int)n;
        return true;
    }
    return migrate_walk(conn, dir, false, pending, errbuf, errlen);
}
