#include "rpc_judge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "rpc_write.h"
#include "srv_env.h"

size_t rpc_judge_filter(Clusters__V1__Cluster *cl, const char *judge)
{
	size_t kept = 0, n = cl->n_assessments;
	for (size_t i = 0; i < n; i++) {
		Clusters__V1__Assessment *a = cl->assessments[i];
		if (a->judge && !strcmp(a->judge, judge))
			cl->assessments[kept++] = a;
		else
			clusters__v1__assessment__free_unpacked(a, NULL);
	}
	cl->n_assessments = kept;
	return n - kept;
}

int rpc_judge_filter_packed(const char *judge, uint8_t **buf, size_t *len)
{
	Clusters__V1__Cluster *cl =
		clusters__v1__cluster__unpack(NULL, *len, *buf);
	if (!cl)
		return CD_ECORRUPT;
	if (!rpc_judge_filter(cl, judge)) {
		/* Nothing hidden: the stored bytes go out as they are. */
		clusters__v1__cluster__free_unpacked(cl, NULL);
		return CD_OK;
	}
	size_t n = clusters__v1__cluster__get_packed_size(cl);
	uint8_t *out = malloc(n ? n : 1);
	if (!out) {
		clusters__v1__cluster__free_unpacked(cl, NULL);
		return CD_ENOMEM;
	}
	clusters__v1__cluster__pack(cl, out);
	clusters__v1__cluster__free_unpacked(cl, NULL);
	free(*buf);
	*buf = out;
	*len = n;
	return CD_OK;
}

int rpc_judge_view_packed(const rpc_call_t *c, uint8_t **buf, size_t *len)
{
	if (!rpc_call_blinded(c))
		return CD_OK;
	return rpc_judge_filter_packed(rpc_call_principal(c), buf, len);
}

/* Puts the stored assessments of other judges (moved out of old) in front
 * of the request's own, in req->cluster. */
static int merge(Clusters__V1__Cluster *patch, Clusters__V1__Cluster *old,
                 const char *me)
{
	size_t others = 0;
	for (size_t i = 0; i < old->n_assessments; i++)
		others += strcmp(old->assessments[i]->judge, me) != 0;
	size_t n = others + patch->n_assessments;
	Clusters__V1__Assessment **all = malloc((n ? n : 1) * sizeof(*all));
	if (!all)
		return CD_ENOMEM;
	size_t k = 0, mine = 0;
	for (size_t i = 0; i < old->n_assessments; i++) {
		Clusters__V1__Assessment *a = old->assessments[i];
		if (strcmp(a->judge, me) != 0)
			all[k++] = a;           /* now owned by patch */
		else
			old->assessments[mine++] = a;
	}
	old->n_assessments = mine;
	for (size_t i = 0; i < patch->n_assessments; i++)
		all[k++] = patch->assessments[i];
	free(patch->assessments);
	patch->assessments = all;
	patch->n_assessments = n;
	return CD_OK;
}

void rpc_judge_update(rpc_call_t *c, Clusters__V1__UpdateClusterRequest *req)
{
	static const char *const mask[] = {"assessments"};
	srv_env_t *env = rpc_call_env(c);
	const char *me = rpc_call_principal(c);
	Clusters__V1__Cluster *cl = req->cluster;
	char err[400] = "";
	int rc = CD_OK;

	if (!req->update_mask || req->update_mask->n_paths != 1 ||
	    strcmp(req->update_mask->paths[0], "assessments") != 0)
		rc = cd_fail(err, sizeof(err), CD_EPERM, "UpdateCluster needs "
		             "role editor unless update_mask is \"assessments\" "
		             "alone; %s has judge", me);
	else if (req->allow_missing)
		rc = cd_fail(err, sizeof(err), CD_EPERM, "UpdateCluster needs "
		             "role editor for allow_missing; %s has judge", me);
	for (size_t i = 0; rc == CD_OK && i < cl->n_assessments; i++)
		if (strcmp(cl->assessments[i]->judge, me) != 0)
			rc = cd_fail(err, sizeof(err), CD_EPERM,
			             "cluster.assessments[%zu].judge: '%s' is "
			             "not %s: a judge writes only its own "
			             "assessments", i, cl->assessments[i]->judge,
			             me);
	if (rpc_call_refuse(c, rc, err, &req->base))
		return;

	store_cluster_t *old = NULL;
	rc = store_cluster_get(env->store, cl->id, &old, err, sizeof(err));
	if (rpc_call_refuse(c, rc, err, &req->base))
		return;
	const char *want = req->etag[0] ? req->etag : cl->etag;
	const char *now = old->etag ? old->etag : "";
	if (want[0] && strcmp(want, now) != 0)
		rc = cd_fail(err, sizeof(err), CD_ECONFLICT, "cluster \"%s\": "
		             "etag \"%s\" is stale (now \"%s\")", cl->id, want,
		             now);
	char *etag = rc == CD_OK ? strdup(now) : NULL;
	if (rc == CD_OK && !etag)
		rc = cd_fail(err, sizeof(err), CD_ENOMEM, "out of memory");
	if (rc == CD_OK && (rc = merge(cl, old, me)) != CD_OK)
		snprintf(err, sizeof(err), "out of memory");
	store_cluster_free(old);
	if (rc != CD_OK)
		free(etag);
	if (rpc_call_refuse(c, rc, err, &req->base))
		return;
	/* The etag read is the write's precondition: the other judges'
	 * assessments put back are the ones stored now, not older ones. */
	if (req->etag != protobuf_c_empty_string)
		free(req->etag);
	req->etag = etag;
	store_op_t op = {.kind = STORE_CLUSTER_UPDATE, .cluster = cl,
	                 .mask = mask, .mask_len = 1, .etag = req->etag,
	                 .want_packed = 1};
	rpc_write_submit(c, &req->base, &op);
}
