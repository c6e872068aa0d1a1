/* The three call shapes of the client on grpc core: unary, server-streaming
 * (cc_reader) and client-streaming (cc_writer). A unary call plucks its
 * completion on its thread's own pluck completion queue, created on the
 * thread's first call and kept until the thread exits (or it closes a
 * client), so a call costs no queue set-up; a stream, which may move
 * between threads, has a queue of its own. No queue is shared between
 * threads, so a shared channel needs no locking here. */
#include "cc_client.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include "cc_call_internal.h"

/* Large enough for a run with tens of thousands of standings. */
#define CC_MAX_RECEIVE (256 * 1024 * 1024)

struct cc_client {
	grpc_channel *ch;
	char *target;
	int64_t timeout_ms;
	/* "authorization: Bearer TOKEN" on every call, when a token was
	 * given (count 0 otherwise). */
	grpc_metadata auth;
	size_t nauth;
};

static void cc_thread_cq_drop(void);

int cc_st_set(cc_status_t *st, int code, const char *fmt, ...)
{
	if (st) {
		st->code = code;
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(st->message, sizeof(st->message), fmt, ap);
		va_end(ap);
	}
	return code;
}

int cc_client_open_opts(cc_client_t **out, const char *addr,
                        const cc_conn_opts_t *o, char *err, size_t errlen)
{
	*out = NULL;
	if (!addr || !*addr) {
		if (err && errlen)
			snprintf(err, errlen, "empty server address");
		return CC_INVALID_ARGUMENT;
	}
	grpc_init();
	grpc_channel_credentials *cred;
	char *bearer;
	int rc = cc_conn_setup(o, &cred, &bearer, err, errlen);
	if (rc != CC_OK) {
		grpc_shutdown();
		return rc;
	}
	cc_client_t *c = calloc(1, sizeof(*c));
	if (c)
		c->target = strdup(addr);
	if (!c || !c->target) {
		free(c);
		free(bearer);
		grpc_channel_credentials_release(cred);
		grpc_shutdown();
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		return CC_RESOURCE_EXHAUSTED;
	}
	if (bearer) {
		c->auth.key = grpc_slice_from_static_string("authorization");
		c->auth.value = grpc_slice_from_copied_string(bearer);
		c->nauth = 1;
		memset(bearer, 0, strlen(bearer));
		free(bearer);
	}
	grpc_arg args[2];
	size_t nargs = 0;
	args[nargs].type = GRPC_ARG_INTEGER;
	args[nargs].key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
	args[nargs++].value.integer = CC_MAX_RECEIVE;
	if (o && o->tls_server_name && *o->tls_server_name) {
		args[nargs].type = GRPC_ARG_STRING;
		args[nargs].key = (char *)GRPC_SSL_TARGET_NAME_OVERRIDE_ARG;
		args[nargs++].value.string = (char *)o->tls_server_name;
	}
	grpc_channel_args cargs = { nargs, args };
	c->ch = grpc_channel_create(addr, cred, &cargs);
	grpc_channel_credentials_release(cred);
	c->timeout_ms = CC_DEFAULT_TIMEOUT_MS;
	*out = c;
	return CC_OK;
}

int cc_client_open(cc_client_t **out, const char *addr, char *err,
                   size_t errlen)
{
	return cc_client_open_opts(out, addr, NULL, err, errlen);
}

void cc_client_close(cc_client_t *c)
{
	if (!c)
		return;
	grpc_channel_destroy(c->ch);
	if (c->nauth)
		grpc_slice_unref(c->auth.value);
	free(c->target);
	free(c);
	cc_thread_cq_drop();
	grpc_shutdown();
}

void cc_client_set_timeout(cc_client_t *c, int64_t timeout_ms)
{
	c->timeout_ms = timeout_ms;
}

const char *cc_client_target(const cc_client_t *c)
{
	return c->target;
}

void cc_msg_free(void *msg)
{
	if (msg)
		protobuf_c_message_free_unpacked(msg, NULL);
}

/* ---- the calling thread's completion queue (unary calls) ---- */

static pthread_key_t cc_cq_key;
static pthread_once_t cc_cq_once = PTHREAD_ONCE_INIT;
static int cc_cq_key_ok;

/* Shuts a pluck queue down and destroys it; nothing may be pending. */
static void cc_cq_drop(grpc_completion_queue *cq)
{
	grpc_completion_queue_shutdown(cq);
	while (grpc_completion_queue_pluck(cq, NULL,
	                                   gpr_inf_future(GPR_CLOCK_REALTIME),
	                                   NULL).type != GRPC_QUEUE_SHUTDOWN)
		;
	grpc_completion_queue_destroy(cq);
}

/* Thread exit: the queue, then the gRPC reference it held. */
static void cc_cq_release(void *p)
{
	cc_cq_drop(p);
	grpc_shutdown();
}

static void cc_cq_key_make(void)
{
	cc_cq_key_ok = pthread_key_create(&cc_cq_key, cc_cq_release) == 0;
}

/* The calling thread's queue; NULL when none can be kept (the caller then
 * makes one for the call). The queue holds a grpc_init reference, so it
 * outlives any client. */
static grpc_completion_queue *cc_thread_cq(void)
{
	pthread_once(&cc_cq_once, cc_cq_key_make);
	if (!cc_cq_key_ok)
		return NULL;
	grpc_completion_queue *cq = pthread_getspecific(cc_cq_key);
	if (cq)
		return cq;
	grpc_init();
	cq = grpc_completion_queue_create_for_pluck(NULL);
	if (pthread_setspecific(cc_cq_key, cq) != 0) {
		cc_cq_drop(cq);
		grpc_shutdown();
		return NULL;
	}
	return cq;
}

/* Drops the calling thread's queue, if it has one (cc_client_close: a
 * program that closes its last client leaves no gRPC state behind). */
static void cc_thread_cq_drop(void)
{
	if (!cc_cq_key_ok)
		return;
	grpc_completion_queue *cq = pthread_getspecific(cc_cq_key);
	if (cq) {
		pthread_setspecific(cc_cq_key, NULL);
		cc_cq_release(cq);
	}
}

/* ---- one call ---- */

typedef struct cc_call {
	grpc_completion_queue *cq;
	grpc_call *call;
	grpc_metadata_array md_initial;
	grpc_metadata_array md_trailing;
	grpc_status_code status;
	grpc_slice details;
	const char *error_string;
	int status_pending;  /* the RECV_STATUS batch is outstanding */
	int status_done;
	int got_initial;
	int own_cq;          /* the queue is this call's, not its thread's */
	/* Tags: distinct addresses, one per kind of outstanding batch. */
	char tag_op, tag_status;
} cc_call_t;

static gpr_timespec cc_deadline(const cc_client_t *c, const cc_opts_t *o)
{
	int64_t ms = o && o->timeout_ms ? o->timeout_ms : c->timeout_ms;
	if (ms < 0)
		return gpr_inf_future(GPR_CLOCK_MONOTONIC);
	return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
	                    gpr_time_from_millis(ms, GPR_TIMESPAN));
}

/* SEND_INITIAL_METADATA with the client's token, if it has one. gRPC
 * copies the metadata when the batch starts. */
static void cc_initial_md(const cc_client_t *c, grpc_op *op)
{
	op->op = GRPC_OP_SEND_INITIAL_METADATA;
	op->data.send_initial_metadata.count = c->nauth;
	op->data.send_initial_metadata.metadata =
		c->nauth ? (grpc_metadata *)&c->auth : NULL;
}

/* thread_cq: the call starts and ends within one function call on this
 * thread (unary), so it may use the thread's queue. */
static cc_call_t *cc_call_start(cc_client_t *c, const cc_opts_t *o,
                                const char *method, int thread_cq,
                                cc_status_t *st)
{
	cc_call_t *k = calloc(1, sizeof(*k));
	if (!k) {
		cc_st_set(st, CC_RESOURCE_EXHAUSTED, "out of memory");
		return NULL;
	}
	k->cq = thread_cq ? cc_thread_cq() : NULL;
	if (!k->cq) {
		k->cq = grpc_completion_queue_create_for_pluck(NULL);
		k->own_cq = 1;
	}
	grpc_slice m = grpc_slice_from_copied_string(method);
	k->call = grpc_channel_create_call(c->ch, NULL, GRPC_PROPAGATE_DEFAULTS,
	                                   k->cq, m, NULL, cc_deadline(c, o),
	                                   NULL);
	grpc_slice_unref(m);
	grpc_metadata_array_init(&k->md_initial);
	grpc_metadata_array_init(&k->md_trailing);
	k->details = grpc_empty_slice();
	if (!k->call) {
		if (k->own_cq)
			cc_cq_drop(k->cq);
		grpc_metadata_array_destroy(&k->md_initial);
		grpc_metadata_array_destroy(&k->md_trailing);
		free(k);
		cc_st_set(st, CC_INTERNAL, "cannot create a call to %s", method);
		return NULL;
	}
	return k;
}

static int cc_wait(cc_call_t *k, void *tag)
{
	grpc_event ev = grpc_completion_queue_pluck(
		k->cq, tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
	return ev.type == GRPC_OP_COMPLETE && ev.success;
}

/* Starts a batch and waits for it; 1 when it succeeded. */
static int cc_batch(cc_call_t *k, const grpc_op *ops, size_t n)
{
	if (grpc_call_start_batch(k->call, ops, n, &k->tag_op, NULL) !=
	    GRPC_CALL_OK)
		return 0;
	return cc_wait(k, &k->tag_op);
}

static int cc_status_start(cc_call_t *k)
{
	grpc_op op;
	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	op.data.recv_status_on_client.trailing_metadata = &k->md_trailing;
	op.data.recv_status_on_client.status = &k->status;
	op.data.recv_status_on_client.status_details = &k->details;
	op.data.recv_status_on_client.error_string = &k->error_string;
	if (grpc_call_start_batch(k->call, &op, 1, &k->tag_status, NULL) !=
	    GRPC_CALL_OK)
		return 0;
	k->status_pending = 1;
	return 1;
}

/* Waits for the status and copies it into st; returns the code. */
static int cc_status_finish(cc_call_t *k, cc_status_t *st)
{
	if (k->status_pending) {
		cc_wait(k, &k->tag_status);
		k->status_pending = 0;
		k->status_done = 1;
	}
	if (!k->status_done)
		return cc_st_set(st, CC_INTERNAL, "call status not received");
	size_t len = GRPC_SLICE_LENGTH(k->details);
	if (len)
		return cc_st_set(st, (int)k->status, "%.*s", (int)len,
		                 (const char *)GRPC_SLICE_START_PTR(k->details));
	if (k->status != GRPC_STATUS_OK && k->error_string)
		return cc_st_set(st, (int)k->status, "%s", k->error_string);
	return cc_st_set(st, (int)k->status, "%s", "");
}

static void cc_call_destroy(cc_call_t *k)
{
	if (k->status_pending) {
		grpc_call_cancel(k->call, NULL);
		cc_wait(k, &k->tag_status);
	}
	grpc_call_unref(k->call);
	/* A thread's queue has nothing left on it: every batch of the call
	 * was plucked above. */
	if (k->own_cq)
		cc_cq_drop(k->cq);
	grpc_metadata_array_destroy(&k->md_initial);
	grpc_metadata_array_destroy(&k->md_trailing);
	grpc_slice_unref(k->details);
	if (k->error_string)
		gpr_free((void *)k->error_string);
	free(k);
}

static grpc_byte_buffer *cc_encode(const ProtobufCMessage *m)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	grpc_slice s = grpc_slice_malloc(n);
	protobuf_c_message_pack(m, GRPC_SLICE_START_PTR(s));
	grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
	grpc_slice_unref(s);
	return bb;
}

/* Consumes bb. NULL when it does not decode as desc. alloc NULL = the
 * default allocator. */
static ProtobufCMessage *cc_decode_alloc(grpc_byte_buffer *bb,
                                         const ProtobufCMessageDescriptor *desc,
                                         ProtobufCAllocator *alloc)
{
	grpc_byte_buffer_reader r;
	ProtobufCMessage *m = NULL;
	if (grpc_byte_buffer_reader_init(&r, bb)) {
		grpc_slice s = grpc_byte_buffer_reader_readall(&r);
		grpc_byte_buffer_reader_destroy(&r);
		m = protobuf_c_message_unpack(desc, alloc, GRPC_SLICE_LENGTH(s),
		                              GRPC_SLICE_START_PTR(s));
		grpc_slice_unref(s);
	}
	grpc_byte_buffer_destroy(bb);
	return m;
}

static ProtobufCMessage *cc_decode(grpc_byte_buffer *bb,
                                   const ProtobufCMessageDescriptor *desc)
{
	return cc_decode_alloc(bb, desc, NULL);
}

/* ---- unary ---- */

int cc_call_unary(cc_client_t *c, const cc_opts_t *o, const char *method,
                  const ProtobufCMessage *req,
                  const ProtobufCMessageDescriptor *resp_desc,
                  ProtobufCMessage **resp, cc_status_t *st)
{
	return cc_call_unary_alloc(c, o, method, req, resp_desc, NULL, resp,
	                           st);
}

int cc_call_unary_raw(cc_client_t *c, const cc_opts_t *o, const char *method,
                      const ProtobufCMessage *req, cc_inflight_t *fl,
                      grpc_byte_buffer **resp, cc_status_t *st)
{
	*resp = NULL;
	cc_call_t *k = cc_call_start(c, o, method, 1, st);
	if (!k)
		return st ? st->code : CC_INTERNAL;
	if (fl) {
		pthread_mutex_lock(&fl->mu);
		if (fl->cancelled)
			grpc_call_cancel(k->call, NULL);
		else
			fl->call = k->call;
		pthread_mutex_unlock(&fl->mu);
	}
	grpc_byte_buffer *out = cc_encode(req), *in = NULL;
	grpc_op ops[6];
	memset(ops, 0, sizeof(ops));
	cc_initial_md(c, &ops[0]);
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = out;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[3].data.recv_initial_metadata.recv_initial_metadata = &k->md_initial;
	ops[4].op = GRPC_OP_RECV_MESSAGE;
	ops[4].data.recv_message.recv_message = &in;
	ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[5].data.recv_status_on_client.trailing_metadata = &k->md_trailing;
	ops[5].data.recv_status_on_client.status = &k->status;
	ops[5].data.recv_status_on_client.status_details = &k->details;
	ops[5].data.recv_status_on_client.error_string = &k->error_string;
	int ok = cc_batch(k, ops, 6);
	grpc_byte_buffer_destroy(out);
	if (fl) {
		pthread_mutex_lock(&fl->mu);
		fl->call = NULL;
		pthread_mutex_unlock(&fl->mu);
	}
	int rc;
	if (!ok) {
		rc = cc_st_set(st, CC_INTERNAL, "call to %s failed", method);
	} else {
		k->status_done = 1;
		rc = cc_status_finish(k, st);
	}
	if (rc == CC_OK && !in)
		rc = cc_st_set(st, CC_INTERNAL,
		               "%s: OK status without a response", method);
	if (rc == CC_OK)
		*resp = in;
	else if (in)
		grpc_byte_buffer_destroy(in);
	cc_call_destroy(k);
	return rc;
}

void cc_inflight_cancel(cc_inflight_t *fl)
{
	pthread_mutex_lock(&fl->mu);
	fl->cancelled = 1;
	if (fl->call)
		grpc_call_cancel(fl->call, NULL);
	pthread_mutex_unlock(&fl->mu);
}

int cc_bb_copy(grpc_byte_buffer *bb, uint8_t **buf, size_t *cap,
               size_t *len)
{
	grpc_byte_buffer_reader r;
	grpc_slice s;
	size_t need = grpc_byte_buffer_length(bb), n = 0;
	*len = 0;
	if (need > *cap) {
		uint8_t *nb = realloc(*buf, need);
		if (!nb)
			return -1;
		*buf = nb;
		*cap = need;
	}
	if (!grpc_byte_buffer_reader_init(&r, bb))
		return -1;
	while (grpc_byte_buffer_reader_next(&r, &s)) {
		size_t l = GRPC_SLICE_LENGTH(s);
		if (l > need - n) {
			grpc_slice_unref(s);
			grpc_byte_buffer_reader_destroy(&r);
			return -1;
		}
		memcpy(*buf + n, GRPC_SLICE_START_PTR(s), l);
		n += l;
		grpc_slice_unref(s);
	}
	grpc_byte_buffer_reader_destroy(&r);
	*len = n;
	return 0;
}

int cc_call_unary_alloc(cc_client_t *c, const cc_opts_t *o,
                        const char *method, const ProtobufCMessage *req,
                        const ProtobufCMessageDescriptor *resp_desc,
                        ProtobufCAllocator *alloc, ProtobufCMessage **resp,
                        cc_status_t *st)
{
	grpc_byte_buffer *in = NULL;
	*resp = NULL;
	int rc = cc_call_unary_raw(c, o, method, req, NULL, &in, st);
	if (rc == CC_OK && !(*resp = cc_decode_alloc(in, resp_desc, alloc)))
		rc = cc_st_set(st, CC_INTERNAL, "%s: response is not a valid %s",
		               method, resp_desc->name);
	return rc;
}

/* ---- server streaming ---- */

struct cc_reader {
	cc_call_t *k;
	const ProtobufCMessageDescriptor *desc;
	int ended;
	int local_code;  /* a failure on our side overrides the status */
	char local_msg[256];
};

int cc_reader_open(cc_client_t *c, const cc_opts_t *o, const char *method,
                   const ProtobufCMessage *req,
                   const ProtobufCMessageDescriptor *msg_desc,
                   cc_reader_t **out, cc_status_t *st)
{
	*out = NULL;
	cc_reader_t *r = calloc(1, sizeof(*r));
	if (!r)
		return cc_st_set(st, CC_RESOURCE_EXHAUSTED, "out of memory");
	r->desc = msg_desc;
	if (!(r->k = cc_call_start(c, o, method, 0, st))) {
		free(r);
		return st ? st->code : CC_INTERNAL;
	}
	grpc_byte_buffer *bb = cc_encode(req);
	grpc_op ops[3];
	memset(ops, 0, sizeof(ops));
	cc_initial_md(c, &ops[0]);
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = bb;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	int ok = cc_status_start(r->k) && cc_batch(r->k, ops, 3);
	grpc_byte_buffer_destroy(bb);
	if (!ok) {
		int rc = cc_status_finish(r->k, st);
		if (rc == CC_OK)
			rc = cc_st_set(st, CC_INTERNAL, "%s: request not sent",
			               method);
		cc_call_destroy(r->k);
		free(r);
		return rc;
	}
	*out = r;
	return cc_st_set(st, CC_OK, "%s", "");
}

int cc_reader_next(cc_reader_t *r, ProtobufCMessage **msg)
{
	*msg = NULL;
	if (r->ended)
		return 0;
	grpc_byte_buffer *bb = NULL;
	grpc_op ops[2];
	size_t n = 0;
	memset(ops, 0, sizeof(ops));
	if (!r->k->got_initial) {
		ops[n].op = GRPC_OP_RECV_INITIAL_METADATA;
		ops[n++].data.recv_initial_metadata.recv_initial_metadata =
			&r->k->md_initial;
		r->k->got_initial = 1;
	}
	ops[n].op = GRPC_OP_RECV_MESSAGE;
	ops[n++].data.recv_message.recv_message = &bb;
	if (!cc_batch(r->k, ops, n) || !bb) {
		if (bb)
			grpc_byte_buffer_destroy(bb);
		r->ended = 1;
		return 0;
	}
	if (!(*msg = cc_decode(bb, r->desc))) {
		r->local_code = CC_INTERNAL;
		snprintf(r->local_msg, sizeof(r->local_msg),
		         "stream message is not a valid %s", r->desc->name);
		grpc_call_cancel(r->k->call, NULL);
		r->ended = 1;
		return 0;
	}
	return 1;
}

int cc_reader_close(cc_reader_t *r, cc_status_t *st)
{
	if (!r)
		return cc_st_set(st, CC_INTERNAL, "no stream");
	if (!r->ended && !r->local_code) {
		r->local_code = CC_CANCELLED;
		snprintf(r->local_msg, sizeof(r->local_msg),
		         "stream cancelled by the client");
		grpc_call_cancel(r->k->call, NULL);
	}
	int rc = cc_status_finish(r->k, st);
	if (r->local_code)
		rc = cc_st_set(st, r->local_code, "%s", r->local_msg);
	cc_call_destroy(r->k);
	free(r);
	return rc;
}

/* ---- client streaming ---- */

struct cc_writer {
	cc_call_t *k;
	const ProtobufCMessageDescriptor *desc;
	int failed;
};

int cc_writer_open(cc_client_t *c, const cc_opts_t *o, const char *method,
                   const ProtobufCMessageDescriptor *resp_desc,
                   cc_writer_t **out, cc_status_t *st)
{
	*out = NULL;
	cc_writer_t *w = calloc(1, sizeof(*w));
	if (!w)
		return cc_st_set(st, CC_RESOURCE_EXHAUSTED, "out of memory");
	w->desc = resp_desc;
	if (!(w->k = cc_call_start(c, o, method, 0, st))) {
		free(w);
		return st ? st->code : CC_INTERNAL;
	}
	grpc_op op;
	memset(&op, 0, sizeof(op));
	cc_initial_md(c, &op);
	if (!cc_status_start(w->k) || !cc_batch(w->k, &op, 1)) {
		int rc = cc_status_finish(w->k, st);
		if (rc == CC_OK)
			rc = cc_st_set(st, CC_INTERNAL, "%s: stream not opened",
			               method);
		cc_call_destroy(w->k);
		free(w);
		return rc;
	}
	*out = w;
	return cc_st_set(st, CC_OK, "%s", "");
}

int cc_writer_write(cc_writer_t *w, const ProtobufCMessage *msg,
                    cc_status_t *st)
{
	if (w->failed)
		return cc_st_set(st, CC_FAILED_PRECONDITION,
		                 "the stream has already failed");
	grpc_byte_buffer *bb = cc_encode(msg);
	grpc_op op;
	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_SEND_MESSAGE;
	op.data.send_message.send_message = bb;
	int ok = cc_batch(w->k, &op, 1);
	grpc_byte_buffer_destroy(bb);
	if (ok)
		return CC_OK;
	/* A failed send means the call is over; its status says why. */
	w->failed = 1;
	int rc = cc_status_finish(w->k, st);
	if (rc == CC_OK)
		rc = cc_st_set(st, CC_ABORTED,
		               "the server ended the stream early");
	return rc;
}

int cc_writer_finish(cc_writer_t *w, ProtobufCMessage **resp,
                     cc_status_t *st)
{
	*resp = NULL;
	grpc_byte_buffer *bb = NULL;
	grpc_op ops[3];
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[1].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[1].data.recv_initial_metadata.recv_initial_metadata =
		&w->k->md_initial;
	ops[2].op = GRPC_OP_RECV_MESSAGE;
	ops[2].data.recv_message.recv_message = &bb;
	/* Succeeds or not, the status that follows tells the outcome. */
	cc_batch(w->k, ops, 3);
	int rc = cc_status_finish(w->k, st);
	if (rc == CC_OK) {
		if (!bb)
			rc = cc_st_set(st, CC_INTERNAL,
			               "OK status without a response");
		else if (!(*resp = cc_decode(bb, w->desc)))
			rc = cc_st_set(st, CC_INTERNAL,
			               "response is not a valid %s",
			               w->desc->name);
		bb = NULL;
	}
	if (bb)
		grpc_byte_buffer_destroy(bb);
	cc_call_destroy(w->k);
	free(w);
	return rc;
}

void cc_writer_abort(cc_writer_t *w)
{
	if (!w)
		return;
	grpc_call_cancel(w->k->call, NULL);
	cc_call_destroy(w->k);
	free(w);
}
