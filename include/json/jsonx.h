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

/*
 * The text limits, in Unicode characters (code points, not bytes): one set for every request
 * body and for bundle import alike, so whatever the API stored, an export of it imports again.
 * openapi.yaml gives each as the maxLength of its fields.
 */
#define JSONX_MAX_TEXT    20000 /* a text: each language of a localized text, a body, a reason */
#define JSONX_MAX_ITEM    1000  /* an item of a list of texts (addressees, participants, themes) */
#define JSONX_MAX_SHORT   500   /* a name (user, token, author), a venue, a city, a link title */
#define JSONX_MAX_URL     2048  /* an http or https URL */
#define JSONX_MAX_ACRONYM 100   /* an agency's acronym */

/* room for the message of jsonx_too_long() */
#define JSONX_TOO_LONG_SIZE 64

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
    JX_URL,          /* http or https URL, at most JSONX_MAX_URL characters */
    JX_COUNTRY,      /* ISO 3166-1 alpha-2, upper case */
    JX_LANG,         /* a language tag */
    JX_STRING_ARRAY, /* array (max items, 100 when 0) of texts of at most JSONX_MAX_ITEM */
    JX_REF_ARRAY,    /* array of ids or slugs, no duplicates */
    JX_INT_ARRAY,    /* array of integers in [min, max], no duplicates */
    JX_BUDGET,       /* {amount: decimal string, currency: ISO 4217} */
    JX_EVIDENCE,     /* array (at most 50) of {url: JX_URL, title?: at most JSONX_MAX_SHORT} */
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

/**
 * Writes the message for a text over its limit, "is too long (at most @a max characters)",
 * into @a buf (JSONX_TOO_LONG_SIZE bytes). @return @a buf
 */
const char *jsonx_too_long(char *buf, size_t max);

/** Is @a s a real date written YYYY-MM-DD? */
bool jsonx_is_date(const char *s);

/** Is @a s an RFC 3339 timestamp with a time zone (Z or ±hh:mm)? */
bool jsonx_is_timestamp(const char *s);

/** Is @a s a language tag (^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$)? */
bool jsonx_is_lang(const char *s);

/** Is @a s an absolute http or https URL without spaces? (Its length is the caller's check.) */
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
