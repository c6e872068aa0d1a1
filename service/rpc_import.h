/*
 * rpc_import — ImportClusters of clusters.v1.ClusterRegistry: a client
 * stream of clusters, checked one by one and upserted in batches of
 * RPC_IMPORT_BATCH records per transaction through the group committer.
 * One batch commits while the next one fills; the reply counts only
 * committed records, and a stream cut off midway keeps the batches
 * already committed.
 *
 * Thread-safety: the handler and its receive callbacks run on the call's
 * completion-queue thread, commit callbacks (and then the reply) on the
 * committer's thread; a mutex per call orders the two.
 */
#ifndef RPC_IMPORT_H
#define RPC_IMPORT_H

#include "rpc_method.h"

/* Records per transaction of ImportClusters. */
#define RPC_IMPORT_BATCH 4096

void rpc_import_clusters(rpc_call_t *c);

#endif
