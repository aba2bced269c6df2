-- The tracking core: resolutions, sectors, agencies, recommendations, updates, users, tokens.
-- Business rules that must hold whatever a client does live here too: vocabularies as enums,
-- one lead agency per recommendation, append-only updates, a recommendation's state derived
-- from its updates in effective order.

CREATE TYPE rec_status AS ENUM ('not_assessed', 'not_started', 'in_progress', 'stalled',
    'partially_implemented', 'implemented', 'not_implemented');
CREATE TYPE rec_response AS ENUM ('pending', 'accepted', 'partially_accepted', 'noted', 'rejected');
CREATE TYPE agency_kind AS ENUM ('presidency', 'cabinet', 'ministry', 'state_agency', 'parliament',
    'judiciary', 'local_government', 'ombudsman', 'security_council', 'international_organization',
    'civil_society', 'business', 'other');
CREATE TYPE user_role AS ENUM ('agency', 'monitor', 'editor', 'admin');
CREATE TYPE update_source AS ENUM ('civil_society', 'agency', 'editorial');

-- ---------------------------------------------------------------- helpers

-- RFC 3339 UTC with microseconds, as every timestamp is emitted.
CREATE FUNCTION ts_text(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

-- A localized object in the requested language: lang, its primary subtag, en, the source
-- language, then the alphabetically first key. NULL lang keeps the whole object.
CREATE FUNCTION loc(obj jsonb, lang text, source_language text DEFAULT NULL) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN obj IS NULL OR lang IS NULL THEN obj
        ELSE coalesce(obj -> lang, obj -> split_part(lang, '-', 1), obj -> 'en',
                      obj -> source_language,
                      (SELECT v FROM jsonb_each(obj) AS e(k, v) ORDER BY k LIMIT 1))
    END
$$;

-- Text of every language of a localized object, for full-text search.
CREATE FUNCTION loc_all_text(obj jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(string_agg(v, ' '), '') FROM jsonb_each_text(coalesce(obj, '{}')) AS e(k, v)
$$;

-- A localized object is a non-empty object of language tag → non-empty text.
CREATE FUNCTION loc_valid(obj jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT jsonb_typeof(obj) = 'object' AND obj <> '{}'::jsonb
       AND NOT EXISTS (SELECT 1 FROM jsonb_each(obj) AS e(k, v)
                       WHERE k !~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'
                          OR jsonb_typeof(v) <> 'string' OR v #>> '{}' = '')
$$;

CREATE DOMAIN slug_text AS text
    CHECK (VALUE ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(VALUE) <= 80);

-- ---------------------------------------------------------------- agencies, users, tokens

CREATE TABLE agencies (
    id          uuid PRIMARY KEY,
    slug        slug_text NOT NULL UNIQUE,
    name        jsonb NOT NULL CHECK (loc_valid(name)),
    acronym     text,
    kind        agency_kind NOT NULL,
    parent_id   uuid REFERENCES agencies (id),
    website     text,
    archived_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    version     bigint NOT NULL DEFAULT 1,
    CHECK (parent_id IS DISTINCT FROM id)
);
CREATE INDEX agencies_kind ON agencies (kind);

CREATE TABLE users (
    id         uuid PRIMARY KEY,
    name       text NOT NULL CHECK (name <> ''),
    email      text,
    role       user_role NOT NULL,
    agency_id  uuid REFERENCES agencies (id),
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version    bigint NOT NULL DEFAULT 1,
    CHECK ((role = 'agency') = (agency_id IS NOT NULL))
);

CREATE TABLE api_tokens (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id),
    name         text NOT NULL,
    token_hash   bytea NOT NULL UNIQUE, -- SHA-256 of the secret; the secret is never stored
    prefix       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- ---------------------------------------------------------------- resolutions and sectors

CREATE TABLE resolutions (
    id              uuid PRIMARY KEY,
    slug            slug_text NOT NULL UNIQUE,
    title           jsonb NOT NULL CHECK (loc_valid(title)),
    summary         jsonb CHECK (summary IS NULL OR loc_valid(summary)),
    adopted_on      date NOT NULL,
    venue           text,
    city            text,
    country         text CHECK (country ~ '^[A-Z]{2}$'),
    source_url      text,
    source_language text,
    addressees      text[] NOT NULL DEFAULT '{}',
    organizers      text[] NOT NULL DEFAULT '{}',
    archived_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    version         bigint NOT NULL DEFAULT 1
);

CREATE TABLE sectors (
    id            uuid PRIMARY KEY,
    resolution_id uuid NOT NULL REFERENCES resolutions (id),
    code          text NOT NULL CHECK (code ~ '^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$' AND length(code) <= 20),
    position      integer NOT NULL,
    title         jsonb NOT NULL CHECK (loc_valid(title)),
    participants  text[] NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    version       bigint NOT NULL DEFAULT 1,
    UNIQUE (resolution_id, code),
    UNIQUE (id, resolution_id)
);

-- ---------------------------------------------------------------- recommendations

CREATE TABLE recommendations (
    id              uuid PRIMARY KEY,
    resolution_id   uuid NOT NULL REFERENCES resolutions (id),
    sector_id       uuid NOT NULL,
    code            text NOT NULL CHECK (code ~ '^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$' AND length(code) <= 40),
    number          integer NOT NULL CHECK (number >= 0),
    text            jsonb NOT NULL CHECK (loc_valid(text)),
    summary         jsonb CHECK (summary IS NULL OR loc_valid(summary)),
    response        rec_response NOT NULL DEFAULT 'pending',
    status          rec_status NOT NULL DEFAULT 'not_assessed',
    progress        smallint CHECK (progress BETWEEN 0 AND 100),
    agency_status   rec_status,
    target_date     date,
    budget_amount   numeric CHECK (budget_amount >= 0),
    budget_currency text CHECK (budget_currency ~ '^[A-Z]{3}$'),
    themes          text[] NOT NULL DEFAULT '{}',
    sdgs            smallint[] NOT NULL DEFAULT '{}' CHECK (sdgs <@ '{1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17}'),
    updates_count   integer NOT NULL DEFAULT 0,
    last_update_at  timestamptz,
    -- denormalized sort keys, kept by triggers: code order is sector position, then number
    adopted_on      date NOT NULL,
    sector_position integer NOT NULL,
    search          tsvector NOT NULL DEFAULT ''::tsvector,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    version         bigint NOT NULL DEFAULT 1,
    UNIQUE (resolution_id, code),
    FOREIGN KEY (sector_id, resolution_id) REFERENCES sectors (id, resolution_id),
    CHECK ((budget_amount IS NULL) = (budget_currency IS NULL))
);
CREATE INDEX recommendations_code_order
    ON recommendations (adopted_on, resolution_id, sector_position, number, id);
CREATE INDEX recommendations_sector ON recommendations (sector_id, sector_position, number, id);
CREATE INDEX recommendations_status ON recommendations (status);
CREATE INDEX recommendations_updated ON recommendations (updated_at, id);
CREATE INDEX recommendations_target ON recommendations (target_date, id) WHERE target_date IS NOT NULL;
CREATE INDEX recommendations_themes ON recommendations USING gin (themes);
CREATE INDEX recommendations_sdgs ON recommendations USING gin (sdgs);
CREATE INDEX recommendations_search ON recommendations USING gin (search);

CREATE FUNCTION recommendations_derive() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search := to_tsvector('simple', loc_all_text(NEW.text) || ' ' || loc_all_text(NEW.summary));
    SELECT position INTO NEW.sector_position FROM sectors WHERE id = NEW.sector_id;
    SELECT adopted_on INTO NEW.adopted_on FROM resolutions WHERE id = NEW.resolution_id;
    RETURN NEW;
END $$;
CREATE TRIGGER recommendations_derive BEFORE INSERT OR UPDATE OF text, summary, sector_id, resolution_id
    ON recommendations FOR EACH ROW EXECUTE FUNCTION recommendations_derive();

CREATE FUNCTION sectors_position_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE recommendations SET sector_position = NEW.position WHERE sector_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER sectors_position_follow AFTER UPDATE OF position ON sectors
    FOR EACH ROW WHEN (OLD.position IS DISTINCT FROM NEW.position)
    EXECUTE FUNCTION sectors_position_follow();

CREATE FUNCTION resolutions_adopted_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE recommendations SET adopted_on = NEW.adopted_on WHERE resolution_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER resolutions_adopted_follow AFTER UPDATE OF adopted_on ON resolutions
    FOR EACH ROW WHEN (OLD.adopted_on IS DISTINCT FROM NEW.adopted_on)
    EXECUTE FUNCTION resolutions_adopted_follow();

CREATE TABLE recommendation_agencies (
    recommendation_id uuid NOT NULL REFERENCES recommendations (id),
    agency_id         uuid NOT NULL REFERENCES agencies (id),
    role              text NOT NULL CHECK (role IN ('lead', 'supporting')),
    position          integer NOT NULL DEFAULT 0,
    PRIMARY KEY (recommendation_id, agency_id)
);
-- at most one lead per recommendation
CREATE UNIQUE INDEX recommendation_agencies_one_lead
    ON recommendation_agencies (recommendation_id) WHERE role = 'lead';
CREATE INDEX recommendation_agencies_agency ON recommendation_agencies (agency_id, role);

-- ---------------------------------------------------------------- updates

CREATE TABLE updates (
    id                uuid PRIMARY KEY,
    recommendation_id uuid NOT NULL REFERENCES recommendations (id),
    body              text NOT NULL,
    status            rec_status,
    progress          smallint CHECK (progress BETWEEN 0 AND 100),
    response          rec_response,
    evidence          jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(evidence) = 'array'),
    occurred_on       date NOT NULL,
    source            update_source NOT NULL,
    author_id         uuid REFERENCES users (id),
    author_name       text NOT NULL,
    author_role       user_role,
    author_agency_id  uuid REFERENCES agencies (id),
    -- the state in effect just before this update in effective order (kept by updates_apply)
    previous          jsonb NOT NULL DEFAULT '{}',
    created_at        timestamptz NOT NULL DEFAULT now(),
    retracted_at      timestamptz,
    retracted_by      uuid REFERENCES users (id),
    retracted_reason  text,
    -- feed position: the writing transaction, then insertion order (see the feed in updates.c)
    tx                xid8 NOT NULL DEFAULT pg_current_xact_id(),
    seq               bigint GENERATED ALWAYS AS IDENTITY,
    CHECK ((retracted_at IS NULL) = (retracted_reason IS NULL))
);
CREATE INDEX updates_recommendation ON updates (recommendation_id, created_at DESC, id);
CREATE INDEX updates_effective ON updates (recommendation_id, occurred_on, created_at, id);
CREATE INDEX updates_feed ON updates (tx, seq);
CREATE INDEX updates_created ON updates (created_at);

-- Updates are append-only: only the derived `previous` and a first retraction may change.
CREATE FUNCTION updates_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'updates are append-only: delete refused' USING ERRCODE = 'restrict_violation';
    END IF;
    IF (NEW.id, NEW.recommendation_id, NEW.body, NEW.status, NEW.progress, NEW.response,
        NEW.evidence, NEW.occurred_on, NEW.source, NEW.author_id, NEW.author_name,
        NEW.author_role, NEW.author_agency_id, NEW.created_at, NEW.tx, NEW.seq)
       IS DISTINCT FROM
       (OLD.id, OLD.recommendation_id, OLD.body, OLD.status, OLD.progress, OLD.response,
        OLD.evidence, OLD.occurred_on, OLD.source, OLD.author_id, OLD.author_name,
        OLD.author_role, OLD.author_agency_id, OLD.created_at, OLD.tx, OLD.seq)
       OR (OLD.retracted_at IS NOT NULL AND (NEW.retracted_at, NEW.retracted_by, NEW.retracted_reason)
           IS DISTINCT FROM (OLD.retracted_at, OLD.retracted_by, OLD.retracted_reason)) THEN
        RAISE EXCEPTION 'updates are append-only: change refused' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER updates_append_only BEFORE UPDATE OR DELETE ON updates
    FOR EACH ROW EXECUTE FUNCTION updates_append_only();

-- Replays a recommendation's updates in effective order (occurred_on, then recording time):
-- sets each update's `previous` and the recommendation's current state and counters.
-- Called in the transaction that stores an update, so all of it commits together.
CREATE FUNCTION updates_apply(rec uuid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    st  rec_status := 'not_assessed';
    ast rec_status;
    pr  smallint;
    rsp rec_response := 'pending';
    prev jsonb;
    u record;
BEGIN
    FOR u IN SELECT id, source, status, progress, response, previous FROM updates
             WHERE recommendation_id = rec ORDER BY occurred_on, created_at, id LOOP
        prev := jsonb_build_object('status', st, 'progress', pr, 'response', rsp,
                                   'agency_status', ast);
        IF u.previous IS DISTINCT FROM prev THEN
            UPDATE updates SET previous = prev WHERE id = u.id;
        END IF;
        IF u.status IS NOT NULL THEN
            IF u.source = 'agency' THEN ast := u.status; ELSE st := u.status; END IF;
        END IF;
        pr := coalesce(u.progress, pr);
        rsp := coalesce(u.response, rsp);
    END LOOP;
    UPDATE recommendations r
       SET status = st, agency_status = ast, progress = pr, response = rsp,
           updates_count = c.n, last_update_at = c.last_at,
           version = r.version + 1, updated_at = now()
      FROM (SELECT count(*)::int AS n, max(created_at) AS last_at FROM updates
            WHERE recommendation_id = rec) c
     WHERE r.id = rec;
END $$;

-- Every change of status, agency_status, progress and response, with `from` in effective order.
CREATE VIEW recommendation_history AS
WITH changes AS (
    SELECT u.recommendation_id, u.id AS update_id, u.created_at AS at,
           u.occurred_on AS effective_on, u.source, u.author_id, u.author_name, u.author_role,
           f.field, f.value
      FROM updates u
     CROSS JOIN LATERAL (VALUES
           ('status', CASE WHEN u.source <> 'agency' THEN to_jsonb(u.status) END),
           ('agency_status', CASE WHEN u.source = 'agency' THEN to_jsonb(u.status) END),
           ('progress', to_jsonb(u.progress)),
           ('response', to_jsonb(u.response))) AS f(field, value)
     WHERE f.value IS NOT NULL AND f.value <> 'null'::jsonb
)
SELECT c.*,
       coalesce(lag(c.value) OVER w,
                CASE c.field WHEN 'status' THEN '"not_assessed"'::jsonb
                             WHEN 'response' THEN '"pending"'::jsonb
                             ELSE 'null'::jsonb END) AS from_value
  FROM changes c
WINDOW w AS (PARTITION BY c.recommendation_id, c.field
             ORDER BY c.effective_on, c.at, c.update_id);
