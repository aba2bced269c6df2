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
