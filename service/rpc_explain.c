#include "rpc_explain.h"

#include <stdio.h>
#include <string.h>

#include "cd_error.h"
#include "engine_explain.h"
#include "rpc_call.h"
#include "srv_env.h"

/* The explanation of the request's standing, or the refusal in err. */
static int explain(srv_env_t *env,
                   const Clusters__V1__ExplainStandingRequest *req,
                   Clusters__V1__Explanation **out, char *err,
                   size_t errlen)
{
	store_run_t *run = NULL;
	Clusters__V1__Standing *st = NULL;
	int rc = store_validate_id(req->run_id, "run_id", err, errlen);
	if (!rc)
		rc = store_validate_id(req->cluster_id, "cluster_id", err,
		                       errlen);
	if (!rc && strlen(req->round) > STORE_ID_MAX * 4)
		rc = cd_fail(err, errlen, CD_EINVAL, "round: %zu bytes, at "
		             "most %d", strlen(req->round), STORE_ID_MAX * 4);
	if (rc)
		return rc;
	/* The head: RoundStats are in it, the standings are not needed. */
	rc = store_run_get(env->store, req->run_id, 0, &run, err, errlen);
	if (!rc && run->state != CLUSTERS__V1__RUN_STATE__RUN_STATE_SUCCEEDED &&
	    run->state != CLUSTERS__V1__RUN_STATE__RUN_STATE_UNSPECIFIED)
		rc = cd_fail(err, errlen, CD_EPRECONDITION, "run \"%s\" is %s: "
		             "only a run that SUCCEEDED has standings to "
		             "explain", req->run_id,
		             store_run_state_name(run->state));
	if (!rc) {
		rc = store_standing_find(env->store, req->run_id,
		                         req->cluster_id, &st, err, errlen);
		if (rc == CD_ENOTFOUND)
			cd_fail(err, errlen, rc, "run \"%s\" has no standing "
			        "for cluster \"%s\"", req->run_id,
			        req->cluster_id);
	}
	if (!rc) {
		char msg[512];
		rc = engine_explain(run, st, req->round, out, msg,
		                    sizeof(msg));
		/* The engine names the round as "round \"x\": ..."; the
		 * reply names the request's field. */
		if (rc == CD_EINVAL && !strncmp(msg, "round \"", 7))
			cd_fail(err, errlen, rc, "round: %s", msg + 6);
		else if (rc == CD_EINVAL)
			cd_fail(err, errlen, rc, "round: %s", msg);
		else if (rc)
			cd_fail(err, errlen, rc, "%s", msg);
	}
	if (st)
		clusters__v1__standing__free_unpacked(st, NULL);
	store_run_free(run);
	return rc;
}

void rpc_explain_standing(rpc_call_t *c)
{
	srv_env_t *env = rpc_call_env(c);
	char err[768] = "";
	Clusters__V1__ExplainStandingRequest *req =
		(Clusters__V1__ExplainStandingRequest *)rpc_call_decode(
			c, &clusters__v1__explain_standing_request__descriptor);
	if (!req)
		return;
	Clusters__V1__Explanation *x = NULL;
	int rc = explain(env, req, &x, err, sizeof(err));
	if (rc)
		rpc_call_fail(c, rc, err);
	else
		rpc_call_reply(c, &x->base);
	engine_explain_free(x);
	clusters__v1__explain_standing_request__free_unpacked(req, NULL);
}
