/*
 * engine_result — what an evaluation produced: per round the columns of
 * raw, normalised and weighted scores, ranks and selections; per cluster
 * its standing (the last round it reached, overall rank, rank change); a
 * summary of the selected clusters; and the sensitivity statistics.
 *
 * The structures are read-only for callers. Positions ("pos") index a
 * round's arrays; cohort indexes index the cohort.
 *
 * Thread-safety: a finished result is immutable and may be read from
 * several threads.
 */
#ifndef ENGINE_RESULT_H
#define ENGINE_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include "clusters/v1/competitions.pb-c.h"
#include "engine_cohort.h"
#include "engine_dict.h"
#include "engine_eval.h"

/* Exclusion codes: kind in the top byte, an index in the low 24 bits. */
#define ENGINE_EXCL_NONE 0u
#define ENGINE_EXCL_FILTER (1u << 24)     /* | eligibility filter index */
#define ENGINE_EXCL_MISSING (2u << 24)    /* | criterion index */
#define ENGINE_EXCL_NONFINITE (3u << 24)  /* total score not finite */
#define ENGINE_EXCL_NORM (4u << 24)       /* | criterion index: normalised
                                             score not finite */
#define ENGINE_EXCL_KIND(c) ((c) & 0xff000000u)
#define ENGINE_EXCL_INDEX(c) ((c) & 0x00ffffffu)

/* What engine_select recorded about a position (engine_round_res_t.selinfo):
 * the kind in the top 3 bits, a value in the low 29. For a quota, the
 * group that was full (an economy part id of the cohort's parts dictionary,
 * or a region or city sid of the plugin cohort); for an industry leader,
 * how many ranked above it were not selected. */
#define ENGINE_SEL_NONE 0u
#define ENGINE_SEL_ECONOMY (1u << 29)
#define ENGINE_SEL_REGION (2u << 29)
#define ENGINE_SEL_CITY (3u << 29)
#define ENGINE_SEL_LEADER (4u << 29)
#define ENGINE_SEL_KIND(c) ((c) & 0xe0000000u)
#define ENGINE_SEL_VALUE(c) ((c) & 0x1fffffffu)
/* Ranks listed for a leader's passed-over clusters. */
#define ENGINE_PASSED_MAX 16

/* The statistics one criterion's normalisation used: over the raw scores
 * of the round's ranked candidates (before the total), scored ones only.
 * Sums are compensated; at the ends of the double range mean, sd and sum
 * may be ±Inf where the normalisation itself (which scales) was not. */
typedef struct engine_crit_stats {
	size_t m;                 /* scored values */
	double min, max, mean, sd, sum;   /* 0 when m = 0 */
} engine_crit_stats_t;

typedef struct engine_round_res {
	const Clusters__V1__Round *def;
	char name[64];            /* as shown in standings */
	size_t n;                 /* candidates entering the round */
	uint32_t *member;         /* their cohort indexes, ascending */
	size_t ncrit;
	/* Per criterion: weight / the sum of its siblings' (the round's
	 * criteria without pillar and its top-level pillars, or the members
	 * of its pillar). */
	double *wn;
	double *raw;              /* [k * n + pos]; NaN = no score */
	double *norm;             /* [k * n + pos]; NaN unless scored */
	double *score;            /* [pos]; NaN unless ranked */
	uint32_t *rank;           /* [pos]; 0 unless ranked */
	uint32_t *excl;           /* [pos]; ENGINE_EXCL_* */
	uint8_t *selected;        /* [pos] */
	uint32_t *order;          /* positions of ranked candidates, best first */
	size_t neligible, nranked, nselected;
	engine_notes_t *notes;    /* ncrit note sets, by position */
	engine_crit_stats_t *cstats;   /* ncrit */
	/* ncrit: what each criterion's scorer noted of the round as a whole
	 * (engine_crit_note); NULL in sensitivity's rounds of other
	 * candidates. */
	engine_crit_notes_t *cnotes;
	/* [pos] ENGINE_SEL_*, NULL when the round has neither quotas nor
	 * industry_leaders (nothing to record). */
	uint32_t *selinfo;
	/* The first unselected ranked candidates, best first: the clusters
	 * an industry leader with passed-over count c was taken ahead of are
	 * the first c of them. */
	uint32_t unsel_head[ENGINE_PASSED_MAX];
	size_t nunsel_head;
	/* Sensitivity (NULL when off), by position: rank percentiles in this
	 * round over the samples that ranked the cluster in it (0 beyond the
	 * tracked ones, see ENGINE_SENS_BUDGET), and the share of samples
	 * that selected it in this round. */
	uint32_t *p5, *p50, *p95;
	double *sel_share;
	/* Every cluster that was a candidate of this round in some sample,
	 * ascending cohort indexes, with the number of samples in which it
	 * was a candidate and in which this round selected it. */
	uint32_t *su, *su_reach, *su_sel;
	size_t nsu;
	/* Pillars (Round.pillars); npil 0 and NULL when the round has none. */
	size_t npil;
	int32_t *cpar;            /* ncrit: the criterion's pillar, -1 = top */
	int32_t *ppar;            /* npil: the pillar's parent, -1 = top */
	uint32_t *porder;         /* npil: children before their parents */
	double *pwn;              /* npil: weight / the sum of its siblings' */
	double *ceff, *peff;      /* effective shares of the total (products of
	                             sibling shares along the path) */
	double *pscore;           /* [j * n + pos], after the pillar's
	                             normalisation; NaN unless ranked */
	uint32_t *prank;          /* [j * n + pos]; 0 unless ranked */
	engine_crit_stats_t *pstats;   /* npil: over the ranked (sum unused) */
} engine_round_res_t;

typedef struct engine_standing {
	uint32_t cluster;         /* cohort index */
	uint32_t round;           /* last round reached */
	uint32_t pos;             /* position in that round */
	uint32_t rank;            /* overall; 0 when excluded */
	int32_t rank_change;      /* baseline rank - rank, if has_change */
	uint8_t has_change;
	uint8_t is_new;           /* ranked now, not ranked in the baseline */
	uint8_t selected;         /* selected by the final round */
} engine_standing_t;

typedef struct engine_group {
	const char *key;          /* lives as long as the cohort */
	uint32_t count;
} engine_group_t;

typedef struct engine_groups {
	engine_group_t *v;        /* count desc, then key asc */
	size_t n;                 /* = the number of distinct keys */
	size_t n_at_least;        /* v[0 .. n_at_least) hold >= group_min */
} engine_groups_t;

typedef struct engine_summary {
	uint32_t selected;
	uint32_t group_min;
	engine_groups_t economy;  /* a cross-border economy counts per part */
	engine_groups_t region;
	engine_groups_t city;     /* a multi-city cluster counts per city */
	engine_groups_t industry;
} engine_summary_t;

struct engine_result {
	const Clusters__V1__Competition *def;
	const engine_cohort_t *cohort;
	size_t nrounds;
	engine_round_res_t *rounds;
	size_t n;                 /* = cohort size */
	engine_standing_t *standings;  /* ranked by rank, then excluded */
	uint32_t *new_entrants;   /* cohort indexes, in standings order */
	size_t nnew;
	int has_baseline;
	engine_summary_t summary;
	uint32_t samples;
	double jitter_pct;
	uint64_t seed;
	engine_dict_t note_text;  /* interned notes from scorers */
	/* About the run as a whole, one sentence each, in round order: a
	 * round that selected no cluster, and why. */
	char **warnings;
	size_t nwarnings;
};

void engine_result_destroy(engine_result_t *r);

/* Why candidate pos of round r was excluded ("" when it was not), e.g.
 * "eligibility[0]: region \"X\" not in [\"A\", \"B\"]". Returns buf. */
const char *engine_result_reason(const engine_result_t *res, size_t r,
                                 size_t pos, char *buf, size_t len);
/* Note on criterion k of candidate pos ("" when none). Returns buf. */
const char *engine_result_note(const engine_result_t *res, size_t r,
                               size_t k, size_t pos, char *buf, size_t len);
/* Weighted score of criterion k under the aggregation that combines it
 * with its siblings (the round's, or its pillar's): wn * normalised
 * (arithmetic mean), or normalised ^ wn (geometric mean; 0 for a
 * non-positive value). */
double engine_result_weighted(const engine_result_t *res, size_t r, size_t k,
                              size_t pos);
/* Why candidate pos of round r was or was not selected: the code and
 * the facts behind it (Clusters__V1__Decision without the words). */
typedef struct engine_decision {
	Clusters__V1__DecisionCode code;
	/* SELECTED_AS_INDUSTRY_LEADER: passed[0..npassed) are round ranks,
	 * best first, of passed_total clusters ranked above and not
	 * selected. */
	const char *industry;
	uint32_t passed[ENGINE_PASSED_MAX];
	size_t npassed, passed_total;
	/* PASSED_OVER_BY_QUOTA: the full group and its count (= the limit:
	 * a group is refused once it holds limit clusters). */
	Clusters__V1__QuotaKind quota;
	const char *group;
	uint32_t group_count, limit;
	double min_score, score;  /* BELOW_MIN_SCORE */
	int32_t top_n;            /* OUTSIDE_TOP_N */
	size_t index;             /* NOT_ELIGIBLE: filter; MISSING_SCORE,
	                             NOT_FINITE: criterion (SIZE_MAX: the
	                             total) */
} engine_decision_t;

/* Fills *d for candidate pos of round r. */
void engine_result_decide(const engine_result_t *res, size_t r, size_t pos,
                          engine_decision_t *d);
/* The decision in words, e.g. "outside top_n 25"; the exclusions read as
 * engine_result_reason. Returns buf. */
const char *engine_result_decision_text(const engine_result_t *res, size_t r,
                                        size_t pos,
                                        const engine_decision_t *d,
                                        char *buf, size_t len);
/* The position of cohort cluster ci among round r's candidates, or -1
 * when it was not one. Bisects. */
long engine_result_pos(const engine_result_t *res, size_t r, uint32_t ci);
/* Sensitivity shares of cohort cluster ci in round r: of samples in which
 * it was a candidate, and in which round r selected it. 0 without
 * sensitivity. */
void engine_result_shares(const engine_result_t *res, size_t r, uint32_t ci,
                          double *reached, double *selected);

/* The standing of a cluster by id, or NULL. Linear: for tests and tools. */
const engine_standing_t *engine_result_find(const engine_result_t *res,
                                            const char *id);

#endif
