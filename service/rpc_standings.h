/*
 * rpc_standings — ListStandings of clusters.v1.CompetitionService: every
 * standing of a run, in pages, from the store's standings table
 * (docs/store.md). The store hands a page over as the bytes it keeps —
 * each standing already encoded as ListStandingsResponse field 1 — so the
 * reply is those bytes and the next_page_token field after them: no
 * standing is decoded or encoded here, filtered or not.
 *
 * Thread-safety: handlers run on completion-queue threads.
 */
#ifndef RPC_STANDINGS_H
#define RPC_STANDINGS_H

#include "rpc_method.h"

void rpc_standings_list(rpc_call_t *c);

#endif
