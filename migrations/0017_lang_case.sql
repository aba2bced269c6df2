-- Language tags are case-insensitive (RFC 5646 2.1.1): ?lang=ru-kg finds a "ru-KG" entry, and
-- ?lang=ru-KG a "ru-kg" one. The exact key is tried first, so the usual request costs nothing
-- more; the keys are scanned only when it misses. Still without a subquery (see 0014), so loc()
-- stays inlined. ?lang is checked in C as ^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$, so it is safe as a
-- regular expression (like_regex takes only a literal, hence the path built as text).
CREATE OR REPLACE FUNCTION loc(obj jsonb, lang text, source_language text DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN obj IS NULL OR lang IS NULL THEN obj
        ELSE coalesce(obj -> lang,
                      jsonb_path_query_first(obj, ('$.keyvalue() ? (@.key like_regex "^' || lang
                                                   || '$" flag "i").value')::jsonpath),
                      obj -> split_part(lang, '-', 1), obj -> 'en',
                      obj -> source_language, loc_first(obj))
    END
$$;
