#include "api/api.h"
#include "auth/auth.h"
#include "core/log.h"
#include "db/db.h"
#include "json/jsonx.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define TOKEN_STR_(x) #x
#define TOKEN_STR(x)  TOKEN_STR_(x)

bool token_args_check(const char *name, const char *role, const char *agency_slug, char *err,
                      size_t errlen)
{
    json_t *utf8 = json_string(name); /* NULL when @a name is not UTF-8 */
    const char *why = NULL;
    if (name[0] == '\0')
        why = "--name must not be empty";
    else if (utf8 == NULL)
        why = "--name must be UTF-8 text";
    else if (jsonx_utf8_length(name) > JSONX_MAX_SHORT) /* the API's limit for a user's name */
        why = "--name is longer than " TOKEN_STR(JSONX_MAX_SHORT) " characters";
    else if (auth_role_parse(role) == ROLE_NONE)
        why = "--role must be one of admin, editor, monitor, agency";
    else if (strcmp(role, "agency") == 0 && agency_slug == NULL)
        why = "--agency SLUG is required for role agency";
    else if (strcmp(role, "agency") != 0 && agency_slug != NULL)
        why = "--agency is only for role agency";
    else if (agency_slug != NULL && !api_is_slug(agency_slug))
        why = "--agency must be a slug (lowercase letters and digits joined by hyphens)";
    json_decref(utf8);
    if (why != NULL)
        snprintf(err, errlen, "%s", why);
    return why == NULL;
}

/* Creates the user (and its token) in one transaction; the token goes to stdout alone. */
int token_command(const struct config *cfg, const char *name, const char *role,
                  const char *agency_slug)
{
    char err[512];
    char token[AUTH_TOKEN_LEN + 1];
    if (!auth_token_generate(token, sizeof token))
        return log_cli_error(1, "the OS random source failed");
    struct db_conn *conn = db_conn_open(cfg->database_url, 30000, err, sizeof err);
    if (conn == NULL)
        return log_cli_error(1, "%s", err);
    const char *params[] = {name, role, agency_slug, token};
    struct db_result *r = NULL;
    enum db_status st = db_exec_params(
        conn,
        "WITH a AS (SELECT id FROM agencies WHERE slug = $3),"
        " u AS (INSERT INTO users (id, name, role, agency_id)"
        "       SELECT gen_random_uuid(), $1, $2::user_role, (SELECT id FROM a)"
        "       WHERE $3::text IS NULL OR EXISTS (SELECT 1 FROM a) RETURNING id)"
        " INSERT INTO api_tokens (id, user_id, name, token_hash, prefix)"
        " SELECT gen_random_uuid(), u.id, 'created by tracker token create',"
        "        sha256(convert_to($4, 'UTF8')), left($4, 8) FROM u RETURNING id",
        4, params, &r);
    int rc = 1;
    /* token_args_check() keeps the values inside the table's constraints; should one still
       be violated, its name says which, and PostgreSQL's sentence (with the row) stays out */
    if (st != DB_OK && strncmp(db_conn_sqlstate(conn), "23", 2) == 0)
        log_cli_error(1, "cannot create the token: the database refused the user (%s)",
                      db_conn_constraint(conn));
    else if (st != DB_OK)
        log_cli_error(1, "cannot create the token: %s", db_conn_message(conn));
    else if (db_result_rows(r) == 0)
        log_cli_error(1, "no agency has the slug %s", agency_slug);
    else {
        printf("%s\n", token);
        rc = 0;
    }
    db_result_free(r);
    db_conn_close(conn);
    return rc;
}
