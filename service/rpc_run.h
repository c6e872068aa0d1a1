/*
 * rpc_run — RunCompetition, Evaluate, GetRun, ListRuns and DeleteRun of
 * clusters.v1.CompetitionService, and the evaluation threads behind the
 * first two. An evaluation runs on a thread of its own (never on a
 * completion-queue thread) over one store snapshot and one plugin
 * generation, through srv_eval.
 *
 * rpc_runs_t is one server's account of those threads: how many run (at
 * most a fixed number; more are refused RESOURCE_EXHAUSTED), whether the
 * server is stopping them, and the counter that makes run ids unique. srv
 * creates it with the rest of srv_env_t and destroys it after the
 * transport.
 *
 * Thread-safety: handlers run on completion-queue threads; evaluation
 * replies are sent from the evaluation's thread. rpc_runs_drain may be
 * called from any thread; rpc_runs_create and rpc_runs_destroy from the
 * controlling thread only, destroy once no handler can run any more.
 */
#ifndef RPC_RUN_H
#define RPC_RUN_H

#include <stddef.h>

#include "rpc_method.h"

typedef struct rpc_runs rpc_runs_t;

/* Smallest time between two Progress events of RunCompetition. */
#define RPC_RUN_PROGRESS_MS 200

int rpc_runs_create(rpc_runs_t **out, char *err, size_t errlen);

/* Waits until every evaluation thread has ended; evaluations still running
 * are told to stop (they end CANCELLED) and new ones are refused
 * (UNAVAILABLE) from then on. Call after the transport stopped taking calls
 * and before the committer and the store close. NULL is a no-op. */
void rpc_runs_drain(rpc_runs_t *r);

/* Drains (if not done yet) and frees. NULL is a no-op. */
void rpc_runs_destroy(rpc_runs_t *r);

void rpc_run_competition(rpc_call_t *c);
void rpc_run_evaluate(rpc_call_t *c);
void rpc_run_get(rpc_call_t *c);
void rpc_run_list(rpc_call_t *c);
void rpc_run_delete(rpc_call_t *c);
/* Runs as jobs (srv_jobs.h). */
void rpc_run_start(rpc_call_t *c);
void rpc_run_watch(rpc_call_t *c);
void rpc_run_cancel(rpc_call_t *c);

#endif
