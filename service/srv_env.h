/*
 * srv_env — what handlers reach through rpc_call_env(): the store, the
 * group committer, the health registry, the plugin registry (NULL when
 * clusterd runs without a plugin directory) and the account of evaluation
 * threads. Owned by srv (srv.c); lives longer than every call, so that
 * no server state has to live in process globals.
 *
 * Thread-safety: the pointers are set before serving starts and never
 * change; each object states its own contract.
 */
#ifndef SRV_ENV_H
#define SRV_ENV_H

#include <time.h>

#include "plugin_registry.h"
#include "rpc_backup.h"
#include "rpc_health.h"
#include "rpc_reflection.h"
#include "rpc_run.h"
#include "srv_commit.h"
#include "srv_jobs.h"
#include "store.h"

typedef struct srv_env {
	store_t *store;
	srv_commit_t *commit;
	rpc_health_t *health;
	plugin_registry_t *plugins;
	rpc_runs_t *runs;          /* Evaluate's threads */
	srv_jobs_t *jobs;          /* stored runs: queue, workers, watchers */
	/* Plugin time limits: the default per criterion and the most a
	 * competition may ask for. */
	unsigned plugin_timeout_ms, plugin_timeout_max_ms;
	/* Server reflection's index of the built-in descriptor set. */
	rpc_refl_t *refl;
	/* When the server started (CLOCK_REALTIME), for GetServerInfo. */
	struct timespec start_time;
	rpc_backups_t *backups;    /* Backup's threads */
	/* A read-only replica (--read-only): the store is open read-only,
	 * and what a handler would record (audit notes) goes to the log. */
	int read_only;
	/* With read_only: the primary's address (--primary), or NULL/"";
	 * lives as long as the process (GetServerInfo reports it). */
	const char *primary;
} srv_env_t;

#endif
