-- The data set of bench/run, generated in SQL on a freshly migrated database. Sizes are psql
-- variables (bench/run passes them; the full run: res=100 sectors=10 per_sector=100
-- agencies=300 per_rec=10, i.e. 100,000 recommendations and 1,000,000 updates).
--
-- Ids are derived from numbers, so that pgbench can name the same rows the service reads:
-- recommendation n (1..N, in code order) has the id md5(n::text)::uuid.
--
-- Updates are inserted in bulk with their `previous` computed set-based (window functions),
-- and each recommendation's state, counters and version are then set in ONE UPDATE from its
-- updates in effective order (occurred_on, created_at, id): the same values updates_apply()
-- would leave after the updates had been posted one by one, without a call per row.
-- bench/run --smoke checks exactly that against updates_apply() on the small data set.
-- Deterministic but for the update ids and the timestamps relative to today.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET work_mem = '256MB';
SET maintenance_work_mem = '512MB';
SELECT setseed(0.42) AS seeded \gset

-- ---------------------------------------------------------------- bulk-load set-up

-- As the PostgreSQL manual advises for populating a database: the secondary indexes and the
-- foreign keys of the big tables go first and come back at the end, rebuilt from their own
-- definitions in the catalog (so whatever the migrations define is what gets measured).
CREATE TEMP TABLE bench_ddl AS
SELECT 1 AS step, format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname,
                         pg_get_constraintdef(c.oid)) AS create_sql,
       format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname) AS drop_sql
  FROM pg_constraint c
 WHERE c.contype = 'f'
   AND c.conrelid IN ('recommendations'::regclass, 'recommendation_agencies'::regclass,
                      'updates'::regclass)
UNION ALL
SELECT 0, pg_get_indexdef(i.indexrelid), format('DROP INDEX %s', i.indexrelid::regclass)
  FROM pg_index i
 WHERE i.indrelid IN ('recommendations'::regclass, 'recommendation_agencies'::regclass,
                      'updates'::regclass)
   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid);
SELECT drop_sql FROM bench_ddl ORDER BY step DESC \gexec
-- the report counts (migrations/0015_report_counts.sql) are rebuilt once at the end rather than
-- kept row by row during the load
ALTER TABLE recommendations DISABLE TRIGGER recommendations_report_counts_insert_delete,
                            DISABLE TRIGGER recommendations_report_counts_update;
ALTER TABLE recommendation_agencies DISABLE TRIGGER recommendation_agencies_report_counts_insert_delete,
                                    DISABLE TRIGGER recommendation_agencies_report_counts_update;

-- ---------------------------------------------------------------- resolutions, sectors, agencies

-- one resolution in 50 is archived, so the lists' and reports' archive rule is exercised
INSERT INTO resolutions (id, slug, title, summary, adopted_on, venue, city, country,
                         source_language, addressees, organizers, archived_at, created_at)
SELECT md5('resolution-' || i)::uuid, 'bench-' || i,
       jsonb_build_object('en', 'Resolution of the bench dialogue number ' || i,
                          'ru', 'Резолюция диалога номер ' || i),
       jsonb_build_object('en', 'A synthetic resolution for the load benchmark.'),
       date '2015-01-01' + i * 20, 'Hall ' || i, 'Bishkek', 'KG', 'en',
       ARRAY['Government', 'Parliament'], ARRAY['Bench organizers'],
       CASE WHEN i % 50 = 0 THEN now() END, date '2015-01-01' + i * 20
  FROM generate_series(1, :res) AS i;

INSERT INTO sectors (id, resolution_id, code, position, title, participants)
SELECT md5('sector-' || i || '-' || k)::uuid, md5('resolution-' || i)::uuid, 'S' || k, k,
       jsonb_build_object('en', 'Sector ' || k, 'ru', 'Сектор ' || k), ARRAY['Participant A']
  FROM generate_series(1, :res) AS i, generate_series(1, :sectors) AS k;

INSERT INTO agencies (id, slug, name, acronym, kind, website)
SELECT md5('agency-' || a)::uuid, 'bench-agency-' || a,
       jsonb_build_object('en', 'Ministry of bench affairs ' || a, 'ru', 'Министерство ' || a),
       'MBA' || a, 'ministry', 'https://agency' || a || '.example.org'
  FROM generate_series(1, :agencies) AS a;

-- ---------------------------------------------------------------- recommendations

-- n numbers the recommendations in code order (resolution, sector, number)
CREATE TEMP TABLE bench_rec AS
SELECT ((i - 1) * :sectors + k - 1) * :per_sector + j AS n, i, k, j,
       md5(((((i - 1) * :sectors + k - 1) * :per_sector + j))::text)::uuid AS id,
       date '2015-01-01' + i * 20 AS adopted_on,
       1 + (random() * (:agencies - 1))::int AS lead,
       1 + (random() * (:agencies - 1))::int AS s1,
       1 + (random() * (:agencies - 1))::int AS s2,
       (random() * 2.99)::int AS nsup, random() AS pick
  FROM generate_series(1, :res) AS i, generate_series(1, :sectors) AS k,
       generate_series(1, :per_sector) AS j;

-- texts about as long as the 2021 resolution's (300 characters), in two languages
INSERT INTO recommendations (id, resolution_id, sector_id, code, number, text, summary,
                             target_date, budget_amount, budget_currency, themes, sdgs,
                             created_at, updated_at)
SELECT b.id, md5('resolution-' || b.i)::uuid, md5('sector-' || b.i || '-' || b.k)::uuid,
       'S' || b.k || '-' || b.j, b.j,
       jsonb_build_object(
           'en', 'To promote the soonest establishment of institution ' || b.n
                 || ', compliant with the principles agreed by the dialogue, so that it works'
                 || ' effectively from the community to the national and global levels;',
           'ru', 'Содействовать скорейшему созданию учреждения ' || b.n
                 || ', соответствующего принципам, согласованным в ходе диалога;'),
       CASE WHEN b.pick < 0.2 THEN jsonb_build_object('en', 'Institution ' || b.n) END,
       CASE WHEN b.pick < 0.35 THEN b.adopted_on + 180 + (b.n % 1500)::int END,
       CASE WHEN b.pick > 0.9 THEN (b.n % 1000) * 1000 END,
       CASE WHEN b.pick > 0.9 THEN 'USD' END,
       ARRAY['theme-' || (b.n % 12), 'theme-' || (b.n % 7 + 12)],
       ARRAY[(1 + b.n % 17)::smallint, (1 + (b.n * 7) % 17)::smallint],
       b.adopted_on + time '12:00', b.adopted_on + time '12:00'
  FROM bench_rec b
 ORDER BY b.n;

INSERT INTO recommendation_agencies (recommendation_id, agency_id, role, position)
SELECT b.id, md5('agency-' || b.lead)::uuid, 'lead', 0 FROM bench_rec b
UNION ALL
SELECT b.id, md5('agency-' || b.s1)::uuid, 'supporting', 1 FROM bench_rec b
 WHERE b.nsup >= 1 AND b.s1 <> b.lead
UNION ALL
SELECT b.id, md5('agency-' || b.s2)::uuid, 'supporting', 2 FROM bench_rec b
 WHERE b.nsup >= 2 AND b.s2 NOT IN (b.lead, b.s1);

-- ---------------------------------------------------------------- updates

-- the vocabularies as array constants (psql variables), so that no row calls enum_range()
SELECT enum_range(NULL::rec_status)::text AS statuses,
       enum_range(NULL::rec_response)::text AS responses,
       enum_range(NULL::update_source)::text AS sources,
       enum_range(NULL::user_role)::text AS roles \gset

-- per_rec updates per recommendation: occurred between adoption and 41 days ago, recorded
-- 8 hours to 40 days later (so some are backdated behind later ones); 60 % from monitors,
-- 20 % from the lead agency, 20 % editorial; about half change a status, 2 % are retracted.
-- Vocabularies as numbers: status 2..7 of rec_status, response 2..5 of rec_response, 0 none.
-- rn is the position in effective order (occurred_on, created_at, id).
CREATE TEMP TABLE bench_eff AS
WITH raw AS (
    SELECT b.n, b.id AS rec, g.k, b.lead,
           b.adopted_on + (random() * greatest(current_date - b.adopted_on - 41, 1))::int
               AS occurred_on,
           random() AS src_pick, random() AS status_pick, random() AS progress_pick,
           random() AS response_pick, random() AS retract_pick, random() AS late
      FROM bench_rec b, generate_series(1, :per_rec) AS g(k)
), shaped AS (
    SELECT md5('update-' || n || '-' || k)::uuid AS id, rec, k, lead, occurred_on,
           CASE WHEN src_pick < 0.6 THEN 0 WHEN src_pick < 0.8 THEN 1 ELSE 2 END AS src,
           CASE WHEN status_pick < 0.5 THEN 0 ELSE 2 + floor((status_pick - 0.5) * 12)::int END
               AS st,
           progress_pick, response_pick, retract_pick,
           (occurred_on + make_interval(hours => 8 + (late * late * 40 * 24)::int))::timestamptz
               AS created_at
      FROM raw
), valued AS (
    SELECT id, rec, k, lead, occurred_on, src, st,
           CASE WHEN src <> 1 AND progress_pick < 0.3 THEN (progress_pick * 333)::int
                WHEN src <> 1 AND st = 6 THEN 100 END AS pr, -- implemented from a monitor: done
           CASE WHEN src = 2 AND response_pick < 0.5 THEN 2 + floor(response_pick * 8)::int
                ELSE 0 END AS rsp,
           created_at,
           CASE WHEN retract_pick < 0.02 THEN created_at + interval '1 day' END AS retracted_at
      FROM shaped
)
SELECT v.*, row_number() OVER (PARTITION BY v.rec ORDER BY v.occurred_on, v.created_at, v.id)
           AS rn
  FROM valued v;

-- `previous`: the latest value before a row is the running maximum of (rn, value) packed into
-- one number, over the preceding rows
INSERT INTO updates (id, recommendation_id, body, status, progress, response, evidence,
                     occurred_on, source, author_name, author_role, author_agency_id, previous,
                     created_at, retracted_at, retracted_reason)
SELECT p.id, p.rec,
       'Update ' || p.k || ': the working group met, and the ministry reported on its plan.',
       CASE WHEN p.st > 0 THEN (:'statuses'::rec_status[])[p.st] END, p.pr,
       CASE WHEN p.rsp > 0 THEN (:'responses'::rec_response[])[p.rsp] END,
       CASE WHEN p.k % 3 = 0
            THEN jsonb_build_array(jsonb_build_object('url', 'https://news.example.org/' || p.k,
                                                      'title', 'Press release'))
            ELSE '[]' END,
       p.occurred_on, (:'sources'::update_source[])[1 + p.src],
       CASE p.src WHEN 0 THEN 'Bench monitor' WHEN 1 THEN 'Bench agency desk'
                  ELSE 'Bench editor' END,
       (:'roles'::user_role[])[CASE p.src WHEN 0 THEN 2 WHEN 1 THEN 1 ELSE 3 END],
       CASE WHEN p.src = 1 THEN md5('agency-' || p.lead)::uuid END,
       jsonb_build_object(
           'status', coalesce((:'statuses'::rec_status[])[p.st_before % 8], 'not_assessed'),
           'progress', p.pr_before % 128,
           'response', coalesce((:'responses'::rec_response[])[p.rsp_before % 8], 'pending'),
           'agency_status', (:'statuses'::rec_status[])[p.ast_before % 8]),
       p.created_at, p.retracted_at, CASE WHEN p.retracted_at IS NOT NULL THEN 'bench' END
  FROM (SELECT e.*,
               max(CASE WHEN e.src <> 1 AND e.st > 0 THEN e.rn * 8 + e.st END) OVER w
                   AS st_before,
               max(CASE WHEN e.src = 1 AND e.st > 0 THEN e.rn * 8 + e.st END) OVER w
                   AS ast_before,
               max(e.rn * 128 + e.pr) OVER w AS pr_before,
               max(CASE WHEN e.rsp > 0 THEN e.rn * 8 + e.rsp END) OVER w AS rsp_before
          FROM bench_eff e
        WINDOW w AS (PARTITION BY e.rec ORDER BY e.rn
                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)) p
 ORDER BY p.created_at;

-- each recommendation's state after all its updates, as updates_apply() leaves it: one UPDATE
UPDATE recommendations r
   SET status = coalesce((:'statuses'::rec_status[])[s.st % 8], 'not_assessed'),
       agency_status = (:'statuses'::rec_status[])[s.ast % 8],
       progress = s.pr % 128,
       response = coalesce((:'responses'::rec_response[])[s.rsp % 8], 'pending'),
       updates_count = s.n, last_update_at = s.last_at, updated_at = s.last_at,
       version = r.version + s.n
  FROM (SELECT e.rec,
               max(CASE WHEN e.src <> 1 AND e.st > 0 THEN e.rn * 8 + e.st END) AS st,
               max(CASE WHEN e.src = 1 AND e.st > 0 THEN e.rn * 8 + e.st END) AS ast,
               max(e.rn * 128 + e.pr) AS pr,
               max(CASE WHEN e.rsp > 0 THEN e.rn * 8 + e.rsp END) AS rsp,
               count(*)::int AS n, max(e.created_at) AS last_at
          FROM bench_eff e GROUP BY e.rec) s
 WHERE r.id = s.rec;

DROP TABLE bench_rec, bench_eff;

-- ---------------------------------------------------------------- indexes and keys back

SELECT create_sql FROM bench_ddl ORDER BY step, create_sql \gexec
ALTER TABLE recommendations ENABLE TRIGGER recommendations_report_counts_insert_delete,
                            ENABLE TRIGGER recommendations_report_counts_update;
ALTER TABLE recommendation_agencies ENABLE TRIGGER recommendation_agencies_report_counts_insert_delete,
                                    ENABLE TRIGGER recommendation_agencies_report_counts_update;
SELECT report_counts_rebuild();
