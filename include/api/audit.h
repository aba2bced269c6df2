/**
 * @file audit.h
 * @brief The audit trail: every write by an editor or admin (who, when, what, before, after),
 *        recorded in the write's own transaction; GET /v1/audit for admins.
 */
#ifndef API_AUDIT_H
#define API_AUDIT_H

#include "api/api.h"

void audit_register_statements(void);

/**
 * Records a write when the caller is an editor or admin (a no-op for other roles).
 * @param action one of create, update, archive, unarchive, assign, retract, revoke, import,
 *               create_token
 * @param entity one of resolution, sector, agency, recommendation, update, user, token, import
 * @param entity_id the entity's id, or NULL (import)
 * @param before whole representation before the write as JSON text, or NULL (create)
 * @param after whole representation after the write as JSON text, or NULL
 * @return APP_OK, or the database problem written to @a res
 */
enum app_err audit_record(struct http_req *req, struct http_res *res, const char *action,
                          const char *entity, const char *entity_id, const char *before,
                          const char *after);

/** GET /v1/audit (admin): newest first, filters actor, entity, entity_id, since. */
enum app_err audit_list(struct http_req *req, struct http_res *res);

#endif
