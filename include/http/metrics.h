/**
 * @file metrics.h
 * @brief Request counters and latency histograms, rendered in Prometheus text format.
 *
 * Lock-free (atomic counters); indexes are route positions in the route table, with one extra
 * slot for requests that matched no route.
 */
#ifndef HTTP_METRICS_H
#define HTTP_METRICS_H

#include "http/router.h"

#include <stddef.h>

struct metrics;

/** @return new metrics for a table of @a nroutes routes; free with metrics_free(). */
struct metrics *metrics_new(size_t nroutes);
void metrics_free(struct metrics *m);

/** Counts one request; @a route_index == nroutes for unmatched requests. */
void metrics_observe(struct metrics *m, size_t route_index, unsigned status, long long micros);

/** @return the Prometheus text (new, free()); @a extra (borrowed) is appended as is. */
char *metrics_render(struct metrics *m, const struct route *routes, const char *extra);

#endif
