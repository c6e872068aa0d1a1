/*
 * srv_env — what handlers reach through rpc_call_env(): the store, the
 * group committer and the health registry. Owned by srv (srv.c); lives
 * longer than every call.
 *
 * Thread-safety: the pointers are set before serving starts and never
 * change; each object states its own contract.
 */
#ifndef SRV_ENV_H
#define SRV_ENV_H

#include "rpc_health.h"
#include "srv_commit.h"
#include "store.h"

typedef struct srv_env {
	store_t *store;
	srv_commit_t *commit;
	rpc_health_t *health;
} srv_env_t;

#endif
