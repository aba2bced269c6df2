-- Checks the generated state against updates_apply(): replays every recommendation (or a
-- sample of :sample of them) inside a transaction that is rolled back, and counts the
-- recommendations whose state or counters, and the updates whose `previous`, differ.
-- Prints one line "mismatches: R recommendations, U updates (of N replayed)".
\set ON_ERROR_STOP on
SET client_min_messages = warning;
BEGIN;
CREATE TEMP TABLE chk_rec ON COMMIT DROP AS
SELECT id, status, agency_status, progress, response, updates_count, last_update_at, version
  FROM recommendations ORDER BY md5(id::text) LIMIT :sample;
CREATE TEMP TABLE chk_upd ON COMMIT DROP AS
SELECT u.id, u.previous FROM updates u JOIN chk_rec c ON c.id = u.recommendation_id;
SELECT count(updates_apply(id)) AS replayed FROM chk_rec \gset
SELECT format('mismatches: %s recommendations, %s updates (of %s replayed)',
  (SELECT count(*) FROM chk_rec c JOIN recommendations r USING (id)
    WHERE (r.status, r.agency_status, r.progress, r.response, r.updates_count,
           r.last_update_at, r.version)
          IS DISTINCT FROM (c.status, c.agency_status, c.progress, c.response,
                            c.updates_count, c.last_update_at, c.version + 1)),
  (SELECT count(*) FROM chk_upd c JOIN updates u USING (id) WHERE u.previous <> c.previous),
  :replayed);
ROLLBACK;
