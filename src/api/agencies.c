/*
 * Agencies: the bodies that own recommendations. Same shape as resolutions.c: members
 * described once for the validator, one statement per operation, JSON built by PostgreSQL
 * (agency_json in migrations/0003), keyset pages ordered by slug. The parent is given as an id
 * or a slug and stored as the id; a parent that would make the agency its own ancestor is
 * refused here (400) and, whatever the writer, by a trigger.
 */
#include "api/agencies.h"

#include "api/audit.h"
#include "api/csv.h"
#include "api/cursor.h"
#include "api/writes.h"
#include "json/jsonx.h"

#include "core/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const agency_kinds[] = {
    "presidency",       "cabinet",       "ministry",         "state_agency",
    "parliament",       "judiciary",     "local_government", "ombudsman",
    "security_council", "international_organization", "civil_society", "business",
    "other",            NULL,
};

static const struct jsonx_field agency_fields[] = {
    {.name = "slug", .type = JX_SLUG, .flags = JX_REQUIRED},
    {.name = "name", .type = JX_LOCALIZED, .flags = JX_REQUIRED},
    {.name = "kind", .type = JX_ENUM, .flags = JX_REQUIRED, .values = agency_kinds},
    {.name = "acronym", .type = JX_STRING, .flags = JX_NULLABLE, .max = JSONX_MAX_ACRONYM},
    {.name = "parent_id", .type = JX_REF, .flags = JX_NULLABLE},
    {.name = "website", .type = JX_URL, .flags = JX_NULLABLE},
    {.name = "id", .type = JX_STRING, .flags = JX_READONLY},
    {.name = "archived_at", .type = JX_STRING, .flags = JX_READONLY},
    {.name = "created_at", .type = JX_STRING, .flags = JX_READONLY},
    {.name = "updated_at", .type = JX_STRING, .flags = JX_READONLY},
    {.name = "version", .type = JX_INT, .flags = JX_READONLY},
    {.name = NULL},
};

/* a member of the PATCH body b, or the current value */
#define AGENCY_SET(m, col) "CASE WHEN b ? '" m "' THEN " col " ELSE a." m " END"

static struct db_stmt agency_stmts[] = {
    /* used by agencies_find() and the parent lookup */
    {"agencies_find", "SELECT id FROM agencies WHERE id = $1::uuid OR slug = $2", -1},
    /* used by agencies_get() */
    {"agencies_get",
     "SELECT agency_json(a, $2)::text, a.version FROM agencies a WHERE a.id = $1::uuid", -1},
    /* used by agencies_list(): $1 archived, $2 limit, $3 cursor, $4 lang, $5 kind, $6 q */
    {"agencies_list",
     "WITH page AS ("
     " SELECT a FROM agencies a"
     " WHERE (a.archived_at IS NOT NULL) = $1::boolean"
     "   AND ($5::agency_kind IS NULL OR a.kind = $5::agency_kind)"
     "   AND ($6::text IS NULL OR agency_matches(a, $6::text))"
     "   AND ($3::text IS NULL OR a.slug COLLATE \"C\" > $3::text)"
     " ORDER BY a.slug COLLATE \"C\" LIMIT $2::int + 1),"
     " numbered AS (SELECT a, row_number() OVER (ORDER BY (a).slug COLLATE \"C\") AS n FROM page),"
     " shown AS (SELECT a, n FROM numbered WHERE n <= $2::int),"
     " next AS (SELECT cursor_encode(jsonb_build_array((a).slug)) AS c"
     "          FROM shown WHERE n = $2::int AND EXISTS (SELECT 1 FROM numbered WHERE n > $2::int))"
     " SELECT json_build_object('items', coalesce((SELECT json_agg(agency_json(a, $4) ORDER BY n)"
     "                                              FROM shown), '[]'),"
     "                          'next_cursor', (SELECT c FROM next))::text, (SELECT c FROM next)",
     -1},
    /* used by agencies_list() for CSV: every matching agency, one CSV line each (sorted in
     * the subquery, so each line is built as it streams out, not all before a sort);
     * $1 archived, $2 lang, $3 kind, $4 q */
    {"agencies_csv",
     "SELECT agency_csv(x.a, $2) FROM (SELECT a FROM agencies a"
     " WHERE (a.archived_at IS NOT NULL) = $1::boolean"
     "   AND ($3::agency_kind IS NULL OR a.kind = $3::agency_kind)"
     "   AND ($4::text IS NULL OR agency_matches(a, $4::text))"
     " ORDER BY a.slug COLLATE \"C\") x",
     -1},
    /* used by agencies_create(): $1 body, parent_id already an id */
    {"agencies_insert",
     "INSERT INTO agencies AS a (id, slug, name, kind, acronym, parent_id, website)"
     " SELECT gen_random_uuid(), b->>'slug', b->'name', (b->>'kind')::agency_kind,"
     "  b->>'acronym', (b->>'parent_id')::uuid, b->>'website'"
     " FROM (SELECT $1::jsonb AS b) x"
     " RETURNING agency_json(a, NULL)::text, a.version, a.id",
     -1},
    /* used by agencies_patch(): $1 id, $2 body (parent_id an id), $3 the If-Match versions (0 = any) */
    {"agencies_update",
     "WITH before AS (SELECT agency_json(a, NULL)::text AS j FROM agencies a"
     "                WHERE a.id = $1::uuid FOR UPDATE)"
     " UPDATE agencies a SET"
     " slug = " AGENCY_SET("slug", "b->>'slug'") ","
     " name = " AGENCY_SET("name", "b->'name'") ","
     " kind = " AGENCY_SET("kind", "(b->>'kind')::agency_kind") ","
     " acronym = " AGENCY_SET("acronym", "b->>'acronym'") ","
     " parent_id = " AGENCY_SET("parent_id", "(b->>'parent_id')::uuid") ","
     " website = " AGENCY_SET("website", "b->>'website'") ","
     " version = a.version + 1, updated_at = now()"
     " FROM (SELECT $2::jsonb AS b) x, before" /* read (and locked) before the update */
     " WHERE a.id = $1::uuid AND " WRITES_VERSION_MATCHES("a")
     " RETURNING agency_json(a, NULL)::text, a.version, before.j",
     -1},
    /* used by agencies_patch(): is agency $1 the new parent $2 or one of its ancestors? */
    {"agencies_cycle", "SELECT agency_chain_has($2::uuid, $1::uuid)", -1},
    /* used by agencies_archive() / _unarchive(): a repeat is a no-op */
    {"agencies_set_archived",
     "WITH before AS (SELECT agency_json(a, NULL)::text AS j, a.archived_at IS NOT NULL AS was"
     "                FROM agencies a WHERE a.id = $1::uuid FOR UPDATE)"
     " UPDATE agencies a SET archived_at = CASE WHEN $2::boolean"
     "   THEN coalesce(a.archived_at, now()) END,"
     " version = a.version + CASE WHEN (a.archived_at IS NOT NULL) = $2::boolean THEN 0 ELSE 1 END,"
     " updated_at = CASE WHEN (a.archived_at IS NOT NULL) = $2::boolean THEN a.updated_at"
     "   ELSE now() END"
     " FROM before WHERE a.id = $1::uuid RETURNING agency_json(a, NULL)::text, a.version,"
     " before.j, before.was <> $2::boolean",
     -1},
};

enum {
    STMT_FIND,
    STMT_GET,
    STMT_LIST,
    STMT_CSV,
    STMT_INSERT,
    STMT_UPDATE,
    STMT_CYCLE,
    STMT_SET_ARCHIVED
};

/* the members of agency_json, in order */
#define AGENCY_CSV_HEADER                                                                      \
    "id,slug,name,acronym,kind,parent_id,website,archived_at,created_at,updated_at,version\r\n"

void agencies_register_statements(void)
{
    db_register(agency_stmts, sizeof agency_stmts / sizeof agency_stmts[0]);
}

/*
 * Looks an agency up by id or slug without answering "not found" (callers decide: 404 for a
 * path, 400 for a body member).
 * @param[out] id the agency's id, "" when there is none
 */
static enum app_err agencies_lookup(struct http_req *req, struct http_res *res, const char *ref,
                                    char *id)
{
    const char *by_id, *by_slug;
    id[0] = '\0';
    if (!api_ref_split(ref, &by_id, &by_slug))
        return APP_OK;
    const char *params[] = {by_id, by_slug};
    struct db_result *r = NULL;
    enum app_err err = api_exec(req, res, &agency_stmts[STMT_FIND], 2, params, &r);
    if (err == APP_OK && db_result_rows(r) > 0)
        snprintf(id, 37, "%s", db_result_value(r, 0, 0));
    db_result_free(r);
    return err;
}

enum app_err agencies_find(struct http_req *req, struct http_res *res, const char *ref,
                           char *id)
{
    enum app_err err = agencies_lookup(req, res, ref, id);
    if (err == APP_OK && id[0] == '\0')
        err = http_problem(req, res, APP_ERR_NOT_FOUND, "no such agency", NULL);
    return err;
}

/* Is @a s valid UTF-8 (no overlongs, no surrogates, at most U+10FFFF)? */
static bool agencies_utf8_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p, need, min;
        if (c < 0x80) {
            p++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            need = 1, min = 0x80, c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            need = 2, min = 0x800, c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            need = 3, min = 0x10000, c &= 0x07;
        } else {
            return false;
        }
        for (unsigned i = 1; i <= need; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
            c = (c << 6) | (p[i] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return false;
        p += need + 1;
    }
    return true;
}

/* Reads `kind` (one of the agency kinds) and `q` (non-empty UTF-8 text); NULL when absent. */
static enum app_err agencies_filters(struct http_req *req, struct http_res *res,
                                     const char **kind, const char **q)
{
    *kind = http_req_query(req, "kind");
    *q = http_req_query(req, "q");
    bool kind_ok = *kind == NULL;
    for (const char *const *k = agency_kinds; !kind_ok && *k != NULL; k++)
        kind_ok = strcmp(*k, *kind) == 0;
    if (!kind_ok || http_req_query_count(req, "kind") > 1)
        return http_problem_field(req, res, APP_ERR_INVALID, "kind is not an agency kind",
                                  "kind", "must be one agency kind, such as ministry");
    if (*q != NULL && ((*q)[0] == '\0' || !agencies_utf8_ok(*q) ||
                       http_req_query_count(req, "q") > 1))
        return http_problem_field(req, res, APP_ERR_INVALID, "q is not a search text", "q",
                                  "must be one non-empty text");
    char too_long[JSONX_TOO_LONG_SIZE];
    if (*q != NULL && jsonx_utf8_length(*q) > JSONX_MAX_TEXT)
        return http_problem_field(req, res, APP_ERR_INVALID, "q is too long", "q",
                                  jsonx_too_long(too_long, JSONX_MAX_TEXT));
    return APP_OK;
}

enum app_err agencies_list(struct http_req *req, struct http_res *res)
{
    int limit;
    const char *cursor, *lang, *archived, *kind, *q;
    char *key[1] = {NULL};
    bool csv = false;
    enum app_err err = csv_wanted(req, res, &csv);
    if (err == APP_OK && !csv) /* limit and cursor do not apply to CSV */
        err = api_page_params(req, res, &limit, &cursor);
    if (err == APP_OK)
        err = api_lang(req, res, &lang);
    if (err == APP_OK)
        err = api_archived_param(req, res, &archived);
    if (err == APP_OK)
        err = agencies_filters(req, res, &kind, &q);
    if (err == APP_OK && csv) {
        const char *params[] = {archived, lang, kind, q};
        return csv_stream(req, res, AGENCY_CSV_HEADER, &agency_stmts[STMT_CSV], 4, params);
    }
    if (err == APP_OK)
        err = api_cursor(req, res, cursor, "s", key);
    if (err != APP_OK)
        return err;
    char limit_text[8];
    snprintf(limit_text, sizeof limit_text, "%d", limit);
    const char *params[] = {archived, limit_text, key[0], lang, kind, q};
    err = api_reply_page(req, res, &agency_stmts[STMT_LIST], 6, params);
    cursor_parts_free("s", key);
    return err;
}

enum app_err agencies_get(struct http_req *req, struct http_res *res)
{
    char id[37];
    const char *lang;
    enum app_err err = api_lang(req, res, &lang);
    if (err == APP_OK)
        err = agencies_find(req, res, req->params[0], id);
    if (err != APP_OK)
        return err;
    const char *params[] = {id, lang};
    return api_reply_query(req, res, &agency_stmts[STMT_GET], 2, params, 1,
                           "no such agency");
}

/* 400 naming /parent_id: a parent that would make the agency its own ancestor. */
static enum app_err parent_cycle(struct http_req *req, struct http_res *res)
{
    return http_problem_field(req, res, APP_ERR_INVALID,
                              "an agency cannot be its own parent or ancestor", "/parent_id",
                              "would make the agency its own ancestor");
}

/*
 * Replaces a `parent_id` given as an id or a slug by the parent's id: 400 when there is no
 * such agency or (for an existing agency @a self, NULL on create) when it would close a cycle.
 */
static enum app_err agencies_parent(struct http_req *req, struct http_res *res, json_t *body,
                                    const char *self)
{
    json_t *v = json_object_get(body, "parent_id");
    if (v == NULL || json_is_null(v))
        return APP_OK;
    char parent[37];
    enum app_err err = agencies_lookup(req, res, json_string_value(v), parent);
    if (err != APP_OK)
        return err;
    if (parent[0] == '\0')
        return http_problem_field(req, res, APP_ERR_INVALID, "the parent agency does not exist",
                                  "/parent_id", "no such agency");
    if (self != NULL) {
        const char *params[] = {self, parent};
        struct db_result *r = NULL;
        err = api_exec(req, res, &agency_stmts[STMT_CYCLE], 2, params, &r);
        bool cycle = err == APP_OK && strcmp(db_result_value(r, 0, 0), "t") == 0;
        db_result_free(r);
        if (cycle)
            return parent_cycle(req, res);
        if (err != APP_OK)
            return err;
    }
    json_object_set_new(body, "parent_id", json_string(parent));
    return APP_OK;
}

/*
 * Maps a failed write: a taken slug → 409 naming /slug; a cycle closed meanwhile by another
 * writer (the trigger's check) → 400 naming /parent_id; others pass through unchanged.
 */
static enum app_err write_error(struct http_req *req, struct http_res *res, enum app_err err)
{
    if (err == APP_ERR_CONFLICT)
        return http_problem_field(req, res, APP_ERR_CONFLICT, "another agency has this slug",
                                  "/slug", "is taken");
    if (err == APP_ERR_INVALID && req->db != NULL &&
        strcmp(db_conn_constraint(req->db), "agencies_parent_cycle") == 0)
        return parent_cycle(req, res);
    return err;
}

/* Validates @a body: APP_OK, or 400 with every field error written. */
static enum app_err agencies_validate(struct http_req *req, struct http_res *res, json_t *body,
                                      bool partial)
{
    json_t *errors = json_array();
    jsonx_validate(body, agency_fields, partial, "", errors);
    return api_fields_ok(req, res, errors);
}

enum app_err agencies_create(struct http_req *req, struct http_res *res)
{
    json_t *body = NULL;
    enum app_err err = api_require_role(req, res, ROLE_EDITOR);
    if (err == APP_OK)
        err = api_body_object(req, res, &body);
    if (err == APP_OK)
        err = agencies_validate(req, res, body, false);
    if (err == APP_OK)
        err = agencies_parent(req, res, body, NULL);
    if (err == APP_OK) {
        char *text = api_json_text(body);
        const char *params[] = {text};
        const struct write_create w = {&agency_stmts[STMT_INSERT], "agency", "/v1/agencies",
                                       write_error};
        err = writes_create(req, res, &w, 1, params);
        free(text);
    }
    json_decref(body);
    return err;
}

enum app_err agencies_patch(struct http_req *req, struct http_res *res)
{
    char id[37];
    json_t *body = NULL;
    enum app_err err = api_require_token(req, res);
    if (err == APP_OK)
        err = agencies_find(req, res, req->params[0], id);
    if (err == APP_OK)
        err = api_require_role(req, res, ROLE_EDITOR);
    if (err == APP_OK)
        err = api_body_object(req, res, &body);
    if (err == APP_OK)
        err = agencies_validate(req, res, body, true);
    if (err == APP_OK)
        err = agencies_parent(req, res, body, id);
    if (err == APP_OK) {
        const struct write_patch w = {&agency_stmts[STMT_UPDATE], "agency", id, 3, NULL,
                                      write_error};
        err = writes_patch(req, res, body, &w);
    }
    json_decref(body);
    return err;
}

enum app_err agencies_archive(struct http_req *req, struct http_res *res)
{
    return writes_set_archived(req, res, agencies_find, &agency_stmts[STMT_SET_ARCHIVED], "agency", true);
}

enum app_err agencies_unarchive(struct http_req *req, struct http_res *res)
{
    return writes_set_archived(req, res, agencies_find, &agency_stmts[STMT_SET_ARCHIVED], "agency", false);
}
