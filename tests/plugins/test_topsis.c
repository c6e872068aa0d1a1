/* topsis: closeness to the ideal, min-max and vector normalisation;
 * weights derived from the cohort (weights=entropy, ...) and recorded. */
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
	if (pt_score(&env, "topsis", params, c, out, reasons))
		fail_msg("%s", env.err);
}

/* Clusters with x and y (a negative value means absent). */
static plugin_cohort_t *xy(const double *x, const double *y, size_t n)
{
	plugin_cohort_t *c = pt_cohort();
	char id[32];
	for (size_t i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "k%zu", i);
		pt_cluster(c, id);
		if (x[i] >= 0)
			pt_ind(c, "x", 2022, x[i]);
		if (y[i] >= 0)
			pt_ind(c, "y", 2022, y[i]);
	}
	pt_seal(c);
	return c;
}

static void test_minmax_benefit_cost(void **st)
{
	(void)st;
	/* x benefit: 10, 20, 30 -> r 0, .5, 1 -> v (w .5) 0, .25, .5
	 * y cost:     5, 10, 20 -> r 0, 1/3, 1 -> v 0, 1/6, .5
	 * ideal (.5, 0), anti-ideal (0, .5).
	 * k0: d+ = .5, d- = .5 -> .5;  k2: same -> .5
	 * k1: d+ = sqrt(.25^2 + (1/6)^2), d- = sqrt(.25^2 + (1/3)^2),
	 *     C = d- / (d+ + d-) = .5810 */
	double x[] = { 10, 20, 30, 40 }, y[] = { 5, 10, 20, -1 };
	plugin_cohort_t *c = xy(x, y, 4);
	double out[4];
	const char *r[4];
	const char *p[] = { "indicators=x,y", "directions=benefit,cost", NULL };
	run(p, c, out, r);
	double dp = sqrt(0.0625 + 1.0 / 36), dm = sqrt(0.0625 + 1.0 / 9);
	pt_assert_near(out[0], 0.5, PT_EPS);
	pt_assert_near(out[1], dm / (dp + dm), PT_EPS);
	pt_assert_near(out[1], 0.5810, 1e-4);
	pt_assert_near(out[2], 0.5, PT_EPS);
	/* k3 lacks y: no score, and its x = 40 is not in the ranges. */
	assert_true(isnan(out[3]));
	assert_string_equal(r[3], "no 'y' in any year");

	/* Weights 3:1 -> .75, .25: k1: d+ = sqrt(.375^2 + (.25/3)^2),
	 * d- = sqrt(.375^2 + (.5/3)^2) */
	const char *w[] = { "indicators=x,y", "directions=benefit,cost",
	                    "weights=3,1", NULL };
	run(w, c, out, r);
	dp = sqrt(0.375 * 0.375 + (0.25 / 3) * (0.25 / 3));
	dm = sqrt(0.375 * 0.375 + (0.5 / 3) * (0.5 / 3));
	pt_assert_near(out[1], dm / (dp + dm), PT_EPS);
	/* k0: d+ = .75 (x), d- = .25 (y) -> .25 */
	pt_assert_near(out[0], 0.25, PT_EPS);
	plugin_cohort_destroy(c);
}

static void test_vector(void **st)
{
	(void)st;
	/* x: 1, 2, 4 (|x| = sqrt 21); y: 3, 1, 2 (|y| = sqrt 14); both
	 * benefit, weights .5. ideal (.5*4/sqrt21, .5*3/sqrt14), anti-ideal
	 * (.5/sqrt21, .5/sqrt14).
	 * k0: d+ = .5*3/sqrt21 = 1.5/sqrt21, d- = .5*2/sqrt14 = 1/sqrt14
	 *     C = (1/sqrt14) / (1.5/sqrt21 + 1/sqrt14) = .4495
	 * With min-max the same k0 scores .5: the methods differ. */
	double x[] = { 1, 2, 4 }, y[] = { 3, 1, 2 };
	plugin_cohort_t *c = xy(x, y, 3);
	double out[3];
	const char *p[] = { "indicators=x,y", "normalization=vector", NULL };
	run(p, c, out, NULL);
	double dp = 1.5 / sqrt(21), dm = 1 / sqrt(14);
	pt_assert_near(out[0], dm / (dp + dm), PT_EPS);
	pt_assert_near(out[0], 0.4495, 1e-4);
	const char *m[] = { "indicators=x,y", NULL };
	run(m, c, out, NULL);
	pt_assert_near(out[0], 0.5, PT_EPS);
	plugin_cohort_destroy(c);
}

static void test_small_and_equal(void **st)
{
	(void)st;
	double x1[] = { 5 }, y1[] = { 7 };
	plugin_cohort_t *c = xy(x1, y1, 1);
	double out[3];
	const char *p[] = { "indicators=x,y", NULL };
	run(p, c, out, NULL);
	pt_assert_near(out[0], 0.5, PT_EPS); /* ideal = anti-ideal */
	const char *v[] = { "indicators=x,y", "normalization=vector", NULL };
	run(v, c, out, NULL);
	pt_assert_near(out[0], 0.5, PT_EPS);
	plugin_cohort_destroy(c);

	double x3[] = { 2, 2, 2 }, y3[] = { 0, 0, 0 };
	c = xy(x3, y3, 3);
	run(v, c, out, NULL);
	for (int i = 0; i < 3; i++)
		pt_assert_near(out[i], 0.5, PT_EPS);
	plugin_cohort_destroy(c);
}

/* Clusters with a, b and c (NaN: absent). */
static plugin_cohort_t *abc(const double (*v)[3], size_t n)
{
	plugin_cohort_t *c = pt_cohort();
	char id[32];
	static const char *const ind[] = { "a", "b", "c" };
	for (size_t i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "k%zu", i);
		pt_cluster(c, id);
		for (size_t j = 0; j < 3; j++)
			if (!isnan(v[i][j]))
				pt_ind(c, ind[j], 2022, v[i][j]);
	}
	pt_seal(c);
	return c;
}

/* The run note of the last score, or NULL. */
static const char *weights_note(void)
{
	size_t n;
	const plugin_note_t *v = plugin_instance_notes(env.inst, &n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].key, "weights") == 0)
			return v[i].value;
	return NULL;
}

/* topsis with `method` (and extra params) scores as topsis with the
 * weights w computed by hand, and notes `note`. */
static void same_as_numbers(const plugin_cohort_t *c, size_t n,
                            const char *method, const char *extra,
                            const double *w, const char *note)
{
	char wp[64], nums[256];
	snprintf(wp, sizeof(wp), "weights=%s", method);
	snprintf(nums, sizeof(nums), "weights=%.17g,%.17g,%.17g", w[0], w[1],
	         w[2]);
	const char *pm[] = { "indicators=a,b,c", wp, extra, NULL };
	const char *pn[] = { "indicators=a,b,c", nums, extra, NULL };
	double om[8], on[8];
	const char *rm[8];
	run(pm, c, om, rm);
	const char *got = weights_note();
	if (!got || strcmp(got, note))
		fail_msg("note '%s', expected '%s'", got ? got : "(none)", note);
	run(pn, c, on, NULL);
	assert_null(weights_note());   /* numbers: nothing to record */
	for (size_t i = 0; i < n; i++) {
		if (isnan(on[i])) {
			assert_true(isnan(om[i]));
			continue;
		}
		pt_assert_near(om[i], on[i], 1e-12);
	}
}

static void test_objective_weights(void **st)
{
	(void)st;
	/* The entropy example of test_weights: a 0,0,0,4; b 1,1,1,3; c 5
	 * everywhere: w = (1, d, 0) / (1 + d), d = ln(4/3) / ln 16. k4 has
	 * no c: left out of the weights as of the ranges (its a = 100 would
	 * change both). */
	const double v[][3] = { { 0, 1, 5 }, { 0, 1, 5 }, { 0, 1, 5 },
	                        { 4, 3, 5 }, { 100, 100, NAN } };
	plugin_cohort_t *c = abc(v, 5);
	double d = log(4.0 / 3) / log(16);
	double we[] = { 1 / (1 + d), d / (1 + d), 0 };
	same_as_numbers(c, 5, "entropy", NULL, we,
	                "entropy: a 0.9060, b 0.0940, c 0.0000");
	double wq[] = { 1.0 / 3, 1.0 / 3, 1.0 / 3 };
	same_as_numbers(c, 5, "equal", NULL, wq,
	                "equal: a 0.3333, b 0.3333, c 0.3333");
	plugin_cohort_destroy(c);

	/* The CRITIC example of test_weights, c a cost: C_a = C_c =
	 * .5 (1 - sqrt 3 / 2), C_b = (2 / sqrt 3)(1 - sqrt 3 / 2). */
	const double u[][3] = { { 0, 2, 10 }, { 5, 2, 5 }, { 10, 8, 0 } };
	c = abc(u, 3);
	double h = 1 - sqrt(3) / 2, ca = 0.5 * h, cb = 2 / sqrt(3) * h;
	double wc[] = { ca / (2 * ca + cb), cb / (2 * ca + cb),
	                ca / (2 * ca + cb) };
	same_as_numbers(c, 3, "critic", "directions=benefit,benefit,cost", wc,
	                "critic: a 0.2321, b 0.5359, c 0.2321");
	/* stddev: sd of r = .5, 1/sqrt 3, .5 whatever the directions. */
	double s3 = 1 / sqrt(3), ws[] = { 0.5 / (1 + s3), s3 / (1 + s3),
	                                  0.5 / (1 + s3) };
	same_as_numbers(c, 3, "stddev", "directions=benefit,benefit,cost", ws,
	                "stddev: a 0.3170, b 0.3660, c 0.3170");
	plugin_cohort_destroy(c);

	/* Entropy over a negative value fails the call, naming it. */
	const double neg[][3] = { { 1, 2, 3 }, { 2, -4, 1 } };
	c = abc(neg, 2);
	const char *pe[] = { "indicators=a,b,c", "weights=entropy", NULL };
	double out[2];
	assert_int_equal(pt_score(&env, "topsis", pe, c, out, NULL),
	                 CD_EPLUGIN);
	assert_non_null(strstr(env.err, "weights=entropy needs values >= 0: "
	                                "'b' is -4 for cluster 'k1'"));
	assert_non_null(strstr(env.err, "(CP_EDATA, code 2)"));
	/* ... where critic takes it. */
	const char *pc[] = { "indicators=a,b,c", "weights=critic", NULL };
	run(pc, c, out, NULL);
	assert_non_null(weights_note());
	plugin_cohort_destroy(c);
}

static void expect_param_error(const char *const *params, const char *word)
{
	plugin_cohort_t *c = pt_cohort();
	pt_seal(c);
	double out[1];
	assert_int_equal(pt_score(&env, "topsis", params, c, out, NULL),
	                 CD_EV_DEFINITION);
	if (!strstr(env.err, word))
		fail_msg("'%s' lacks '%s'", env.err, word);
	plugin_cohort_destroy(c);
}

static void test_bad_params(void **st)
{
	(void)st;
	const char *a[] = { NULL };
	expect_param_error(a, "missing required param 'indicators'");
	const char *b[] = { "indicators=", NULL };
	expect_param_error(b, "param 'indicators' needs 1..64 items");
	const char *c[] = { "indicators=x,x", NULL };
	expect_param_error(c, "param 'indicators' repeats 'x'");
	const char *d[] = { "indicators=x,y", "weights=1", NULL };
	expect_param_error(d, "param 'weights' has 1 items, expected 2");
	const char *e[] = { "indicators=x,y", "weights=1,-1", NULL };
	expect_param_error(e, "param 'weights': weight -1 of 'y' is negative");
	const char *f[] = { "indicators=x,y", "weights=0,0", NULL };
	expect_param_error(f, "param 'weights' sum to 0");
	const char *g[] = { "indicators=x,y", "weights=1,heavy", NULL };
	expect_param_error(g, "param 'weights': item 'heavy'");
	const char *h[] = { "indicators=x,y", "directions=benefit", NULL };
	expect_param_error(h, "param 'directions' has 1 items");
	const char *i[] = { "indicators=x,y", "directions=benefit,up", NULL };
	expect_param_error(i, "param 'directions': 'up'");
	const char *j[] = { "indicators=x", "normalization=zscore", NULL };
	expect_param_error(j, "param 'normalization'");
	const char *k[] = { "indicators=x,y", "weights=entropi", NULL };
	expect_param_error(k, "param 'weights': 'entropi' is neither a number "
	                      "nor one of equal, entropy, critic, stddev");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minmax_benefit_cost),
		cmocka_unit_test(test_vector),
		cmocka_unit_test(test_small_and_equal),
		cmocka_unit_test(test_objective_weights),
		cmocka_unit_test(test_bad_params),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
