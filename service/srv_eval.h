/*
 * srv_eval — the glue between the store, the plugin host and the engine
 * that CompetitionService runs on: checks a competition definition against
 * the loaded plugins, and evaluates one over a store snapshot into a
 * clusters.v1.Run.
 *
 * An evaluation reads the snapshot once (srv_fill): each packed cluster is
 * read once from its wire format into the plugin cohort, the one copy of
 * the clusters, which the engine then reads through its own few columns
 * (engine_cohort_create_from). Each criterion of each round is scored by
 * one plugin instance (open, score over a view of the round's eligible
 * candidates, close) of the generation the caller holds.
 *
 * Thread-safety: every function is reentrant; an evaluation uses the
 * snapshot and generation it is given from the calling thread only. The
 * progress callback runs on the calling thread.
 */
#ifndef SRV_EVAL_H
#define SRV_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "clusters/v1/competitions.pb-c.h"
#include "engine.h"
#include "plugin_registry.h"
#include "store.h"

/* Runs larger than this many clusters keep only the first
 * SRV_EVAL_MAX_STANDINGS standings plus every selected cluster, so a Run
 * fits the store and a 4 MiB gRPC message. */
#define SRV_EVAL_MAX_STANDINGS 5000
/* A built Run is shrunk (fewer standings, then no per-criterion scores)
 * until its encoding is at most this many bytes; CD_ELIMIT beyond. */
#define SRV_EVAL_MAX_RUN_BYTES (3u << 20)

/* Checks def as CreateCompetition and Evaluate do: store structure, engine
 * rules, each criterion's plugin (gen may be NULL: no plugins loaded) and
 * its params. The message names the field, e.g.
 * "rounds[0].criteria[1].plugin: no plugin named 'x' is loaded". */
int srv_eval_check(const Clusters__V1__Competition *def,
                   const plugin_generation_t *gen, int structural,
                   unsigned timeout_max_ms, char *err, size_t errlen);

/* The time limit of one criterion of def: its plugin_timeout, else
 * default_ms; never above max_ms. */
unsigned srv_eval_timeout_ms(const Clusters__V1__Competition *def,
                             unsigned default_ms, unsigned max_ms);

/* A criterion's params as the plugin host takes them, the one conversion
 * used when a definition is checked and when it runs (free() the array;
 * the strings stay the criterion's). NULL when out of memory. */
plugin_kv_t *srv_eval_params(const Clusters__V1__Criterion *c);

/* Checks sensitivity options (NULL = none). */
int srv_eval_check_sensitivity(const Clusters__V1__SensitivityOptions *s,
                               const char *field, char *err, size_t errlen);

typedef struct srv_eval_req {
	const Clusters__V1__Competition *def;  /* already checked */
	store_snap_t *snap;
	plugin_generation_t *gen;              /* may be NULL */
	/* Only these clusters (every one must exist); n = 0: all. */
	char *const *cluster_ids;
	size_t ncluster_ids;
	const Clusters__V1__SensitivityOptions *sensitivity;  /* may be NULL */
	const Clusters__V1__Run *baseline;     /* may be NULL */
	engine_progress_fn progress;           /* may be NULL */
	void *progress_arg;
	const char *run_id;                    /* NULL = "" */
	int64_t create_seconds;
	int32_t create_nanos;
	/* Threads reading the snapshot: 1 or 2; 0 = 2 for large cohorts. */
	int fill_threads;
	unsigned plugin_timeout_ms;            /* per criterion; 0 = none */
	/* Readable once the run is to stop: wakes a plugin call waiting on
	 * its worker (plugin_instance_set_cancel_fd). 0 or -1 = none (0 so
	 * that an initializer that leaves it out means none). */
	int cancel_fd;
} srv_eval_req_t;

/* Evaluates r->def. On success *out is the Run (free: engine_run_free).
 * Before the engine runs, every criterion param that names an indicator,
 * label key or assessment criterion (its spec's `names`) is checked
 * against the cohort: a name no cluster has is CD_EPRECONDITION naming the
 * criterion, the param and the name, with the closest existing name.
 * Codes: CD_ENOTFOUND (a listed cluster id), CD_EPLUGIN / CD_EPRECONDITION
 * (a plugin failed or vanished; the message names it), CD_ECANCELLED /
 * CD_EDEADLINE (the progress callback said stop), CD_ELIMIT, CD_ENOMEM,
 * CD_ECORRUPT. */
int srv_eval_run(const srv_eval_req_t *r, Clusters__V1__Run **out, char *err,
                 size_t errlen);

/* What an evaluation keeps past srv_eval_run_keep for writing every
 * standing (the result, its cohorts): owned by the caller, freed with
 * srv_eval_kept_destroy. It does not use the snapshot. */
typedef struct srv_eval_kept srv_eval_kept_t;

/* srv_eval_run, keeping the result: *kept (on success) is a source of
 * every standing in chunks of SRV_EVAL_CHUNK standings, for a run write
 * (store_op_t.standings). */
int srv_eval_run_keep(const srv_eval_req_t *r, Clusters__V1__Run **out,
                      srv_eval_kept_t **kept, char *err, size_t errlen);
const store_standings_src_t *srv_eval_kept_standings(srv_eval_kept_t *k);
/* How many standings the result has. */
size_t srv_eval_kept_count(const srv_eval_kept_t *k);
/* A source of the standings in chunks [first, first + n) only (the same
 * source object, re-aimed: one batch at a time), for STORE_RUN_STANDINGS
 * batches. */
const store_standings_src_t *srv_eval_kept_batch(srv_eval_kept_t *k,
                                                 size_t first, size_t n);
void srv_eval_kept_destroy(srv_eval_kept_t *k);

/* Standings per stored chunk: about 400 KiB of packed standings. */
#define SRV_EVAL_CHUNK 1024
/* Chunks per STORE_RUN_STANDINGS transaction: about 25 MiB of dirty
 * pages, which LMDB holds in memory until the commit. */
#define SRV_EVAL_BATCH_CHUNKS 64

#endif
