#include "http/metrics.h"

#include "core/xalloc.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned statuses[] = {200, 201, 204, 304, 400, 401, 403, 404, 405, 406, 408, 409,
                                    412, 413, 415, 422, 428, 431, 499, 500, 503, 504, 0};
#define NSTATUS (sizeof statuses / sizeof statuses[0]) /* the last slot counts any other */

static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                0.1,    0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
#define NBUCKET (sizeof bounds / sizeof bounds[0] + 1) /* the last is +Inf */

struct route_metrics {
    atomic_ulong by_status[NSTATUS];
    atomic_ulong buckets[NBUCKET];
    atomic_ullong micros_sum;
};

struct metrics {
    size_t nroutes;
    struct route_metrics *routes; /* nroutes + 1 */
};

struct metrics *metrics_new(size_t nroutes)
{
    struct metrics *m = xcalloc(1, sizeof *m);
    m->nroutes = nroutes;
    m->routes = xcalloc(nroutes + 1, sizeof *m->routes);
    return m;
}

void metrics_free(struct metrics *m)
{
    if (m == NULL)
        return;
    free(m->routes);
    free(m);
}

void metrics_observe(struct metrics *m, size_t route_index, unsigned status, long long micros)
{
    if (route_index > m->nroutes)
        route_index = m->nroutes;
    struct route_metrics *r = &m->routes[route_index];
    size_t s = 0;
    while (s < NSTATUS - 1 && statuses[s] != status)
        s++;
    atomic_fetch_add(&r->by_status[s], 1);
    double seconds = (double)micros / 1e6;
    size_t b = 0;
    while (b < NBUCKET - 1 && seconds > bounds[b])
        b++;
    atomic_fetch_add(&r->buckets[b], 1);
    atomic_fetch_add(&r->micros_sum, (unsigned long long)(micros > 0 ? micros : 0));
}

struct text {
    char *buf;
    size_t len, cap;
};

static void text_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_add(struct text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        t->cap = t->cap * 2 + (size_t)(n > 0 ? n : 0) + 256;
        t->buf = xrealloc(t->buf, t->cap);
    }
}

static const char *route_label(const struct route *routes, size_t i, size_t n, char *buf,
                               size_t len)
{
    if (i == n)
        return "unmatched";
    snprintf(buf, len, "%s %s", routes[i].method, routes[i].pattern);
    return buf;
}

char *metrics_render(struct metrics *m, const struct route *routes, const char *extra)
{
    struct text t = {xmalloc(4096), 0, 4096};
    char label[160];
    text_add(&t, "# HELP tracker_http_requests_total HTTP requests by route and status.\n"
                 "# TYPE tracker_http_requests_total counter\n");
    for (size_t i = 0; i <= m->nroutes; i++) {
        const char *route = route_label(routes, i, m->nroutes, label, sizeof label);
        for (size_t s = 0; s < NSTATUS; s++) {
            unsigned long v = atomic_load(&m->routes[i].by_status[s]);
            if (v == 0)
                continue;
            if (statuses[s] != 0)
                text_add(&t, "tracker_http_requests_total{route=\"%s\",status=\"%u\"} %lu\n",
                         route, statuses[s], v);
            else
                text_add(&t, "tracker_http_requests_total{route=\"%s\",status=\"other\"} %lu\n",
                         route, v);
        }
    }
    text_add(&t, "# HELP tracker_http_request_duration_seconds Request latency by route.\n"
                 "# TYPE tracker_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i <= m->nroutes; i++) {
        const char *route = route_label(routes, i, m->nroutes, label, sizeof label);
        unsigned long cumulative = 0;
        for (size_t b = 0; b < NBUCKET; b++)
            cumulative += atomic_load(&m->routes[i].buckets[b]);
        if (cumulative == 0)
            continue;
        cumulative = 0;
        for (size_t b = 0; b < NBUCKET; b++) {
            cumulative += atomic_load(&m->routes[i].buckets[b]);
            if (b < NBUCKET - 1)
                text_add(&t,
                         "tracker_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} "
                         "%lu\n",
                         route, bounds[b], cumulative);
            else
                text_add(&t,
                         "tracker_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} "
                         "%lu\n",
                         route, cumulative);
        }
        text_add(&t, "tracker_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", route,
                 (double)atomic_load(&m->routes[i].micros_sum) / 1e6);
        text_add(&t, "tracker_http_request_duration_seconds_count{route=\"%s\"} %lu\n", route,
                 cumulative);
    }
    if (extra != NULL)
        text_add(&t, "%s", extra);
    return t.buf;
}
