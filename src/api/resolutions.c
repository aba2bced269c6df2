/*
 * Resolutions. The model for the other resources: members described once for the validator,
 * one statement per operation, JSON built by PostgreSQL (resolution_json), keyset pages.
 */
#include "api/resolutions.h"

#include "api/audit.h"
#include "api/csv.h"
#include "api/cursor.h"
#include "api/writes.h"
#include "json/jsonx.h"

#include "core/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct jsonx_field resolution_fields[] = {
    {.name = "slug", .type = JX_SLUG, .flags = JX_REQUIRED},
    {.name = "title", .type = JX_LOCALIZED, .flags = JX_REQUIRED},
    {.name = "summary", .type = JX_LOCALIZED, .flags = JX_NULLABLE},
    {.name = "adopted_on", .type = JX_DATE, .flags = JX_REQUIRED},
    {.name = "venue", .type = JX_STRING, .flags = JX_NULLABLE, .max = JSONX_MAX_SHORT},
    {.name = "city", .type = JX_STRING, .flags = JX_NULLABLE, .max = JSONX_MAX_SHORT},
    {.name = "country", .type = JX_COUNTRY, .flags = JX_NULLABLE},
    {.name = "source_url", .type = JX_URL, .flags = JX_NULLABLE},
    {.name = "source_language", .type = JX_LANG, .flags = JX_NULLABLE},
    {.name = "addressees", .type = JX_STRING_ARRAY},
    {.name = "organizers", .type = JX_STRING_ARRAY},
    {.name = "id", .type = JX_STRING, .flags = JX_READONLY},
    {.name = "recommendations_count", .type = JX_INT, .flags = JX_READONLY},
    {.name = "archived_at", .type = JX_STRING, .flags = JX_READONLY},
    {.name = "created_at", .type = JX_STRING, .flags = JX_READONLY},
    {.name = "updated_at", .type = JX_STRING, .flags = JX_READONLY},
    {.name = "version", .type = JX_INT, .flags = JX_READONLY},
    {.name = NULL},
};

/* the member list shared by insert and update: b is the validated body as jsonb */
#define RESOLUTION_SET(m, col)                                                                 \
    "CASE WHEN b ? '" m "' THEN " col " ELSE r." m " END"

static struct db_stmt resolution_stmts[] = {
    /* used by resolutions_find() */
    {"resolutions_find", "SELECT id FROM resolutions WHERE id = $1::uuid OR slug = $2", -1},
    /* used by resolutions_get() */
    {"resolutions_get",
     "SELECT resolution_json(r, $2)::text, r.version FROM resolutions r WHERE r.id = $1", -1},
    /* used by resolutions_list(): $1 archived, $2 limit, $3 $4 cursor, $5 lang */
    {"resolutions_list",
     "WITH page AS ("
     " SELECT r FROM resolutions r"
     " WHERE (r.archived_at IS NOT NULL) = $1::boolean"
     "   AND ($3::date IS NULL OR (r.adopted_on, r.id) < ($3::date, $4::uuid))"
     " ORDER BY r.adopted_on DESC, r.id DESC LIMIT $2::int + 1),"
     " numbered AS (SELECT r, row_number() OVER () AS n FROM page),"
     " shown AS (SELECT r, n FROM numbered WHERE n <= $2::int),"
     " next AS (SELECT cursor_encode(jsonb_build_array((r).adopted_on, (r).id)) AS c"
     "          FROM shown WHERE n = $2::int AND EXISTS (SELECT 1 FROM numbered WHERE n > $2::int))"
     " SELECT json_build_object('items', coalesce((SELECT json_agg(resolution_json(r, $5) ORDER BY n)"
     "                                              FROM shown), '[]'),"
     "                          'next_cursor', (SELECT c FROM next))::text, (SELECT c FROM next)",
     -1},
    /* used by resolutions_list() for CSV: every row, one CSV line each; $1 archived, $2 lang */
    {"resolutions_csv",
     "SELECT csv_line(r.id::text, r.slug, loc_text(r.title, $2, r.source_language),"
     "  loc_text(r.summary, $2, r.source_language), r.adopted_on::text, r.venue, r.city,"
     "  r.country, r.source_url, r.source_language, array_to_string(r.addressees, ';'),"
     "  array_to_string(r.organizers, ';'),"
     "  (SELECT count(*) FROM recommendations x WHERE x.resolution_id = r.id)::text,"
     "  ts_text(r.archived_at), ts_text(r.created_at), ts_text(r.updated_at), r.version::text)"
     " FROM resolutions r WHERE (r.archived_at IS NOT NULL) = $1::boolean"
     " ORDER BY r.adopted_on DESC, r.id DESC",
     -1},
    /* used by resolutions_create() */
    {"resolutions_insert",
     "INSERT INTO resolutions AS r (id, slug, title, summary, adopted_on, venue, city, country,"
     " source_url, source_language, addressees, organizers)"
     " SELECT gen_random_uuid(), b->>'slug', b->'title', nullif(b->'summary', 'null'),"
     "  (b->>'adopted_on')::date, b->>'venue', b->>'city', b->>'country', b->>'source_url',"
     "  b->>'source_language', coalesce(jsonb_text_array(b->'addressees'), '{}'),"
     "  coalesce(jsonb_text_array(b->'organizers'), '{}')"
     " FROM (SELECT $1::jsonb AS b) x"
     " RETURNING resolution_json(r, NULL)::text, r.version, r.id",
     -1},
    /* used by resolutions_patch(): $1 id, $2 body, $3 the If-Match versions (0 = any) */
    {"resolutions_update",
     "WITH before AS (SELECT resolution_json(r, NULL)::text AS j FROM resolutions r"
     "                WHERE r.id = $1 FOR UPDATE)"
     " UPDATE resolutions r SET"
     " slug = " RESOLUTION_SET("slug", "b->>'slug'") ","
     " title = " RESOLUTION_SET("title", "b->'title'") ","
     " summary = " RESOLUTION_SET("summary", "nullif(b->'summary', 'null')") ","
     " adopted_on = " RESOLUTION_SET("adopted_on", "(b->>'adopted_on')::date") ","
     " venue = " RESOLUTION_SET("venue", "b->>'venue'") ","
     " city = " RESOLUTION_SET("city", "b->>'city'") ","
     " country = " RESOLUTION_SET("country", "b->>'country'") ","
     " source_url = " RESOLUTION_SET("source_url", "b->>'source_url'") ","
     " source_language = " RESOLUTION_SET("source_language", "b->>'source_language'") ","
     " addressees = " RESOLUTION_SET("addressees", "jsonb_text_array(b->'addressees')") ","
     " organizers = " RESOLUTION_SET("organizers", "jsonb_text_array(b->'organizers')") ","
     " version = r.version + 1, updated_at = now()"
     " FROM (SELECT $2::jsonb AS b) x, before" /* read (and locked) before the update */
     " WHERE r.id = $1 AND " WRITES_VERSION_MATCHES("r")
     " RETURNING resolution_json(r, NULL)::text, r.version, before.j",
     -1},
    /* used by resolutions_archive() / _unarchive(): a repeat is a no-op */
    {"resolutions_set_archived",
     "WITH before AS (SELECT resolution_json(r, NULL)::text AS j, r.archived_at IS NOT NULL AS was"
     "                FROM resolutions r WHERE r.id = $1 FOR UPDATE)"
     " UPDATE resolutions r SET archived_at = CASE WHEN $2::boolean"
     "   THEN coalesce(r.archived_at, now()) END,"
     " version = r.version + CASE WHEN (r.archived_at IS NOT NULL) = $2::boolean THEN 0 ELSE 1 END,"
     " updated_at = CASE WHEN (r.archived_at IS NOT NULL) = $2::boolean THEN r.updated_at"
     "   ELSE now() END"
     " FROM before WHERE r.id = $1"
     " RETURNING resolution_json(r, NULL)::text, r.version, before.j,"
     " before.was <> $2::boolean",
     -1},
};

enum { STMT_FIND, STMT_GET, STMT_LIST, STMT_CSV, STMT_INSERT, STMT_UPDATE, STMT_SET_ARCHIVED };

#define RESOLUTION_CSV_HEADER                                                                  \
    "id,slug,title,summary,adopted_on,venue,city,country,source_url,source_language,"          \
    "addressees,organizers,recommendations_count,archived_at,created_at,updated_at,version\r\n"

void resolutions_register_statements(void)
{
    db_register(resolution_stmts, sizeof resolution_stmts / sizeof resolution_stmts[0]);
}

enum app_err resolutions_find(struct http_req *req, struct http_res *res, const char *ref,
                              char *id)
{
    const char *by_id, *by_slug;
    if (!api_ref_split(ref, &by_id, &by_slug))
        return http_problem(req, res, APP_ERR_NOT_FOUND, "no such resolution", NULL);
    const char *params[] = {by_id, by_slug};
    struct db_result *r = NULL;
    enum app_err err = api_exec(req, res, &resolution_stmts[STMT_FIND], 2, params, &r);
    if (err != APP_OK)
        return err;
    if (db_result_rows(r) == 0)
        err = http_problem(req, res, APP_ERR_NOT_FOUND, "no such resolution", NULL);
    else
        snprintf(id, 37, "%s", db_result_value(r, 0, 0));
    db_result_free(r);
    return err;
}

enum app_err resolutions_list(struct http_req *req, struct http_res *res)
{
    int limit;
    const char *cursor, *lang, *archived;
    char *key[2] = {NULL, NULL};
    bool csv = false;
    enum app_err err = csv_wanted(req, res, &csv);
    if (err == APP_OK)
        err = api_lang(req, res, &lang);
    if (err == APP_OK)
        err = api_archived_param(req, res, &archived);
    if (err == APP_OK && csv) {
        const char *params[] = {archived, lang};
        return csv_stream(req, res, RESOLUTION_CSV_HEADER, &resolution_stmts[STMT_CSV], 2, params);
    }
    if (err == APP_OK)
        err = api_page_params(req, res, &limit, &cursor);
    if (err == APP_OK)
        err = api_cursor(req, res, cursor, "du", key);
    if (err != APP_OK)
        return err;
    char limit_text[8];
    snprintf(limit_text, sizeof limit_text, "%d", limit);
    const char *params[] = {archived, limit_text, key[0], key[1], lang};
    err = api_reply_page(req, res, &resolution_stmts[STMT_LIST], 5, params);
    cursor_parts_free("du", key);
    return err;
}

enum app_err resolutions_get(struct http_req *req, struct http_res *res)
{
    char id[37];
    const char *lang;
    enum app_err err = api_lang(req, res, &lang);
    if (err == APP_OK)
        err = resolutions_find(req, res, req->params[0], id);
    if (err != APP_OK)
        return err;
    const char *params[] = {id, lang};
    return api_reply_query(req, res, &resolution_stmts[STMT_GET], 2, params, 1,
                           "no such resolution");
}

/* 409 for a taken slug; other errors pass through unchanged. */
static enum app_err slug_conflict(struct http_req *req, struct http_res *res, enum app_err err)
{
    if (err != APP_ERR_CONFLICT)
        return err;
    return http_problem_field(req, res, APP_ERR_CONFLICT, "another resolution has this slug",
                              "/slug", "is taken");
}

/* Validates @a body (@a partial for a PATCH): APP_OK, or 400 with every field error written. */
static enum app_err resolutions_validate(struct http_req *req, struct http_res *res,
                                         json_t *body, bool partial)
{
    json_t *errors = json_array();
    jsonx_validate(body, resolution_fields, partial, "", errors);
    return api_fields_ok(req, res, errors);
}

enum app_err resolutions_create(struct http_req *req, struct http_res *res)
{
    json_t *body = NULL;
    enum app_err err = api_require_role(req, res, ROLE_EDITOR);
    if (err == APP_OK)
        err = api_body_object(req, res, &body);
    if (err == APP_OK)
        err = resolutions_validate(req, res, body, false);
    if (err == APP_OK) {
        char *text = api_json_text(body);
        const char *params[] = {text};
        const struct write_create w = {&resolution_stmts[STMT_INSERT], "resolution",
                                       "/v1/resolutions", slug_conflict};
        err = writes_create(req, res, &w, 1, params);
        free(text);
    }
    json_decref(body);
    return err;
}

enum app_err resolutions_patch(struct http_req *req, struct http_res *res)
{
    char id[37];
    json_t *body = NULL;
    enum app_err err = api_require_token(req, res);
    if (err == APP_OK)
        err = resolutions_find(req, res, req->params[0], id);
    if (err == APP_OK)
        err = api_require_role(req, res, ROLE_EDITOR);
    if (err == APP_OK)
        err = api_body_object(req, res, &body);
    if (err == APP_OK)
        err = resolutions_validate(req, res, body, true);
    if (err == APP_OK) {
        const struct write_patch w = {&resolution_stmts[STMT_UPDATE], "resolution", id, 3, NULL,
                                      slug_conflict};
        err = writes_patch(req, res, body, &w);
    }
    json_decref(body);
    return err;
}

enum app_err resolutions_archive(struct http_req *req, struct http_res *res)
{
    return writes_set_archived(req, res, resolutions_find, &resolution_stmts[STMT_SET_ARCHIVED], "resolution", true);
}

enum app_err resolutions_unarchive(struct http_req *req, struct http_res *res)
{
    return writes_set_archived(req, res, resolutions_find, &resolution_stmts[STMT_SET_ARCHIVED], "resolution", false);
}
