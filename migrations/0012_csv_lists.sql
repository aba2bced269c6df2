-- CSV lines of the list endpoints (sectors, agencies, updates and the feed, users, tokens, the
-- audit trail). Each *_csv function gives one row as one CSV line whose columns are the members
-- of the matching *_json function in the same order: localized text in one language (`lang`,
-- default en, with the usual fallback), nested objects flattened to dotted columns, arrays
-- joined with `;`. The column names are in the C module next to the statement.
--
-- The lines are concat_ws() over csv_field() (never NULL, so no column is skipped) rather than
-- csv_line(): the whole expression inlines into the list's query, which makes a long CSV about
-- twice as fast. Columns that can never need quoting (ids, numbers, enums, times) skip
-- csv_field() and are only made non-NULL with csv_plain().

-- An update's evidence as its URLs joined with `;` (NULL stays NULL: hidden when retracted).
CREATE FUNCTION evidence_urls(e jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN e IS NULL THEN NULL ELSE
        (SELECT coalesce(string_agg(l.v ->> 'url', ';' ORDER BY l.n), '')
           FROM jsonb_array_elements(e) WITH ORDINALITY AS l(v, n)) END
$$;

-- A column that never needs quoting: NULL is an empty field.
CREATE FUNCTION csv_plain(v text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(v, '')
$$;

-- A sector (sector_json): the title falls back to its resolution's source_language.
CREATE FUNCTION sector_csv(s sectors, lang text, source_language text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT concat_ws(',', s.id::text, s.resolution_id::text, csv_field(s.code), s.position::text,
        csv_field(loc_text(s.title, lang, source_language)),
        csv_field(array_to_string(s.participants, ';')),
        (SELECT count(*) FROM recommendations x WHERE x.sector_id = s.id)::text,
        ts_text(s.created_at), ts_text(s.updated_at), s.version::text) || E'\r\n'
$$;

-- An agency (agency_json): names skip the source_language step.
CREATE FUNCTION agency_csv(a agencies, lang text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT concat_ws(',', a.id::text, csv_field(a.slug), csv_field(loc_text(a.name, lang)),
        csv_field(a.acronym), a.kind::text, csv_plain(a.parent_id::text), csv_field(a.website),
        csv_plain(ts_text(a.archived_at)), ts_text(a.created_at), ts_text(a.updated_at),
        a.version::text) || E'\r\n'
$$;

-- An update (update_json) with author, author.agency, previous and retracted (with
-- retracted.by) flattened; body and evidence of a retracted update hidden unless `show`. The
-- caller joins the author's agency `ag` and the retracting user `rb` (NULL when none), so that
-- the function has no FROM and inlines.
CREATE FUNCTION update_csv(u updates, ag agencies, rb users, lang text, show boolean) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT concat_ws(',', u.id::text, u.recommendation_id::text,
        csv_field(CASE WHEN u.retracted_at IS NULL OR show THEN u.body END),
        csv_plain(u.status::text), csv_plain(u.progress::text), csv_plain(u.response::text),
        csv_field(CASE WHEN u.retracted_at IS NULL OR show THEN evidence_urls(u.evidence) END),
        u.occurred_on::text, u.source::text,
        csv_plain(u.author_id::text), csv_field(u.author_name), csv_plain(u.author_role::text),
        csv_plain(ag.id::text), csv_field(ag.slug), csv_field(loc_text(ag.name, lang)),
        csv_field(ag.acronym),
        coalesce(u.previous ->> 'status', 'not_assessed'), csv_plain(u.previous ->> 'progress'),
        coalesce(u.previous ->> 'response', 'pending'), csv_plain(u.previous ->> 'agency_status'),
        ts_text(u.created_at), csv_plain(ts_text(u.retracted_at)),
        csv_plain(CASE WHEN u.retracted_at IS NOT NULL THEN rb.id::text END),
        csv_field(CASE WHEN u.retracted_at IS NOT NULL THEN rb.name END),
        csv_field(CASE WHEN u.retracted_at IS NOT NULL THEN u.retracted_reason END)) || E'\r\n'
$$;

-- A user (user_json).
CREATE FUNCTION user_csv(u users) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT concat_ws(',', u.id::text, csv_field(u.name), csv_field(u.email), u.role::text,
        csv_plain(u.agency_id::text), u.active::text, ts_text(u.created_at),
        ts_text(u.updated_at), u.version::text) || E'\r\n'
$$;

-- A token (token_json): no secret, no hash.
CREATE FUNCTION token_csv(t api_tokens) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT concat_ws(',', t.id::text, csv_field(t.name), csv_field(t.prefix),
        ts_text(t.created_at), csv_plain(ts_text(t.expires_at)),
        csv_plain(ts_text(t.last_used_at))) || E'\r\n'
$$;

-- An audit entry: actor flattened, before and after as JSON text in one language.
CREATE FUNCTION audit_csv(a audit_log, lang text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT concat_ws(',', a.id::text, ts_text(a.at), csv_plain(a.actor_id::text),
        csv_field(a.actor_name), csv_plain(a.actor_role::text), a.action::text, a.entity::text,
        csv_plain(a.entity_id::text),
        csv_field(localize_json(a.before, coalesce(lang, 'en'))::text),
        csv_field(localize_json(a.after, coalesce(lang, 'en'))::text),
        csv_field(a.request_id)) || E'\r\n'
$$;
