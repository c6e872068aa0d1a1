#include "rpc_registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "rpc_call.h"
#include "rpc_judge.h"
#include "rpc_write.h"
#include "srv_env.h"

int rpc_registry_economy_filter(char *economy, const char *field, char *err,
                                size_t errlen)
{
	if (!economy || !*economy)
		return CD_OK;
	for (char *p = economy; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return store_validate_economy(economy, field, err, errlen);
}

void rpc_registry_field(const char *msg, char *field, size_t cap)
{
	rpc_call_msg_field(msg, field, cap);
}

/* Reads a varint; 0 on malformed input. */
static size_t varint(const uint8_t *p, size_t len, uint64_t *v)
{
	uint64_t r = 0;
	for (size_t i = 0; i < len && i < 10; i++) {
		r |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*v = r;
			return i + 1;
		}
	}
	return 0;
}

const uint8_t *rpc_registry_sub_message(const uint8_t *buf, size_t len,
                                        unsigned field, size_t *sub_len)
{
	const uint8_t *found = NULL;
	size_t i = 0;
	*sub_len = 0;
	while (i < len) {
		uint64_t tag, l = 0;
		size_t n = varint(buf + i, len - i, &tag);
		if (!n)
			return NULL;
		i += n;
		switch (tag & 7) {
		case 0:
			if (!(n = varint(buf + i, len - i, &l)))
				return NULL;
			i += n;
			break;
		case 1:
			l = 8;
			break;
		case 2:
			if (!(n = varint(buf + i, len - i, &l)))
				return NULL;
			i += n;
			break;
		case 5:
			l = 4;
			break;
		default: /* groups: not in proto3 messages */
			return NULL;
		}
		if (l > len - i)
			return NULL;
		if ((tag & 7) == 2 && tag >> 3 == field) {
			/* A second occurrence would be merged into the
			 * first by a decoder: no one span holds the field. */
			if (found)
				return NULL;
			found = buf + i;
			*sub_len = (size_t)l;
		}
		if ((tag & 7) != 0)
			i += (size_t)l;
	}
	if (!found)
		*sub_len = 0;
	return found;
}

static srv_env_t *env_of(rpc_call_t *c)
{
	return rpc_call_env(c);
}
/* ----------------------------------------------------------------- writes */

void rpc_registry_create(rpc_call_t *c)
{
	char err[256] = "";
	Clusters__V1__CreateClusterRequest *req =
		(Clusters__V1__CreateClusterRequest *)rpc_call_decode(
			c, &clusters__v1__create_cluster_request__descriptor);
	if (!req)
		return;
	int rc = req->cluster ? store_validate_cluster(req->cluster, err,
	                                               sizeof(err))
	                      : cd_fail(err, sizeof(err), CD_EINVAL,
	                                "cluster: required");
	if (rpc_call_refuse(c, rc, err, &req->base))
		return;
	store_op_t op = {.kind = STORE_CLUSTER_CREATE, .cluster = req->cluster,
	                 .validated = 1 /* just above */, .want_packed = 1};
	/* The store keeps the cluster's bytes as the client sent them
	 * rather than encoding the decoded record again. */
	size_t len;
	const uint8_t *buf = rpc_call_request(c, &len);
	op.packed = rpc_registry_sub_message(buf, len, 1, &op.packed_len);
	rpc_write_submit(c, &req->base, &op);
}

void rpc_registry_update(rpc_call_t *c)
{
	char err[256] = "";
	Clusters__V1__UpdateClusterRequest *req =
		(Clusters__V1__UpdateClusterRequest *)rpc_call_decode(
			c, &clusters__v1__update_cluster_request__descriptor);
	if (!req)
		return;
	int rc = req->cluster ? store_validate_id(req->cluster->id,
	                                          "cluster.id", err,
	                                          sizeof(err))
	                      : cd_fail(err, sizeof(err), CD_EINVAL,
	                                "cluster: required");
	if (rpc_call_refuse(c, rc, err, &req->base))
		return;
	if (!(rpc_call_roles(c) & RPC_ROLE_EDITOR)) {
		/* Let in by the method table's judge_own only. */
		rpc_judge_update(c, req);
		return;
	}
	store_op_t op = {.kind = STORE_CLUSTER_UPDATE, .cluster = req->cluster,
	                 .allow_missing = req->allow_missing,
	                 .want_packed = 1};
	if (req->update_mask) {
		op.mask = (const char *const *)req->update_mask->paths;
		op.mask_len = req->update_mask->n_paths;
	}
	/* AIP-154: the etag may come in the request or in the resource. */
	op.etag = req->etag[0] ? req->etag : req->cluster->etag;
	rpc_write_submit(c, &req->base, &op);
}

void rpc_registry_delete(rpc_call_t *c)
{
	Clusters__V1__DeleteClusterRequest *req =
		(Clusters__V1__DeleteClusterRequest *)rpc_call_decode(
			c, &clusters__v1__delete_cluster_request__descriptor);
	if (req)
		rpc_write_delete(c, &req->base, STORE_CLUSTER_DELETE, req->id,
		                 req->etag);
}

/* ------------------------------------------------------------------ reads */

void rpc_registry_get(rpc_call_t *c)
{
	char err[256] = "";
	Clusters__V1__GetClusterRequest *req =
		(Clusters__V1__GetClusterRequest *)rpc_call_decode(
			c, &clusters__v1__get_cluster_request__descriptor);
	if (!req)
		return;
	int rc = store_validate_id(req->id, "id", err, sizeof(err));
	if (rpc_call_refuse(c, rc, err, &req->base))
		return;
	uint8_t *buf = NULL;
	size_t len = 0;
	/* The stored bytes are a packed Cluster: no decode, no encode. */
	rc = store_cluster_get_packed(env_of(c)->store, req->id, &buf, &len,
	                              err, sizeof(err));
	if (rc == CD_OK &&
	    (rc = rpc_judge_view_packed(c, &buf, &len)) != CD_OK) {
		free(buf);
		snprintf(err, sizeof(err), "cluster \"%s\" could not be read",
		         req->id);
	}
	if (!rpc_call_refuse(c, rc, err, &req->base)) {
		rpc_call_reply_packed(c, buf, len);
		protobuf_c_message_free_unpacked(&req->base, NULL);
	}
}

void rpc_registry_list(rpc_call_t *c)
{
	char err[256] = "";
	Clusters__V1__ListClustersRequest *req =
		(Clusters__V1__ListClustersRequest *)rpc_call_decode(
			c, &clusters__v1__list_clusters_request__descriptor);
	if (!req)
		return;
	int rc = rpc_call_page_size(req->page_size, err, sizeof(err));
	if (!rc)
		rc = rpc_registry_economy_filter(req->economy, "economy", err,
		                                 sizeof(err));
	if (rpc_call_refuse(c, rc, err, &req->base))
		return;
	store_filter_t f = {req->economy, req->region, req->city,
	                    req->industry};
	store_cluster_page_t page;
	memset(&page, 0, sizeof(page));
	rc = store_cluster_list(env_of(c)->store, &f, (size_t)req->page_size,
	                        req->page_token, &page, err, sizeof(err));
	if (rpc_call_refuse(c, rc, err, &req->base))
		return;
	if (rpc_call_blinded(c))
		for (size_t i = 0; i < page.n; i++)
			rpc_judge_filter(page.items[i], rpc_call_principal(c));
	Clusters__V1__ListClustersResponse r =
		CLUSTERS__V1__LIST_CLUSTERS_RESPONSE__INIT;
	r.n_clusters = page.n;
	r.clusters = page.items;
	r.next_page_token = page.next_token;
	rpc_call_reply(c, &r.base);
	store_cluster_page_free(&page);
	protobuf_c_message_free_unpacked(&req->base, NULL);
}
