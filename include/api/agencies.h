/**
 * @file agencies.h
 * @brief Agencies: /v1/agencies, archive and unarchive.
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

#endif
