/*
 * srv_metrics — clusterd's Prometheus metrics (docs/operations.md,
 * "Observe"): the counters, gauges and histograms the server updates as it
 * works, and their rendering in the Prometheus text exposition format
 * (version 0.0.4) together with what is read at scrape time (the store,
 * the run queue, connections, the process: srv_metrics_collect.c).
 *
 * The hot path (every gRPC call) touches a few counters in fixed arrays
 * indexed by the method table's index and the status code, with relaxed
 * C11 atomics: no lock, no allocation, no clock reading beyond the one the
 * call makes anyway. With metrics off there is no srv_metrics_t: every
 * update function takes NULL and returns at once, so off costs one test
 * of a pointer per event.
 *
 * Label values are few and fixed by the server or its operator: method
 * and service names of the method table, gRPC code names, run states,
 * table names, plugin names (at most SRV_METRICS_PLUGINS_MAX; later names
 * are counted as "_other"). Nothing a client sends becomes a label.
 *
 * Thread-safety: the update functions and srv_metrics_render may be called
 * from any thread at any time while the object exists. A scrape reads the
 * atomics one by one, so it may see a call in a histogram and not yet in
 * its counter, never a torn value. create, set_sources and destroy from
 * one controlling thread, before serving and after it.
 */
#ifndef SRV_METRICS_H
#define SRV_METRICS_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "rpc_method.h"

typedef struct srv_metrics srv_metrics_t;

/* ------------------------------------------------------------ primitives */

#define SRV_METRICS_BUCKETS_MAX 20

/* The buckets of a histogram: upper bounds in the unit observations are
 * made in (nanoseconds, operations), ascending; `scale` units make one of
 * the exported base unit (1e9 for seconds from nanoseconds, 1 for
 * counts). */
typedef struct srv_metrics_layout {
	size_t n;
	uint64_t bound[SRV_METRICS_BUCKETS_MAX];
	double scale;
} srv_metrics_layout_t;

typedef struct srv_metrics_hist {
	const srv_metrics_layout_t *lay;
	atomic_uint_least64_t bucket[SRV_METRICS_BUCKETS_MAX + 1]; /* +Inf last */
	atomic_uint_least64_t sum;   /* in the layout's unit */
} srv_metrics_hist_t;

/* Lock-free; v in the layout's unit. */
void srv_metrics_hist_observe(srv_metrics_hist_t *h, uint64_t v);

/* Exposition text under construction. A failed allocation sets failed
 * and later writes do nothing. */
typedef struct srv_metrics_buf {
	char *p;
	size_t len, cap;
	int failed;
} srv_metrics_buf_t;

void srv_metrics_buf_printf(srv_metrics_buf_t *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void srv_metrics_buf_free(srv_metrics_buf_t *b);

typedef struct srv_metrics_label {
	const char *name;
	const char *value;   /* escaped when written */
} srv_metrics_label_t;

/* One metric family. Its HELP and TYPE lines are written before its first
 * sample, so a family with no sample writes nothing at all. */
typedef struct srv_metrics_fam {
	const char *name;
	const char *type;    /* "counter", "gauge", "histogram" */
	const char *help;
	int started;
} srv_metrics_fam_t;

/* A sample of f: name plus suffix ("" or "_bucket", "_sum", "_count"),
 * the labels, the value. */
void srv_metrics_sample(srv_metrics_buf_t *b, srv_metrics_fam_t *f,
                        const char *suffix, const srv_metrics_label_t *l,
                        size_t nl, double v);
/* The _bucket (cumulative, with le), _sum and _count samples of h. */
void srv_metrics_hist_write(srv_metrics_buf_t *b, srv_metrics_fam_t *f,
                            const srv_metrics_label_t *l, size_t nl,
                            const srv_metrics_hist_t *h);

/* A sample value as the format wants it: integers without a fraction,
 * others in the shortest form that reads back the same, "+Inf", "-Inf",
 * "NaN". */
void srv_metrics_fmt_value(double v, char *out, size_t cap);

/* --------------------------------------------------------- clusterd's set */

/* Plugin call outcomes (srv_metrics_plugin_call); the registry's
 * plugin_call_outcome values are the same numbers. */
enum {
	SRV_METRICS_PLUGIN_OK = 0,
	SRV_METRICS_PLUGIN_ERROR,    /* the plugin reported a failure */
	SRV_METRICS_PLUGIN_CRASH,    /* its worker died or broke the protocol */
	SRV_METRICS_PLUGIN_TIMEOUT,  /* over its time limit */
	SRV_METRICS_PLUGIN_LIMIT,    /* stopped by the sandbox or a resource
	                              * limit */
	SRV_METRICS_PLUGIN_CANCELLED, /* its run was stopped: no failure */
	SRV_METRICS_PLUGIN_OUTCOMES
};

#define SRV_METRICS_PLUGINS_MAX 64
#define SRV_METRICS_CODES 17   /* gRPC status codes 0..16 */
#define SRV_METRICS_STATES 8   /* Run.state values */

/* What the scrape reads besides the counters; each may be NULL. Borrowed:
 * they must outlive every scrape (srv stops the HTTP listener first). */
struct store;
struct srv_jobs;
struct rpc_server;
struct plugin_registry;
typedef struct srv_metrics_src {
	struct store *store;
	struct srv_jobs *jobs;
	struct rpc_server *rpc;
	struct plugin_registry *plugins;
	const char *version;     /* clusterd_build_info{version} */
} srv_metrics_src_t;

/* For the methods of the table (in its order; rpc_method_table). */
int srv_metrics_create(srv_metrics_t **out, const rpc_method_t *methods,
                       size_t nmethods, char *err, size_t errlen);
void srv_metrics_destroy(srv_metrics_t *m);
void srv_metrics_set_sources(srv_metrics_t *m, const srv_metrics_src_t *src);

/* A call of method midx arrived (midx >= nmethods: a method not in the
 * table, counted as "unknown"). */
void srv_metrics_call_start(srv_metrics_t *m, size_t midx);
/* It ended with gRPC status code after ns nanoseconds. */
void srv_metrics_call_end(srv_metrics_t *m, size_t midx, int code,
                          uint64_t ns);
/* It went away without a status (no longer in flight, not counted). */
void srv_metrics_call_gone(srv_metrics_t *m, size_t midx);
void srv_metrics_msg_received(srv_metrics_t *m, size_t midx);
void srv_metrics_msg_sent(srv_metrics_t *m, size_t midx);

/* One group-commit transaction of ops operations, ns long; ok = it
 * committed. */
void srv_metrics_commit(srv_metrics_t *m, size_t ops, uint64_t ns, int ok);

/* A run was stored in its final state (a Run.state value); ran_ms is how
 * long it ran, or -1 when it never started (cancelled while queued). */
void srv_metrics_run_finished(srv_metrics_t *m, int state, int64_t ran_ms);

/* One scoring call of plugin `name` (SRV_METRICS_PLUGIN_*), seconds long. */
void srv_metrics_plugin_call(srv_metrics_t *m, const char *name, int outcome,
                             double seconds);

/* The whole exposition into b (srv_metrics_buf_free it). CD_OK, or
 * CD_ENOMEM. */
int srv_metrics_render(srv_metrics_t *m, srv_metrics_buf_t *b);

/* The exposition's content type. */
#define SRV_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Scrape-time series (srv_metrics_collect.c), appended to b. */
void srv_metrics_collect_process(srv_metrics_buf_t *b);
void srv_metrics_collect_store(srv_metrics_buf_t *b, struct store *st);
void srv_metrics_collect_jobs(srv_metrics_buf_t *b, struct srv_jobs *J);
void srv_metrics_collect_listen(srv_metrics_buf_t *b, struct rpc_server *s);
void srv_metrics_collect_plugins(srv_metrics_buf_t *b,
                                 struct plugin_registry *reg);

#endif
