-- Import and export of whole resolutions as bundles (API.md section 5).
--
-- C validates a bundle's shape and its references inside the bundle (src/api/bundles.c);
-- bundle_import() then applies it in one statement, so in one transaction, under an advisory
-- lock that makes concurrent imports take turns. What only the database can see (agencies
-- named but stored nowhere, parent cycles through stored agencies, update ids stored under
-- another recommendation) is checked first, before anything is written, and answered as
-- {"problem": {status, field (JSON Pointer), message}}.
--
-- The upsert helpers answer an outcome: 1 created, 2 updated, 3 unchanged (the rows of the
-- counts). A row's version and updated_at move only when one of its values changed.

-- ---------------------------------------------------------------- import helpers

-- A JSON array member that may be absent or null, as a (possibly empty) array.
CREATE FUNCTION bundle_array(a jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(a) = 'array' THEN a ELSE '[]'::jsonb END
$$;

CREATE FUNCTION bundle_resolution(r jsonb, OUT got_id uuid, OUT outcome int)
LANGUAGE plpgsql AS $$
DECLARE
    o resolutions;
    n resolutions;
BEGIN
    n.slug := r ->> 'slug';
    n.title := r -> 'title';
    n.summary := nullif(r -> 'summary', 'null');
    n.adopted_on := (r ->> 'adopted_on')::date;
    n.venue := r ->> 'venue';
    n.city := r ->> 'city';
    n.country := r ->> 'country';
    n.source_url := r ->> 'source_url';
    n.source_language := r ->> 'source_language';
    n.addressees := coalesce(jsonb_text_array(r -> 'addressees'), '{}');
    n.organizers := coalesce(jsonb_text_array(r -> 'organizers'), '{}');
    SELECT * INTO o FROM resolutions x WHERE x.slug = n.slug FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO resolutions (id, slug, title, summary, adopted_on, venue, city, country,
                                 source_url, source_language, addressees, organizers)
        VALUES (gen_random_uuid(), n.slug, n.title, n.summary, n.adopted_on, n.venue, n.city,
                n.country, n.source_url, n.source_language, n.addressees, n.organizers)
        RETURNING id INTO got_id;
        outcome := 1;
        RETURN;
    END IF;
    got_id := o.id;
    IF (o.title, o.summary, o.adopted_on, o.venue, o.city, o.country, o.source_url,
        o.source_language, o.addressees, o.organizers)
       IS NOT DISTINCT FROM
       (n.title, n.summary, n.adopted_on, n.venue, n.city, n.country, n.source_url,
        n.source_language, n.addressees, n.organizers) THEN
        outcome := 3;
        RETURN;
    END IF;
    UPDATE resolutions x
       SET title = n.title, summary = n.summary, adopted_on = n.adopted_on, venue = n.venue,
           city = n.city, country = n.country, source_url = n.source_url,
           source_language = n.source_language, addressees = n.addressees,
           organizers = n.organizers, version = x.version + 1, updated_at = now()
     WHERE x.id = o.id;
    outcome := 2;
END $$;

-- An absent or null position keeps the stored one; a new sector goes after the last one.
CREATE FUNCTION bundle_sector(res uuid, s jsonb, OUT got_id uuid, OUT outcome int)
LANGUAGE plpgsql AS $$
DECLARE
    o sectors;
    n sectors;
BEGIN
    n.code := s ->> 'code';
    n.title := s -> 'title';
    n.position := (s ->> 'position')::int;
    n.participants := coalesce(jsonb_text_array(s -> 'participants'), '{}');
    SELECT * INTO o FROM sectors x WHERE x.resolution_id = res AND x.code = n.code FOR UPDATE;
    IF NOT FOUND THEN
        IF n.position IS NULL THEN
            SELECT coalesce(max(x.position), 0) + 1 INTO n.position
              FROM sectors x WHERE x.resolution_id = res;
        END IF;
        INSERT INTO sectors (id, resolution_id, code, position, title, participants)
        VALUES (gen_random_uuid(), res, n.code, n.position, n.title, n.participants)
        RETURNING id INTO got_id;
        outcome := 1;
        RETURN;
    END IF;
    got_id := o.id;
    n.position := coalesce(n.position, o.position);
    IF (o.title, o.position, o.participants) IS NOT DISTINCT FROM
       (n.title, n.position, n.participants) THEN
        outcome := 3;
        RETURN;
    END IF;
    UPDATE sectors x
       SET title = n.title, position = n.position, participants = n.participants,
           version = x.version + 1, updated_at = now()
     WHERE x.id = o.id;
    outcome := 2;
END $$;

-- First pass over the agencies: creates the missing ones (without parent, which may be an
-- agency created later in the same pass). @return true when it created the agency.
CREATE FUNCTION bundle_agency_create(a jsonb) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM agencies x WHERE x.slug = a ->> 'slug' FOR UPDATE;
    IF FOUND THEN
        RETURN false;
    END IF;
    INSERT INTO agencies (id, slug, name, acronym, kind, website)
    VALUES (gen_random_uuid(), a ->> 'slug', a -> 'name', a ->> 'acronym',
            (a ->> 'kind')::agency_kind, a ->> 'website');
    RETURN true;
END $$;

-- Second pass: compares an existing agency with the bundle and updates it. A parent that
-- changes is cleared here and set by the third pass (bundle_agency_parents), so that no
-- intermediate state has a cycle, which agencies_no_cycle (0003) would refuse.
-- @return the outcome (1 for an agency the first pass created)
CREATE FUNCTION bundle_agency_set(a jsonb, created boolean) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    o agencies;
    n agencies;
BEGIN
    IF created THEN
        RETURN 1;
    END IF;
    SELECT * INTO o FROM agencies x WHERE x.slug = a ->> 'slug';
    n.name := a -> 'name';
    n.acronym := a ->> 'acronym';
    n.kind := (a ->> 'kind')::agency_kind;
    n.website := a ->> 'website';
    n.parent_id := (SELECT p.id FROM agencies p WHERE p.slug = a ->> 'parent');
    IF (o.name, o.acronym, o.kind, o.website, o.parent_id) IS NOT DISTINCT FROM
       (n.name, n.acronym, n.kind, n.website, n.parent_id) THEN
        RETURN 3;
    END IF;
    UPDATE agencies x
       SET name = n.name, acronym = n.acronym, kind = n.kind, website = n.website,
           parent_id = CASE WHEN o.parent_id IS NOT DISTINCT FROM n.parent_id
                            THEN o.parent_id END,
           version = x.version + 1, updated_at = now()
     WHERE x.id = o.id;
    RETURN 2;
END $$;

-- Third pass: sets every parent the bundle names that is not set yet (the version moved
-- already in the second pass, or the agency is new).
CREATE FUNCTION bundle_agency_parents(agencies_in jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    item jsonb;
BEGIN
    FOR item IN SELECT e.v FROM jsonb_array_elements(agencies_in) AS e(v) LOOP
        UPDATE agencies x SET parent_id = p.id
          FROM agencies p
         WHERE x.slug = item ->> 'slug' AND p.slug = item ->> 'parent'
           AND x.parent_id IS DISTINCT FROM p.id;
    END LOOP;
END $$;

-- The index (0-based) of the first bundle agency that the bundle's parents (and the stored
-- parents of agencies outside it) would make its own ancestor, or NULL.
CREATE FUNCTION bundle_parent_cycle(agencies_in jsonb) RETURNS int
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE mine AS (
        SELECT e.item ->> 'slug' AS slug, e.item ->> 'parent' AS parent, e.n
          FROM jsonb_array_elements(agencies_in) WITH ORDINALITY AS e(item, n)
    ), edges AS (
        SELECT m.slug, m.parent FROM mine m WHERE m.parent IS NOT NULL
        UNION ALL
        SELECT a.slug, p.slug FROM agencies a JOIN agencies p ON p.id = a.parent_id
         WHERE a.slug NOT IN (SELECT m.slug FROM mine m)
    ), walk(start, cur) AS (
        SELECT e.slug, e.parent FROM edges e WHERE e.slug IN (SELECT m.slug FROM mine m)
        UNION
        SELECT w.start, e.parent FROM walk w JOIN edges e ON e.slug = w.cur
         WHERE w.cur <> w.start
    )
    SELECT (min(m.n) - 1)::int FROM walk w JOIN mine m ON m.slug = w.start
     WHERE w.cur = w.start
$$;

CREATE FUNCTION bundle_assign(rec uuid, lead uuid, supporting uuid[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO recommendation_agencies (recommendation_id, agency_id, role, position)
    SELECT rec, lead, 'lead', 0 WHERE lead IS NOT NULL
    UNION ALL
    SELECT rec, s.agency, 'supporting', s.k::int
      FROM unnest(supporting) WITH ORDINALITY AS s(agency, k)
$$;

CREATE FUNCTION bundle_recommendation(res uuid, r jsonb, OUT got_id uuid, OUT outcome int)
LANGUAGE plpgsql AS $$
DECLARE
    o recommendations;
    n recommendations;
    lead uuid;
    supporting uuid[];
    old_lead uuid;
    old_supporting uuid[];
BEGIN
    n.sector_id := (SELECT x.id FROM sectors x
                     WHERE x.resolution_id = res AND x.code = r ->> 'sector');
    n.code := r ->> 'code';
    n.number := (r ->> 'number')::int;
    n.text := r -> 'text';
    n.summary := nullif(r -> 'summary', 'null');
    n.target_date := (r ->> 'target_date')::date;
    n.budget_amount := (r #>> '{budget,amount}')::numeric;
    n.budget_currency := r #>> '{budget,currency}';
    n.themes := coalesce(jsonb_text_array(r -> 'themes'), '{}');
    n.sdgs := ARRAY(SELECT e.v::smallint
                      FROM jsonb_array_elements_text(bundle_array(r -> 'sdgs'))
                           WITH ORDINALITY AS e(v, k) ORDER BY e.k);
    lead := (SELECT a.id FROM agencies a WHERE a.slug = r ->> 'lead_agency');
    supporting := ARRAY(SELECT a.id
                          FROM jsonb_array_elements_text(bundle_array(r -> 'supporting_agencies'))
                               WITH ORDINALITY AS s(slug, k)
                          JOIN agencies a ON a.slug = s.slug ORDER BY s.k);
    SELECT * INTO o FROM recommendations x
     WHERE x.resolution_id = res AND x.code = n.code FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO recommendations (id, resolution_id, sector_id, code, number, text, summary,
                                     target_date, budget_amount, budget_currency, themes, sdgs)
        VALUES (gen_random_uuid(), res, n.sector_id, n.code, n.number, n.text, n.summary,
                n.target_date, n.budget_amount, n.budget_currency, n.themes, n.sdgs)
        RETURNING id INTO got_id;
        PERFORM bundle_assign(got_id, lead, supporting);
        outcome := 1;
        RETURN;
    END IF;
    got_id := o.id;
    old_lead := (SELECT x.agency_id FROM recommendation_agencies x
                  WHERE x.recommendation_id = o.id AND x.role = 'lead');
    old_supporting := ARRAY(SELECT x.agency_id FROM recommendation_agencies x
                             WHERE x.recommendation_id = o.id AND x.role = 'supporting'
                             ORDER BY x.position, x.agency_id);
    IF (o.sector_id, o.number, o.text, o.summary, o.target_date, o.budget_amount,
        o.budget_currency, o.themes, o.sdgs, old_lead, old_supporting)
       IS NOT DISTINCT FROM
       (n.sector_id, n.number, n.text, n.summary, n.target_date, n.budget_amount,
        n.budget_currency, n.themes, n.sdgs, lead, supporting) THEN
        outcome := 3;
        RETURN;
    END IF;
    UPDATE recommendations x
       SET sector_id = n.sector_id, number = n.number, text = n.text, summary = n.summary,
           target_date = n.target_date, budget_amount = n.budget_amount,
           budget_currency = n.budget_currency, themes = n.themes, sdgs = n.sdgs,
           version = x.version + 1, updated_at = now()
     WHERE x.id = o.id;
    IF (old_lead, old_supporting) IS DISTINCT FROM (lead, supporting) THEN
        DELETE FROM recommendation_agencies x WHERE x.recommendation_id = o.id;
        PERFORM bundle_assign(o.id, lead, supporting);
    END IF;
    outcome := 2;
END $$;

-- Stores an imported update as it is (author_id NULL; evidence normalized as for a posted
-- update, by update_evidence of 0005); an existing id is left alone, since updates are
-- immutable. A null body (allowed on a retracted update) is stored as ''.
-- @return true when it stored the update.
CREATE FUNCTION bundle_update(rec uuid, u jsonb) RETURNS boolean
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
            (u ->> 'progress')::smallint, (u ->> 'response')::rec_response,
            update_evidence(u -> 'evidence'), (u ->> 'occurred_on')::date,
            (u ->> 'source')::update_source, NULL, u ->> 'author_name',
            (u ->> 'created_at')::timestamptz, (u #>> '{retracted,at}')::timestamptz,
            u #>> '{retracted,reason}');
    RETURN true;
END $$;

-- The JSON Pointer of the first agency reference (refs: [[pointer, slug], ...]) that names
-- no stored agency, or NULL.
CREATE FUNCTION bundle_missing_agency(refs jsonb) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT e.ref ->> 0 FROM jsonb_array_elements(refs) WITH ORDINALITY AS e(ref, n)
     WHERE NOT EXISTS (SELECT 1 FROM agencies a WHERE a.slug = e.ref ->> 1)
     ORDER BY e.n LIMIT 1
$$;

-- The JSON Pointer of the first bundle update whose id is stored under another
-- recommendation than the one the bundle puts it under, or NULL.
CREATE FUNCTION bundle_moved_update(b jsonb) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('/recommendations/%s/updates/%s/id', r.n - 1, u.k - 1)
      FROM jsonb_array_elements(b -> 'recommendations') WITH ORDINALITY AS r(rec, n)
     CROSS JOIN LATERAL jsonb_array_elements(bundle_array(r.rec -> 'updates'))
           WITH ORDINALITY AS u(upd, k)
      JOIN updates x ON x.id = (u.upd ->> 'id')::uuid
     WHERE x.recommendation_id IS DISTINCT FROM
           (SELECT m.id FROM recommendations m JOIN resolutions s ON s.id = m.resolution_id
             WHERE s.slug = b #>> '{resolution,slug}' AND m.code = r.rec ->> 'code')
     ORDER BY r.n, u.k LIMIT 1
$$;

-- The first problem only the database can see, as {status, field, message}, or NULL.
CREATE FUNCTION bundle_problem(b jsonb, refs jsonb) RETURNS json
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
    bad := bundle_moved_update(b);
    IF bad IS NOT NULL THEN
        RETURN json_build_object('status', 409, 'field', bad,
                                 'message', 'is an update stored under another recommendation');
    END IF;
    RETURN NULL;
END $$;

-- ---------------------------------------------------------------- import

-- One row of the counts (outcome 1 created, 2 updated, 3 unchanged).
CREATE FUNCTION bundle_counts_json(counts int[], outcome int) RETURNS json
LANGUAGE sql IMMUTABLE AS $$
    SELECT json_build_object('resolutions', counts[outcome][1], 'sectors', counts[outcome][2],
                             'agencies', counts[outcome][3],
                             'recommendations', counts[outcome][4],
                             'updates', counts[outcome][5])
$$;

-- Applies a validated bundle @a b; @a refs lists the agency slugs it names but does not carry,
-- with their JSON Pointers. @return the counts {created, updated, unchanged}, or
-- {"problem": ...} with nothing written.
CREATE FUNCTION bundle_import(b jsonb, refs jsonb) RETURNS json
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
        FOR upd IN SELECT e FROM jsonb_array_elements(bundle_array(item -> 'updates')) e LOOP
            IF bundle_update(got, upd) THEN
                counts[1][5] := counts[1][5] + 1;
                touched := array_append(touched, got);
            ELSE
                counts[3][5] := counts[3][5] + 1;
            END IF;
        END LOOP;
    END LOOP;

    -- each recommendation that got updates replays them in effective order, as posting does
    PERFORM updates_apply(t.rec) FROM (SELECT DISTINCT unnest(touched) AS rec) t;

    RETURN json_build_object(
        'created', bundle_counts_json(counts, 1),
        'updated', bundle_counts_json(counts, 2),
        'unchanged', bundle_counts_json(counts, 3));
END $$;

-- ---------------------------------------------------------------- export

-- A stored update as a bundle member. Without @a full_text (a reader below editor) a
-- retracted update's body and evidence are null; a body stored as '' (imported retracted
-- without one) is null either way, so that the bundle imports again.
CREATE FUNCTION bundle_update_json(u updates, full_text boolean) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', u.id,
        'body', CASE WHEN u.retracted_at IS NOT NULL AND (NOT full_text OR u.body = '')
                     THEN NULL ELSE u.body END,
        'occurred_on', u.occurred_on, 'source', u.source, 'author_name', u.author_name,
        'created_at', ts_text(u.created_at),
        'status', u.status, 'progress', u.progress, 'response', u.response,
        'evidence', CASE WHEN u.retracted_at IS NOT NULL AND NOT full_text
                         THEN NULL ELSE u.evidence END,
        'retracted', CASE WHEN u.retracted_at IS NULL THEN NULL
                          ELSE json_build_object('at', ts_text(u.retracted_at),
                                                 'reason', u.retracted_reason) END)
$$;

CREATE FUNCTION bundle_recommendation_json(m recommendations, full_text boolean) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'code', m.code, 'number', m.number,
        'sector', (SELECT s.code FROM sectors s WHERE s.id = m.sector_id),
        'text', m.text, 'summary', m.summary, 'target_date', m.target_date,
        'budget', CASE WHEN m.budget_amount IS NULL THEN NULL
                       ELSE json_build_object('amount', m.budget_amount::text,
                                              'currency', m.budget_currency) END,
        'themes', m.themes, 'sdgs', m.sdgs,
        'lead_agency', (SELECT a.slug FROM recommendation_agencies x
                          JOIN agencies a ON a.id = x.agency_id
                         WHERE x.recommendation_id = m.id AND x.role = 'lead'),
        'supporting_agencies',
            coalesce((SELECT json_agg(a.slug ORDER BY x.position, x.agency_id)
                        FROM recommendation_agencies x JOIN agencies a ON a.id = x.agency_id
                       WHERE x.recommendation_id = m.id AND x.role = 'supporting'), '[]'),
        'updates',
            coalesce((SELECT json_agg(bundle_update_json(u, full_text)
                                      ORDER BY u.occurred_on, u.created_at, u.id)
                        FROM updates u WHERE u.recommendation_id = m.id), '[]'))
$$;

-- The agencies the resolution's recommendations name, and their ancestors (so that every
-- parent a bundle names is in it).
CREATE FUNCTION bundle_agencies_json(res uuid) RETURNS json
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE named(id) AS (
        SELECT x.agency_id FROM recommendation_agencies x
          JOIN recommendations m ON m.id = x.recommendation_id
         WHERE m.resolution_id = res
        UNION
        SELECT a.parent_id FROM named JOIN agencies a ON a.id = named.id
         WHERE a.parent_id IS NOT NULL
    )
    SELECT coalesce(json_agg(json_build_object(
               'slug', a.slug, 'name', a.name, 'kind', a.kind, 'acronym', a.acronym,
               'parent', (SELECT p.slug FROM agencies p WHERE p.id = a.parent_id),
               'website', a.website) ORDER BY a.slug), '[]')
      FROM agencies a WHERE a.id IN (SELECT id FROM named)
$$;

-- The whole resolution @a res as a bundle (NULL when there is no such resolution).
CREATE FUNCTION bundle_export(res uuid, full_text boolean) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'format', 'recommendation-tracker/bundle@1',
        'resolution', json_build_object(
            'slug', r.slug, 'title', r.title, 'adopted_on', r.adopted_on, 'summary', r.summary,
            'venue', r.venue, 'city', r.city, 'country', r.country, 'source_url', r.source_url,
            'source_language', r.source_language, 'addressees', r.addressees,
            'organizers', r.organizers),
        'sectors', coalesce((SELECT json_agg(json_build_object(
                                 'code', s.code, 'title', s.title, 'position', s.position,
                                 'participants', s.participants) ORDER BY s.position, s.code)
                               FROM sectors s WHERE s.resolution_id = r.id), '[]'),
        'agencies', bundle_agencies_json(r.id),
        'recommendations',
            coalesce((SELECT json_agg(bundle_recommendation_json(m, full_text)
                                      ORDER BY m.sector_position, m.number, m.code)
                        FROM recommendations m WHERE m.resolution_id = r.id), '[]'))
      FROM resolutions r WHERE r.id = res
$$;
