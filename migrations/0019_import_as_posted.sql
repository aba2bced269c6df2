-- Bundle updates take effect as posting them would (API.md section 1, "Bundle updates"):
--
-- * `status: implemented` from source civil_society or editorial implies progress 100 unless the
--   update gives `progress` (update_post() of 0005, where a member given as null counts as given,
--   so an export, which writes the member, imports to what was stored). Before, an import stored
--   the progress as it came, so a hand-made bundle left it null: no history row null → 100, and a
--   later update's previous.progress was null.
-- * A bundle's new updates are inserted in recording order (created_at, then id) across all its
--   recommendations. The feed orders by the writing transaction, then insertion order (updates.seq),
--   so this is what lists one import's updates oldest first; before, they went in bundle order.
-- * A created_at or retracted.at later than the import transaction's now() is refused (400 naming
--   the member, nothing written): no post can record an update in the future, and one such time
--   would freeze last_update_at and the stale report.

-- Stores an imported update (author_id NULL; evidence normalized as for a posted update, by
-- update_evidence of 0005); an existing id is left alone, since updates are immutable. A null body
-- (allowed on a retracted update) is stored as ''. Progress as update_post() sets it.
-- @return true when it stored the update.
CREATE OR REPLACE FUNCTION bundle_update(rec uuid, u jsonb) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM updates x WHERE x.id = (u ->> 'id')::uuid;
    IF FOUND THEN
        RETURN false;
    END IF;
    INSERT INTO updates (id, recommendation_id, body, status, progress, response, evidence,
                         occurred_on, source, author_id, author_name, created_at,
                         retracted_at, retracted_reason)
    VALUES ((u ->> 'id')::uuid, rec, coalesce(u ->> 'body', ''), (u ->> 'status')::rec_status,
            CASE WHEN u ? 'progress' THEN (u ->> 'progress')::smallint
                 -- implemented from a monitor or editor means done, unless progress is given
                 WHEN u ->> 'source' <> 'agency' AND u ->> 'status' = 'implemented' THEN 100 END,
            (u ->> 'response')::rec_response,
            update_evidence(u -> 'evidence'), (u ->> 'occurred_on')::date,
            (u ->> 'source')::update_source, NULL, u ->> 'author_name',
            (u ->> 'created_at')::timestamptz, (u #>> '{retracted,at}')::timestamptz,
            u #>> '{retracted,reason}');
    RETURN true;
END $$;

-- The JSON Pointer of the first update time (created_at, retracted.at) of the bundle later than
-- the transaction's now(), in document order, or NULL.
CREATE FUNCTION bundle_future_time(b jsonb) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('/recommendations/%s/updates/%s/%s', r.n - 1, u.k - 1, t.member)
      FROM jsonb_array_elements(b -> 'recommendations') WITH ORDINALITY AS r(rec, n)
     CROSS JOIN LATERAL jsonb_array_elements(bundle_array(r.rec -> 'updates'))
           WITH ORDINALITY AS u(upd, k)
     CROSS JOIN LATERAL (VALUES (1, 'created_at', u.upd ->> 'created_at'),
                                (2, 'retracted/at', u.upd #>> '{retracted,at}')) AS t(m, member, at)
     WHERE t.at::timestamptz > now()
     ORDER BY r.n, u.k, t.m LIMIT 1
$$;

-- The first problem only the database can see, as {status, field, message}, or NULL.
CREATE OR REPLACE FUNCTION bundle_problem(b jsonb, refs jsonb) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
    bad text;
    i int;
BEGIN
    bad := bundle_missing_agency(refs);
    IF bad IS NOT NULL THEN
        RETURN json_build_object('status', 400, 'field', bad,
                                 'message', 'names an agency that is neither in the bundle nor stored');
    END IF;
    i := bundle_parent_cycle(b -> 'agencies');
    IF i IS NOT NULL THEN
        RETURN json_build_object('status', 400, 'field', format('/agencies/%s/parent', i),
                                 'message', 'makes the agency its own ancestor');
    END IF;
    -- the database's clock, not the service's: the limit is the import transaction's now()
    bad := bundle_future_time(b);
    IF bad IS NOT NULL THEN
        RETURN json_build_object('status', 400, 'field', bad,
                                 'message', 'must not be in the future');
    END IF;
    bad := bundle_moved_update(b);
    IF bad IS NOT NULL THEN
        RETURN json_build_object('status', 409, 'field', bad,
                                 'message', 'is an update stored under another recommendation');
    END IF;
    RETURN NULL;
END $$;

-- Applies a validated bundle @a b; @a refs lists the agency slugs it names but does not carry,
-- with their JSON Pointers. @return the counts {created, updated, unchanged}, or
-- {"problem": ...} with nothing written.
CREATE OR REPLACE FUNCTION bundle_import(b jsonb, refs jsonb) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    -- counts[outcome][kind]: kinds 1 resolutions, 2 sectors, 3 agencies, 4 recommendations,
    -- 5 updates; outcomes 1 created, 2 updated, 3 unchanged
    counts int[] := array_fill(0, ARRAY[3, 5]);
    res uuid;
    got uuid;
    o int;
    problem json;
    item jsonb;
    upd jsonb;
    fresh boolean[] := '{}';
    recs uuid[] := '{}'; -- the id of each bundle recommendation, in bundle order
    touched uuid[] := '{}';
    i int;
BEGIN
    -- concurrent imports take turns (released at the end of the transaction)
    PERFORM pg_advisory_xact_lock(hashtext('tracker.bundle_import'));
    problem := bundle_problem(b, refs);
    IF problem IS NOT NULL THEN
        RETURN json_build_object('problem', problem);
    END IF;

    SELECT got_id, outcome INTO res, o FROM bundle_resolution(b -> 'resolution');
    counts[o][1] := counts[o][1] + 1;

    FOR item IN SELECT e FROM jsonb_array_elements(b -> 'sectors') e LOOP
        SELECT outcome INTO o FROM bundle_sector(res, item);
        counts[o][2] := counts[o][2] + 1;
    END LOOP;

    FOR item IN SELECT e FROM jsonb_array_elements(b -> 'agencies') e LOOP
        fresh := fresh || bundle_agency_create(item);
    END LOOP;
    i := 0;
    FOR item IN SELECT e FROM jsonb_array_elements(b -> 'agencies') e LOOP
        i := i + 1;
        o := bundle_agency_set(item, fresh[i]);
        counts[o][3] := counts[o][3] + 1;
    END LOOP;
    PERFORM bundle_agency_parents(b -> 'agencies');

    FOR item IN SELECT e FROM jsonb_array_elements(b -> 'recommendations') e LOOP
        SELECT got_id, outcome INTO got, o FROM bundle_recommendation(res, item);
        counts[o][4] := counts[o][4] + 1;
        recs := recs || got;
    END LOOP;

    -- one at a time in recording order across the bundle: each insert takes the next seq, and
    -- the feed lists this transaction's updates by seq
    FOR got, upd IN
        SELECT recs[r.n::int], u.upd
          FROM jsonb_array_elements(b -> 'recommendations') WITH ORDINALITY AS r(rec, n)
         CROSS JOIN LATERAL jsonb_array_elements(bundle_array(r.rec -> 'updates')) AS u(upd)
         ORDER BY (u.upd ->> 'created_at')::timestamptz, (u.upd ->> 'id')::uuid
    LOOP
        IF bundle_update(got, upd) THEN
            counts[1][5] := counts[1][5] + 1;
            touched := array_append(touched, got);
        ELSE
            counts[3][5] := counts[3][5] + 1;
        END IF;
    END LOOP;

    -- each recommendation that got updates replays them in effective order, as posting does
    PERFORM updates_apply(t.rec) FROM (SELECT DISTINCT unnest(touched) AS rec) t;

    RETURN json_build_object(
        'created', bundle_counts_json(counts, 1),
        'updated', bundle_counts_json(counts, 2),
        'unchanged', bundle_counts_json(counts, 3));
END $$;
