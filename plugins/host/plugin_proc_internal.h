/*
 * plugin_proc_internal — clusterd's side of its plugin workers
 * (clusterd-plugin-host, plugins/worker/): probing a plugin file in a
 * worker, and a pool of workers per generation that score criteria.
 *
 * Workers are started with posix_spawn (a vfork+exec: the threaded server
 * never forks a copy of itself) with an empty environment and the
 * worker's end of a socketpair as descriptor 3. Every wait on a worker
 * has a deadline and wakes when the registry stops (plugin_proc_cfg's
 * stop_fd); a worker that misses its deadline, dies, or sends anything
 * but a well-formed answer is killed and reaped, and the call fails with
 * what happened: crashed (signal name), stopped by the sandbox (the
 * system call), timed out, or broke the protocol.
 *
 * Thread-safety: a pool may be used from any number of threads; each call
 * takes a worker of its own.
 */
#ifndef PLUGIN_PROC_INTERNAL_H
#define PLUGIN_PROC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "plugin_cohort.h"
#include "plugin_params.h"
#include "plugin_registry.h"

/* Fixed for the registry's life. */
typedef struct plugin_proc_cfg {
	char *host_path;        /* the clusterd-plugin-host executable */
	uint64_t memory_bytes;  /* worker address-space limit; 0 = none */
	unsigned probe_ms;      /* time limit of a probe / a worker start */
	int stop_fd;            /* readable once the registry stops */
	plugin_log_fn log;
	void *log_ctx;
} plugin_proc_cfg_t;

/* Loads path in a fresh worker and fills info from what it reports
 * (path included). CD_EPLUGIN with the reason when the file is refused or
 * the worker crashed, timed out or lied; CD_EUNAVAIL when stopping;
 * CD_EIO when no worker could be started. */
int plugin_proc_probe(const plugin_proc_cfg_t *cfg, const char *path,
                      plugin_info_t *info, char *reason, size_t rlen);

typedef struct plugin_pool plugin_pool_t;

/* A pool for the plugins in files[] (the generation's order: index i is
 * plugin i). Starts no worker yet. cfg must outlive the pool. */
int plugin_pool_create(plugin_pool_t **out, const plugin_proc_cfg_t *cfg,
                       char *const *files, size_t n);
/* Stops and reaps every idle worker (busy ones belong to calls, which
 * hold the generation and so the pool). NULL is a no-op. */
void plugin_pool_destroy(plugin_pool_t *pool);

/* One criterion of a batch. */
typedef struct plugin_proc_item {
	size_t plugin;                 /* index in the pool's files */
	const plugin_info_t *info;     /* for messages */
	const plugin_kv_t *kv;
	size_t nkv;
	unsigned timeout_ms;           /* 0 = none */
	int cancel_fd;                 /* readable = stop this call; -1 none */
	double *out;                   /* n scores */
	const char **reasons;          /* n; NULL or copies via save */
	/* Copies a reason into memory that lives as long as the caller
	 * needs (the instance's score strings). */
	const char *(*save)(void *arg, const char *s);
	/* Keeps a run note the plugin made: a CP_* code, as
	 * plugin_host_note (which checks key and value). */
	int (*note)(void *arg, const char *key, const char *value);
	void *save_arg;
} plugin_proc_item_t;

/* How an item's call went, for the registry's observer: items 0..done-1
 * PLUGIN_CALL_OK, the one that failed its plugin_call_outcome_t; the time
 * from the answer before (or the request) to its own. */
typedef struct plugin_proc_result {
	int ran;                       /* the item was sent to a worker */
	int outcome;                   /* plugin_call_outcome_t */
	double seconds;
} plugin_proc_result_t;

/* Criteria scored by one worker over the same clusters: the criteria of
 * a round share their candidates, so a round costs one request however
 * many criteria it has. */
typedef struct plugin_proc_call {
	const plugin_cohort_t *cohort; /* sealed whole cohort */
	const uint32_t *members;       /* NULL = every cluster */
	size_t n;                      /* members' count / cohort size */
	const plugin_proc_item_t *items;
	size_t k;
	plugin_proc_result_t *results; /* k entries, filled; NULL = none */
} plugin_proc_call_t;

/* Runs init, score and fini of each item's plugin, in order, in one
 * pooled worker; the worker answers each item as it finishes, and each
 * item's time limit runs from the answer to the one before. Stops at the
 * first failure; *done is the number of items scored. Codes as
 * plugin_instance_score, plus CD_EDEADLINE (timed out: the worker was
 * killed), CD_EUNAVAIL (the registry is stopping). */
int plugin_pool_score(plugin_pool_t *pool, const plugin_proc_call_t *call,
                      size_t *done, char *err, size_t errlen);

#endif
