/* Create/Get/List/DeleteCompetition: decode, check, queue writes on the
 * group committer, read the store, reply. */
#include "rpc_competition.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "rpc_call.h"
#include "rpc_registry.h"
#include "srv_env.h"
#include "srv_eval.h"

typedef struct comp_write {
	srv_commit_job_t job;
	store_op_t op;
	rpc_call_t *call;
	ProtobufCMessage *req;
} comp_write_t;

static void write_done(srv_commit_job_t *job, int txn_rc)
{
	comp_write_t *w = job->arg;
	rpc_call_t *c = w->call;
	store_op_t *op = &w->op;
	(void)txn_rc; /* also in op->rc */
	if (op->rc != CD_OK) {
		rpc_call_fail(c, op->rc, op->err);
	} else if (op->kind == STORE_COMPETITION_DELETE) {
		Clusters__V1__DeleteCompetitionResponse r =
			CLUSTERS__V1__DELETE_COMPETITION_RESPONSE__INIT;
		rpc_call_reply(c, &r.base);
	} else if (op->competition_out) {
		rpc_call_reply(c, &op->competition_out->base);
	} else {
		rpc_call_fail(c, CD_EINTERNAL, "the store returned no record");
	}
	store_competition_free(op->competition_out);
	protobuf_c_message_free_unpacked(w->req, NULL);
	free(w);
	rpc_call_unref(c);
}

static void write_submit(rpc_call_t *c, ProtobufCMessage *req,
                         const store_op_t *op)
{
	srv_env_t *env = rpc_call_env(c);
	comp_write_t *w = calloc(1, sizeof(*w));
	if (!w) {
		rpc_call_fail(c, CD_ENOMEM, "out of memory");
		protobuf_c_message_free_unpacked(req, NULL);
		return;
	}
	w->op = *op;
	w->req = req;
	w->call = c;
	w->job.ops = &w->op;
	w->job.n = 1;
	w->job.done = write_done;
	w->job.arg = w;
	rpc_call_ref(c);
	if (srv_commit_submit(env->commit, &w->job) != CD_OK) {
		rpc_call_fail(c, CD_EUNAVAIL, "server is shutting down");
		protobuf_c_message_free_unpacked(req, NULL);
		free(w);
		rpc_call_unref(c);
	}
}

void rpc_competition_create(rpc_call_t *c)
{
	srv_env_t *env = rpc_call_env(c);
	char err[512] = "";
	Clusters__V1__CreateCompetitionRequest *req =
		(Clusters__V1__CreateCompetitionRequest *)rpc_call_decode(
			c, &clusters__v1__create_competition_request__descriptor);
	if (!req)
		return;
	const Clusters__V1__Competition *def = req->competition;
	int rc = CD_OK;
	if (!def) {
		rc = cd_fail(err, sizeof(err), CD_EINVAL,
		             "competition: required");
	} else {
		plugin_generation_t *gen =
			env->plugins ? plugin_registry_acquire(env->plugins)
			             : NULL;
		rc = srv_eval_check(def, gen, 1, err, sizeof(err));
		plugin_generation_release(gen);
	}
	if (!rc && def->baseline_run_id[0]) {
		store_run_t *run = NULL;
		char e2[256];
		rc = store_run_get(env->store, def->baseline_run_id, 0, &run,
		                   e2, sizeof(e2));
		store_run_free(run);
		if (rc == CD_ENOTFOUND)
			rc = cd_fail(err, sizeof(err), CD_EV_DEFINITION,
			             "baseline_run_id: run '%s' not found",
			             def->baseline_run_id);
		else if (rc)
			rc = cd_fail(err, sizeof(err), rc, "baseline_run_id: %s",
			             e2);
	}
	if (rpc_call_refuse(c, rc, err, &req->base))
		return;
	store_op_t op;
	memset(&op, 0, sizeof(op));
	op.kind = STORE_COMPETITION_CREATE;
	op.competition = def;
	op.want_result = 1;
	write_submit(c, &req->base, &op);
}

void rpc_competition_delete(rpc_call_t *c)
{
	char err[256] = "";
	Clusters__V1__DeleteCompetitionRequest *req =
		(Clusters__V1__DeleteCompetitionRequest *)rpc_call_decode(
			c, &clusters__v1__delete_competition_request__descriptor);
	if (!req)
		return;
	int rc = store_validate_id(req->id, "id", err, sizeof(err));
	if (rpc_call_refuse(c, rc, err, &req->base))
		return;
	store_op_t op;
	memset(&op, 0, sizeof(op));
	op.kind = STORE_COMPETITION_DELETE;
	op.id = req->id;
	write_submit(c, &req->base, &op);
}

void rpc_competition_get(rpc_call_t *c)
{
	srv_env_t *env = rpc_call_env(c);
	char err[256] = "";
	Clusters__V1__GetCompetitionRequest *req =
		(Clusters__V1__GetCompetitionRequest *)rpc_call_decode(
			c, &clusters__v1__get_competition_request__descriptor);
	if (!req)
		return;
	store_competition_t *comp = NULL;
	int rc = store_validate_id(req->id, "id", err, sizeof(err));
	if (!rc)
		rc = store_competition_get(env->store, req->id, &comp, err,
		                           sizeof(err));
	if (rpc_call_refuse(c, rc, err, &req->base))
		return;
	rpc_call_reply(c, &comp->base);
	store_competition_free(comp);
	protobuf_c_message_free_unpacked(&req->base, NULL);
}

void rpc_competition_list(rpc_call_t *c)
{
	srv_env_t *env = rpc_call_env(c);
	char err[256] = "";
	Clusters__V1__ListCompetitionsRequest *req =
		(Clusters__V1__ListCompetitionsRequest *)rpc_call_decode(
			c, &clusters__v1__list_competitions_request__descriptor);
	if (!req)
		return;
	int rc = rpc_call_page_size(req->page_size, err, sizeof(err));
	store_competition_page_t page;
	memset(&page, 0, sizeof(page));
	if (!rc)
		rc = store_competition_list(env->store, (size_t)req->page_size,
		                            req->page_token, &page, err,
		                            sizeof(err));
	if (rpc_call_refuse(c, rc, err, &req->base))
		return;
	Clusters__V1__ListCompetitionsResponse r =
		CLUSTERS__V1__LIST_COMPETITIONS_RESPONSE__INIT;
	r.n_competitions = page.n;
	r.competitions = page.items;
	r.next_page_token = page.next_token;
	rpc_call_reply(c, &r.base);
	store_competition_page_free(&page);
	protobuf_c_message_free_unpacked(&req->base, NULL);
}
