/*
 * rpc_plugins — handlers of clusters.v1.PluginService. Thin: decode, read
 * (or reload) the plugin registry reached through srv_env, encode, and
 * report failures through rpc_status.
 *
 * Thread-safety: handlers run on completion-queue threads; each holds a
 * counted reference to the plugin generation it describes while encoding,
 * so a concurrent reload never frees what a reply is built from.
 */
#ifndef RPC_PLUGINS_H
#define RPC_PLUGINS_H

#include "rpc_method.h"

void rpc_plugins_list(rpc_call_t *c);
void rpc_plugins_reload(rpc_call_t *c);

#endif
