/* growth: percent change and CAGR between years or windows. */
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
	pt_cluster(co, "a");
	pt_ind(co, "x", 2018, 100);
	pt_ind(co, "x", 2019, 110);
	pt_ind(co, "x", 2020, 121);
	pt_cluster(co, "zero_base");
	pt_ind(co, "x", 2018, 0);
	pt_ind(co, "x", 2020, 50);
	pt_cluster(co, "no_end");
	pt_ind(co, "x", 2018, 10);
	pt_cluster(co, "negative_end");
	pt_ind(co, "x", 2018, 10);
	pt_ind(co, "x", 2020, -5);
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
	if (pt_score(&env, "growth", params, c, out, reasons))
		fail_msg("%s", env.err);
}

static void test_percent_and_cagr(void **st)
{
	(void)st;
	double out[4];
	const char *r[4];
	const char *pct[] = { "indicator=x", "from=2018", "to=2020", NULL };
	run(pct, co, out, r);
	pt_assert_near(out[0], 21, PT_EPS);     /* 100 * (121/100 - 1) */
	assert_true(isnan(out[1]));
	assert_non_null(strstr(r[1], "growth needs a positive base"));
	assert_true(isnan(out[2]));
	assert_string_equal(r[2], "no 'x' in 2020");
	pt_assert_near(out[3], -150, PT_EPS);   /* 100 * (-5/10 - 1) */

	const char *cagr[] = { "indicator=x", "from=2018", "to=2020",
	                       "mode=cagr", NULL };
	run(cagr, co, out, r);
	pt_assert_near(out[0], 10, 1e-9);       /* 100 * (1.21^(1/2) - 1) */
	assert_true(isnan(out[3]));
	assert_non_null(strstr(r[3], "final value of 'x' is -5"));
}

static void test_windows(void **st)
{
	(void)st;
	double out[4];
	const char *r[4];
	/* window=2: base = mean(2017, 2018) = 100 (2017 absent),
	 * end = mean(2019, 2020) = (110 + 121) / 2 = 115.5.
	 * percent: 15.5; cagr over 2 years: 100 * (1.155^0.5 - 1) */
	const char *pct[] = { "indicator=x", "from=2018", "to=2020", "window=2",
	                      NULL };
	run(pct, co, out, r);
	pt_assert_near(out[0], 15.5, PT_EPS);
	const char *cagr[] = { "indicator=x", "from=2018", "to=2020",
	                       "window=2", "mode=cagr", NULL };
	run(cagr, co, out, r);
	pt_assert_near(out[0], 100 * (sqrt(1.155) - 1), PT_EPS);
	/* no_end has nothing in 2019-2020. */
	assert_string_equal(r[2], "no 'x' in 2019-2020");
}

static void test_small_and_equal(void **st)
{
	(void)st;
	plugin_cohort_t *c = pt_cohort();
	pt_cluster(c, "p");
	pt_ind(c, "x", 2000, 8);
	pt_ind(c, "x", 2010, 8);
	pt_seal(c);
	double out[1];
	const char *cagr[] = { "indicator=x", "from=2000", "to=2010",
	                       "mode=cagr", NULL };
	run(cagr, c, out, NULL);
	pt_assert_near(out[0], 0, PT_EPS);
	plugin_cohort_destroy(c);
}

static void expect_param_error(const char *const *params, const char *word)
{
	double out[4];
	assert_int_equal(pt_score(&env, "growth", params, co, out, NULL),
	                 CD_EV_DEFINITION);
	if (!strstr(env.err, word))
		fail_msg("'%s' lacks '%s'", env.err, word);
}

static void test_bad_params(void **st)
{
	(void)st;
	const char *a[] = { "indicator=x", "to=2020", NULL };
	expect_param_error(a, "missing required param 'from'");
	const char *b[] = { "indicator=x", "from=2020", "to=2020", NULL };
	expect_param_error(b, "param 'to' (2020) must be after 'from'");
	const char *c[] = { "indicator=x", "from=2018", "to=2020", "window=0",
	                    NULL };
	expect_param_error(c, "param 'window'");
	const char *d[] = { "indicator=x", "from=2018", "to=2020",
	                    "mode=linear", NULL };
	expect_param_error(d, "param 'mode'");
	const char *e[] = { "indicator=", "from=2018", "to=2020", NULL };
	expect_param_error(e, "param 'indicator' is empty");
	const char *f[] = { "indicator=x", "from=-1", "to=2020", NULL };
	expect_param_error(f, "param 'from'");
	const char *g[] = { "from=2018", "to=2020", NULL };
	expect_param_error(g, "missing required param 'indicator'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percent_and_cagr),
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_small_and_equal),
		cmocka_unit_test(test_bad_params),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
