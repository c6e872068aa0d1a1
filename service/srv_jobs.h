/*
 * srv_jobs — runs as server-side jobs: the registry of live runs (QUEUED
 * or RUNNING), the bounded queue, the fixed pool of run worker threads,
 * and the watchers that stream a run's progress (WatchRun, RunCompetition)
 * or wait for its end (CancelRun of a running run).
 *
 * A run's life (docs/service.md, "Runs"): srv_jobs_start writes its head
 * (QUEUED) through the group committer and queues it; a worker marks it
 * RUNNING, evaluates it (srv_eval) and stores it SUCCEEDED, or FAILED or
 * CANCELLED with the status (STORE_RUN_UPDATE). Once stored the run leaves
 * the registry; the store is then the only truth about it.
 *
 * Progress lives in memory only: stage, done, total, elapsed, an estimate
 * of the time left, the fraction of the whole run and the round. A ticker
 * thread (every RPC_RUN_PROGRESS_MS / 4) pumps the watchers (at most one
 * send outstanding each, progress at most every RPC_RUN_PROGRESS_MS) and
 * enforces time limits. A stop (CancelRun, the time limit, shutdown)
 * makes the progress callback answer CD_ECANCELLED and wakes a plugin call
 * waiting on its worker through the job's eventfd.
 *
 * Ownership: srv_jobs_create/srv_jobs_destroy. Jobs and watchers are
 * reference counted internally; a watcher holds a call reference until
 * the call has ended.
 *
 * Thread-safety: every function may be called from any thread, except
 * create/shutdown/drain/destroy (the controlling thread). One mutex guards
 * the registry, the queue, every job and every watcher; calls are never
 * made to gRPC or the store with it held.
 */
#ifndef SRV_JOBS_H
#define SRV_JOBS_H

#include <stddef.h>

#include "rpc_method.h"
#include "srv_commit.h"
#include "store.h"
#include "plugin_registry.h"

typedef struct srv_jobs srv_jobs_t;

typedef struct srv_jobs_opts {
	unsigned workers;          /* run worker threads (>= 1) */
	unsigned queue_max;        /* runs that may wait (>= 1) */
	unsigned timeout_ms;       /* a run's limit when it asks for none */
	unsigned timeout_max_ms;   /* the most a run may ask for */
	unsigned plugin_timeout_ms, plugin_timeout_max_ms;
	store_t *store;
	srv_commit_t *commit;
	plugin_registry_t *plugins; /* may be NULL */
	/* Told of every run stored in its final state; NULL = metrics
	 * off. */
	struct srv_metrics *metrics;
} srv_jobs_opts_t;

int srv_jobs_create(srv_jobs_t **out, const srv_jobs_opts_t *o, char *err,
                    size_t errlen);

/* Stops taking runs: queued runs are stored CANCELLED ("server stopping"),
 * running ones are told to stop (stored CANCELLED when they do). Does not
 * wait. NULL is a no-op. */
void srv_jobs_shutdown(srv_jobs_t *J);

/* srv_jobs_shutdown, then waits for the workers and the ticker to end
 * and every watcher to be answered. Call before the committer and the
 * store close. NULL is a no-op. */
void srv_jobs_drain(srv_jobs_t *J);

/* Drains (if not done yet) and frees. NULL is a no-op. */
void srv_jobs_destroy(srv_jobs_t *J);

/* How a call follows a run. */
typedef enum srv_jobs_follow {
	SRV_JOBS_REPLY_HEAD = 0, /* StartRun: the run as queued, at once */
	SRV_JOBS_WATCH,          /* WatchRun: progress, then the final Run,
	                          * OK whatever the state */
	SRV_JOBS_RUN,            /* RunCompetition: progress, then the Run
	                          * when it succeeded, else its status */
} srv_jobs_follow;

/* StartRun / RunCompetition: checks the request (time limit, sensitivity,
 * the competition exists), writes the QUEUED head, queues the run and
 * answers the call as `follow` says. Answers the call itself in every
 * case (RESOURCE_EXHAUSTED when the queue is full). Takes nothing. */
void srv_jobs_start(srv_jobs_t *J, rpc_call_t *c, const char *competition_id,
                    const Clusters__V1__SensitivityOptions *sens,
                    const Google__Protobuf__Duration *time_limit,
                    srv_jobs_follow follow);

/* WatchRun: follows a live run, or answers a finished one's Run at once. */
void srv_jobs_watch(srv_jobs_t *J, rpc_call_t *c, const char *id);

/* CancelRun: QUEUED -> CANCELLED at once; RUNNING -> answered once the run
 * stopped and was stored CANCELLED; finished -> FAILED_PRECONDITION. */
void srv_jobs_cancel(srv_jobs_t *J, rpc_call_t *c, const char *id);

/* GetRun of a live run: its current progress into *p (stage and
 * strings borrowed from buf, which must outlive p). 1 when the run is
 * live, else 0. */
typedef struct srv_jobs_progress_buf {
	char stage[32];
	char round[STORE_ID_MAX + 1];
	Google__Protobuf__Duration elapsed, left;
} srv_jobs_progress_buf_t;
int srv_jobs_progress(srv_jobs_t *J, const char *id, Clusters__V1__Progress *p,
                      srv_jobs_progress_buf_t *buf);

/* Runs waiting in the queue and running now, and the queue's bound
 * (--run-queue), for metrics. */
void srv_jobs_counts(srv_jobs_t *J, unsigned *queued, unsigned *running,
                     unsigned *queue_max);

#endif
