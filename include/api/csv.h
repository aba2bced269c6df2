/**
 * @file csv.h
 * @brief CSV answers (RFC 4180, header row, UTF-8): negotiation and streaming from PostgreSQL.
 *
 * PostgreSQL formats each row as one CSV line (csv_line() in migrations); this module streams
 * the lines straight from a single-row-mode statement into a chunked response, so a list of any
 * length goes out in constant memory.
 */
#ifndef API_CSV_H
#define API_CSV_H

#include "api/api.h"

#include <stdbool.h>

/**
 * Does the request ask for CSV? `?format=csv|json` wins over `Accept: text/csv`; another
 * `format` value → 400 naming `format`. Without `format` the answer carries `Vary: Accept`.
 */
enum app_err csv_wanted(struct http_req *req, struct http_res *res, bool *csv);

/**
 * Answers 200 text/csv: @a header (a CSV line with its CRLF, borrowed and copied), then column
 * 0 of every row of @a stmt. The request's database connection moves to the stream and is given
 * back when the response is done.
 */
enum app_err csv_stream(struct http_req *req, struct http_res *res, const char *header,
                        const struct db_stmt *stmt, int nparams, const char *const *params);

#endif
