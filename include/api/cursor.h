/**
 * @file cursor.h
 * @brief Opaque keyset cursors: "<tag><key>", the key base64url of a JSON array holding the
 * last item's sort key, the tag (hex digits, so the cursor stays base64url text) binding it to
 * the list and query it came from.
 *
 * PostgreSQL encodes the key (cursor_encode() in migrations) and api_reply_page() puts the tag
 * in front; this module checks both before any value reaches SQL, so a garbled cursor, or one
 * of another list, path id, filter or sort, is a 400, never an SQL error or a wrong page.
 */
#ifndef API_CURSOR_H
#define API_CURSOR_H

#include <stdbool.h>
#include <stddef.h>

struct http_req;

#define CURSOR_MAX_PARTS 6

/** Length of a cursor's tag (hex digits), before its key. */
#define CURSOR_TAG_LEN 16

/**
 * The tag of the list @a req asks for: a hash of its path (so of the path's ids, as given) and
 * of every query parameter but limit, lang, format and cursor (the filters, sort, archived, q,
 * since..., values as given, in any order), so those may change between pages and nothing else.
 */
void cursor_tag(const struct http_req *req, char tag[CURSOR_TAG_LEN + 1]);

/** @return the key inside @a text (borrowed; never empty) when it carries @a tag, else NULL. */
const char *cursor_unbind(const char *text, const char *tag);

/**
 * Decodes the key @a text and checks each element against @a shape, one letter per element:
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
