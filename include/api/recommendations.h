/**
 * @file recommendations.h
 * @brief Recommendations: list with filters, create, read (by id or by code), patch, agency
 *        assignments, history.
 *
 * The representation is built by the SQL function recommendation_json(r, lang)
 * (migrations/0004_recommendations.sql), which reports and the feed use too.
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

/**
 * Finds a recommendation by id (recommendations have no slug).
 * @param id the id as given (borrowed; a malformed one is answered 404 like an unknown one)
 * @param[out] found_id the recommendation's id (37 bytes)
 * @return APP_OK, or 404 written
 */
enum app_err recommendations_find(struct http_req *req, struct http_res *res, const char *id,
                                  char *found_id);

#endif
