/**
 * @file bundles.h
 * @brief Import and export of resolution bundles (API.md section 5).
 */
#ifndef API_BUNDLES_H
#define API_BUNDLES_H

#include "api/api.h"

void bundles_register_statements(void);
enum app_err bundles_import(struct http_req *req, struct http_res *res);
enum app_err bundles_export(struct http_req *req, struct http_res *res);

#endif
