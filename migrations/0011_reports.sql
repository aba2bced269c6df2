-- Reports (API.md section 4): the scope every report shares, the pieces of their JSON and CSV,
-- and the indexes that keep them one fast query each at 100,000 recommendations and 1,000,000
-- updates (bench/reports-scale).

-- ---------------------------------------------------------------- scope

-- The report filters resolved to ids: `resolution` (id or slug), `sector` (id, or code within
-- the resolution), `agency` (id or slug). `bad` names the first filter that names nothing (the
-- caller answers 400 naming that parameter); the ids after it are then left NULL.
CREATE FUNCTION report_scope(p_resolution text, p_sector text, p_agency text,
                             OUT rid uuid, OUT sid uuid, OUT aid uuid, OUT bad text)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_resolution IS NOT NULL THEN
        rid := recommendation_resolution_id(p_resolution);
        IF rid IS NULL THEN
            bad := 'resolution';
            RETURN;
        END IF;
    END IF;
    IF p_sector IS NOT NULL THEN
        IF rid IS NULL THEN
            SELECT s.id INTO sid FROM sectors s WHERE s.id = recommendation_uuid_or_null(p_sector);
        ELSE
            sid := recommendation_sector_id(rid, p_sector);
        END IF;
        IF sid IS NULL THEN
            bad := 'sector';
            RETURN;
        END IF;
    END IF;
    IF p_agency IS NOT NULL THEN
        aid := recommendation_agency_id(p_agency);
        IF aid IS NULL THEN
            bad := 'agency';
        END IF;
    END IF;
END $$;

-- The recommendations in a report's scope. Without a resolution filter the recommendations of
-- archived resolutions drop out; naming the resolution brings them back. Inlined by the
-- planner (one SELECT), so each report stays one plan.
CREATE FUNCTION report_recs(p_rid uuid, p_sid uuid, p_aid uuid) RETURNS SETOF recommendations
LANGUAGE sql STABLE AS $$
    SELECT r.* FROM recommendations r
     WHERE CASE WHEN p_rid IS NULL
                -- an array compared per row costs less than a join node (one array per query)
                THEN r.resolution_id <> ALL (ARRAY(SELECT x.id FROM resolutions x
                                                    WHERE x.archived_at IS NOT NULL))
                ELSE r.resolution_id = p_rid END
       AND (p_sid IS NULL OR r.sector_id = p_sid)
       AND (p_aid IS NULL OR EXISTS (SELECT 1 FROM recommendation_agencies ra
                                      WHERE ra.recommendation_id = r.id AND ra.agency_id = p_aid))
$$;

-- The sectors in a report's scope: those of the resolutions in scope (one when filtered).
CREATE FUNCTION report_sectors(p_rid uuid, p_sid uuid)
RETURNS TABLE (id uuid, code text, title jsonb, source_language text, adopted_on date,
               resolution_id uuid, "position" integer)
LANGUAGE sql STABLE AS $$
    SELECT s.id, s.code, s.title, x.source_language, x.adopted_on, x.id, s.position
      FROM sectors s JOIN resolutions x ON x.id = s.resolution_id
     WHERE (p_sid IS NULL OR s.id = p_sid)
       AND CASE WHEN p_rid IS NULL THEN x.archived_at IS NULL ELSE x.id = p_rid END
$$;

-- ---------------------------------------------------------------- periods

-- The length of one period of `interval` (month, quarter or year; checked by the caller).
CREATE FUNCTION report_step(p_interval text) RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE p_interval WHEN 'year' THEN interval '1 year'
                           WHEN 'quarter' THEN interval '3 months'
                           ELSE interval '1 month' END
$$;

-- The calendar-aligned start of the period of `interval` that holds day d.
CREATE FUNCTION report_period(p_interval text, d date) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT date_trunc(p_interval, d::timestamp)::date
$$;

-- At most this many periods in one timeline or activity report.
CREATE FUNCTION report_max_periods() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 5000 $$;

-- The number of periods of `interval` from the one holding lo to the one holding hi.
CREATE FUNCTION report_period_count(p_interval text, lo date, hi date) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (extract(year FROM hi)::bigint - extract(year FROM lo)::bigint)
               * CASE p_interval WHEN 'year' THEN 1 WHEN 'quarter' THEN 4 ELSE 12 END
         + CASE p_interval WHEN 'year' THEN 0
                           WHEN 'quarter' THEN extract(quarter FROM hi)::bigint
                                             - extract(quarter FROM lo)::bigint
                           ELSE extract(month FROM hi)::bigint - extract(month FROM lo)::bigint
           END + 1
$$;

-- ---------------------------------------------------------------- JSON and CSV pieces

-- A count per status, every status present in vocabulary order (NULL counts as 0).
CREATE FUNCTION report_status_json(na bigint, ns bigint, ip bigint, st bigint, pi bigint,
                                   im bigint, ni bigint) RETURNS json
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT json_build_object('not_assessed', coalesce(na, 0), 'not_started', coalesce(ns, 0),
        'in_progress', coalesce(ip, 0), 'stalled', coalesce(st, 0),
        'partially_implemented', coalesce(pi, 0), 'implemented', coalesce(im, 0),
        'not_implemented', coalesce(ni, 0))
$$;

-- The same counts as CSV cells, in the same order.
CREATE FUNCTION report_status_cells(na bigint, ns bigint, ip bigint, st bigint, pi bigint,
                                    im bigint, ni bigint) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY[coalesce(na, 0)::text, coalesce(ns, 0)::text, coalesce(ip, 0)::text,
                 coalesce(st, 0)::text, coalesce(pi, 0)::text, coalesce(im, 0)::text,
                 coalesce(ni, 0)::text]
$$;

-- A count per response, every response present.
CREATE FUNCTION report_response_json(pe bigint, ac bigint, pa bigint, nt bigint, re bigint)
RETURNS json
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT json_build_object('pending', coalesce(pe, 0), 'accepted', coalesce(ac, 0),
        'partially_accepted', coalesce(pa, 0), 'noted', coalesce(nt, 0),
        'rejected', coalesce(re, 0))
$$;

-- A count per update source from {source: n}, every source present.
CREATE FUNCTION report_source_json(c jsonb) RETURNS json
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT json_build_object(
        'civil_society', coalesce((c ->> 'civil_society')::bigint, 0),
        'agency', coalesce((c ->> 'agency')::bigint, 0),
        'editorial', coalesce((c ->> 'editorial')::bigint, 0))
$$;

-- part ÷ whole rounded to 4 decimals (half away from zero), 0 when whole is 0. float8 so
-- that JSON and CSV show 0.3333, 1 and 0 rather than 1.0000.
CREATE FUNCTION report_share(part numeric, whole numeric) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN coalesce(whole, 0) = 0 THEN 0
                ELSE round(coalesce(part, 0) / whole, 4)::double precision END
$$;

-- Is a recommendation overdue on day as_of (target date passed, status neither implemented nor
-- not_implemented)?
CREATE FUNCTION report_is_overdue(r_target date, r_status rec_status, as_of date) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(r_target < as_of, false)
       AND r_status NOT IN ('implemented', 'not_implemented')
$$;

-- A recommendation as CSV cells, its JSON members flattened (see REPORT_REC_CSV_HEADER in
-- src/api/reports.c): localized text in lang (default en), agencies by slug joined with ';'.
CREATE FUNCTION report_recommendation_cells(r recommendations, lang text) RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT ARRAY[r.id::text, r.resolution_id::text, r.sector_id::text, r.code, r.number::text,
                 loc_text(r.text, lang, x.source_language),
                 loc_text(r.summary, lang, x.source_language),
                 r.response::text, r.status::text, r.progress::text, r.agency_status::text,
                 lead.id::text, lead.slug, loc_text(lead.name, lang), lead.acronym,
                 (SELECT string_agg(a.slug, ';' ORDER BY ra.position, a.slug)
                    FROM recommendation_agencies ra JOIN agencies a ON a.id = ra.agency_id
                   WHERE ra.recommendation_id = r.id AND ra.role = 'supporting'),
                 r.target_date::text, r.budget_amount::text, r.budget_currency,
                 array_to_string(r.themes, ';'), array_to_string(r.sdgs, ';'),
                 r.updates_count::text, ts_text(r.last_update_at), ts_text(r.created_at),
                 ts_text(r.updated_at), r.version::text]
      FROM resolutions x
      LEFT JOIN LATERAL (SELECT a.* FROM recommendation_agencies ra
                           JOIN agencies a ON a.id = ra.agency_id
                          WHERE ra.recommendation_id = r.id AND ra.role = 'lead') lead ON true
     WHERE x.id = r.resolution_id
$$;

-- ---------------------------------------------------------------- the counting

-- Each report's heavy query is one of the functions below, called once by the report's
-- statement with the filters already resolved. They are PL/pgSQL so that two settings hold
-- while they run: plan_cache_mode = force_custom_plan plans each query for the actual filter
-- values (an absent filter folds away, so one statement serves every combination with exact
-- estimates instead of a generic plan full of "x IS NULL OR ..."), and jit = off (compiling
-- these plans costs more than running them: measured 160 ms of JIT for a 50 ms query); and
-- work_mem is raised so that their hashes and sorts of a few hundred thousand rows stay in
-- memory.

-- The first day of a timeline or activity report when `from` is not given: the earliest
-- adopted_on in scope (of the recommendations, else of the resolutions), else `fallback`.
CREATE FUNCTION report_default_from(p_rid uuid, p_sid uuid, p_aid uuid, fallback date)
RETURNS date
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan SET jit = off
    SET work_mem = '64MB' AS $$
BEGIN
    RETURN coalesce((SELECT min(r.adopted_on) FROM report_recs(p_rid, p_sid, p_aid) r),
                    (SELECT min(s.adopted_on) FROM report_sectors(p_rid, p_sid) s),
                    (SELECT min(x.adopted_on) FROM resolutions x
                      WHERE CASE WHEN p_rid IS NULL THEN x.archived_at IS NULL
                                 ELSE x.id = p_rid END),
                    fallback);
END $$;

-- Summary: the counts per sector, one column per status and per response. Grouped as a stream
-- over recommendations_report_sector (hash aggregation of these wide states measured about
-- 50 % more CPU).
CREATE FUNCTION report_summary_rows(p_rid uuid, p_sid uuid, p_aid uuid, today date)
RETURNS TABLE (g_sector uuid, g_total bigint,
               g_na bigint, g_ns bigint, g_ip bigint, g_st bigint, g_pi bigint, g_im bigint,
               g_ni bigint, g_pe bigint, g_ac bigint, g_pa bigint, g_nt bigint, g_re bigint,
               g_psum bigint, g_pn bigint, g_overdue bigint, g_gap bigint)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan SET jit = off
    SET work_mem = '64MB' SET enable_hashagg = off AS $$
BEGIN
    RETURN QUERY
    SELECT r.sector_id, count(*),
           count(*) FILTER (WHERE r.status = 'not_assessed'),
           count(*) FILTER (WHERE r.status = 'not_started'),
           count(*) FILTER (WHERE r.status = 'in_progress'),
           count(*) FILTER (WHERE r.status = 'stalled'),
           count(*) FILTER (WHERE r.status = 'partially_implemented'),
           count(*) FILTER (WHERE r.status = 'implemented'),
           count(*) FILTER (WHERE r.status = 'not_implemented'),
           count(*) FILTER (WHERE r.response = 'pending'),
           count(*) FILTER (WHERE r.response = 'accepted'),
           count(*) FILTER (WHERE r.response = 'partially_accepted'),
           count(*) FILTER (WHERE r.response = 'noted'),
           count(*) FILTER (WHERE r.response = 'rejected'),
           sum(r.progress)::bigint, count(r.progress),
           count(*) FILTER (WHERE report_is_overdue(r.target_date, r.status, today)),
           count(*) FILTER (WHERE r.agency_status <> r.status)
      FROM report_recs(p_rid, p_sid, p_aid) r
     GROUP BY r.sector_id;
END $$;

-- Agencies: the counts per agency over the agency rows of the recommendations in scope. The
-- whole-database join is cheapest as a merge of two index-only scans in recommendation order
-- (measured 45 ms of CPU against 120 for the hash join the planner prefers by its costs).
CREATE FUNCTION report_agency_rows(p_rid uuid, p_sid uuid, p_aid uuid, today date)
RETURNS TABLE (g_agency uuid, g_lead bigint, g_sup bigint,
               g_na bigint, g_ns bigint, g_ip bigint, g_st bigint, g_pi bigint, g_im bigint,
               g_ni bigint, g_overdue bigint, g_last timestamptz)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan SET jit = off
    SET work_mem = '64MB' SET enable_hashjoin = off AS $$
BEGIN
    RETURN QUERY
    SELECT ra.agency_id,
           count(*) FILTER (WHERE ra.role = 'lead'),
           count(*) FILTER (WHERE ra.role = 'supporting'),
           count(*) FILTER (WHERE r.status = 'not_assessed'),
           count(*) FILTER (WHERE r.status = 'not_started'),
           count(*) FILTER (WHERE r.status = 'in_progress'),
           count(*) FILTER (WHERE r.status = 'stalled'),
           count(*) FILTER (WHERE r.status = 'partially_implemented'),
           count(*) FILTER (WHERE r.status = 'implemented'),
           count(*) FILTER (WHERE r.status = 'not_implemented'),
           count(*) FILTER (WHERE report_is_overdue(r.target_date, r.status, today)),
           max(r.last_update_at)
      FROM report_recs(p_rid, p_sid, p_aid) r
      JOIN recommendation_agencies ra ON ra.recommendation_id = r.id
     WHERE p_aid IS NULL OR ra.agency_id = p_aid
     GROUP BY ra.agency_id;
END $$;

-- Overdue: the recommendations overdue on as_of and by how many days.
CREATE FUNCTION report_overdue_rows(p_rid uuid, p_sid uuid, p_aid uuid, as_of date)
RETURNS TABLE (o_rec recommendations, o_days integer)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan SET jit = off
    SET work_mem = '64MB' AS $$
BEGIN
    RETURN QUERY
    SELECT r, as_of - r.target_date
      FROM report_recs(p_rid, p_sid, p_aid) r
     WHERE report_is_overdue(r.target_date, r.status, as_of);
END $$;

-- Stale: silence counted in whole 24-hour periods from the latest update that was not
-- retracted, else from the recommendation's creation; `days` or more.
CREATE FUNCTION report_stale_rows(p_rid uuid, p_sid uuid, p_aid uuid, min_days integer)
RETURNS TABLE (o_rec recommendations, o_since timestamptz, o_days bigint)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan SET jit = off
    SET work_mem = '64MB' AS $$
BEGIN
    RETURN QUERY
    SELECT s.r, s.since, floor(extract(epoch FROM now() - s.since) / 86400)::bigint
      FROM (SELECT r, coalesce((SELECT max(u.created_at) FROM updates u
                                 WHERE u.recommendation_id = r.id AND u.retracted_at IS NULL),
                               r.created_at) AS since
              FROM report_recs(p_rid, p_sid, p_aid) r
             WHERE r.status NOT IN ('implemented', 'not_implemented')) s
     WHERE s.since <= now() - min_days * interval '24 hours';
END $$;

-- Timeline, as deltas: a recommendation enters as not_assessed on its resolution's adopted_on;
-- each status change (in effective order) holds from its occurred_on, not before adopted_on,
-- until the next change's occurred_on. Each such interval is +1 at its start and -1 at its
-- end, so the count on a day is the running sum of the deltas up to that day; a change
-- followed by another on the same day holds for no day and adds nothing. Deltas are summed per
-- period (those before the first period into the first); the caller runs the sum over periods.
CREATE FUNCTION report_timeline_rows(p_rid uuid, p_sid uuid, p_aid uuid, iv text,
                                     first_ps date, hi date)
RETURNS TABLE (t_ps date, t_status rec_status, t_n bigint)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan SET jit = off
    SET work_mem = '64MB' AS $$
BEGIN
    RETURN QUERY
    WITH recs AS MATERIALIZED (
        SELECT r.id, r.adopted_on FROM report_recs(p_rid, p_sid, p_aid) r
    ), ev AS (
        SELECT recs.adopted_on AS a, u.occurred_on AS d, u.status,
               lead(u.occurred_on) OVER w AS next_d, row_number() OVER w = 1 AS is_first
          FROM updates u JOIN recs ON recs.id = u.recommendation_id
         WHERE u.status IS NOT NULL AND u.source <> 'agency'
        WINDOW w AS (PARTITION BY u.recommendation_id ORDER BY u.occurred_on, u.created_at, u.id)
    ), deltas AS (
        SELECT recs.adopted_on AS dd, 'not_assessed'::rec_status AS st, 1 AS delta FROM recs
        UNION ALL
        SELECT x.dd, x.st, x.delta
          FROM ev CROSS JOIN LATERAL (VALUES
               (greatest(ev.d, ev.a), 'not_assessed'::rec_status,
                CASE WHEN ev.is_first THEN -1 ELSE 0 END),
               (greatest(ev.d, ev.a), ev.status,
                CASE WHEN ev.next_d IS NULL OR ev.next_d > greatest(ev.d, ev.a) THEN 1 ELSE 0 END),
               (ev.next_d, ev.status,
                CASE WHEN ev.next_d > greatest(ev.d, ev.a) THEN -1 ELSE 0 END))
               AS x(dd, st, delta)
         WHERE x.delta <> 0
    ), per_day AS (
        -- per day first: far fewer rows to put into periods
        SELECT d.dd, d.st, sum(d.delta) AS n FROM deltas d WHERE d.dd <= hi GROUP BY d.dd, d.st
    )
    SELECT greatest(report_period(iv, p.dd), first_ps), p.st, sum(p.n)::bigint
      FROM per_day p GROUP BY 1, 2;
END $$;

-- Activity: the updates recorded from lo to hi (UTC days, inclusive) per period and source,
-- retracted ones left out.
CREATE FUNCTION report_activity_rows(p_rid uuid, p_sid uuid, p_aid uuid, iv text, lo date,
                                     hi date)
RETURNS TABLE (a_ps date, a_source update_source, a_n bigint)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan SET jit = off
    SET work_mem = '64MB' AS $$
BEGIN
    RETURN QUERY
    SELECT report_period(iv, d.day), d.source, sum(d.n)::bigint
      FROM (SELECT (u.created_at AT TIME ZONE 'UTC')::date AS day, u.source, count(*) AS n
              FROM updates u
             WHERE u.retracted_at IS NULL
               AND u.created_at >= (lo::timestamp AT TIME ZONE 'UTC')
               AND u.created_at < ((hi + 1)::timestamp AT TIME ZONE 'UTC')
               AND u.recommendation_id IN (SELECT r.id FROM report_recs(p_rid, p_sid, p_aid) r)
             GROUP BY 1, 2) d -- per day first: far fewer rows to put into periods
     GROUP BY 1, 2;
END $$;

-- ---------------------------------------------------------------- indexes

-- Timeline: the status changes of each recommendation in effective order, read from the index
-- alone (agencies' claims go to agency_status and are not part of it).
CREATE INDEX updates_status_changes ON updates (recommendation_id, occurred_on, created_at, id)
    INCLUDE (status) WHERE status IS NOT NULL AND source <> 'agency';
-- Stale: the latest update that was not retracted.
CREATE INDEX updates_latest_kept ON updates (recommendation_id, created_at)
    WHERE retracted_at IS NULL;
-- Activity: updates by recording time, with what the report counts.
CREATE INDEX updates_activity ON updates (created_at) INCLUDE (recommendation_id, source)
    WHERE retracted_at IS NULL;
-- Summary: the members it counts, read without touching the wide rows, in sector order (so
-- the counts per sector are a streaming group, not a hash table of wide aggregate states).
CREATE INDEX recommendations_report_sector ON recommendations (sector_id)
    INCLUDE (resolution_id, status, response, progress, agency_status, target_date, id);
-- Agencies: the same in id order, merged with recommendation_agencies_report.
CREATE INDEX recommendations_report ON recommendations (id)
    INCLUDE (resolution_id, status, target_date, last_update_at);
-- Agencies: the assignments of each recommendation with their role.
CREATE INDEX recommendation_agencies_report ON recommendation_agencies (recommendation_id)
    INCLUDE (agency_id, role);
