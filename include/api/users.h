/**
 * @file users.h
 * @brief Users and tokens (admin), and /v1/me.
 */
#ifndef API_USERS_H
#define API_USERS_H

#include "api/api.h"

void users_register_statements(void);
enum app_err users_me(struct http_req *req, struct http_res *res);
enum app_err users_list(struct http_req *req, struct http_res *res);
enum app_err users_create(struct http_req *req, struct http_res *res);
enum app_err users_get(struct http_req *req, struct http_res *res);
enum app_err users_patch(struct http_req *req, struct http_res *res);
enum app_err users_tokens_create(struct http_req *req, struct http_res *res);
enum app_err users_tokens_list(struct http_req *req, struct http_res *res);
enum app_err users_tokens_revoke(struct http_req *req, struct http_res *res);

#endif
