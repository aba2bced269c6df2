/**
 * @file migrate.h
 * @brief Schema migrations: migrations/NNNN_name.sql applied in order, once, with checksums.
 *
 * Each file runs in one transaction and is recorded in schema_migrations with the SHA-256 of
 * its text. A recorded file whose text changed is refused. A session advisory lock makes
 * concurrent runs from several processes safe: the second waits, then finds nothing to do.
 */
#ifndef DB_MIGRATE_H
#define DB_MIGRATE_H

#include "db/db.h"

#include <stdbool.h>
#include <stddef.h>

/** The newest migration version found in @a dir ("" if none) into @a out (>= 16 bytes). */
bool migrate_latest(const char *dir, char *out, size_t outlen, char *errbuf, size_t errlen);

/**
 * Applies the pending migrations of @a dir.
 * @param[out] applied number of migrations applied by this call (may be NULL)
 * @return true on success; false with a one-line message in @a errbuf
 */
bool migrate_run(struct db_conn *conn, const char *dir, int *applied, char *errbuf, size_t errlen);

/**
 * Checks the database against @a dir without changing it.
 * @param[out] pending migrations not yet applied
 * @return false (with a message) when a recorded migration was edited or on a database error
 */
bool migrate_check(struct db_conn *conn, const char *dir, int *pending, char *errbuf,
                   size_t errlen);

#endif
