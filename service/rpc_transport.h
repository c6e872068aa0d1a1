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
	atomic_int stopping;
	atomic_long live_calls;       /* calls taken, not yet freed */
};

/* Posts one request for method midx (or RPC_CATCH_ALL) on cq number cqi. */
int rpc_call_arm(struct rpc_server *s, size_t midx, unsigned cqi);

/* Delivers one completion-queue event for a tag made by rpc_call. */
void rpc_call_event(void *tag, int ok);

#endif
