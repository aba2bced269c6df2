-- The recommendation's JSON in a form the planner inlines (bench/README.md, "What stands in the
-- way"). A SQL function is inlined into the calling statement only when its body is a single
-- SELECT without FROM or subqueries (a scalar function) or when it returns a set and is called in
-- FROM; otherwise PostgreSQL parses and plans its body again in every statement that calls it,
-- and a prepared statement saves nothing for it. recommendation_json() (a FROM clause) and
-- loc() (a subquery) were both planned anew for every read: most of the database time of the
-- read endpoints. The results are unchanged, byte for byte.

-- As in 0001, but STABLE: to_char() is stable, and a function declared IMMUTABLE whose body is
-- not is never inlined (three calls per recommendation). No index or constraint uses it.
CREATE OR REPLACE FUNCTION ts_text(t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

-- The last fallback of loc(), the alphabetically first language; PL/pgSQL keeps its plan for
-- the session.
CREATE FUNCTION loc_first(obj jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN (SELECT v FROM jsonb_each(obj) AS e(k, v) ORDER BY k LIMIT 1);
END $$;

-- As in 0001, without a subquery, so it is inlined: coalesce and CASE evaluate lazily, so the
-- source language (often a subquery at the call site) is only looked up when it is needed.
CREATE OR REPLACE FUNCTION loc(obj jsonb, lang text, source_language text DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN obj IS NULL OR lang IS NULL THEN obj
        ELSE coalesce(obj -> lang, obj -> split_part(lang, '-', 1), obj -> 'en',
                      obj -> source_language, loc_first(obj))
    END
$$;

-- recommendation_json() as a one-row set: called in FROM (`CROSS JOIN LATERAL
-- recommendation_json_rows(r, lang) j`) it is inlined into the calling statement and planned
-- with it, once per prepared statement. The expression is the one of 0004.
CREATE FUNCTION recommendation_json_rows(r recommendations, lang text) RETURNS SETOF json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', r.id, 'resolution_id', r.resolution_id, 'sector_id', r.sector_id,
        'code', r.code, 'number', r.number,
        'text', loc(r.text, lang, s.source_language),
        'summary', loc(r.summary, lang, s.source_language),
        'response', r.response, 'status', r.status, 'progress', r.progress,
        'agency_status', r.agency_status,
        'lead_agency',
            (SELECT agency_ref_json(a, lang) FROM recommendation_agencies ra
               JOIN agencies a ON a.id = ra.agency_id
              WHERE ra.recommendation_id = r.id AND ra.role = 'lead'),
        'supporting_agencies',
            coalesce((SELECT json_agg(agency_ref_json(a, lang) ORDER BY ra.position, a.slug)
                        FROM recommendation_agencies ra JOIN agencies a ON a.id = ra.agency_id
                       WHERE ra.recommendation_id = r.id AND ra.role = 'supporting'), '[]'),
        'target_date', r.target_date,
        'budget', CASE WHEN r.budget_amount IS NULL THEN NULL
                       ELSE json_build_object('amount', r.budget_amount::text,
                                              'currency', r.budget_currency) END,
        'themes', r.themes, 'sdgs', r.sdgs,
        'updates_count', r.updates_count, 'last_update_at', ts_text(r.last_update_at),
        'created_at', ts_text(r.created_at), 'updated_at', ts_text(r.updated_at),
        'version', r.version)
      FROM (SELECT (SELECT x.source_language FROM resolutions x WHERE x.id = r.resolution_id)
                   AS source_language) s
$$;

-- For the callers that need an expression (RETURNING, the write functions of 0004, reports):
-- PL/pgSQL, so the inlined statement is planned once per session, not once per call.
CREATE OR REPLACE FUNCTION recommendation_json(r recommendations, lang text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT j FROM recommendation_json_rows(r, lang) j);
END $$;
