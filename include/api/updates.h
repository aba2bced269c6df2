/**
 * @file updates.h
 * @brief Updates: a recommendation's timeline, posting, the activity feed, retraction.
 *
 * Updates are append-only entries in a recommendation's timeline; posting one also replays the
 * recommendation's state (status, agency_status, progress, response, counters, version) in the
 * same transaction. The feed (/v1/updates) hands out every update exactly once to a client
 * that follows its cursor, however concurrent writers commit. Handlers write their problems
 * into the response (see api.h); nothing here keeps state between requests.
 */
#ifndef API_UPDATES_H
#define API_UPDATES_H

#include "api/api.h"

/** Registers the module's statements (once, at start-up). */
void updates_register_statements(void);

/** GET /v1/recommendations/{id}/updates: newest first in effective order, paginated. */
enum app_err updates_list_for_recommendation(struct http_req *req, struct http_res *res);

/** POST /v1/recommendations/{id}/updates (agency, monitor, editor, admin): 201 + Location. */
enum app_err updates_create(struct http_req *req, struct http_res *res);

/** GET /v1/updates/{id}: retracted bodies and evidence only for editors and admins. */
enum app_err updates_get(struct http_req *req, struct http_res *res);

/** GET /v1/updates: the feed, oldest first by (transaction, sequence); filters since,
 *  resolution, agency, source; next_cursor on every page. */
enum app_err updates_feed(struct http_req *req, struct http_res *res);

/** POST /v1/updates/{id}/retract (editor, admin): the first retraction stays; 200 + update. */
enum app_err updates_retract(struct http_req *req, struct http_res *res);

#endif
