/**
 * @file recommendations.h
 * @brief Recommendations: list with filters, create, read (by id or by code), patch, agency assignments, history.
 */
#ifndef API_RECOMMENDATIONS_H
#define API_RECOMMENDATIONS_H

#include "api/api.h"

void recommendations_register_statements(void);
enum app_err recommendations_list(struct http_req *req, struct http_res *res);
enum app_err recommendations_create(struct http_req *req, struct http_res *res);
enum app_err recommendations_get(struct http_req *req, struct http_res *res);
enum app_err recommendations_get_by_code(struct http_req *req, struct http_res *res);
enum app_err recommendations_patch(struct http_req *req, struct http_res *res);
enum app_err recommendations_put_agencies(struct http_req *req, struct http_res *res);
enum app_err recommendations_history(struct http_req *req, struct http_res *res);

#endif
