-- recommendation_json() and recommendation_json_rows() of migration 0014 against the definitions
-- of 0001/0002/0004 they replace (copied below as temporary functions), on the bench data set:
--   psql "$URL" -f bench/json-check.sql        (URL: a copy of bench_data, e.g. BENCH_KEEP=1)
-- Some localizations are first made odd (no en, a region tag, several languages, a source
-- language other than en, a null summary) so that every fallback of loc() is taken; all of it
-- in a transaction that is rolled back. Prints, per language, the rows compared and those that
-- differ (both must be 0).
\set ON_ERROR_STOP 1
BEGIN;
CREATE FUNCTION pg_temp.loc_old(obj jsonb, lang text, source_language text DEFAULT NULL)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN obj IS NULL OR lang IS NULL THEN obj
        ELSE coalesce(obj -> lang, obj -> split_part(lang, '-', 1), obj -> 'en',
                      obj -> source_language,
                      (SELECT v FROM jsonb_each(obj) AS e(k, v) ORDER BY k LIMIT 1))
    END $$;
CREATE FUNCTION pg_temp.ts_text_old(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;
CREATE FUNCTION pg_temp.agency_ref_json_old(a agencies, lang text) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN a.id IS NULL THEN NULL ELSE
        json_build_object('id', a.id, 'slug', a.slug, 'name', pg_temp.loc_old(a.name, lang),
                          'acronym', a.acronym)
    END $$;
CREATE FUNCTION pg_temp.recommendation_json_old(r recommendations, lang text) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', r.id, 'resolution_id', r.resolution_id, 'sector_id', r.sector_id,
        'code', r.code, 'number', r.number,
        'text', pg_temp.loc_old(r.text, lang, s.source_language),
        'summary', pg_temp.loc_old(r.summary, lang, s.source_language),
        'response', r.response, 'status', r.status, 'progress', r.progress,
        'agency_status', r.agency_status,
        'lead_agency',
            (SELECT pg_temp.agency_ref_json_old(a, lang) FROM recommendation_agencies ra
               JOIN agencies a ON a.id = ra.agency_id
              WHERE ra.recommendation_id = r.id AND ra.role = 'lead'),
        'supporting_agencies',
            coalesce((SELECT json_agg(pg_temp.agency_ref_json_old(a, lang)
                                      ORDER BY ra.position, a.slug)
                        FROM recommendation_agencies ra JOIN agencies a ON a.id = ra.agency_id
                       WHERE ra.recommendation_id = r.id AND ra.role = 'supporting'), '[]'),
        'target_date', r.target_date,
        'budget', CASE WHEN r.budget_amount IS NULL THEN NULL
                       ELSE json_build_object('amount', r.budget_amount::text,
                                              'currency', r.budget_currency) END,
        'themes', r.themes, 'sdgs', r.sdgs,
        'updates_count', r.updates_count,
        'last_update_at', pg_temp.ts_text_old(r.last_update_at),
        'created_at', pg_temp.ts_text_old(r.created_at),
        'updated_at', pg_temp.ts_text_old(r.updated_at),
        'version', r.version)
      FROM (SELECT (SELECT x.source_language FROM resolutions x WHERE x.id = r.resolution_id)
                   AS source_language) s $$;

ALTER TABLE recommendations DISABLE TRIGGER USER;
UPDATE resolutions SET source_language = (ARRAY['ru', 'ky', 'fr', 'en'])[1 + (hashtext(id::text) & 3)];
UPDATE recommendations SET
    text = CASE number % 4
               WHEN 0 THEN jsonb_build_object('ky', 'k' || code, 'fr', 'f' || code)
               WHEN 1 THEN jsonb_build_object('zh', 'z' || code, 'de', 'd' || code, 'ru', 'r')
               WHEN 2 THEN jsonb_build_object('fr-CA', 'q' || code, 'ky', 'k')
               ELSE text END,
    summary = CASE number % 3 WHEN 0 THEN NULL WHEN 1 THEN jsonb_build_object('de', 'x')
                              ELSE summary END
 WHERE number % 50 < 20;
UPDATE agencies SET name = jsonb_build_object('ky', 'k' || slug, 'de', 'd')
 WHERE hashtext(slug) % 3 = 0;

SELECT coalesce(lang, 'NULL') AS lang, count(*) AS compared,
       count(*) FILTER (WHERE pg_temp.recommendation_json_old(r, lang)::text
                              IS DISTINCT FROM recommendation_json(r, lang)::text)
           AS differ_function,
       count(*) FILTER (WHERE pg_temp.recommendation_json_old(r, lang)::text
                              IS DISTINCT FROM (SELECT j::text
                                                  FROM recommendation_json_rows(r, lang) j))
           AS differ_lateral
  FROM (SELECT * FROM recommendations WHERE number % 50 < 25 ORDER BY id LIMIT 20000) r,
       unnest(ARRAY[NULL, 'en', 'ru', 'ru-KG', 'ky', 'fr', 'fr-CA', 'de', 'zh', 'zz']) AS lang
 GROUP BY lang ORDER BY lang;
ROLLBACK;
