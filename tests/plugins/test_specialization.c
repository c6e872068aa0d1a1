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

/* Cluster by cluster, so a failure names the one that differs. */
static void expect_flags(const double *out, const double *want, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!(out[i] == want[i]))
			fail_msg("cluster %zu scores %g, want %g", i, out[i], want[i]);
}

/*
 * The cases below follow the US Cluster Mapping pipeline step by step:
 * clustermapping/cmp data/processing/cluster_calcs_reducer.js (the
 * percentile sets at lines 35-37, the quantiles at 38-41, strong_b and
 * strong10_b at 53-60) and cluster_calcs_mapper.js (the LQ at 67-70, its
 * safeSet at 36-42), with d3 v3's quantile over the sorted values x[0..n):
 * H = (n-1)p + 1, h = floor(H), e = H - h, q = x[h-1] + e (x[h] - x[h-1]).
 */

/* Regions with employment 0 stay out of the percentiles (reducer:35-37)
 * but are flagged, and score 0. Three regions above 0, an odd count. */
static void test_strong_zero_employment(void **st)
{
	(void)st;
	/* share 0.1, total 1000: LQ = emp / 100. */
	plugin_cohort_t *c = pt_cohort();
	add(c, "z1", "ict", 0, 1000, 0);
	add(c, "z2", "ict", 0, 1000, 0);
	add(c, "z3", "ict", 0, 0, 0);     /* no traded employment at all */
	add(c, "a", "ict", 150, 1000, 2); /* LQ 1.5 */
	add(c, "b", "ict", 200, 1000, 3); /* LQ 2 */
	add(c, "c", "ict", 400, 1000, 5); /* LQ 4 */
	pt_seal(c);
	double out[6];
	const char *r[6];
	/* Above 0: emp (150, 200, 400), est (2, 3, 5), LQ (1.5, 2, 4); n = 3.
	 *   P25: H = 2 * 0.25 + 1 = 1.5, h = 1, e = 0.5:
	 *        emp 150 + 0.5 * 50 = 175; est 2 + 0.5 * 1 = 2.5.
	 *   P75: H = 2 * 0.75 + 1 = 2.5, h = 2, e = 0.5: LQ 2 + 0.5 * 2 = 3.
	 *   P90: H = 2 * 0.9 + 1 = 2.8, h = 2, e = 0.8: LQ 2 + 0.8 * 2 = 3.6.
	 * strong: c (4 >= 3, 400 > 175, 5 > 2.5, 4 >= 1); b: 2 < 3.
	 * z3 is 0/0, which the mapper's safeSet makes LQ 0: scored 0.
	 * With the zeros counted (this plugin before): emp P25 over
	 * (0, 0, 150, 200, 400) is 0, LQ P75 over (0, 0, 1.5, 2, 4) is 2, so
	 * b was strong too, and z3 had no score. */
	const char *p[] = { "reference_share=0.1", "mode=strong", NULL };
	run(p, c, out, r);
	expect_flags(out, (double[]){ 0, 0, 0, 0, 0, 1 }, 6);
	assert_string_equal(r[1], "LQ 0 below max(1, 75th percentile 3)");
	assert_string_equal(r[2], "LQ 0 below max(1, 75th percentile 3)");
	assert_string_equal(r[4], "LQ 2 below max(1, 75th percentile 3)");
	const char *p10[] = { "reference_share=0.1", "mode=strong10", NULL };
	run(p10, c, out, r);
	expect_flags(out, (double[]){ 0, 0, 0, 0, 0, 1 }, 6); /* 4 >= 3.6 */
	assert_string_equal(r[4], "LQ 2 below max(1, 90th percentile 3.6)");
	/* lq mode keeps 0/0 unscored: there is no share to speak of. */
	const char *lq[] = { "reference_share=0.1", NULL };
	run(lq, c, out, r);
	assert_true(isnan(out[2]));
	assert_non_null(strstr(r[2], "is no share"));
	assert_true(out[0] == 0);
	plugin_cohort_destroy(c);
}

/* Ties: LQ at its percentile passes (>=), employment or establishments at
 * theirs fail (>) (reducer:53-56). Six regions above 0, an even count,
 * and one at 0 that the old rule counted. */
static void test_strong_ties(void **st)
{
	(void)st;
	plugin_cohort_t *c = pt_cohort();
	add(c, "t1", "ict", 200, 1000, 3); /* LQ 2 */
	add(c, "t2", "ict", 200, 500, 5);  /* LQ 4 */
	add(c, "t3", "ict", 300, 750, 3);  /* LQ 4 */
	add(c, "t4", "ict", 300, 1000, 9); /* LQ 3 */
	add(c, "t5", "ict", 400, 1000, 6); /* LQ 4 */
	add(c, "t6", "ict", 100, 1000, 1); /* LQ 1 */
	add(c, "z", "ict", 0, 1000, 0);
	pt_seal(c);
	double out[7];
	const char *r[7];
	/* Above 0, sorted: emp (100, 200, 200, 300, 300, 400), est (1, 3, 3,
	 * 5, 6, 9), LQ (1, 2, 3, 4, 4, 4); n = 6.
	 *   P25: H = 5 * 0.25 + 1 = 2.25, h = 2, e = 0.25:
	 *        emp 200 + 0.25 * (200 - 200) = 200; est 3 + 0.25 * 0 = 3.
	 *   P75: H = 5 * 0.75 + 1 = 4.75, h = 4, e = 0.75: LQ 4 + 0.75 * 0 = 4.
	 *   P90: H = 5 * 0.9 + 1 = 5.5, h = 5, e = 0.5: LQ 4 + 0.5 * 0 = 4.
	 * t2: LQ 4 >= 4, emp 200 not > 200. t3: LQ 4, emp 300 > 200, est 3
	 * not > 3. t5: 4 >= 4, 400 > 200, 6 > 3: strong, in both modes.
	 * With z counted (before): n = 7, emp P25 at h = 1.5: 100 + 0.5 * 100
	 * = 150, est P25 1 + 0.5 * 2 = 2, LQ P75 at h = 4.5: 4; t2 and t3 were
	 * strong. */
	const char *p[] = { "reference_share=0.1", "mode=strong", NULL };
	run(p, c, out, r);
	expect_flags(out, (double[]){ 0, 0, 0, 0, 1, 0, 0 }, 7);
	assert_string_equal(r[1], "'employment' 200 not above the 25th "
	                          "percentile 200");
	assert_string_equal(r[2], "'establishments' 3 not above the 25th "
	                          "percentile 3");
	assert_string_equal(r[3], "LQ 3 below max(1, 75th percentile 4)");
	assert_null(r[4]);
	const char *p10[] = { "reference_share=0.1", "mode=strong10", NULL };
	run(p10, c, out, r);
	expect_flags(out, (double[]){ 0, 0, 0, 0, 1, 0, 0 }, 7);
	plugin_cohort_destroy(c);
}

/* Percentiles per industry (the reducer groups by cluster code,
 * reducer:19-27), and the top decile apart from the top quarter. */
static void test_strong_industries(void **st)
{
	(void)st;
	plugin_cohort_t *c = pt_cohort();
	double emp[] = { 100, 150, 200, 300, 400, 600 };
	char id[8];
	for (int i = 0; i < 6; i++) {
		snprintf(id, sizeof(id), "i%d", i);
		add(c, id, "ict", emp[i], 1000, 1.0 + i);
	}
	add(c, "a0", "auto", 50, 100, 3);
	add(c, "a1", "auto", 60, 100, 4);
	pt_seal(c);
	double out[8];
	const char *r[8];
	/* ict (share 0.1): LQ (1, 1.5, 2, 3, 4, 6), est (1..6); n = 6.
	 *   P25: H = 2.25, h = 2, e = 0.25: emp 150 + 0.25 * 50 = 162.5;
	 *        est 2 + 0.25 * 1 = 2.25.
	 *   P75: H = 4.75, h = 4, e = 0.75: LQ 3 + 0.75 * 1 = 3.75.
	 *   P90: H = 5.5, h = 5, e = 0.5: LQ 4 + 0.5 * 2 = 5.
	 * strong: i4 (LQ 4) and i5 (LQ 6); strong10: i5 only, i4 < 5.
	 * auto (share 0.05): LQ (10, 12), emp (50, 60), est (3, 4); n = 2.
	 *   P25: H = 1.25, h = 1, e = 0.25: emp 52.5, est 3.25.
	 *   P75: H = 1.75, e = 0.75: LQ 11.5. P90: H = 1.9: LQ 11.8.
	 * a1 is strong in both modes. Pooled with ict (before), emp P25 over
	 * (50, 60, 100, ..., 600) at h = 1.75 was 60 + 0.75 * 40 = 90 and LQ
	 * P75 over (1, ..., 6, 10, 12) at h = 5.25 was 6 + 0.25 * 4 = 7: no
	 * ict cluster passed LQ, and a0, a1 failed on employment, 50, 60 <= 90.
	 * Nobody was strong. */
	const char *p[] = { "reference_shares=ict:0.1,auto:0.05",
	                    "mode=strong", NULL };
	run(p, c, out, r);
	expect_flags(out, (double[]){ 0, 0, 0, 0, 1, 1, 0, 1 }, 8);
	assert_string_equal(r[3], "LQ 3 below max(1, 75th percentile 3.75)");
	assert_string_equal(r[6], "LQ 10 below max(1, 75th percentile 11.5)");
	const char *p10[] = { "reference_shares=ict:0.1,auto:0.05",
	                      "mode=strong10", NULL };
	run(p10, c, out, r);
	expect_flags(out, (double[]){ 0, 0, 0, 0, 0, 1, 0, 1 }, 8);
	assert_string_equal(r[4], "LQ 4 below max(1, 90th percentile 5)");
	assert_string_equal(r[6], "LQ 10 below max(1, 90th percentile 11.8)");
	plugin_cohort_destroy(c);
}

/* An industry with nobody above 0: d3's quantile of nothing is NaN and
 * every comparison with it false, so all score 0; clusters with a value
 * missing or an impossible share stay unscored. */
static void test_strong_no_employment(void **st)
{
	(void)st;
	plugin_cohort_t *c = pt_cohort();
	add(c, "b0", "bio", 0, 1000, 2);
	add(c, "b1", "bio", 0, 0, 0);
	add(c, "b2", "bio", 10, 0, 1);   /* 10 of nothing */
	add(c, "b3", "bio", 10, 100, -1); /* no establishments */
	pt_seal(c);
	double out[4];
	const char *r[4];
	const char *p[] = { "reference_share=0.1", "mode=strong10", NULL };
	run(p, c, out, r);
	expect_flags(out, (double[]){ 0, 0 }, 2);
	assert_string_equal(r[0], "no cluster of industry 'bio' has "
	                          "'employment' above 0");
	assert_string_equal(r[1], r[0]);
	assert_true(isnan(out[2]) && isnan(out[3]));
	assert_non_null(strstr(r[2], "is no share"));
	assert_string_equal(r[3], "no 'establishments' in any year");
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
		cmocka_unit_test(test_strong_zero_employment),
		cmocka_unit_test(test_strong_ties),
		cmocka_unit_test(test_strong_industries),
		cmocka_unit_test(test_strong_no_employment),
		cmocka_unit_test(test_bad_params),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
