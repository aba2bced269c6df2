/**
 * @file xalloc.h
 * @brief Allocation helpers that abort with a log line on out-of-memory.
 *
 * Our own small allocations go through these (as PostgreSQL's palloc); the caller frees the
 * result with free(). Library allocations are still checked where they are made.
 */
#ifndef CORE_XALLOC_H
#define CORE_XALLOC_H

#include <stddef.h>

/** @return new memory of @a n bytes (never NULL). */
void *xmalloc(size_t n);
/** @return new zeroed memory for @a count items of @a size bytes (never NULL). */
void *xcalloc(size_t count, size_t size);
/** @return @a p resized to @a n bytes (never NULL); @a p is consumed. */
void *xrealloc(void *p, size_t n);
/** @return a new copy of @a s (never NULL). */
char *xstrdup(const char *s);
/** @return a new copy of the first @a n bytes of @a s, NUL-terminated (never NULL). */
char *xstrndup(const char *s, size_t n);
/** @return a new string formatted as printf would (never NULL). */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
