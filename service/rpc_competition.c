/* Create/Get/List/Update/DeleteCompetition: decode, check, queue writes on
 * the group committer, read the store, reply. */
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

/* What CreateCompetition and UpdateCompetition check of a definition: the
 * store's structure, the engine's rules, each criterion's plugin and
 * params in the current plugin generation, and that a baseline run is
 * stored. */
static int check_definition(srv_env_t *env, const Clusters__V1__Competition *def,
                            char *err, size_t errlen)
{
	plugin_generation_t *gen =
		env->plugins ? plugin_registry_acquire(env->plugins) : NULL;
	int rc = srv_eval_check(def, gen, 1, env->plugin_timeout_max_ms, err,
	                        errlen);
	plugin_generation_release(gen);
	if (rc || !def->baseline_run_id[0])
		return rc;
	store_run_t *run = NULL;
	char e2[256];
	rc = store_run_get(env->store, def->baseline_run_id, 0, &run, e2,
	                   sizeof(e2));
	store_run_free(run);
	if (rc == CD_ENOTFOUND)
		return cd_fail(err, errlen, CD_EV_DEFINITION,
		               "baseline_run_id: run '%s' not found",
		               def->baseline_run_id);
	if (rc)
		return cd_fail(err, errlen, rc, "baseline_run_id: %s", e2);
	return CD_OK;
}

/* validate_only: the create would fail with ALREADY_EXISTS. */
static int check_absent(srv_env_t *env, const char *id, char *err,
                        size_t errlen)
{
	store_competition_t *cur = NULL;
	char e2[256];
	int rc = store_competition_get(env->store, id, &cur, e2, sizeof(e2));
	store_competition_free(cur);
	if (rc == CD_ENOTFOUND)
		return CD_OK;
	if (rc)
		return cd_fail(err, errlen, rc, "%s", e2);
	return cd_fail(err, errlen, CD_EEXISTS, "competition \"%s\" already "
	               "exists", id);
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
	int rc = def ? CD_OK : cd_fail(err, sizeof(err), CD_EINVAL,
	                               "competition: required");
	if (!rc)
		rc = check_definition(env, def, err, sizeof(err));
	if (!rc && req->validate_only)
		rc = check_absent(env, def->id, err, sizeof(err));
	if (rpc_call_refuse(c, rc, err, &req->base))
		return;
	if (req->validate_only) {
		/* AIP-163: every check a create makes, nothing stored. */
		rpc_call_reply(c, &def->base);
		protobuf_c_message_free_unpacked(&req->base, NULL);
		return;
	}
	store_op_t op;
	memset(&op, 0, sizeof(op));
	op.kind = STORE_COMPETITION_CREATE;
	op.competition = def;
	op.want_result = 1;
	rpc_write_submit(c, &req->base, &op);
}

void rpc_competition_delete(rpc_call_t *c)
{
	Clusters__V1__DeleteCompetitionRequest *req =
		(Clusters__V1__DeleteCompetitionRequest *)rpc_call_decode(
			c, &clusters__v1__delete_competition_request__descriptor);
	if (req)
		rpc_write_delete(c, &req->base, STORE_COMPETITION_DELETE, req->id,
		                 req->etag);
}

/* The stored definition is read, merged with the request under its mask
 * and checked as a new one would be; the store then merges the same way
 * under the precondition that the record is still the one checked (its
 * etag), so what is written is what was checked. */
void rpc_competition_update(rpc_call_t *c)
{
	srv_env_t *env = rpc_call_env(c);
	char err[512] = "";
	Clusters__V1__UpdateCompetitionRequest *req =
		(Clusters__V1__UpdateCompetitionRequest *)rpc_call_decode(
			c, &clusters__v1__update_competition_request__descriptor);
	if (!req)
		return;
	const Clusters__V1__Competition *patch = req->competition;
	const char *const *mask = NULL;
	size_t mask_len = 0;
	store_competition_t *cur = NULL, merged;
	int rc = patch ? store_validate_id(patch->id, "competition.id", err,
	                                   sizeof(err))
	               : cd_fail(err, sizeof(err), CD_EINVAL,
	                         "competition: required");
	if (req->update_mask) {
		mask = (const char *const *)req->update_mask->paths;
		mask_len = req->update_mask->n_paths;
	}
	/* AIP-154: the etag may come in the request or in the resource. */
	const char *etag = !patch ? "" : req->etag[0] ? req->etag
	                                              : patch->etag;
	if (!rc)
		rc = store_competition_get(env->store, patch->id, &cur, err,
		                           sizeof(err));
	if (!rc && etag[0] && strcmp(etag, cur->etag))
		rc = cd_fail(err, sizeof(err), CD_ECONFLICT, "competition "
		             "\"%s\": etag \"%s\" is stale (now \"%s\")",
		             cur->id, etag, cur->etag);
	if (!rc)
		rc = store_competition_merge(cur, patch, mask, mask_len,
		                             &merged, err, sizeof(err));
	if (!rc)
		rc = check_definition(env, &merged, err, sizeof(err));
	if (!rc && req->validate_only) {
		/* AIP-163: the definition the update would store, unstored
		 * (its etag and times those of the stored one). */
		rpc_call_reply(c, &merged.base);
		store_competition_free(cur);
		protobuf_c_message_free_unpacked(&req->base, NULL);
		return;
	}
	/* The precondition outlives cur: the call keeps it until the
	 * write's reply is sent. */
	char *checked = rc ? NULL : strdup(cur->etag);
	store_competition_free(cur);
	if (!rc && !checked)
		rc = cd_fail(err, sizeof(err), CD_ENOMEM, "out of memory");
	if (rpc_call_refuse(c, rc, err, &req->base))
		return;
	rpc_call_set_ctx(c, checked, free);
	store_op_t op;
	memset(&op, 0, sizeof(op));
	op.kind = STORE_COMPETITION_UPDATE;
	op.competition = patch;
	op.mask = mask;
	op.mask_len = mask_len;
	op.etag = checked;
	op.want_result = 1;
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
