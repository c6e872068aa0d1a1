/*
 * rpc_transport — what the server loop (rpc_server.c) and the call state
 * machine (rpc_call.c) share; not for handlers.
 *
 * Thread-safety: struct rpc_server is written during create and shutdown
 * only; the atomics are the exception and may change at any time.
 */
#ifndef RPC_TRANSPORT_H
#define RPC_TRANSPORT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include <grpc/grpc.h>

#include "rpc_listen.h"
#include "rpc_method.h"

/* Index of the catch-all request for methods not in the table. */
#define RPC_CATCH_ALL ((size_t)-1)

struct rpc_server {
	grpc_server *server;
	grpc_completion_queue **cqs;  /* one per worker thread */
	pthread_t *workers;
	unsigned ncq;
	unsigned nworkers;            /* workers started */
	grpc_completion_queue *shutdown_cq;
	const rpc_method_t *methods;
	size_t nmethods;
	void **handles;               /* from grpc_server_register_method */
	void *env;
	rpc_listen_t *listen;         /* our listener (see rpc_listen.h) */
	struct rpc_auth *auth;        /* NULL: no authentication */
	int mtls;                     /* TLS with client certificates */
	int read_only;                /* refuse methods that write */
	const char *primary;          /* named in those refusals; "" = none */
	int port;
	struct srv_metrics *metrics;  /* NULL: metrics off */
	atomic_int stopping;
	atomic_long live_calls;       /* calls taken, not yet freed */
	/* Bidirectional streams being answered (rpc_call_answer_each), each
	 * referenced while listed: ended at shutdown, which would otherwise
	 * wait out the grace period for a client that keeps one open. */
	pthread_mutex_t answer_mu;
	struct rpc_call *answering;
};

/* Posts one request for method midx (or RPC_CATCH_ALL) on cq number cqi. */
int rpc_call_arm(struct rpc_server *s, size_t midx, unsigned cqi);

/* Delivers one completion-queue event for a tag made by rpc_call. */
void rpc_call_event(void *tag, int ok);

/* Shutdown (once stopping is set): every stream being answered
 * (rpc_call_answer_each) ends with UNAVAILABLE "server is shutting down",
 * at once when it waits for a request, else once its answer has left;
 * streams that start later end the same way before reading anything. */
void rpc_call_end_answering(struct rpc_server *s);

#endif
