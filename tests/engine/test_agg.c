/* The aggregations AGGREGATION_WEIGHTED_HARMONIC, AGGREGATION_MEDIAN and
 * AGGREGATION_COPELAND: engine_aggregate_cols on small matrices computed
 * by hand, COINr's own test values (github.com/bluefoxr/COINr,
 * tests/testthat/test-aggregate.R: "harmonic", "outranking", "copeland"),
 * and whole runs (ranking, a missing score, the errors, sensitivity). */
#include <float.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "engine_internal.h"
#include "th.h"

#define NORM(x) CLUSTERS__V1__NORMALIZATION__NORMALIZATION_##x
#define AGG(x) CLUSTERS__V1__AGGREGATION__AGGREGATION_##x
#define E 1e-12

/* Aggregates rows (m of them, k values each, row-major) with weights w
 * (normalised here, as the engine passes shares) into score. */
static int agg(int a, const double *rows, size_t m, size_t k,
               const double *w, double *score, char *err)
{
	double *cols = malloc(m * k * sizeof(double)), wn[16], tot = 0;
	const double *cp[16];
	uint32_t R[64];
	for (size_t j = 0; j < k; j++) {
		tot += w[j];
		cp[j] = cols + j * m;
		for (size_t i = 0; i < m; i++)
			cols[j * m + i] = rows[i * k + j];
	}
	for (size_t j = 0; j < k; j++)
		wn[j] = w[j] / tot;
	for (size_t i = 0; i < m; i++)
		R[i] = (uint32_t)i;
	int rc = engine_aggregate_cols(a, cp, wn, k, R, m, score, err, 512);
	free(cols);
	return rc;
}

static void t_harmonic(void **st)
{
	(void)st;
	char err[512] = "";
	double s[4];
	/* COINr test-aggregate.R: a_hmean(c(1, 2, 3), c(2, 1, 1)) equals
	 * 4 / (2/1 + 1/2 + 1/3) = 24 / 17. */
	double x1[] = { 1, 2, 3 }, w1[] = { 2, 1, 1 };
	assert_int_equal(agg(AGG(WEIGHTED_HARMONIC), x1, 1, 3, w1, s, err), CD_OK);
	TH_NEAR(s[0], 24.0 / 17, E);
	/* By hand, two clusters, weights 1, 3: (10, 40): 1 / (0.25/10 +
	 * 0.75/40) = 1 / 0.04375 = 22.857142...; equal values give the
	 * value; a zero weight is skipped. */
	double x2[] = { 10, 40, 5, 5 }, w2[] = { 1, 3 };
	assert_int_equal(agg(AGG(WEIGHTED_HARMONIC), x2, 2, 2, w2, s, err), CD_OK);
	TH_NEAR(s[0], 1 / 0.04375, 1e-9);
	TH_NEAR(s[1], 5, E);
	double w3[] = { 0, 1 };
	double x3[] = { 0, 8 };
	assert_int_equal(agg(AGG(WEIGHTED_HARMONIC), x3, 1, 2, w3, s, err), CD_OK);
	TH_NEAR(s[0], 8, 0);
	/* Negative values are used as they are (COINr checks only for
	 * zeros): (-1, 2), equal weights: 1 / (-0.5 + 0.25) = -4. Mixed
	 * signs that cancel give no finite total. */
	double x4[] = { -1, 2, -2, 2 }, w4[] = { 1, 1 };
	assert_int_equal(agg(AGG(WEIGHTED_HARMONIC), x4, 2, 2, w4, s, err), CD_OK);
	TH_NEAR(s[0], -4, E);
	assert_false(isfinite(s[1]));
	/* A zero: COINr stops ("Zero values found when applying harmonic
	 * mean"); here CD_EPRECONDITION. */
	double x5[] = { 3, 4, 0, 5 };
	assert_int_equal(agg(AGG(WEIGHTED_HARMONIC), x5, 2, 2, w4, s, err),
	                 CD_EPRECONDITION);
	assert_non_null(strstr(err, "a normalised value of 0"));
	/* The ends of the range: subnormal values (whose reciprocals
	 * overflow) and DBL_MAX (whose reciprocals are subnormal). */
	double x6[] = { 0x1p-1070, 0x1p-1070, DBL_MAX, DBL_MAX,
	                0x1p-1070, 0x1p-1069 };
	assert_int_equal(agg(AGG(WEIGHTED_HARMONIC), x6, 3, 2, w4, s, err), CD_OK);
	TH_NEAR(s[0], 0x1p-1070, 0);
	TH_NEAR(s[1], DBL_MAX, 0);
	/* 1 / (0.5 / 2^-1070 + 0.5 / 2^-1069) = 2^-1070 * 4/3, to the
	 * precision of a subnormal with 4 bits. */
	TH_NEAR(s[2] / 0x1p-1070, 4.0 / 3, 0.1);
}

static void t_median(void **st)
{
	(void)st;
	char err[512] = "";
	double s[8];
	/* Equal weights: the usual median, odd and even. */
	double x1[] = { 3, 1, 2, 0, 4, 1, 3, 2 }, w1[] = { 1, 1, 1, 1 };
	assert_int_equal(agg(AGG(MEDIAN), x1, 2, 4, w1, s, err), CD_OK);
	TH_NEAR(s[0], 1.5, 0);   /* 0 1 2 3: (1 + 2) / 2 */
	TH_NEAR(s[1], 2.5, 0);   /* 1 2 3 4: (2 + 3) / 2 */
	double x2[] = { 7, -1, 3 }, w2[] = { 1, 1, 1 };
	assert_int_equal(agg(AGG(MEDIAN), x2, 1, 3, w2, s, err), CD_OK);
	TH_NEAR(s[0], 3, 0);
	/* Weights 0.1 .. 0.4 on values 1 .. 4: below 3 weighs 0.3, above it
	 * 0.4, both <= 1/2: 3. */
	double x3[] = { 1, 2, 3, 4 }, w3[] = { 1, 2, 3, 4 };
	assert_int_equal(agg(AGG(MEDIAN), x3, 1, 4, w3, s, err), CD_OK);
	TH_NEAR(s[0], 3, 0);
	/* An exact half split: 4 weighs 0.5; below 3 weighs 0.4 and above
	 * it 0.5, below 4 0.5 and above it 0: both qualify, (3 + 4) / 2. */
	double x4[] = { 4, 1, 2, 3 }, w4[] = { 5, 2, 2, 1 };
	assert_int_equal(agg(AGG(MEDIAN), x4, 1, 4, w4, s, err), CD_OK);
	TH_NEAR(s[0], 3.5, 0);
	/* Ties of values weigh together: 2, 2, 5: 2. A zero weight is
	 * skipped: (100 with weight 0), 1, 3: (1 + 3) / 2. */
	double x5[] = { 2, 2, 5, 100, 1, 3 }, w5[] = { 1, 1, 1 };
	assert_int_equal(agg(AGG(MEDIAN), x5, 1, 3, w5, s, err), CD_OK);
	TH_NEAR(s[0], 2, 0);
	double w6[] = { 0, 1, 1 };
	assert_int_equal(agg(AGG(MEDIAN), x5 + 3, 1, 3, w6, s, err), CD_OK);
	TH_NEAR(s[0], 2, 0);
	/* Six equal weights of 1/6, whose partial sums are not exactly 1/2:
	 * still the mean of the middle two. */
	double x7[] = { 6, 5, 4, 3, 2, 1 }, w7[] = { 1, 1, 1, 1, 1, 1 };
	assert_int_equal(agg(AGG(MEDIAN), x7, 1, 6, w7, s, err), CD_OK);
	TH_NEAR(s[0], 3.5, 0);
	/* The mean of two values at the ends of the range. */
	double x8[] = { DBL_MAX, DBL_MAX, -DBL_MAX, DBL_MAX }, w8[] = { 1, 1 };
	assert_int_equal(agg(AGG(MEDIAN), x8, 2, 2, w8, s, err), CD_OK);
	TH_NEAR(s[0], DBL_MAX, 0);
	TH_NEAR(s[1], 0, 0);
}

static void t_copeland(void **st)
{
	(void)st;
	char err[512] = "";
	double s[4];
	/* COINr test-aggregate.R, "outranking" and "copeland": X = (x1 1:4,
	 * x2 3, 2, 1, 5, x3 2, 3, 1, 4), equal weights. Outranking
	 * matrix: o(2, 1) = 2/3, o(3, 1) = 1/3, o(4, 1) = 1; the rest by
	 * hand: o(1, 2) = 1/3, o(1, 3) = 2/3, o(1, 4) = 0, o(2, 3) = 2/3,
	 * o(2, 4) = 0, o(3, 4) = 0. Copeland row sums: -1, 1, -3, 3. */
	double x1[] = { 1, 3, 2, 2, 2, 3, 3, 1, 1, 4, 5, 4 };
	double w1[] = { 1, 1, 1 };
	assert_int_equal(agg(AGG(COPELAND), x1, 4, 3, w1, s, err), CD_OK);
	TH_NEAR(s[0], -1, 0);
	TH_NEAR(s[1], 1, 0);
	TH_NEAR(s[2], -3, 0);
	TH_NEAR(s[3], 3, 0);
	/* COINr: X = (x1 1, 2, x2 2, 1): o = 0.5 both ways, scores 0, 0. */
	double x2[] = { 1, 2, 2, 1 }, w2[] = { 1, 1 };
	assert_int_equal(agg(AGG(COPELAND), x2, 2, 2, w2, s, err), CD_OK);
	TH_NEAR(s[0], 0, 0);
	TH_NEAR(s[1], 0, 0);
	/* Weights 2, 1, 1 on the first matrix: 1 vs 2 wins x2 (1/4), loses
	 * x1, x3 (3/4): -1; 1 vs 3 loses x1 (1/2), wins x2, x3 (1/2): a tie,
	 * 0; 1 vs 4 -1; 2 vs 3 loses x1 (1/2), wins x2, x3: 0; 2 vs 4 -1;
	 * 3 vs 4 -1. Rows: -2, 0, -1, 3. */
	double w3[] = { 2, 1, 1 };
	assert_int_equal(agg(AGG(COPELAND), x1, 4, 3, w3, s, err), CD_OK);
	TH_NEAR(s[0], -2, 0);
	TH_NEAR(s[1], 0, 0);
	TH_NEAR(s[2], -1, 0);
	TH_NEAR(s[3], 3, 0);
	/* Equal values count half to each side: rows (5, 1), (5, 2): 1 vs
	 * 2 ties x1, loses x2: -1, +1. Identical rows: 0. */
	double x4[] = { 5, 1, 5, 2, 5, 2 };
	assert_int_equal(agg(AGG(COPELAND), x4, 3, 2, w2, s, err), CD_OK);
	TH_NEAR(s[0], -2, 0);
	TH_NEAR(s[1], 1, 0);
	TH_NEAR(s[2], 1, 0);
	/* Weights 1/3, 1/6, 1/2 on (1, 2, 2) vs (2, 1, 2): loss 1/3, win
	 * 1/6, tie 1/2: o = 1/6 + 1/4 < 1/2: -1 (no tie from rounding). */
	double x5[] = { 1, 2, 2, 2, 1, 2 }, w5[] = { 2, 1, 3 };
	assert_int_equal(agg(AGG(COPELAND), x5, 2, 3, w5, s, err), CD_OK);
	TH_NEAR(s[0], -1, 0);
	TH_NEAR(s[1], 1, 0);
	/* A single cluster: 0. */
	assert_int_equal(agg(AGG(COPELAND), x2, 1, 2, w2, s, err), CD_OK);
	TH_NEAR(s[0], 0, 0);
}

/* More than ENGINE_COPELAND_MAX ranked candidates: refused before any
 * pair is compared, the same call as every Copeland round. */
static void t_copeland_limit(void **st)
{
	(void)st;
	size_t m = ENGINE_COPELAND_MAX + 1;
	double *col = calloc(m, sizeof(double)), *score = malloc(m * sizeof(double));
	uint32_t *R = malloc(m * sizeof(uint32_t));
	assert_non_null(col);
	assert_non_null(score);
	assert_non_null(R);
	for (size_t i = 0; i < m; i++)
		R[i] = (uint32_t)i;
	const double *cols[1] = { col };
	double w[1] = { 1 };
	char err[512] = "";
	assert_int_equal(engine_aggregate_cols(AGG(COPELAND), cols, w, 1, R, m,
	                                       score, err, sizeof(err)),
	                 CD_ELIMIT);
	assert_string_equal(err, "AGGREGATION_COPELAND compares every pair of "
	                    "ranked candidates: 10001 candidates are more "
	                    "than the 10000 it takes (its cost grows with "
	                    "their square); narrow the round with "
	                    "eligibility filters or an earlier round");
	/* An unknown aggregation. */
	assert_int_equal(engine_aggregate_cols(42, cols, w, 1, R, 2, score, err,
	                                       sizeof(err)), CD_EINVAL);
	free(col);
	free(score);
	free(R);
}

/* ------------------------------------------------------ whole runs */

static const th_cluster_t four[] = {
	{ .id = "a" }, { .id = "b" }, { .id = "c" }, { .id = "d" },
};

typedef struct fx {
	Clusters__V1__Competition *def;
	Clusters__V1__Round *r;
	engine_cohort_t *c;
	engine_result_t *res;
	th_scores_t s;
} fx_t;

/* Two criteria k1 (weight w1, n1) and k2 (weight 1, NONE). */
static void run2(fx_t *f, int a, int n1, double w1, const char *s1,
                 const char *s2, int missing, int expect)
{
	memset(f, 0, sizeof(*f));
	f->def = th_comp("c");
	f->r = th_round(f->def, "r");
	f->r->aggregation = a;
	f->r->missing = missing;
	f->r->shared_ranks = 1;
	th_crit(f->r, "k1", w1, n1)->goalpost_upper = 10;
	th_crit(f->r, "k2", 1, NORM(NONE));
	f->c = th_cohort(f->def, four, 4);
	f->s.crit[0] = "k1";
	f->s.spec[0] = s1;
	f->s.crit[1] = "k2";
	f->s.spec[1] = s2;
	f->res = th_eval(f->def, f->c, &f->s, expect);
}

static void done(fx_t *f)
{
	engine_result_destroy(f->res);
	th_cohort_free(f->c);
	th_comp_free(f->def);
}

static void t_runs(void **st)
{
	(void)st;
	fx_t f;
	/* Harmonic, weights 1, 1: a (1, 4) 1.6; b (2, 2) 2; c (4, 1) 1.6,
	 * a tie sharing rank 2; d's k1 missing: excluded. */
	run2(&f, AGG(WEIGHTED_HARMONIC), NORM(NONE), 1, "a=1;b=2;c=4;d=-",
	     "a=4;b=2;c=1;d=3", 0, CD_OK);
	TH_NEAR(th_score(f.res, "a"), 1.6, E);
	TH_NEAR(th_score(f.res, "b"), 2, E);
	assert_int_equal(th_rank(f.res, "b"), 1);
	assert_int_equal(th_rank(f.res, "a"), 2);
	assert_int_equal(th_rank(f.res, "c"), 2);
	assert_int_equal(th_rank(f.res, "d"), 0);
	/* The weighted scores are the terms of 1 / score: 0.5 / v. */
	TH_NEAR(engine_result_weighted(f.res, 0, 0, 0), 0.5, E);
	done(&f);
	/* Harmonic with MISSING_POLICY_SCORE_ZERO: d's missing k1 counts
	 * 0, and the run fails, naming it. */
	char err[512] = "";
	run2(&f, AGG(WEIGHTED_HARMONIC), NORM(NONE), 1, "a=1;b=2;c=4;d=-",
	     "a=4;b=2;c=1;d=3",
	     CLUSTERS__V1__MISSING_POLICY__MISSING_POLICY_SCORE_ZERO,
	     CD_EPRECONDITION);
	engine_opts_t o = { .scorer = th_scorer, .scorer_arg = &f.s };
	assert_int_equal(engine_evaluate(f.def, f.c, &o, &f.res, err,
	                                 sizeof(err)), CD_EPRECONDITION);
	assert_string_equal(err, "round \"r\": AGGREGATION_WEIGHTED_HARMONIC "
	    "divides by every normalised score, and cluster \"d\" has 0 for "
	    "criterion \"k1\" (COINr's a_hmean refuses zeros too); use a "
	    "normalisation that gives no 0 (MIN_MAX, DISTANCE_TO_MAX, RANK "
	    "and PERCENTILE_RANK give 0 to the lowest value, "
	    "MISSING_POLICY_SCORE_ZERO to a missing score), e.g. GOALPOSTS "
	    "with the lower goalpost below every value");
	done(&f);
	/* Harmonic of values with mixed signs that cancel: excluded as not
	 * finite, the others ranked. */
	run2(&f, AGG(WEIGHTED_HARMONIC), NORM(NONE), 1, "a=-2;b=2;c=4;d=1",
	     "a=2;b=2;c=1;d=3", 0, CD_OK);
	assert_int_equal(th_rank(f.res, "a"), 0);
	assert_non_null(strstr(th_reason(f.res, "a"), "not a finite number"));
	assert_int_equal(th_rank(f.res, "b"), 1);
	done(&f);
	/* Median of two criteria, weights 3, 1: k1 carries 3/4 > 1/2, so
	 * the median is k1's value (GOALPOSTS 0..10: 10 x). */
	run2(&f, AGG(MEDIAN), NORM(GOALPOSTS), 3, "a=1;b=2;c=3;d=4",
	     "a=90;b=0;c=50;d=-5", 0, CD_OK);
	TH_NEAR(th_score(f.res, "a"), 10, E);
	TH_NEAR(th_score(f.res, "d"), 40, E);
	assert_string_equal(th_order(f.res), "d c b a");
	TH_NEAR(engine_result_weighted(f.res, 0, 1, 0), 90, 0);
	done(&f);
	/* Equal weights: the mean of the two. */
	run2(&f, AGG(MEDIAN), NORM(GOALPOSTS), 1, "a=1;b=2;c=3;d=4",
	     "a=90;b=0;c=50;d=-5", 0, CD_OK);
	TH_NEAR(th_score(f.res, "a"), 50, E);
	TH_NEAR(th_score(f.res, "d"), 17.5, E);
	done(&f);
	/* Copeland, weights 1, 1, k1 normalised by RANK (a 0, b 100/3, c
	 * 200/3, d 100), k2 raw: a (0, 9) vs b (33, 1): tie; a vs c (67,
	 * 5): tie; a vs d (100, 9): loses k1, ties k2: loses; b vs c:
	 * loses both; b vs d: loses; c vs d: loses both. a -1, b -2, c 0,
	 * d 3. */
	run2(&f, AGG(COPELAND), NORM(RANK), 1, "a=1;b=2;c=3;d=4",
	     "a=9;b=1;c=5;d=9", 0, CD_OK);
	TH_NEAR(th_score(f.res, "a"), -1, 0);
	TH_NEAR(th_score(f.res, "b"), -2, 0);
	TH_NEAR(th_score(f.res, "c"), 0, 0);
	TH_NEAR(th_score(f.res, "d"), 3, 0);
	assert_string_equal(th_order(f.res), "d c a b");
	done(&f);
}

/* A scorer for large cohorts: the cohort index mod 97. */
static int big_scorer(void *arg, engine_score_req_t *req, char *err,
                      size_t errlen)
{
	(void)arg;
	(void)err;
	(void)errlen;
	for (size_t i = 0; i < req->n; i++)
		req->raw[i] = (double)(req->members[i] % 97);
	return CD_OK;
}

static engine_cohort_t *big_cohort(Clusters__V1__Competition *def, size_t n,
                                   th_cluster_t **v, char **ids)
{
	*v = calloc(n, sizeof(**v));
	*ids = malloc(n * 16);
	for (size_t i = 0; i < n; i++) {
		snprintf(*ids + i * 16, 16, "c%05u", (unsigned)(i % 100000));
		(*v)[i] = (th_cluster_t){ .id = *ids + i * 16 };
	}
	return th_cohort(def, *v, n);
}

/* A real round over the limit, through engine_evaluate; and the
 * sensitivity budget, samples × m², refused before any sample runs. */
static void t_copeland_runs(void **st)
{
	(void)st;
	Clusters__V1__Competition *def = th_comp("c");
	Clusters__V1__Round *r = th_round(def, "big");
	r->aggregation = AGG(COPELAND);
	th_crit(r, "k", 1, NORM(NONE));
	th_cluster_t *v;
	char *ids, err[512] = "";
	engine_cohort_t *c = big_cohort(def, ENGINE_COPELAND_MAX + 1, &v, &ids);
	engine_opts_t o = { .scorer = big_scorer };
	engine_result_t *res = NULL;
	assert_int_equal(engine_evaluate(def, c, &o, &res, err, sizeof(err)),
	                 CD_ELIMIT);
	assert_string_equal(err, "round \"big\": AGGREGATION_COPELAND compares "
	                    "every pair of ranked candidates: 10001 candidates "
	                    "are more than the 10000 it takes (its cost grows "
	                    "with their square); narrow the round with "
	                    "eligibility filters or an earlier round");
	th_cohort_free(c);
	free(v);
	free(ids);
	/* 3300 clusters: one run compares 5.4 million pairs; 100 samples
	 * would be 100 × 3300² > 2^30. */
	c = big_cohort(def, 3300, &v, &ids);
	o.samples = 100;
	o.jitter_pct = 10;
	assert_int_equal(engine_evaluate(def, c, &o, &res, err, sizeof(err)),
	                 CD_ELIMIT);
	assert_string_equal(err, "sensitivity: round \"big\" "
	                    "(AGGREGATION_COPELAND) would compare more than "
	                    "1073741824 pairs of candidates over its samples "
	                    "(samples × m², m = 3300 ranked); use fewer "
	                    "samples");
	th_cohort_free(c);
	free(v);
	free(ids);
	/* Small enough: the samples re-aggregate by Copeland; with no
	 * jitter every sample is the base run. */
	c = big_cohort(def, 50, &v, &ids);
	o.samples = 20;
	o.jitter_pct = 0;
	assert_int_equal(engine_evaluate(def, c, &o, &res, err, sizeof(err)),
	                 CD_OK);
	/* One criterion: Copeland is (clusters below) - (clusters above);
	 * c00049 has 49 % 97 = 49, the largest: 49. */
	TH_NEAR(th_score(res, "c00049"), 49, 0);
	assert_int_equal(th_rank(res, "c00049"), 1);
	const engine_standing_t *s = engine_result_find(res, "c00049");
	assert_non_null(s);
	engine_result_destroy(res);
	th_cohort_free(c);
	free(v);
	free(ids);
	th_comp_free(def);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_harmonic),
		cmocka_unit_test(t_median),
		cmocka_unit_test(t_copeland),
		cmocka_unit_test(t_copeland_limit),
		cmocka_unit_test(t_runs),
		cmocka_unit_test(t_copeland_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
