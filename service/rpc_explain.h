/*
 * rpc_explain — ExplainStanding of clusters.v1.CompetitionService: one
 * cluster's standing in one round of a stored run, criterion by
 * criterion, and what it would take to close the gap to the selection
 * line (engine_explain over the run's RoundStats and the standing the
 * store keeps in its standings table).
 *
 * Role reader; judges too: a run's standings are results over every
 * judge's scores and a judge reads runs (docs/security.md), so nothing is
 * filtered for them.
 *
 * Thread-safety: handlers run on completion-queue threads.
 */
#ifndef RPC_EXPLAIN_H
#define RPC_EXPLAIN_H

#include "rpc_method.h"

void rpc_explain_standing(rpc_call_t *c);

#endif
