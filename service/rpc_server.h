/*
 * rpc_server — the transport: a gRPC core server with one completion queue
 * per worker thread, every method of the method table registered and
 * pre-armed on every queue, a catch-all that answers unknown methods
 * UNIMPLEMENTED, and an orderly shutdown (stop accepting, grace period,
 * cancel the rest, drain the queues). Plaintext connections come from our
 * own listener (rpc_listen.h), which caps them and survives running out of
 * descriptors, where gRPC 1.51's own stops accepting for good. With TLS
 * (rpc_tls.h) gRPC's own listener serves instead: in 1.51
 * grpc_server_add_channel_from_fd takes insecure credentials only, so the
 * connection cap and the EMFILE resilience do not apply then.
 *
 * Thread-safety: create, shutdown and destroy from one controlling thread;
 * rpc_server_port from any thread.
 */
#ifndef RPC_SERVER_H
#define RPC_SERVER_H

#include <stddef.h>

typedef struct rpc_server rpc_server_t;

typedef struct rpc_server_opts {
	const char *listen;        /* host:port; port 0 = ephemeral */
	unsigned threads;          /* worker threads = completion queues */
	size_t max_message_bytes;  /* receive limit; 0 = gRPC's 4 MiB */
	unsigned requests;         /* pre-posted per method per queue; 0 = 8 */
	unsigned max_connections;  /* open connections at most; 0 = as many
	                            * as the descriptor limit allows; not
	                            * with TLS (gRPC's listener) */
	void *env;                 /* handed to handlers (rpc_call_env) */
	/* Tokens and roles (rpc_auth.h), borrowed for the server's life;
	 * NULL: every call is "anonymous" with every role but judge. */
	struct rpc_auth *auth;
	struct rpc_tls *tls;       /* NULL: plaintext; else TLS on gRPC's
	                            * listener (must outlive the server) */
	/* Told of every call (srv_metrics.h); NULL = metrics off. Must
	 * outlive the server. */
	struct srv_metrics *metrics;
	/* A read-only replica: every method marked `writes` in the method
	 * table is refused FAILED_PRECONDITION before its handler runs,
	 * naming primary (the address writes go to; NULL or "" = none
	 * given; must outlive the server). */
	int read_only;
	const char *primary;
} rpc_server_opts_t;

/* Binds, starts serving and returns. grpc_init must have been called. */
int rpc_server_create(rpc_server_t **out, const rpc_server_opts_t *o,
                      char *err, size_t errlen);

/* The bound port (the chosen one when port 0 was asked for). */
int rpc_server_port(const rpc_server_t *s);

/* Our listener's connection counts (open ones swept first, so closed
 * ones no longer count); 0 when gRPC's own listener serves (TLS), which
 * keeps none. */
struct rpc_listen_stats;
int rpc_server_listen_stats(rpc_server_t *s, struct rpc_listen_stats *out);

/* Stops accepting calls, lets in-flight ones run for grace_ms, cancels the
 * rest, and returns when no call is being served any more. Work that
 * answers calls from other threads (commits) may still finish them until
 * rpc_server_destroy. */
void rpc_server_shutdown(rpc_server_t *s, unsigned grace_ms);

/* Drains and destroys the queues, joins the workers. Shuts down first
 * (grace 0) if rpc_server_shutdown was not called. NULL is a no-op. */
void rpc_server_destroy(rpc_server_t *s);

#endif
