/*
 * engine_eval — runs a competition over a cohort: eligibility, scoring
 * through the caller's scorer, normalisation, weights, aggregation, ranking,
 * selection, round chaining, then standings, rank change, summary and,
 * on request, weight sensitivity. docs/engine.md gives every formula.
 *
 * The engine never calls plugins itself: the caller's scorer fills one raw
 * score per candidate of a round for one criterion (NaN = no score), so the
 * service can back it with plugin instances and tests with fixed columns.
 *
 * Thread-safety: engine_evaluate is reentrant; the cohort and definition
 * are only read and may be shared by concurrent evaluations. Callbacks run
 * on the calling thread.
 */
#ifndef ENGINE_EVAL_H
#define ENGINE_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "clusters/v1/competitions.pb-c.h"
#include "engine_cohort.h"
#include "engine_progress.h"

typedef struct engine_result engine_result_t;
typedef struct engine_notes engine_notes_t;

/* Why candidate i of a scoring request has no score (or anything else
 * worth telling about its score). The text is copied. */
int engine_notes_set(engine_notes_t *notes, size_t i, const char *text);

/* What the scoring of one criterion of a round says of itself as a whole
 * (a plugin's run notes, e.g. the weights it derived from the round's
 * candidates): key -> value, kept in the run (CriterionStats.plugin_notes).
 * Both are copied; a key given again replaces its value. NULL notes (a
 * request of sensitivity's, over other candidates than the round's)
 * records nothing and returns CD_OK. CD_OK, CD_EINVAL (NULL key or value),
 * CD_ENOMEM. */
typedef struct engine_crit_notes engine_crit_notes_t;
int engine_crit_note(engine_crit_notes_t *notes, const char *key,
                     const char *value);

/* One criterion of one round over the round's eligible candidates. */
typedef struct engine_score_req {
	size_t round, criterion;           /* indexes into the definition */
	const Clusters__V1__Criterion *def;
	const engine_cohort_t *cohort;
	const uint32_t *members;           /* n cohort indexes, ascending */
	size_t n;
	double *raw;                       /* out: n scores, NaN-filled */
	engine_notes_t *notes;             /* for engine_notes_set */
	engine_crit_notes_t *crit_notes;   /* for engine_crit_note; NULL for
	                                      sensitivity's requests */
} engine_score_req_t;

/* Fills req->raw. Returns CD_OK or a code (CD_EPLUGIN when a plugin
 * failed) with a message naming the plugin. Infinite scores count as
 * missing. */
typedef int (*engine_scorer_fn)(void *arg, engine_score_req_t *req,
                                char *err, size_t errlen);

typedef struct engine_opts {
	engine_scorer_fn scorer;
	void *scorer_arg;
	engine_progress_fn progress;       /* may be NULL */
	void *progress_arg;
	/* Time between reports within a stage: 0 = ENGINE_PROGRESS_MS,
	 * < 0 = at every check (lets tests cancel at an exact point). */
	int progress_ms;
	/* Sensitivity: samples 0 = off. Each weight is multiplied by a factor
	 * drawn uniformly from [1 - jitter_pct/100, 1 + jitter_pct/100]. */
	uint32_t samples;
	double jitter_pct;
	uint64_t seed;
	/* Rank change against this run (borrowed); NULL = none. */
	const Clusters__V1__Run *baseline;
} engine_opts_t;

#define ENGINE_MAX_SAMPLES 100000
/* Rank percentiles are kept for the best (this / samples) clusters of a
 * round; everyone still gets a selected share. */
#define ENGINE_SENS_BUDGET (16u << 20)
/* AGGREGATION_COPELAND compares every pair of a round's ranked candidates
 * over its criteria, O(m² k): a round ranking more than this many fails
 * with CD_ELIMIT (at 10,000 and 5 criteria, about half a second). */
#define ENGINE_COPELAND_MAX 10000u
/* Sensitivity with AGGREGATION_COPELAND: samples × m² (m the ranked
 * candidates of each sample) summed over a round at most this, else
 * CD_ELIMIT (about 2^30 / 10^8 = 10 samples of a 10,000-cluster round). */
#define ENGINE_COPELAND_SENS_PAIRS (1ull << 30)

/* Evaluates def (validated here without a plugin check) over cohort, which
 * must have been created for def. On success *out holds the result
 * (free: engine_result_destroy); it borrows def and cohort, which must
 * outlive it. */
int engine_evaluate(const Clusters__V1__Competition *def,
                    const engine_cohort_t *cohort, const engine_opts_t *opts,
                    engine_result_t **out, char *err, size_t errlen);

#endif
