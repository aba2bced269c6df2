/**
 * @file bundles.h
 * @brief Import and export of resolution bundles (API.md section 5).
 */
#ifndef API_BUNDLES_H
#define API_BUNDLES_H

#include "api/api.h"
#include "core/config.h"

#include <stddef.h>

void bundles_register_statements(void);
enum app_err bundles_import(struct http_req *req, struct http_res *res);
enum app_err bundles_export(struct http_req *req, struct http_res *res);

/** `tracker import FILE`: imports the bundle in @a text; prints the counts. @return exit status */
int import_command(const struct config *cfg, const char *text, size_t len);

#endif
