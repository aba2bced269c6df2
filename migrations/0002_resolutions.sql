-- Representations and cursors shared by the list endpoints, and the resolution's JSON.

-- An opaque keyset cursor: base64url of the JSON sort key (decoded and checked in C).
CREATE FUNCTION cursor_encode(key jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT translate(encode(convert_to(key::text, 'UTF8'), 'base64'), E'+/=\n', '-_')
$$;

-- text[] from a JSON array of strings (NULL when the member is absent).
CREATE FUNCTION jsonb_text_array(a jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN a IS NULL OR jsonb_typeof(a) <> 'array' THEN NULL
                ELSE ARRAY(SELECT jsonb_array_elements_text(a)) END
$$;

CREATE FUNCTION resolution_json(r resolutions, lang text) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', r.id, 'slug', r.slug,
        'title', loc(r.title, lang, r.source_language),
        'summary', loc(r.summary, lang, r.source_language),
        'adopted_on', r.adopted_on, 'venue', r.venue, 'city', r.city, 'country', r.country,
        'source_url', r.source_url, 'source_language', r.source_language,
        'addressees', r.addressees, 'organizers', r.organizers,
        'recommendations_count',
            (SELECT count(*) FROM recommendations x WHERE x.resolution_id = r.id),
        'archived_at', ts_text(r.archived_at),
        'created_at', ts_text(r.created_at), 'updated_at', ts_text(r.updated_at),
        'version', r.version)
$$;

CREATE INDEX resolutions_order ON resolutions (adopted_on DESC, id DESC);

-- The short form of an agency embedded in recommendations and reports.
CREATE FUNCTION agency_ref_json(a agencies, lang text) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN a.id IS NULL THEN NULL ELSE
        json_build_object('id', a.id, 'slug', a.slug, 'name', loc(a.name, lang), 'acronym', a.acronym)
    END
$$;
