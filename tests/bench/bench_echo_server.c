/*
 * bench_echo_server — the baseline of the GetCluster benchmark: a bare gRPC
 * core server with one unary method that answers with the request's bytes.
 *
 * It uses the transport layout of clusterd (one completion queue per worker
 * thread, the method registered with GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER,
 * several pre-posted requests per queue, each re-armed before the reply is
 * sent) and nothing else: no store, no decoding, no logging.
 *
 * With --reply-bytes N it answers every call with the same N bytes instead,
 * so that a baseline can send replies as large as the server it is
 * compared with.
 *
 * Usage: bench_echo_server [--listen HOST:PORT] [--threads N]
 *                          [--port-file PATH] [--method /pkg.Svc/Method]
 *                          [--reply-bytes N]
 * Serves until SIGINT or SIGTERM.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>

#define REQUESTS_PER_QUEUE 8

typedef struct echo_call {
	int stage; /* 0: waiting for a call, 1: reply in flight */
	unsigned q;
	grpc_call *call;
	grpc_call_details details;
	grpc_metadata_array md;
	grpc_byte_buffer *req;
	grpc_byte_buffer *resp;
	int cancelled;
} echo_call_t;

static grpc_server *server;
static void *method_handle;
static grpc_completion_queue **cqs;

static void arm(unsigned q)
{
	echo_call_t *c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	c->q = q;
	grpc_metadata_array_init(&c->md);
	grpc_call_details_init(&c->details);
	if (grpc_server_request_registered_call(server, method_handle,
	                                        &c->call, &c->details.deadline,
	                                        &c->md, &c->req, cqs[q],
	                                        cqs[q], c) != GRPC_CALL_OK)
		abort();
}

static void release(echo_call_t *c)
{
	if (c->call)
		grpc_call_unref(c->call);
	if (c->req)
		grpc_byte_buffer_destroy(c->req);
	grpc_metadata_array_destroy(&c->md);
	grpc_call_details_destroy(&c->details);
	free(c);
}

/* --reply-bytes: one reply shared by every call (0 = echo the request). */
static size_t reply_n;
static grpc_slice reply_slice;

static void on_event(echo_call_t *c, int ok)
{
	if (c->stage == 1 || !ok) {
		release(c);
		return;
	}
	arm(c->q); /* re-arm before answering, as clusterd does */
	c->stage = 1;
	if (reply_n) {
		if (c->req)
			grpc_byte_buffer_destroy(c->req);
		c->req = grpc_raw_byte_buffer_create(&reply_slice, 1);
	}
	grpc_op ops[4];
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = c->req;
	ops[2].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
	ops[2].data.send_status_from_server.status = GRPC_STATUS_OK;
	ops[3].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
	ops[3].data.recv_close_on_server.cancelled = &c->cancelled;
	if (grpc_call_start_batch(c->call, ops, 4, c, NULL) != GRPC_CALL_OK)
		release(c);
}

static void *worker(void *arg)
{
	grpc_completion_queue *cq = arg;
	for (;;) {
		grpc_event ev = grpc_completion_queue_next(
			cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
		if (ev.type == GRPC_QUEUE_SHUTDOWN)
			break;
		if (ev.type == GRPC_OP_COMPLETE)
			on_event(ev.tag, ev.success);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const char *listen = "127.0.0.1:0";
	const char *port_file = NULL;
	const char *method = "/clusters.v1.ClusterRegistry/GetCluster";
	long threads = sysconf(_SC_NPROCESSORS_ONLN);
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--listen"))
			listen = argv[i + 1];
		else if (!strcmp(argv[i], "--threads"))
			threads = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--port-file"))
			port_file = argv[i + 1];
		else if (!strcmp(argv[i], "--method"))
			method = argv[i + 1];
		else if (!strcmp(argv[i], "--reply-bytes"))
			reply_n = strtoul(argv[i + 1], NULL, 10);
		else {
			fprintf(stderr, "bench_echo_server: unknown flag %s\n",
			        argv[i]);
			return 2;
		}
	}
	if (threads < 1 || threads > 256)
		threads = 1;
	unsigned nq = (unsigned)threads;

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	grpc_init();
	if (reply_n) {
		/* Field 1 (bytes-like) filling reply_n bytes: any payload
		 * will do for h2load, which does not decode it. */
		reply_slice = grpc_slice_malloc(reply_n);
		memset(GRPC_SLICE_START_PTR(reply_slice), 'x', reply_n);
	}
	grpc_arg args[1];
	args[0].type = GRPC_ARG_INTEGER;
	args[0].key = GRPC_ARG_ALLOW_REUSEPORT;
	args[0].value.integer = 0;
	grpc_channel_args cargs = {1, args};
	server = grpc_server_create(&cargs, NULL);
	method_handle = grpc_server_register_method(
		server, method, NULL, GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER,
		0);
	cqs = calloc(nq, sizeof(*cqs));
	pthread_t *workers = calloc(nq, sizeof(*workers));
	if (!method_handle || !cqs || !workers)
		return 1;
	for (unsigned q = 0; q < nq; q++) {
		cqs[q] = grpc_completion_queue_create_for_next(NULL);
		grpc_server_register_completion_queue(server, cqs[q], NULL);
	}
	grpc_completion_queue *scq = grpc_completion_queue_create_for_next(NULL);
	grpc_server_register_completion_queue(server, scq, NULL);
	grpc_server_credentials *creds =
		grpc_insecure_server_credentials_create();
	int port = grpc_server_add_http2_port(server, listen, creds);
	grpc_server_credentials_release(creds);
	if (port <= 0) {
		fprintf(stderr, "bench_echo_server: cannot listen on %s\n",
		        listen);
		return 1;
	}
	grpc_server_start(server);
	for (unsigned q = 0; q < nq; q++)
		for (int i = 0; i < REQUESTS_PER_QUEUE; i++)
			arm(q);
	for (unsigned q = 0; q < nq; q++)
		pthread_create(&workers[q], NULL, worker, cqs[q]);
	if (port_file) {
		char tmp[4096];
		snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
		FILE *f = fopen(tmp, "w");
		if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f) ||
		    rename(tmp, port_file))
			return 1;
	}
	fprintf(stderr, "bench_echo_server: listening on port %d, %u "
	        "threads\n", port, nq);

	int sig;
	sigwait(&set, &sig);

	static char tag;
	grpc_server_shutdown_and_notify(server, scq, &tag);
	grpc_server_cancel_all_calls(server);
	grpc_completion_queue_next(scq, gpr_inf_future(GPR_CLOCK_REALTIME),
	                           NULL);
	grpc_server_destroy(server);
	for (unsigned q = 0; q < nq; q++)
		grpc_completion_queue_shutdown(cqs[q]);
	for (unsigned q = 0; q < nq; q++) {
		pthread_join(workers[q], NULL);
		grpc_completion_queue_destroy(cqs[q]);
	}
	grpc_completion_queue_shutdown(scq);
	while (grpc_completion_queue_next(scq,
	                                  gpr_inf_future(GPR_CLOCK_REALTIME),
	                                  NULL).type != GRPC_QUEUE_SHUTDOWN)
		;
	grpc_completion_queue_destroy(scq);
	free(cqs);
	free(workers);
	grpc_shutdown();
	return 0;
}
