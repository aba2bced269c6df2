-- Posting an update in one statement: the lookup of the recommendation (404) and, for an agency
-- token, of the agency's assignment (403) used to be a statement of their own before
-- update_post(), one more round trip in every POST .../updates.

-- update_post() behind the checks of updates_create(): one row, always. o_found false: no such
-- recommendation; o_allowed false: p_author_agency (set for agency tokens only) neither leads
-- nor supports it; in both cases nothing is written. Else update_text and update_id as
-- update_post() answers them, NULL when the If-Match version did not match.
--
-- `expected` holds every version an If-Match list names (NULL: not sent; 0: "*"); the request
-- goes ahead when any is current (RFC 9110). The row is locked before the versions are compared,
-- so the one handed to update_post() is still current there.
CREATE FUNCTION update_post_checked(rec uuid, expected bigint[], b jsonb, p_author uuid,
                                    p_author_name text, p_author_role user_role,
                                    p_author_agency uuid, src update_source)
RETURNS TABLE (o_found boolean, o_allowed boolean, update_text text, update_id uuid)
LANGUAGE plpgsql AS $$
DECLARE
    current_version bigint;
BEGIN
    SELECT true, p_author_agency IS NULL OR EXISTS (
               SELECT 1 FROM recommendation_agencies ra
                WHERE ra.recommendation_id = r.id AND ra.agency_id = p_author_agency),
           r.version
      INTO o_found, o_allowed, current_version
      FROM recommendations r WHERE r.id = rec FOR UPDATE;
    IF NOT FOUND THEN
        o_found := false;
        o_allowed := false;
    ELSIF o_allowed THEN
        SELECT p.update_text, p.update_id INTO update_text, update_id
          FROM update_post(rec,
                           CASE WHEN expected IS NULL THEN NULL
                                WHEN 0 = ANY (expected) OR current_version = ANY (expected)
                                THEN 0
                                ELSE -1 END, -- never a version: update_post answers no row
                           b, p_author, p_author_name, p_author_role, p_author_agency, src) p;
    END IF;
    RETURN NEXT;
END $$;
