/*
 * srv_metrics_http — the HTTP listener of the metrics (--metrics-listen),
 * on libmicrohttpd: GET (or HEAD) /metrics answers the exposition a render
 * callback writes, any other path 404, any other method on /metrics 405
 * (with Allow: GET, HEAD), a failed render 500.
 *
 * It runs on one thread of its own (libmicrohttpd's internal polling
 * thread), apart from the gRPC server: a slow, idle or hostile HTTP client
 * costs that thread only. It holds at most max_connections connections
 * (more are closed as they arrive), closes a connection idle for
 * timeout_s seconds, and bounds a request's headers to 16 KiB (larger
 * ones are answered 431 and closed). The listening socket is bound here
 * (one address: the first of host's that binds; SO_REUSEADDR without
 * SO_REUSEPORT, so a busy port fails) with SOCK_CLOEXEC, and
 * libmicrohttpd accepts with SOCK_CLOEXEC too, so no descriptor leaks
 * into the plugin workers.
 *
 * No TLS, no authentication: the metrics hold no user data (method
 * names, counts, sizes, plugin names). Bind it to loopback or a
 * management network (docs/operations.md, "Observe").
 *
 * Thread-safety: start and stop from one controlling thread; render is
 * called on the listener's thread, one scrape at a time.
 */
#ifndef SRV_METRICS_HTTP_H
#define SRV_METRICS_HTTP_H

#include <stddef.h>

#include "srv_metrics.h"

typedef struct srv_metrics_http srv_metrics_http_t;

/* Writes the exposition into b; CD_OK, or a cd_err code (answered 500). */
typedef int (*srv_metrics_http_render_fn)(void *arg, srv_metrics_buf_t *b);

typedef struct srv_metrics_http_opts {
	const char *listen;          /* host:port; port 0 picks one */
	srv_metrics_http_render_fn render;
	void *arg;
	unsigned max_connections;    /* 0 = 16 */
	unsigned timeout_s;          /* idle connections; 0 = 10 */
} srv_metrics_http_opts_t;

/* Binds and starts serving. CD_EINVAL for an address that is not
 * host:port, CD_EIO (naming the address and the reason) when it cannot be
 * resolved or bound (in use, not this host's), CD_ENOMEM. */
int srv_metrics_http_start(srv_metrics_http_t **out,
                           const srv_metrics_http_opts_t *o, char *err,
                           size_t errlen);

/* The bound port. */
int srv_metrics_http_port(const srv_metrics_http_t *h);

/* Stops serving (waits for a scrape under way), closes every socket and
 * frees. NULL is a no-op. */
void srv_metrics_http_stop(srv_metrics_http_t *h);

#endif
