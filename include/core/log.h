/**
 * @file log.h
 * @brief Structured logging: one JSON object per line on stderr.
 *
 * Messages are short, lowercase and factual (PostgreSQL style); specifics go in fields.
 * Never log a token or a request body.
 */
#ifndef CORE_LOG_H
#define CORE_LOG_H

#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/** Sets the lowest level written (default LOG_INFO). */
void log_set_level(enum log_level level);

/** Writes `{"time","level","msg"}` with @a fmt formatted as the message. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Writes a prepared JSON object line (borrowed @a json, no trailing newline) atomically. */
void log_line(const char *json, size_t len);

/**
 * For the command line: prints `tracker: MESSAGE` on stderr as exactly one line; control
 * characters in the message (a newline in an argument, a bundle's member name or a libpq
 * message) become spaces.
 * @return @a status, so that a command can `return log_cli_error(1, ...)`
 */
int log_cli_error(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * Formats the current UTC time as RFC 3339 with microseconds and Z into @a buf.
 * @param buf at least 28 bytes
 */
void log_time_now(char *buf, size_t size);

#endif
