/* indicator: years, windows, direction, imputation, JRC/GII outliers. */
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
static plugin_cohort_t *abc;  /* a: 2020=10 2021=20; b: 2021=5; c: none */

static int setup(void **st)
{
	(void)st;
	pt_env_open(&env, PT_BUILTIN_DIR);
	abc = pt_cohort();
	pt_cluster(abc, "a");
	pt_ind(abc, "x", 2020, 10);
	pt_ind(abc, "x", 2021, 20);
	pt_cluster(abc, "b");
	pt_ind(abc, "x", 2021, 5);
	pt_ind(abc, "other", 2020, 99);
	pt_cluster(abc, "c");
	pt_seal(abc);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	plugin_cohort_destroy(abc);
	pt_env_close(&env);
	return 0;
}

static void run(const char *const *params, const plugin_cohort_t *c,
                double *out, const char **reasons)
{
	int rc = pt_score(&env, "indicator", params, c, out, reasons);
	if (rc)
		fail_msg("%s", env.err);
}

static void test_years(void **st)
{
	(void)st;
	double out[3];
	const char *r[3];
	const char *latest[] = { "indicator=x", NULL };
	run(latest, abc, out, r);
	assert_true(out[0] == 20); /* a's latest year is 2021 */
	assert_true(out[1] == 5);
	assert_true(isnan(out[2]));
	assert_string_equal(r[2], "no 'x' in any year");
	assert_null(r[0]);

	const char *y2020[] = { "indicator=x", "year=2020", NULL };
	run(y2020, abc, out, r);
	assert_true(out[0] == 10);
	assert_true(isnan(out[1])); /* b has no 2020 */
	assert_string_equal(r[1], "no 'x' in 2020");

	const char *window[] = { "indicator=x", "from=2019", "to=2021", NULL };
	run(window, abc, out, r);
	assert_true(out[0] == 15); /* (10 + 20) / 2 years present */
	assert_true(out[1] == 5);  /* only 2021 present */
	assert_string_equal(r[2], "no 'x' in 2019-2021");

	const char *lower[] = { "indicator=x", "direction=lower", NULL };
	run(lower, abc, out, r);
	assert_true(out[0] == -20); /* lower is better: negated */
	assert_true(out[1] == -5);
	assert_true(isnan(out[2]));
}

static void test_imputation(void **st)
{
	(void)st;
	double out[3];
	const char *r[3];
	const char *mean[] = { "indicator=x", "missing=mean", NULL };
	run(mean, abc, out, r);
	assert_true(out[2] == 12.5); /* (20 + 5) / 2 */
	assert_non_null(strstr(r[2], "imputed the cohort mean 12.5"));
	assert_null(r[0]);

	plugin_cohort_t *c = pt_cohort();
	double v[] = { 1, 10, 2 };
	char id[8];
	for (int i = 0; i < 3; i++) {
		snprintf(id, sizeof(id), "k%d", i);
		pt_cluster(c, id);
		pt_ind(c, "x", 2020, v[i]);
	}
	pt_cluster(c, "none");
	pt_seal(c);
	double o4[4];
	const char *r4[4];
	const char *median[] = { "indicator=x", "missing=median", NULL };
	run(median, c, o4, r4);
	assert_true(o4[3] == 2); /* median of 1, 2, 10 */
	assert_non_null(strstr(r4[3], "median 2"));
	/* Imputation then direction: lower negates the imputed value too. */
	const char *both[] = { "indicator=x", "missing=mean",
	                       "direction=lower", NULL };
	run(both, c, o4, r4);
	assert_true(o4[3] == -13.0 / 3); /* -(1 + 10 + 2) / 3 */
	plugin_cohort_destroy(c);

	/* Nothing to impute from: everyone stays without a score. */
	const char *none[] = { "indicator=absent", "missing=mean", NULL };
	run(none, abc, out, r);
	assert_true(isnan(out[0]) && isnan(out[1]) && isnan(out[2]));
}

static plugin_cohort_t *series(const double *v, size_t n)
{
	plugin_cohort_t *c = pt_cohort();
	char id[32];
	for (size_t i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "k%zu", i);
		pt_cluster(c, id);
		pt_ind(c, "x", 2020, v[i]);
	}
	pt_seal(c);
	return c;
}

static void test_winsorise_positive(void **st)
{
	(void)st;
	/* 20 x 1, then 90, 95, 100 (n = 23). Sample skewness / excess
	 * kurtosis (SKEW / KURT definitions):
	 *   as is:              2.3612 / 3.9323 -> treat: 100 -> 95
	 *   after 1 value:      2.3544 / 3.8814 -> treat: 95, 95 -> 90
	 *   after 2 values:     2.3509 / 3.8552 -> treat: 90, 90, 90 -> 1
	 *   after 3 values:     all equal, no moments -> stop. */
	double v[23];
	for (int i = 0; i < 20; i++)
		v[i] = 1;
	v[20] = 90;
	v[21] = 95;
	v[22] = 100;
	plugin_cohort_t *c = series(v, 23);
	double out[23];
	const char *r[23];
	const char *p[] = { "indicator=x", "winsorise=true", NULL };
	run(p, c, out, r);
	for (int i = 0; i < 23; i++)
		assert_true(out[i] == 1);
	assert_non_null(strstr(r[22], "winsorised to 1"));
	assert_null(r[0]);

	/* At most 2 values: the top three all end at 90. */
	const char *p2[] = { "indicator=x", "winsorise=true",
	                     "max_winsorised=2", NULL };
	run(p2, c, out, r);
	assert_true(out[19] == 1);
	assert_true(out[20] == 90 && out[21] == 90 && out[22] == 90);
	assert_null(r[20]); /* 90 was not changed */
	assert_non_null(r[21]);

	/* A kurtosis threshold above 3.9323 leaves the data alone. */
	const char *p3[] = { "indicator=x", "winsorise=true",
	                     "kurtosis_threshold=4", NULL };
	run(p3, c, out, r);
	assert_true(out[22] == 100);
	/* Off by default. */
	const char *p4[] = { "indicator=x", NULL };
	run(p4, c, out, r);
	assert_true(out[22] == 100);
	plugin_cohort_destroy(c);
}

static void test_winsorise_negative(void **st)
{
	(void)st;
	/* 10 x 10, then 9, 0 (n = 12): skew -3.4053, kurt 11.6855 -> the
	 * lowest value 0 takes the next one, 9; then skew -2.0552 clears. */
	double v[12] = { 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 9, 0 };
	plugin_cohort_t *c = series(v, 12);
	double out[12];
	const char *r[12];
	const char *p[] = { "indicator=x", "winsorise=true", NULL };
	run(p, c, out, r);
	assert_true(out[11] == 9);
	assert_true(out[10] == 9);
	assert_true(out[0] == 10);
	/* With direction=lower the treated value is negated afterwards. */
	const char *q[] = { "indicator=x", "winsorise=true", "direction=lower",
	                    NULL };
	run(q, c, out, r);
	assert_true(out[11] == -9);
	plugin_cohort_destroy(c);
}

static void test_small_and_equal(void **st)
{
	(void)st;
	double one = 7;
	plugin_cohort_t *c = series(&one, 1);
	double out[4];
	const char *r[4];
	const char *p[] = { "indicator=x", "winsorise=true", "missing=median",
	                    NULL };
	run(p, c, out, r);
	assert_true(out[0] == 7);
	plugin_cohort_destroy(c);

	double eq[4] = { 3, 3, 3, 3 };
	c = series(eq, 4);
	run(p, c, out, r);
	for (int i = 0; i < 4; i++) {
		assert_true(out[i] == 3); /* no spread: no moments, no change */
		assert_null(r[i]);
	}
	plugin_cohort_destroy(c);
}

/* The run note `key` of the last score, or NULL. */
static const char *note(const char *key)
{
	size_t n;
	const plugin_note_t *v = plugin_instance_notes(env.inst, &n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].key, key) == 0)
			return v[i].value;
	return NULL;
}

static void test_fallback_coinr(void **st)
{
	(void)st;
	/* COINr's own test of the two-step treatment (bluefoxr/COINr,
	 * tests/testthat/test-treat.R, test "treat_num"): x = 1..20, 100,
	 * 200 with winmax = 1 and the thresholds 2 and 3.5 fails after
	 * winsorising (there, f2 = log gives log(x) of the original x, not of
	 * the winsorised one). By hand: skew 3.5856, kurtosis 13.339; 200 ->
	 * 100 leaves 2.8170, 7.1335, both still over; so the original values
	 * are log-transformed by log_CT, log(x - 1 + a) with a = .01 (200 -
	 * 1) = 1.99: skew .9695, kurtosis 2.2460 after. */
	double x[22];
	for (int i = 0; i < 20; i++)
		x[i] = i + 1;
	x[20] = 100;
	x[21] = 200;
	plugin_cohort_t *c = series(x, 22);
	double out[22];
	const char *r[22];
	const char *p[] = { "indicator=x", "winsorise=true", "skew_threshold=2",
	                    "max_winsorised=1", "fallback=log", NULL };
	run(p, c, out, r);
	for (int i = 0; i < 22; i++)
		pt_assert_near(out[i], log(x[i] - 1 + 1.99), 1e-12);
	assert_string_equal(r[21], "outlier treatment: 'x' 200 log-transformed "
	                           "to 5.30326, log(x - 1 + 1.99)");
	assert_non_null(r[0]);
	assert_string_equal(note("outliers"), "'x': winsorising 1 value left "
	                    "skew 2.817, kurtosis 7.134 (thresholds 2, 3.5): "
	                    "the 22 values log-transformed instead, "
	                    "log(x - 1 + 1.99) (COINr log_CT); after: skew "
	                    "0.9695, kurtosis 2.246");
	/* log_plus: the skew is positive, the same transform. */
	const char *pp[] = { "indicator=x", "winsorise=true",
	                     "skew_threshold=2", "max_winsorised=1",
	                     "fallback=log_plus", NULL };
	double o2[22];
	run(pp, c, o2, r);
	for (int i = 0; i < 22; i++)
		assert_true(o2[i] == out[i]);
	assert_non_null(strstr(note("outliers"), "(COINr log_CT_plus)"));
	/* fallback=none (the default): winsorised as before, no note. */
	const char *pn[] = { "indicator=x", "winsorise=true", "skew_threshold=2",
	                     "max_winsorised=1", "fallback=none", NULL };
	const char *pd[] = { "indicator=x", "winsorise=true", "skew_threshold=2",
	                     "max_winsorised=1", NULL };
	run(pn, c, out, r);
	assert_true(out[21] == 100 && out[20] == 100 && out[0] == 1);
	assert_null(note("outliers"));
	run(pd, c, o2, r);
	assert_memory_equal(out, o2, sizeof(out));
	assert_string_equal(r[21], "outlier: 'x' 200 winsorised to 100");
	plugin_cohort_destroy(c);

	/* The same test's first case: 1..10, 100 (skew 3.2556, kurtosis
	 * 10.707) passes once 100 -> 10 (-.1276, -1.3367): no fallback. */
	double y[11];
	for (int i = 0; i < 10; i++)
		y[i] = i + 1;
	y[10] = 100;
	c = series(y, 11);
	const char *py[] = { "indicator=x", "winsorise=true", "skew_threshold=2",
	                     "fallback=log", NULL };
	run(py, c, out, r);
	assert_true(out[10] == 10 && out[9] == 10 && out[0] == 1);
	assert_null(note("outliers"));
	plugin_cohort_destroy(c);
}

static void test_fallback_negative(void **st)
{
	(void)st;
	/* 10 x 10, then 9, 0: skew -3.4053, kurtosis 11.685; no winsorising
	 * allowed (max_winsorised=0), so the fallback applies at once.
	 * a = .01 (10 - 0) = .1.
	 *   log (log_CT, whatever the skew): log(x + .1): 10 -> log 10.1,
	 *   9 -> log 9.1, 0 -> log .1 (skew -3.4610: worse, as in COINr);
	 *   log_plus (log_CT_plus, skew < 0): -log(10 + .1 - x): 10 ->
	 *   -log .1 = 2.302585, 9 -> -log 1.1, 0 -> -log 10.1 (skew
	 *   -2.5141). */
	double v[12] = { 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 9, 0 };
	/* The same shifted below 0: log_CT subtracts the minimum, so
	 * non-positive values score alike. */
	double w[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -10 };
	const char *pl[] = { "indicator=x", "winsorise=true", "max_winsorised=0",
	                     "fallback=log", NULL };
	const char *pp[] = { "indicator=x", "winsorise=true", "max_winsorised=0",
	                     "fallback=log_plus", NULL };
	const char *pq[] = { "indicator=x", "winsorise=true", "max_winsorised=0",
	                     "fallback=log_plus", "direction=lower", NULL };
	for (int t = 0; t < 2; t++) {
		plugin_cohort_t *c = series(t ? w : v, 12);
		double out[12];
		const char *r[12];
		run(pl, c, out, r);
		pt_assert_near(out[0], log(10.1), 1e-12);
		pt_assert_near(out[10], log(9.1), 1e-12);
		pt_assert_near(out[11], log(0.1), 1e-12);
		if (!strstr(note("outliers"), "winsorising 0 values left skew "
		                              "-3.405, kurtosis 11.69"))
			fail_msg("%s", note("outliers"));
		run(pp, c, out, r);
		pt_assert_near(out[0], -log(0.1), 1e-12);
		pt_assert_near(out[10], -log(1.1), 1e-12);
		pt_assert_near(out[11], -log(10.1), 1e-12);
		const char *want = t ? "-log(0 + 0.1 - x)" : "-log(10 + 0.1 - x)";
		if (!strstr(r[11], want))
			fail_msg("'%s' lacks '%s'", r[11], want);
		if (!strstr(note("outliers"), "after: skew -2.514, kurtosis "
		                              "5.955"))
			fail_msg("%s", note("outliers"));
		/* direction=lower negates the transformed value. */
		run(pq, c, out, r);
		pt_assert_near(out[11], log(10.1), 1e-12);
		plugin_cohort_destroy(c);
	}
}

static void expect_param_error(const char *const *params, const char *word)
{
	double out[3];
	int rc = pt_score(&env, "indicator", params, abc, out, NULL);
	assert_int_equal(rc, CD_EV_DEFINITION);
	if (!strstr(env.err, word))
		fail_msg("'%s' lacks '%s'", env.err, word);
}

static void test_bad_params(void **st)
{
	(void)st;
	const char *a[] = { NULL };
	expect_param_error(a, "missing required param 'indicator'");
	const char *b[] = { "indicator=", NULL };
	expect_param_error(b, "param 'indicator' is empty");
	const char *c[] = { "indicator=x", "year=soon", NULL };
	expect_param_error(c, "param 'year'");
	const char *d[] = { "indicator=x", "from=2020", NULL };
	expect_param_error(d, "param 'to' is required");
	const char *e[] = { "indicator=x", "from=2021", "to=2020", NULL };
	expect_param_error(e, "param 'to' (2020) is before");
	const char *f[] = { "indicator=x", "year=2020", "from=2019", "to=2021",
	                    NULL };
	expect_param_error(f, "param 'year' cannot be combined");
	const char *g[] = { "indicator=x", "direction=sideways", NULL };
	expect_param_error(g, "param 'direction'");
	const char *h[] = { "indicator=x", "missing=guess", NULL };
	expect_param_error(h, "param 'missing'");
	const char *i[] = { "indicator=x", "max_winsorised=-1", NULL };
	expect_param_error(i, "param 'max_winsorised'");
	const char *j[] = { "indicator=x", "skew_threshold=-1", NULL };
	expect_param_error(j, "param 'skew_threshold'");
	const char *k[] = { "indicator=x", "winsorise=perhaps", NULL };
	expect_param_error(k, "param 'winsorise'");
	const char *l[] = { "indicator=x", "year=70000", NULL };
	expect_param_error(l, "param 'year'");
	const char *m[] = { "indicator=x", "to=2020", NULL };
	expect_param_error(m, "param 'from' is required");
	const char *n[] = { "indicator=x", "winsorise=true", "fallback=exp",
	                    NULL };
	expect_param_error(n, "param 'fallback'");
	const char *o[] = { "indicator=x", "fallback=log", NULL };
	expect_param_error(o, "param 'fallback' applies when winsorising: "
	                      "give winsorise=true with it");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_years),
		cmocka_unit_test(test_imputation),
		cmocka_unit_test(test_winsorise_positive),
		cmocka_unit_test(test_winsorise_negative),
		cmocka_unit_test(test_small_and_equal),
		cmocka_unit_test(test_fallback_coinr),
		cmocka_unit_test(test_fallback_negative),
		cmocka_unit_test(test_bad_params),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
