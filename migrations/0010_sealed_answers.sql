-- An answer that carries a secret (a new token) is kept for Idempotency-Key replays only in
-- sealed form: encrypted with a key made from the caller's own bearer token, which the service
-- never stores. A replay by the same caller can open it; a copy of the database cannot.
CREATE EXTENSION IF NOT EXISTS pgcrypto;
ALTER TABLE idempotency_keys ALTER COLUMN body DROP NOT NULL;
ALTER TABLE idempotency_keys ADD COLUMN sealed bytea;
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_one_body
    CHECK ((body IS NULL) <> (sealed IS NULL));
