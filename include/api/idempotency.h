/**
 * @file idempotency.h
 * @brief Idempotency-Key on POST: the first answer stored with the write, replayed after.
 *
 * Runs inside the request's write transaction (see dispatch.c): a transaction-level advisory
 * lock on (token, key) tells a request still in flight (409) across processes; the stored answer
 * commits atomically with the write itself, so a retry after any failure either replays it or
 * finds that nothing was written.
 */
#ifndef API_IDEMPOTENCY_H
#define API_IDEMPOTENCY_H

#include "api/api.h"

#include <stdbool.h>

void idempotency_register_statements(void);

/** Is @a key 1–255 printable ASCII characters? */
bool idempotency_key_valid(const char *key);

/**
 * Takes the key's lock and looks for a stored answer.
 * @param[out] answered true when @a res now holds the answer (a replay, 409 or 422)
 */
enum app_err idempotency_check(struct http_req *req, struct http_res *res, const char *key,
                               bool *answered);

/** Stores @a res (status < 500) as the answer for @a key, in the request's transaction. */
enum app_err idempotency_store(struct http_req *req, struct http_res *res, const char *key);

#endif
