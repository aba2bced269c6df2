/*
 * Reports for scripts and dashboards (API.md section 4): summary, agencies, overdue, timeline,
 * activity, stale; JSON or CSV.
 *
 * Each report is one statement, one round trip: PostgreSQL resolves the filters (report_scope),
 * counts in one call of the report's report_*_rows() function (migrations/0011_reports.sql:
 * PL/pgSQL so that each count is planned for the actual filters, without JIT) and builds the
 * whole answer. The JSON statements answer the body WITHOUT generated_at; the weak ETag is
 * computed over those bytes and generated_at is spliced in front afterwards, so a script
 * polling an unchanged report gets 304. A CSV report is small (one row per sector, agency,
 * period or item), so it is built whole and sent with a weak ETag too, not streamed.
 *
 * Statement parameters: $1 resolution, $2 sector, $3 agency (as given; NULL when absent), $4 lang,
 * then the report's own parameters (as given), then, for JSON only, the filters echo. Columns:
 * 0 the body (NULL when a parameter is refused), 1 generated_at, 2 the parameter refused, 3 why.
 */
#include "api/reports.h"

#include "api/csv.h"
#include "core/xalloc.h"
#include "http/etag.h"
#include "json/jsonx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the filters resolved once; `f.bad` names a filter that names nothing */
/* (lang is named here so that every statement types $4, even those that show no text) */
#define REPORT_SCOPE "WITH f AS (SELECT s.*, $4::text AS lang FROM report_scope($1, $2, $3) s)"
#define REPORT_TODAY "(now() AT TIME ZONE 'UTC')::date"
#define REPORT_NOTHING_TEXT "names nothing that exists"
#define REPORT_NOTHING "'" REPORT_NOTHING_TEXT "'"
#define REPORT_TAIL(bad, why) "ts_text(now()), " bad ", " why

/* the seven status counts as arguments of report_status_json() / report_status_cells() */
#define REPORT_STATUS_ARGS(p)                                                                  \
    p "na, " p "ns, " p "ip, " p "st, " p "pi, " p "im, " p "ni"
/* sums of @a val per status into the columns na .. ni (the order of REPORT_STATUS_ARGS) */
#define REPORT_PIVOT(key, val)                                                                 \
    "(sum(" val ") FILTER (WHERE " key " = 'not_assessed'))::bigint AS na,"                    \
    " (sum(" val ") FILTER (WHERE " key " = 'not_started'))::bigint AS ns,"                    \
    " (sum(" val ") FILTER (WHERE " key " = 'in_progress'))::bigint AS ip,"                    \
    " (sum(" val ") FILTER (WHERE " key " = 'stalled'))::bigint AS st,"                        \
    " (sum(" val ") FILTER (WHERE " key " = 'partially_implemented'))::bigint AS pi,"          \
    " (sum(" val ") FILTER (WHERE " key " = 'implemented'))::bigint AS im,"                    \
    " (sum(" val ") FILTER (WHERE " key " = 'not_implemented'))::bigint AS ni"

#define REPORT_STATUS_COLUMNS                                                                  \
    "not_assessed,not_started,in_progress,stalled,partially_implemented,implemented,"          \
    "not_implemented"
#define REPORT_BY_STATUS_COLUMNS                                                               \
    "by_status.not_assessed,by_status.not_started,by_status.in_progress,by_status.stalled,"    \
    "by_status.partially_implemented,by_status.implemented,by_status.not_implemented"
/* the members of a recommendation flattened (report_recommendation_cells) */
#define REPORT_REC_COLUMNS                                                                     \
    "recommendation.id,recommendation.resolution_id,recommendation.sector_id,"                 \
    "recommendation.code,recommendation.number,recommendation.text,recommendation.summary,"    \
    "recommendation.response,recommendation.status,recommendation.progress,"                   \
    "recommendation.agency_status,recommendation.lead_agency.id,"                              \
    "recommendation.lead_agency.slug,recommendation.lead_agency.name,"                         \
    "recommendation.lead_agency.acronym,recommendation.supporting_agencies,"                   \
    "recommendation.target_date,recommendation.budget.amount,recommendation.budget.currency,"  \
    "recommendation.themes,recommendation.sdgs,recommendation.updates_count,"                  \
    "recommendation.last_update_at,recommendation.created_at,recommendation.updated_at,"       \
    "recommendation.version"

/* ---------------------------------------------------------------- summary */

/* g: the counts per sector of report_summary_rows(); t: their sums */
#define SUMMARY_CTES                                                                           \
    REPORT_SCOPE ","                                                                           \
    " g AS (SELECT x.* FROM f CROSS JOIN LATERAL"                                              \
    "  report_summary_rows(f.rid, f.sid, f.aid, " REPORT_TODAY ") x WHERE f.bad IS NULL),"     \
    " t AS (SELECT coalesce(sum(g_total), 0)::bigint AS total,"                                \
    "   sum(g_na)::bigint AS na, sum(g_ns)::bigint AS ns, sum(g_ip)::bigint AS ip,"            \
    "   sum(g_st)::bigint AS st, sum(g_pi)::bigint AS pi, sum(g_im)::bigint AS im,"            \
    "   sum(g_ni)::bigint AS ni, sum(g_pe)::bigint AS pe, sum(g_ac)::bigint AS ac,"            \
    "   sum(g_pa)::bigint AS pa, sum(g_nt)::bigint AS nt, sum(g_re)::bigint AS re,"            \
    "   sum(g_psum) AS psum, sum(g_pn) AS pn, coalesce(sum(g_overdue), 0)::bigint AS overdue," \
    "   coalesce(sum(g_gap), 0)::bigint AS gap FROM g),"                                       \
    " sec AS (SELECT s.*, g.* FROM f CROSS JOIN LATERAL report_sectors(f.rid, f.sid) s"        \
    "  LEFT JOIN g ON g.g_sector = s.id WHERE f.bad IS NULL)"
#define SUMMARY_SECTOR_ORDER                                                                   \
    "sec.adopted_on, sec.resolution_id, sec.position, sec.code COLLATE \"C\""

/* ---------------------------------------------------------------- agencies */

#define AGENCIES_CTES                                                                          \
    REPORT_SCOPE ","                                                                           \
    " items AS (SELECT ag, x.* FROM f CROSS JOIN LATERAL"                                      \
    "  report_agency_rows(f.rid, f.sid, f.aid, " REPORT_TODAY ") x"                            \
    "  JOIN agencies ag ON ag.id = x.g_agency WHERE f.bad IS NULL)"

/* ---------------------------------------------------------------- overdue and stale */

/* $5 as_of */
#define OVERDUE_CTES                                                                           \
    REPORT_SCOPE ","                                                                           \
    " o AS (SELECT x.o_rec AS r, x.o_days AS days, (x.o_rec).target_date AS k1"                \
    "  FROM f CROSS JOIN LATERAL report_overdue_rows(f.rid, f.sid, f.aid,"                     \
    "    coalesce($5::date, " REPORT_TODAY ")) x WHERE f.bad IS NULL)"
/* most overdue first, ties in code order */
#define OVERDUE_ORDER                                                                          \
    "o.k1, (o.r).adopted_on, (o.r).resolution_id, (o.r).sector_position, (o.r).number, (o.r).id"

/* $5 days (default 90) */
#define STALE_CTES                                                                             \
    REPORT_SCOPE ","                                                                           \
    " o AS (SELECT x.o_rec AS r, x.o_since AS k1, x.o_days AS days"                            \
    "  FROM f CROSS JOIN LATERAL report_stale_rows(f.rid, f.sid, f.aid,"                       \
    "    coalesce($5::int, 90)) x WHERE f.bad IS NULL)"
/* longest silence first, ties in code order */
#define STALE_ORDER OVERDUE_ORDER

/* ---------------------------------------------------------------- timeline and activity */

/*
 * p: the periods. $5 interval, $6 from, $7 to (as given). `lo` defaults to the earliest
 * adopted_on in scope (never after `hi`); `range_bad` refuses `from` after `to` and too long a
 * range.
 */
#define PERIOD_CTES                                                                            \
    REPORT_SCOPE ","                                                                           \
    " h AS (SELECT coalesce($5::text, 'month') AS iv,"                                         \
    "   coalesce($7::date, " REPORT_TODAY ") AS hi),"                                          \
    " q AS (SELECT h.iv, h.hi, CASE WHEN $6::date IS NOT NULL THEN $6::date"                   \
    "   WHEN f.bad IS NULL THEN least(report_default_from(f.rid, f.sid, f.aid, h.hi), h.hi)"   \
    "   ELSE h.hi END AS lo FROM f, h),"                                                       \
    " p AS (SELECT q.iv, q.hi, q.lo, report_step(q.iv) AS step,"                               \
    "   report_period(q.iv, q.lo) AS first_ps, report_period(q.iv, q.hi) AS last_ps,"          \
    "   CASE WHEN q.lo > q.hi THEN 'is after to'"                                              \
    "        WHEN report_period_count(q.iv, q.lo, q.hi) > report_max_periods()"                \
    "        THEN 'gives more than ' || report_max_periods() || ' periods' END AS range_bad"   \
    "  FROM q),"                                                                               \
    " ok AS (SELECT f.*, p.* FROM f, p WHERE f.bad IS NULL AND p.range_bad IS NULL),"          \
    " grid AS (SELECT g::date AS ps FROM ok,"                                                  \
    "   generate_series(ok.first_ps::timestamp, ok.last_ps::timestamp, ok.step) g)"
#define PERIOD_BAD "coalesce(f.bad, CASE WHEN p.range_bad IS NOT NULL THEN 'from' END)"
#define PERIOD_WHY "CASE WHEN f.bad IS NOT NULL THEN " REPORT_NOTHING " ELSE p.range_bad END"
#define PERIOD_FROM " FROM f, p"
#define PERIOD_OK "f.bad IS NULL AND p.range_bad IS NULL"

/* the running sums of report_timeline_rows() at each period, every status */
#define TIMELINE_CTES                                                                          \
    PERIOD_CTES ","                                                                            \
    " b AS (SELECT x.* FROM ok CROSS JOIN LATERAL"                                             \
    "  report_timeline_rows(ok.rid, ok.sid, ok.aid, ok.iv, ok.first_ps, ok.hi) x),"            \
    " c AS (SELECT grid.ps, s.status,"                                                         \
    "   sum(coalesce(b.t_n, 0)) OVER (PARTITION BY s.status ORDER BY grid.ps) AS n"            \
    "  FROM grid CROSS JOIN unnest(enum_range(NULL::rec_status)) AS s(status)"                 \
    "  LEFT JOIN b ON b.t_ps = grid.ps AND b.t_status = s.status),"                            \
    " series AS (SELECT c.ps, " REPORT_PIVOT("c.status", "c.n") " FROM c GROUP BY c.ps)"

#define ACTIVITY_CTES                                                                          \
    PERIOD_CTES ","                                                                            \
    " b AS (SELECT x.* FROM ok CROSS JOIN LATERAL"                                             \
    "  report_activity_rows(ok.rid, ok.sid, ok.aid, ok.iv, ok.lo, ok.hi) x),"                  \
    " series AS (SELECT grid.ps, coalesce(sum(b.a_n), 0)::bigint AS total,"                    \
    "   jsonb_object_agg(b.a_source, b.a_n) FILTER (WHERE b.a_source IS NOT NULL) AS src"      \
    "  FROM grid LEFT JOIN b ON b.a_ps = grid.ps GROUP BY grid.ps)"

static struct db_stmt report_stmts[] = {
    /* used by reports_summary(): $5 filters */
    {"reports_summary",
     SUMMARY_CTES
     " SELECT CASE WHEN f.bad IS NULL THEN json_build_object('filters', $5::json,"
     "  'total', t.total, 'by_status', report_status_json(" REPORT_STATUS_ARGS("t.") "),"
     "  'by_response', report_response_json(t.pe, t.ac, t.pa, t.nt, t.re),"
     "  'implemented_share', report_share(t.im, t.total),"
     "  'progress_avg', round(t.psum::numeric / nullif(t.pn, 0), 1)::float8,"
     "  'overdue', t.overdue, 'perception_gap', t.gap,"
     "  'by_sector', (SELECT coalesce(json_agg(json_build_object("
     "     'sector', json_build_object('id', sec.id, 'code', sec.code,"
     "       'title', CASE WHEN $4 IS NULL THEN sec.title"
     "                ELSE loc(sec.title, $4, sec.source_language) END),"
     "     'total', coalesce(sec.g_total, 0),"
     "     'by_status', report_status_json(" REPORT_STATUS_ARGS("sec.g_") "))"
     "     ORDER BY " SUMMARY_SECTOR_ORDER "), '[]') FROM sec))::text END,"
     " " REPORT_TAIL("f.bad", REPORT_NOTHING) " FROM f, t",
     -1},
    {"reports_summary_csv",
     SUMMARY_CTES
     " SELECT CASE WHEN f.bad IS NULL THEN coalesce((SELECT string_agg(csv_line(VARIADIC"
     "   ARRAY[sec.id::text, sec.code, loc_text(sec.title, $4, sec.source_language),"
     "         coalesce(sec.g_total, 0)::text]"
     "   || report_status_cells(" REPORT_STATUS_ARGS("sec.g_") ")), ''"
     "   ORDER BY " SUMMARY_SECTOR_ORDER ") FROM sec), '')"
     "  || csv_line(VARIADIC ARRAY[NULL, 'ALL', NULL, t.total::text]"
     "              || report_status_cells(" REPORT_STATUS_ARGS("t.") "))"
     " END, " REPORT_TAIL("f.bad", REPORT_NOTHING) " FROM f, t",
     -1},
    /* used by reports_agencies(): $5 filters */
    {"reports_agencies",
     AGENCIES_CTES
     " SELECT CASE WHEN f.bad IS NULL THEN json_build_object('filters', $5::json,"
     "  'items', coalesce((SELECT json_agg(json_build_object("
     "     'agency', json_build_object('id', (items.ag).id, 'slug', (items.ag).slug,"
     "       'name', CASE WHEN $4 IS NULL THEN (items.ag).name ELSE loc((items.ag).name, $4) END,"
     "       'acronym', (items.ag).acronym),"
     "     'lead', items.g_lead,"
     "     'supporting', items.g_sup,"
     "     'by_status', report_status_json(" REPORT_STATUS_ARGS("items.g_") "),"
     "     'overdue', items.g_overdue,"
     "     'implemented_share', report_share(items.g_im, items.g_lead + items.g_sup),"
     "     'last_update_at', ts_text(items.g_last)) ORDER BY (items.ag).slug COLLATE \"C\")"
     "   FROM items), '[]'))::text END,"
     " " REPORT_TAIL("f.bad", REPORT_NOTHING) " FROM f",
     -1},
    {"reports_agencies_csv",
     AGENCIES_CTES
     " SELECT CASE WHEN f.bad IS NULL THEN coalesce((SELECT string_agg(csv_line(VARIADIC"
     "   ARRAY[(items.ag).id::text, (items.ag).slug, loc_text((items.ag).name, $4),"
     "         (items.ag).acronym, items.g_lead::text, items.g_sup::text]"
     "   || report_status_cells(" REPORT_STATUS_ARGS("items.g_") ")"
     "   || ARRAY[items.g_overdue::text,"
     "            report_share(items.g_im, items.g_lead + items.g_sup)::text,"
     "            ts_text(items.g_last)]), '' ORDER BY (items.ag).slug COLLATE \"C\")"
     "   FROM items), '') END,"
     " " REPORT_TAIL("f.bad", REPORT_NOTHING) " FROM f",
     -1},
    /* used by reports_overdue(): $5 as_of, $6 filters */
    {"reports_overdue",
     OVERDUE_CTES
     " SELECT CASE WHEN f.bad IS NULL THEN json_build_object('filters', $6::json,"
     "  'items', coalesce((SELECT json_agg(json_build_object("
     "     'recommendation', recommendation_json(o.r, $4), 'days_overdue', o.days)"
     "     ORDER BY " OVERDUE_ORDER ") FROM o), '[]'))::text END,"
     " " REPORT_TAIL("f.bad", REPORT_NOTHING) " FROM f",
     -1},
    {"reports_overdue_csv",
     OVERDUE_CTES
     " SELECT CASE WHEN f.bad IS NULL THEN coalesce((SELECT string_agg(csv_line(VARIADIC"
     "   report_recommendation_cells(o.r, $4) || ARRAY[o.days::text]), ''"
     "   ORDER BY " OVERDUE_ORDER ") FROM o), '') END,"
     " " REPORT_TAIL("f.bad", REPORT_NOTHING) " FROM f",
     -1},
    /* used by reports_stale(): $5 days, $6 filters */
    {"reports_stale",
     STALE_CTES
     " SELECT CASE WHEN f.bad IS NULL THEN json_build_object('filters', $6::json,"
     "  'items', coalesce((SELECT json_agg(json_build_object("
     "     'recommendation', recommendation_json(o.r, $4), 'days_since_update', o.days)"
     "     ORDER BY " STALE_ORDER ") FROM o), '[]'))::text END,"
     " " REPORT_TAIL("f.bad", REPORT_NOTHING) " FROM f",
     -1},
    {"reports_stale_csv",
     STALE_CTES
     " SELECT CASE WHEN f.bad IS NULL THEN coalesce((SELECT string_agg(csv_line(VARIADIC"
     "   report_recommendation_cells(o.r, $4) || ARRAY[o.days::text]), ''"
     "   ORDER BY " STALE_ORDER ") FROM o), '') END,"
     " " REPORT_TAIL("f.bad", REPORT_NOTHING) " FROM f",
     -1},
    /* used by reports_timeline(): $5 interval, $6 from, $7 to, $8 filters */
    {"reports_timeline",
     TIMELINE_CTES
     " SELECT CASE WHEN " PERIOD_OK " THEN json_build_object('filters', $8::json,"
     "  'series', coalesce((SELECT json_agg(json_build_object('period_start', series.ps,"
     "     'by_status', report_status_json(" REPORT_STATUS_ARGS("series.") "))"
     "     ORDER BY series.ps) FROM series),"
     "   '[]'))::text END,"
     " " REPORT_TAIL(PERIOD_BAD, PERIOD_WHY) PERIOD_FROM,
     -1},
    {"reports_timeline_csv",
     TIMELINE_CTES
     " SELECT CASE WHEN " PERIOD_OK " THEN coalesce((SELECT string_agg(csv_line(VARIADIC"
     "   ARRAY[series.ps::text] || report_status_cells(" REPORT_STATUS_ARGS("series.") ")), ''"
     "   ORDER BY series.ps)"
     "   FROM series), '') END,"
     " " REPORT_TAIL(PERIOD_BAD, PERIOD_WHY) PERIOD_FROM,
     -1},
    /* used by reports_activity(): $5 interval, $6 from, $7 to, $8 filters */
    {"reports_activity",
     ACTIVITY_CTES
     " SELECT CASE WHEN " PERIOD_OK " THEN json_build_object('filters', $8::json,"
     "  'series', coalesce((SELECT json_agg(json_build_object('period_start', series.ps,"
     "     'total', series.total, 'by_source', report_source_json(series.src))"
     "     ORDER BY series.ps) FROM series), '[]'))::text END,"
     " " REPORT_TAIL(PERIOD_BAD, PERIOD_WHY) PERIOD_FROM,
     -1},
    {"reports_activity_csv",
     ACTIVITY_CTES
     " SELECT CASE WHEN " PERIOD_OK " THEN coalesce((SELECT string_agg(csv_line("
     "   series.ps::text, series.total::text,"
     "   coalesce((series.src ->> 'civil_society')::bigint, 0)::text,"
     "   coalesce((series.src ->> 'agency')::bigint, 0)::text,"
     "   coalesce((series.src ->> 'editorial')::bigint, 0)::text), '' ORDER BY series.ps)"
     "   FROM series), '') END,"
     " " REPORT_TAIL(PERIOD_BAD, PERIOD_WHY) PERIOD_FROM,
     -1},
};

enum {
    STMT_SUMMARY, STMT_SUMMARY_CSV, STMT_AGENCIES, STMT_AGENCIES_CSV, STMT_OVERDUE,
    STMT_OVERDUE_CSV, STMT_STALE, STMT_STALE_CSV, STMT_TIMELINE, STMT_TIMELINE_CSV,
    STMT_ACTIVITY, STMT_ACTIVITY_CSV
};

void reports_register_statements(void)
{
    db_register(report_stmts, sizeof report_stmts / sizeof report_stmts[0]);
}

/* ---------------------------------------------------------------- parameters */

#define REPORT_MAX_EXTRAS 3

/* One report: its statements (the CSV one follows the JSON one) and its own parameters. */
struct report_kind {
    int stmt;
    const char *csv_header;
    const char *extras[REPORT_MAX_EXTRAS + 1]; /* NULL-ended */
};

/* Is @a s a whole number from 1 to 3650 (digits only)? */
static bool days_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 4 || strspn(s, "0123456789") != n)
        return false;
    long v = strtol(s, NULL, 10);
    return v >= 1 && v <= 3650;
}

/* @return why the report parameter @a name cannot take @a value, or NULL when it can */
static const char *extra_problem(const char *name, const char *value)
{
    if (strcmp(name, "days") == 0)
        return days_ok(value) ? NULL : "must be a whole number from 1 to 3650";
    if (strcmp(name, "interval") == 0)
        return strcmp(value, "month") == 0 || strcmp(value, "quarter") == 0 ||
                       strcmp(value, "year") == 0
                   ? NULL
                   : "must be month, quarter or year";
    return jsonx_is_date(value) ? NULL : "must be a date YYYY-MM-DD";
}

/*
 * Reads the filters and the report's own parameters into @a values ($1.. of the statements)
 * and echoes the given ones into @a echo. Shapes are checked here; whether the filters name
 * something is checked by the statement itself.
 */
static enum app_err report_params(struct http_req *req, struct http_res *res,
                                  const struct report_kind *kind, const char **values,
                                  json_t *echo)
{
    static const char *const filters[] = {"resolution", "sector", "agency"};
    enum app_err err = APP_OK;
    for (int i = 0; i < 3 && err == APP_OK; i++)
        err = api_query_one(req, res, filters[i], &values[i]);
    const char *by_id, *by_slug;
    if (err == APP_OK && values[0] != NULL && !api_ref_split(values[0], &by_id, &by_slug))
        err = api_bad_param(req, res, "resolution", REPORT_NOTHING_TEXT);
    if (err == APP_OK && values[1] != NULL && values[0] == NULL && !jsonx_is_uuid(values[1]))
        err = api_bad_param(req, res, "sector", "a sector code needs the resolution parameter");
    if (err == APP_OK && values[2] != NULL && !api_ref_split(values[2], &by_id, &by_slug))
        err = api_bad_param(req, res, "agency", REPORT_NOTHING_TEXT);
    if (err == APP_OK)
        err = api_lang(req, res, &values[3]);
    for (int i = 0; err == APP_OK && kind->extras[i] != NULL; i++) {
        const char *name = kind->extras[i];
        err = api_query_one(req, res, name, &values[4 + i]);
        const char *value = values[4 + i];
        const char *why = err == APP_OK && value != NULL ? extra_problem(name, value) : NULL;
        if (why != NULL)
            err = api_bad_param(req, res, name, why);
    }
    for (int i = 0; err == APP_OK && i < 3; i++)
        if (values[i] != NULL)
            json_object_set_new(echo, filters[i], json_string(values[i]));
    for (int i = 0; err == APP_OK && kind->extras[i] != NULL; i++)
        if (values[4 + i] != NULL)
            json_object_set_new(echo, kind->extras[i], json_string(values[4 + i]));
    return err;
}

/* ---------------------------------------------------------------- answers */

/* The JSON report: generated_at spliced in front of the body the weak ETag is computed on. */
static void reply_json(struct http_res *res, struct db_result *r)
{
    const char *body = db_result_value(r, 0, 0);
    size_t len = db_result_length(r, 0, 0);
    char *out = xasprintf("{\"generated_at\":\"%s\",%s", db_result_value(r, 0, 1), body + 1);
    http_res_body_take(res, 200, "application/json", out, strlen(out));
    free(res->etag);
    res->etag = etag_for_bytes(body, len, true);
}

/* The CSV report: header then the rows; small enough to send whole (not streamed). */
static void reply_csv(struct http_res *res, const char *header, struct db_result *r)
{
    size_t hlen = strlen(header), blen = db_result_length(r, 0, 0);
    char *out = xmalloc(hlen + blen + 1);
    memcpy(out, header, hlen);
    memcpy(out + hlen, db_result_value(r, 0, 0), blen + 1);
    http_res_body_take(res, 200, "text/csv; charset=utf-8", out, hlen + blen);
    free(res->etag);
    res->etag = etag_for_bytes(out, hlen + blen, true);
}

static enum app_err report_run(struct http_req *req, struct http_res *res,
                               const struct report_kind *kind)
{
    const char *values[4 + REPORT_MAX_EXTRAS + 1] = {NULL};
    json_t *echo = json_object();
    char *echo_text = NULL;
    struct db_result *r = NULL;
    bool csv = false;
    enum app_err err = csv_wanted(req, res, &csv);
    if (err == APP_OK)
        err = report_params(req, res, kind, values, echo);
    if (err != APP_OK)
        goto out;
    int n = 4;
    while (kind->extras[n - 4] != NULL)
        n++;
    if (!csv) {
        echo_text = api_json_text(echo);
        values[n++] = echo_text;
    }
    err = api_exec(req, res, &report_stmts[kind->stmt + (csv ? 1 : 0)], n, values, &r);
    if (err != APP_OK)
        goto out;
    if (db_result_rows(r) != 1) {
        err = http_problem(req, res, APP_ERR_INTERNAL, "the report could not be produced", NULL);
        goto out;
    }
    if (!db_result_is_null(r, 0, 2)) {
        err = api_bad_param(req, res, db_result_value(r, 0, 2), db_result_value(r, 0, 3));
        goto out;
    }
    if (csv)
        reply_csv(res, kind->csv_header, r);
    else
        reply_json(res, r);
out:
    db_result_free(r);
    free(echo_text);
    json_decref(echo);
    return err;
}

enum app_err reports_summary(struct http_req *req, struct http_res *res)
{
    static const struct report_kind kind = {
        .stmt = STMT_SUMMARY,
        .csv_header = "sector.id,sector.code,sector.title,total," REPORT_STATUS_COLUMNS "\r\n",
        .extras = {NULL},
    };
    return report_run(req, res, &kind);
}

enum app_err reports_agencies(struct http_req *req, struct http_res *res)
{
    static const struct report_kind kind = {
        .stmt = STMT_AGENCIES,
        .csv_header = "agency.id,agency.slug,agency.name,agency.acronym,lead,supporting,"
                      REPORT_BY_STATUS_COLUMNS ",overdue,implemented_share,last_update_at\r\n",
        .extras = {NULL},
    };
    return report_run(req, res, &kind);
}

enum app_err reports_overdue(struct http_req *req, struct http_res *res)
{
    static const struct report_kind kind = {
        .stmt = STMT_OVERDUE,
        .csv_header = REPORT_REC_COLUMNS ",days_overdue\r\n",
        .extras = {"as_of", NULL},
    };
    return report_run(req, res, &kind);
}

enum app_err reports_timeline(struct http_req *req, struct http_res *res)
{
    static const struct report_kind kind = {
        .stmt = STMT_TIMELINE,
        .csv_header = "period_start," REPORT_STATUS_COLUMNS "\r\n",
        .extras = {"interval", "from", "to", NULL},
    };
    return report_run(req, res, &kind);
}

enum app_err reports_activity(struct http_req *req, struct http_res *res)
{
    static const struct report_kind kind = {
        .stmt = STMT_ACTIVITY,
        .csv_header = "period_start,total,civil_society,agency,editorial\r\n",
        .extras = {"interval", "from", "to", NULL},
    };
    return report_run(req, res, &kind);
}

enum app_err reports_stale(struct http_req *req, struct http_res *res)
{
    static const struct report_kind kind = {
        .stmt = STMT_STALE,
        .csv_header = REPORT_REC_COLUMNS ",days_since_update\r\n",
        .extras = {"days", NULL},
    };
    return report_run(req, res, &kind);
}
