#include "rpc_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc.h>
#include <grpc/support/time.h>

#include "cd_error.h"
#include "log.h"
#include "rpc_tls.h"
#include "rpc_transport.h"

#define RPC_REQUESTS_DEFAULT 8
#define RPC_CATCH_ALL_REQUESTS 4

static void *worker(void *arg)
{
	grpc_completion_queue *cq = arg;
	for (;;) {
		grpc_event ev = grpc_completion_queue_next(
			cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
		if (ev.type == GRPC_QUEUE_SHUTDOWN)
			break;
		if (ev.type == GRPC_OP_COMPLETE)
			rpc_call_event(ev.tag, ev.success);
	}
	return NULL;
}

static int arm_all(rpc_server_t *s, unsigned per_method, char *err,
                   size_t errlen)
{
	for (unsigned q = 0; q < s->ncq; q++) {
		for (size_t m = 0; m < s->nmethods; m++)
			for (unsigned i = 0; i < per_method; i++)
				if (rpc_call_arm(s, m, q) != CD_OK)
					return cd_fail(err, errlen, CD_EINTERNAL,
					               "cannot post a request for "
					               "%s", s->methods[m].path);
		for (unsigned i = 0; i < RPC_CATCH_ALL_REQUESTS; i++)
			if (rpc_call_arm(s, RPC_CATCH_ALL, q) != CD_OK)
				return cd_fail(err, errlen, CD_EINTERNAL,
				               "cannot post the catch-all "
				               "request");
	}
	return CD_OK;
}

/* TLS: gRPC's own listener, which resolves and binds as rpc_listen does
 * (every address of the host, one port for all when 0 is asked for). */
static int add_tls_port(rpc_server_t *s, const rpc_server_opts_t *o,
                        char *err, size_t errlen)
{
	grpc_server_credentials *creds = rpc_tls_server_credentials(o->tls);
	if (!creds)
		return cd_fail(err, errlen, CD_EINTERNAL, "cannot create the "
		               "TLS server credentials");
	s->port = grpc_server_add_http2_port(s->server, o->listen, creds);
	grpc_server_credentials_release(creds);
	if (s->port <= 0)
		return cd_fail(err, errlen, CD_EIO, "cannot listen on %s with "
		               "TLS (address in use or invalid?)", o->listen);
	log_msg(LOG_INFO, "TLS%s on gRPC's listener: --max-connections and "
	        "the out-of-descriptors handling of clusterd's own listener "
	        "do not apply", rpc_tls_mutual(o->tls) ? " with client "
	        "certificates (mutual TLS)" : "");
	return CD_OK;
}

int rpc_server_create(rpc_server_t **out, const rpc_server_opts_t *o,
                      char *err, size_t errlen)
{
	*out = NULL;
	rpc_server_t *s = calloc(1, sizeof(*s));
	if (!s)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	pthread_mutex_init(&s->answer_mu, NULL);
	s->ncq = o->threads ? o->threads : 1;
	s->env = o->env;
	s->auth = o->auth;
	s->metrics = o->metrics;
	s->mtls = o->tls && rpc_tls_mutual(o->tls);
	s->read_only = o->read_only;
	s->primary = o->primary ? o->primary : "";
	s->methods = rpc_method_table(&s->nmethods);
	atomic_init(&s->stopping, 0);
	atomic_init(&s->live_calls, 0);
	s->cqs = calloc(s->ncq, sizeof(*s->cqs));
	s->workers = calloc(s->ncq, sizeof(*s->workers));
	s->handles = calloc(s->nmethods, sizeof(*s->handles));
	if (!s->cqs || !s->workers || !s->handles) {
		rpc_server_destroy(s);
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	}

	grpc_arg args[2];
	size_t nargs = 0;
	/* gRPC's listener (TLS) would set SO_REUSEPORT, letting a second
	 * server start on a busy port (docs/service.md). */
	args[nargs].type = GRPC_ARG_INTEGER;
	args[nargs].key = GRPC_ARG_ALLOW_REUSEPORT;
	args[nargs].value.integer = 0;
	nargs++;
	if (o->max_message_bytes) {
		args[nargs].type = GRPC_ARG_INTEGER;
		args[nargs].key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
		args[nargs].value.integer = (int)o->max_message_bytes;
		nargs++;
	}
	grpc_channel_args cargs = {nargs, args};
	s->server = grpc_server_create(&cargs, NULL);

	for (size_t m = 0; m < s->nmethods; m++) {
		/* A client or bidirectional stream's first message is read
		 * by the handler, not with the call. */
		grpc_server_register_method_payload_handling ph =
			RPC_SHAPE_READS(s->methods[m].shape)
				? GRPC_SRM_PAYLOAD_NONE
				: GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER;
		s->handles[m] = grpc_server_register_method(
			s->server, s->methods[m].path, NULL, ph, 0);
		if (!s->handles[m]) {
			rpc_server_destroy(s);
			return cd_fail(err, errlen, CD_EINTERNAL, "cannot "
			               "register %s", s->methods[m].path);
		}
	}
	for (unsigned q = 0; q < s->ncq; q++) {
		s->cqs[q] = grpc_completion_queue_create_for_next(NULL);
		grpc_server_register_completion_queue(s->server, s->cqs[q],
		                                      NULL);
	}
	s->shutdown_cq = grpc_completion_queue_create_for_next(NULL);
	grpc_server_register_completion_queue(s->server, s->shutdown_cq, NULL);

	/* Bound before start so that a busy port fails start-up; nothing
	 * is accepted until the workers run. */
	int rc = o->tls ? add_tls_port(s, o, err, errlen)
	                : rpc_listen_bind(&s->listen, o->listen,
	                                  o->max_connections, err, errlen);
	if (rc != CD_OK) {
		rpc_server_destroy(s);
		return rc;
	}
	if (s->listen)
		s->port = rpc_listen_port(s->listen);

	grpc_server_start(s->server);
	rc = arm_all(s, o->requests ? o->requests : RPC_REQUESTS_DEFAULT,
	             err, errlen);
	for (unsigned q = 0; rc == CD_OK && q < s->ncq; q++) {
		if (pthread_create(&s->workers[q], NULL, worker, s->cqs[q]))
			rc = cd_fail(err, errlen, CD_EINTERNAL, "cannot start "
			             "worker thread %u", q);
		else
			s->nworkers++;
	}
	if (rc == CD_OK && s->listen)
		rc = rpc_listen_start(s->listen, s->server, err, errlen);
	if (rc != CD_OK) {
		rpc_server_destroy(s);
		return rc;
	}
	*out = s;
	return CD_OK;
}

int rpc_server_port(const rpc_server_t *s)
{
	return s->port;
}

int rpc_server_listen_stats(rpc_server_t *s, rpc_listen_stats_t *out)
{
	if (!s->listen)
		return 0;
	rpc_listen_stats_swept(s->listen, out);
	return 1;
}

void rpc_server_shutdown(rpc_server_t *s, unsigned grace_ms)
{
	if (!s->server || atomic_exchange(&s->stopping, 1))
		return;
	/* First: no connection may be added to a server shutting down. */
	rpc_listen_stop(s->listen);
	static char shutdown_tag;
	grpc_server_shutdown_and_notify(s->server, s->shutdown_cq,
	                                &shutdown_tag);
	/* Streams that only end when their client says so (reflection)
	 * end now, rather than when the grace period is over. */
	rpc_call_end_answering(s);
	gpr_timespec grace = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
	                                  gpr_time_from_millis(grace_ms,
	                                                       GPR_TIMESPAN));
	grpc_event ev = grpc_completion_queue_next(s->shutdown_cq, grace,
	                                           NULL);
	if (ev.type == GRPC_QUEUE_TIMEOUT) {
		log_msg(LOG_WARN, "grace period of %u ms over; cancelling the "
		        "calls still running", grace_ms);
		grpc_server_cancel_all_calls(s->server);
		ev = grpc_completion_queue_next(
			s->shutdown_cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
	}
}

void rpc_server_destroy(rpc_server_t *s)
{
	if (!s)
		return;
	if (s->server && !atomic_load(&s->stopping)) {
		/* No graceful shutdown was asked for (or start failed half-
		 * way): cancel at once; posted requests fail on their
		 * queues. */
		atomic_store(&s->stopping, 1);
		rpc_listen_stop(s->listen);
		static char tag;
		grpc_server_shutdown_and_notify(s->server, s->shutdown_cq,
		                                &tag);
		grpc_server_cancel_all_calls(s->server);
		grpc_completion_queue_next(s->shutdown_cq,
		                           gpr_inf_future(GPR_CLOCK_REALTIME),
		                           NULL);
	}
	if (s->server)
		grpc_server_destroy(s->server);
	for (unsigned q = 0; q < s->ncq; q++)
		if (s->cqs && s->cqs[q])
			grpc_completion_queue_shutdown(s->cqs[q]);
	for (unsigned q = 0; q < s->nworkers; q++)
		pthread_join(s->workers[q], NULL);
	/* Queues without a worker (failed start) are drained here. */
	for (unsigned q = s->nworkers; q < s->ncq; q++) {
		if (!s->cqs || !s->cqs[q])
			continue;
		worker(s->cqs[q]);
	}
	for (unsigned q = 0; q < s->ncq; q++)
		if (s->cqs && s->cqs[q])
			grpc_completion_queue_destroy(s->cqs[q]);
	if (s->shutdown_cq) {
		grpc_completion_queue_shutdown(s->shutdown_cq);
		while (grpc_completion_queue_next(
			       s->shutdown_cq, gpr_inf_future(GPR_CLOCK_REALTIME),
			       NULL).type != GRPC_QUEUE_SHUTDOWN)
			;
		grpc_completion_queue_destroy(s->shutdown_cq);
	}
	if (atomic_load(&s->live_calls))
		log_msg(LOG_WARN, "%ld calls still referenced at exit",
		        (long)atomic_load(&s->live_calls));
	if (s->listen) {
		rpc_listen_stats_t ls;
		rpc_listen_stats(s->listen, &ls);
		log_msg(ls.refused_cap || ls.refused_fds ? LOG_WARN : LOG_INFO,
		        "connections: %llu accepted, %llu closed at the cap "
		        "of %u, %llu closed out of descriptors",
		        (unsigned long long)ls.accepted,
		        (unsigned long long)ls.refused_cap, ls.max_connections,
		        (unsigned long long)ls.refused_fds);
	}
	/* After the workers: call logs look peers up in it. */
	rpc_listen_destroy(s->listen);
	free(s->cqs);
	free(s->workers);
	free(s->handles);
	pthread_mutex_destroy(&s->answer_mu);
	free(s);
}
