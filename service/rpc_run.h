/*
 * rpc_run — RunCompetition, Evaluate, GetRun and ListRuns of
 * clusters.v1.CompetitionService, and the evaluation threads behind the
 * first two. An evaluation runs on a thread of its own (never on a
 * completion-queue thread) over one store snapshot and one plugin
 * generation, through srv_eval.
 *
 * Thread-safety: handlers run on completion-queue threads; evaluation
 * replies are sent from the evaluation's thread. rpc_run_drain may be
 * called from any thread.
 */
#ifndef RPC_RUN_H
#define RPC_RUN_H

#include "rpc_method.h"

/* Smallest time between two Progress events of RunCompetition. */
#define RPC_RUN_PROGRESS_MS 200

/* Waits until every evaluation thread has ended; evaluations still running
 * are told to stop (they end CANCELLED). Call after the transport stopped
 * taking calls and before the committer and the store close. */
void rpc_run_drain(void);

void rpc_run_competition(rpc_call_t *c);
void rpc_run_evaluate(rpc_call_t *c);
void rpc_run_get(rpc_call_t *c);
void rpc_run_list(rpc_call_t *c);

#endif
