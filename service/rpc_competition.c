/* Create/Get/List/DeleteCompetition: decode, check, queue writes on the
 * group committer, read the store, reply. */
#include "rpc_competition.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "rpc_call.h"
#include "rpc_write.h"
#include "rpc_registry.h"
#include "srv_env.h"
#include "srv_eval.h"

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
	rpc_write_submit(c, &req->base, &op);
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
	rpc_write_submit(c, &req->base, &op);
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
