/*
 * Recommendations: the filtered list (three sort orders, each with its own keyset cursor),
 * create, read by id or by code, patch, agency assignments and the history of state changes.
 * References in bodies (resolution, sector, agencies by id, slug or code) are resolved in
 * PostgreSQL (recommendation_refs), which answers a field error for each one naming nothing;
 * writes that touch two tables run as one statement (recommendation_create / _assign).
 */
#include "api/recommendations.h"

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

#define REC_Q_MAX 500 /* characters of a search query */

static const char *const rec_statuses[] = {"not_assessed", "not_started", "in_progress",
                                           "stalled", "partially_implemented", "implemented",
                                           "not_implemented", NULL};
static const char *const rec_responses[] = {"pending", "accepted", "partially_accepted",
                                            "noted", "rejected", NULL};

/* members of every recommendation body that only updates or the service change */
#define REC_READONLY_FIELDS                                                                    \
    {.name = "id", .type = JX_STRING, .flags = JX_READONLY},                                   \
        {.name = "resolution_id", .type = JX_STRING, .flags = JX_READONLY},                    \
        {.name = "sector_id", .type = JX_STRING, .flags = JX_READONLY},                        \
        {.name = "status", .type = JX_STRING, .flags = JX_READONLY},                           \
        {.name = "agency_status", .type = JX_STRING, .flags = JX_READONLY},                    \
        {.name = "progress", .type = JX_INT, .flags = JX_READONLY},                            \
        {.name = "response", .type = JX_STRING, .flags = JX_READONLY},                         \
        {.name = "updates_count", .type = JX_INT, .flags = JX_READONLY},                       \
        {.name = "last_update_at", .type = JX_STRING, .flags = JX_READONLY},                   \
        {.name = "created_at", .type = JX_STRING, .flags = JX_READONLY},                       \
        {.name = "updated_at", .type = JX_STRING, .flags = JX_READONLY},                       \
        {.name = "version", .type = JX_INT, .flags = JX_READONLY}

/* members a create and a patch share */
#define REC_CONTENT_FIELDS                                                                     \
    {.name = "summary", .type = JX_LOCALIZED, .flags = JX_NULLABLE},                           \
        {.name = "target_date", .type = JX_DATE, .flags = JX_NULLABLE},                        \
        {.name = "budget", .type = JX_BUDGET, .flags = JX_NULLABLE},                           \
        {.name = "themes", .type = JX_STRING_ARRAY},                                           \
        {.name = "sdgs", .type = JX_INT_ARRAY, .min = 1, .max = 17}

static const struct jsonx_field rec_create_fields[] = {
    {.name = "resolution", .type = JX_REF, .flags = JX_REQUIRED},
    {.name = "sector", .type = JX_REF, .flags = JX_REQUIRED},
    {.name = "code", .type = JX_CODE, .flags = JX_REQUIRED, .max = 40},
    {.name = "number", .type = JX_INT, .flags = JX_REQUIRED, .min = 0, .max = 2147483647},
    {.name = "text", .type = JX_LOCALIZED, .flags = JX_REQUIRED},
    REC_CONTENT_FIELDS,
    {.name = "lead_agency", .type = JX_REF, .flags = JX_NULLABLE},
    {.name = "supporting_agencies", .type = JX_REF_ARRAY},
    REC_READONLY_FIELDS,
    {.name = NULL},
};

/* agencies are assigned only through PUT .../agencies; the resolution never changes */
static const struct jsonx_field rec_patch_fields[] = {
    {.name = "sector", .type = JX_REF},
    {.name = "code", .type = JX_CODE, .max = 40},
    {.name = "number", .type = JX_INT, .min = 0, .max = 2147483647},
    {.name = "text", .type = JX_LOCALIZED},
    REC_CONTENT_FIELDS,
    {.name = "resolution", .type = JX_REF, .flags = JX_READONLY},
    {.name = "lead_agency", .type = JX_REF, .flags = JX_READONLY},
    {.name = "supporting_agencies", .type = JX_REF_ARRAY, .flags = JX_READONLY},
    REC_READONLY_FIELDS,
    {.name = NULL},
};

static const struct jsonx_field rec_assign_fields[] = {
    {.name = "lead", .type = JX_REF, .flags = JX_REQUIRED | JX_NULLABLE},
    {.name = "supporting", .type = JX_REF_ARRAY, .flags = JX_REQUIRED},
    {.name = NULL},
};

/*
 * The list filters: $1 resolution, $2 sector, $3 agency, $4 lead agency (ids), $5 statuses
 * (comma list), $6 response, $7 theme, $8 sdg, $9 overdue, $10 updated_since, $11 q; then
 * $12 limit, $13 lang and the cursor from $14. Every value was checked in C first.
 */
#define REC_LIST_WHERE                                                                         \
    " WHERE ($1::uuid IS NULL OR r.resolution_id = $1::uuid)"                                  \
    "   AND ($1::uuid IS NOT NULL OR NOT EXISTS (SELECT 1 FROM resolutions x"                  \
    "        WHERE x.id = r.resolution_id AND x.archived_at IS NOT NULL))"                     \
    "   AND ($2::uuid IS NULL OR r.sector_id = $2::uuid)"                                      \
    "   AND ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM recommendation_agencies ra"             \
    "        WHERE ra.recommendation_id = r.id AND ra.agency_id = $3::uuid))"                  \
    "   AND ($4::uuid IS NULL OR EXISTS (SELECT 1 FROM recommendation_agencies ra"             \
    "        WHERE ra.recommendation_id = r.id AND ra.agency_id = $4::uuid"                    \
    "          AND ra.role = 'lead'))"                                                         \
    "   AND ($5::text IS NULL OR r.status = ANY (string_to_array($5::text, ',')::rec_status[]))" \
    "   AND ($6::text IS NULL OR r.response = $6::text::rec_response)"                         \
    "   AND ($7::text IS NULL OR r.themes @> ARRAY[$7::text])"                                 \
    "   AND ($8::smallint IS NULL OR r.sdgs @> ARRAY[$8::smallint])"                           \
    "   AND ($9::boolean IS NULL OR $9::boolean = coalesce(r.target_date <"                    \
    "        (now() AT TIME ZONE 'UTC')::date"                                                 \
    "        AND r.status NOT IN ('implemented', 'not_implemented'), false))"                  \
    "   AND ($10::timestamptz IS NULL OR r.updated_at > $10::timestamptz)"                     \
    "   AND ($11::text IS NULL OR r.search @@ (SELECT recommendation_search_query($11::text)))"

/*
 * The first page starts after the least key (or before the greatest): without an OR, the
 * cursor condition stays an index condition in a generic plan of the prepared statement, so a
 * deep page costs what the first does.
 */
#define REC_UUID_MIN "'00000000-0000-0000-0000-000000000000'::uuid"
#define REC_UUID_MAX "'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid"

/* One page in the order @a order, after the cursor condition @a after; @a key is the cursor. */
#define REC_LIST_SQL(after, order, key)                                                        \
    "WITH page AS ("                                                                           \
    " SELECT r, row_number() OVER (ORDER BY " order ") AS n FROM recommendations r"            \
    REC_LIST_WHERE " AND (" after ")"                                                          \
    " ORDER BY " order " LIMIT $12::int + 1),"                                                 \
    " shown AS (SELECT r, n FROM page WHERE n <= $12::int),"                                   \
    " next AS (SELECT cursor_encode(" key ") AS c FROM shown"                                  \
    "          WHERE n = $12::int AND EXISTS (SELECT 1 FROM page WHERE n > $12::int))"         \
    " SELECT json_build_object('items', coalesce((SELECT json_agg(j ORDER BY n) FROM shown"    \
    "                  CROSS JOIN LATERAL recommendation_json_rows(shown.r, $13) j), '[]'),"   \
    "                          'next_cursor', (SELECT c FROM next))::text, (SELECT c FROM next)"

/* Every matching row as CSV lines, in the order @a order; $12 is the language. */
#define REC_CSV_SQL(order)                                                                     \
    "SELECT recommendation_csv(r, $12) FROM recommendations r" REC_LIST_WHERE                  \
    " ORDER BY " order

#define REC_CSV_HEADER                                                                         \
    "id,resolution_id,sector_id,code,number,text,summary,response,status,progress,"           \
    "agency_status,lead_agency.id,lead_agency.slug,lead_agency.name,lead_agency.acronym,"      \
    "supporting_agencies,target_date,budget.amount,budget.currency,themes,sdgs,updates_count," \
    "last_update_at,created_at,updated_at,version\r\n"

#define HISTORY_CSV_HEADER                                                                     \
    "at,effective_on,field,from,to,update_id,source,actor.id,actor.name,actor.role\r\n"

/* the new value of a member in a PATCH: b is the body, r the row before */
#define REC_SET(m, expr, col) "CASE WHEN b ? '" m "' THEN " expr " ELSE r." col " END"
#define REC_NEW_SECTOR REC_SET("sector", "$4::uuid", "sector_id")
#define REC_NEW_CODE REC_SET("code", "b->>'code'", "code")
#define REC_NEW_NUMBER REC_SET("number", "(b->>'number')::int", "number")
#define REC_NEW_TEXT REC_SET("text", "b->'text'", "text")
#define REC_NEW_SUMMARY REC_SET("summary", "nullif(b->'summary', 'null')", "summary")
#define REC_NEW_TARGET REC_SET("target_date", "(b->>'target_date')::date", "target_date")
#define REC_NEW_AMOUNT REC_SET("budget", "(b->'budget'->>'amount')::numeric", "budget_amount")
#define REC_NEW_CURRENCY REC_SET("budget", "b->'budget'->>'currency'", "budget_currency")
#define REC_NEW_THEMES REC_SET("themes", "jsonb_text_array(b->'themes')", "themes")
#define REC_NEW_SDGS                                                                           \
    REC_SET("sdgs", "ARRAY(SELECT e::smallint FROM jsonb_array_elements_text(b->'sdgs') e)",   \
            "sdgs")
#define REC_NEW_ROW                                                                            \
    "(" REC_NEW_SECTOR ", " REC_NEW_CODE ", " REC_NEW_NUMBER ", " REC_NEW_TEXT ", "            \
    REC_NEW_SUMMARY ", " REC_NEW_TARGET ", " REC_NEW_AMOUNT ", " REC_NEW_CURRENCY ", "         \
    REC_NEW_THEMES ", " REC_NEW_SDGS ")"
#define REC_OLD_ROW                                                                            \
    "(r.sector_id, r.code, r.number, r.text, r.summary, r.target_date, r.budget_amount,"       \
    " r.budget_currency, r.themes, r.sdgs)"
#define REC_CHANGED REC_NEW_ROW " IS DISTINCT FROM " REC_OLD_ROW

static struct db_stmt rec_stmts[] = {
    /* used by recommendations_find() */
    {"recommendations_find", "SELECT id FROM recommendations WHERE id = $1::uuid", -1},
    /* used by recommendations_get() */
    {"recommendations_get",
     "SELECT j::text, r.version FROM recommendations r"
     " CROSS JOIN LATERAL recommendation_json_rows(r, $2) j WHERE r.id = $1",
     -1},
    /* used by recommendations_get_by_code(): $1 resolution id, $2 code, $3 lang */
    {"recommendations_get_by_code",
     "SELECT j::text, r.version FROM recommendations r"
     " CROSS JOIN LATERAL recommendation_json_rows(r, $3) j"
     " WHERE r.resolution_id = $1 AND r.code = $2",
     -1},
    /* used by recommendations_list(), sort=code: cursor (adopted_on, resolution, position,
       number, id), the order of the index recommendations_code_order */
    {"recommendations_list_code",
     REC_LIST_SQL("(r.adopted_on, r.resolution_id, r.sector_position, r.number, r.id) >"
                  " (coalesce($14::date, '-infinity'), coalesce($15::uuid, " REC_UUID_MIN "),"
                  "  coalesce($16::int, -2147483648), coalesce($17::int, -2147483648),"
                  "  coalesce($18::uuid, " REC_UUID_MIN "))",
                  "r.adopted_on, r.resolution_id, r.sector_position, r.number, r.id",
                  "jsonb_build_array((r).adopted_on, (r).resolution_id, (r).sector_position,"
                  " (r).number, (r).id)"),
     -1},
    /* used by recommendations_list(), sort=-updated_at: cursor (updated_at, id) */
    {"recommendations_list_updated",
     REC_LIST_SQL("(r.updated_at, r.id) < (coalesce($14::timestamptz, 'infinity'),"
                  " coalesce($15::uuid, " REC_UUID_MAX "))",
                  "r.updated_at DESC, r.id DESC",
                  "jsonb_build_array(ts_text((r).updated_at), (r).id)"),
     -1},
    /* used by recommendations_list(), sort=target_date: cursor (target_date, id); none last,
       as 'infinity' (no target date the API takes), the index recommendations_target_order */
    {"recommendations_list_target",
     REC_LIST_SQL("(coalesce(r.target_date, 'infinity'::date), r.id) >"
                  " (CASE WHEN $15::uuid IS NULL THEN '-infinity'::date"
                  "       ELSE coalesce($14::date, 'infinity'::date) END,"
                  "  coalesce($15::uuid, " REC_UUID_MIN "))",
                  "coalesce(r.target_date, 'infinity'::date), r.id",
                  "jsonb_build_array((r).target_date, (r).id)"),
     -1},
    /* used by recommendations_list() for CSV, one per sort */
    {"recommendations_csv_code",
     REC_CSV_SQL("r.adopted_on, r.resolution_id, r.sector_position, r.number, r.id"), -1},
    {"recommendations_csv_updated", REC_CSV_SQL("r.updated_at DESC, r.id DESC"), -1},
    {"recommendations_csv_target",
     REC_CSV_SQL("coalesce(r.target_date, 'infinity'::date), r.id"), -1},
    /* used by recommendations_history() for CSV: $1 id, $2 lang (unused: nothing is localized) */
    {"recommendations_history_csv",
     "SELECT csv_line(ts_text(h.at), h.effective_on::text, h.field, h.from_value #>> '{}',"
     "  h.value #>> '{}', h.update_id::text, h.source::text, h.author_id::text, h.author_name,"
     "  h.author_role::text)"
     " FROM recommendation_history h WHERE h.recommendation_id = $1"
     " ORDER BY h.effective_on, h.at, h.update_id,"
     "  CASE h.field WHEN 'status' THEN 1 WHEN 'agency_status' THEN 2 WHEN 'response' THEN 3"
     "  ELSE 4 END",
     -1},
    /* used by list_filter_ids(): the filters that name things */
    {"recommendations_filter_resolution", "SELECT recommendation_resolution_id($1)", -1},
    {"recommendations_filter_sector",
     "SELECT CASE WHEN $1::uuid IS NULL"
     " THEN (SELECT s.id FROM sectors s WHERE s.id = recommendation_uuid_or_null($2))"
     " ELSE recommendation_sector_id($1::uuid, $2) END",
     -1},
    {"recommendations_filter_agency", "SELECT recommendation_agency_id($1)", -1},
    /* used by recommendations_create() */
    {"recommendations_create", "SELECT * FROM recommendation_create($1::jsonb)", -1},
    /* used by recommendations_patch(): the sector a patch names, or the errors */
    {"recommendations_patch_refs",
     "SELECT x->>'sector_id', nullif(x->'errors', '[]')::text FROM"
     " (SELECT recommendation_refs($2::jsonb, r.resolution_id, 'lead_agency',"
     "  'supporting_agencies') AS x FROM recommendations r WHERE r.id = $1) s",
     -1},
    /* used by recommendations_patch(): $1 id, $2 body, $3 the If-Match versions (0 = any),
       $4 sector id; the version moves only when a value changes */
    {"recommendations_update",
     "WITH before AS (SELECT recommendation_json(r, NULL)::text AS j FROM recommendations r"
     "                WHERE r.id = $1 FOR UPDATE)"
     " UPDATE recommendations r SET"
     " sector_id = " REC_NEW_SECTOR ", code = " REC_NEW_CODE ", number = " REC_NEW_NUMBER ","
     " text = " REC_NEW_TEXT ", summary = " REC_NEW_SUMMARY ", target_date = " REC_NEW_TARGET ","
     " budget_amount = " REC_NEW_AMOUNT ", budget_currency = " REC_NEW_CURRENCY ","
     " themes = " REC_NEW_THEMES ", sdgs = " REC_NEW_SDGS ","
     " version = r.version + CASE WHEN " REC_CHANGED " THEN 1 ELSE 0 END,"
     " updated_at = CASE WHEN " REC_CHANGED " THEN now() ELSE r.updated_at END"
     " FROM (SELECT $2::jsonb AS b) x, before" /* read (and locked) before the update */
     " WHERE r.id = $1 AND " WRITES_VERSION_MATCHES("r")
     " RETURNING recommendation_json(r, NULL)::text, r.version, before.j",
     -1},
    /* used by recommendations_put_agencies(): the representation before, and whether the
       If-Match versions $2 (NULL when none was sent, 0 for "*") name the current one */
    {"recommendations_before",
     "SELECT recommendation_json(r, NULL)::text,"
     "  $2::bigint[] IS NULL OR 0 = ANY($2::bigint[]) OR r.version = ANY($2::bigint[])"
     " FROM recommendations r WHERE r.id = $1",
     -1},
    /* used by recommendations_put_agencies() and _patch(): the order of locks that keeps them
       from deadlocking with posts (migrations/0015_report_counts.sql) */
    {"recommendations_lock_counts", "SELECT report_counts_lock($1::uuid)", -1},
    /* used by recommendations_put_agencies() */
    {"recommendations_assign", "SELECT * FROM recommendation_assign($1::uuid, $2::jsonb)", -1},
    /* used by recommendations_history(): $1 id, $2 limit, cursor $3..$6 (effective_on, at,
       update_id, field rank); oldest change first */
    {"recommendations_history",
     "WITH ch AS (SELECT h.*, CASE h.field WHEN 'status' THEN 1 WHEN 'agency_status' THEN 2"
     "                          WHEN 'response' THEN 3 ELSE 4 END AS rank"
     "            FROM recommendation_history h WHERE h.recommendation_id = $1),"
     " page AS (SELECT json_build_object('at', ts_text(ch.at), 'effective_on', ch.effective_on,"
     "           'field', ch.field, 'from', ch.from_value, 'to', ch.value,"
     "           'update_id', ch.update_id, 'source', ch.source,"
     "           'actor', json_build_object('id', ch.author_id, 'name', ch.author_name,"
     "                                      'role', ch.author_role)) AS item,"
     "          jsonb_build_array(ch.effective_on, ts_text(ch.at), ch.update_id, ch.rank) AS k,"
     "          row_number() OVER (ORDER BY ch.effective_on, ch.at, ch.update_id, ch.rank) AS n"
     "   FROM ch"
     "  WHERE $3::date IS NULL OR (ch.effective_on, ch.at, ch.update_id, ch.rank)"
     "        > ($3::date, $4::timestamptz, $5::uuid, $6::int)"
     "  ORDER BY ch.effective_on, ch.at, ch.update_id, ch.rank LIMIT $2::int + 1),"
     " next AS (SELECT cursor_encode(k) AS c FROM page"
     "          WHERE n = $2::int AND EXISTS (SELECT 1 FROM page WHERE n > $2::int))"
     " SELECT json_build_object('items', coalesce((SELECT json_agg(item ORDER BY n) FROM page"
     "                                              WHERE n <= $2::int), '[]'),"
     "                          'next_cursor', (SELECT c FROM next))::text, (SELECT c FROM next)",
     -1},
};

enum {
    STMT_FIND,
    STMT_GET,
    STMT_GET_BY_CODE,
    STMT_LIST_CODE,
    STMT_LIST_UPDATED,
    STMT_LIST_TARGET,
    STMT_CSV_CODE, /* the CSV statements follow the list ones in the same order */
    STMT_CSV_UPDATED,
    STMT_CSV_TARGET,
    STMT_HISTORY_CSV,
    STMT_FILTER_RESOLUTION,
    STMT_FILTER_SECTOR,
    STMT_FILTER_AGENCY,
    STMT_CREATE,
    STMT_PATCH_REFS,
    STMT_UPDATE,
    STMT_BEFORE,
    STMT_LOCK_COUNTS,
    STMT_ASSIGN,
    STMT_HISTORY,
};

void recommendations_register_statements(void)
{
    db_register(rec_stmts, sizeof rec_stmts / sizeof rec_stmts[0]);
}

enum app_err recommendations_find(struct http_req *req, struct http_res *res, const char *id,
                                  char *found_id)
{
    if (id == NULL || !jsonx_is_uuid(id))
        return http_problem(req, res, APP_ERR_NOT_FOUND, "no such recommendation", NULL);
    const char *params[] = {id};
    struct db_result *r = NULL;
    enum app_err err = api_exec(req, res, &rec_stmts[STMT_FIND], 1, params, &r);
    if (err != APP_OK)
        return err;
    if (db_result_rows(r) == 0)
        err = http_problem(req, res, APP_ERR_NOT_FOUND, "no such recommendation", NULL);
    else
        snprintf(found_id, 37, "%s", db_result_value(r, 0, 0));
    db_result_free(r);
    return err;
}

/* ---------------------------------------------------------------- list */

struct rec_list_query {
    char resolution[37], sector[37], agency[37], lead[37]; /* "" when not filtered */
    const char *status, *response, *theme, *sdg, *overdue, *updated_since, *q; /* borrowed */
    const char *lang;
    int sort; /* STMT_LIST_CODE, STMT_LIST_UPDATED or STMT_LIST_TARGET */
};

static bool word_in(const char *s, size_t n, const char *const *values)
{
    for (; *values != NULL; values++)
        if (strlen(*values) == n && strncmp(*values, s, n) == 0)
            return true;
    return false;
}

/* Is @a s a comma list of known statuses (no empty item)? */
static bool status_list_ok(const char *s)
{
    for (;;) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        if (!word_in(s, n, rec_statuses))
            return false;
        if (comma == NULL)
            return true;
        s = comma + 1;
    }
}

static bool sdg_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 2 || s[0] < '0' || s[0] > '9' || (n == 2 && (s[1] < '0' || s[1] > '9')))
        return false;
    int v = atoi(s);
    return v >= 1 && v <= 17 && s[0] != '0';
}

/* Is @a s valid UTF-8 text? (jansson refuses to make a string of anything else.) */
static bool utf8_ok(const char *s)
{
    json_t *probe = json_stringn(s, strlen(s));
    json_decref(probe);
    return probe != NULL;
}

/* A free-text filter: valid UTF-8 of at most @a max characters. */
static enum app_err text_param(struct http_req *req, struct http_res *res, const char *name,
                               size_t max, const char **value)
{
    enum app_err err = api_query_one(req, res, name, value);
    if (err != APP_OK || *value == NULL)
        return err;
    if (!utf8_ok(*value))
        return api_bad_param(req, res, name, "must be UTF-8 text");
    char buf[JSONX_TOO_LONG_SIZE];
    if (jsonx_utf8_length(*value) > max)
        return api_bad_param(req, res, name, jsonx_too_long(buf, max));
    return APP_OK;
}

/* Checks the filters that are plain values. */
static enum app_err list_value_filters(struct http_req *req, struct http_res *res,
                                       struct rec_list_query *q)
{
    enum app_err err = api_query_one(req, res, "status", &q->status);
    if (err == APP_OK && q->status != NULL && !status_list_ok(q->status))
        err = api_bad_param(req, res, "status", "must be a comma list of statuses");
    if (err == APP_OK && (err = api_query_one(req, res, "response", &q->response)) == APP_OK &&
        q->response != NULL && !word_in(q->response, strlen(q->response), rec_responses))
        err = api_bad_param(req, res, "response", "is not a response");
    if (err == APP_OK)
        err = text_param(req, res, "theme", JSONX_MAX_ITEM, &q->theme);
    if (err == APP_OK && (err = api_query_one(req, res, "sdg", &q->sdg)) == APP_OK &&
        q->sdg != NULL && !sdg_ok(q->sdg))
        err = api_bad_param(req, res, "sdg", "must be an integer from 1 to 17");
    if (err == APP_OK && (err = api_query_one(req, res, "overdue", &q->overdue)) == APP_OK &&
        q->overdue != NULL && strcmp(q->overdue, "true") != 0 && strcmp(q->overdue, "false") != 0)
        err = api_bad_param(req, res, "overdue", "must be true or false");
    if (err == APP_OK &&
        (err = api_query_one(req, res, "updated_since", &q->updated_since)) == APP_OK &&
        q->updated_since != NULL && !jsonx_is_timestamp(q->updated_since))
        err = api_bad_param(req, res, "updated_since", "must be an RFC 3339 time with a zone");
    if (err == APP_OK)
        err = text_param(req, res, "q", REC_Q_MAX, &q->q);
    return err;
}

/*
 * Runs a lookup statement for filter @a name with @a nparams parameters; no row or NULL →
 * 400 naming the parameter; else copies the id into @a id.
 */
static enum app_err filter_lookup(struct http_req *req, struct http_res *res, const char *name,
                                  int stmt, int nparams, const char *const *params, char *id)
{
    struct db_result *r = NULL;
    enum app_err err = api_exec(req, res, &rec_stmts[stmt], nparams, params, &r);
    if (err == APP_OK && (db_result_rows(r) == 0 || db_result_is_null(r, 0, 0)))
        err = api_bad_param(req, res, name, "names nothing that exists");
    else if (err == APP_OK)
        snprintf(id, 37, "%s", db_result_value(r, 0, 0));
    db_result_free(r);
    return err;
}

/* An id-or-slug filter (resolution, agency, lead_agency) → its id. */
static enum app_err filter_ref(struct http_req *req, struct http_res *res, const char *name,
                               int stmt, char *id)
{
    const char *value, *by_id, *by_slug;
    enum app_err err = api_query_one(req, res, name, &value);
    if (err != APP_OK || value == NULL)
        return err;
    if (!api_ref_split(value, &by_id, &by_slug))
        return api_bad_param(req, res, name, "names nothing that exists");
    const char *params[] = {value};
    return filter_lookup(req, res, name, stmt, 1, params, id);
}

/* The sector filter: an id, or a code when the resolution filter is given too. */
static enum app_err filter_sector(struct http_req *req, struct http_res *res,
                                  struct rec_list_query *q)
{
    const char *value, *by_id, *by_slug;
    enum app_err err = api_query_one(req, res, "sector", &value);
    if (err != APP_OK || value == NULL)
        return err;
    if (q->resolution[0] == '\0' && !jsonx_is_uuid(value))
        return api_bad_param(req, res, "sector", "a sector code needs the resolution parameter");
    if (!api_ref_split(value, &by_id, &by_slug))
        return api_bad_param(req, res, "sector", "names nothing that exists");
    const char *params[] = {q->resolution[0] ? q->resolution : NULL, value};
    return filter_lookup(req, res, "sector", STMT_FILTER_SECTOR, 2, params, q->sector);
}

static enum app_err list_sort(struct http_req *req, struct http_res *res, int *sort)
{
    const char *value;
    enum app_err err = api_query_one(req, res, "sort", &value);
    *sort = STMT_LIST_CODE;
    if (err != APP_OK || value == NULL || strcmp(value, "code") == 0)
        return err;
    if (strcmp(value, "-updated_at") == 0)
        *sort = STMT_LIST_UPDATED;
    else if (strcmp(value, "target_date") == 0)
        *sort = STMT_LIST_TARGET;
    else
        err = api_bad_param(req, res, "sort", "must be code, -updated_at or target_date");
    return err;
}

static enum app_err list_query(struct http_req *req, struct http_res *res,
                               struct rec_list_query *q)
{
    memset(q, 0, sizeof *q);
    enum app_err err = api_lang(req, res, &q->lang);
    if (err == APP_OK)
        err = list_sort(req, res, &q->sort);
    if (err == APP_OK)
        err = list_value_filters(req, res, q);
    if (err == APP_OK)
        err = filter_ref(req, res, "resolution", STMT_FILTER_RESOLUTION, q->resolution);
    if (err == APP_OK)
        err = filter_sector(req, res, q);
    if (err == APP_OK)
        err = filter_ref(req, res, "agency", STMT_FILTER_AGENCY, q->agency);
    if (err == APP_OK)
        err = filter_ref(req, res, "lead_agency", STMT_FILTER_AGENCY, q->lead);
    return err;
}

static const char *or_null(const char *id)
{
    return id[0] ? id : NULL;
}

enum app_err recommendations_list(struct http_req *req, struct http_res *res)
{
    struct rec_list_query q;
    int limit;
    const char *cursor;
    char *key[CURSOR_MAX_PARTS] = {NULL};
    const char *shape = "duiiu";
    bool csv = false;
    enum app_err err = csv_wanted(req, res, &csv);
    if (err == APP_OK && !csv)
        err = api_page_params(req, res, &limit, &cursor);
    if (err == APP_OK)
        err = list_query(req, res, &q);
    if (err != APP_OK)
        return err;
    if (csv) {
        const char *params[] = {or_null(q.resolution), or_null(q.sector), or_null(q.agency),
                                or_null(q.lead), q.status, q.response, q.theme, q.sdg, q.overdue,
                                q.updated_since, q.q, q.lang};
        int stmt = STMT_CSV_CODE + (q.sort - STMT_LIST_CODE);
        return csv_stream(req, res, REC_CSV_HEADER, &rec_stmts[stmt], 12, params);
    }
    if (q.sort == STMT_LIST_UPDATED)
        shape = "tu";
    else if (q.sort == STMT_LIST_TARGET)
        shape = "Du";
    if ((err = api_cursor(req, res, cursor, shape, key)) != APP_OK)
        return err;
    char limit_text[8];
    snprintf(limit_text, sizeof limit_text, "%d", limit);
    const char *params[] = {or_null(q.resolution), or_null(q.sector), or_null(q.agency),
                            or_null(q.lead), q.status, q.response, q.theme, q.sdg, q.overdue,
                            q.updated_since, q.q, limit_text, q.lang,
                            key[0], key[1], key[2], key[3], key[4]};
    err = api_reply_page(req, res, &rec_stmts[q.sort], 13 + (int)strlen(shape), params);
    cursor_parts_free(shape, key);
    return err;
}

/* ---------------------------------------------------------------- read */

enum app_err recommendations_get(struct http_req *req, struct http_res *res)
{
    const char *lang;
    enum app_err err = api_lang(req, res, &lang);
    if (err != APP_OK)
        return err;
    /* one round trip: the read itself answers 404 when no row comes back */
    if (!jsonx_is_uuid(req->params[0]))
        return http_problem(req, res, APP_ERR_NOT_FOUND, "no such recommendation", NULL);
    const char *params[] = {req->params[0], lang};
    return api_reply_query(req, res, &rec_stmts[STMT_GET], 2, params, 1,
                           "no such recommendation");
}

enum app_err recommendations_get_by_code(struct http_req *req, struct http_res *res)
{
    char resolution[37];
    const char *lang;
    enum app_err err = api_lang(req, res, &lang);
    if (err == APP_OK)
        err = resolutions_find(req, res, req->params[0], resolution);
    if (err != APP_OK)
        return err;
    /* no code has another shape (or bytes that are not text): 404, as for a malformed id */
    if (!jsonx_is_code(req->params[1], 40))
        return http_problem(req, res, APP_ERR_NOT_FOUND, "no such recommendation in this resolution",
                            NULL);
    const char *params[] = {resolution, req->params[1], lang};
    return api_reply_query(req, res, &rec_stmts[STMT_GET_BY_CODE], 3, params, 1,
                           "no such recommendation in this resolution");
}

/* ---------------------------------------------------------------- writes */

/* 409 naming /code for a taken code; other errors pass through unchanged. */
static enum app_err code_conflict(struct http_req *req, struct http_res *res, enum app_err err)
{
    if (err != APP_ERR_CONFLICT)
        return err;
    return http_problem_field(req, res, APP_ERR_CONFLICT,
                              "another recommendation of the resolution has this code", "/code",
                              "is taken");
}

/* 400 with the field errors PostgreSQL found in column @a col (JSON text), when it is set. */
static enum app_err ref_errors(struct http_req *req, struct http_res *res, struct db_result *r,
                               int col)
{
    if (db_result_rows(r) == 0 || db_result_is_null(r, 0, col))
        return APP_OK;
    json_t *errors = json_loads(db_result_value(r, 0, col), 0, NULL);
    if (!json_is_array(errors)) {
        json_decref(errors);
        return http_problem(req, res, APP_ERR_INTERNAL, "the references could not be checked",
                            NULL);
    }
    return http_problem(req, res, APP_ERR_INVALID, "a reference is not valid (see errors)",
                        errors);
}

/* Parses and validates the body against @a fields (400 written otherwise). */
static enum app_err valid_body(struct http_req *req, struct http_res *res,
                               const struct jsonx_field *fields, bool partial, json_t **body)
{
    enum app_err err = api_body_object(req, res, body);
    if (err != APP_OK)
        return err;
    json_t *errors = json_array();
    jsonx_validate(*body, fields, partial, "", errors);
    return api_fields_ok(req, res, errors);
}

enum app_err recommendations_create(struct http_req *req, struct http_res *res)
{
    json_t *body = NULL;
    struct db_result *r = NULL;
    enum app_err err = api_require_role(req, res, ROLE_EDITOR);
    if (err == APP_OK)
        err = valid_body(req, res, rec_create_fields, false, &body);
    if (err == APP_OK) {
        char *text = api_json_text(body);
        const char *params[] = {text};
        err = code_conflict(req, res, api_exec(req, res, &rec_stmts[STMT_CREATE], 1, params, &r));
        free(text);
    }
    if (err == APP_OK)
        err = ref_errors(req, res, r, 3);
    if (err == APP_OK)
        err = writes_created(req, res, r, "recommendation", "/v1/recommendations");
    db_result_free(r);
    json_decref(body);
    return err;
}

/* Locks recommendation @a id, then the report counts (before moving counts of several sectors or
 * agencies at once: see report_counts_lock in migrations/0015_report_counts.sql). */
static enum app_err lock_counts(struct http_req *req, struct http_res *res, const char *id)
{
    const char *params[] = {id};
    struct db_result *r = NULL;
    enum app_err err = api_exec(req, res, &rec_stmts[STMT_LOCK_COUNTS], 1, params, &r);
    db_result_free(r);
    return err;
}

/* The sector a PATCH moves the recommendation to (when it names one), as an id. */
static enum app_err patch_sector(struct http_req *req, struct http_res *res, const char *id,
                                 const char *text, char *sector)
{
    const char *params[] = {id, text};
    struct db_result *r = NULL;
    enum app_err err = api_exec(req, res, &rec_stmts[STMT_PATCH_REFS], 2, params, &r);
    if (err == APP_OK && db_result_rows(r) == 0)
        err = http_problem(req, res, APP_ERR_NOT_FOUND, "no such recommendation", NULL);
    if (err == APP_OK)
        err = ref_errors(req, res, r, 1);
    if (err == APP_OK)
        snprintf(sector, 37, "%s", db_result_value(r, 0, 0));
    db_result_free(r);
    return err;
}

enum app_err recommendations_patch(struct http_req *req, struct http_res *res)
{
    char id[37], sector[37] = "";
    json_t *body = NULL;
    enum app_err err = api_require_token(req, res);
    if (err == APP_OK)
        err = recommendations_find(req, res, req->params[0], id);
    if (err == APP_OK)
        err = api_require_role(req, res, ROLE_EDITOR);
    if (err == APP_OK)
        err = valid_body(req, res, rec_patch_fields, true, &body);
    /* references are part of validation, so they are checked before the precondition */
    if (err == APP_OK && json_object_get(body, "sector") != NULL) {
        char *text = api_json_text(body);
        err = patch_sector(req, res, id, text, sector);
        free(text);
    }
    /* a new sector or target date moves counts of two sectors or dates at once */
    if (err == APP_OK &&
        (json_object_get(body, "sector") != NULL || json_object_get(body, "target_date") != NULL))
        err = lock_counts(req, res, id);
    if (err == APP_OK) {
        const struct write_patch w = {&rec_stmts[STMT_UPDATE], "recommendation", id, 4,
                                      sector[0] ? sector : NULL, code_conflict};
        err = writes_patch(req, res, body, &w);
    }
    json_decref(body);
    return err;
}

enum app_err recommendations_put_agencies(struct http_req *req, struct http_res *res)
{
    char id[37];
    json_t *body = NULL;
    struct db_result *r = NULL, *before = NULL;
    char *text = NULL, *versions = NULL;
    enum app_err err = api_require_token(req, res);
    if (err == APP_OK)
        err = recommendations_find(req, res, req->params[0], id);
    if (err == APP_OK)
        err = api_require_role(req, res, ROLE_EDITOR);
    if (err == APP_OK)
        err = valid_body(req, res, rec_assign_fields, false, &body);
    if (err == APP_OK) /* not required here (API.md requires it of PATCH), but honoured */
        err = api_if_match_optional(req, res, id, &versions);
    if (err != APP_OK)
        goto out;
    text = api_json_text(body);
    const char *before_params[] = {id, versions};
    if ((err = lock_counts(req, res, id)) != APP_OK ||
        (err = api_exec(req, res, &rec_stmts[STMT_BEFORE], 2, before_params, &before)) != APP_OK)
        goto out;
    if (db_result_rows(before) == 1 && strcmp(db_result_value(before, 0, 1), "t") != 0) {
        err = http_problem(req, res, APP_ERR_PRECONDITION,
                           "If-Match does not match the current representation", NULL);
        goto out;
    }
    const char *params[] = {id, text};
    err = api_exec(req, res, &rec_stmts[STMT_ASSIGN], 2, params, &r);
    if (err == APP_OK)
        err = ref_errors(req, res, r, 2);
    if (err == APP_OK && db_result_rows(before) == 1)
        err = audit_record(req, res, "assign", "recommendation", id,
                           db_result_value(before, 0, 0), db_result_value(r, 0, 0));
    if (err == APP_OK)
        err = api_reply_row(req, res, 200, r, 1, "no such recommendation");
out:
    db_result_free(before);
    db_result_free(r);
    free(text);
    free(versions);
    json_decref(body);
    return err;
}

/* ---------------------------------------------------------------- history */

enum app_err recommendations_history(struct http_req *req, struct http_res *res)
{
    char id[37];
    int limit;
    const char *cursor;
    char *key[4] = {NULL};
    bool csv = false;
    enum app_err err = csv_wanted(req, res, &csv);
    if (err == APP_OK)
        err = recommendations_find(req, res, req->params[0], id);
    if (err == APP_OK && csv) {
        const char *params[] = {id};
        return csv_stream(req, res, HISTORY_CSV_HEADER, &rec_stmts[STMT_HISTORY_CSV], 1, params);
    }
    if (err == APP_OK)
        err = api_page_params(req, res, &limit, &cursor);
    if (err == APP_OK)
        err = api_cursor(req, res, cursor, "dtui", key);
    if (err != APP_OK)
        return err;
    char limit_text[8];
    snprintf(limit_text, sizeof limit_text, "%d", limit);
    const char *params[] = {id, limit_text, key[0], key[1], key[2], key[3]};
    err = api_reply_page(req, res, &rec_stmts[STMT_HISTORY], 6, params);
    cursor_parts_free("dtui", key);
    return err;
}
