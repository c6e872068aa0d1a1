/*
 * rpc_judge — what a judge may see and write of clusters (docs/security.md,
 * "Roles"): a judge (a principal with the judge role and neither editor
 * nor admin) sees only its own assessments, those whose `judge` is its
 * principal name, in every Cluster it reads; and it may update a cluster's
 * assessments only, and only its own, the others staying as stored.
 *
 * Thread-safety: the filters are pure; rpc_judge_update runs in the
 * UpdateCluster handler like any write.
 */
#ifndef RPC_JUDGE_H
#define RPC_JUDGE_H

#include <stddef.h>
#include <stdint.h>

#include "clusters/v1/clusters.pb-c.h"
#include "rpc_call.h"

/* Drops from cl the assessments whose judge is not `judge`; returns how
 * many it dropped. */
size_t rpc_judge_filter(Clusters__V1__Cluster *cl, const char *judge);

/* The same on a packed Cluster: when something is dropped, *buf (malloc'd)
 * is replaced by the packed filtered record and *len set; else untouched.
 * CD_OK, CD_ECORRUPT (bytes that do not decode) or CD_ENOMEM. */
int rpc_judge_filter_packed(const char *judge, uint8_t **buf, size_t *len);

/* As rpc_judge_filter_packed for the caller of c, when c is a judge's
 * call (rpc_call_blinded); CD_OK and nothing done otherwise. */
int rpc_judge_view_packed(const rpc_call_t *c, uint8_t **buf, size_t *len);

/* UpdateCluster for a judge. Takes req. Refuses (PERMISSION_DENIED,
 * naming what) an update_mask other than exactly "assessments",
 * allow_missing, and any assessment whose judge is not the caller; then
 * reads the stored cluster (NOT_FOUND; ABORTED on a stale etag), keeps
 * every other judge's assessments as stored, puts the request's in place
 * of the caller's, and commits under the etag it read, so a write that
 * slipped in between makes the update ABORTED rather than lose it. */
void rpc_judge_update(rpc_call_t *c, Clusters__V1__UpdateClusterRequest *req);

#endif
