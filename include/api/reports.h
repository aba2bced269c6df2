/**
 * @file reports.h
 * @brief Reports for scripts and dashboards (API.md section 4), JSON and CSV.
 */
#ifndef API_REPORTS_H
#define API_REPORTS_H

#include "api/api.h"

void reports_register_statements(void);
enum app_err reports_summary(struct http_req *req, struct http_res *res);
enum app_err reports_agencies(struct http_req *req, struct http_res *res);
enum app_err reports_overdue(struct http_req *req, struct http_res *res);
enum app_err reports_timeline(struct http_req *req, struct http_res *res);
enum app_err reports_activity(struct http_req *req, struct http_res *res);
enum app_err reports_stale(struct http_req *req, struct http_res *res);

#endif
