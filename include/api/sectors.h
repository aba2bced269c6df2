/**
 * @file sectors.h
 * @brief Sectors of a resolution: /v1/resolutions/{id}/sectors, /v1/sectors/{id}.
 */
#ifndef API_SECTORS_H
#define API_SECTORS_H

#include "api/api.h"

void sectors_register_statements(void);
enum app_err sectors_list(struct http_req *req, struct http_res *res);
enum app_err sectors_create(struct http_req *req, struct http_res *res);
enum app_err sectors_get(struct http_req *req, struct http_res *res);
enum app_err sectors_patch(struct http_req *req, struct http_res *res);

#endif
