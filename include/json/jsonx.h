/**
 * @file jsonx.h
 * @brief Declarative validation of request bodies over jansson, with field-level errors.
 *
 * A resource describes its members once (a table of struct jsonx_field); jsonx_validate()
 * checks a parsed body against it and returns every problem as {field (JSON Pointer), message}.
 * Valid bodies are then passed to PostgreSQL whole, as one jsonb parameter.
 */
#ifndef JSON_JSONX_H
#define JSON_JSONX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define JSONX_MAX_TEXT 20000 /* Unicode characters in any text value */

enum jsonx_type {
    JX_STRING,       /* non-empty text, at most max characters (JSONX_MAX_TEXT when 0) */
    JX_LOCALIZED,    /* {"en": "...", ...}: language tags to non-empty text */
    JX_DATE,         /* YYYY-MM-DD, a real calendar date */
    JX_TIMESTAMP,    /* RFC 3339 with a time zone */
    JX_INT,          /* integer in [min, max] */
    JX_BOOL,
    JX_ENUM,         /* one of values */
    JX_SLUG,         /* ^[a-z0-9]+(-[a-z0-9]+)*$, at most 80, not shaped like a UUID */
    JX_CODE,         /* ^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$, at most max (default 40) */
    JX_REF,          /* an id (UUID) or a slug/code: non-empty text up to 200 */
    JX_URL,          /* http or https URL */
    JX_COUNTRY,      /* ISO 3166-1 alpha-2, upper case */
    JX_LANG,         /* a language tag */
    JX_STRING_ARRAY, /* array of non-empty text, at most max items (100 when 0) */
    JX_REF_ARRAY,    /* array of ids or slugs, no duplicates */
    JX_INT_ARRAY,    /* array of integers in [min, max], no duplicates */
    JX_BUDGET,       /* {amount: decimal string, currency: ISO 4217} */
    JX_EVIDENCE,     /* array (at most 50) of {url: http(s), title?} */
};

enum jsonx_flags {
    JX_REQUIRED = 1u << 0, /* must be present (on create) */
    JX_NULLABLE = 1u << 1, /* null allowed (clears the value) */
    JX_READONLY = 1u << 2, /* known but never writable: 400 "read-only" */
};

struct jsonx_field {
    const char *name;
    enum jsonx_type type;
    unsigned flags;
    long long min, max;             /* JX_INT, JX_INT_ARRAY bounds; length or item caps */
    const char *const *values;      /* JX_ENUM: NULL-ended list */
};

/**
 * Validates @a body (an object) against @a fields (ending with a NULL name).
 * @param partial a PATCH: nothing is required, but present members are checked
 * @param prefix JSON Pointer of @a body inside the document ("" for the top)
 * @param errors array to append {field, message} objects to (borrowed)
 */
void jsonx_validate(json_t *body, const struct jsonx_field *fields, bool partial,
                    const char *prefix, json_t *errors);

/** Appends {field: prefix + "/" + name (escaped), message} to @a errors. */
void jsonx_error(json_t *errors, const char *prefix, const char *name, const char *message);

/** @return the number of Unicode characters in the valid UTF-8 string @a s. */
size_t jsonx_utf8_length(const char *s);

/** Is @a s a real date written YYYY-MM-DD? */
bool jsonx_is_date(const char *s);

/** Is @a s an RFC 3339 timestamp with a time zone (Z or ±hh:mm)? */
bool jsonx_is_timestamp(const char *s);

/** Is @a s a language tag (^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$)? */
bool jsonx_is_lang(const char *s);

/** Is @a s an absolute http or https URL without spaces? */
bool jsonx_is_http_url(const char *s);

/** Is @a s an ISO 3166-1 alpha-2 country code (upper case, e.g. KG)? */
bool jsonx_is_country(const char *s);

/** Is @a s an ISO 4217 currency code (upper case, e.g. KGS)? */
bool jsonx_is_currency(const char *s);

/** Is @a s shaped like a UUID (8-4-4-4-12 hexadecimal digits)? */
/** Is @a s a code: ^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$, at most @a max characters? */
bool jsonx_is_code(const char *s, size_t max);
bool jsonx_is_uuid(const char *s);

#endif
