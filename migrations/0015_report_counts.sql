-- Report counts kept up to date as recommendations change, so that the summary and agencies
-- reports add up at most a few thousand small rows instead of scanning 100,000
-- recommendations and their 230,000 agency rows (bench/reports-scale measured 130 and 107 ms
-- for the scans; the issue asks for under 100 ms).
--
--   report_sector_counts   one row per sector: total, per status, per response, progress sum
--                          and count, the perception gap (agency_status <> status)
--   report_agency_counts   one row per (agency, resolution): lead and supporting rows, per
--                          status, the latest last_update_at
--   report_agency_targets  the open (not implemented, not not_implemented) recommendations with
--                          a target date, per (agency, resolution, target_date): the agencies'
--                          overdue count on any day is a sum over the dates before it
--
-- Overdue per sector needs no table: the partial index recommendations_open_targets holds the
-- open recommendations with a target date, in date order.
--
-- Row triggers keep the counts: a status change adds -1 to the old value and +1 to the new one
-- (increments commute, so concurrent writers need no ordering beyond the row locks the upserts
-- take, in sector then agency-id order). Only a removed agency row can lower an agency's latest
-- update time; then that one value is recomputed after locking its row. Bulk loads may disable
-- the triggers and call report_counts_rebuild() at the end (bench/dataset.sql does).
--
-- Reports filtered by agency, or agencies reports filtered by sector, still count from the
-- recommendations themselves (report_*_scan): their scope is small.

-- The scans of 0011, kept for the scopes the tables below do not cover, and to rebuild them.
ALTER FUNCTION report_summary_rows(uuid, uuid, uuid, date)
    RENAME TO report_summary_scan;
ALTER FUNCTION report_agency_rows(uuid, uuid, uuid, date)
    RENAME TO report_agency_scan;

-- ---------------------------------------------------------------- tables

CREATE TABLE report_sector_counts (
    sector_id uuid PRIMARY KEY REFERENCES sectors (id) ON DELETE CASCADE,
    total bigint NOT NULL DEFAULT 0,
    na bigint NOT NULL DEFAULT 0, ns bigint NOT NULL DEFAULT 0, ip bigint NOT NULL DEFAULT 0,
    st bigint NOT NULL DEFAULT 0, pi bigint NOT NULL DEFAULT 0, im bigint NOT NULL DEFAULT 0,
    ni bigint NOT NULL DEFAULT 0,
    pe bigint NOT NULL DEFAULT 0, ac bigint NOT NULL DEFAULT 0, pa bigint NOT NULL DEFAULT 0,
    nt bigint NOT NULL DEFAULT 0, re bigint NOT NULL DEFAULT 0,
    psum bigint NOT NULL DEFAULT 0, pn bigint NOT NULL DEFAULT 0, gap bigint NOT NULL DEFAULT 0
);

-- keyed resolution first: a resolution-filtered report reads a range of the primary key
CREATE TABLE report_agency_counts (
    resolution_id uuid NOT NULL REFERENCES resolutions (id) ON DELETE CASCADE,
    agency_id uuid NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    lead bigint NOT NULL DEFAULT 0, sup bigint NOT NULL DEFAULT 0,
    na bigint NOT NULL DEFAULT 0, ns bigint NOT NULL DEFAULT 0, ip bigint NOT NULL DEFAULT 0,
    st bigint NOT NULL DEFAULT 0, pi bigint NOT NULL DEFAULT 0, im bigint NOT NULL DEFAULT 0,
    ni bigint NOT NULL DEFAULT 0,
    last timestamptz,
    PRIMARY KEY (resolution_id, agency_id)
);
CREATE INDEX report_agency_counts_agency ON report_agency_counts (agency_id);

CREATE TABLE report_agency_targets (
    resolution_id uuid NOT NULL REFERENCES resolutions (id) ON DELETE CASCADE,
    agency_id uuid NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    target_date date NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (resolution_id, agency_id, target_date)
);
CREATE INDEX report_agency_targets_date ON report_agency_targets (target_date)
    INCLUDE (resolution_id, agency_id, n);
CREATE INDEX report_agency_targets_agency ON report_agency_targets (agency_id);

-- the open recommendations with a target date (report_is_overdue's rows on some day)
CREATE INDEX recommendations_open_targets ON recommendations (target_date)
    INCLUDE (resolution_id, sector_id)
    WHERE target_date IS NOT NULL AND status NOT IN ('implemented', 'not_implemented');

-- ---------------------------------------------------------------- increments

-- Is recommendation r open with a target date (counted in report_agency_targets)?
CREATE FUNCTION report_is_open_target(r recommendations) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT r.target_date IS NOT NULL AND r.status NOT IN ('implemented', 'not_implemented')
$$;

-- Adds d (1 or -1) times recommendation r to its sector's counts.
CREATE FUNCTION report_sector_add(r recommendations, d integer) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO report_sector_counts AS c (sector_id, total, na, ns, ip, st, pi, im, ni,
                                           pe, ac, pa, nt, re, psum, pn, gap)
    VALUES (r.sector_id, d,
            d * (r.status = 'not_assessed')::int, d * (r.status = 'not_started')::int,
            d * (r.status = 'in_progress')::int, d * (r.status = 'stalled')::int,
            d * (r.status = 'partially_implemented')::int, d * (r.status = 'implemented')::int,
            d * (r.status = 'not_implemented')::int,
            d * (r.response = 'pending')::int, d * (r.response = 'accepted')::int,
            d * (r.response = 'partially_accepted')::int, d * (r.response = 'noted')::int,
            d * (r.response = 'rejected')::int,
            d * coalesce(r.progress, 0), d * (r.progress IS NOT NULL)::int,
            d * coalesce(r.agency_status <> r.status, false)::int)
    ON CONFLICT (sector_id) DO UPDATE
       SET total = c.total + excluded.total,
           na = c.na + excluded.na, ns = c.ns + excluded.ns, ip = c.ip + excluded.ip,
           st = c.st + excluded.st, pi = c.pi + excluded.pi, im = c.im + excluded.im,
           ni = c.ni + excluded.ni,
           pe = c.pe + excluded.pe, ac = c.ac + excluded.ac, pa = c.pa + excluded.pa,
           nt = c.nt + excluded.nt, re = c.re + excluded.re,
           psum = c.psum + excluded.psum, pn = c.pn + excluded.pn, gap = c.gap + excluded.gap
$$;

-- Adds d times recommendation r's status to the counts of the given agencies (lead and
-- supporting counts move only with agency rows: see report_assignment_add), in agency-id
-- order; `last` only grows here.
CREATE FUNCTION report_agency_status_add(r recommendations, d integer, agency_ids uuid[])
RETURNS void
LANGUAGE sql AS $$
    INSERT INTO report_agency_counts AS c (resolution_id, agency_id, na, ns, ip, st, pi, im, ni,
                                           last)
    SELECT r.resolution_id, a.id,
           d * (r.status = 'not_assessed')::int, d * (r.status = 'not_started')::int,
           d * (r.status = 'in_progress')::int, d * (r.status = 'stalled')::int,
           d * (r.status = 'partially_implemented')::int, d * (r.status = 'implemented')::int,
           d * (r.status = 'not_implemented')::int,
           CASE WHEN d > 0 THEN r.last_update_at END
      FROM unnest(agency_ids) AS a(id)
     ORDER BY a.id
    ON CONFLICT (resolution_id, agency_id) DO UPDATE
       SET na = c.na + excluded.na, ns = c.ns + excluded.ns, ip = c.ip + excluded.ip,
           st = c.st + excluded.st, pi = c.pi + excluded.pi, im = c.im + excluded.im,
           ni = c.ni + excluded.ni,
           last = CASE WHEN excluded.last IS NULL THEN c.last
                       ELSE greatest(c.last, excluded.last) END;
    INSERT INTO report_agency_targets AS t (resolution_id, agency_id, target_date, n)
    SELECT r.resolution_id, a.id, r.target_date, d
      FROM unnest(agency_ids) AS a(id)
     WHERE report_is_open_target(r)
     ORDER BY a.id
    ON CONFLICT (resolution_id, agency_id, target_date) DO UPDATE SET n = t.n + excluded.n;
$$;

-- The agencies with a row on recommendation rec.
CREATE FUNCTION report_agencies_of(rec uuid) RETURNS uuid[]
LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(ra.agency_id), '{}') FROM recommendation_agencies ra
     WHERE ra.recommendation_id = rec
$$;

-- Recomputes `last` of (resolution, agency) from the recommendations, after locking the row,
-- so that the statement that reads them sees every writer that held the lock before.
CREATE FUNCTION report_agency_last_refresh(res uuid, agency uuid) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM report_agency_counts c
     WHERE c.resolution_id = res AND c.agency_id = agency FOR UPDATE;
    UPDATE report_agency_counts c
       SET last = (SELECT max(r.last_update_at)
                     FROM recommendation_agencies ra
                     JOIN recommendations r ON r.id = ra.recommendation_id
                    WHERE ra.agency_id = agency AND r.resolution_id = res)
     WHERE c.resolution_id = res AND c.agency_id = agency;
END $$;

-- Adds d times the agency row (rec, agency, role): its role and its recommendation's status.
-- A removed row may have held the agency's latest update time: that value is recomputed.
CREATE FUNCTION report_assignment_add(rec uuid, agency uuid, role text, d integer)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    r recommendations;
BEGIN
    -- (the foreign key keeps an agency row from outliving its recommendation)
    SELECT * INTO r FROM recommendations WHERE id = rec;
    INSERT INTO report_agency_counts AS c (resolution_id, agency_id, lead, sup)
    VALUES (r.resolution_id, agency, d * (role = 'lead')::int, d * (role = 'supporting')::int)
    ON CONFLICT (resolution_id, agency_id) DO UPDATE
       SET lead = c.lead + excluded.lead, sup = c.sup + excluded.sup;
    PERFORM report_agency_status_add(r, d, ARRAY[agency]);
    IF d < 0 THEN
        DELETE FROM report_agency_counts c
         WHERE c.resolution_id = r.resolution_id AND c.agency_id = agency
           AND c.lead = 0 AND c.sup = 0;
        IF r.last_update_at IS NOT NULL THEN
            PERFORM report_agency_last_refresh(r.resolution_id, agency);
        END IF;
    END IF;
    DELETE FROM report_agency_targets t
     WHERE t.resolution_id = r.resolution_id AND t.agency_id = agency AND t.n = 0;
END $$;

-- ---------------------------------------------------------------- triggers

CREATE FUNCTION report_counts_track_recommendation() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    agency_ids uuid[];
BEGIN
    -- a new recommendation has no agency rows yet: they are counted as they come
    IF TG_OP <> 'INSERT' THEN
        PERFORM report_sector_add(OLD, -1);
        agency_ids := report_agencies_of(OLD.id);
        PERFORM report_agency_status_add(OLD, -1, agency_ids);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM report_sector_add(NEW, 1);
        IF TG_OP = 'UPDATE' THEN
            PERFORM report_agency_status_add(NEW, 1, agency_ids);
            DELETE FROM report_agency_targets t
             WHERE t.resolution_id IN (OLD.resolution_id, NEW.resolution_id)
               AND t.agency_id = ANY (agency_ids) AND t.n = 0;
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER recommendations_report_counts_insert_delete
    AFTER INSERT OR DELETE ON recommendations
    FOR EACH ROW EXECUTE FUNCTION report_counts_track_recommendation();
-- only the members the counts read wake it (a text edit does not)
CREATE TRIGGER recommendations_report_counts_update
    AFTER UPDATE ON recommendations
    FOR EACH ROW
    WHEN ((OLD.sector_id, OLD.resolution_id, OLD.status, OLD.response, OLD.progress,
           OLD.agency_status, OLD.target_date, OLD.last_update_at)
          IS DISTINCT FROM
          (NEW.sector_id, NEW.resolution_id, NEW.status, NEW.response, NEW.progress,
           NEW.agency_status, NEW.target_date, NEW.last_update_at))
    EXECUTE FUNCTION report_counts_track_recommendation();

CREATE FUNCTION report_counts_track_assignment() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM report_assignment_add(OLD.recommendation_id, OLD.agency_id, OLD.role, -1);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM report_assignment_add(NEW.recommendation_id, NEW.agency_id, NEW.role, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER recommendation_agencies_report_counts_insert_delete
    AFTER INSERT OR DELETE ON recommendation_agencies
    FOR EACH ROW EXECUTE FUNCTION report_counts_track_assignment();
CREATE TRIGGER recommendation_agencies_report_counts_update
    AFTER UPDATE ON recommendation_agencies
    FOR EACH ROW
    WHEN ((OLD.recommendation_id, OLD.agency_id, OLD.role)
          IS DISTINCT FROM (NEW.recommendation_id, NEW.agency_id, NEW.role))
    EXECUTE FUNCTION report_counts_track_assignment();

-- ---------------------------------------------------------------- lock order

-- A post locks its recommendation's row, then its sector's counts row, then its agencies' rows
-- in id order, so posts never deadlock with each other. A change that moves the counts of
-- several sectors or agencies at once in another order (agency rows replaced, a recommendation
-- moved to another sector or target date, an import) locks its recommendations' rows and then
-- the three tables instead: posts wait the few milliseconds it lasts rather than deadlocking
-- with it (a deadlock costs a second of waiting, then a 503).
CREATE FUNCTION report_counts_lock(rec uuid) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM recommendations r WHERE r.id = rec FOR UPDATE;
    LOCK TABLE report_sector_counts, report_agency_counts, report_agency_targets
        IN EXCLUSIVE MODE;
END $$;

-- bundle_import() (0006) after its locks, in that order: the imports' advisory lock (taken
-- again inside, which is allowed), the rows of the resolution's recommendations in id order,
-- then the counts.
CREATE FUNCTION bundle_import_locked(b jsonb, refs jsonb) RETURNS json
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('tracker.bundle_import'));
    PERFORM 1 FROM recommendations r JOIN resolutions x ON x.id = r.resolution_id
     WHERE x.slug = b #>> '{resolution,slug}' ORDER BY r.id FOR UPDATE OF r;
    LOCK TABLE report_sector_counts, report_agency_counts, report_agency_targets
        IN EXCLUSIVE MODE;
    RETURN bundle_import(b, refs);
END $$;

-- ---------------------------------------------------------------- rebuild

-- Every count from scratch: after a bulk load that ran with the triggers disabled, and to
-- check the triggers (tests compare the tables with a rebuild). The counts are those of the
-- reports' scans, resolution by resolution (naming a resolution takes archived ones too).
CREATE FUNCTION report_counts_rebuild() RETURNS void
LANGUAGE sql AS $$
    LOCK TABLE report_sector_counts, report_agency_counts, report_agency_targets
        IN EXCLUSIVE MODE;
    DELETE FROM report_sector_counts;
    DELETE FROM report_agency_counts;
    DELETE FROM report_agency_targets;
    INSERT INTO report_sector_counts (sector_id, total, na, ns, ip, st, pi, im, ni,
                                      pe, ac, pa, nt, re, psum, pn, gap)
    SELECT c.g_sector, c.g_total, c.g_na, c.g_ns, c.g_ip, c.g_st, c.g_pi, c.g_im, c.g_ni,
           c.g_pe, c.g_ac, c.g_pa, c.g_nt, c.g_re, coalesce(c.g_psum, 0), c.g_pn, c.g_gap
      FROM resolutions x CROSS JOIN LATERAL report_summary_scan(x.id, NULL, NULL, current_date) c;
    INSERT INTO report_agency_counts (resolution_id, agency_id, lead, sup,
                                      na, ns, ip, st, pi, im, ni, last)
    SELECT x.id, c.g_agency, c.g_lead, c.g_sup, c.g_na, c.g_ns, c.g_ip, c.g_st, c.g_pi, c.g_im,
           c.g_ni, c.g_last
      FROM resolutions x CROSS JOIN LATERAL report_agency_scan(x.id, NULL, NULL, current_date) c;
    INSERT INTO report_agency_targets (resolution_id, agency_id, target_date, n)
    SELECT r.resolution_id, ra.agency_id, r.target_date, count(*)
      FROM recommendation_agencies ra JOIN recommendations r ON r.id = ra.recommendation_id
     WHERE report_is_open_target(r)
     GROUP BY r.resolution_id, ra.agency_id, r.target_date;
$$;

SELECT report_counts_rebuild();

-- ---------------------------------------------------------------- the reports' counts

-- Summary rows per sector (the columns of 0011's report_summary_rows): from
-- report_sector_counts unless an agency filter asks for a scan.
CREATE FUNCTION report_summary_rows(p_rid uuid, p_sid uuid, p_aid uuid, today date)
RETURNS TABLE (g_sector uuid, g_total bigint,
               g_na bigint, g_ns bigint, g_ip bigint, g_st bigint, g_pi bigint, g_im bigint,
               g_ni bigint, g_pe bigint, g_ac bigint, g_pa bigint, g_nt bigint, g_re bigint,
               g_psum bigint, g_pn bigint, g_overdue bigint, g_gap bigint)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan SET jit = off AS $$
BEGIN
    IF p_aid IS NOT NULL THEN
        RETURN QUERY SELECT * FROM report_summary_scan(p_rid, p_sid, p_aid, today);
        RETURN;
    END IF;
    RETURN QUERY
    WITH overdue AS (
        SELECT r.sector_id, count(*) AS n FROM recommendations r
         WHERE r.target_date < today AND r.target_date IS NOT NULL
           AND r.status NOT IN ('implemented', 'not_implemented')
           AND (p_rid IS NULL OR r.resolution_id = p_rid)
           AND (p_sid IS NULL OR r.sector_id = p_sid)
         GROUP BY r.sector_id)
    SELECT c.sector_id, c.total, c.na, c.ns, c.ip, c.st, c.pi, c.im, c.ni,
           c.pe, c.ac, c.pa, c.nt, c.re, c.psum, c.pn, coalesce(o.n, 0), c.gap
      FROM report_sectors(p_rid, p_sid) s
      JOIN report_sector_counts c ON c.sector_id = s.id
      LEFT JOIN overdue o ON o.sector_id = s.id
     WHERE c.total > 0;
END $$;

-- Agencies rows (the columns of 0011's report_agency_rows): from report_agency_counts and
-- report_agency_targets unless a sector or agency filter asks for a scan.
CREATE FUNCTION report_agency_rows(p_rid uuid, p_sid uuid, p_aid uuid, today date)
RETURNS TABLE (g_agency uuid, g_lead bigint, g_sup bigint,
               g_na bigint, g_ns bigint, g_ip bigint, g_st bigint, g_pi bigint, g_im bigint,
               g_ni bigint, g_overdue bigint, g_last timestamptz)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan SET jit = off AS $$
BEGIN
    IF p_sid IS NOT NULL OR p_aid IS NOT NULL THEN
        RETURN QUERY SELECT * FROM report_agency_scan(p_rid, p_sid, p_aid, today);
        RETURN;
    END IF;
    RETURN QUERY
    WITH scope AS (
        SELECT x.id FROM resolutions x
         WHERE CASE WHEN p_rid IS NULL THEN x.archived_at IS NULL ELSE x.id = p_rid END),
    counts AS (
        SELECT c.agency_id, sum(c.lead)::bigint AS lead, sum(c.sup)::bigint AS sup,
               sum(c.na)::bigint AS na, sum(c.ns)::bigint AS ns, sum(c.ip)::bigint AS ip,
               sum(c.st)::bigint AS st, sum(c.pi)::bigint AS pi, sum(c.im)::bigint AS im,
               sum(c.ni)::bigint AS ni, max(c.last) AS last
          FROM scope JOIN report_agency_counts c ON c.resolution_id = scope.id
         GROUP BY c.agency_id),
    overdue AS (
        SELECT t.agency_id, sum(t.n)::bigint AS n
          FROM scope JOIN report_agency_targets t ON t.resolution_id = scope.id
         WHERE t.target_date < today
         GROUP BY t.agency_id)
    SELECT c.agency_id, c.lead, c.sup, c.na, c.ns, c.ip, c.st, c.pi, c.im, c.ni,
           coalesce(o.n, 0), c.last
      FROM counts c LEFT JOIN overdue o ON o.agency_id = c.agency_id
     WHERE c.lead + c.sup > 0;
END $$;
