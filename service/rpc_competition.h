/*
 * rpc_competition — handlers of clusters.v1.CompetitionService.
 *
 * rpc_competition.c: Create/Get/List/DeleteCompetition. Definitions are
 * checked (store structure, engine rules, plugins and params of the current
 * plugin generation, baseline run) before they are queued on the group
 * committer; the reply goes out after the commit.
 *
 * rpc_run.c: RunCompetition, Evaluate, GetRun, ListRuns. Evaluations run on
 * a thread of their own (never on a completion-queue thread) over one store
 * snapshot and one plugin generation, through srv_eval.
 *
 * Thread-safety: handlers run on completion-queue threads; write replies
 * are sent from the committer's thread, evaluation replies from the
 * evaluation's thread.
 */
#ifndef RPC_COMPETITION_H
#define RPC_COMPETITION_H

#include "rpc_method.h"

void rpc_competition_create(rpc_call_t *c);
void rpc_competition_get(rpc_call_t *c);
void rpc_competition_list(rpc_call_t *c);
void rpc_competition_delete(rpc_call_t *c);

void rpc_run_competition(rpc_call_t *c);  /* rpc_run.c */
void rpc_run_evaluate(rpc_call_t *c);
void rpc_run_get(rpc_call_t *c);
void rpc_run_list(rpc_call_t *c);

/* Smallest time between two Progress events of RunCompetition. */
#define RPC_RUN_PROGRESS_MS 200

/* Waits until every evaluation thread has ended; evaluations still running
 * are told to stop (they end CANCELLED). Call after the transport stopped
 * taking calls and before the committer and the store close. */
void rpc_run_drain(void);

#endif
