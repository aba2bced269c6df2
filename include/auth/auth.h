/**
 * @file auth.h
 * @brief Bearer tokens: authenticating a request, creating tokens.
 *
 * Tokens are 32 random bytes from the OS, base64url-encoded behind a "trk_" prefix, shown once
 * and stored only as their SHA-256 (computed by PostgreSQL); lookups go by that hash. A
 * revoked or expired token, or one of a disabled user, stops working on the next request.
 */
#ifndef AUTH_AUTH_H
#define AUTH_AUTH_H

#include "core/config.h"
#include "http/http.h"

#include <stdbool.h>
#include <stddef.h>

#define AUTH_TOKEN_LEN 47 /* "trk_" + 43 base64url characters */

/** Registers the module's statements (once, at start-up). */
void auth_register_statements(void);

/**
 * Reads `Authorization` and fills req->who. No header → anonymous, APP_OK. A header that is
 * not a valid, live bearer token → 401 with WWW-Authenticate written to @a res.
 */
enum app_err auth_authenticate(struct http_req *req, struct http_res *res);

/**
 * Makes a new token secret from the OS's random source.
 * @param out at least AUTH_TOKEN_LEN + 1 bytes
 * @return false when the random source fails
 */
bool auth_token_generate(char *out, size_t outlen);

/** @return the role named @a name ("admin", "editor", ...) or ROLE_NONE. */
enum auth_role auth_role_parse(const char *name);

/** @return the name of @a role (static). */
const char *auth_role_name(enum auth_role role);

/**
 * Checks the arguments of `tracker token create` as the API checks a user: a non-empty UTF-8
 * name within the API's text limit, one of the user roles, and an agency slug exactly for
 * the agency role.
 * @param agency_slug NULL when not given
 * @param[out] err the problem, one line, when false is returned
 */
bool token_args_check(const char *name, const char *role, const char *agency_slug, char *err,
                      size_t errlen);

/** `tracker token create`: creates a user and a token, prints the token. @return exit status */
int token_command(const struct config *cfg, const char *name, const char *role,
                  const char *agency_slug);

#endif
