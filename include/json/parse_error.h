/**
 * @file parse_error.h
 * @brief Where a body that jansson refused went wrong, as the JSON Pointer of a member.
 *
 * jansson reports a byte position and a message, not a member. A client that sends
 * {"name": {"en": "x\u0000"}} should be told "/name/en", as it is for any other body problem
 * (API.md §1), so the text up to the error is read again by a small tokenizer that follows the
 * path of containers (object keys, array indexes) the parser was in.
 */
#ifndef JSON_PARSE_ERROR_H
#define JSON_PARSE_ERROR_H

#include <jansson.h>
#include <stddef.h>

/**
 * The JSON Pointer (RFC 6901: ~ as ~0, / as ~1) of the member of the body @a text (@a len bytes)
 * whose key or value holds the problem json_loadb() reported in @a error: the member whose
 * value was being read (NUL, lone surrogate, bad escape, invalid UTF-8, bad token, nesting too
 * deep), the member whose key was just read (a duplicate key, a missing colon), or the object or
 * array being read when the problem is between its members or in a key that is not text (the
 * member cannot be named then). "" for the whole document: the body ends early, holds more than
 * one value, does not start with an object, or goes wrong before a member does.
 * @return new string (caller frees), always valid UTF-8
 */
char *parse_error_field(const char *text, size_t len, const json_error_t *error);

/**
 * What json_loadb() found wrong, in a client's terms: its message, but for a NUL, where jansson
 * names its own flag (JSON_ALLOW_NUL). @return @a error's text or a static string (not freed)
 */
const char *parse_error_message(const json_error_t *error);

#endif
