/* Numerical range: every normalisation and both aggregations over the whole
 * range of finite doubles (±1e308, ±DBL_MAX, subnormals, mixed signs, all
 * equal), against values computed by hand; a value that cannot be computed
 * gives the cluster a reason, never a NaN rank. */
#include <float.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "th.h"

#define NORM(x) CLUSTERS__V1__NORMALIZATION__NORMALIZATION_##x
#define GEO CLUSTERS__V1__AGGREGATION__AGGREGATION_WEIGHTED_GEOMETRIC
#define E 1e-12
/* DBL_TRUE_MIN, the smallest subnormal, 2^-1074. */
#define D1 4.9406564584124654e-324
#define S_D1 "4.9406564584124654e-324"
#define S_MAX "1.7976931348623157e308"

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

/* One round over the first n of a, b, c, d; criteria k0, k1, ... with
 * normalisation norm, weight 1 and the scores spec[i]. */
static void run(fx_t *f, Clusters__V1__Normalization norm, int geo,
                size_t n, const char *const *spec, size_t ncrit)
{
	static const char *ids[] = { "k0", "k1", "k2", "k3", "k4", "k5",
	                             "k6", "k7", "k8", "k9", "k10", "k11" };
	memset(f, 0, sizeof(*f));
	f->def = th_comp("c");
	f->r = th_round(f->def, "r");
	if (geo)
		f->r->aggregation = GEO;
	for (size_t k = 0; k < ncrit; k++) {
		th_crit(f->r, ids[k], 1, norm);
		f->s.crit[k] = ids[k];
		f->s.spec[k] = spec[k];
	}
	f->c = th_cohort(f->def, four, n);
}

static void eval(fx_t *f)
{
	f->res = th_eval(f->def, f->c, &f->s, CD_OK);
}

static void run1(fx_t *f, Clusters__V1__Normalization norm, const char *spec,
                 size_t n)
{
	run(f, norm, 0, n, &spec, 1);
	eval(f);
}

static void done(fx_t *f)
{
	engine_result_destroy(f->res);
	th_cohort_free(f->c);
	th_comp_free(f->def);
}

static void t_min_max_range(void **st)
{
	(void)st;
	fx_t f;
	/* max - min = 2e308 overflows: 100 (x - min) / (max - min) computed
	 * scaled gives 0, 50, 100. */
	run1(&f, NORM(MIN_MAX), "a=-1e308;b=0;c=1e308", 3);
	TH_NEAR(th_norm(f.res, "a", 0), 0, 0);
	TH_NEAR(th_norm(f.res, "b", 0), 50, E);
	TH_NEAR(th_norm(f.res, "c", 0), 100, 0);
	assert_string_equal(th_order(f.res), "c b a");
	assert_int_equal(th_rank(f.res, "c"), 1);
	done(&f);
	/* The whole range: -DBL_MAX .. DBL_MAX; 0 is the middle. */
	run1(&f, NORM(MIN_MAX), "a=-" S_MAX ";b=" S_MAX ";c=0;d=-0", 4);
	TH_NEAR(th_norm(f.res, "a", 0), 0, 0);
	TH_NEAR(th_norm(f.res, "b", 0), 100, 0);
	TH_NEAR(th_norm(f.res, "c", 0), 50, E);
	TH_NEAR(th_norm(f.res, "d", 0), 50, E);
	done(&f);
	/* 100 (x - min) alone would overflow: min 0, max 1e307. */
	run1(&f, NORM(MIN_MAX), "a=0;b=5e306;c=1e307", 3);
	TH_NEAR(th_norm(f.res, "b", 0), 50, E);
	TH_NEAR(th_norm(f.res, "c", 0), 100, 0);
	assert_string_equal(th_order(f.res), "c b a");
	done(&f);
	/* Subnormals: d, 2d, 3d -> 0, 50, 100 exactly. */
	run1(&f, NORM(MIN_MAX), "a=" S_D1 ";b=9.8813129168249309e-324;"
	     "c=1.4821969375237396e-323", 3);
	TH_NEAR(th_norm(f.res, "a", 0), 0, 0);
	TH_NEAR(th_norm(f.res, "b", 0), 50, 0);
	TH_NEAR(th_norm(f.res, "c", 0), 100, 0);
	done(&f);
	/* All equal at the top of the range: 100 each. */
	run1(&f, NORM(MIN_MAX), "a=" S_MAX ";b=" S_MAX, 2);
	TH_NEAR(th_norm(f.res, "a", 0), 100, 0);
	TH_NEAR(th_score(f.res, "b"), 100, 0);
	done(&f);
}

static void t_min_max_geometric(void **st)
{
	(void)st;
	fx_t f;
	/* k0 over ±1e308 normalises to 0, 50, 100 and k1 (1, 2, 3) to the
	 * same; the geometric mean is 0 (a non-positive factor), 50, 100. */
	const char *spec[] = { "a=-1e308;b=0;c=1e308", "a=1;b=2;c=3" };
	run(&f, NORM(MIN_MAX), 1, 3, spec, 2);
	eval(&f);
	TH_NEAR(th_score(f.res, "a"), 0, 0);
	TH_NEAR(th_score(f.res, "b"), 50, 1e-12);
	/* exp(ln 100) is 100 to rounding */
	TH_NEAR(th_score(f.res, "c"), 100, 1e-12);
	assert_string_equal(th_order(f.res), "c b a");
	assert_string_equal(th_reason(f.res, "b"), "");
	done(&f);
}

static void t_z_score_range(void **st)
{
	(void)st;
	fx_t f;
	/* 1e308, -1e308, 0: mean 0, population sd 1e308 sqrt(2/3); z =
	 * ±sqrt(3/2), 0. (Σx² overflows unscaled.) */
	run1(&f, NORM(Z_SCORE), "a=1e308;b=-1e308;c=0", 3);
	TH_NEAR(th_norm(f.res, "a", 0), sqrt(1.5), E);
	TH_NEAR(th_norm(f.res, "b", 0), -sqrt(1.5), E);
	TH_NEAR(th_norm(f.res, "c", 0), 0, E);
	done(&f);
	/* D, D, -D (D = DBL_MAX; Σx overflows): mean D/3, deviations 2D/3,
	 * 2D/3, -4D/3, variance (4 + 4 + 16) / 27 D² = 8D²/9, sd = 2√2 D / 3;
	 * z = 1/√2, 1/√2, -√2. */
	run1(&f, NORM(Z_SCORE), "a=" S_MAX ";b=" S_MAX ";c=-" S_MAX, 3);
	TH_NEAR(th_norm(f.res, "a", 0), 1 / sqrt(2), E);
	TH_NEAR(th_norm(f.res, "b", 0), 1 / sqrt(2), E);
	TH_NEAR(th_norm(f.res, "c", 0), -sqrt(2), E);
	done(&f);
	/* Tiny values: the squared deviations (1e-400) underflow unscaled. */
	run1(&f, NORM(Z_SCORE), "a=1e-200;b=2e-200;c=3e-200", 3);
	TH_NEAR(th_norm(f.res, "a", 0), -sqrt(1.5), E);
	TH_NEAR(th_norm(f.res, "b", 0), 0, E);
	TH_NEAR(th_norm(f.res, "c", 0), sqrt(1.5), E);
	done(&f);
	/* Subnormals d, 2d, 3d: the same z-scores. */
	run1(&f, NORM(Z_SCORE), "a=" S_D1 ";b=9.8813129168249309e-324;"
	     "c=1.4821969375237396e-323", 3);
	TH_NEAR(th_norm(f.res, "a", 0), -sqrt(1.5), E);
	TH_NEAR(th_norm(f.res, "c", 0), sqrt(1.5), E);
	done(&f);
	/* All equal: 0 exactly, even where the computed mean is not the
	 * value (0.1 + 0.1 + 0.1 = 0.30000000000000004). */
	run1(&f, NORM(Z_SCORE), "a=0.1;b=0.1;c=0.1", 3);
	TH_NEAR(th_norm(f.res, "a", 0), 0, 0);
	TH_NEAR(th_norm(f.res, "c", 0), 0, 0);
	done(&f);
}

static void t_share_range(void **st)
{
	(void)st;
	fx_t f;
	/* Σx = 4 DBL_MAX overflows: 25 each. */
	run1(&f, NORM(SHARE), "a=" S_MAX ";b=" S_MAX ";c=" S_MAX ";d=" S_MAX,
	     4);
	TH_NEAR(th_norm(f.res, "a", 0), 25, 0);
	TH_NEAR(th_norm(f.res, "d", 0), 25, 0);
	done(&f);
	/* 1e308 + 3e307: 100 x / 1.3e308. */
	run1(&f, NORM(SHARE), "a=1e308;b=3e307", 2);
	TH_NEAR(th_norm(f.res, "a", 0), 100 / 1.3, E);
	TH_NEAR(th_norm(f.res, "b", 0), 30 / 1.3, E);
	done(&f);
	/* Subnormals d and 3d: 25, 75. */
	run1(&f, NORM(SHARE), "a=" S_D1 ";b=1.4821969375237396e-323", 2);
	TH_NEAR(th_norm(f.res, "a", 0), 25, 0);
	TH_NEAR(th_norm(f.res, "b", 0), 75, 0);
	done(&f);
	/* Mixed signs: 1 + 1e308 - 1e308 = 1 (a running sum loses the 1 and
	 * says 0). a: 100 * 1 / 1 = 100; b and c would be ±1e310, which no
	 * double holds: excluded with the reason, never ranked. */
	run1(&f, NORM(SHARE), "a=1;b=1e308;c=-1e308", 3);
	TH_NEAR(th_norm(f.res, "a", 0), 100, 0);
	assert_int_equal(th_rank(f.res, "a"), 1);
	assert_int_equal(th_rank(f.res, "b"), 0);
	assert_int_equal(th_rank(f.res, "c"), 0);
	assert_string_equal(th_reason(f.res, "b"),
	                    "criterion \"k0\" (plugin \"fixed\"): "
	                    "NORMALIZATION_SHARE of 1e+308 is not a finite "
	                    "number");
	assert_string_equal(th_reason(f.res, "c"),
	                    "criterion \"k0\" (plugin \"fixed\"): "
	                    "NORMALIZATION_SHARE of -1e+308 is not a finite "
	                    "number");
	assert_true(isnan(th_score(f.res, "b")));
	done(&f);
	/* Two criteria whose totals cancel to 2: everybody has a normalised
	 * score no double holds, so nobody is ranked and the run says why. */
	const char *two[] = { "a=1e308;b=-1e308;c=1;d=1",
	                      "a=1;b=1;c=1e308;d=-1e308" };
	run(&f, NORM(SHARE), 0, 4, two, 2);
	eval(&f);
	assert_int_equal(f.res->rounds[0].nranked, 0);
	assert_string_equal(th_reason(f.res, "c"),
	                    "criterion \"k1\" (plugin \"fixed\"): "
	                    "NORMALIZATION_SHARE of 1e+308 is not a finite "
	                    "number");
	assert_int_equal(f.res->nwarnings, 1);
	assert_string_equal(f.res->warnings[0], "round \"r\" selected no "
	                    "cluster: all 4 candidates were excluded (2 of them "
	                    "for criterion \"k0\": a normalised score that is "
	                    "not a finite number)");
	done(&f);
	/* Σx = 0 exactly: 0 each (documented). */
	run1(&f, NORM(SHARE), "a=-1e308;b=1e308", 2);
	TH_NEAR(th_norm(f.res, "a", 0), 0, 0);
	TH_NEAR(th_norm(f.res, "b", 0), 0, 0);
	done(&f);
}

static void goal(fx_t *f, double lo, double hi, const char *spec, size_t n)
{
	run(f, NORM(GOALPOSTS), 0, n, &spec, 1);
	f->r->criteria[0]->goalpost_lower = lo;
	f->r->criteria[0]->goalpost_upper = hi;
	eval(f);
}

static void t_goalposts_range(void **st)
{
	(void)st;
	fx_t f;
	/* upper - lower = 2e308 overflows: 100 (x + 1e308) / 2e308. */
	goal(&f, -1e308, 1e308, "a=-1e308;b=0;c=5e307;d=1e308", 4);
	TH_NEAR(th_norm(f.res, "a", 0), 0, 0);
	TH_NEAR(th_norm(f.res, "b", 0), 50, E);
	TH_NEAR(th_norm(f.res, "c", 0), 75, E);
	TH_NEAR(th_norm(f.res, "d", 0), 100, 0);
	assert_string_equal(th_order(f.res), "d c b a");
	done(&f);
	goal(&f, -DBL_MAX, DBL_MAX, "a=0;b=-" S_MAX ";c=" S_MAX, 3);
	TH_NEAR(th_norm(f.res, "a", 0), 50, E);
	TH_NEAR(th_norm(f.res, "b", 0), 0, 0);
	TH_NEAR(th_norm(f.res, "c", 0), 100, 0);
	done(&f);
	/* 100 (x - lower) alone would overflow: 5e306 of 0 .. 1e307 is 50;
	 * beyond the posts clamps. */
	goal(&f, 0, 1e307, "a=5e306;b=2e307;c=-" S_MAX, 3);
	TH_NEAR(th_norm(f.res, "a", 0), 50, E);
	TH_NEAR(th_norm(f.res, "b", 0), 100, 0);
	TH_NEAR(th_norm(f.res, "c", 0), 0, 0);
	done(&f);
	/* Subnormal posts d .. 3d: 2d is 50. */
	goal(&f, D1, 3 * D1, "a=9.8813129168249309e-324", 1);
	TH_NEAR(th_norm(f.res, "a", 0), 50, 0);
	done(&f);
}

static void t_rank_range(void **st)
{
	(void)st;
	fx_t f;
	/* DBL_MAX 1, d 2, 0 and -0 share 3 (-0 == 0); 100 (m - r) / (m - 1),
	 * m = 4: 100, 200/3, 100/3, 100/3. */
	run1(&f, NORM(RANK), "a=" S_MAX ";b=" S_D1 ";c=0;d=-0", 4);
	TH_NEAR(th_norm(f.res, "a", 0), 100, 0);
	TH_NEAR(th_norm(f.res, "b", 0), 200.0 / 3, E);
	TH_NEAR(th_norm(f.res, "c", 0), 100.0 / 3, E);
	TH_NEAR(th_norm(f.res, "d", 0), 100.0 / 3, E);
	done(&f);
	run1(&f, NORM(RANK), "a=-" S_MAX ";b=" S_MAX ";c=-1e308", 3);
	TH_NEAR(th_norm(f.res, "b", 0), 100, 0);
	TH_NEAR(th_norm(f.res, "c", 0), 50, 0);
	TH_NEAR(th_norm(f.res, "a", 0), 0, 0);
	done(&f);
}

static void t_arithmetic_range(void **st)
{
	(void)st;
	fx_t f;
	/* Eleven criteria of weight 1 at DBL_MAX: each term DBL_MAX / 11 as
	 * rounded sums past DBL_MAX unscaled; the mean is DBL_MAX. Cluster b
	 * has DBL_MAX and -DBL_MAX alternating, six to five: DBL_MAX / 11. */
	const char *spec[11];
	for (size_t k = 0; k < 11; k++)
		spec[k] = k % 2 ? "a=" S_MAX ";b=-" S_MAX
		                : "a=" S_MAX ";b=" S_MAX;
	run(&f, NORM(NONE), 0, 2, spec, 11);
	eval(&f);
	TH_NEAR(th_score(f.res, "a"), DBL_MAX, 0);
	TH_NEAR(th_score(f.res, "b"), DBL_MAX / 11, DBL_MAX / 11 * 1e-14);
	assert_string_equal(th_order(f.res), "a b");
	done(&f);
	/* Mixed signs at the extremes: (1e308, -1e308) -> 0. */
	const char *mixed[] = { "a=1e308;b=" S_MAX, "a=-1e308;b=" S_MAX };
	run(&f, NORM(NONE), 0, 2, mixed, 2);
	eval(&f);
	TH_NEAR(th_score(f.res, "a"), 0, 0);
	TH_NEAR(th_score(f.res, "b"), DBL_MAX, 0);
	done(&f);
	/* Subnormals, weights 1/2: a (2d, 4d) and b (3d, 3d) both average 3d;
	 * unscaled, b's halves 1.5d round to 2d each and b would score 4d
	 * and lead. Equal scores: id order, shared rank 1. */
	const char *sub[] = { "a=9.8813129168249309e-324;"
	                      "b=1.4821969375237396e-323",
	                      "a=1.9762625833649862e-323;"
	                      "b=1.4821969375237396e-323" };
	run(&f, NORM(NONE), 0, 2, sub, 2);
	f.r->shared_ranks = 1;
	eval(&f);
	TH_NEAR(th_score(f.res, "a"), 3 * D1, 0);
	TH_NEAR(th_score(f.res, "b"), 3 * D1, 0);
	assert_string_equal(th_order(f.res), "a b");
	assert_int_equal(th_rank(f.res, "b"), 1);
	done(&f);
}

static void t_geometric_range(void **st)
{
	(void)st;
	fx_t f;
	/* exp(ln DBL_MAX) is 1.7976931348622732e308 or beyond: the mean of
	 * equal values is that value. */
	const char *top[] = { "a=" S_MAX ";b=1e-300", "a=" S_MAX ";b=1e300" };
	run(&f, NORM(NONE), 1, 2, top, 2);
	eval(&f);
	TH_NEAR(th_score(f.res, "a"), DBL_MAX, 0);
	/* sqrt(1e-300 * 1e300) = 1 */
	TH_NEAR(th_score(f.res, "b"), 1, 1e-12);
	done(&f);
	/* Subnormals: sqrt(d * 4d) = 2d; equal values d, d give d. */
	const char *sub[] = { "a=" S_D1 ";b=" S_D1,
	                      "a=1.9762625833649862e-323;b=" S_D1 };
	run(&f, NORM(NONE), 1, 2, sub, 2);
	eval(&f);
	TH_NEAR(th_score(f.res, "a"), 2 * D1, 0);
	TH_NEAR(th_score(f.res, "b"), D1, 0);
	assert_string_equal(th_order(f.res), "a b");
	done(&f);
}

static void t_scorer_infinity(void **st)
{
	(void)st;
	fx_t f;
	/* A scorer's infinity is no score, with a reason; a NaN is no score
	 * (the scorer's own note, if any). */
	run1(&f, NORM(MIN_MAX), "a=inf;b=-inf|overflowed;c=nan;d=1", 4);
	assert_int_equal(th_rank(f.res, "d"), 1);
	assert_int_equal(th_rank(f.res, "a"), 0);
	assert_string_equal(th_reason(f.res, "a"),
	                    "criterion \"k0\" (plugin \"fixed\"): no score: "
	                    "+Inf is not a finite number");
	assert_string_equal(th_reason(f.res, "b"),
	                    "criterion \"k0\" (plugin \"fixed\"): no score: "
	                    "-Inf is not a finite number; overflowed");
	assert_string_equal(th_reason(f.res, "c"),
	                    "criterion \"k0\" (plugin \"fixed\"): no score");
	done(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_min_max_range),
		cmocka_unit_test(t_min_max_geometric),
		cmocka_unit_test(t_z_score_range),
		cmocka_unit_test(t_share_range),
		cmocka_unit_test(t_goalposts_range),
		cmocka_unit_test(t_rank_range),
		cmocka_unit_test(t_arithmetic_range),
		cmocka_unit_test(t_geometric_range),
		cmocka_unit_test(t_scorer_infinity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
