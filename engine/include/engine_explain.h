/*
 * engine_explain — one cluster's standing in one round of a stored run,
 * criterion by criterion, and what it would take to close the gap to the
 * selection line.
 *
 * It reads only the stored Run's RoundStats (weights, weight shares,
 * normalisation statistics, aggregation, the last selected and best
 * unselected clusters) and the cluster's Standing (its RoundStanding of
 * that round), so it works on a run long after the cohort is gone.
 * docs/engine.md, "Explanations", gives the formulas.
 *
 * Thread-safety: reentrant and pure; the explanation is the caller's.
 */
#ifndef ENGINE_EXPLAIN_H
#define ENGINE_EXPLAIN_H

#include <stddef.h>

#include "clusters/v1/competitions.pb-c.h"

/* Explains st (a standing of run) in round (NULL or "" = the last round
 * it reached). On success *out holds the explanation, in one arena: free
 * it with engine_explain_free only. It copies what it needs. Codes:
 * CD_EINVAL (a NULL argument, or a round the run does not have),
 * CD_ENOTFOUND (the cluster was not a candidate of that round, or the
 * standing has no entry for it: a run stored before per-round standings),
 * CD_ENOMEM. */
int engine_explain(const Clusters__V1__Run *run,
                   const Clusters__V1__Standing *st, const char *round,
                   Clusters__V1__Explanation **out, char *err,
                   size_t errlen);
void engine_explain_free(Clusters__V1__Explanation *x);

#endif
