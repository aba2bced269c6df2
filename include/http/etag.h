/**
 * @file etag.h
 * @brief Entity tags: computing them and matching If-None-Match / If-Match.
 *
 * Single resources carry "<version>-<mark><hash>": the mark names the resource and its version
 * (so If-Match accepts the tag of any language representation of the current version, and no
 * made-up tag or another resource's), the hash the bytes sent (so If-None-Match sees any change,
 * of an embedded agency's name too). Lists carry a hash of the bytes; reports a weak tag over
 * the report without generated_at.
 */
#ifndef HTTP_ETAG_H
#define HTTP_ETAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** @return the 64-bit FNV-1a hash of @a len bytes. */
uint64_t etag_hash(const char *data, size_t len);

/** @return a new strong tag "\"<hash>\"" (or weak W/"..." when @a weak); free(). */
char *etag_for_bytes(const char *data, size_t len, bool weak);

/** @return a new tag "\"<version>-<mark><hash>\"" for version @a version of resource @a id; free(). */
char *etag_for_version(const char *id, long long version, const char *data, size_t len);

/**
 * Does an If-None-Match header value match @a etag? Weak comparison (RFC 9110 13.1.2):
 * "*" or any listed tag equal to @a etag once W/ prefixes are ignored.
 */
bool etag_none_match(const char *header, const char *etag);

/** At most this many tags of an If-Match list are read (the rest are ignored). */
#define ETAG_MAX_IF_MATCH 16

/**
 * Reads every version an If-Match list names for resource @a id (RFC 9110 13.1.1: the request
 * goes ahead when ANY listed strong tag is current; a weak tag, a tag of another resource and a
 * made-up one never match), as a PostgreSQL array literal for a bigint[] parameter.
 * @return a new "{7,12}" ("{0}" for "*"; free()), or NULL when no tag names a version
 */
char *etag_if_match_versions(const char *header, const char *id);

#endif
