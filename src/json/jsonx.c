#include "json/jsonx.h"

#include "core/xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Appends @a name to @a prefix as a JSON Pointer token (~ → ~0, / → ~1). */
static char *pointer_join(const char *prefix, const char *name)
{
    size_t n = strlen(prefix), extra = 0;
    for (const char *p = name; *p; p++)
        extra += (*p == '~' || *p == '/') ? 2 : 1;
    char *out = xmalloc(n + extra + 2);
    memcpy(out, prefix, n);
    size_t o = n;
    out[o++] = '/';
    for (const char *p = name; *p; p++) {
        if (*p == '~' || *p == '/') {
            out[o++] = '~';
            out[o++] = *p == '~' ? '0' : '1';
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
    return out;
}

void jsonx_error(json_t *errors, const char *prefix, const char *name, const char *message)
{
    char *field = name ? pointer_join(prefix, name) : xstrdup(prefix);
    json_t *f = json_string(field);
    json_array_append_new(errors, json_pack("{s:o, s:s}", "field", f ? f : json_string(""),
                                            "message", message));
    free(field);
}

size_t jsonx_utf8_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

const char *jsonx_too_long(char *buf, size_t max)
{
    snprintf(buf, JSONX_TOO_LONG_SIZE, "is too long (at most %zu characters)", max);
    return buf;
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static bool date_parts_ok(int y, int m, int d)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || m < 1 || m > 12 || d < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= days[m - 1] + (m == 2 && leap);
}

bool jsonx_is_date(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !all_digits(s, 4) ||
        !all_digits(s + 5, 2) || !all_digits(s + 8, 2))
        return false;
    return date_parts_ok(atoi(s), atoi(s + 5), atoi(s + 8));
}

bool jsonx_is_timestamp(const char *s)
{
    size_t n = strlen(s);
    if (n < 20 || !jsonx_is_date((char[11]){s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8],
                                            s[9], '\0'}))
        return false;
    if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':' ||
        !all_digits(s + 11, 2) || !all_digits(s + 14, 2) || !all_digits(s + 17, 2))
        return false;
    if (atoi(s + 11) > 23 || atoi(s + 14) > 59 || atoi(s + 17) > 60)
        return false;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        const char *q = p;
        while (isdigit((unsigned char)*p))
            p++;
        if (p == q || p - q > 9)
            return false;
    }
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
        return true;
    if ((*p == '+' || *p == '-') && strlen(p) == 6 && all_digits(p + 1, 2) && p[3] == ':' &&
        all_digits(p + 4, 2))
        return atoi(p + 1) <= 23 && atoi(p + 4) <= 59;
    return false;
}

bool jsonx_is_http_url(const char *s)
{
    size_t skip;
    if (strncasecmp(s, "http://", 7) == 0)
        skip = 7;
    else if (strncasecmp(s, "https://", 8) == 0)
        skip = 8;
    else
        return false;
    if (s[skip] == '\0' || s[skip] == '/')
        return false;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return false;
    return true;
}

static bool matches_code(const char *s, size_t max, bool lower_only)
{
    size_t n = strlen(s);
    if (n == 0 || n > max || s[0] == '-' || s[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool ok = (c >= 'a' && c <= 'z') || isdigit(c) ||
                  (!lower_only && c >= 'A' && c <= 'Z') || (c == '-' && s[i + 1] != '-');
        if (!ok)
            return false;
    }
    return true;
}

bool jsonx_is_code(const char *s, size_t max)
{
    return matches_code(s, max, false);
}

bool jsonx_is_uuid(const char *s)
{
    static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    for (size_t i = 0; i < sizeof shape - 1; i++) {
        if (s[i] == '\0')
            return false;
        if (shape[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return false;
    }
    return s[sizeof shape - 1] == '\0';
}

bool jsonx_is_lang(const char *s)
{
    size_t i = 0;
    while (s[i] >= 'a' && s[i] <= 'z')
        i++;
    if (i < 2 || i > 3)
        return false;
    while (s[i] == '-') {
        size_t j = ++i;
        while (isalnum((unsigned char)s[i]))
            i++;
        if (i - j < 2 || i - j > 8)
            return false;
    }
    return s[i] == '\0';
}

/*
 * Checks a text value of at most @a max characters (JSONX_MAX_TEXT when 0). @return NULL when
 * fine, else the message (static, or written into @a buf of JSONX_TOO_LONG_SIZE bytes).
 */
static const char *text_problem(json_t *v, long long max, char *buf)
{
    if (!json_is_string(v))
        return "must be a string";
    const char *s = json_string_value(v);
    size_t limit = (size_t)(max > 0 ? max : JSONX_MAX_TEXT);
    if (s[0] == '\0')
        return "must not be empty";
    if (jsonx_utf8_length(s) > limit)
        return jsonx_too_long(buf, limit);
    return NULL;
}

/* Checks an http or https URL; one over the limit is "too long" whatever its shape. */
static const char *url_problem(const char *s, char *buf)
{
    if (s != NULL && jsonx_utf8_length(s) > JSONX_MAX_URL)
        return jsonx_too_long(buf, JSONX_MAX_URL);
    return (s != NULL && jsonx_is_http_url(s)) ? NULL : "must be an http or https URL";
}

/* Does @a obj hold another key equal to @a key but for case, sorting before it? (Language tags
 * ignore case, so ?lang could not tell "ru-KG" from "ru-kg"; the later one is named.) */
static bool has_case_twin(json_t *obj, const char *key)
{
    const char *other;
    json_t *value;
    json_object_foreach(obj, other, value) {
        if (strcasecmp(other, key) == 0 && strcmp(other, key) < 0)
            return true;
    }
    return false;
}

static void check_localized(json_t *v, const char *ptr, json_t *errors)
{
    if (!json_is_object(v) || json_object_size(v) == 0) {
        jsonx_error(errors, ptr, NULL, "must be an object of language tag to text, e.g. {\"en\": \"...\"}");
        return;
    }
    const char *lang;
    json_t *text;
    json_object_foreach(v, lang, text) {
        if (!jsonx_is_lang(lang))
            jsonx_error(errors, ptr, lang, "is not a language tag");
        else if (has_case_twin(v, lang))
            jsonx_error(errors, ptr, lang, "names the language of another key (tags ignore case)");
        else {
            char buf[JSONX_TOO_LONG_SIZE];
            const char *why = text_problem(text, 0, buf);
            if (why != NULL)
                jsonx_error(errors, ptr, lang, why);
        }
    }
}

static bool is_decimal(const char *s)
{
    const char *p = s;
    if (!isdigit((unsigned char)*p))
        return false;
    while (isdigit((unsigned char)*p))
        p++;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    return *p == '\0' && p - s <= 30;
}

static void check_budget(json_t *v, const char *ptr, json_t *errors)
{
    static const struct jsonx_field budget_fields[] = {
        {.name = "amount", .type = JX_STRING, .flags = JX_REQUIRED, .max = 30},
        {.name = "currency", .type = JX_STRING, .flags = JX_REQUIRED, .max = 3},
        {.name = NULL},
    };
    if (!json_is_object(v)) {
        jsonx_error(errors, ptr, NULL, "must be an object {amount, currency}");
        return;
    }
    size_t before = json_array_size(errors);
    jsonx_validate(v, budget_fields, false, ptr, errors);
    if (json_array_size(errors) != before)
        return;
    if (!is_decimal(json_string_value(json_object_get(v, "amount"))))
        jsonx_error(errors, ptr, "amount", "must be a decimal string such as \"1250.00\"");
    if (!jsonx_is_currency(json_string_value(json_object_get(v, "currency"))))
        jsonx_error(errors, ptr, "currency", "must be an ISO 4217 code such as USD");
}

static void check_evidence(json_t *v, const char *ptr, json_t *errors)
{
    static const struct jsonx_field link_fields[] = {
        {.name = "url", .type = JX_URL, .flags = JX_REQUIRED},
        {.name = "title", .type = JX_STRING, .flags = JX_NULLABLE, .max = JSONX_MAX_SHORT},
        {.name = NULL},
    };
    if (!json_is_array(v)) {
        jsonx_error(errors, ptr, NULL, "must be an array of {url, title}");
        return;
    }
    if (json_array_size(v) > 50) {
        jsonx_error(errors, ptr, NULL, "has more than 50 links");
        return;
    }
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
        char index[24];
        snprintf(index, sizeof index, "%zu", i);
        char *item_ptr = pointer_join(ptr, index);
        if (!json_is_object(item))
            jsonx_error(errors, item_ptr, NULL, "must be an object {url, title}");
        else
            jsonx_validate(item, link_fields, false, item_ptr, errors);
        free(item_ptr);
    }
}

/* Checks each item of an array with @a item_ok; reports duplicates when @a unique. */
static void check_array(json_t *v, const struct jsonx_field *f, const char *ptr,
                        json_t *errors)
{
    size_t cap = f->type == JX_INT_ARRAY ? 17 : (f->max > 0 ? (size_t)f->max : 100);
    if (!json_is_array(v)) {
        jsonx_error(errors, ptr, NULL, "must be an array");
        return;
    }
    if (json_array_size(v) > cap) {
        jsonx_error(errors, ptr, NULL, "has too many items");
        return;
    }
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
        char index[24], buf[JSONX_TOO_LONG_SIZE];
        snprintf(index, sizeof index, "%zu", i);
        const char *why = NULL;
        if (f->type == JX_INT_ARRAY) {
            if (!json_is_integer(item) || json_integer_value(item) < f->min ||
                json_integer_value(item) > f->max)
                why = "is not an allowed number";
        } else {
            why = text_problem(item, f->type == JX_REF_ARRAY ? 200 : JSONX_MAX_ITEM, buf);
        }
        for (size_t j = 0; why == NULL && j < i; j++)
            if (json_equal(item, json_array_get(v, j)))
                why = "is repeated";
        if (why != NULL)
            jsonx_error(errors, ptr, index, why);
    }
}

static bool enum_has(const char *const *values, const char *s)
{
    for (; values != NULL && *values != NULL; values++)
        if (strcmp(*values, s) == 0)
            return true;
    return false;
}

/* Checks one present, non-null member. */
static void check_value(json_t *v, const struct jsonx_field *f, const char *ptr,
                        json_t *errors)
{
    const char *why = NULL;
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    char buf[JSONX_TOO_LONG_SIZE];
    switch (f->type) {
        case JX_STRING:
            why = text_problem(v, f->max, buf);
            break;
        case JX_LOCALIZED:
            check_localized(v, ptr, errors);
            return;
        case JX_DATE:
            why = (s && jsonx_is_date(s)) ? NULL : "must be a date YYYY-MM-DD";
            break;
        case JX_TIMESTAMP:
            why = (s && jsonx_is_timestamp(s)) ? NULL : "must be an RFC 3339 time with a zone";
            break;
        case JX_INT:
            if (!json_is_integer(v))
                why = "must be an integer";
            else if (json_integer_value(v) < f->min || json_integer_value(v) > f->max)
                why = "is out of range";
            break;
        case JX_BOOL:
            why = json_is_boolean(v) ? NULL : "must be true or false";
            break;
        case JX_ENUM:
            why = (s && enum_has(f->values, s)) ? NULL : "is not an allowed value";
            break;
        case JX_SLUG:
            if (s == NULL || !matches_code(s, 80, true))
                why = "must match ^[a-z0-9]+(-[a-z0-9]+)*$ (at most 80)";
            else if (jsonx_is_uuid(s)) /* paths take an id or a slug: a UUID is read as an id */
                why = "must not have the form of a UUID";
            break;
        case JX_CODE:
            why = (s && matches_code(s, f->max > 0 ? (size_t)f->max : 40, false))
                      ? NULL
                      : "must be letters and digits, dash-separated";
            break;
        case JX_REF:
            why = text_problem(v, 200, buf);
            break;
        case JX_URL:
            why = url_problem(s, buf);
            break;
        case JX_COUNTRY:
            why = (s && jsonx_is_country(s)) ? NULL
                      : "must be an ISO 3166-1 alpha-2 code such as KG";
            break;
        case JX_LANG:
            why = (s && jsonx_is_lang(s)) ? NULL : "must be a language tag such as en";
            break;
        case JX_STRING_ARRAY:
        case JX_REF_ARRAY:
        case JX_INT_ARRAY:
            check_array(v, f, ptr, errors);
            return;
        case JX_BUDGET:
            check_budget(v, ptr, errors);
            return;
        case JX_EVIDENCE:
            check_evidence(v, ptr, errors);
            return;
    }
    if (why != NULL)
        jsonx_error(errors, ptr, NULL, why);
}

static const struct jsonx_field *field_find(const struct jsonx_field *fields, const char *name)
{
    for (; fields->name != NULL; fields++)
        if (strcmp(fields->name, name) == 0)
            return fields;
    return NULL;
}

void jsonx_validate(json_t *body, const struct jsonx_field *fields, bool partial,
                    const char *prefix, json_t *errors)
{
    const char *key;
    json_t *value;
    json_object_foreach(body, key, value) {
        const struct jsonx_field *f = field_find(fields, key);
        char *ptr = pointer_join(prefix, key);
        if (f == NULL)
            jsonx_error(errors, ptr, NULL, "is not a known member");
        else if (f->flags & JX_READONLY)
            jsonx_error(errors, ptr, NULL, "is read-only");
        else if (json_is_null(value)) {
            if (!(f->flags & JX_NULLABLE))
                jsonx_error(errors, ptr, NULL, "must not be null");
        } else
            check_value(value, f, ptr, errors);
        free(ptr);
    }
    if (partial)
        return;
    for (const struct jsonx_field *f = fields; f->name != NULL; f++)
        if ((f->flags & JX_REQUIRED) && json_object_get(body, f->name) == NULL)
            jsonx_error(errors, prefix, f->name, "is required");
}
