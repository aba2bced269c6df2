-- ?lang falls back along the tag's own prefixes before `en` (RFC 4647 3.4, lookup):
-- zh-Hant-TW tries zh-Hant, then zh; sr-Latn-RS-x tries sr-Latn-RS, sr-Latn, then sr. Each prefix
-- is matched case-insensitively, as the whole tag is (0017). A hit on the tag itself costs what it
-- did; the prefixes are tried only on a miss (coalesce stops at the first value), and a tag
-- without subtags costs what it did on a miss too. Still without a subquery, so loc() stays
-- inlined (0014).
CREATE FUNCTION loc_key(obj jsonb, tag text) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    -- ?lang is checked in C as ^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$: safe as a regular expression
    SELECT coalesce(obj -> tag,
                    jsonb_path_query_first(obj, ('$.keyvalue() ? (@.key like_regex "^' || tag
                                                 || '$" flag "i").value')::jsonpath))
$$;

CREATE OR REPLACE FUNCTION loc(obj jsonb, lang text, source_language text DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN obj IS NULL OR lang IS NULL THEN obj
        -- a prefix that is the tag itself (too few subtags to drop) is NULL: nothing to try again
        ELSE coalesce(loc_key(obj, lang),
                      loc_key(obj, nullif(regexp_replace(lang, '-[^-]*$', ''), lang)),
                      loc_key(obj, nullif(regexp_replace(lang, '(-[^-]*){2}$', ''), lang)),
                      loc_key(obj, nullif(regexp_replace(lang, '(-[^-]*){3}$', ''), lang)),
                      loc_key(obj, nullif(split_part(lang, '-', 1), lang)),
                      obj -> 'en', obj -> source_language, loc_first(obj))
    END
$$;
