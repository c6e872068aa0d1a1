#include "rpc_call.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include "cd_error.h"
#include "log.h"
#include "rpc_auth.h"
#include "cd_wire.h"
#include "google/rpc/error_details.pb-c.h"
#include "google/rpc/status.pb-c.h"
#include "rpc_status.h"
#include "rpc_tls_peer.h"
#include "rpc_transport.h"
#include "srv_metrics.h"

/* gRPC orders a batch's start before its completion event, but Debian's
 * libgrpc is not instrumented and TSan cannot see that: without these,
 * what a thread writes before starting a batch (the status, the buffers)
 * and the completion-queue thread reads after the event is reported as a
 * race. The tag is the synchronisation object. */
#if defined(__SANITIZE_THREAD__)
#define RPC_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)  /* clang's spelling */
#define RPC_TSAN 1
#endif
#endif
#ifdef RPC_TSAN
#include <sanitizer/tsan_interface.h>
#define TAG_RELEASE(t) __tsan_release(t)
#define TAG_ACQUIRE(t) __tsan_acquire(t)
#else
#define TAG_RELEASE(t) ((void)(t))
#define TAG_ACQUIRE(t) ((void)(t))
#endif

typedef enum tag_kind {
	TAG_REQUEST = 0,
	TAG_CLOSE,
	TAG_SEND,
	TAG_RECV,
	TAG_FINISH,
} tag_kind;

typedef struct rpc_tag {
	rpc_call_t *call;
	tag_kind kind;
} rpc_tag_t;

struct rpc_call {
	struct rpc_server *srv;
	size_t midx;                  /* RPC_CATCH_ALL for unknown methods */
	unsigned cqi;
	grpc_call *call;
	gpr_timespec deadline;
	grpc_call_details details;    /* catch-all only */
	grpc_metadata_array md;
	grpc_byte_buffer *payload;    /* first message, unary/server stream */
	/* The request's type, once rpc_call_decode saw it: error details
	 * name fields by their path in it. */
	const ProtobufCMessageDescriptor *req_desc;
	grpc_slice req;               /* payload flattened */
	int has_req;

	atomic_int refs;
	atomic_int cancelled;
	int close_cancelled;          /* out-param of RECV_CLOSE_ON_SERVER */
	int close_posted;             /* RECV_CLOSE_ON_SERVER is under way */
	int md_sent;
	int finished;
	int counted;                  /* in flight for the metrics */
	struct timespec start;

	rpc_tag_t t_request, t_close, t_send, t_recv, t_finish;
	grpc_byte_buffer *send_buf, *recv_buf, *fin_buf;
	rpc_recv_fn on_recv;
	rpc_sent_fn on_sent;
	rpc_close_fn on_close;
	rpc_answer_fn answer;         /* rpc_call_answer_each */
	uint64_t answered;            /* requests answered so far */
	/* On the server's list of streams being answered (answer_mu). */
	struct rpc_call *an_prev, *an_next;
	int an_listed;
	int an_receiving;             /* a receive is posted (answer_mu) */

	grpc_status_code status;
	grpc_slice status_details;
	int has_details;
	grpc_metadata trailer;        /* grpc-status-details-bin */
	int has_trailer;

	void *ctx;
	void (*ctx_free)(void *);

	/* Set by authenticate() before the handler runs, then read-only. */
	char principal[RPC_AUTH_NAME_MAX + 1];
	unsigned roles;               /* as declared in the tokens file */
};

const char *rpc_call_principal(const rpc_call_t *c)
{
	return c->principal[0] ? c->principal : "anonymous";
}

unsigned rpc_call_roles(const rpc_call_t *c)
{
	return rpc_auth_effective(c->roles);
}

int rpc_call_blinded(const rpc_call_t *c)
{
	return rpc_auth_blinded(c->roles);
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static uint64_t ns_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	int64_t ns = (int64_t)(t.tv_sec - t0->tv_sec) * 1000000000 +
	             (t.tv_nsec - t0->tv_nsec);
	return ns > 0 ? (uint64_t)ns : 0;
}

static void call_free(rpc_call_t *c)
{
	/* A call that never finished (a batch refused) leaves the gauge. */
	if (c->counted)
		srv_metrics_call_gone(c->srv->metrics, c->midx);
	if (c->ctx_free)
		c->ctx_free(c->ctx);
	if (c->call)
		grpc_call_unref(c->call);
	grpc_metadata_array_destroy(&c->md);
	if (c->midx == RPC_CATCH_ALL)
		grpc_call_details_destroy(&c->details);
	if (c->payload)
		grpc_byte_buffer_destroy(c->payload);
	if (c->has_req)
		grpc_slice_unref(c->req);
	if (c->has_details)
		grpc_slice_unref(c->status_details);
	if (c->has_trailer) {
		grpc_slice_unref(c->trailer.key);
		grpc_slice_unref(c->trailer.value);
	}
	if (c->send_buf)
		grpc_byte_buffer_destroy(c->send_buf);
	if (c->recv_buf)
		grpc_byte_buffer_destroy(c->recv_buf);
	if (c->fin_buf)
		grpc_byte_buffer_destroy(c->fin_buf);
	atomic_fetch_sub(&c->srv->live_calls, 1);
	free(c);
}

void rpc_call_ref(rpc_call_t *c)
{
	atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
}

void rpc_call_unref(rpc_call_t *c)
{
	if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1)
		call_free(c);
}

int rpc_call_arm(struct rpc_server *s, size_t midx, unsigned cqi)
{
	rpc_call_t *c = calloc(1, sizeof(*c));
	if (!c)
		return CD_ENOMEM;
	c->srv = s;
	c->midx = midx;
	c->cqi = cqi;
	atomic_init(&c->refs, 1);
	atomic_init(&c->cancelled, 0);
	c->t_request = (rpc_tag_t){c, TAG_REQUEST};
	c->t_close = (rpc_tag_t){c, TAG_CLOSE};
	c->t_send = (rpc_tag_t){c, TAG_SEND};
	c->t_recv = (rpc_tag_t){c, TAG_RECV};
	c->t_finish = (rpc_tag_t){c, TAG_FINISH};
	grpc_metadata_array_init(&c->md);
	atomic_fetch_add(&s->live_calls, 1);

	grpc_completion_queue *cq = s->cqs[cqi];
	grpc_call_error e;
	if (midx == RPC_CATCH_ALL) {
		grpc_call_details_init(&c->details);
		TAG_RELEASE(&c->t_request);
		e = grpc_server_request_call(s->server, &c->call, &c->details,
		                             &c->md, cq, cq, &c->t_request);
	} else {
		int payload = !RPC_SHAPE_READS(s->methods[midx].shape);
		TAG_RELEASE(&c->t_request);
		e = grpc_server_request_registered_call(
			s->server, s->handles[midx], &c->call, &c->deadline,
			&c->md, payload ? &c->payload : NULL, cq, cq,
			&c->t_request);
	}
	if (e != GRPC_CALL_OK) {
		call_free(c);
		return CD_EINTERNAL;
	}
	return CD_OK;
}

/* ------------------------------------------------------------ accessors */

const rpc_method_t *rpc_call_method(const rpc_call_t *c)
{
	return c->midx == RPC_CATCH_ALL ? NULL : &c->srv->methods[c->midx];
}

void *rpc_call_env(const rpc_call_t *c)
{
	return c->srv->env;
}

const uint8_t *rpc_call_request(const rpc_call_t *c, size_t *len)
{
	if (!c->has_req) {
		*len = 0;
		return NULL;
	}
	*len = GRPC_SLICE_LENGTH(c->req);
	return GRPC_SLICE_START_PTR(c->req);
}

ProtobufCMessage *rpc_call_decode(rpc_call_t *c,
                                  const ProtobufCMessageDescriptor *desc)
{
	size_t len;
	const uint8_t *buf = rpc_call_request(c, &len);
	char err[512], path[256];
	c->req_desc = desc;
	/* Before protobuf-c sees them: its C strings would hide a NUL, and
	 * it keeps fields it does not know (see cd_wire.h). */
	int rc = cd_wire_check(desc, buf, len, path, sizeof(path), err,
	                       sizeof(err));
	ProtobufCMessage *m = rc == CD_OK
		? protobuf_c_message_unpack(desc, NULL, len, buf) : NULL;
	if (rc != CD_OK && rc != CD_EINVAL) {
		rpc_call_fail_field(c, rc, path, err);
	} else if (!m) {
		char msg[768];
		snprintf(msg, sizeof(msg), "request is not a valid %s "
		         "message%s%s", desc->name, rc == CD_OK ? "" : ": ",
		         rc == CD_OK ? "" : err);
		rpc_call_fail_field(c, CD_EINVAL, rc == CD_OK ? "" : path, msg);
	}
	return m;
}

int rpc_call_cancelled(const rpc_call_t *c)
{
	if (atomic_load(&c->cancelled))
		return 1;
	gpr_timespec now = gpr_now(GPR_CLOCK_MONOTONIC);
	gpr_timespec dl = gpr_convert_clock_type(c->deadline,
	                                         GPR_CLOCK_MONOTONIC);
	return gpr_time_cmp(now, dl) > 0;
}

void rpc_call_cancel(rpc_call_t *c, int cd_code, const char *msg)
{
	char clean[512];
	rpc_status_clean(msg ? msg : "", clean, sizeof(clean));
	atomic_store(&c->cancelled, 1);
	grpc_call_cancel_with_status(c->call, rpc_status_from_cd(cd_code),
	                             clean, NULL);
}

void rpc_call_set_ctx(rpc_call_t *c, void *ctx, void (*free_fn)(void *))
{
	c->ctx = ctx;
	c->ctx_free = free_fn;
}

void *rpc_call_ctx(const rpc_call_t *c)
{
	return c->ctx;
}

void rpc_call_on_close(rpc_call_t *c, rpc_close_fn fn)
{
	c->on_close = fn;
}

/* ---------------------------------------------------------------- batches */

static int start(rpc_call_t *c, const grpc_op *ops, size_t n, rpc_tag_t *t)
{
	rpc_call_ref(c);
	TAG_RELEASE(t);
	grpc_call_error e = grpc_call_start_batch(c->call, ops, n, t, NULL);
	if (e != GRPC_CALL_OK) {
		/* Only a broken contract (overlapping batches) gets here. */
		log_msg(LOG_ERROR, "grpc_call_start_batch: error %d on %s",
		        (int)e, rpc_call_method(c) ? rpc_call_method(c)->path
		                                   : "unknown method");
		rpc_call_unref(c);
		return CD_EINTERNAL;
	}
	return CD_OK;
}

static grpc_byte_buffer *buffer_take(uint8_t *msg, size_t len)
{
	grpc_slice s;
	if (len == 0) {
		free(msg);
		s = grpc_empty_slice();
	} else {
		s = grpc_slice_new(msg, len, free);
	}
	grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
	grpc_slice_unref(s);
	return bb;
}

int rpc_call_recv(rpc_call_t *c, rpc_recv_fn fn)
{
	grpc_op op;
	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_RECV_MESSAGE;
	op.data.recv_message.recv_message = &c->recv_buf;
	c->on_recv = fn;
	return start(c, &op, 1, &c->t_recv);
}

int rpc_call_send(rpc_call_t *c, uint8_t *msg, size_t len, rpc_sent_fn fn)
{
	grpc_op ops[2];
	size_t n = 0;
	memset(ops, 0, sizeof(ops));
	if (!c->md_sent) {
		ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
		c->md_sent = 1;
	}
	c->send_buf = buffer_take(msg, len);
	srv_metrics_msg_sent(c->srv->metrics, c->midx);
	ops[n].op = GRPC_OP_SEND_MESSAGE;
	ops[n++].data.send_message.send_message = c->send_buf;
	c->on_sent = fn;
	return start(c, ops, n, &c->t_send);
}

static int pack(const ProtobufCMessage *m, uint8_t **buf, size_t *len)
{
	*len = protobuf_c_message_get_packed_size(m);
	*buf = malloc(*len ? *len : 1);
	if (!*buf)
		return CD_ENOMEM;
	protobuf_c_message_pack(m, *buf);
	return CD_OK;
}

int rpc_call_send_msg(rpc_call_t *c, const ProtobufCMessage *m,
                      rpc_sent_fn fn)
{
	uint8_t *buf;
	size_t len;
	if (pack(m, &buf, &len) != CD_OK)
		return CD_ENOMEM;
	return rpc_call_send(c, buf, len, fn);
}

/* rpc_call_end with the response as a byte buffer (taken; NULL = none). */
static void end_bb(rpc_call_t *c, int cd_code, const char *msg,
                   grpc_byte_buffer *resp)
{
	grpc_status_code code = rpc_status_from_cd(cd_code);
	grpc_op ops[4];
	size_t n = 0;

	if (c->finished) {
		if (resp)
			grpc_byte_buffer_destroy(resp);
		return;
	}
	c->finished = 1;
	memset(ops, 0, sizeof(ops));
	if (!c->md_sent) {
		ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
		c->md_sent = 1;
	}
	if (resp) {
		srv_metrics_msg_sent(c->srv->metrics, c->midx);
		c->fin_buf = resp;
		ops[n].op = GRPC_OP_SEND_MESSAGE;
		ops[n++].data.send_message.send_message = c->fin_buf;
	}
	c->status = code;
	ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
	ops[n].data.send_status_from_server.status = code;
	if (msg && *msg) {
		c->status_details = grpc_slice_from_copied_string(msg);
		c->has_details = 1;
		ops[n].data.send_status_from_server.status_details =
			&c->status_details;
	}
	if (c->has_trailer) {
		ops[n].data.send_status_from_server.trailing_metadata_count = 1;
		ops[n].data.send_status_from_server.trailing_metadata =
			&c->trailer;
	}
	n++;
	if (!c->close_posted) {
		/* Short unary call: learn of the close with the reply. */
		ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
		ops[n++].data.recv_close_on_server.cancelled =
			&c->close_cancelled;
		c->close_posted = 1;
	}
	start(c, ops, n, &c->t_finish);
}

void rpc_call_end(rpc_call_t *c, int cd_code, const char *msg, int has_resp,
                  uint8_t *resp, size_t len)
{
	if (has_resp && c->finished) {
		free(resp);
		return;
	}
	end_bb(c, cd_code, msg, has_resp ? buffer_take(resp, len) : NULL);
}

/* --------------------------------------------- request, answer, repeat */

/* A stream being answered is on its server's list (answer_mu) from the
 * handler until it ends, so that shutdown can end it: a client may keep a
 * reflection stream open, idle, for as long as it likes. The list's
 * lock also orders the loop's receives with shutdown: c->an_receiving
 * (a receive is posted and its message not yet taken) and c->finished
 * for such a call change only under it. */

static int deadline_passed(const rpc_call_t *c);
static void answer_recv(rpc_call_t *c, rpc_recv_result res,
                        const uint8_t *buf, size_t len);

static void answer_unlist(rpc_call_t *c)
{
	struct rpc_server *s = c->srv;
	int was;
	pthread_mutex_lock(&s->answer_mu);
	was = c->an_listed;
	if (was) {
		if (c->an_prev)
			c->an_prev->an_next = c->an_next;
		else
			s->answering = c->an_next;
		if (c->an_next)
			c->an_next->an_prev = c->an_prev;
		c->an_prev = c->an_next = NULL;
		c->an_listed = 0;
	}
	pthread_mutex_unlock(&s->answer_mu);
	/* The caller holds a reference of its own (the event's, or the
	 * handler's), so c outlives this. */
	if (was)
		rpc_call_unref(c);
}

/* Ends a stream being answered: the status, then off the list. */
static void answer_end(rpc_call_t *c, int cd_code, const char *msg)
{
	if (cd_code == CD_OK)
		rpc_call_end(c, CD_OK, NULL, 0, NULL, 0);
	else
		rpc_call_fail(c, cd_code, msg);
	answer_unlist(c);
}

void rpc_call_end_answering(struct rpc_server *s)
{
	/* A stream waiting for its client's next request gets its status
	 * now: a send-status batch while the receive is pending, which gRPC
	 * allows; the receive then completes and answer_recv finds the call
	 * finished. A stream busy answering ends when it would receive
	 * again (answer_receive). */
	pthread_mutex_lock(&s->answer_mu);
	for (rpc_call_t *c = s->answering; c; c = c->an_next)
		if (c->an_receiving && !c->finished)
			rpc_call_fail(c, CD_EUNAVAIL, "server is shutting down");
	pthread_mutex_unlock(&s->answer_mu);
}

/* Asks for the next request, unless the server is shutting down. */
static void answer_receive(rpc_call_t *c)
{
	struct rpc_server *s = c->srv;
	int rc = CD_OK;
	pthread_mutex_lock(&s->answer_mu);
	int stopping = atomic_load(&s->stopping);
	if (!stopping) {
		c->an_receiving = 1;
		rc = rpc_call_recv(c, answer_recv);
		if (rc != CD_OK)
			c->an_receiving = 0;
	}
	pthread_mutex_unlock(&s->answer_mu);
	if (stopping)
		answer_end(c, CD_EUNAVAIL, "server is shutting down");
	else if (rc != CD_OK)
		answer_end(c, CD_EINTERNAL, "cannot receive the next request");
}

/* Why the stream cannot go on: the client's cancellation, a broken
 * connection, a message over the limit (gRPC answered those itself) or
 * the deadline. gRPC core does not say which; the deadline is named only
 * when it has certainly passed (gRPC's own timer may fire a moment before
 * this clock says so). The call is over already, so the log line says
 * CANCELLED; the message tells the rest. */
static void answer_stop(rpc_call_t *c)
{
	char msg[200];
	int dl = deadline_passed(c);
	snprintf(msg, sizeof(msg), "stream cut off after %llu requests "
	         "answered: %s", (unsigned long long)c->answered, dl
	         ? "the deadline passed" : "the client cancelled, the "
	         "connection broke, the deadline passed or a request was over "
	         "the receive limit");
	answer_end(c, dl ? CD_EDEADLINE : CD_ECANCELLED, msg);
}

static void answer_sent(rpc_call_t *c, int ok)
{
	if (!ok || rpc_call_cancelled(c)) {
		answer_stop(c);
		return;
	}
	c->answered++;
	answer_receive(c);
}

static void answer_recv(rpc_call_t *c, rpc_recv_result res,
                        const uint8_t *buf, size_t len)
{
	struct rpc_server *s = c->srv;
	pthread_mutex_lock(&s->answer_mu);
	c->an_receiving = 0;
	int ended = c->finished;  /* by shutdown, while receiving */
	pthread_mutex_unlock(&s->answer_mu);
	if (ended) {
		answer_unlist(c);
		return;
	}
	if (res == RPC_RECV_END) {
		answer_end(c, CD_OK, NULL);
		return;
	}
	if (res != RPC_RECV_MSG || rpc_call_cancelled(c)) {
		answer_stop(c);
		return;
	}
	uint8_t *resp = NULL;
	size_t rlen = 0;
	char err[512] = "";
	int rc = c->answer(c, buf, len, &resp, &rlen, err, sizeof(err));
	if (rc != CD_OK) {
		free(resp);
		answer_end(c, rc, err);
		return;
	}
	if (rpc_call_send(c, resp, rlen, answer_sent) != CD_OK)
		answer_end(c, CD_EINTERNAL, "cannot send the answer");
}

void rpc_call_answer_each(rpc_call_t *c, rpc_answer_fn fn)
{
	struct rpc_server *s = c->srv;
	c->answer = fn;
	rpc_call_ref(c);  /* the list's */
	pthread_mutex_lock(&s->answer_mu);
	c->an_prev = NULL;
	c->an_next = s->answering;
	if (c->an_next)
		c->an_next->an_prev = c;
	s->answering = c;
	c->an_listed = 1;
	pthread_mutex_unlock(&s->answer_mu);
	answer_receive(c);
}

/* ------------------------------------------------------- pooled replies */

/* Large replies built in place (ListStandings pages, a few MiB each) take
 * their memory from a few blocks kept from call to call: a fresh buffer
 * that large is mmap'd by malloc, and every one of its pages faults in
 * (and is zeroed by the kernel) as the reply is written. */
#define POOL_KEEP 4                  /* blocks kept when idle */
#define POOL_BLOCK_MAX (32u << 20)   /* larger blocks are not kept */
#define POOL_ROUND (1u << 20)

typedef struct pool_block {
	struct pool_block *next;
	size_t cap;
	max_align_t data[];
} pool_block_t;

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pool_block_t *pool_free;
static unsigned pool_n;

static pool_block_t *pool_block_of(uint8_t *p)
{
	return (pool_block_t *)(void *)(p - offsetof(pool_block_t, data));
}

uint8_t *rpc_call_buf_alloc(size_t len)
{
	pool_block_t *b = NULL, **pp;
	pthread_mutex_lock(&pool_mu);
	for (pp = &pool_free; *pp; pp = &(*pp)->next)
		if ((*pp)->cap >= len) {
			b = *pp;
			*pp = b->next;
			pool_n--;
			break;
		}
	pthread_mutex_unlock(&pool_mu);
	if (!b) {
		if (len > SIZE_MAX - POOL_ROUND - sizeof(*b))
			return NULL;
		size_t cap = (len + POOL_ROUND - 1) / POOL_ROUND * POOL_ROUND;
		if (!(b = malloc(sizeof(*b) + (cap ? cap : POOL_ROUND))))
			return NULL;
		b->cap = cap ? cap : POOL_ROUND;
	}
	return (uint8_t *)b->data;
}

void rpc_call_buf_free(uint8_t *buf)
{
	if (!buf)
		return;
	pool_block_t *b = pool_block_of(buf);
	/* Freed by gRPC's thread that drops the slice: the writes of the
	 * thread that filled it happened before (rpc_call_reply_buf). */
	TAG_ACQUIRE(b);
	pthread_mutex_lock(&pool_mu);
	if (pool_n < POOL_KEEP && b->cap <= POOL_BLOCK_MAX) {
		b->next = pool_free;
		pool_free = b;
		pool_n++;
		b = NULL;
	}
	pthread_mutex_unlock(&pool_mu);
	free(b);
}

static void pool_slice_free(void *buf)
{
	rpc_call_buf_free(buf);
}

void rpc_call_reply_buf(rpc_call_t *c, uint8_t *buf, size_t len)
{
	/* gRPC hands the slice to the thread that frees it through
	 * synchronisation TSan cannot see. */
	if (buf)
		TAG_RELEASE(pool_block_of(buf));
	grpc_slice s = len ? grpc_slice_new_with_user_data(buf, len,
	                                                   pool_slice_free,
	                                                   buf)
	                   : grpc_empty_slice();
	if (!len)
		rpc_call_buf_free(buf);
	grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
	grpc_slice_unref(s);
	end_bb(c, CD_OK, NULL, bb);
}

void rpc_call_reply_packed(rpc_call_t *c, uint8_t *resp, size_t len)
{
	rpc_call_end(c, CD_OK, NULL, 1, resp, len);
}

void rpc_call_reply(rpc_call_t *c, const ProtobufCMessage *m)
{
	uint8_t *buf;
	size_t len;
	if (pack(m, &buf, &len) != CD_OK) {
		rpc_call_fail(c, CD_ENOMEM, "out of memory encoding the reply");
		return;
	}
	rpc_call_reply_packed(c, buf, len);
}

/* ---------------------------------------------------------- error details */

void rpc_call_msg_field(const char *msg, char *field, size_t cap)
{
	const char *colon = strstr(msg, ": ");
	size_t n = colon ? (size_t)(colon - msg) : 0;
	if (n >= cap || memchr(msg, ' ', n))
		n = 0;
	memcpy(field, msg, n);
	field[n] = '\0';
}

static const ProtobufCFieldDescriptor *field_named(
	const ProtobufCMessageDescriptor *d, const char *name, size_t len)
{
	for (unsigned i = 0; i < d->n_fields; i++)
		if (strlen(d->fields[i].name) == len &&
		    !memcmp(d->fields[i].name, name, len))
			return &d->fields[i];
	return NULL;
}

int rpc_call_field_resolve(const ProtobufCMessageDescriptor *desc,
                           const char *path, char *out, size_t cap)
{
	size_t len = strcspn(path, ".[");
	int n = -1;
	if (cap == 0)
		return 0;
	out[0] = '\0';
	if (!desc || !len)
		return 0;
	if (field_named(desc, path, len)) {
		n = snprintf(out, cap, "%s", path);
	} else {
		/* A message about the resource names its fields from the
		 * resource: the request field holding it goes in front. */
		for (unsigned i = 0; n < 0 && i < desc->n_fields; i++) {
			const ProtobufCFieldDescriptor *f = &desc->fields[i];
			if (f->type == PROTOBUF_C_TYPE_MESSAGE &&
			    f->label != PROTOBUF_C_LABEL_REPEATED &&
			    field_named(f->descriptor, path, len))
				n = snprintf(out, cap, "%s.%s", f->name, path);
		}
	}
	if (n < 0 || (size_t)n >= cap) {
		out[0] = '\0';
		return 0;
	}
	return 1;
}

int rpc_call_status_details(int code, const char *msg, const char *field,
                            const char *description, uint8_t **out,
                            size_t *len)
{
	Google__Rpc__BadRequest__FieldViolation v =
		GOOGLE__RPC__BAD_REQUEST__FIELD_VIOLATION__INIT;
	Google__Rpc__BadRequest__FieldViolation *vp = &v;
	Google__Rpc__BadRequest br = GOOGLE__RPC__BAD_REQUEST__INIT;
	Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
	Google__Protobuf__Any *anyp = &any;
	Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;
	uint8_t *inner = NULL;

	*out = NULL;
	*len = 0;
	st.code = code;
	st.message = (char *)(msg ? msg : "");
	if (field && *field) {
		v.field = (char *)field;
		v.description = (char *)(description ? description : "");
		br.n_field_violations = 1;
		br.field_violations = &vp;
		any.value.len = google__rpc__bad_request__get_packed_size(&br);
		if (!(inner = malloc(any.value.len ? any.value.len : 1)))
			return CD_ENOMEM;
		google__rpc__bad_request__pack(&br, inner);
		any.value.data = inner;
		any.type_url = "type.googleapis.com/google.rpc.BadRequest";
		st.n_details = 1;
		st.details = &anyp;
	}
	*len = google__rpc__status__get_packed_size(&st);
	*out = malloc(*len ? *len : 1);
	if (*out)
		google__rpc__status__pack(&st, *out);
	free(inner);
	return *out ? CD_OK : CD_ENOMEM;
}

/* INVALID_ARGUMENT: the trailer "grpc-status-details-bin" with the packed
 * google.rpc.Status (gRPC core base64-encodes -bin values on the wire). The
 * field violation names field, or else the field msg starts with, by its
 * path in the request; its description is msg after that path. */
static void attach_details(rpc_call_t *c, int cd_code, const char *field,
                           const char *msg)
{
	grpc_status_code code = rpc_status_from_cd(cd_code);
	char named[256], full[320];
	uint8_t *buf;
	size_t len;

	if (code != GRPC_STATUS_INVALID_ARGUMENT || c->finished ||
	    c->has_trailer)
		return;
	rpc_call_msg_field(msg, named, sizeof(named));
	if (!rpc_call_field_resolve(c->req_desc, field && *field ? field
	                                                           : named,
	                            full, sizeof(full)))
		full[0] = '\0';
	const char *desc = named[0] ? msg + strlen(named) + 2 : msg;
	if (rpc_call_status_details((int)code, msg, full, desc, &buf, &len))
		return; /* the status alone still goes out */
	c->trailer.key = grpc_slice_from_static_string(
		"grpc-status-details-bin");
	c->trailer.value = grpc_slice_new(buf, len, free);
	c->has_trailer = 1;
}

void rpc_call_fail_field(rpc_call_t *c, int cd_code, const char *field,
                        const char *msg)
{
	/* Messages often quote client input: make them safe to send. */
	char clean[600];
	if (msg && *msg)
		rpc_status_clean(msg, clean, sizeof(clean));
	else
		snprintf(clean, sizeof(clean), "failed (%s)", cd_err_name(cd_code));
	attach_details(c, cd_code, field, clean);
	rpc_call_end(c, cd_code, clean, 0, NULL, 0);
}

void rpc_call_fail(rpc_call_t *c, int cd_code, const char *msg)
{
	rpc_call_fail_field(c, cd_code, NULL, msg);
}

int rpc_call_refuse(rpc_call_t *c, int rc, const char *err,
                    ProtobufCMessage *req)
{
	if (rc == CD_OK)
		return 0;
	rpc_call_fail(c, rc, err);
	if (req)
		protobuf_c_message_free_unpacked(req, NULL);
	return 1;
}

int rpc_call_page_size(int32_t page_size, char *err, size_t errlen)
{
	if (page_size < 0)
		return cd_fail(err, errlen, CD_EINVAL,
		               "page_size: %d is negative", (int)page_size);
	return CD_OK;
}

/* ----------------------------------------------------------------- events */

static void log_finished(rpc_call_t *c, int ok)
{
	grpc_status_code st = ok ? c->status : GRPC_STATUS_CANCELLED;
	log_level lvl = st == GRPC_STATUS_OK ? LOG_INFO
	              : st == GRPC_STATUS_INTERNAL ||
	                st == GRPC_STATUS_DATA_LOSS ||
	                st == GRPC_STATUS_UNKNOWN ? LOG_ERROR : LOG_INFO;
	if (!log_enabled(lvl))
		return;
	char method[256];
	const rpc_method_t *m = rpc_call_method(c);
	if (m) {
		snprintf(method, sizeof(method), "%s", m->path);
	} else {
		size_t n = GRPC_SLICE_LENGTH(c->details.method);
		if (n >= sizeof(method))
			n = sizeof(method) - 1;
		memcpy(method, GRPC_SLICE_START_PTR(c->details.method), n);
		method[n] = '\0';
	}
	char detail[512] = "";
	if (c->has_details) {
		size_t n = GRPC_SLICE_LENGTH(c->status_details);
		if (n >= sizeof(detail))
			n = sizeof(detail) - 1;
		memcpy(detail, GRPC_SLICE_START_PTR(c->status_details), n);
		detail[n] = '\0';
	}
	char *peer = grpc_call_get_peer(c->call);
	char addr[64];
	log_call(lvl, method, rpc_status_name(st), ms_since(&c->start),
	         rpc_listen_peer(c->srv->listen, peer, addr, sizeof(addr)),
	         rpc_call_principal(c), detail);
	gpr_free(peer);
}

static int deadline_passed(const rpc_call_t *c)
{
	gpr_timespec now = gpr_now(GPR_CLOCK_MONOTONIC);
	return gpr_time_cmp(now, gpr_convert_clock_type(
		c->deadline, GPR_CLOCK_MONOTONIC)) > 0;
}

/* The name in the verified client certificate of the call's connection
 * (rpc_tls_peer_principal: the CN, else the first SAN), into out: 1 when
 * there is one, else 0. Only a server that asks for client certificates
 * has any; others skip gRPC's per-call auth context. */
static int cert_principal(const rpc_call_t *c, char *out, size_t cap)
{
	if (cap)
		out[0] = '\0';
	if (!c->srv->mtls)
		return 0;
	return rpc_tls_peer_principal(c->call, out, cap) == CD_OK;
}

/* Who the call is made as and whether it may call m (rpc_auth_check);
 * fails the call when not. The principal is kept for the log line either
 * way. */
static int authenticate(rpc_call_t *c, const rpc_method_t *m)
{
	rpc_auth_who_t who;
	char cert[RPC_AUTH_NAME_MAX + 1], err[300];

	if (!c->srv->auth) {
		c->roles = RPC_ROLE_READER | RPC_ROLE_EDITOR | RPC_ROLE_ADMIN;
		return CD_OK;
	}
	int rc = rpc_auth_check(c->srv->auth, &c->md,
	                        cert_principal(c, cert, sizeof(cert)) ? cert
	                                                              : NULL,
	                        m, &who, err, sizeof(err));
	memcpy(c->principal, who.name, sizeof(c->principal));
	c->roles = who.roles;
	if (rc != CD_OK)
		rpc_call_fail(c, rc, err);
	return rc;
}

static void dispatch(rpc_call_t *c)
{
	const rpc_method_t *m = rpc_call_method(c);

	if (authenticate(c, m) != CD_OK)
		return;
	if (!m) {
		char msg[320];
		snprintf(msg, sizeof(msg), "unknown method %.*s",
		         (int)GRPC_SLICE_LENGTH(c->details.method),
		         (const char *)GRPC_SLICE_START_PTR(c->details.method));
		rpc_call_fail(c, CD_EUNIMPL, msg);
		return;
	}
	if (log_enabled(LOG_DEBUG)) {
		/* Who a client certificate says the caller is (mutual TLS);
		 * the log escapes it. */
		char who[256];
		if (rpc_tls_peer_principal(c->call, who, sizeof(who)) == CD_OK)
			log_msg(LOG_DEBUG, "call %s: client certificate "
			        "principal \"%s\"", m->path, who);
	}
	if (deadline_passed(c)) {
		rpc_call_fail(c, CD_EDEADLINE, "deadline passed before the call "
		              "could run");
		return;
	}
	if (m->writes && c->srv->read_only) {
		/* Before the handler: nothing of the call is looked at. */
		char msg[400];
		const char *name = strrchr(m->path, '/');
		snprintf(msg, sizeof(msg), "%s: this server is a read-only "
		         "replica; send writes to the primary%s%s",
		         name ? name + 1 : m->path,
		         c->srv->primary[0] ? " at " : "", c->srv->primary);
		rpc_call_fail(c, CD_EPRECONDITION, msg);
		return;
	}
	if (!m->handler) {
		rpc_call_fail(c, CD_EUNIMPL, "not implemented yet");
		return;
	}
	if (!RPC_SHAPE_READS(m->shape)) {
		grpc_byte_buffer_reader r;
		if (!c->payload) {
			/* The client half-closed without a message, or the
			 * message was refused (too large); in the latter case
			 * the client already has its status. */
			rpc_call_fail(c, CD_EINVAL, "request message missing");
			return;
		}
		if (!grpc_byte_buffer_reader_init(&r, c->payload)) {
			rpc_call_fail(c, CD_EINVAL, "request message could not "
			              "be decompressed");
			return;
		}
		c->req = grpc_byte_buffer_reader_readall(&r);
		c->has_req = 1;
		grpc_byte_buffer_reader_destroy(&r);
		grpc_byte_buffer_destroy(c->payload);
		c->payload = NULL;
	}
	m->handler(c);
}

static void on_request(rpc_call_t *c, int ok)
{
	if (!ok) {
		/* Shutdown fails pending requests; nothing to answer. */
		rpc_call_unref(c);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &c->start);
	if (c->midx == RPC_CATCH_ALL)
		c->deadline = c->details.deadline;
	if (c->srv->metrics) {
		c->counted = 1;
		srv_metrics_call_start(c->srv->metrics, c->midx);
		if (c->payload)
			srv_metrics_msg_received(c->srv->metrics, c->midx);
	}
	/* Re-arm first, so the next call of this method does not wait for
	 * this one's handler. */
	if (!atomic_load(&c->srv->stopping))
		rpc_call_arm(c->srv, c->midx, c->cqi);

	const rpc_method_t *m = rpc_call_method(c);
	if (m && (m->shape != RPC_UNARY || m->watch_close)) {
		grpc_op op;
		memset(&op, 0, sizeof(op));
		op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
		op.data.recv_close_on_server.cancelled = &c->close_cancelled;
		c->close_posted = 1;
		start(c, &op, 1, &c->t_close);
	}

	dispatch(c);
	rpc_call_unref(c); /* the request's reference */
}

static void on_recv(rpc_call_t *c, int ok)
{
	grpc_byte_buffer *bb = c->recv_buf;
	rpc_recv_fn fn = c->on_recv;
	c->recv_buf = NULL;
	c->on_recv = NULL;

	if (!ok || !bb) {
		int end = ok && !grpc_call_failed_before_recv_message(c->call);
		if (bb)
			grpc_byte_buffer_destroy(bb);
		fn(c, end ? RPC_RECV_END : RPC_RECV_FAIL, NULL, 0);
		return;
	}
	grpc_byte_buffer_reader r;
	if (!grpc_byte_buffer_reader_init(&r, bb)) {
		grpc_byte_buffer_destroy(bb);
		fn(c, RPC_RECV_FAIL, NULL, 0);
		return;
	}
	grpc_slice s = grpc_byte_buffer_reader_readall(&r);
	grpc_byte_buffer_reader_destroy(&r);
	grpc_byte_buffer_destroy(bb);
	srv_metrics_msg_received(c->srv->metrics, c->midx);
	fn(c, RPC_RECV_MSG, GRPC_SLICE_START_PTR(s), GRPC_SLICE_LENGTH(s));
	grpc_slice_unref(s);
}

void rpc_call_event(void *tag, int ok)
{
	rpc_tag_t *t = tag;
	TAG_ACQUIRE(t);
	rpc_call_t *c = t->call;

	switch (t->kind) {
	case TAG_REQUEST:
		on_request(c, ok);
		return;
	case TAG_CLOSE:
		if (c->close_cancelled || !ok)
			atomic_store(&c->cancelled, 1);
		if (c->on_close)
			c->on_close(c);
		break;
	case TAG_SEND: {
		rpc_sent_fn fn = c->on_sent;
		c->on_sent = NULL;
		grpc_byte_buffer_destroy(c->send_buf);
		c->send_buf = NULL;
		if (fn)
			fn(c, ok);
		break;
	}
	case TAG_RECV:
		on_recv(c, ok);
		break;
	case TAG_FINISH:
		log_finished(c, ok);
		if (c->counted) {
			c->counted = 0;
			srv_metrics_call_end(c->srv->metrics, c->midx,
			                     ok ? (int)c->status
			                        : GRPC_STATUS_CANCELLED,
			                     ns_since(&c->start));
		}
		break;
	}
	rpc_call_unref(c);
}
