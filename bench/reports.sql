-- The data set of bench/reports-scale, generated in SQL on a freshly migrated database:
-- 100 resolutions x 10 sectors, 300 agencies, 100,000 recommendations (1,000 per resolution,
-- each with a lead and 0-2 supporting agencies), 1,000,000 updates (10 per recommendation,
-- some backdated, 2 % retracted). The updates are inserted in bulk with their `previous`
-- already computed in effective order, and the recommendations' state and counters are then
-- set in one UPDATE: the same values updates_apply() would leave, without a call per row.
-- Deterministic: setseed() fixes every random() below.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SELECT setseed(0.42);

-- the report counts (migrations/0015_report_counts.sql) are rebuilt once at the end rather than
-- kept row by row during the load
ALTER TABLE recommendations DISABLE TRIGGER recommendations_report_counts_insert_delete,
                            DISABLE TRIGGER recommendations_report_counts_update;
ALTER TABLE recommendation_agencies DISABLE TRIGGER recommendation_agencies_report_counts_insert_delete,
                                    DISABLE TRIGGER recommendation_agencies_report_counts_update;

INSERT INTO resolutions (id, slug, title, adopted_on, source_language)
SELECT gen_random_uuid(), 'bench-resolution-' || i,
       jsonb_build_object('en', 'Bench resolution ' || i, 'ru', 'Резолюция ' || i),
       date '2015-01-01' + i * 20, 'en'
  FROM generate_series(1, 100) AS i;

INSERT INTO sectors (id, resolution_id, code, position, title)
SELECT gen_random_uuid(), x.id, 'S' || k, k,
       jsonb_build_object('en', 'Sector ' || k, 'ru', 'Сектор ' || k)
  FROM resolutions x, generate_series(1, 10) AS k;

INSERT INTO agencies (id, slug, name, acronym, kind)
SELECT gen_random_uuid(), 'bench-agency-' || i,
       jsonb_build_object('en', 'Agency ' || i, 'ru', 'Ведомство ' || i),
       CASE WHEN i % 3 = 0 THEN 'A' || i END, 'ministry'
  FROM generate_series(1, 300) AS i;

-- 100 recommendations per sector; about a third with a target date
INSERT INTO recommendations (id, resolution_id, sector_id, code, number, text, target_date)
SELECT gen_random_uuid(), s.resolution_id, s.id, s.code || '-' || n, n,
       jsonb_build_object('en', 'Recommendation ' || s.code || '-' || n,
                          'ru', 'Рекомендация ' || s.code || '-' || n),
       CASE WHEN random() < 0.35 THEN date '2016-01-01' + (random() * 4000)::int END
  FROM sectors s, generate_series(1, 100) AS n;

-- agencies numbered 1..300 for the random picks below
CREATE TEMP TABLE bench_agency AS
SELECT row_number() OVER (ORDER BY slug) AS n, id FROM agencies WHERE slug LIKE 'bench-agency-%';
CREATE TEMP TABLE bench_pick AS
SELECT r.id AS rec, 1 + (random() * 299)::int AS lead,
       1 + (random() * 299)::int AS s1, 1 + (random() * 299)::int AS s2,
       (random() * 2.99)::int AS nsup
  FROM recommendations r;

INSERT INTO recommendation_agencies (recommendation_id, agency_id, role, position)
SELECT p.rec, a.id, 'lead', 0 FROM bench_pick p JOIN bench_agency a ON a.n = p.lead
UNION ALL
SELECT p.rec, a.id, 'supporting', 1 FROM bench_pick p JOIN bench_agency a ON a.n = p.s1
 WHERE p.nsup >= 1 AND p.s1 <> p.lead
UNION ALL
SELECT p.rec, a.id, 'supporting', 2 FROM bench_pick p JOIN bench_agency a ON a.n = p.s2
 WHERE p.nsup >= 2 AND p.s2 NOT IN (p.lead, p.s1);

-- "the latest value that is not null" as a window or ordered aggregate
CREATE FUNCTION pg_temp.last_nn_step(state anyelement, v anyelement) RETURNS anyelement
LANGUAGE sql IMMUTABLE AS 'SELECT coalesce(v, state)';
CREATE AGGREGATE pg_temp.last_nn(anyelement) (sfunc = pg_temp.last_nn_step, stype = anyelement);

-- ten updates per recommendation; occurred_on between adoption and today, recorded up to 40
-- days later (so some are backdated behind later ones)
CREATE TEMP TABLE bench_updates AS
WITH raw AS (
    SELECT gen_random_uuid() AS id, r.id AS rec, k, p.lead,
           r.adopted_on + (random() * greatest(current_date - r.adopted_on - 41, 1))::int
               AS occurred_on,
           random() AS src_pick, random() AS status_pick, random() AS progress_pick,
           random() AS response_pick, random() AS retract_pick, random() AS late
      FROM recommendations r JOIN bench_pick p ON p.rec = r.id, generate_series(1, 10) AS k
), shaped AS (
    SELECT id, rec, k, lead, occurred_on,
           CASE WHEN src_pick < 0.6 THEN 'civil_society' WHEN src_pick < 0.8 THEN 'agency'
                ELSE 'editorial' END::update_source AS source,
           CASE WHEN status_pick < 0.5 THEN NULL
                ELSE (enum_range(NULL::rec_status))[1 + ((status_pick - 0.5) * 13.99)::int % 7]
           END AS status,
           progress_pick, response_pick, retract_pick,
           occurred_on + make_interval(hours => 8 + (late * late * 40 * 24)::int) AS created_at
      FROM raw
)
SELECT id, rec, k, occurred_on, source, status,
       CASE WHEN source <> 'agency' AND progress_pick < 0.3 THEN (progress_pick * 333)::smallint
            WHEN source <> 'agency' AND status = 'implemented' THEN 100::smallint END AS progress,
       CASE WHEN source = 'editorial' AND response_pick < 0.5
            THEN (enum_range(NULL::rec_response))[1 + (response_pick * 9.99)::int % 5] END
           AS response,
       CASE WHEN source = 'agency' THEN (SELECT a.id FROM bench_agency a WHERE a.n = lead) END
           AS author_agency_id,
       created_at::timestamptz AS created_at,
       CASE WHEN retract_pick < 0.02 THEN created_at::timestamptz + interval '1 day' END
           AS retracted_at
  FROM shaped;

INSERT INTO updates (id, recommendation_id, body, status, progress, response, evidence,
                     occurred_on, source, author_name, author_role, author_agency_id, previous,
                     created_at, retracted_at, retracted_reason)
SELECT u.id, u.rec, 'Bench update ' || u.k || ', with a comma and "quotes"', u.status,
       u.progress, u.response, '[]', u.occurred_on, u.source, 'Bench ' || u.source,
       CASE u.source WHEN 'civil_society' THEN 'monitor' WHEN 'agency' THEN 'agency'
                     ELSE 'editor' END::user_role,
       u.author_agency_id,
       jsonb_build_object(
           'status', coalesce(pg_temp.last_nn(CASE WHEN u.source <> 'agency' THEN u.status END)
                                  OVER w, 'not_assessed'),
           'progress', pg_temp.last_nn(u.progress) OVER w,
           'response', coalesce(pg_temp.last_nn(u.response) OVER w, 'pending'),
           'agency_status', pg_temp.last_nn(CASE WHEN u.source = 'agency' THEN u.status END)
                                OVER w),
       u.created_at, u.retracted_at, CASE WHEN u.retracted_at IS NOT NULL THEN 'bench' END
  FROM bench_updates u
WINDOW w AS (PARTITION BY u.rec ORDER BY u.occurred_on, u.created_at, u.id
             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING);

-- the recommendations' state, as updates_apply() would leave it
UPDATE recommendations r
   SET status = coalesce(s.st, 'not_assessed'), agency_status = s.ast, progress = s.pr,
       response = coalesce(s.rsp, 'pending'), updates_count = s.n, last_update_at = s.last_at,
       version = r.version + s.n, updated_at = s.last_at
  FROM (SELECT u.rec,
               pg_temp.last_nn(CASE WHEN u.source <> 'agency' THEN u.status END
                               ORDER BY u.occurred_on, u.created_at, u.id) AS st,
               pg_temp.last_nn(CASE WHEN u.source = 'agency' THEN u.status END
                               ORDER BY u.occurred_on, u.created_at, u.id) AS ast,
               pg_temp.last_nn(u.progress ORDER BY u.occurred_on, u.created_at, u.id) AS pr,
               pg_temp.last_nn(u.response ORDER BY u.occurred_on, u.created_at, u.id) AS rsp,
               count(*)::int AS n, max(u.created_at) AS last_at
          FROM bench_updates u GROUP BY u.rec) s
 WHERE r.id = s.rec;

-- a few archived resolutions, so the reports' archive rule is part of what is measured
UPDATE resolutions SET archived_at = now()
 WHERE slug IN ('bench-resolution-7', 'bench-resolution-77');

ALTER TABLE recommendations ENABLE TRIGGER recommendations_report_counts_insert_delete,
                            ENABLE TRIGGER recommendations_report_counts_update;
ALTER TABLE recommendation_agencies ENABLE TRIGGER recommendation_agencies_report_counts_insert_delete,
                                    ENABLE TRIGGER recommendation_agencies_report_counts_update;
SELECT report_counts_rebuild();
