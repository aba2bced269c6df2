-- Recommendations: their JSON, reference lookups, full-text queries, and the writes that touch
-- more than one table (create and agency assignments), each one statement so it is atomic.

-- The recommendation's representation (also used by reports and the feed). Text and summary
-- fall back to the resolution's source_language; agency names do not (agency_ref_json).
CREATE FUNCTION recommendation_json(r recommendations, lang text) RETURNS json
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

-- ---------------------------------------------------------------- references by id, slug or code

-- The uuid a text names, or NULL when it is not shaped like one (so no cast ever fails).
CREATE FUNCTION recommendation_uuid_or_null(ref text) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN ref ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                THEN ref::uuid END
$$;

CREATE FUNCTION recommendation_agency_id(ref text) RETURNS uuid
LANGUAGE sql STABLE AS $$
    SELECT a.id FROM agencies a
     WHERE a.id = recommendation_uuid_or_null(ref) OR a.slug = ref
     ORDER BY a.id = recommendation_uuid_or_null(ref) DESC NULLS LAST LIMIT 1
$$;

CREATE FUNCTION recommendation_resolution_id(ref text) RETURNS uuid
LANGUAGE sql STABLE AS $$
    SELECT x.id FROM resolutions x
     WHERE x.id = recommendation_uuid_or_null(ref) OR x.slug = ref
     ORDER BY x.id = recommendation_uuid_or_null(ref) DESC NULLS LAST LIMIT 1
$$;

-- A sector of resolution res by id or code (an id wins over a code that looks the same).
CREATE FUNCTION recommendation_sector_id(res uuid, ref text) RETURNS uuid
LANGUAGE sql STABLE AS $$
    SELECT s.id FROM sectors s
     WHERE s.resolution_id = res AND (s.id = recommendation_uuid_or_null(ref) OR s.code = ref)
     ORDER BY s.id = recommendation_uuid_or_null(ref) DESC NULLS LAST LIMIT 1
$$;

-- Resolves the references of a validated body b: `resolution` (unless res, the resolution
-- of the recommendation being changed, is given), `sector`, and the agencies in the members
-- named lead_member / supporting_member. Answers {resolution_id, sector_id, lead, supporting,
-- errors: [{field, message}]}: one error per reference that names nothing, per supporting
-- agency that is also the lead or is named twice (by id and by slug).
CREATE FUNCTION recommendation_refs(b jsonb, res uuid, lead_member text, supporting_member text)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    errors jsonb := '[]';
    rid uuid := res;
    sid uuid;
    lead uuid;
    aid uuid;
    sup uuid[] := '{}';
    i int;
BEGIN
    IF rid IS NULL AND b ? 'resolution' THEN
        rid := recommendation_resolution_id(b ->> 'resolution');
        IF rid IS NULL THEN
            errors := errors || jsonb_build_object('field', '/resolution',
                                                   'message', 'names no resolution');
        END IF;
    END IF;
    IF b ? 'sector' AND rid IS NOT NULL THEN
        sid := recommendation_sector_id(rid, b ->> 'sector');
        IF sid IS NULL THEN
            errors := errors || jsonb_build_object('field', '/sector',
                                                   'message', 'names no sector of the resolution');
        END IF;
    END IF;
    IF jsonb_typeof(b -> lead_member) = 'string' THEN
        lead := recommendation_agency_id(b ->> lead_member);
        IF lead IS NULL THEN
            errors := errors || jsonb_build_object('field', '/' || lead_member,
                                                   'message', 'names no agency');
        END IF;
    END IF;
    IF jsonb_typeof(b -> supporting_member) = 'array' THEN
        FOR i IN 0 .. jsonb_array_length(b -> supporting_member) - 1 LOOP
            aid := recommendation_agency_id(b -> supporting_member ->> i);
            IF aid IS NULL THEN
                errors := errors || jsonb_build_object('field', '/' || supporting_member || '/' || i,
                                                       'message', 'names no agency');
            ELSIF aid = lead THEN
                errors := errors || jsonb_build_object('field', '/' || supporting_member || '/' || i,
                                                       'message', 'is the lead agency too');
            ELSIF aid = ANY (sup) THEN
                errors := errors || jsonb_build_object('field', '/' || supporting_member || '/' || i,
                                                       'message', 'names an agency already listed');
            ELSE
                sup := sup || aid;
            END IF;
        END LOOP;
    END IF;
    RETURN jsonb_build_object('resolution_id', rid, 'sector_id', sid, 'lead', lead,
                              'supporting', to_jsonb(sup), 'errors', errors);
END $$;

-- ---------------------------------------------------------------- writes

-- Replaces the agency rows of recommendation rec with refs.lead and refs.supporting (in order).
CREATE FUNCTION recommendation_assign_rows(rec uuid, refs jsonb) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM recommendation_agencies WHERE recommendation_id = rec;
    INSERT INTO recommendation_agencies (recommendation_id, agency_id, role, position)
    SELECT rec, (refs ->> 'lead')::uuid, 'lead', 0 WHERE refs ->> 'lead' IS NOT NULL
    UNION ALL
    SELECT rec, s.a::uuid, 'supporting', s.n::int
      FROM jsonb_array_elements_text(refs -> 'supporting') WITH ORDINALITY AS s(a, n);
$$;

-- The assignment of rec as {lead, supporting} ids, to tell whether a PUT changes anything.
CREATE FUNCTION recommendation_assignment(rec uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'lead', (SELECT ra.agency_id FROM recommendation_agencies ra
                  WHERE ra.recommendation_id = rec AND ra.role = 'lead'),
        'supporting', coalesce((SELECT jsonb_agg(ra.agency_id ORDER BY ra.position)
                                  FROM recommendation_agencies ra
                                 WHERE ra.recommendation_id = rec AND ra.role = 'supporting'),
                               '[]'))
$$;

-- Creates a recommendation from a validated body. Answers one row: (NULL, NULL, NULL, errors)
-- when a reference names nothing, else (representation, version, id, NULL). A taken code
-- raises unique_violation (409).
CREATE FUNCTION recommendation_create(b jsonb)
RETURNS TABLE (o_body text, o_version bigint, o_id uuid, o_errors jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    refs jsonb := recommendation_refs(b, NULL, 'lead_agency', 'supporting_agencies');
    new_id uuid := gen_random_uuid();
BEGIN
    IF refs -> 'errors' <> '[]'::jsonb THEN
        RETURN QUERY SELECT NULL::text, NULL::bigint, NULL::uuid, refs -> 'errors';
        RETURN;
    END IF;
    INSERT INTO recommendations (id, resolution_id, sector_id, code, number, text, summary,
                                 target_date, budget_amount, budget_currency, themes, sdgs)
    VALUES (new_id, (refs ->> 'resolution_id')::uuid, (refs ->> 'sector_id')::uuid,
            b ->> 'code', (b ->> 'number')::int, b -> 'text', nullif(b -> 'summary', 'null'),
            (b ->> 'target_date')::date, (b -> 'budget' ->> 'amount')::numeric,
            b -> 'budget' ->> 'currency', coalesce(jsonb_text_array(b -> 'themes'), '{}'),
            ARRAY(SELECT e::smallint FROM jsonb_array_elements_text(
                      CASE WHEN jsonb_typeof(b -> 'sdgs') = 'array' THEN b -> 'sdgs' END) AS e));
    PERFORM recommendation_assign_rows(new_id, refs);
    RETURN QUERY SELECT recommendation_json(r, NULL)::text, r.version, r.id, NULL::jsonb
                   FROM recommendations r WHERE r.id = new_id;
END $$;

-- Replaces the lead and supporting agencies of rec from {lead, supporting}. No row when rec
-- does not exist; (NULL, NULL, errors) when a reference names nothing; else the
-- representation and version. The version moves only when the assignment changes.
CREATE FUNCTION recommendation_assign(rec uuid, b jsonb)
RETURNS TABLE (o_body text, o_version bigint, o_errors jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    rid uuid;
    refs jsonb;
BEGIN
    -- the row lock serializes concurrent assignments of one recommendation
    SELECT r.resolution_id INTO rid FROM recommendations r WHERE r.id = rec FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    refs := recommendation_refs(b, rid, 'lead', 'supporting');
    IF refs -> 'errors' <> '[]'::jsonb THEN
        RETURN QUERY SELECT NULL::text, NULL::bigint, refs -> 'errors';
        RETURN;
    END IF;
    IF recommendation_assignment(rec) IS DISTINCT FROM
       jsonb_build_object('lead', refs -> 'lead', 'supporting', refs -> 'supporting') THEN
        PERFORM recommendation_assign_rows(rec, refs);
        UPDATE recommendations r SET version = r.version + 1, updated_at = now() WHERE r.id = rec;
    END IF;
    RETURN QUERY SELECT recommendation_json(r, NULL)::text, r.version, NULL::jsonb
                   FROM recommendations r WHERE r.id = rec;
END $$;

-- ---------------------------------------------------------------- list orders

-- sort=target_date, those without one last: a date the API takes is never 'infinity'
CREATE INDEX recommendations_target_order
    ON recommendations ((coalesce(target_date, 'infinity'::date)), id);

-- ---------------------------------------------------------------- search

-- A prefix query of every word of q (q=уран finds "урановых"), built from the lexemes the
-- 'simple' parser finds, each quoted, so no input can be a tsquery syntax error.
-- NULL when q has no words (it then matches nothing).
CREATE FUNCTION recommendation_search_query(q text) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_tsquery('simple', string_agg(
               '''' || replace(replace(t.lexeme, '\', '\\'), '''', '''''') || ''':*', ' & '))
      FROM unnest(to_tsvector('simple', q)) AS t
$$;
