#include "api/audit.h"

#include "api/csv.h"
#include "api/cursor.h"
#include "json/jsonx.h"

#include <stdio.h>
#include <string.h>

static struct db_stmt audit_stmts[] = {
    /* used by audit_record() */
    {"audit_insert",
     "INSERT INTO audit_log (id, actor_id, actor_name, actor_role, action, entity, entity_id,"
     " before, after, request_id)"
     " VALUES (gen_random_uuid(), $1, $2, $3::user_role, $4::audit_action, $5::audit_entity,"
     "  $6::uuid, $7::jsonb, $8::jsonb, $9)",
     -1},
    /* used by audit_list(): $1 limit, $2 $3 cursor (at, id), $4 actor, $5 entity, $6 entity_id,
       $7 since, $8 lang */
    {"audit_list",
     "WITH page AS ("
     " SELECT a FROM audit_log a"
     " WHERE ($2::timestamptz IS NULL OR (a.at, a.id) < ($2::timestamptz, $3::uuid))"
     "   AND ($4::uuid IS NULL OR a.actor_id = $4::uuid)"
     "   AND ($5::audit_entity IS NULL OR a.entity = $5::audit_entity)"
     "   AND ($6::uuid IS NULL OR a.entity_id = $6::uuid)"
     "   AND ($7::timestamptz IS NULL OR a.at > $7::timestamptz)"
     " ORDER BY a.at DESC, a.id DESC LIMIT $1::int + 1),"
     " numbered AS (SELECT a, row_number() OVER () AS n FROM page),"
     " shown AS (SELECT a, n FROM numbered WHERE n <= $1::int),"
     " next AS (SELECT cursor_encode(jsonb_build_array(ts_text((a).at), (a).id)) AS c"
     "          FROM shown WHERE n = $1::int AND EXISTS (SELECT 1 FROM numbered WHERE n > $1::int))"
     " SELECT json_build_object('items', coalesce((SELECT json_agg(json_build_object("
     "     'id', (a).id, 'at', ts_text((a).at),"
     "     'actor', json_build_object('id', (a).actor_id, 'name', (a).actor_name, 'role', (a).actor_role),"
     "     'action', (a).action, 'entity', (a).entity, 'entity_id', (a).entity_id,"
     "     'before', localize_json((a).before, $8), 'after', localize_json((a).after, $8),"
     "     'request_id', (a).request_id) ORDER BY n) FROM shown), '[]'),"
     "   'next_cursor', (SELECT c FROM next))::text, (SELECT c FROM next)",
     -1},
    /* used by audit_list() for CSV: every matching entry, newest first (sorted in the subquery,
       so each line is built as it streams out); $1 actor, $2 entity, $3 entity_id, $4 since,
       $5 lang */
    {"audit_csv",
     "SELECT audit_csv(x.a, $5) FROM (SELECT a FROM audit_log a"
     " WHERE ($1::uuid IS NULL OR a.actor_id = $1::uuid)"
     "   AND ($2::audit_entity IS NULL OR a.entity = $2::audit_entity)"
     "   AND ($3::uuid IS NULL OR a.entity_id = $3::uuid)"
     "   AND ($4::timestamptz IS NULL OR a.at > $4::timestamptz)"
     " ORDER BY a.at DESC, a.id DESC) x",
     -1},
};

enum { STMT_INSERT, STMT_LIST, STMT_CSV };

/* the members of an entry, actor flattened; before and after are JSON text (audit_csv) */
#define AUDIT_CSV_HEADER                                                                       \
    "id,at,actor.id,actor.name,actor.role,action,entity,entity_id,before,after,request_id\r\n"

void audit_register_statements(void)
{
    db_register(audit_stmts, sizeof audit_stmts / sizeof audit_stmts[0]);
}

enum app_err audit_record(struct http_req *req, struct http_res *res, const char *action,
                          const char *entity, const char *entity_id, const char *before,
                          const char *after)
{
    if (req->who.role != ROLE_EDITOR && req->who.role != ROLE_ADMIN)
        return APP_OK;
    if (before != NULL && after != NULL && strcmp(before, after) == 0)
        return APP_OK; /* a write that changed nothing (PATCH {}) leaves no trace */
    const char *role = req->who.role == ROLE_ADMIN ? "admin" : "editor";
    const char *params[] = {req->who.user_id, req->who.name, role, action, entity,
                            entity_id,        before,        after, req->request_id};
    struct db_result *r = NULL;
    enum app_err err = api_exec(req, res, &audit_stmts[STMT_INSERT], 9, params, &r);
    db_result_free(r);
    return err;
}

static const char *const audit_entities[] = {"resolution", "sector", "agency", "recommendation",
                                             "update", "user", "token", "import", NULL};

/* Reads and checks the filters; 400 naming the parameter. */
static enum app_err audit_filters(struct http_req *req, struct http_res *res, const char **f)
{
    f[0] = http_req_query(req, "actor");
    f[1] = http_req_query(req, "entity");
    f[2] = http_req_query(req, "entity_id");
    f[3] = http_req_query(req, "since");
    if (f[0] != NULL && !jsonx_is_uuid(f[0]))
        return http_problem_field(req, res, APP_ERR_INVALID, "actor must be a user id", "actor",
                                  "must be a user id");
    bool known = f[1] == NULL;
    for (size_t i = 0; !known && audit_entities[i] != NULL; i++)
        known = strcmp(f[1], audit_entities[i]) == 0;
    if (!known)
        return http_problem_field(req, res, APP_ERR_INVALID, "entity is not a known entity",
                                  "entity", "is not an allowed value");
    if (f[2] != NULL && !jsonx_is_uuid(f[2]))
        return http_problem_field(req, res, APP_ERR_INVALID, "entity_id must be an id",
                                  "entity_id", "must be an id");
    if (f[3] != NULL && !jsonx_is_timestamp(f[3]))
        return http_problem_field(req, res, APP_ERR_INVALID,
                                  "since must be an RFC 3339 time with a zone", "since",
                                  "must be an RFC 3339 time");
    return APP_OK;
}

enum app_err audit_list(struct http_req *req, struct http_res *res)
{
    int limit;
    const char *cursor, *lang, *f[4];
    char *key[2] = {NULL, NULL};
    bool csv = false;
    enum app_err err = api_require_role(req, res, ROLE_ADMIN);
    if (err == APP_OK)
        err = csv_wanted(req, res, &csv);
    if (err == APP_OK && !csv) /* limit and cursor do not apply to CSV */
        err = api_page_params(req, res, &limit, &cursor);
    if (err == APP_OK)
        err = api_lang(req, res, &lang);
    if (err == APP_OK)
        err = audit_filters(req, res, f);
    if (err == APP_OK && csv) {
        const char *params[] = {f[0], f[1], f[2], f[3], lang};
        return csv_stream(req, res, AUDIT_CSV_HEADER, &audit_stmts[STMT_CSV], 5, params);
    }
    if (err == APP_OK)
        err = api_cursor(req, res, cursor, "tu", key);
    if (err != APP_OK)
        return err;
    char limit_text[8];
    snprintf(limit_text, sizeof limit_text, "%d", limit);
    const char *params[] = {limit_text, key[0], key[1], f[0], f[1], f[2], f[3], lang};
    err = api_reply_page(req, res, &audit_stmts[STMT_LIST], 8, params);
    cursor_parts_free("tu", key);
    return err;
}
