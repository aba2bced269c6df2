/**
 * @file resolutions.h
 * @brief /v1/resolutions: list, create, read, patch, archive, unarchive.
 */
#ifndef API_RESOLUTIONS_H
#define API_RESOLUTIONS_H

#include "api/api.h"

void resolutions_register_statements(void);
enum app_err resolutions_list(struct http_req *req, struct http_res *res);
enum app_err resolutions_create(struct http_req *req, struct http_res *res);
enum app_err resolutions_get(struct http_req *req, struct http_res *res);
enum app_err resolutions_patch(struct http_req *req, struct http_res *res);
enum app_err resolutions_archive(struct http_req *req, struct http_res *res);
enum app_err resolutions_unarchive(struct http_req *req, struct http_res *res);

/**
 * Finds a resolution by id or slug and reads its id.
 * @param[out] id the resolution's id (37 bytes)
 * @return APP_OK, or 404 written
 */
enum app_err resolutions_find(struct http_req *req, struct http_res *res, const char *ref,
                              char *id);

#endif
