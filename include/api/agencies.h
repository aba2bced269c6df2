/**
 * @file agencies.h
 * @brief Agencies: /v1/agencies, archive and unarchive.
 *
 * The bodies that own recommendations. Names are localized without the source_language step
 * (they belong to no resolution); an agency may have a parent, never itself as an ancestor.
 */
#ifndef API_AGENCIES_H
#define API_AGENCIES_H

#include "api/api.h"

void agencies_register_statements(void);
enum app_err agencies_list(struct http_req *req, struct http_res *res);
enum app_err agencies_create(struct http_req *req, struct http_res *res);
enum app_err agencies_get(struct http_req *req, struct http_res *res);
enum app_err agencies_patch(struct http_req *req, struct http_res *res);
enum app_err agencies_archive(struct http_req *req, struct http_res *res);
enum app_err agencies_unarchive(struct http_req *req, struct http_res *res);

/**
 * Finds an agency (archived ones included) by id or slug and reads its id.
 * @param ref an id or a slug (borrowed); a malformed one is not found
 * @param[out] id the agency's id (37 bytes)
 * @return APP_OK, or 404 written
 */
enum app_err agencies_find(struct http_req *req, struct http_res *res, const char *ref,
                           char *id);

#endif
