/*
 * Sectors: the thematic sections of a resolution. Same shape as resolutions.c: members
 * described once for the validator, one statement per operation, JSON built by PostgreSQL
 * (sector_json in migrations/0003), keyset pages ordered by position, then code.
 */
#include "api/sectors.h"

#include "api/audit.h"
#include "api/csv.h"
#include "api/cursor.h"
#include "api/resolutions.h"
#include "api/writes.h"
#include "json/jsonx.h"

#include "core/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* position fits PostgreSQL's integer */
#define SECTOR_POSITION_MIN (-2147483647LL - 1)
#define SECTOR_POSITION_MAX 2147483647LL

/* read-only members, shared by both tables below */
#define SECTOR_READONLY_FIELDS                                                                 \
    {.name = "id", .type = JX_STRING, .flags = JX_READONLY},                                   \
        {.name = "resolution_id", .type = JX_STRING, .flags = JX_READONLY},                    \
        {.name = "recommendations_count", .type = JX_INT, .flags = JX_READONLY},               \
        {.name = "created_at", .type = JX_STRING, .flags = JX_READONLY},                       \
        {.name = "updated_at", .type = JX_STRING, .flags = JX_READONLY},                       \
        {.name = "version", .type = JX_INT, .flags = JX_READONLY},                             \
    {                                                                                          \
        .name = NULL                                                                           \
    }

/* on create, a null position means "after the last sector", like an absent one */
static const struct jsonx_field sector_create_fields[] = {
    {.name = "code", .type = JX_CODE, .flags = JX_REQUIRED, .max = 20},
    {.name = "title", .type = JX_LOCALIZED, .flags = JX_REQUIRED},
    {.name = "position", .type = JX_INT, .flags = JX_NULLABLE, .min = SECTOR_POSITION_MIN,
     .max = SECTOR_POSITION_MAX},
    {.name = "participants", .type = JX_STRING_ARRAY},
    SECTOR_READONLY_FIELDS,
};

static const struct jsonx_field sector_patch_fields[] = {
    {.name = "code", .type = JX_CODE, .max = 20},
    {.name = "title", .type = JX_LOCALIZED},
    {.name = "position", .type = JX_INT, .min = SECTOR_POSITION_MIN, .max = SECTOR_POSITION_MAX},
    {.name = "participants", .type = JX_STRING_ARRAY},
    SECTOR_READONLY_FIELDS,
};

/* a member of the PATCH body b, or the current value */
#define SECTOR_SET(m, col) "CASE WHEN b ? '" m "' THEN " col " ELSE s." m " END"

static struct db_stmt sector_stmts[] = {
    /* used by sectors_patch() */
    {"sectors_exists", "SELECT 1 FROM sectors WHERE id = $1::uuid", -1},
    /* used by sectors_get() */
    {"sectors_get", "SELECT sector_json(s, $2)::text, s.version FROM sectors s WHERE s.id = $1::uuid",
     -1},
    /* used by sectors_list(): $1 resolution, $2 limit, $3 $4 cursor, $5 lang */
    {"sectors_list",
     "WITH page AS ("
     " SELECT s FROM sectors s"
     " WHERE s.resolution_id = $1::uuid"
     "   AND ($3::int IS NULL OR (s.position, s.code COLLATE \"C\") > ($3::int, $4::text))"
     " ORDER BY s.position, s.code COLLATE \"C\" LIMIT $2::int + 1),"
     " numbered AS (SELECT s, row_number() OVER (ORDER BY (s).position, (s).code COLLATE \"C\")"
     "              AS n FROM page),"
     " shown AS (SELECT s, n FROM numbered WHERE n <= $2::int),"
     " next AS (SELECT cursor_encode(jsonb_build_array((s).position, (s).code)) AS c"
     "          FROM shown WHERE n = $2::int AND EXISTS (SELECT 1 FROM numbered WHERE n > $2::int))"
     " SELECT json_build_object('items', coalesce((SELECT json_agg(sector_json(s, $5) ORDER BY n)"
     "                                              FROM shown), '[]'),"
     "                          'next_cursor', (SELECT c FROM next))::text, (SELECT c FROM next)",
     -1},
    /* used by sectors_list() for CSV: every sector, one CSV line each (sorted in the subquery,
     * so each line is built as it streams out); $1 resolution, $2 lang */
    {"sectors_csv",
     "SELECT sector_csv(x.s, $2,"
     "  (SELECT r.source_language FROM resolutions r WHERE r.id = $1::uuid))"
     " FROM (SELECT s FROM sectors s WHERE s.resolution_id = $1::uuid"
     "       ORDER BY s.position, s.code COLLATE \"C\") x",
     -1},
    /* used by sectors_create(): $1 resolution, $2 body */
    {"sectors_insert",
     "INSERT INTO sectors AS s (id, resolution_id, code, position, title, participants)"
     " SELECT gen_random_uuid(), $1::uuid, b->>'code',"
     "  coalesce((b->>'position')::int,"
     "           (SELECT coalesce(max(position), 0) + 1 FROM sectors WHERE resolution_id = $1::uuid)),"
     "  b->'title', coalesce(jsonb_text_array(b->'participants'), '{}')"
     " FROM (SELECT $2::jsonb AS b) x"
     " RETURNING sector_json(s, NULL)::text, s.version, s.id",
     -1},
    /* used by sectors_patch(): $1 id, $2 body, $3 the If-Match versions (0 = any) */
    {"sectors_update",
     "WITH before AS (SELECT sector_json(s, NULL)::text AS j FROM sectors s"
     "                WHERE s.id = $1::uuid FOR UPDATE)"
     " UPDATE sectors s SET"
     " code = " SECTOR_SET("code", "b->>'code'") ","
     " title = " SECTOR_SET("title", "b->'title'") ","
     " position = " SECTOR_SET("position", "(b->>'position')::int") ","
     " participants = " SECTOR_SET("participants", "jsonb_text_array(b->'participants')") ","
     " version = s.version + 1, updated_at = now()"
     " FROM (SELECT $2::jsonb AS b) x, before" /* read (and locked) before the update */
     " WHERE s.id = $1::uuid AND " WRITES_VERSION_MATCHES("s")
     " RETURNING sector_json(s, NULL)::text, s.version, before.j",
     -1},
};

enum { STMT_EXISTS, STMT_GET, STMT_LIST, STMT_CSV, STMT_INSERT, STMT_UPDATE };

/* the members of sector_json, in order */
#define SECTOR_CSV_HEADER                                                                      \
    "id,resolution_id,code,position,title,participants,recommendations_count,created_at,"     \
    "updated_at,version\r\n"

void sectors_register_statements(void)
{
    db_register(sector_stmts, sizeof sector_stmts / sizeof sector_stmts[0]);
}

/* 404 unless @a ref is the id of a sector (sectors have no slug). */
static enum app_err sectors_find(struct http_req *req, struct http_res *res, const char *ref)
{
    if (ref == NULL || !jsonx_is_uuid(ref))
        return http_problem(req, res, APP_ERR_NOT_FOUND, "no such sector", NULL);
    const char *params[] = {ref};
    struct db_result *r = NULL;
    enum app_err err = api_exec(req, res, &sector_stmts[STMT_EXISTS], 1, params, &r);
    if (err == APP_OK && db_result_rows(r) == 0)
        err = http_problem(req, res, APP_ERR_NOT_FOUND, "no such sector", NULL);
    db_result_free(r);
    return err;
}

/* Answers every sector of resolution @a id as CSV, in the list's order. */
static enum app_err sectors_csv(struct http_req *req, struct http_res *res, const char *id)
{
    const char *lang;
    enum app_err err = api_lang(req, res, &lang);
    if (err != APP_OK)
        return err;
    const char *params[] = {id, lang};
    return csv_stream(req, res, SECTOR_CSV_HEADER, &sector_stmts[STMT_CSV], 2, params);
}

enum app_err sectors_list(struct http_req *req, struct http_res *res)
{
    int limit;
    const char *cursor, *lang;
    char id[37];
    char *key[2] = {NULL, NULL};
    bool csv = false;
    /* 404 (target unknown) comes before 400 (bad parameters) */
    enum app_err err = resolutions_find(req, res, req->params[0], id);
    if (err == APP_OK)
        err = csv_wanted(req, res, &csv);
    if (err == APP_OK && csv) /* every sector: limit and cursor do not apply */
        return sectors_csv(req, res, id);
    if (err == APP_OK)
        err = api_page_params(req, res, &limit, &cursor);
    if (err == APP_OK)
        err = api_lang(req, res, &lang);
    if (err == APP_OK)
        err = api_cursor(req, res, cursor, "is", key);
    if (err != APP_OK)
        goto out;
    char limit_text[8];
    snprintf(limit_text, sizeof limit_text, "%d", limit);
    const char *params[] = {id, limit_text, key[0], key[1], lang};
    err = api_reply_page(req, res, &sector_stmts[STMT_LIST], 5, params);
out:
    cursor_parts_free("is", key);
    return err;
}

enum app_err sectors_get(struct http_req *req, struct http_res *res)
{
    const char *lang;
    enum app_err err = api_lang(req, res, &lang);
    if (err != APP_OK)
        return err;
    const char *id = req->params[0];
    if (!jsonx_is_uuid(id))
        return http_problem(req, res, APP_ERR_NOT_FOUND, "no such sector", NULL);
    const char *params[] = {id, lang};
    return api_reply_query(req, res, &sector_stmts[STMT_GET], 2, params, 1,
                           "no such sector");
}

/* 409 naming /code for a code taken in the resolution; other errors pass through unchanged. */
static enum app_err code_conflict(struct http_req *req, struct http_res *res, enum app_err err)
{
    if (err != APP_ERR_CONFLICT)
        return err;
    return http_problem_field(req, res, APP_ERR_CONFLICT,
                              "another sector of this resolution has this code", "/code",
                              "is taken in this resolution");
}

/* Validates @a body against @a fields: APP_OK, or 400 with every field error written. */
static enum app_err sectors_validate(struct http_req *req, struct http_res *res, json_t *body,
                                     const struct jsonx_field *fields, bool partial)
{
    json_t *errors = json_array();
    jsonx_validate(body, fields, partial, "", errors);
    return api_fields_ok(req, res, errors);
}

enum app_err sectors_create(struct http_req *req, struct http_res *res)
{
    char resolution_id[37];
    json_t *body = NULL;
    enum app_err err = api_require_token(req, res);
    if (err == APP_OK)
        err = resolutions_find(req, res, req->params[0], resolution_id);
    if (err == APP_OK)
        err = api_require_role(req, res, ROLE_EDITOR);
    if (err == APP_OK)
        err = api_body_object(req, res, &body);
    if (err == APP_OK)
        err = sectors_validate(req, res, body, sector_create_fields, false);
    if (err == APP_OK) {
        char *text = api_json_text(body);
        const char *params[] = {resolution_id, text};
        const struct write_create w = {&sector_stmts[STMT_INSERT], "sector", "/v1/sectors",
                                       code_conflict};
        err = writes_create(req, res, &w, 2, params);
        free(text);
    }
    json_decref(body);
    return err;
}

enum app_err sectors_patch(struct http_req *req, struct http_res *res)
{
    json_t *body = NULL;
    const char *id = req->params[0];
    enum app_err err = api_require_token(req, res);
    if (err == APP_OK)
        err = sectors_find(req, res, id);
    if (err == APP_OK)
        err = api_require_role(req, res, ROLE_EDITOR);
    if (err == APP_OK)
        err = api_body_object(req, res, &body);
    if (err == APP_OK)
        err = sectors_validate(req, res, body, sector_patch_fields, true);
    if (err == APP_OK) {
        const struct write_patch w = {&sector_stmts[STMT_UPDATE], "sector", id, 3, NULL,
                                      code_conflict};
        err = writes_patch(req, res, body, &w);
    }
    json_decref(body);
    return err;
}
