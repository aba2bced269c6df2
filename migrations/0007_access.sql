-- Write safety: stored answers for Idempotency-Key, and the audit trail of editors' and admins'
-- writes.

CREATE TABLE idempotency_keys (
    token_id     uuid NOT NULL REFERENCES api_tokens (id),
    key          text NOT NULL,
    method       text NOT NULL,
    path         text NOT NULL,
    body_hash    bytea NOT NULL,      -- SHA-256 of the request body
    status       integer NOT NULL,
    content_type text,
    location     text,
    etag         text,
    body         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (token_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TYPE audit_action AS ENUM ('create', 'update', 'archive', 'unarchive', 'assign', 'retract',
    'revoke', 'import', 'create_token');
CREATE TYPE audit_entity AS ENUM ('resolution', 'sector', 'agency', 'recommendation', 'update',
    'user', 'token', 'import');

CREATE TABLE audit_log (
    id         uuid PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_id   uuid REFERENCES users (id),
    actor_name text NOT NULL,
    actor_role user_role,
    action     audit_action NOT NULL,
    entity     audit_entity NOT NULL,
    entity_id  uuid,
    before     jsonb,
    after      jsonb,
    request_id text NOT NULL
);
CREATE INDEX audit_log_order ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_actor ON audit_log (actor_id, at DESC, id DESC);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, at DESC, id DESC);

-- Every localized object inside a stored representation rendered in one language (for ?lang on
-- the audit trail): an object whose keys are all language tags and whose values are all text.
CREATE FUNCTION localize_json(doc jsonb, lang text) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN lang IS NULL OR doc IS NULL THEN doc
        WHEN jsonb_typeof(doc) = 'object' AND loc_valid(doc) THEN loc(doc, lang)
        WHEN jsonb_typeof(doc) = 'object' THEN
            (SELECT coalesce(jsonb_object_agg(k, localize_json(v, lang)), '{}'::jsonb)
               FROM jsonb_each(doc) AS e(k, v))
        WHEN jsonb_typeof(doc) = 'array' THEN
            (SELECT coalesce(jsonb_agg(localize_json(v, lang) ORDER BY i), '[]'::jsonb)
               FROM jsonb_array_elements(doc) WITH ORDINALITY AS e(v, i))
        ELSE doc
    END
$$;

-- A write that changes nothing (PATCH {}) keeps its version and updated_at (the function is
-- in 0003, where sectors and agencies use it too).
CREATE TRIGGER resolutions_keep_version BEFORE UPDATE ON resolutions
    FOR EACH ROW EXECUTE FUNCTION keep_version_when_unchanged();
CREATE TRIGGER users_keep_version BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION keep_version_when_unchanged();
