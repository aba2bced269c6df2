/*
 * Bundles: a whole resolution as one JSON document (API.md section 5).
 *
 * Import validates the bundle here, member by member with jsonx, holds each update to the
 * role rules of its source (as a post would be), and checks every reference it can see inside
 * the bundle (sector codes, agency slugs, duplicates); the agency slugs it names but does not
 * carry go to PostgreSQL beside it, with their JSON Pointers.
 * bundle_import() (migrations/0006_bundles.sql, as 0019 replaced it; called through
 * bundle_import_locked() of 0015, which takes the report counts first) checks what only the
 * database can see (update times later than its own now() among them), then applies everything
 * in one statement, so in one transaction. Export is built whole by
 * bundle_export(). `tracker import FILE` runs the same validation and statement.
 */
#include "api/bundles.h"

#include "api/audit.h"

#include "api/resolutions.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "json/jsonx.h"
#include "json/parse_error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BUNDLE_FORMAT     "recommendation-tracker/bundle@1"
#define BUNDLE_MAX_ERRORS 100 /* a systematically broken bundle gets a readable answer */

static const char *const agency_kinds[] = {
    "presidency",  "cabinet",          "ministry",  "state_agency",
    "parliament",  "judiciary",        "local_government", "ombudsman",
    "security_council", "international_organization", "civil_society", "business",
    "other",       NULL};
static const char *const statuses[] = {"not_assessed", "not_started", "in_progress", "stalled",
                                       "partially_implemented", "implemented",
                                       "not_implemented", NULL};
static const char *const responses[] = {"pending", "accepted", "partially_accepted", "noted",
                                        "rejected", NULL};
static const char *const sources[] = {"civil_society", "agency", "editorial", NULL};

static const struct jsonx_field resolution_fields[] = {
    {.name = "slug", .type = JX_SLUG, .flags = JX_REQUIRED},
    {.name = "title", .type = JX_LOCALIZED, .flags = JX_REQUIRED},
    {.name = "adopted_on", .type = JX_DATE, .flags = JX_REQUIRED},
    {.name = "summary", .type = JX_LOCALIZED, .flags = JX_NULLABLE},
    {.name = "venue", .type = JX_STRING, .flags = JX_NULLABLE, .max = JSONX_MAX_SHORT},
    {.name = "city", .type = JX_STRING, .flags = JX_NULLABLE, .max = JSONX_MAX_SHORT},
    {.name = "country", .type = JX_COUNTRY, .flags = JX_NULLABLE},
    {.name = "source_url", .type = JX_URL, .flags = JX_NULLABLE},
    {.name = "source_language", .type = JX_LANG, .flags = JX_NULLABLE},
    {.name = "addressees", .type = JX_STRING_ARRAY, .flags = JX_NULLABLE},
    {.name = "organizers", .type = JX_STRING_ARRAY, .flags = JX_NULLABLE},
    {.name = NULL},
};

static const struct jsonx_field sector_fields[] = {
    {.name = "code", .type = JX_CODE, .flags = JX_REQUIRED, .max = 20},
    {.name = "title", .type = JX_LOCALIZED, .flags = JX_REQUIRED},
    {.name = "position", .type = JX_INT, .flags = JX_NULLABLE, .min = -2147483647LL - 1,
     .max = 2147483647LL},
    {.name = "participants", .type = JX_STRING_ARRAY, .flags = JX_NULLABLE},
    {.name = NULL},
};

static const struct jsonx_field agency_fields[] = {
    {.name = "slug", .type = JX_SLUG, .flags = JX_REQUIRED},
    {.name = "name", .type = JX_LOCALIZED, .flags = JX_REQUIRED},
    {.name = "kind", .type = JX_ENUM, .flags = JX_REQUIRED, .values = agency_kinds},
    {.name = "acronym", .type = JX_STRING, .flags = JX_NULLABLE, .max = JSONX_MAX_ACRONYM},
    {.name = "parent", .type = JX_SLUG, .flags = JX_NULLABLE},
    {.name = "website", .type = JX_URL, .flags = JX_NULLABLE},
    {.name = NULL},
};

/* "updates" is checked on its own (an array of objects, which jsonx does not describe) */
static const struct jsonx_field recommendation_fields[] = {
    {.name = "code", .type = JX_CODE, .flags = JX_REQUIRED, .max = 40},
    {.name = "number", .type = JX_INT, .flags = JX_REQUIRED, .min = 0, .max = 2147483647LL},
    {.name = "sector", .type = JX_CODE, .flags = JX_REQUIRED, .max = 20},
    {.name = "text", .type = JX_LOCALIZED, .flags = JX_REQUIRED},
    {.name = "summary", .type = JX_LOCALIZED, .flags = JX_NULLABLE},
    {.name = "target_date", .type = JX_DATE, .flags = JX_NULLABLE},
    {.name = "budget", .type = JX_BUDGET, .flags = JX_NULLABLE},
    {.name = "themes", .type = JX_STRING_ARRAY, .flags = JX_NULLABLE},
    {.name = "sdgs", .type = JX_INT_ARRAY, .flags = JX_NULLABLE, .min = 1, .max = 17},
    {.name = "lead_agency", .type = JX_SLUG, .flags = JX_NULLABLE},
    {.name = "supporting_agencies", .type = JX_REF_ARRAY, .flags = JX_NULLABLE},
    {.name = NULL},
};

/* "retracted" is checked on its own, with retraction_fields */
static const struct jsonx_field update_fields[] = {
    {.name = "id", .type = JX_STRING, .flags = JX_REQUIRED, .max = 36},
    {.name = "body", .type = JX_STRING, .flags = JX_REQUIRED | JX_NULLABLE},
    {.name = "occurred_on", .type = JX_DATE, .flags = JX_REQUIRED},
    {.name = "source", .type = JX_ENUM, .flags = JX_REQUIRED, .values = sources},
    {.name = "author_name", .type = JX_STRING, .flags = JX_REQUIRED, .max = JSONX_MAX_SHORT},
    {.name = "created_at", .type = JX_TIMESTAMP, .flags = JX_REQUIRED},
    {.name = "status", .type = JX_ENUM, .flags = JX_NULLABLE, .values = statuses},
    {.name = "progress", .type = JX_INT, .flags = JX_NULLABLE, .min = 0, .max = 100},
    {.name = "response", .type = JX_ENUM, .flags = JX_NULLABLE, .values = responses},
    {.name = "evidence", .type = JX_EVIDENCE, .flags = JX_NULLABLE},
    {.name = NULL},
};

static const struct jsonx_field retraction_fields[] = {
    {.name = "at", .type = JX_TIMESTAMP, .flags = JX_REQUIRED},
    {.name = "reason", .type = JX_STRING, .flags = JX_REQUIRED},
    {.name = NULL},
};

/* The import statement: the counts as column 0, or a problem in columns 1..3. */
#define BUNDLE_IMPORT_SQL                                                                      \
    "SELECT r::text, r #>> '{problem,status}', r #>> '{problem,field}',"                       \
    " r #>> '{problem,message}' FROM bundle_import_locked($1::jsonb, $2::jsonb) AS r"

static struct db_stmt bundle_stmts[] = {
    /* used by bundles_import() */
    {"bundles_import", BUNDLE_IMPORT_SQL, -1},
    /* used by bundles_export(): $1 resolution id, $2 whether retracted text is shown */
    {"bundles_export", "SELECT bundle_export($1::uuid, $2::boolean)::text", -1},
};

enum { STMT_IMPORT, STMT_EXPORT };

void bundles_register_statements(void)
{
    db_register(bundle_stmts, sizeof bundle_stmts / sizeof bundle_stmts[0]);
}

/* ---------------------------------------------------------------- validation */

/* What the checks collect while walking a bundle (every member a new reference). */
struct bundle_check {
    json_t *errors;     /* {field, message}, in the order found */
    json_t *sectors;    /* set: sector code → true */
    json_t *agencies;   /* set: agency slug → true */
    json_t *codes;      /* set: recommendation code → true */
    json_t *update_ids; /* set: lower-case update id → true */
    json_t *refs;       /* [[pointer, slug]]: agencies named but not carried */
};

static void check_error(struct bundle_check *c, const char *ptr, const char *message)
{
    if (json_array_size(c->errors) < BUNDLE_MAX_ERRORS)
        jsonx_error(c->errors, ptr, NULL, message);
}

/* Runs jsonx on @a obj, keeping at most BUNDLE_MAX_ERRORS. @return no new error? */
static bool check_fields(struct bundle_check *c, json_t *obj, const struct jsonx_field *fields,
                         const char *ptr)
{
    json_t *found = json_array();
    jsonx_validate(obj, fields, false, ptr, found);
    size_t i;
    json_t *e;
    json_array_foreach(found, i, e) {
        if (json_array_size(c->errors) < BUNDLE_MAX_ERRORS)
            json_array_append(c->errors, e);
    }
    bool ok = json_array_size(found) == 0;
    json_decref(found);
    return ok;
}

/* @return the string member @a name of @a obj, or NULL when absent, null or not a string. */
static const char *member_text(json_t *obj, const char *name)
{
    return json_string_value(json_object_get(obj, name));
}

static bool present(json_t *obj, const char *name)
{
    json_t *v = json_object_get(obj, name);
    return v != NULL && !json_is_null(v);
}

/* Adds @a key to the set @a set. @return false when it was there already. */
static bool set_add(json_t *set, const char *key)
{
    if (json_object_get(set, key) != NULL)
        return false;
    json_object_set_new(set, key, json_true());
    return true;
}

/* Notes a reference to an agency: fine when the bundle carries it, else checked in SQL. */
static void check_agency_ref(struct bundle_check *c, const char *slug, const char *ptr)
{
    if (json_object_get(c->agencies, slug) == NULL)
        json_array_append_new(c->refs, json_pack("[s, s]", ptr, slug));
}

/* Is @a s later than tomorrow (UTC)? @a s is a valid YYYY-MM-DD. */
static bool date_after_tomorrow(const char *s)
{
    time_t t = time(NULL) + 24 * 60 * 60;
    struct tm tm;
    gmtime_r(&t, &tm);
    char tomorrow[16];
    strftime(tomorrow, sizeof tomorrow, "%Y-%m-%d", &tm);
    return strcmp(s, tomorrow) > 0;
}

static void check_retraction(struct bundle_check *c, json_t *v, const char *ptr)
{
    if (!json_is_object(v))
        check_error(c, ptr, "must be an object {at, reason}");
    else
        check_fields(c, v, retraction_fields, ptr);
}

/* Has a problem been noted at @a ptr already? (One problem per member is enough.) */
static bool has_error(struct bundle_check *c, const char *ptr)
{
    size_t i;
    json_t *e;
    json_array_foreach(c->errors, i, e) {
        const char *field = json_string_value(json_object_get(e, "field"));
        if (field != NULL && strcmp(field, ptr) == 0)
            return true;
    }
    return false;
}

/* Refuses @a member when the update sets it (null sets nothing) and its source may not. */
static void check_role_member(struct bundle_check *c, json_t *u, const char *source,
                              const char *member, const char *ptr)
{
    if (!present(u, member))
        return;
    char *p = xasprintf("%s/%s", ptr, member);
    if (!has_error(c, p)) {
        char *message = xasprintf("an update from source %s cannot set %s", source, member);
        check_error(c, p, message);
        free(message);
    }
    free(p);
}

/*
 * The role rules of a posted update (API.md section 3): `progress` only from a monitor or an
 * editor, `response` only from an editor. An import may not reach a state no post can.
 */
static void check_update_roles(struct bundle_check *c, json_t *u, const char *ptr)
{
    const char *source = member_text(u, "source");
    bool known = false;
    for (const char *const *s = sources; source != NULL && *s != NULL; s++)
        known = known || strcmp(*s, source) == 0;
    if (!known)
        return; /* reported as a bad source already */
    if (strcmp(source, "agency") == 0)
        check_role_member(c, u, source, "progress", ptr);
    if (strcmp(source, "editorial") != 0)
        check_role_member(c, u, source, "response", ptr);
}

static void check_update(struct bundle_check *c, json_t *u, const char *ptr)
{
    if (!json_is_object(u)) {
        check_error(c, ptr, "must be an object");
        return;
    }
    json_t *rest = json_copy(u); /* shallow: the members without "retracted" */
    json_object_del(rest, "retracted");
    check_fields(c, rest, update_fields, ptr);
    json_decref(rest);
    check_update_roles(c, u, ptr);
    json_t *retracted = json_object_get(u, "retracted");
    char *p = xasprintf("%s/retracted", ptr);
    if (retracted != NULL && !json_is_null(retracted))
        check_retraction(c, retracted, p);
    free(p);

    const char *id = member_text(u, "id");
    if (id != NULL && jsonx_is_uuid(id)) {
        char lower[37];
        for (size_t i = 0; i < sizeof lower; i++)
            lower[i] = (char)tolower((unsigned char)id[i]);
        p = xasprintf("%s/id", ptr);
        if (!set_add(c->update_ids, lower))
            check_error(c, p, "is repeated in the bundle");
        free(p);
    } else if (id != NULL && id[0] != '\0' && strlen(id) <= 36) {
        p = xasprintf("%s/id", ptr);
        check_error(c, p, "must be a UUID");
        free(p);
    }
    if (json_is_null(json_object_get(u, "body")) && !present(u, "retracted")) {
        p = xasprintf("%s/body", ptr);
        check_error(c, p, "may be null only on a retracted update");
        free(p);
    }
    const char *occurred = member_text(u, "occurred_on");
    if (occurred != NULL && jsonx_is_date(occurred) && date_after_tomorrow(occurred)) {
        p = xasprintf("%s/occurred_on", ptr);
        check_error(c, p, "must not be later than tomorrow (UTC)");
        free(p);
    }
}

static void check_updates(struct bundle_check *c, json_t *v, const char *ptr)
{
    if (!json_is_array(v)) {
        check_error(c, ptr, "must be an array");
        return;
    }
    size_t i;
    json_t *u;
    json_array_foreach(v, i, u) {
        char *p = xasprintf("%s/%zu", ptr, i);
        check_update(c, u, p);
        free(p);
    }
}

/* The recommendation's agencies: slugs, carried or stored, the lead not also supporting. */
static void check_rec_agencies(struct bundle_check *c, json_t *rec, const char *ptr)
{
    const char *lead = member_text(rec, "lead_agency");
    char *p;
    if (lead != NULL) {
        p = xasprintf("%s/lead_agency", ptr);
        check_agency_ref(c, lead, p);
        free(p);
    }
    json_t *supporting = json_object_get(rec, "supporting_agencies");
    size_t i;
    json_t *s;
    json_array_foreach(supporting, i, s) {
        const char *slug = json_string_value(s);
        p = xasprintf("%s/supporting_agencies/%zu", ptr, i);
        if (!api_is_slug(slug))
            check_error(c, p, "must match ^[a-z0-9]+(-[a-z0-9]+)*$ (at most 80)");
        else if (lead != NULL && strcmp(slug, lead) == 0)
            check_error(c, p, "is also the lead agency");
        else
            check_agency_ref(c, slug, p);
        free(p);
    }
}

static void check_recommendation(struct bundle_check *c, json_t *rec, const char *ptr)
{
    if (!json_is_object(rec)) {
        check_error(c, ptr, "must be an object");
        return;
    }
    json_t *rest = json_copy(rec); /* shallow: the members without "updates" */
    json_object_del(rest, "updates");
    bool ok = check_fields(c, rest, recommendation_fields, ptr);
    json_decref(rest);
    const char *code = member_text(rec, "code");
    char *p;
    if (code != NULL && !set_add(c->codes, code)) {
        p = xasprintf("%s/code", ptr);
        check_error(c, p, "is repeated in the bundle");
        free(p);
    }
    const char *sector = member_text(rec, "sector");
    if (sector != NULL && json_object_get(c->sectors, sector) == NULL) {
        p = xasprintf("%s/sector", ptr);
        check_error(c, p, "names no sector of the bundle");
        free(p);
    }
    if (ok)
        check_rec_agencies(c, rec, ptr);
    json_t *updates = json_object_get(rec, "updates");
    if (updates != NULL && !json_is_null(updates)) {
        p = xasprintf("%s/updates", ptr);
        check_updates(c, updates, p);
        free(p);
    }
}

static void check_sector(struct bundle_check *c, json_t *s, const char *ptr)
{
    if (!json_is_object(s)) {
        check_error(c, ptr, "must be an object");
        return;
    }
    check_fields(c, s, sector_fields, ptr);
    const char *code = member_text(s, "code");
    if (code != NULL && !set_add(c->sectors, code)) {
        char *p = xasprintf("%s/code", ptr);
        check_error(c, p, "is repeated in the bundle");
        free(p);
    }
}

/* First the slugs (so that a parent may come later in the array), then each agency. */
static void check_agencies(struct bundle_check *c, json_t *list)
{
    size_t i;
    json_t *a;
    json_array_foreach(list, i, a) {
        char *ptr = xasprintf("/agencies/%zu", i);
        const char *slug = member_text(a, "slug");
        if (!json_is_object(a))
            check_error(c, ptr, "must be an object");
        else
            check_fields(c, a, agency_fields, ptr);
        if (slug != NULL && !set_add(c->agencies, slug)) {
            char *p = xasprintf("%s/slug", ptr);
            check_error(c, p, "is repeated in the bundle");
            free(p);
        }
        free(ptr);
    }
    json_array_foreach(list, i, a) {
        const char *parent = member_text(a, "parent");
        if (parent == NULL || !api_is_slug(parent))
            continue;
        char *p = xasprintf("/agencies/%zu/parent", i);
        const char *slug = member_text(a, "slug");
        if (slug != NULL && strcmp(slug, parent) == 0)
            check_error(c, p, "must not be the agency itself");
        else
            check_agency_ref(c, parent, p);
        free(p);
    }
}

/* Checks each item of the array @a v with @a item_check. */
static void check_list(struct bundle_check *c, json_t *v, const char *name,
                       void (*item_check)(struct bundle_check *, json_t *, const char *))
{
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
        char *ptr = xasprintf("/%s/%zu", name, i);
        item_check(c, item, ptr);
        free(ptr);
    }
}

static const char *const bundle_members[] = {"format", "resolution", "sectors", "agencies",
                                             "recommendations", NULL};

/* Unknown and missing members, and the type of each. @return whether the parts can be read. */
static bool check_top(struct bundle_check *c, json_t *doc)
{
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v) {
        bool known = false;
        for (const char *const *m = bundle_members; *m != NULL; m++)
            known = known || strcmp(*m, key) == 0;
        if (!known && json_array_size(c->errors) < BUNDLE_MAX_ERRORS)
            jsonx_error(c->errors, "", key, "is not a known member");
    }
    for (const char *const *m = bundle_members; *m != NULL; m++) {
        v = json_object_get(doc, *m);
        if (v == NULL)
            jsonx_error(c->errors, "", *m, "is required");
        else if (strcmp(*m, "format") == 0) {
            if (!json_is_string(v) || strcmp(json_string_value(v), BUNDLE_FORMAT) != 0)
                jsonx_error(c->errors, "", *m, "must be \"" BUNDLE_FORMAT "\"");
        } else if (strcmp(*m, "resolution") == 0 ? !json_is_object(v) : !json_is_array(v))
            jsonx_error(c->errors, "", *m,
                        strcmp(*m, "resolution") == 0 ? "must be an object" : "must be an array");
    }
    return json_array_size(c->errors) == 0;
}

/*
 * Validates the bundle @a doc (any JSON value).
 * @param[out] errors a new array of {field, message}, empty when the bundle is valid
 * @return a new array of [pointer, slug] for the agencies it names but does not carry
 */
json_t *bundle_validate(json_t *doc, json_t **errors)
{
    struct bundle_check c = {json_array(), json_object(), json_object(),
                             json_object(), json_object(), json_array()};
    if (!json_is_object(doc))
        jsonx_error(c.errors, "", NULL, "a bundle must be a JSON object");
    else if (check_top(&c, doc)) {
        check_fields(&c, json_object_get(doc, "resolution"), resolution_fields, "/resolution");
        check_list(&c, json_object_get(doc, "sectors"), "sectors", check_sector);
        check_agencies(&c, json_object_get(doc, "agencies"));
        check_list(&c, json_object_get(doc, "recommendations"), "recommendations",
                   check_recommendation);
    }
    json_decref(c.sectors);
    json_decref(c.agencies);
    json_decref(c.codes);
    json_decref(c.update_ids);
    *errors = c.errors;
    return c.refs;
}

/* ---------------------------------------------------------------- HTTP */

/* Answers the result of the import statement: the counts, or the problem SQL found. */
static enum app_err import_reply(struct http_req *req, struct http_res *res,
                                 struct db_result *r)
{
    if (db_result_rows(r) != 1)
        return http_problem(req, res, APP_ERR_INTERNAL, "the import gave no answer", NULL);
    if (db_result_is_null(r, 0, 1)) {
        enum app_err err = audit_record(req, res, "import", "import", NULL, NULL,
                                        db_result_value(r, 0, 0));
        if (err == APP_OK)
            http_res_body(res, 200, "application/json", db_result_value(r, 0, 0),
                          db_result_length(r, 0, 0));
        return err;
    }
    bool conflict = strcmp(db_result_value(r, 0, 1), "409") == 0;
    return http_problem_field(
        req, res, conflict ? APP_ERR_CONFLICT : APP_ERR_INVALID,
        conflict ? "an update of the bundle is stored under another recommendation; nothing was imported"
                 : "the bundle is not valid; nothing was imported",
        db_result_value(r, 0, 2), db_result_value(r, 0, 3));
}

enum app_err bundles_import(struct http_req *req, struct http_res *res)
{
    json_t *body = NULL, *refs = NULL, *errors = NULL;
    char *text = NULL, *refs_text = NULL;
    struct db_result *r = NULL;
    enum app_err err = api_require_role(req, res, ROLE_EDITOR);
    if (err == APP_OK)
        err = api_body_object(req, res, &body);
    if (err != APP_OK)
        goto out;
    refs = bundle_validate(body, &errors);
    if (json_array_size(errors) > 0) {
        err = http_problem(req, res, APP_ERR_INVALID,
                           "the bundle is not valid; nothing was imported", errors);
        errors = NULL; /* stolen */
        goto out;
    }
    text = api_json_text(body);
    refs_text = api_json_text(refs);
    const char *params[] = {text, refs_text};
    req->wrote = true;
    err = api_exec(req, res, &bundle_stmts[STMT_IMPORT], 2, params, &r);
    if (err == APP_OK)
        err = import_reply(req, res, r);
out:
    db_result_free(r);
    free(refs_text);
    free(text);
    json_decref(errors);
    json_decref(refs);
    json_decref(body);
    return err;
}

enum app_err bundles_export(struct http_req *req, struct http_res *res)
{
    char id[37];
    enum app_err err = resolutions_find(req, res, req->params[0], id);
    if (err != APP_OK)
        return err;
    /* editors and admins see retracted text, as everywhere else */
    const char *params[] = {id, api_retracted_text_shown(req, res)};
    return api_reply_query(req, res, &bundle_stmts[STMT_EXPORT], 2, params, -1,
                           "no such resolution");
}

/* ---------------------------------------------------------------- command line */

/* Prints the first problem of @a errors as one line on stderr. @return 1 */
static int import_fail(json_t *errors)
{
    json_t *first = json_array_get(errors, 0);
    const char *field = json_string_value(json_object_get(first, "field"));
    return log_cli_error(1, "invalid bundle: %s%s%s", field, field[0] ? ": " : "",
                         json_string_value(json_object_get(first, "message")));
}

/* Runs the import statement on a connection of its own. @return exit status */
static int import_run(const struct config *cfg, json_t *doc, json_t *refs)
{
    char err[512];
    struct db_conn *conn = db_conn_open(cfg->database_url, 600000, err, sizeof err);
    if (conn == NULL)
        return log_cli_error(1, "%s", err);
    char *text = api_json_text(doc), *refs_text = api_json_text(refs);
    const char *params[] = {text, refs_text};
    struct db_result *r = NULL;
    int rc = 1;
    if (db_exec_params(conn, BUNDLE_IMPORT_SQL, 2, params, &r) != DB_OK)
        log_cli_error(1, "the import failed: %s", db_conn_message(conn));
    else if (db_result_rows(r) != 1)
        log_cli_error(1, "the import gave no answer");
    else if (!db_result_is_null(r, 0, 1))
        log_cli_error(1, "%s: %s: %s",
                      strcmp(db_result_value(r, 0, 1), "409") == 0 ? "conflict" : "invalid bundle",
                      db_result_value(r, 0, 2), db_result_value(r, 0, 3));
    else {
        printf("%s\n", db_result_value(r, 0, 0));
        rc = 0;
    }
    db_result_free(r);
    free(refs_text);
    free(text);
    db_conn_close(conn);
    return rc;
}

int import_command(const struct config *cfg, const char *text, size_t len)
{
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL) {
        char *field = parse_error_field(text, len, &jerr);
        int rc = log_cli_error(1, "invalid bundle: not valid JSON at line %d, column %d%s%s%s: %s",
                               jerr.line, jerr.column, field[0] ? " (in " : "", field,
                               field[0] ? ")" : "", parse_error_message(&jerr));
        free(field);
        return rc;
    }
    json_t *errors = NULL;
    json_t *refs = bundle_validate(doc, &errors);
    int rc = json_array_size(errors) > 0 ? import_fail(errors) : import_run(cfg, doc, refs);
    json_decref(errors);
    json_decref(refs);
    json_decref(doc);
    return rc;
}
