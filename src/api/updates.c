/*
 * Updates: a recommendation's timeline (append-only), posting, the activity feed, retraction.
 *
 * Posting is one statement, update_post() in migrations/0005_updates.sql: it locks the
 * recommendation row, compares the If-Match version with the locked row, inserts the update and
 * replays the recommendation's state with updates_apply(), so either all of it commits or none.
 *
 * The feed is ordered by (tx, seq): the writing transaction's id, then insertion order. A page
 * only holds rows whose transaction is below the xmin of the reading snapshot; every such
 * transaction has finished, so no row can later appear before a cursor handed out, however the
 * writers' commits interleave. Sequence values or timestamps would not give that guarantee.
 */
#include "api/updates.h"

#include "api/audit.h"
#include "api/csv.h"
#include "api/cursor.h"
#include "http/etag.h"
#include "json/jsonx.h"

#include "core/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const update_statuses[] = {
    "not_assessed", "not_started", "in_progress", "stalled", "partially_implemented",
    "implemented", "not_implemented", NULL};
static const char *const update_responses[] = {
    "pending", "accepted", "partially_accepted", "noted", "rejected", NULL};
static const char *const update_sources[] = {"civil_society", "agency", "editorial", NULL};

static const struct jsonx_field update_fields[] = {
    {.name = "body", .type = JX_STRING, .flags = JX_REQUIRED},
    {.name = "status", .type = JX_ENUM, .flags = JX_NULLABLE, .values = update_statuses},
    {.name = "progress", .type = JX_INT, .flags = JX_NULLABLE, .min = 0, .max = 100},
    {.name = "response", .type = JX_ENUM, .flags = JX_NULLABLE, .values = update_responses},
    {.name = "evidence", .type = JX_EVIDENCE},
    {.name = "occurred_on", .type = JX_DATE},
    {.name = "id", .type = JX_STRING, .flags = JX_READONLY},
    {.name = "recommendation_id", .type = JX_STRING, .flags = JX_READONLY},
    {.name = "source", .type = JX_STRING, .flags = JX_READONLY},
    {.name = "author", .type = JX_STRING, .flags = JX_READONLY},
    {.name = "previous", .type = JX_STRING, .flags = JX_READONLY},
    {.name = "created_at", .type = JX_STRING, .flags = JX_READONLY},
    {.name = "retracted", .type = JX_STRING, .flags = JX_READONLY},
    {.name = NULL},
};

static const struct jsonx_field retract_fields[] = {
    {.name = "reason", .type = JX_STRING, .flags = JX_REQUIRED},
    {.name = NULL},
};

/*
 * What update_csv() takes besides the update: the author's agency, the retracting user. The CSV
 * statements sort in a subquery, so each line is built as it streams out, not all before a sort.
 */
#define UPDATE_CSV_JOINS                                                                       \
    " LEFT JOIN agencies ag ON ag.id = u.author_agency_id"                                     \
    " LEFT JOIN users rb ON rb.id = u.retracted_by"

static struct db_stmt update_stmts[] = {
    /* used by find_recommendation(): $2 the caller's agency (NULL unless an agency token) */
    {"updates_find_recommendation",
     "SELECT r.id, EXISTS (SELECT 1 FROM recommendation_agencies ra"
     "                     WHERE ra.recommendation_id = r.id AND ra.agency_id = $2::uuid)"
     " FROM recommendations r WHERE r.id = $1::uuid",
     -1},
    /* used by updates_create(): the lookup (404), the agency's assignment (403) and the post,
       in one round trip (migrations/0016_update_post_checked.sql) */
    {"updates_post",
     "SELECT o_found, o_allowed, update_text, update_id FROM update_post_checked($1::uuid,"
     " $2::bigint[], $3::jsonb, $4::uuid, $5, $6::user_role, $7::uuid, $8::update_source)",
     -1},
    /* used by updates_get(): $3 whether retracted bodies are shown */
    {"updates_get",
     "SELECT update_json(u, $2, $3::boolean)::text FROM updates u WHERE u.id = $1::uuid", -1},
    /* used by updates_retract(): locked, so that of concurrent retractions only the first sees
       the update unretracted (and is audited) */
    {"updates_exists",
     "SELECT update_json(u, NULL, true)::text, u.retracted_at IS NULL FROM updates u"
     " WHERE u.id = $1::uuid FOR UPDATE",
     -1},
    {"updates_retract",
     "SELECT update_json(r, NULL, true)::text FROM update_retract($1::uuid, $2::uuid, $3) r"
     " WHERE r.id IS NOT NULL",
     -1},
    /* used by updates_list_for_recommendation(): newest first in effective order;
     * $1 recommendation, $2 limit, $3 $4 $5 cursor, $6 lang, $7 show retracted bodies */
    {"updates_list",
     "WITH page AS ("
     " SELECT s.u, row_number() OVER (ORDER BY (s.u).occurred_on DESC, (s.u).created_at DESC,"
     "                                        (s.u).id DESC) AS n"
     " FROM (SELECT u FROM updates u WHERE u.recommendation_id = $1::uuid"
     "   AND ($3::date IS NULL OR (u.occurred_on, u.created_at, u.id)"
     "                            < ($3::date, $4::timestamptz, $5::uuid))"
     "   ORDER BY u.occurred_on DESC, u.created_at DESC, u.id DESC LIMIT $2::int + 1) s),"
     " shown AS (SELECT u, n FROM page WHERE n <= $2::int),"
     " next AS (SELECT cursor_encode(jsonb_build_array((u).occurred_on, ts_text((u).created_at),"
     "                                                 (u).id)) AS c"
     "          FROM shown WHERE n = $2::int AND EXISTS (SELECT 1 FROM page WHERE n > $2::int))"
     " SELECT json_build_object('items', coalesce((SELECT json_agg(update_json(u, $6, $7::boolean)"
     "                                                    ORDER BY n) FROM shown), '[]'),"
     "                          'next_cursor', (SELECT c FROM next))::text, (SELECT c FROM next)",
     -1},
    /* used by updates_feed(): oldest first by (tx, seq), only below the snapshot's xmin;
     * $1 limit, $2 $3 cursor, $4 since, $5 resolution, $6 agency, $7 source, $8 lang,
     * $9 show retracted bodies, $10 the incoming cursor text */
    {"updates_feed",
     "WITH horizon AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS x),"
     " page AS ("
     " SELECT s.u, row_number() OVER (ORDER BY (s.u).tx, (s.u).seq) AS n"
     " FROM (SELECT u FROM updates u, horizon h WHERE u.tx < h.x"
     "   AND ($2::xid8 IS NULL OR (u.tx, u.seq) > ($2::xid8, $3::bigint))"
     "   AND ($4::timestamptz IS NULL OR u.created_at > $4::timestamptz)"
     "   AND ($5::uuid IS NULL OR EXISTS (SELECT 1 FROM recommendations r"
     "        WHERE r.id = u.recommendation_id AND r.resolution_id = $5::uuid))"
     "   AND ($6::uuid IS NULL OR EXISTS (SELECT 1 FROM recommendation_agencies ra"
     "        WHERE ra.recommendation_id = u.recommendation_id AND ra.agency_id = $6::uuid))"
     "   AND ($7::update_source IS NULL OR u.source = $7::update_source)"
     "   ORDER BY u.tx, u.seq LIMIT $1::int + 1) s),"
     " shown AS (SELECT u, n FROM page WHERE n <= $1::int),"
     " last AS (SELECT cursor_encode(jsonb_build_array((u).tx::text, (u).seq)) AS c"
     "          FROM shown ORDER BY n DESC LIMIT 1),"
     /* never null: the last row's position, else the incoming cursor, else the horizon (every
      * transaction below it has finished, so nothing can appear before it any more) */
     " cur AS (SELECT coalesce((SELECT c FROM last), $10,"
     "                         (SELECT cursor_encode(jsonb_build_array(x::text, 0)) FROM horizon))"
     "         AS c)"
     " SELECT json_build_object('items', coalesce((SELECT json_agg(update_json(u, $8, $9::boolean)"
     "                                                    ORDER BY n) FROM shown), '[]'),"
     "                          'next_cursor', (SELECT c FROM cur))::text,"
     "        CASE WHEN EXISTS (SELECT 1 FROM page WHERE n > $1::int) THEN (SELECT c FROM cur) END",
     -1},
    /* used by updates_list_for_recommendation() for CSV: every update, newest first;
     * $1 recommendation, $2 lang, $3 show retracted bodies */
    {"updates_list_csv",
     "SELECT update_csv(x.u, x.ag, x.rb, $2, $3::boolean) FROM (SELECT u, ag, rb"
     " FROM updates u" UPDATE_CSV_JOINS " WHERE u.recommendation_id = $1::uuid"
     " ORDER BY u.occurred_on DESC, u.created_at DESC, u.id DESC) x",
     -1},
    /* used by updates_feed() for CSV: every update the feed shows now (below the snapshot's
     * xmin, as for a page), in feed order; $1 since, $2 resolution, $3 agency, $4 source,
     * $5 lang, $6 show retracted bodies */
    {"updates_feed_csv",
     "WITH horizon AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS x)"
     " SELECT update_csv(x.u, x.ag, x.rb, $5, $6::boolean) FROM (SELECT u, ag, rb"
     " FROM horizon h, updates u" UPDATE_CSV_JOINS " WHERE u.tx < h.x"
     "   AND ($1::timestamptz IS NULL OR u.created_at > $1::timestamptz)"
     "   AND ($2::uuid IS NULL OR EXISTS (SELECT 1 FROM recommendations r"
     "        WHERE r.id = u.recommendation_id AND r.resolution_id = $2::uuid))"
     "   AND ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM recommendation_agencies ra"
     "        WHERE ra.recommendation_id = u.recommendation_id AND ra.agency_id = $3::uuid))"
     "   AND ($4::update_source IS NULL OR u.source = $4::update_source)"
     " ORDER BY u.tx, u.seq) x",
     -1},
    /* used by feed_ref(): filters take an id or a slug */
    {"updates_find_resolution", "SELECT id FROM resolutions WHERE id = $1::uuid OR slug = $2",
     -1},
    {"updates_find_agency", "SELECT id FROM agencies WHERE id = $1::uuid OR slug = $2", -1},
};

enum {
    STMT_FIND_REC,
    STMT_POST,
    STMT_GET,
    STMT_EXISTS,
    STMT_RETRACT,
    STMT_LIST,
    STMT_FEED,
    STMT_LIST_CSV,
    STMT_FEED_CSV,
    STMT_FIND_RESOLUTION,
    STMT_FIND_AGENCY
};

/* the members of update_json, in order, nested objects flattened (update_csv) */
#define UPDATE_CSV_HEADER                                                                      \
    "id,recommendation_id,body,status,progress,response,evidence,occurred_on,source,"         \
    "author.id,author.name,author.role,author.agency.id,author.agency.slug,"                  \
    "author.agency.name,author.agency.acronym,previous.status,previous.progress,"             \
    "previous.response,previous.agency_status,created_at,retracted.at,retracted.by.id,"       \
    "retracted.by.name,retracted.reason\r\n"

void updates_register_statements(void)
{
    db_register(update_stmts, sizeof update_stmts / sizeof update_stmts[0]);
}

/*
 * Finds the recommendation of the path (404 when malformed or unknown) and, for an agency
 * token, whether the caller's agency leads or supports it.
 */
static enum app_err updates_find_recommendation(struct http_req *req, struct http_res *res,
                                                bool *own_agency)
{
    const char *id = req->params[0];
    if (!jsonx_is_uuid(id))
        return http_problem(req, res, APP_ERR_NOT_FOUND, "no such recommendation", NULL);
    const char *agency = req->who.role == ROLE_AGENCY ? req->who.agency_id : NULL;
    const char *params[] = {id, agency};
    struct db_result *r = NULL;
    enum app_err err = api_exec(req, res, &update_stmts[STMT_FIND_REC], 2, params, &r);
    if (err != APP_OK)
        return err;
    if (db_result_rows(r) == 0)
        err = http_problem(req, res, APP_ERR_NOT_FOUND, "no such recommendation", NULL);
    else
        *own_agency = strcmp(db_result_value(r, 0, 1), "t") == 0;
    db_result_free(r);
    return err;
}

static enum app_err updates_not_own(struct http_req *req, struct http_res *res)
{
    return http_problem(req, res, APP_ERR_FORBIDDEN,
                        "your agency neither leads nor supports this recommendation", NULL);
}

/* 403 when the body holds a member reserved for a higher role (even null, even invalid). */
static enum app_err updates_reserved(struct http_req *req, struct http_res *res, json_t *body)
{
    const char *member = NULL;
    if (req->who.role < ROLE_EDITOR && json_object_get(body, "response") != NULL)
        member = "response";
    else if (req->who.role == ROLE_AGENCY && json_object_get(body, "progress") != NULL)
        member = "progress";
    if (member == NULL)
        return APP_OK;
    char pointer[16];
    snprintf(pointer, sizeof pointer, "/%s", member);
    return http_problem_field(req, res, APP_ERR_FORBIDDEN,
                              "your role may not set this member", pointer,
                              "is reserved for a higher role");
}

/* occurred_on may not be later than tomorrow (UTC). */
static void updates_check_date(json_t *body, json_t *errors)
{
    const char *day = json_string_value(json_object_get(body, "occurred_on"));
    if (day == NULL)
        return;
    time_t tomorrow = time(NULL) + 24 * 60 * 60;
    struct tm tm;
    char limit[16];
    gmtime_r(&tomorrow, &tm);
    strftime(limit, sizeof limit, "%Y-%m-%d", &tm);
    /* both are YYYY-MM-DD, so text order is date order */
    if (strcmp(day, limit) > 0)
        jsonx_error(errors, "", "occurred_on", "may not be later than tomorrow (UTC)");
}

/* Checks the members of a posted update: 403 for reserved ones first, then 400. */
static enum app_err updates_validate(struct http_req *req, struct http_res *res, json_t *body)
{
    enum app_err err = updates_reserved(req, res, body);
    if (err != APP_OK)
        return err;
    json_t *errors = json_array();
    jsonx_validate(body, update_fields, false, "", errors);
    if (json_array_size(errors) == 0)
        updates_check_date(body, errors);
    return api_fields_ok(req, res, errors);
}

static const char *updates_role_text(enum auth_role role)
{
    switch (role) {
        case ROLE_AGENCY:
            return "agency";
        case ROLE_MONITOR:
            return "monitor";
        case ROLE_EDITOR:
            return "editor";
        case ROLE_ADMIN:
            return "admin";
        case ROLE_NONE:
        default:
            return NULL;
    }
}

static const char *updates_source_of(enum auth_role role)
{
    return role == ROLE_AGENCY    ? "agency"
           : role == ROLE_MONITOR ? "civil_society"
                                  : "editorial";
}

/* Stores the update and answers 201 (or 412 when the version moved). */
static enum app_err updates_store(struct http_req *req, struct http_res *res, json_t *body,
                                  const char *version)
{
    char *text = api_json_text(body);
    const struct auth_principal *who = &req->who;
    const char *params[] = {req->params[0], version, text, who->user_id, who->name,
                            updates_role_text(who->role),
                            who->role == ROLE_AGENCY ? who->agency_id : NULL,
                            updates_source_of(who->role)};
    struct db_result *r = NULL;
    enum app_err err = api_exec(req, res, &update_stmts[STMT_POST], 8, params, &r);
    if (err != APP_OK)
        goto out;
    if (db_result_rows(r) != 1 || strcmp(db_result_value(r, 0, 0), "t") != 0) {
        err = http_problem(req, res, APP_ERR_NOT_FOUND, "no such recommendation", NULL);
        goto out;
    }
    if (strcmp(db_result_value(r, 0, 1), "t") != 0) {
        err = updates_not_own(req, res);
        goto out;
    }
    if (db_result_is_null(r, 0, 2)) {
        err = http_problem(req, res, APP_ERR_PRECONDITION,
                           "the recommendation changed since the ETag in If-Match", NULL);
        goto out;
    }
    err = audit_record(req, res, "create", "update", db_result_value(r, 0, 3), NULL,
                       db_result_value(r, 0, 2));
    if (err != APP_OK)
        goto out;
    http_res_body(res, 201, "application/json", db_result_value(r, 0, 2),
                  db_result_length(r, 0, 2));
    free(res->etag);
    res->etag = etag_for_bytes(res->body, res->body_len, false);
    char *location = xasprintf("/v1/updates/%s", db_result_value(r, 0, 3));
    http_res_header(res, "Location", location);
    free(location);
out:
    db_result_free(r);
    free(text);
    return err;
}

/*
 * A request the checks in C turned down (@a early holds the answer): the recommendation's 404
 * and the agency's 403 come first, so they are looked up before @a early is answered.
 */
static enum app_err updates_refuse(struct http_req *req, struct http_res *res,
                                   struct http_res *early, enum app_err bad)
{
    bool own_agency = false;
    enum app_err err = updates_find_recommendation(req, res, &own_agency);
    if (err == APP_OK && req->who.role == ROLE_AGENCY && !own_agency)
        err = updates_not_own(req, res);
    if (err != APP_OK) {
        http_res_cleanup(early);
        return err;
    }
    http_res_cleanup(res);
    *res = *early;
    return bad;
}

/*
 * The checks that need no database (body, reserved members, If-Match) run first into a scratch
 * answer; when they pass, one statement finds the recommendation, checks the agency and posts.
 */
enum app_err updates_create(struct http_req *req, struct http_res *res)
{
    json_t *body = NULL;
    char *versions = NULL;
    enum app_err err = api_require_role(req, res, ROLE_AGENCY);
    if (err != APP_OK)
        return err;
    if (!jsonx_is_uuid(req->params[0]))
        return http_problem(req, res, APP_ERR_NOT_FOUND, "no such recommendation", NULL);
    struct http_res early;
    memset(&early, 0, sizeof early);
    enum app_err bad = api_body_object(req, &early, &body);
    if (bad == APP_OK)
        bad = updates_validate(req, &early, body);
    if (bad == APP_OK)
        bad = api_if_match_optional(req, &early, req->params[0], &versions);
    if (bad != APP_OK)
        err = updates_refuse(req, res, &early, bad);
    else
        err = updates_store(req, res, body, versions);
    free(versions);
    json_decref(body);
    return err;
}

enum app_err updates_get(struct http_req *req, struct http_res *res)
{
    const char *lang;
    enum app_err err = api_lang(req, res, &lang);
    if (err != APP_OK)
        return err;
    if (!jsonx_is_uuid(req->params[0]))
        return http_problem(req, res, APP_ERR_NOT_FOUND, "no such update", NULL);
    const char *params[] = {req->params[0], lang, api_retracted_text_shown(req, res)};
    return api_reply_query(req, res, &update_stmts[STMT_GET], 3, params, -1,
                           "no such update");
}

enum app_err updates_list_for_recommendation(struct http_req *req, struct http_res *res)
{
    int limit;
    bool own_agency;
    const char *cursor, *lang;
    char *key[3] = {NULL, NULL, NULL};
    bool csv = false;
    enum app_err err = csv_wanted(req, res, &csv);
    if (err == APP_OK && !csv) /* limit and cursor do not apply to CSV */
        err = api_page_params(req, res, &limit, &cursor);
    if (err == APP_OK)
        err = api_lang(req, res, &lang);
    if (err == APP_OK && !csv)
        err = api_cursor(req, res, cursor, "dtu", key);
    if (err == APP_OK)
        err = updates_find_recommendation(req, res, &own_agency);
    if (err != APP_OK)
        goto out;
    if (csv) {
        const char *params[] = {req->params[0], lang, api_retracted_text_shown(req, res)};
        err = csv_stream(req, res, UPDATE_CSV_HEADER, &update_stmts[STMT_LIST_CSV], 3, params);
        goto out;
    }
    char limit_text[8];
    snprintf(limit_text, sizeof limit_text, "%d", limit);
    const char *params[] = {req->params[0], limit_text, key[0], key[1], key[2], lang,
                            api_retracted_text_shown(req, res)};
    err = api_reply_page(req, res, &update_stmts[STMT_LIST], 7, params);
out:
    cursor_parts_free("dtu", key);
    return err;
}

/*
 * Resolves a feed filter that takes an id or a slug (`resolution`, `agency`); one naming
 * nothing is a 400 on the parameter. @param[out] id "" when the filter is absent.
 */
static enum app_err updates_feed_ref(struct http_req *req, struct http_res *res,
                                     const char *name, int stmt, char *id)
{
    id[0] = '\0';
    const char *ref = http_req_query(req, name);
    if (ref == NULL)
        return APP_OK;
    const char *by_id, *by_slug;
    struct db_result *r = NULL;
    enum app_err err = APP_OK;
    if (http_req_query_count(req, name) == 1 && api_ref_split(ref, &by_id, &by_slug)) {
        const char *params[] = {by_id, by_slug};
        err = api_exec(req, res, &update_stmts[stmt], 2, params, &r);
        if (err != APP_OK)
            return err;
        if (db_result_rows(r) > 0)
            snprintf(id, 37, "%s", db_result_value(r, 0, 0));
        db_result_free(r);
    }
    if (id[0] == '\0')
        err = http_problem_field(req, res, APP_ERR_INVALID, "the filter names nothing", name,
                                 "no such id or slug");
    return err;
}

/* Reads `since` (RFC 3339) and `source` (an update source). */
static enum app_err updates_feed_params(struct http_req *req, struct http_res *res,
                                        const char **since, const char **source)
{
    *since = http_req_query(req, "since");
    *source = http_req_query(req, "source");
    if (*since != NULL && (http_req_query_count(req, "since") > 1 || !jsonx_is_timestamp(*since)))
        return http_problem_field(req, res, APP_ERR_INVALID,
                                  "since must be an RFC 3339 time with a zone", "since",
                                  "must be an RFC 3339 time such as 2021-11-15T09:00:00Z");
    bool known = false;
    for (size_t i = 0; *source != NULL && update_sources[i] != NULL; i++)
        known = known || strcmp(*source, update_sources[i]) == 0;
    if (*source != NULL && (!known || http_req_query_count(req, "source") > 1))
        return http_problem_field(req, res, APP_ERR_INVALID,
                                  "source must be civil_society, agency or editorial", "source",
                                  "must be civil_society, agency or editorial");
    return APP_OK;
}

enum app_err updates_feed(struct http_req *req, struct http_res *res)
{
    int limit;
    const char *cursor, *lang, *since, *source;
    char resolution[37], agency[37];
    char *key[2] = {NULL, NULL};
    bool csv = false;
    enum app_err err = csv_wanted(req, res, &csv);
    if (err == APP_OK && !csv) /* limit and cursor do not apply to CSV */
        err = api_page_params(req, res, &limit, &cursor);
    if (err == APP_OK)
        err = api_lang(req, res, &lang);
    if (err == APP_OK && !csv)
        err = api_cursor(req, res, cursor, "xl", key);
    if (err == APP_OK)
        err = updates_feed_params(req, res, &since, &source);
    if (err == APP_OK)
        err = updates_feed_ref(req, res, "resolution", STMT_FIND_RESOLUTION, resolution);
    if (err == APP_OK)
        err = updates_feed_ref(req, res, "agency", STMT_FIND_AGENCY, agency);
    if (err != APP_OK)
        goto out;
    if (csv) {
        const char *params[] = {since, resolution[0] ? resolution : NULL,
                                agency[0] ? agency : NULL, source, lang,
                                api_retracted_text_shown(req, res)};
        err = csv_stream(req, res, UPDATE_CSV_HEADER, &update_stmts[STMT_FEED_CSV], 6, params);
        goto out;
    }
    char limit_text[8];
    snprintf(limit_text, sizeof limit_text, "%d", limit);
    const char *params[] = {limit_text, key[0], key[1], since,
                            resolution[0] ? resolution : NULL, agency[0] ? agency : NULL,
                            source, lang, api_retracted_text_shown(req, res), cursor};
    err = api_reply_page(req, res, &update_stmts[STMT_FEED], 10, params);
out:
    cursor_parts_free("xi", key);
    return err;
}

enum app_err updates_retract(struct http_req *req, struct http_res *res)
{
    json_t *body = NULL;
    struct db_result *r = NULL;
    char *before = NULL; /* the editor's view before, when this retraction is the first */
    enum app_err err = api_require_token(req, res);
    if (err != APP_OK)
        goto out;
    if (!jsonx_is_uuid(req->params[0])) {
        err = http_problem(req, res, APP_ERR_NOT_FOUND, "no such update", NULL);
        goto out;
    }
    const char *id_param[] = {req->params[0]};
    if ((err = api_exec(req, res, &update_stmts[STMT_EXISTS], 1, id_param, &r)) != APP_OK)
        goto out;
    if (db_result_rows(r) == 0) {
        err = http_problem(req, res, APP_ERR_NOT_FOUND, "no such update", NULL);
        goto out;
    }
    if (strcmp(db_result_value(r, 0, 1), "t") == 0)
        before = xstrdup(db_result_value(r, 0, 0));
    db_result_free(r);
    r = NULL;
    if ((err = api_require_role(req, res, ROLE_EDITOR)) != APP_OK ||
        (err = api_body_object(req, res, &body)) != APP_OK)
        goto out;
    json_t *errors = json_array();
    jsonx_validate(body, retract_fields, false, "", errors);
    if ((err = api_fields_ok(req, res, errors)) != APP_OK)
        goto out;
    const char *params[] = {req->params[0], req->who.user_id,
                            json_string_value(json_object_get(body, "reason"))};
    if ((err = api_exec(req, res, &update_stmts[STMT_RETRACT], 3, params, &r)) != APP_OK)
        goto out;
    if (before != NULL && db_result_rows(r) == 1)
        err = audit_record(req, res, "retract", "update", req->params[0], before,
                           db_result_value(r, 0, 0));
    if (err == APP_OK)
        err = api_reply_row(req, res, 200, r, -1, "no such update");
    if (err == APP_OK) {
        free(res->etag);
        res->etag = etag_for_bytes(res->body, res->body_len, false);
    }
out:
    db_result_free(r);
    json_decref(body);
    free(before);
    return err;
}
