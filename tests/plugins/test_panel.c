/* panel: judges' weighted totals, aggregation, recusal, minimum judges,
 * rounds, per-judge normalisation. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "cd_error.h"
#include "pt_util.h"

static pt_env_t env;
static plugin_cohort_t *co;

static int setup(void **st)
{
	(void)st;
	pt_env_open(&env, PT_BUILTIN_DIR);
	co = pt_cohort();
	/* Weights 2:1 -> 2/3, 1/3. A judge's total = 2/3 inn + 1/3 gov. */
	pt_cluster(co, "A");
	pt_asm(co, "j1", "innovation", 9, 1, 0);  /* 6 + 2 = 8 */
	pt_asm(co, "j1", "governance", 6, 1, 0);
	pt_asm(co, "j2", "innovation", 6, 1, 0);  /* 4 + 3 = 7 */
	pt_asm(co, "j2", "governance", 9, 1, 0);
	pt_asm(co, "j3", "innovation", 3, 1, 0);  /* 2 + 1 = 3 */
	pt_asm(co, "j3", "governance", 3, 1, 0);
	pt_asm(co, "j4", "innovation", 10, 1, 1); /* recused: j4 incomplete */
	pt_asm(co, "j4", "governance", 10, 1, 0);
	pt_asm(co, "j1", "market", 1, 1, 0);      /* not a chosen criterion */
	pt_cluster(co, "B");
	pt_asm(co, "j1", "innovation", 8, 1, 0);  /* 8 */
	pt_asm(co, "j1", "governance", 8, 1, 0);
	pt_asm(co, "j2", "innovation", 5, 1, 0);  /* no governance: left out */
	pt_cluster(co, "C");
	pt_asm(co, "j1", "innovation", 4, 1, 0);  /* round 1: 4 */
	pt_asm(co, "j1", "governance", 4, 1, 0);
	pt_asm(co, "j2", "innovation", 7, 2, 0);  /* round 2: 14/3 + 1/3 = 5 */
	pt_asm(co, "j2", "governance", 1, 2, 0);
	pt_cluster(co, "D");
	pt_asm(co, "j1", "innovation", 6, 1, 0);  /* scored twice: mean 7 */
	pt_asm(co, "j1", "innovation", 8, 1, 0);
	pt_asm(co, "j1", "governance", 7, 1, 0);  /* 14/3 + 7/3 = 7 */
	pt_cluster(co, "E");                      /* nobody */
	pt_seal(co);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	plugin_cohort_destroy(co);
	pt_env_close(&env);
	return 0;
}

static void run(const char *const *params, const plugin_cohort_t *c,
                double *out, const char **reasons)
{
	if (pt_score(&env, "panel", params, c, out, reasons))
		fail_msg("%s", env.err);
}

static void test_aggregates(void **st)
{
	(void)st;
	double out[5];
	const char *r[5];
	const char *mean[] = { "criteria=innovation,governance", "weights=2,1",
	                       NULL };
	run(mean, co, out, r);
	pt_assert_near(out[0], 6, PT_EPS);   /* (8 + 7 + 3) / 3 */
	pt_assert_near(out[1], 8, PT_EPS);   /* j1 only */
	pt_assert_near(out[2], 4.5, PT_EPS); /* (4 + 5) / 2 */
	pt_assert_near(out[3], 7, PT_EPS);
	assert_true(isnan(out[4]));
	assert_string_equal(r[4], "0 judges scored every criterion; at least "
	                          "1 required");

	const char *median[] = { "criteria=innovation,governance",
	                         "weights=2,1", "aggregate=median", NULL };
	run(median, co, out, r);
	pt_assert_near(out[0], 7, PT_EPS);   /* median of 3, 7, 8 */
	pt_assert_near(out[2], 4.5, PT_EPS); /* median of 4, 5 */

	/* trim .34 of 3 judges: floor(1.02) = 1 dropped at each end -> 7 */
	const char *trim[] = { "criteria=innovation,governance", "weights=2,1",
	                       "aggregate=trimmed_mean", "trim=0.34", NULL };
	run(trim, co, out, r);
	pt_assert_near(out[0], 7, PT_EPS);
	/* trim .1 of 3: floor(.3) = 0 dropped -> the mean, 6 */
	const char *trim0[] = { "criteria=innovation,governance", "weights=2,1",
	                        "aggregate=trimmed_mean", NULL };
	run(trim0, co, out, r);
	pt_assert_near(out[0], 6, PT_EPS);

	/* Equal weights: A = mean(7.5, 7.5, 3) = 6. */
	const char *eq[] = { "criteria=innovation,governance", NULL };
	run(eq, co, out, r);
	pt_assert_near(out[0], 6, PT_EPS);
}

static void test_min_judges_and_round(void **st)
{
	(void)st;
	double out[5];
	const char *r[5];
	const char *p[] = { "criteria=innovation,governance", "weights=2,1",
	                    "min_judges=2", NULL };
	run(p, co, out, r);
	pt_assert_near(out[0], 6, PT_EPS);
	assert_true(isnan(out[1]));
	assert_string_equal(r[1], "1 judge scored every criterion; at least 2 "
	                          "required");
	pt_assert_near(out[2], 4.5, PT_EPS);
	assert_true(isnan(out[3]));

	const char *round1[] = { "criteria=innovation,governance",
	                         "weights=2,1", "round=1", NULL };
	run(round1, co, out, r);
	pt_assert_near(out[2], 4, PT_EPS);   /* only j1's round-1 total */
	const char *round2[] = { "criteria=innovation,governance",
	                         "weights=2,1", "round=2", NULL };
	run(round2, co, out, r);
	pt_assert_near(out[2], 5, PT_EPS);
	assert_true(isnan(out[0]));           /* A had no round 2 */

	/* One criterion alone: B's j2 (innovation 5) now counts. */
	const char *inn[] = { "criteria=innovation", NULL };
	run(inn, co, out, r);
	pt_assert_near(out[1], 6.5, PT_EPS); /* (8 + 5) / 2 */
	pt_assert_near(out[0], 6, PT_EPS);   /* (9 + 6 + 3) / 3, j4 recused */
}

static void test_normalize_judges(void **st)
{
	(void)st;
	/* j1: P 9, Q 7 (mean 8, sd 1) -> z  1, -1
	 * j2: Q 5, R 3 (mean 4, sd 1) -> z  1, -1
	 * j3: P 6, R 4 (mean 5, sd 1) -> z  1, -1
	 * raw means: P 7.5, Q 6, R 3.5 -> range [3.5, 7.5]
	 * z means:   P 1,   Q 0, R -1 -> range [-1, 1]
	 * rescaled:  P 7.5, Q 3.5 + (0 + 1)/2 * 4 = 5.5, R 3.5 */
	plugin_cohort_t *c = pt_cohort();
	pt_cluster(c, "P");
	pt_asm(c, "j1", "q", 9, 1, 0);
	pt_asm(c, "j3", "q", 6, 1, 0);
	pt_cluster(c, "Q");
	pt_asm(c, "j1", "q", 7, 1, 0);
	pt_asm(c, "j2", "q", 5, 1, 0);
	pt_cluster(c, "R");
	pt_asm(c, "j2", "q", 3, 1, 0);
	pt_asm(c, "j3", "q", 4, 1, 0);
	pt_cluster(c, "none");
	pt_seal(c);
	double out[4];
	const char *r[4];
	const char *raw[] = { "criteria=q", NULL };
	run(raw, c, out, r);
	pt_assert_near(out[1], 6, PT_EPS);
	const char *p[] = { "criteria=q", "normalize_judges=true", NULL };
	run(p, c, out, r);
	pt_assert_near(out[0], 7.5, PT_EPS);
	pt_assert_near(out[1], 5.5, PT_EPS);
	pt_assert_near(out[2], 3.5, PT_EPS);
	assert_true(isnan(out[3]));
	plugin_cohort_destroy(c);

	/* One cluster, one judge: no spread anywhere; the score stays the
	 * raw mean. All equal totals likewise. */
	c = pt_cohort();
	pt_cluster(c, "solo");
	pt_asm(c, "j1", "q", 8, 1, 0);
	pt_asm(c, "j2", "q", 6, 1, 0);
	pt_seal(c);
	run(p, c, out, r);
	pt_assert_near(out[0], 7, PT_EPS);
	plugin_cohort_destroy(c);

	c = pt_cohort();
	pt_cluster(c, "x");
	pt_asm(c, "j1", "q", 5, 1, 0);
	pt_cluster(c, "y");
	pt_asm(c, "j1", "q", 5, 1, 0);
	pt_seal(c);
	run(p, c, out, r);
	pt_assert_near(out[0], 5, PT_EPS);
	pt_assert_near(out[1], 5, PT_EPS);
	plugin_cohort_destroy(c);
}

static void expect_param_error(const char *const *params, const char *word)
{
	double out[5];
	assert_int_equal(pt_score(&env, "panel", params, co, out, NULL),
	                 CD_EV_DEFINITION);
	if (!strstr(env.err, word))
		fail_msg("'%s' lacks '%s'", env.err, word);
}

static void test_bad_params(void **st)
{
	(void)st;
	const char *a[] = { NULL };
	expect_param_error(a, "missing required param 'criteria'");
	const char *b[] = { "criteria=a,a", NULL };
	expect_param_error(b, "param 'criteria' repeats 'a'");
	const char *c[] = { "criteria=a,b", "weights=1,2,3", NULL };
	expect_param_error(c, "param 'weights' has 3 items, expected 2");
	const char *d[] = { "criteria=a", "trim=0.5", NULL };
	expect_param_error(d, "param 'trim' must be in [0, 0.5)");
	const char *e[] = { "criteria=a", "min_judges=0", NULL };
	expect_param_error(e, "param 'min_judges'");
	const char *f[] = { "criteria=a", "aggregate=mode", NULL };
	expect_param_error(f, "param 'aggregate'");
	const char *g[] = { "criteria=a", "round=first", NULL };
	expect_param_error(g, "param 'round'");
	const char *h[] = { "criteria=a", "weights=-1", NULL };
	expect_param_error(h, "param 'weights': weight -1 of 'a'");
	const char *i[] = { "criteria=", NULL };
	expect_param_error(i, "param 'criteria' needs");
	const char *j[] = { "criteria=a", "normalize_judges=2", NULL };
	expect_param_error(j, "param 'normalize_judges'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aggregates),
		cmocka_unit_test(test_min_judges_and_round),
		cmocka_unit_test(test_normalize_judges),
		cmocka_unit_test(test_bad_params),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
