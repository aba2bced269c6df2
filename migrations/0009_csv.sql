-- CSV lines built by PostgreSQL (RFC 4180): a field is quoted when it holds a comma, a quote or
-- a line break, with quotes doubled; NULL is an empty field; every line ends with CRLF.

CREATE FUNCTION csv_field(v text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN v IS NULL THEN ''
                WHEN v ~ '[",\r\n]' THEN '"' || replace(v, '"', '""') || '"'
                ELSE v END
$$;

CREATE FUNCTION csv_line(VARIADIC fields text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT string_agg(csv_field(f), ',' ORDER BY i) || E'\r\n'
      FROM unnest(fields) WITH ORDINALITY AS t(f, i)
$$;

-- A localized object as text in one language (CSV default: en, with the usual fallback).
CREATE FUNCTION loc_text(obj jsonb, lang text, source_language text DEFAULT NULL) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT loc(obj, coalesce(lang, 'en'), source_language) #>> '{}'
$$;
