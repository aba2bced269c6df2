-- Sectors and agencies: their JSON, list orders, the agency search, the rule that no agency is
-- its own ancestor, and no version bump for a change that changes nothing.

-- ---------------------------------------------------------------- sectors

-- A sector's localized title falls back to its resolution's source_language.
CREATE FUNCTION sector_json(s sectors, lang text) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', s.id, 'resolution_id', s.resolution_id, 'code', s.code, 'position', s.position,
        'title', loc(s.title, lang,
                     (SELECT r.source_language FROM resolutions r WHERE r.id = s.resolution_id)),
        'participants', s.participants,
        'recommendations_count',
            (SELECT count(*) FROM recommendations x WHERE x.sector_id = s.id),
        'created_at', ts_text(s.created_at), 'updated_at', ts_text(s.updated_at),
        'version', s.version)
$$;

-- The list order (position, then code); "C" so the order does not depend on the locale.
CREATE INDEX sectors_order ON sectors (resolution_id, position, (code COLLATE "C"));

-- ---------------------------------------------------------------- agencies

-- Agency names are outside any resolution: their fallback skips the source_language step.
CREATE FUNCTION agency_json(a agencies, lang text) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', a.id, 'slug', a.slug, 'name', loc(a.name, lang), 'acronym', a.acronym,
        'kind', a.kind, 'parent_id', a.parent_id, 'website', a.website,
        'archived_at', ts_text(a.archived_at),
        'created_at', ts_text(a.created_at), 'updated_at', ts_text(a.updated_at),
        'version', a.version)
$$;

CREATE INDEX agencies_order ON agencies ((slug COLLATE "C"));

-- Case-insensitive search of q in any language of the name, the slug or the acronym.
-- strpos, not LIKE, so that % and _ in q are plain characters.
CREATE FUNCTION agency_matches(a agencies, q text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT strpos(lower(a.slug), lower(q)) > 0
        OR strpos(lower(coalesce(a.acronym, '')), lower(q)) > 0
        OR EXISTS (SELECT 1 FROM jsonb_each_text(a.name) AS e(k, v)
                   WHERE strpos(lower(e.v), lower(q)) > 0)
$$;

-- Is `target` the agency `start` itself or one of its ancestors? (UNION stops on a repeat, so
-- even a cycle left by a bug cannot make this loop.)
CREATE FUNCTION agency_chain_has(start uuid, target uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE up(id) AS (
        SELECT start
        UNION
        SELECT a.parent_id FROM agencies a JOIN up ON a.id = up.id WHERE a.parent_id IS NOT NULL)
    SELECT EXISTS (SELECT 1 FROM up WHERE up.id = target)
$$;

-- No agency may be its own ancestor. The API checks this before writing; this trigger holds it
-- whatever the writer. The lock serializes parent changes, so that two concurrent changes
-- cannot each pass the check and close a cycle together.
CREATE FUNCTION agencies_no_cycle() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('agencies.parent_id'));
    IF agency_chain_has(NEW.parent_id, NEW.id) THEN
        RAISE EXCEPTION 'an agency cannot be its own ancestor'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'agencies_parent_cycle';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER agencies_no_cycle BEFORE INSERT OR UPDATE OF parent_id ON agencies
    FOR EACH ROW WHEN (NEW.parent_id IS NOT NULL) EXECUTE FUNCTION agencies_no_cycle();

-- ---------------------------------------------------------------- versions

-- An UPDATE that leaves every column as it was (a PATCH of {} or of the current values, a
-- re-import) keeps the version and updated_at, so the ETag stays valid.
CREATE FUNCTION keep_version_when_unchanged() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF to_jsonb(NEW) - 'version' - 'updated_at' = to_jsonb(OLD) - 'version' - 'updated_at' THEN
        NEW.version := OLD.version;
        NEW.updated_at := OLD.updated_at;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER sectors_keep_version BEFORE UPDATE ON sectors
    FOR EACH ROW EXECUTE FUNCTION keep_version_when_unchanged();
CREATE TRIGGER agencies_keep_version BEFORE UPDATE ON agencies
    FOR EACH ROW EXECUTE FUNCTION keep_version_when_unchanged();
