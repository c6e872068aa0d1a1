/* specialization: location quotients and the US Cluster Mapping rule. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cd_error.h"
#include "pt_util.h"

static pt_env_t env;

static int setup(void **st)
{
	(void)st;
	pt_env_open(&env, PT_BUILTIN_DIR);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	pt_env_close(&env);
	return 0;
}

static void run(const char *const *params, const plugin_cohort_t *c,
                double *out, const char **reasons)
{
	if (pt_score(&env, "specialization", params, c, out, reasons))
		fail_msg("%s", env.err);
}

static void add(plugin_cohort_t *c, const char *id, const char *industry,
                double emp, double total, double est)
{
	pt_cluster_full(c, id, "US", "r", industry);
	if (emp >= 0)
		pt_ind(c, "employment", 2022, emp);
	if (total >= 0)
		pt_ind(c, "total_employment", 2022, total);
	if (est >= 0)
		pt_ind(c, "establishments", 2022, est);
}

static void test_lq(void **st)
{
	(void)st;
	plugin_cohort_t *c = pt_cohort();
	add(c, "a", "ict", 300, 1000, 1);
	add(c, "b", "ict", 50, 1000, 1);
	add(c, "c", "ict", -1, 1000, 1);  /* no employment */
	add(c, "d", "ict", 10, 0, 1);     /* total 0 */
	add(c, "e", "auto", 10, 100, 1);
	add(c, "f", "bio", 10, 100, 1);
	pt_seal(c);
	double out[6];
	const char *r[6];
	const char *p[] = { "reference_share=0.1", NULL };
	run(p, c, out, r);
	pt_assert_near(out[0], 3, PT_EPS);   /* (300/1000) / 0.1 */
	pt_assert_near(out[1], 0.5, PT_EPS); /* (50/1000) / 0.1 */
	assert_true(isnan(out[2]));
	assert_string_equal(r[2], "no 'employment' in any year");
	assert_true(isnan(out[3]));
	assert_non_null(strstr(r[3], "is no share"));
	pt_assert_near(out[4], 1, PT_EPS);   /* (10/100) / 0.1 */

	const char *q[] = { "reference_shares=ict:0.2, auto:0.05", "year=2022",
	                    NULL };
	run(q, c, out, r);
	pt_assert_near(out[0], 1.5, PT_EPS); /* 0.3 / 0.2 */
	pt_assert_near(out[4], 2, PT_EPS);   /* 0.1 / 0.05 */
	assert_true(isnan(out[5]));
	assert_string_equal(r[5], "no reference share for industry 'bio'");
	/* The per-industry table overrides the general share. */
	const char *both[] = { "reference_shares=ict:0.2",
	                       "reference_share=0.1", NULL };
	run(both, c, out, r);
	pt_assert_near(out[0], 1.5, PT_EPS);
	pt_assert_near(out[5], 1, PT_EPS);   /* bio falls back to 0.1 */
	plugin_cohort_destroy(c);
}

static void test_strong(void **st)
{
	(void)st;
	/* LQ = emp/1000/0.1: 1, 2, 3, 4, 5. Percentiles by linear
	 * interpolation, h = (n-1)p = 4p:
	 *   LQ P75: h = 3 -> 4;  emp P25: h = 1 -> 200;
	 *   est (5, 10, 20, 40, 50 sorted) P25: h = 1 -> 10.
	 * Strong: LQ >= 4 and >= 1, emp > 200, est > 10 -> k4 and k5. */
	plugin_cohort_t *c = pt_cohort();
	double est[] = { 10, 20, 5, 40, 50 };
	char id[8];
	for (int i = 0; i < 5; i++) {
		snprintf(id, sizeof(id), "k%d", i + 1);
		add(c, id, "ict", 100.0 * (i + 1), 1000, est[i]);
	}
	add(c, "no_est", "ict", 900, 1000, -1);
	pt_seal(c);
	double out[6];
	const char *r[6];
	const char *p[] = { "reference_share=0.1", "mode=strong", NULL };
	run(p, c, out, r);
	assert_true(out[0] == 0 && out[1] == 0 && out[2] == 0);
	assert_true(out[3] == 1 && out[4] == 1);
	assert_non_null(strstr(r[2], "below max(1, 75th percentile 4)"));
	assert_null(r[3]);
	assert_true(isnan(out[5]));
	assert_string_equal(r[5], "no 'establishments' in any year");
	plugin_cohort_destroy(c);

	/* Interpolated: LQ 0.5, 1.5, 2.5, 3.5 (h = 3p):
	 *   LQ P75: h = 2.25 -> 2.5 + 0.25 * 1 = 2.75;
	 *   emp (50..350) P25: h = 0.75 -> 50 + 0.75 * 100 = 125;
	 *   est (1, 2, 3, 4) P25: 1 + 0.75 * 1 = 1.75.
	 * Only LQ 3.5 (emp 350 > 125, est 4 > 1.75) is strong. */
	c = pt_cohort();
	for (int i = 0; i < 4; i++) {
		snprintf(id, sizeof(id), "m%d", i);
		add(c, id, "ict", 50.0 + 100 * i, 1000, 1.0 + i);
	}
	pt_seal(c);
	run(p, c, out, r);
	assert_true(out[0] == 0 && out[1] == 0 && out[2] == 0 && out[3] == 1);
	plugin_cohort_destroy(c);

	/* The top quarter, but not specialised: LQ 0.1..0.4, P75 = 0.325;
	 * 0.4 >= P75 yet below 1. Nobody is strong. */
	c = pt_cohort();
	for (int i = 0; i < 4; i++) {
		snprintf(id, sizeof(id), "s%d", i);
		add(c, id, "ict", 10.0 * (i + 1), 1000, 1.0 + i);
	}
	pt_seal(c);
	run(p, c, out, r);
	assert_true(out[3] == 0);
	assert_non_null(strstr(r[3], "LQ 0.4 below max(1, 75th percentile "
	                             "0.325)"));
	plugin_cohort_destroy(c);

	/* One cluster: it is its own percentile; LQ 3 >= 1, but employment
	 * is not above its own 25th percentile. All equal: same. */
	c = pt_cohort();
	add(c, "solo", "ict", 300, 1000, 5);
	pt_seal(c);
	run(p, c, out, r);
	assert_true(out[0] == 0);
	assert_non_null(strstr(r[0], "not above the 25th percentile"));
	plugin_cohort_destroy(c);
}

static void expect_param_error(const char *const *params, const char *word)
{
	plugin_cohort_t *c = pt_cohort();
	pt_seal(c);
	double out[1];
	/* Params are checked at open, whatever the cohort. */
	assert_int_equal(pt_score(&env, "specialization", params, c, out, NULL),
	                 CD_EV_DEFINITION);
	if (!strstr(env.err, word))
		fail_msg("'%s' lacks '%s'", env.err, word);
	plugin_cohort_destroy(c);
}

static void test_bad_params(void **st)
{
	(void)st;
	const char *a[] = { NULL };
	expect_param_error(a, "param 'reference_share' or 'reference_shares' "
	                      "is required");
	const char *b[] = { "reference_share=1.5", NULL };
	expect_param_error(b, "param 'reference_share' must be in (0, 1]");
	const char *c[] = { "reference_share=0", NULL };
	expect_param_error(c, "param 'reference_share'");
	const char *d[] = { "reference_shares=ict", NULL };
	expect_param_error(d, "param 'reference_shares': item 'ict'");
	const char *e[] = { "reference_shares=ict:0", NULL };
	expect_param_error(e, "param 'reference_shares'");
	const char *f[] = { "reference_shares=:0.2", NULL };
	expect_param_error(f, "param 'reference_shares'");
	const char *g[] = { "reference_share=0.1", "mode=weak", NULL };
	expect_param_error(g, "param 'mode'");
	const char *h[] = { "reference_share=0.1", "employment=", NULL };
	expect_param_error(h, "param 'employment' is empty");
	const char *i[] = { "reference_share=0.1", "from=2020", NULL };
	expect_param_error(i, "param 'to'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lq),
		cmocka_unit_test(test_strong),
		cmocka_unit_test(test_bad_params),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
