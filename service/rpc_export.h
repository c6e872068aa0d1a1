/*
 * rpc_export — ExportClusters of clusters.v1.ClusterRegistry: a server
 * stream read from one store snapshot in chunks of RPC_EXPORT_CHUNK
 * clusters, one message in flight at a time, so a slow reader slows the
 * export instead of filling the server's memory.
 *
 * Thread-safety: the handler and its send callbacks run on the call's
 * completion-queue thread, one at a time; nothing is shared between calls.
 */
#ifndef RPC_EXPORT_H
#define RPC_EXPORT_H

#include "rpc_method.h"

/* Clusters read from the snapshot per scan of ExportClusters. */
#define RPC_EXPORT_CHUNK 256

void rpc_export_clusters(rpc_call_t *c);

#endif
