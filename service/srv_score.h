/*
 * srv_score — the engine's scorer backed by plugin instances.
 *
 * The engine asks for one criterion of a round at a time, and every
 * criterion of a round scores the same candidates. So when it asks for a
 * round's first criterion, the scorer opens the round's instances and
 * scores them together (plugin_instance_score_many): with process
 * isolation that is one request to one worker per round instead of one per
 * criterion, which is what keeps small inline evaluations near their
 * in-process latency. It hands the results out as the engine asks, and a
 * failure comes back for the criterion that failed, as if asked alone.
 * Rounds of more than SRV_SCORE_BATCH_MAX candidates are scored a
 * criterion at a time: there a request costs nothing next to the work,
 * and holding every criterion's scores would cost memory.
 *
 * Thread-safety: a scorer belongs to one evaluation (one thread).
 */
#ifndef SRV_SCORE_H
#define SRV_SCORE_H

#include <stddef.h>

#include "clusters/v1/competitions.pb-c.h"
#include "engine.h"
#include "plugin_cohort.h"
#include "plugin_registry.h"

#define SRV_SCORE_BATCH_MAX 65536

typedef struct srv_score_round srv_score_round_t;

typedef struct srv_scorer {
	const Clusters__V1__Competition *def;
	plugin_generation_t *gen;        /* may be NULL: no plugins */
	const plugin_cohort_t *pc;       /* the sealed whole cohort */
	unsigned timeout_ms;             /* per criterion; 0 = none */
	int cancel_fd;                   /* plugin_instance_set_cancel_fd */
	srv_score_round_t *round;        /* the batch in hand */
} srv_scorer_t;

/* An engine_scorer_fn over a srv_scorer_t. */
int srv_score_fn(void *arg, engine_score_req_t *req, char *err,
                 size_t errlen);
/* Frees what the scorer holds (call after the evaluation). */
void srv_score_fini(srv_scorer_t *s);

#endif
