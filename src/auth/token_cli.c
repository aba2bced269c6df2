#include "api/bundles.h"
#include "auth/auth.h"
#include "db/db.h"

#include <stdio.h>
#include <string.h>
#include <uuid/uuid.h>

/* Creates the user (and its token) in one transaction; the token goes to stdout alone. */
int token_command(const struct config *cfg, const char *name, const char *role,
                  const char *agency_slug)
{
    char err[512];
    if (auth_role_parse(role) == ROLE_NONE) {
        fprintf(stderr, "tracker: --role must be one of admin, editor, monitor, agency\n");
        return 1;
    }
    if ((strcmp(role, "agency") == 0) != (agency_slug != NULL)) {
        fprintf(stderr, "tracker: --agency SLUG is required for the agency role, and only there\n");
        return 1;
    }
    char token[AUTH_TOKEN_LEN + 1];
    if (!auth_token_generate(token, sizeof token)) {
        fprintf(stderr, "tracker: the OS random source failed\n");
        return 1;
    }
    struct db_conn *conn = db_conn_open(cfg->database_url, 30000, err, sizeof err);
    if (conn == NULL) {
        fprintf(stderr, "tracker: %s\n", err);
        return 1;
    }
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
    if (st != DB_OK)
        fprintf(stderr, "tracker: cannot create the token: %s\n", db_conn_message(conn));
    else if (db_result_rows(r) == 0)
        fprintf(stderr, "tracker: no agency has the slug %s\n", agency_slug);
    else {
        printf("%s\n", token);
        rc = 0;
    }
    db_result_free(r);
    db_conn_close(conn);
    return rc;
}
