/**
 * @file bundles.h
 * @brief Import and export of resolution bundles (API.md section 5).
 *
 * A bundle (`recommendation-tracker/bundle@1`) is a whole resolution as one JSON document. The
 * bundle is validated in C (jsonx, plus the references inside the bundle) and applied by the
 * SQL function bundle_import() of migrations/0006_bundles.sql in one statement; the export is
 * built by bundle_export(). The HTTP handlers and `tracker import FILE` share the validation
 * and the statement.
 */
#ifndef API_BUNDLES_H
#define API_BUNDLES_H

#include "api/api.h"
#include "core/config.h"

#include <stddef.h>

/** Registers the module's statements (once, at start-up). */
void bundles_register_statements(void);

/** `POST /v1/import` (editor): 200 with the counts {created, updated, unchanged}. */
enum app_err bundles_import(struct http_req *req, struct http_res *res);

/** `GET /v1/resolutions/{id}/export` (public): the resolution as a bundle. */
enum app_err bundles_export(struct http_req *req, struct http_res *res);

/**
 * Validates the bundle @a doc (any JSON value) without touching the database: members, types
 * and the references it can check inside the bundle (also the fuzzing entry, tests/fuzz).
 * @param[out] errors a new array of {field, message}, empty when the bundle is valid
 * @return a new array of [pointer, slug] for the agencies it names but does not carry
 */
json_t *bundle_validate(json_t *doc, json_t **errors);

/**
 * `tracker import FILE`: imports the bundle in @a text (@a len bytes, borrowed) on a connection
 * of its own; prints the counts on stdout, or one line naming the problem on stderr.
 * @return the exit status: 0 imported, 1 otherwise
 */
int import_command(const struct config *cfg, const char *text, size_t len);

#endif
