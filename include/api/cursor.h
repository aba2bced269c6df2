/**
 * @file cursor.h
 * @brief Opaque keyset cursors: base64url of a JSON array holding the last item's sort key.
 *
 * PostgreSQL encodes them (cursor_encode() in migrations); this module decodes and checks
 * them before any value reaches SQL, so a garbled cursor is a 400, never an SQL error.
 */
#ifndef API_CURSOR_H
#define API_CURSOR_H

#include <stdbool.h>
#include <stddef.h>

#define CURSOR_MAX_PARTS 6

/**
 * Decodes @a text and checks each element against @a shape, one letter per element:
 * 'd' date, 't' timestamp, 'u' uuid, 'i' integer (32-bit), 'l' integer (64-bit), 's' string,
 * 'x' xid8 (digits),
 * 'n' integer or null, 'D' date or null.
 * @param[out] parts new strings (NULL for JSON null), one per letter; free with cursor_parts_free()
 * @return false when the cursor is not one this shape produced
 */
bool cursor_decode(const char *text, const char *shape, char **parts);

/** Frees the strings cursor_decode() produced for @a shape. */
void cursor_parts_free(const char *shape, char **parts);

#endif
