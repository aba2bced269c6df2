-- Updates: their JSON, posting (one locked transaction), retraction.

-- An update as the API shows it. Readers without an editor or admin token
-- (show_retracted_body false) see a retracted update with body and evidence null.
CREATE FUNCTION update_json(u updates, lang text, show_retracted_body boolean) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', u.id, 'recommendation_id', u.recommendation_id,
        'body', CASE WHEN u.retracted_at IS NULL OR show_retracted_body THEN u.body END,
        'status', u.status, 'progress', u.progress, 'response', u.response,
        'evidence', CASE WHEN u.retracted_at IS NULL OR show_retracted_body THEN u.evidence END,
        'occurred_on', u.occurred_on, 'source', u.source,
        'author', json_build_object(
            'id', u.author_id, 'name', u.author_name, 'role', u.author_role,
            'agency', (SELECT agency_ref_json(a, lang) FROM agencies a
                       WHERE a.id = u.author_agency_id)),
        -- `previous` is kept by updates_apply(); the defaults only cover a row not yet replayed
        'previous', json_build_object(
            'status', coalesce(u.previous -> 'status', '"not_assessed"'),
            'progress', coalesce(u.previous -> 'progress', 'null'),
            'response', coalesce(u.previous -> 'response', '"pending"'),
            'agency_status', coalesce(u.previous -> 'agency_status', 'null')),
        'created_at', ts_text(u.created_at),
        'retracted', CASE WHEN u.retracted_at IS NOT NULL THEN json_build_object(
            'at', ts_text(u.retracted_at),
            'by', (SELECT json_build_object('id', x.id, 'name', x.name) FROM users x
                   WHERE x.id = u.retracted_by),
            'reason', u.retracted_reason) END)
$$;

-- Evidence links normalized to {url, title} (title null when absent), in the given order.
CREATE FUNCTION update_evidence(e jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('url', l.v ->> 'url',
                                                 'title', nullif(l.v -> 'title', 'null'))
                              ORDER BY l.n), '[]')
      FROM jsonb_array_elements(CASE WHEN jsonb_typeof(e) = 'array' THEN e ELSE '[]' END)
           WITH ORDINALITY AS l(v, n)
$$;

-- Stores a validated update body `b` on recommendation `rec` and replays the recommendation's
-- state, all in the caller's transaction. The recommendation row is locked first, so that two
-- writers serialize and an If-Match version (`expected`: NULL = not sent, 0 = "*") is compared
-- with the version the winner left. No row returned: the version did not match (or no such
-- recommendation), and nothing was written.
CREATE FUNCTION update_post(rec uuid, expected bigint, b jsonb, p_author uuid, p_author_name text,
                            p_author_role user_role, p_author_agency uuid, src update_source)
RETURNS TABLE (update_text text, update_id uuid)
LANGUAGE plpgsql AS $$
DECLARE
    current_version bigint;
    new_id uuid := gen_random_uuid();
BEGIN
    SELECT r.version INTO current_version FROM recommendations r WHERE r.id = rec FOR UPDATE;
    IF NOT FOUND OR (expected IS NOT NULL AND expected <> 0 AND current_version <> expected) THEN
        RETURN;
    END IF;
    INSERT INTO updates (id, recommendation_id, body, status, progress, response, evidence,
                         occurred_on, source, author_id, author_name, author_role, author_agency_id)
    VALUES (new_id, rec, b ->> 'body', (b ->> 'status')::rec_status,
            CASE WHEN b ? 'progress' THEN (b ->> 'progress')::smallint
                 -- implemented from a monitor or editor means done, unless progress is given
                 WHEN src <> 'agency' AND b ->> 'status' = 'implemented' THEN 100 END,
            (b ->> 'response')::rec_response, update_evidence(b -> 'evidence'),
            coalesce((b ->> 'occurred_on')::date, (now() AT TIME ZONE 'UTC')::date),
            src, p_author, p_author_name, p_author_role, p_author_agency);
    PERFORM updates_apply(rec);
    RETURN QUERY SELECT update_json(u, NULL, true)::text, u.id FROM updates u WHERE u.id = new_id;
END $$;

-- Retracts update `uid` once; a repeat keeps the first retraction. NULL when there is no such
-- update. The recommendation's state is left as it is.
CREATE FUNCTION update_retract(uid uuid, p_by uuid, p_reason text) RETURNS updates
LANGUAGE plpgsql AS $$
DECLARE
    result updates;
BEGIN
    UPDATE updates SET retracted_at = now(), retracted_by = p_by, retracted_reason = p_reason
     WHERE id = uid AND retracted_at IS NULL;
    -- a new statement, so a retraction committed meanwhile by another editor is seen
    SELECT * INTO result FROM updates WHERE id = uid;
    RETURN result;
END $$;
