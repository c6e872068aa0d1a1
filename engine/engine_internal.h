/*
 * engine_internal — definitions shared by the engine's own files; not for
 * other modules (they use the public headers in engine.h).
 *
 * Thread-safety: as the public types these describe.
 */
#ifndef ENGINE_INTERNAL_H
#define ENGINE_INTERNAL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "engine_cohort.h"
#include "engine_dict.h"
#include "engine_eval.h"
#include "engine_result.h"

/* A label column: the sid (in the plugin cohort) of each cluster's value of
 * one label. */
typedef struct engine_label_col {
	char *key;
	uint32_t *val;          /* ENGINE_SID_NONE: label absent */
} engine_label_col_t;

/* An indicator column: one (name, year) pair, year 0 = the latest year. */
typedef struct engine_ind_col {
	char *name;
	int32_t year;
	double *val;            /* NaN: indicator absent */
} engine_ind_col_t;

/* Group ids are the plugin cohort's sids (< nstrs; sid 0 is ""), except
 * economy parts, which are the engine's own (parts, sid 0 is ""). */
struct engine_cohort {
	const plugin_cohort_t *pc;   /* borrowed: ids, names, strings */
	size_t n;
	uint32_t nstrs;         /* sids of pc */
	uint32_t *economy, *region, *industry;   /* per cluster */
	uint32_t *city_off;     /* n + 1 entries into city[] */
	const uint32_t *city;   /* pc's city sids */
	/* Parts of economy sid e: part[part_off[e] .. part_off[e + 1]). */
	engine_dict_t parts;
	uint32_t *part_off;     /* nstrs + 1 entries */
	uint32_t *part;
	size_t npart, part_cap;
	engine_label_col_t *lcol;
	size_t nlcol;
	engine_ind_col_t *icol;
	size_t nicol;
	int ids_sorted;         /* ids ascend with the cohort index */
};

/* The string of sid of the plugin cohort (a value of economy, region,
 * industry, city or label columns). */
static inline const char *engine_cohort_str(const engine_cohort_t *c,
                                            uint32_t sid)
{
	return plugin_cohort_str(c->pc, sid);
}

/* Column lookups for filters; NULL when the cohort lacks the column. */
const engine_label_col_t *engine_cohort_label_col(const engine_cohort_t *c,
                                                  const char *key);
const engine_ind_col_t *engine_cohort_ind_col(const engine_cohort_t *c,
                                              const char *name, int32_t year);

/* Grows *arr (of elem-sized items, capacity *cap) to hold need items. */
int engine_grow(void **arr, size_t *cap, size_t need, size_t elem);

/* ------------------------------------------------------------- notes */

typedef struct engine_note {
	uint32_t pos, sid, seq;
} engine_note_t;

struct engine_notes {
	engine_dict_t *text;       /* shared by the whole result */
	const uint32_t *map;       /* request index -> round position */
	size_t nmap;
	engine_note_t *v;
	size_t n, cap;
	int unsorted;
};

/* A criterion's notes of a round, in the order keys were first given. */
typedef struct engine_kv {
	char *key, *value;
} engine_kv_t;

struct engine_crit_notes {
	engine_kv_t *v;
	size_t n, cap;
};

/* Frees what the notes hold (not notes itself). */
void engine_crit_notes_fini(engine_crit_notes_t *notes);

/* Sorts by position (last note set wins) so lookups can bisect. */
void engine_notes_finish(engine_notes_t *n);
/* The note's sid in n->text, or ENGINE_SID_NONE. */
uint32_t engine_notes_get(const engine_notes_t *n, uint32_t pos);
/* As engine_notes_get over the first count notes only: those of the last
 * finish, while more are being set. */
uint32_t engine_notes_get_n(const engine_notes_t *n, size_t count,
                            uint32_t pos);

/* The value of cohort cluster i that filter f tested ("" when absent;
 * cities joined by ", "). Returns buf. */
const char *engine_filter_value(const engine_cohort_t *c,
                                const Clusters__V1__Filter *f, uint32_t i,
                                char *buf, size_t len);

/* x in the fewest digits (15 to 17) that read back as x. Returns buf. */
const char *engine_fmt_double(char *buf, size_t len, double x);

/* ------------------------------------------------------------- sums */

/* Neumaier's compensated sum: a cancellation such as 1 + 1e308 - 1e308
 * keeps the 1. */
typedef struct engine_ksum {
	double s, c;
} engine_ksum_t;

static inline void engine_ksum_add(engine_ksum_t *k, double x)
{
	double t = k->s + x;
	if (fabs(k->s) >= fabs(x))
		k->c += (k->s - t) + x;
	else
		k->c += (x - t) + k->s;
	k->s = t;
}

static inline double engine_ksum_get(const engine_ksum_t *k)
{
	return k->s + k->c;
}

/* -------------------------------------------------------------- sorting */

typedef struct engine_pair {
	uint64_t key;
	uint32_t idx;
} engine_pair_t;

/* Scratch reused across sorts so hot loops do not allocate. */
typedef struct engine_sorter {
	engine_pair_t *a, *b;
	size_t cap;
} engine_sorter_t;

void engine_sorter_fini(engine_sorter_t *s);
/* Stable sort of idx[0..n) by key[idx[i]], largest first. Keys finite. */
int engine_sort_desc(engine_sorter_t *s, uint32_t *idx, size_t n,
                     const double *key);
/* The same, leaving the sorted pairs in s's scratch (*sorted, valid until
 * the next sort): equal keys are equal doubles (-0 and +0 alike), so ties
 * are found without reading key[] again. */
int engine_sort_desc_pairs(engine_sorter_t *s, const uint32_t *idx,
                           size_t n, const double *key,
                           const engine_pair_t **sorted);
/* Sort of pos[0..n) by the id of cohort cluster member[pos]. */
int engine_sort_ids(uint32_t *pos, size_t n, const engine_cohort_t *c,
                    const uint32_t *member);

/* ------------------------------------------------------ round pipeline */

/* Eligibility: sets rr->excl[pos] to the first failing filter. */
int engine_filter_round(engine_round_res_t *rr, const engine_cohort_t *c,
                        engine_progress_t *p, char *err, size_t errlen);

/* Normalises column raw into norm over R (nR positions). With
 * zero_missing, a missing raw score normalises to 0. */
int engine_normalize(const Clusters__V1__Criterion *cr, const double *raw,
                     double *norm, const uint32_t *R, size_t nR,
                     int zero_missing, engine_sorter_t *s,
                     engine_crit_stats_t *out);

/* score[p] for p in R from columns cols[k][p] (k < ncol) with weights w
 * (shares that sum to 1; zero weights skipped) under Aggregation agg.
 * CD_OK, or an error with a message: CD_EPRECONDITION (a 0 under
 * AGGREGATION_WEIGHTED_HARMONIC), CD_ELIMIT (more than
 * ENGINE_COPELAND_MAX for AGGREGATION_COPELAND), CD_ENOMEM, CD_EINVAL
 * (an aggregation it does not know). */
int engine_aggregate_cols(int agg, const double *const *cols, const double *w,
                          size_t ncol, const uint32_t *R, size_t nR,
                          double *score, char *err, size_t errlen);
/* The methods of engine_agg.c, with engine_aggregate_cols's contract. */
int engine_agg_harmonic(const double *const *cols, const double *w,
                        size_t ncol, const uint32_t *R, size_t nR,
                        double *score, char *err, size_t errlen);
int engine_agg_median(const double *const *cols, const double *w,
                      size_t ncol, const uint32_t *R, size_t nR,
                      double *score, char *err, size_t errlen);
int engine_agg_copeland(const double *const *cols, const double *w,
                        size_t ncol, const uint32_t *R, size_t nR,
                        double *score, char *err, size_t errlen);

/* score[pos] for pos in R from the round's normalised columns and weights
 * wn (engine_aggregate_cols over rr->norm). Errors as there, the message
 * naming the round and, for a harmonic mean's 0, the cluster and the
 * criterion (c: the cohort, for its ids). */
int engine_aggregate(const engine_round_res_t *rr, const engine_cohort_t *c,
                     const double *wn, const uint32_t *R, size_t nR,
                     double *score, char *err, size_t errlen);

/* ------------------------------------------------------------ pillars */

/* rr's pillar tree from its (validated) definition: parents, the
 * bottom-up order, sibling and effective weight shares (rr->wn too), and
 * the pillar columns. CD_ENOMEM. */
int engine_tree_init(engine_round_res_t *rr);
void engine_tree_fini(engine_round_res_t *rr);
/* Sibling shares cwn (ncrit) and pwn (npil) of the weights cw and pw. */
void engine_tree_weights(const engine_round_res_t *rr, const double *cw,
                         const double *pw, double *cwn, double *pwn);
/* Every pillar's score into pcol ([j * n + pos]) bottom-up over R from
 * the normalised columns norm, each normalised over R if its definition
 * says so, then the total into score (NaN where a pillar's score is not
 * finite). An aggregation's error names the round and pillar (and, for a
 * harmonic mean's 0, the cluster of cohort c and the member). */
int engine_tree_aggregate(const engine_round_res_t *rr,
                          const engine_cohort_t *c, const double *norm,
                          const double *cwn, const double *pwn,
                          const uint32_t *R, size_t nR, double *pcol,
                          double *score, engine_sorter_t *s, char *err,
                          size_t errlen);
/* Pillar ranks and statistics over the round's ranked (rr->order). */
int engine_tree_rank(engine_round_res_t *rr, engine_sorter_t *s);
/* The aggregation that combines criterion k with its siblings. */
int engine_crit_parent_agg(const engine_round_res_t *rr, size_t k);

/* R ordered by the tie-break criteria (descending), then id: the base
 * order that a stable sort by score turns into the ranking. */
int engine_base_order(const engine_round_res_t *rr, const engine_cohort_t *c,
                      uint32_t *R, size_t nR, engine_sorter_t *s);

/* rank[pos] from order (best first); equal scores share a rank when
 * shared (1, 2, 2, 4). */
void engine_assign_ranks(const uint32_t *order, size_t n, const double *score,
                         int shared, uint32_t *rank);

typedef struct engine_selector {
	uint32_t *part_cnt, *region_cnt, *city_cnt;
	uint8_t *led;              /* industry already has its leader */
	size_t nparts, nregions, ncities, nindustries;
} engine_selector_t;

int engine_selector_init(engine_selector_t *s, const engine_cohort_t *c);
void engine_selector_fini(engine_selector_t *s);
/* Sets selected[pos] for the chosen of order[0..n); returns how many.
 * info (NULL = not recorded): ENGINE_SEL_* per position of order. */
size_t engine_select(engine_selector_t *s, const Clusters__V1__Selection *sel,
                     const engine_cohort_t *c, const uint32_t *member,
                     const uint32_t *order, size_t n, const double *score,
                     uint8_t *selected, uint32_t *info);

/* Standings, rank change and summary, once every round is done. */
int engine_standings_build(engine_result_t *res,
                           const Clusters__V1__Run *baseline, char *err,
                           size_t errlen);
int engine_summary_build(engine_result_t *res, char *err, size_t errlen);
/* res->warnings: each round that had candidates and selected none. */
int engine_warnings_build(engine_result_t *res, char *err, size_t errlen);
/* Appends a printf-formatted warning to res. CD_ENOMEM. */
int engine_warn(engine_result_t *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Sensitivity of every round, samples chaining the rounds (the base
 * results of every round must be complete). Calls o->scorer again for
 * clusters that reach a round in some sample but not in the base run. */
int engine_sens_run(engine_result_t *res, const engine_opts_t *o,
                    engine_progress_t *p, char *err, size_t errlen);

/* Round pipeline parts shared with sensitivity. */
int engine_score_round(engine_result_t *res, engine_round_res_t *rr,
                       size_t r, const uint32_t *E, size_t nE,
                       const engine_opts_t *o, engine_progress_t *prog,
                       char *err, size_t errlen);
size_t engine_apply_missing(engine_round_res_t *rr, const uint32_t *E,
                            size_t nE, uint32_t *R);
size_t engine_drop_nonfinite_norm(engine_round_res_t *rr, uint32_t *R,
                                  size_t nR);

#endif
