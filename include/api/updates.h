/**
 * @file updates.h
 * @brief Updates: a recommendation's timeline, posting, the activity feed, retraction.
 */
#ifndef API_UPDATES_H
#define API_UPDATES_H

#include "api/api.h"

void updates_register_statements(void);
enum app_err updates_list_for_recommendation(struct http_req *req, struct http_res *res);
enum app_err updates_create(struct http_req *req, struct http_res *res);
enum app_err updates_get(struct http_req *req, struct http_res *res);
enum app_err updates_feed(struct http_req *req, struct http_res *res);
enum app_err updates_retract(struct http_req *req, struct http_res *res);

#endif
