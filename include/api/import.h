/**
 * @file import.h
 * @brief Import and export of resolution bundles (API.md §5) and `tracker import FILE`.
 */
#ifndef API_IMPORT_H
#define API_IMPORT_H

#include "api/api.h"
#include "core/config.h"

#include <stddef.h>

/** `tracker import FILE`: imports the bundle in @a text; prints the counts. @return exit status */
int import_command(const struct config *cfg, const char *text, size_t len);

/** `tracker token create`: creates a user and a token and prints the token. @return exit status */
int token_command(const struct config *cfg, const char *name, const char *role,
                  const char *agency_slug);

#endif
