/*
 * rpc_competition — Create/Get/List/Update/DeleteCompetition of
 * clusters.v1.CompetitionService (the run methods are rpc_run's).
 * Definitions are checked (store structure, engine rules, plugins and
 * params of the current plugin generation, baseline run) before they are
 * queued on the group committer; the reply goes out after the commit. An
 * update is checked as the definition it makes (the stored one merged with
 * the request under its mask) and written only if the stored one has not
 * changed since (ABORTED otherwise).
 *
 * Thread-safety: handlers run on completion-queue threads; write replies
 * are sent from the committer's thread.
 */
#ifndef RPC_COMPETITION_H
#define RPC_COMPETITION_H

#include "rpc_method.h"

void rpc_competition_create(rpc_call_t *c);
void rpc_competition_get(rpc_call_t *c);
void rpc_competition_list(rpc_call_t *c);
void rpc_competition_delete(rpc_call_t *c);
void rpc_competition_update(rpc_call_t *c);

#endif
