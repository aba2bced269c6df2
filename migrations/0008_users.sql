-- Users and tokens: their JSON (never a secret or its hash), list orders, one account per
-- e-mail address whatever its case.

-- An e-mail address belongs to one user; `Ann@x.org` and `ann@x.org` are the same address.
CREATE UNIQUE INDEX users_email_unique ON users (lower(email));

-- GET /v1/users: oldest first.
CREATE INDEX users_order ON users (created_at, id);

-- GET /v1/users/{id}/tokens: a user's live (not revoked) tokens, newest first.
CREATE INDEX api_tokens_user_order ON api_tokens (user_id, created_at DESC, id DESC)
    WHERE revoked_at IS NULL;

CREATE FUNCTION user_json(u users) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', u.id, 'name', u.name, 'email', u.email, 'role', u.role,
        'agency_id', u.agency_id, 'active', u.active,
        'created_at', ts_text(u.created_at), 'updated_at', ts_text(u.updated_at),
        'version', u.version)
$$;

-- A token as everyone but its creator sees it: no secret, no hash.
CREATE FUNCTION token_json(t api_tokens) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', t.id, 'name', t.name, 'prefix', t.prefix,
        'created_at', ts_text(t.created_at), 'expires_at', ts_text(t.expires_at),
        'last_used_at', ts_text(t.last_used_at))
$$;

-- A token in the audit trail: its representation plus whose it is and whether it is revoked
-- (still no secret, no hash).
CREATE FUNCTION token_audit_json(t api_tokens) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT (token_json(t)::jsonb
            || jsonb_build_object('user_id', t.user_id, 'revoked_at', ts_text(t.revoked_at)))::json
$$;

-- Is @a t (already checked as RFC 3339 with a zone) a time PostgreSQL reads, after now()?
-- False instead of an error for a time out of PostgreSQL's range.
CREATE FUNCTION token_expiry_ok(t text) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN t::timestamptz > now();
EXCEPTION WHEN data_exception THEN
    RETURN false;
END $$;
