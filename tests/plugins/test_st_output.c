/* st_output: GII shares of cohort or reference totals, windows, missing
 * data, intensity. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "cd_error.h"
#include "pt_util.h"

#define A "pct_applications"
#define B "scientific_publications"

static pt_env_t env;
static plugin_cohort_t *co;

static int setup(void **st)
{
	(void)st;
	pt_env_open(&env, PT_BUILTIN_DIR);
	co = pt_cohort();
	pt_cluster(co, "a");
	pt_ind(co, A, 2021, 30);
	pt_ind(co, A, 2022, 10);
	pt_ind(co, B, 2021, 100);
	pt_ind(co, B, 2022, 100);
	pt_ind(co, "population", 2022, 1e6);
	pt_ind(co, "population", 2023, 2e6); /* after the window: ignored */
	pt_cluster(co, "b");
	pt_ind(co, A, 2022, 60);
	pt_ind(co, B, 2022, 300);
	pt_ind(co, "population", 2021, 3e6);
	pt_cluster(co, "c");
	pt_ind(co, A, 2022, 5); /* no publications */
	pt_cluster(co, "d");
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
	if (pt_score(&env, "st_output", params, c, out, reasons))
		fail_msg("%s", env.err);
}

static void test_cohort_totals(void **st)
{
	(void)st;
	double out[4];
	const char *r[4];
	/* 2021-2022: a = 40 PCT, 200 pubs; b = 60, 300; c lacks pubs.
	 * Totals over the scored clusters: 100 and 500.
	 * a: 100*40/100 + 100*200/500 = 40 + 40 = 80
	 * b: 100*60/100 + 100*300/500 = 60 + 60 = 120 */
	const char *p[] = { "from=2021", "to=2022", NULL };
	run(p, co, out, r);
	pt_assert_near(out[0], 80, PT_EPS);
	pt_assert_near(out[1], 120, PT_EPS);
	assert_true(isnan(out[2]));
	assert_string_equal(r[2], "no '" B "' in 2021-2022");
	assert_true(isnan(out[3]));
	assert_string_equal(r[3], "no '" A "' in 2021-2022");

	/* missing=zero: c counts with 0 pubs; totals 105 and 500.
	 * a: 100*40/105 + 40; b: 100*60/105 + 60; c: 100*5/105 + 0 */
	const char *z[] = { "from=2021", "to=2022", "missing=zero", NULL };
	run(z, co, out, r);
	pt_assert_near(out[0], 4000.0 / 105 + 40, PT_EPS);
	pt_assert_near(out[1], 6000.0 / 105 + 60, PT_EPS);
	pt_assert_near(out[2], 500.0 / 105, PT_EPS);
	assert_non_null(strstr(r[2], "counted as 0"));
	assert_true(isnan(out[3])); /* neither indicator: still no score */

	/* No window: each cluster's latest year. a: 10 and 100; b: 60, 300.
	 * Totals 70 and 400. a: 1000/70 + 25; b: 6000/70 + 75 */
	const char *l[] = { NULL };
	run(l, co, out, r);
	pt_assert_near(out[0], 1000.0 / 70 + 25, PT_EPS);
	pt_assert_near(out[1], 6000.0 / 70 + 75, PT_EPS);
}

static void test_reference_totals(void **st)
{
	(void)st;
	double out[4];
	/* a: 100*40/1000 + 100*200/10000 = 4 + 2 = 6; b: 6 + 3 = 9 */
	const char *p[] = { "from=2021", "to=2022", "total_a=1000",
	                    "total_b=10000", NULL };
	run(p, co, out, NULL);
	pt_assert_near(out[0], 6, PT_EPS);
	pt_assert_near(out[1], 9, PT_EPS);
	/* Only one reference total: the other is the cohort's (500).
	 * a: 4 + 100*200/500 = 44 */
	const char *q[] = { "from=2021", "to=2022", "total_a=1000", NULL };
	run(q, co, out, NULL);
	pt_assert_near(out[0], 44, PT_EPS);
	/* A world total below the cohort's own sum is a mistake. */
	const char *bad[] = { "from=2021", "to=2022", "total_a=50", NULL };
	assert_int_equal(pt_score(&env, "st_output", bad, co, out, NULL),
	                 CD_EPLUGIN);
	assert_non_null(strstr(env.err, "param 'total_a' (50) is smaller than "
	                                "the cohort's sum of '" A "' (100)"));
	const char *badb[] = { "from=2021", "to=2022", "total_b=499", NULL };
	assert_int_equal(pt_score(&env, "st_output", badb, co, out, NULL),
	                 CD_EPLUGIN);
	assert_non_null(strstr(env.err, "param 'total_b'"));
}

static void test_intensity(void **st)
{
	(void)st;
	double out[4];
	const char *r[4];
	/* Per 1000 inhabitants, population of the latest year <= 2022:
	 * a: (40 + 200) / 1e6 * 1000 = 0.24; b: (60 + 300) / 3e6 * 1000 = 0.12 */
	const char *p[] = { "from=2021", "to=2022", "mode=intensity", NULL };
	run(p, co, out, r);
	pt_assert_near(out[0], 0.24, PT_EPS);
	pt_assert_near(out[1], 0.12, PT_EPS);
	/* c has no pubs, so no score before population matters. */
	assert_true(isnan(out[2]));
	/* Before b's population year: no population. */
	const char *q[] = { "year=2020", "mode=intensity", "missing=zero",
	                    NULL };
	plugin_cohort_t *c = pt_cohort();
	pt_cluster(c, "p");
	pt_ind(c, A, 2020, 1);
	pt_ind(c, B, 2020, 1);
	pt_ind(c, "population", 2021, 10);
	pt_cluster(c, "z");
	pt_ind(c, A, 2020, 1);
	pt_ind(c, "population", 2019, 0);
	pt_seal(c);
	run(q, c, out, r);
	assert_true(isnan(out[0]));
	assert_string_equal(r[0], "no 'population'");
	assert_true(isnan(out[1]));
	assert_string_equal(r[1], "'population' is 0");
	plugin_cohort_destroy(c);
}

static void test_small_and_equal(void **st)
{
	(void)st;
	double out[2];
	plugin_cohort_t *c = pt_cohort();
	pt_cluster(c, "only");
	pt_ind(c, A, 2022, 7);
	pt_ind(c, B, 2022, 9);
	pt_seal(c);
	const char *p[] = { NULL };
	run(p, c, out, NULL);
	pt_assert_near(out[0], 200, PT_EPS); /* all of both: 100 + 100 */
	plugin_cohort_destroy(c);

	c = pt_cohort();
	pt_cluster(c, "x");
	pt_ind(c, A, 2022, 0);
	pt_ind(c, B, 2022, 4);
	pt_cluster(c, "y");
	pt_ind(c, A, 2022, 0);
	pt_ind(c, B, 2022, 4);
	pt_seal(c);
	run(p, c, out, NULL);
	/* Nobody filed: the PCT term is 0 for all; pubs split 50/50. */
	pt_assert_near(out[0], 50, PT_EPS);
	pt_assert_near(out[1], 50, PT_EPS);
	plugin_cohort_destroy(c);
}

static void expect_param_error(const char *const *params, const char *word)
{
	double out[4];
	assert_int_equal(pt_score(&env, "st_output", params, co, out, NULL),
	                 CD_EV_DEFINITION);
	if (!strstr(env.err, word))
		fail_msg("'%s' lacks '%s'", env.err, word);
}

static void test_bad_params(void **st)
{
	(void)st;
	const char *a[] = { "total_a=0", NULL };
	expect_param_error(a, "param 'total_a' must be > 0");
	const char *b[] = { "total_b=-5", NULL };
	expect_param_error(b, "param 'total_b' must be > 0");
	const char *c[] = { "per=0", NULL };
	expect_param_error(c, "param 'per' must be > 0");
	const char *d[] = { "indicator_b=" A, NULL };
	expect_param_error(d, "param 'indicator_b' repeats");
	const char *e[] = { "mode=both", NULL };
	expect_param_error(e, "param 'mode'");
	const char *f[] = { "indicator_a=", NULL };
	expect_param_error(f, "param 'indicator_a' is empty");
	const char *g[] = { "from=2022", "to=2021", NULL };
	expect_param_error(g, "param 'to'");
	const char *h[] = { "total_a=lots", NULL };
	expect_param_error(h, "param 'total_a'");
	const char *i[] = { "missing=guess", NULL };
	expect_param_error(i, "param 'missing'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cohort_totals),
		cmocka_unit_test(test_reference_totals),
		cmocka_unit_test(test_intensity),
		cmocka_unit_test(test_small_and_equal),
		cmocka_unit_test(test_bad_params),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
