/* The normalisations that follow COINr (github.com/bluefoxr/COINr,
 * R/normalise.R): NORMALIZATION_DISTANCE_TO_MAX (n_dist2max),
 * NORMALIZATION_DISTANCE_TO_TARGET (n_dist2targ, cap_max = TRUE) and
 * NORMALIZATION_PERCENTILE_RANK (n_prank, ties.method "min"), on the
 * engine's 0..100 scale (COINr's 0..1 times 100). Hand-computed over
 * clusters a, b, c, d, plus COINr's own test values
 * (tests/testthat/test-normalise.R, test "dist2targ"). */
#include <float.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "th.h"

#define NORM(x) CLUSTERS__V1__NORMALIZATION__NORMALIZATION_##x
#define MISS(x) CLUSTERS__V1__MISSING_POLICY__MISSING_POLICY_##x
#define E 1e-9

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

/* One round, one criterion k with normalisation n and target, scores
 * spec, over the first nclusters of a..d. */
static void run1(fx_t *f, Clusters__V1__Normalization n, double target,
                 const char *spec, size_t nclusters, int missing)
{
	memset(f, 0, sizeof(*f));
	f->def = th_comp("c");
	f->r = th_round(f->def, "r");
	f->r->missing = missing;
	Clusters__V1__Criterion *k = th_crit(f->r, "k", 1, n);
	k->target = target;
	f->c = th_cohort(f->def, four, nclusters);
	f->s.crit[0] = "k";
	f->s.spec[0] = spec;
	f->res = th_eval(f->def, f->c, &f->s, CD_OK);
}

static void done(fx_t *f)
{
	engine_result_destroy(f->res);
	th_cohort_free(f->c);
	th_comp_free(f->def);
}

/* 100 (1 - (max - x) / (max - min)). */
static void t_dist2max(void **st)
{
	(void)st;
	fx_t f;
	/* min 1.5, max 9.5, range 8: a 100 (1 - 8/8) = 0, b 100 (1 - 4/8) =
	 * 50, c 100 (1 - 1/8) = 87.5, d 100. */
	run1(&f, NORM(DISTANCE_TO_MAX), 0, "a=1.5;b=5.5;c=8.5;d=9.5", 4, 0);
	TH_NEAR(th_norm(f.res, "a", 0), 0, E);
	TH_NEAR(th_norm(f.res, "b", 0), 50, E);
	TH_NEAR(th_norm(f.res, "c", 0), 87.5, E);
	TH_NEAR(th_norm(f.res, "d", 0), 100, E);
	TH_NEAR(th_score(f.res, "c"), 87.5, E);
	done(&f);
	/* A cost indicator reported negated (as COINr multiplies by its
	 * direction -1): -x = -9.5 .. -1.5, so the smallest x scores 100. */
	run1(&f, NORM(DISTANCE_TO_MAX), 0, "a=-1.5;b=-5.5;c=-8.5;d=-9.5", 4, 0);
	TH_NEAR(th_norm(f.res, "a", 0), 100, E);
	TH_NEAR(th_norm(f.res, "b", 0), 50, E);
	TH_NEAR(th_norm(f.res, "c", 0), 12.5, E);
	TH_NEAR(th_norm(f.res, "d", 0), 0, E);
	done(&f);
	/* Ties share the value. */
	run1(&f, NORM(DISTANCE_TO_MAX), 0, "a=10;b=20;c=20;d=40", 4, 0);
	TH_NEAR(th_norm(f.res, "b", 0), 100.0 / 3, E);
	TH_NEAR(th_norm(f.res, "c", 0), 100.0 / 3, E);
	done(&f);
	/* All equal and a single value: every value is the max, 100
	 * (COINr's 0/0 would give NaN with a warning). */
	run1(&f, NORM(DISTANCE_TO_MAX), 0, "a=7;b=7;c=7;d=7", 4, 0);
	TH_NEAR(th_norm(f.res, "a", 0), 100, 0);
	TH_NEAR(th_norm(f.res, "d", 0), 100, 0);
	done(&f);
	run1(&f, NORM(DISTANCE_TO_MAX), 0, "a=-3", 1, 0);
	TH_NEAR(th_norm(f.res, "a", 0), 100, 0);
	done(&f);
	/* A missing value: excluded, the statistics over a, c, d (min 10,
	 * max 40); or with SCORE_ZERO, b counts 0 and is not in the
	 * statistics. */
	run1(&f, NORM(DISTANCE_TO_MAX), 0, "a=10;b=-;c=30;d=40", 4, 0);
	assert_int_equal(th_rank(f.res, "b"), 0);
	TH_NEAR(th_norm(f.res, "c", 0), 200.0 / 3, E);
	done(&f);
	run1(&f, NORM(DISTANCE_TO_MAX), 0, "a=10;b=-;c=30;d=40", 4,
	     MISS(SCORE_ZERO));
	TH_NEAR(th_norm(f.res, "b", 0), 0, 0);
	TH_NEAR(th_norm(f.res, "c", 0), 200.0 / 3, E);
	assert_int_equal(th_rank(f.res, "b"), 4);
	done(&f);
	/* The ends of the range: -DBL_MAX .. DBL_MAX has a range no double
	 * holds; scaled, 0 is exactly halfway. */
	char spec[128];
	snprintf(spec, sizeof(spec), "a=%a;b=0;c=%a", -DBL_MAX, DBL_MAX);
	run1(&f, NORM(DISTANCE_TO_MAX), 0, spec, 3, 0);
	TH_NEAR(th_norm(f.res, "a", 0), 0, 0);
	TH_NEAR(th_norm(f.res, "b", 0), 50, 0);
	TH_NEAR(th_norm(f.res, "c", 0), 100, 0);
	done(&f);
}

/* 100 (x - min) / (target - min), 100 at or past the target. */
static void t_dist2targ(void **st)
{
	(void)st;
	fx_t f;
	/* COINr tests/testthat/test-normalise.R, "dist2targ": x = c(0, 5,
	 * 11), targ = 10, direction = 1, cap_max = TRUE gives c(0, 0.5, 1):
	 * here 0, 50, 100. */
	run1(&f, NORM(DISTANCE_TO_TARGET), 10, "a=0;b=5;c=11", 3, 0);
	TH_NEAR(th_norm(f.res, "a", 0), 0, E);
	TH_NEAR(th_norm(f.res, "b", 0), 50, E);
	TH_NEAR(th_norm(f.res, "c", 0), 100, 0);
	done(&f);
	/* Same test, direction = -1: x = c(-1, 1, 10), targ = 0,
	 * cap_max = TRUE gives c(1, 0.9, 0). COINr normalises a negative
	 * indicator as -x with target -targ (get_iMeta_norm_paras), which is
	 * what a cost criterion reported negated gives here: -x = 1, -1,
	 * -10, target 0, min -10: 100, 100 * 9 / 10 = 90, 0. */
	run1(&f, NORM(DISTANCE_TO_TARGET), -0.0, "a=1;b=-1;c=-10", 3, 0);
	TH_NEAR(th_norm(f.res, "a", 0), 100, 0);
	TH_NEAR(th_norm(f.res, "b", 0), 90, E);
	TH_NEAR(th_norm(f.res, "c", 0), 0, E);
	done(&f);
	/* By hand, target 50 over 10, 20, 20, 40: min 10, 100 (x - 10) / 40:
	 * a 0, b and c 25 (ties), d 75. */
	run1(&f, NORM(DISTANCE_TO_TARGET), 50, "a=10;b=20;c=20;d=40", 4, 0);
	TH_NEAR(th_norm(f.res, "a", 0), 0, E);
	TH_NEAR(th_norm(f.res, "b", 0), 25, E);
	TH_NEAR(th_norm(f.res, "c", 0), 25, E);
	TH_NEAR(th_norm(f.res, "d", 0), 75, E);
	done(&f);
	/* Every value at or past the target (target <= min): 100 each,
	 * nothing divided by 0 (COINr would give 0 and negative scores with
	 * a warning). */
	run1(&f, NORM(DISTANCE_TO_TARGET), 5, "a=5;b=6;c=7", 3, 0);
	TH_NEAR(th_norm(f.res, "a", 0), 100, 0);
	TH_NEAR(th_norm(f.res, "c", 0), 100, 0);
	done(&f);
	run1(&f, NORM(DISTANCE_TO_TARGET), -1e308, "a=5;b=6;c=7", 3, 0);
	TH_NEAR(th_norm(f.res, "b", 0), 100, 0);
	done(&f);
	/* All equal below the target: each is the min, 0. */
	run1(&f, NORM(DISTANCE_TO_TARGET), 9, "a=7;b=7;c=7;d=7", 4, 0);
	TH_NEAR(th_norm(f.res, "a", 0), 0, 0);
	TH_NEAR(th_norm(f.res, "d", 0), 0, 0);
	done(&f);
	/* A single cluster: below the target it is the min, 0; at it, 100. */
	run1(&f, NORM(DISTANCE_TO_TARGET), 10, "a=3", 1, 0);
	TH_NEAR(th_norm(f.res, "a", 0), 0, 0);
	done(&f);
	run1(&f, NORM(DISTANCE_TO_TARGET), 10, "a=10", 1, 0);
	TH_NEAR(th_norm(f.res, "a", 0), 100, 0);
	done(&f);
	/* A missing value: min over a, c, d only. */
	run1(&f, NORM(DISTANCE_TO_TARGET), 50, "a=10;b=-;c=30;d=40", 4, 0);
	assert_int_equal(th_rank(f.res, "b"), 0);
	TH_NEAR(th_norm(f.res, "c", 0), 50, E);
	done(&f);
	/* The ends of the range: min -DBL_MAX, target DBL_MAX, 0 halfway. */
	char spec[128];
	snprintf(spec, sizeof(spec), "a=%a;b=0", -DBL_MAX);
	run1(&f, NORM(DISTANCE_TO_TARGET), DBL_MAX, spec, 2, 0);
	TH_NEAR(th_norm(f.res, "a", 0), 0, 0);
	TH_NEAR(th_norm(f.res, "b", 0), 50, 0);
	done(&f);
	/* Run statistics: the goalposts are the values mapped to 0 and 100,
	 * the round's min and the target. */
	run1(&f, NORM(DISTANCE_TO_TARGET), 50, "a=10;b=20;c=20;d=40", 4, 0);
	Clusters__V1__Run *run = NULL;
	char err[256];
	engine_run_opts_t ro = { 0 };
	assert_int_equal(engine_run_build(f.res, &ro, &run, err, sizeof(err)),
	                 CD_OK);
	TH_NEAR(run->rounds[0]->criteria[0]->goalpost_lower, 10, 0);
	TH_NEAR(run->rounds[0]->criteria[0]->goalpost_upper, 50, 0);
	engine_run_free(run);
	done(&f);
}

/* 100 (r - 1) / (m - 1), r the rank from the bottom, ties the lower. */
static void t_prank(void **st)
{
	(void)st;
	fx_t f;
	/* R: rank(c(10, 20, 20, 40), ties.method = "min") = 1 2 2 4, so
	 * n_prank gives (r - 1) / 3 = 0, 1/3, 1/3, 1. */
	run1(&f, NORM(PERCENTILE_RANK), 0, "a=10;b=20;c=20;d=40", 4, 0);
	TH_NEAR(th_norm(f.res, "a", 0), 0, 0);
	TH_NEAR(th_norm(f.res, "b", 0), 100.0 / 3, E);
	TH_NEAR(th_norm(f.res, "c", 0), 100.0 / 3, E);
	TH_NEAR(th_norm(f.res, "d", 0), 100, 0);
	done(&f);
	/* A cost indicator negated: the smallest x is the best. */
	run1(&f, NORM(PERCENTILE_RANK), 0, "a=-10;b=-20;c=-30", 3, 0);
	TH_NEAR(th_norm(f.res, "a", 0), 100, 0);
	TH_NEAR(th_norm(f.res, "b", 0), 50, 0);
	TH_NEAR(th_norm(f.res, "c", 0), 0, 0);
	done(&f);
	/* Ties at the top: rank(c(1, 5, 5, 5), "min") = 1 2 2 2: 0, 1/3 x3
	 * (RANK would give the tied best 100). */
	run1(&f, NORM(PERCENTILE_RANK), 0, "a=1;b=5;c=5;d=5", 4, 0);
	TH_NEAR(th_norm(f.res, "a", 0), 0, 0);
	TH_NEAR(th_norm(f.res, "b", 0), 100.0 / 3, E);
	TH_NEAR(th_norm(f.res, "d", 0), 100.0 / 3, E);
	done(&f);
	/* All equal: every rank 1, 0 (COINr's rule); one value: 0 too
	 * (COINr's 0/0 is NaN; no value lies below it). */
	run1(&f, NORM(PERCENTILE_RANK), 0, "a=7;b=7;c=7", 3, 0);
	TH_NEAR(th_norm(f.res, "a", 0), 0, 0);
	TH_NEAR(th_norm(f.res, "c", 0), 0, 0);
	done(&f);
	run1(&f, NORM(PERCENTILE_RANK), 0, "a=7", 1, 0);
	TH_NEAR(th_norm(f.res, "a", 0), 0, 0);
	done(&f);
	/* A missing value: m = 3 over a, c, d; -0 equals 0. */
	run1(&f, NORM(PERCENTILE_RANK), 0, "a=0;b=-;c=-0;d=40", 4, 0);
	assert_int_equal(th_rank(f.res, "b"), 0);
	TH_NEAR(th_norm(f.res, "a", 0), 0, 0);
	TH_NEAR(th_norm(f.res, "c", 0), 0, 0);
	TH_NEAR(th_norm(f.res, "d", 0), 100, 0);
	done(&f);
	/* More than 32 values (the radix sort's path): v_i = -i except a
	 * tie; m = 40, value -i has 39 - i values below it. */
	th_cluster_t many[40];
	char ids[40][8], spec[40 * 16] = "";
	for (int i = 0; i < 40; i++) {
		snprintf(ids[i], sizeof(ids[i]), "m%02d", i);
		many[i] = (th_cluster_t){ .id = ids[i] };
		char part[16];
		snprintf(part, sizeof(part), "%s%s=%d", i ? ";" : "", ids[i],
		         i == 10 ? -11 : -i);
		strcat(spec, part);
	}
	memset(&f, 0, sizeof(f));
	f.def = th_comp("c");
	f.r = th_round(f.def, "r");
	th_crit(f.r, "k", 1, NORM(PERCENTILE_RANK));
	f.c = th_cohort(f.def, many, 40);
	f.s.crit[0] = "k";
	f.s.spec[0] = spec;
	f.res = th_eval(f.def, f.c, &f.s, CD_OK);
	TH_NEAR(th_norm(f.res, "m00", 0), 100, 0);
	TH_NEAR(th_norm(f.res, "m05", 0), 100.0 * 34 / 39, E);
	/* m10 and m11 at -11: 28 below each. */
	TH_NEAR(th_norm(f.res, "m10", 0), 100.0 * 28 / 39, E);
	TH_NEAR(th_norm(f.res, "m11", 0), 100.0 * 28 / 39, E);
	TH_NEAR(th_norm(f.res, "m39", 0), 0, 0);
	done(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_dist2max),
		cmocka_unit_test(t_dist2targ),
		cmocka_unit_test(t_prank),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
