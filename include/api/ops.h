/**
 * @file ops.h
 * @brief Operations endpoints at the root: health, readiness, metrics, the OpenAPI document.
 */
#ifndef API_OPS_H
#define API_OPS_H

#include "api/api.h"

void ops_register_statements(void);
enum app_err ops_healthz(struct http_req *req, struct http_res *res);
enum app_err ops_readyz(struct http_req *req, struct http_res *res);
enum app_err ops_metrics(struct http_req *req, struct http_res *res);
enum app_err ops_openapi(struct http_req *req, struct http_res *res);

#endif
