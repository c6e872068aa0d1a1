#include "rpc_write.h"

#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "rpc_judge.h"
#include "srv_commit.h"
#include "srv_env.h"

typedef struct rpc_write {
	srv_commit_job_t job;
	store_op_t op;
	rpc_call_t *call;
	ProtobufCMessage *req;
} rpc_write_t;

static int is_delete(store_op_kind k)
{
	return k == STORE_CLUSTER_DELETE || k == STORE_COMPETITION_DELETE ||
	       k == STORE_RUN_DELETE;
}

static void write_free(rpc_write_t *w)
{
	store_cluster_free(w->op.cluster_out);
	store_competition_free(w->op.competition_out);
	free(w->op.packed_out);
	protobuf_c_message_free_unpacked(w->req, NULL);
	free(w);
}

static void write_done(srv_commit_job_t *job, int txn_rc)
{
	rpc_write_t *w = job->arg;
	rpc_call_t *c = w->call;
	store_op_t *op = &w->op;

	(void)txn_rc; /* also in op->rc */
	if (op->rc != CD_OK) {
		rpc_call_fail(c, op->rc, op->err);
	} else if (is_delete(op->kind)) {
		/* The delete responses are empty messages: zero bytes. */
		rpc_call_reply_packed(c, NULL, 0);
	} else if (op->packed_out) {
		/* The record as stored is the reply: no decode, no encode
		 * (but a judge's view hides other judges' assessments). */
		if (rpc_judge_view_packed(c, &op->packed_out,
		                          &op->packed_out_len) != CD_OK) {
			rpc_call_fail(c, CD_ENOMEM, "out of memory");
		} else {
			rpc_call_reply_packed(c, op->packed_out,
			                      op->packed_out_len);
			op->packed_out = NULL;
		}
	} else if (op->cluster_out) {
		rpc_call_reply(c, &op->cluster_out->base);
	} else if (op->competition_out) {
		rpc_call_reply(c, &op->competition_out->base);
	} else {
		rpc_call_fail(c, CD_EINTERNAL, "the store returned no record");
	}
	write_free(w);
	rpc_call_unref(c);
}

void rpc_write_audit(rpc_call_t *c, store_op_t *op)
{
	const char *path = rpc_call_method(c)->path;
	const char *slash = strrchr(path, '/');
	op->principal = rpc_call_principal(c);
	op->method = slash ? slash + 1 : path;
}

void rpc_write_submit(rpc_call_t *c, ProtobufCMessage *req,
                      const store_op_t *op)
{
	srv_env_t *env = rpc_call_env(c);
	rpc_write_t *w = calloc(1, sizeof(*w));
	if (!w) {
		rpc_call_fail(c, CD_ENOMEM, "out of memory");
		protobuf_c_message_free_unpacked(req, NULL);
		return;
	}
	w->op = *op;
	if (!w->op.method)
		rpc_write_audit(c, &w->op);
	w->req = req;
	w->call = c;
	w->job.ops = &w->op;
	w->job.n = 1;
	w->job.done = write_done;
	w->job.arg = w;
	rpc_call_ref(c);
	if (srv_commit_submit(env->commit, &w->job) != CD_OK) {
		rpc_call_fail(c, CD_EUNAVAIL, "server is shutting down");
		write_free(w);
		rpc_call_unref(c);
	}
}

void rpc_write_delete(rpc_call_t *c, ProtobufCMessage *req,
                      store_op_kind kind, const char *id, const char *etag)
{
	char err[256] = "";
	int rc = store_validate_id(id, "id", err, sizeof(err));
	if (rpc_call_refuse(c, rc, err, req))
		return;
	store_op_t op = {.kind = kind, .id = id, .etag = etag};
	rpc_write_submit(c, req, &op);
}
