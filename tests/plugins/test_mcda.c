/* mcda: the six methods on matrices computed by hand and on published
 * examples, ties, missing indicators, degenerate data, refused params and
 * data, and every allocation failing in turn. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cd_error.h"
#include "plugin_internal.h"
#include "plugin_params.h"
#include "pt_util.h"

static pt_env_t env;

static const char *const methods[] = {
	"vikor", "copras", "wpm", "spotis", "mabac", "edas"
};
#define NMETHODS (sizeof(methods) / sizeof(*methods))

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

/* m clusters (ids[i], or "A1".."Am" when ids is NULL) with k indicators
 * c1..ck in 2022; x is row-major, NAN = absent. */
static plugin_cohort_t *matrix(const double *x, size_t m, size_t k,
                               const char *const *ids)
{
	plugin_cohort_t *c = pt_cohort();
	char id[32], name[32];
	for (size_t i = 0; i < m; i++) {
		snprintf(id, sizeof(id), "A%zu", i + 1);
		pt_cluster(c, ids ? ids[i] : id);
		for (size_t j = 0; j < k; j++) {
			snprintf(name, sizeof(name), "c%zu", j + 1);
			if (!isnan(x[i * k + j]))
				pt_ind(c, name, 2022, x[i * k + j]);
		}
	}
	pt_seal(c);
	return c;
}

/* Scores with "method=<method>" and the params given. */
static int score(const char *method, const char *const *params,
                 const plugin_cohort_t *c, double *out, const char **r)
{
	const char *p[16];
	char mp[32];
	size_t n = 0;
	snprintf(mp, sizeof(mp), "method=%s", method);
	p[n++] = mp;
	for (; params && params[n - 1]; n++) {
		assert_true(n < 15);
		p[n] = params[n - 1];
	}
	p[n] = NULL;
	return pt_score(&env, "mcda", p, c, out, r);
}

static void run(const char *method, const char *const *params,
                const plugin_cohort_t *c, double *out, const char **r)
{
	if (score(method, params, c, out, r))
		fail_msg("%s", env.err);
}

static void expect_fail(const char *method, const char *const *params,
                        const plugin_cohort_t *c, int code,
                        const char *word)
{
	double out[16];
	assert_int_equal(score(method, params, c, out, NULL), code);
	if (!strstr(env.err, word))
		fail_msg("'%s' lacks '%s'", env.err, word);
}

static void near_all(const double *out, const double *want, size_t n,
                     double eps)
{
	for (size_t i = 0; i < n; i++)
		pt_assert_near(out[i], want[i], eps);
}

/* The small matrix of the hand computations: c1 benefit 10, 20, 30;
 * c2 cost 5, 10, 20; A4 (c1 = 40) lacks c2, so it gets no score and its
 * 40 stays out of every column statistic. Equal weights .5. */
static const double hand[] = { 10, 5, 20, 10, 30, 20, 40, NAN };
static const char *const hand_p[] = { "indicators=c1,c2",
	                                  "directions=benefit,cost", NULL };

static void expect_missing(const double *out, const char **r)
{
	assert_true(isnan(out[3]));
	assert_string_equal(r[3], "no 'c2' in any year");
}

/* ---- VIKOR ---- */

static void test_vikor_hand(void **st)
{
	(void)st;
	/* c1 benefit 10, 20, 30, 25: f* 30, f- 10, d = .5 (30 - x) / 20:
	 *   .5, .25, 0, .125
	 * c2 cost 5, 10, 20, 8: f* 5, f- 20, d = .5 (y - 5) / 15:
	 *   0, 1/6, .5, .1
	 * S = .5, 5/12, .5, .225 (S* = 9/40, S- = 1/2, spread 33/120)
	 * R = .5, .25, .5, .125  (R* = 1/8, R- = 1/2, spread 3/8)
	 * Q (v .5): A1 = .5 + .5 = 1; A3 = 1; A4 = 0;
	 *   A2 = .5 (23/120)/(33/120) + .5 (1/8)/(3/8) = 23/66 + 11/66 = 17/33
	 * score = 1 - Q: 0, 16/33, 0, 1. A5 lacks c2.
	 * Compromise: m 4, DQ 1/3; Q(a2) - Q(a1) = 17/33 >= 1/3, and A4 is
	 * best by S (and R): A4 alone. */
	const double x[] = { 10, 5, 20, 10, 30, 20, 25, 8, 40, NAN };
	plugin_cohort_t *c = matrix(x, 5, 2, NULL);
	double out[5];
	const char *r[5];
	run("vikor", hand_p, c, out, r);
	near_all(out, (const double[]){ 0, 16.0 / 33, 0, 1 }, 4, PT_EPS);
	assert_string_equal(r[3], "VIKOR compromise: acceptable advantage "
	                          "and stability hold");
	assert_null(r[0]);
	assert_null(r[1]);
	assert_null(r[2]);
	assert_true(isnan(out[4]));
	assert_string_equal(r[4], "no 'c2' in any year");
	/* v = 1: Q = (S - S*)/spread: A2 23/33 -> 10/33. v = 0: Q = the R
	 * term: A2 1/3 -> 2/3. */
	const char *v1[] = { "indicators=c1,c2", "directions=benefit,cost",
	                     "v=1", NULL };
	run("vikor", v1, c, out, r);
	pt_assert_near(out[1], 10.0 / 33, PT_EPS);
	const char *v0[] = { "indicators=c1,c2", "directions=benefit,cost",
	                     "v=0", NULL };
	run("vikor", v0, c, out, r);
	pt_assert_near(out[1], 2.0 / 3, PT_EPS);
	plugin_cohort_destroy(c);
}

static void test_vikor_stability_fails(void **st)
{
	(void)st;
	/* c1, c2 benefit, c3 cost, weights 1/3; f* = 9, 9, 1; f- = 2, 2, 5.
	 * d_ij = (f* - x)/(f* - f-)/3:
	 *   A1 (9,6,4): 0, 1/7, 1/4     S 11/28  R 1/4
	 *   A2 (8,2,1): 1/21, 1/3, 0    S 8/21   R 1/3
	 *   A3 (7,3,3): 2/21, 2/7, 1/6  S 23/42  R 2/7
	 *   A4 (4,5,2): 5/21, 4/21, 1/12 S 43/84 R 5/21
	 *   A5 (8,6,5): 1/21, 1/7, 1/3  S 11/21  R 1/3
	 *   A6 (2,9,1): 1/3, 0, 0       S 1/3    R 1/3
	 * Q = 29/144, 11/18, 3/4, 5/12, 17/18, 1/2. DQ = 1/5 and Q(A4) -
	 * Q(A1) = 31/144 >= 1/5: advantage holds; but A1 is best by neither S
	 * (A6) nor R (A4): the compromise set is A1 and A4. */
	const double x[] = { 9, 6, 4, 8, 2, 1, 7, 3, 3, 4, 5, 2, 8, 6, 5,
	                     2, 9, 1 };
	plugin_cohort_t *c = matrix(x, 6, 3, NULL);
	double out[6];
	const char *r[6];
	const char *p[] = { "indicators=c1,c2,c3",
	                    "directions=benefit,benefit,cost", NULL };
	run("vikor", p, c, out, r);
	const double q[] = { 29.0 / 144, 11.0 / 18, 0.75, 5.0 / 12,
	                     17.0 / 18, 0.5 };
	for (size_t i = 0; i < 6; i++)
		pt_assert_near(out[i], 1 - q[i], PT_EPS);
	const char *want = "VIKOR compromise set of 2: acceptable advantage "
	                   "holds, acceptable stability fails (the best by Q "
	                   "is best by neither S nor R)";
	assert_string_equal(r[0], want);
	assert_string_equal(r[3], want);
	assert_null(r[1]);
	assert_null(r[2]);
	assert_null(r[4]);
	assert_null(r[5]);
	plugin_cohort_destroy(c);
}

static void test_vikor_published(void **st)
{
	(void)st;
	/* Yang & Wu, "A new improvement method to avoid rank reversal in
	 * VIKOR", IEEE Access 8 (2020), as in pymcdm test/test_mcdm.py
	 * (TestVIKOR.test_output_yang) and the VIKOR docstring: four benefit
	 * criteria, equal weights, Q = .5679, .7667, 1, .7493, 0 (4 places). */
	const double y[] = { 78, 56, 34, 6, 4, 45, 3, 97, 18, 2, 50, 63,
	                     9, 14, 11, 92, 85, 9, 100, 29 };
	plugin_cohort_t *c = matrix(y, 5, 4, NULL);
	double out[6];
	const char *r[6];
	const char *p4[] = { "indicators=c1,c2,c3,c4", NULL };
	run("vikor", p4, c, out, r);
	near_all(out, (const double[]){ 1 - .5679, 1 - .7667, 0, 1 - .7493, 1 },
	         5, 5e-5);
	plugin_cohort_destroy(c);

	/* Opricovic & Tzeng, EJOR 156 (2004), the numerical example, as in
	 * pymcdm (TestVIKOR.test_output_opricovic) and scikit-criteria
	 * tests/agg/test_vikor.py (test_VIKOR_opricovic2004compromise): c1
	 * cost 1, 2, 5; c2 benefit 3000, 3750, 4500; Q = 1, 0, 1; A2 is the
	 * compromise solution, with acceptable advantage and stability. */
	const double o[] = { 1, 3000, 2, 3750, 5, 4500 };
	c = matrix(o, 3, 2, NULL);
	const char *p2[] = { "indicators=c1,c2", "directions=cost,benefit",
	                     NULL };
	run("vikor", p2, c, out, r);
	near_all(out, (const double[]){ 0, 1, 0 }, 3, PT_EPS);
	assert_null(r[0]);
	assert_string_equal(r[1], "VIKOR compromise: acceptable advantage and "
	                          "stability hold");
	plugin_cohort_destroy(c);

	/* Opricovic & Tzeng, "Extended VIKOR method in comparison with
	 * outranking methods", EJOR 178 (2007), the hydropower example as in
	 * scikit-criteria tests/agg/test_vikor.py
	 * (test_VIKOR_opricovic2007extended): W = 1 (equal weights) gives
	 * Q = .991, 1, .473, .670, 0, .578 and A5 with both conditions;
	 * W = 3 (1,1,1,1,2,2,2,2) gives Q = .684, 1, .147, .554, .041, .191,
	 * advantage failing, stability holding, compromise set A3, A5, A6. */
	const double h[] = {
		4184.3, 2914.0, 407.2, 251.0, 195, 244, 15, 2.41,
		5211.9, 3630.0, 501.7, 308.3, 282, 346, 21, 1.41,
		5021.3, 3920.5, 504.0, 278.6, 12, 56, 3, 4.42,
		5566.1, 3957.9, 559.5, 335.3, 167, 268, 16, 3.36,
		5060.5, 3293.5, 514.1, 284.2, 69, 90, 7, 4.04,
		4317.9, 2925.9, 432.8, 239.3, 12, 55, 3, 4.36,
	};
	c = matrix(h, 6, 8, NULL);
	const char *w1[] = { "indicators=c1,c2,c3,c4,c5,c6,c7,c8",
	                     "directions=benefit,cost,benefit,benefit,cost,"
	                     "cost,cost,benefit", NULL };
	run("vikor", w1, c, out, r);
	const double q1[] = { .991, 1, .473, .670, 0, .578 };
	for (size_t i = 0; i < 6; i++)
		pt_assert_near(out[i], 1 - q1[i], 5e-4);
	for (size_t i = 0; i < 6; i++)
		if (i == 4)
			assert_string_equal(r[i], "VIKOR compromise: acceptable "
			                          "advantage and stability hold");
		else
			assert_null(r[i]);
	const char *w3[] = { "indicators=c1,c2,c3,c4,c5,c6,c7,c8",
	                     "directions=benefit,cost,benefit,benefit,cost,"
	                     "cost,cost,benefit", "weights=1,1,1,1,2,2,2,2",
	                     NULL };
	run("vikor", w3, c, out, r);
	const double q3[] = { .684, 1, .147, .554, .041, .191 };
	for (size_t i = 0; i < 6; i++)
		pt_assert_near(out[i], 1 - q3[i], 5e-4);
	for (size_t i = 0; i < 6; i++) {
		if (i != 2 && i != 4 && i != 5) {
			assert_null(r[i]);
			continue;
		}
		assert_non_null(strstr(r[i], "VIKOR compromise set of 3: "
		                             "acceptable advantage fails "
		                             "(Q(a2) - Q(a1) = 0.1"));
		assert_non_null(strstr(r[i], "< 1/(m-1) = 0.2000), acceptable "
		                             "stability holds"));
	}
	plugin_cohort_destroy(c);
}

static void test_vikor_ties(void **st)
{
	(void)st;
	/* A1 and A3 alike and best: Q(a2) - Q(a1) = 0, advantage fails, both
	 * form the compromise set (with any cluster within DQ = 1/2). */
	const double x[] = { 30, 5, 20, 10, 30, 5 };
	plugin_cohort_t *c = matrix(x, 3, 2, NULL);
	double out[3];
	const char *r[3];
	run("vikor", hand_p, c, out, r);
	assert_true(out[0] == out[2]);
	pt_assert_near(out[0], 1, PT_EPS);
	pt_assert_near(out[1], 0, PT_EPS);
	assert_string_equal(r[0], "VIKOR compromise set of 2: acceptable "
	                          "advantage fails (Q(a2) - Q(a1) = 0.0000 < "
	                          "1/(m-1) = 0.5000), acceptable stability "
	                          "holds");
	assert_ptr_equal(r[0], r[2]);
	assert_null(r[1]);
	plugin_cohort_destroy(c);
}

/* ---- COPRAS ---- */

static void test_copras_hand(void **st)
{
	(void)st;
	/* d = w x / column sum: c1 (sum 60): 1/12, 1/6, 1/4 = S+;
	 * c2 (sum 35): 1/14, 1/7, 2/7 = S-; sum S- = 1/2, sum 1/S- = 24.5.
	 * Q = S+ + (1/2) / (S- 24.5): 1/12 + 2/7 = 31/84, 1/6 + 1/7 = 26/84,
	 * 1/4 + 1/14 = 27/84; N = Q / max Q = 1, 26/31, 27/31. */
	plugin_cohort_t *c = matrix(hand, 4, 2, NULL);
	double out[4];
	const char *r[4];
	run("copras", hand_p, c, out, r);
	near_all(out, (const double[]){ 1, 26.0 / 31, 27.0 / 31 }, 3, PT_EPS);
	expect_missing(out, r);
	/* No cost criterion: Q = S+ = 1/12 + 1/14, 1/6 + 1/7, 1/4 + 2/7
	 * = 13/84, 26/84, 45/84 -> 13/45, 26/45, 1. */
	const char *b[] = { "indicators=c1,c2", NULL };
	run("copras", b, c, out, r);
	near_all(out, (const double[]){ 13.0 / 45, 26.0 / 45, 1 }, 3, PT_EPS);
	plugin_cohort_destroy(c);
}

static void test_copras_published(void **st)
{
	(void)st;
	/* Uysal & Inan, "Performance evaluation of research assistants by
	 * COPRAS method", Int. J. of Social Science and Economic Research
	 * (2022), as in scikit-criteria tests/agg/test_copras.py
	 * (test_COPRAS_Uysal2022assistants): seven criteria, the fifth a cost,
	 * equal weights; utility degrees 100, 78.8501, 63.3837, 98.6506,
	 * 86.8878 %. (pymcdm's COPRAS, whose second term reduces to S-,
	 * gives other values here.) */
	const double u[] = { 3.57, 4.00, 4.00, 83.75, 3, 9, 1,
	                     3.07, 3.95, 4.00, 83.00, 3, 1, 3,
	                     3.23, 3.54, 3.46, 66.00, 4, 0, 2,
	                     3.42, 3.96, 4.00, 70.00, 5, 5, 7,
	                     2.56, 3.37, 3.79, 82.00, 4, 4, 5 };
	plugin_cohort_t *c = matrix(u, 5, 7, NULL);
	double out[5];
	const char *p[] = { "indicators=c1,c2,c3,c4,c5,c6,c7",
	                    "directions=benefit,benefit,benefit,benefit,cost,"
	                    "benefit,benefit", NULL };
	run("copras", p, c, out, NULL);
	near_all(out, (const double[]){ 1, .788501, .633837, .986506,
	                                .868878 }, 5, 5e-7);
	plugin_cohort_destroy(c);
}

static void test_copras_data(void **st)
{
	(void)st;
	/* A benefit criterion 0 everywhere adds nothing; with no cost
	 * criterion every Q is then 0 and every cluster scores 1. */
	const double z[] = { 0, 2, 0, 4 };
	plugin_cohort_t *c = matrix(z, 2, 2, NULL);
	double out[2];
	const char *p[] = { "indicators=c1,c2", "directions=benefit,cost",
	                    NULL };
	run("copras", p, c, out, NULL);
	near_all(out, (const double[]){ 1, 0.5 }, 2, PT_EPS);
	const char *b1[] = { "indicators=c1", NULL };
	run("copras", b1, c, out, NULL);
	near_all(out, (const double[]){ 1, 1 }, 2, 0);
	plugin_cohort_destroy(c);

	const double neg[] = { 1, 2, -1, 4 };
	c = matrix(neg, 2, 2, NULL);
	expect_fail("copras", p, c, CD_EPLUGIN,
	            "cluster 'A2': 'c1' is -1; COPRAS needs benefit values >= 0");
	plugin_cohort_destroy(c);
	const double zc[] = { 1, 2, 3, 0 };
	c = matrix(zc, 2, 2, NULL);
	expect_fail("copras", p, c, CD_EPLUGIN,
	            "cluster 'A2': 'c2' is 0; COPRAS needs cost values > 0");
	plugin_cohort_destroy(c);
}

/* ---- WPM ---- */

static void test_wpm_hand(void **st)
{
	(void)st;
	/* c1 benefit 1, 2, 4: r = x / 7 = 1/7, 2/7, 4/7;
	 * c2 cost 2, 1, 4: 1/x = .5, 1, .25 (sum 1.75): r = 2/7, 4/7, 1/7;
	 * P = sqrt(r1 r2) = sqrt(2)/7, sqrt(8)/7, 2/7. */
	const double x[] = { 1, 2, 2, 1, 4, 4, 8, NAN };
	plugin_cohort_t *c = matrix(x, 4, 2, NULL);
	double out[4];
	const char *r[4];
	run("wpm", hand_p, c, out, r);
	near_all(out, (const double[]){ sqrt(2) / 7, sqrt(8) / 7, 2.0 / 7 }, 3,
	         PT_EPS);
	expect_missing(out, r);
	plugin_cohort_destroy(c);
}

static void test_wpm_published(void **st)
{
	(void)st;
	/* Triantaphyllou, "Multi-Criteria Decision Making Methods: A
	 * Comparative Study" (2000), ch. 2, the WPM example (also the
	 * Wikipedia "Weighted product model" example), as in scikit-criteria
	 * tests/agg/test_simple.py (test_WeightedProductModel_enwiki_1015567716):
	 * weights .20, .15, .40, .25, all benefit, sum-normalised;
	 * log10 P = -0.50128589, -0.50448471, -0.52947246; and the book's
	 * ratios R(A1/A2) = 1.007, R(A1/A3) = 1.067, R(A2/A3) = 1.059. */
	const double t[] = { 25, 20, 15, 30, 10, 30, 20, 30, 30, 10, 30, 10 };
	plugin_cohort_t *c = matrix(t, 3, 4, NULL);
	double out[5];
	const char *p[] = { "indicators=c1,c2,c3,c4", "weights=20,15,40,25",
	                    NULL };
	run("wpm", p, c, out, NULL);
	pt_assert_near(log10(out[0]), -0.50128589, 1e-8);
	pt_assert_near(log10(out[1]), -0.50448471, 1e-8);
	pt_assert_near(log10(out[2]), -0.52947246, 1e-8);
	pt_assert_near(out[0] / out[1], 1.007, 5e-4);
	pt_assert_near(out[0] / out[2], 1.067, 5e-4);
	pt_assert_near(out[1] / out[2], 1.059, 5e-4);
	plugin_cohort_destroy(c);

	/* pymcdm's WPM docstring (methods/wpm.py) and test/test_mcdm.py
	 * (TestWPM): benefit, benefit, cost, cost, weights 8/13, 5/13, 6/13,
	 * 7/13 (sum 2, taken as given there), P = .065, .017, .019, .007, .052.
	 * Here the weights sum to 1, so pymcdm's P is this P squared. */
	const double y[] = { 96, 83, 75, 7, 63, 5, 56, 9, 72, 30, 32, 48,
	                     11, 4, 27, 9, 77, 21, 17, 11 };
	c = matrix(y, 5, 4, NULL);
	const char *q[] = { "indicators=c1,c2,c3,c4", "weights=8,5,6,7",
	                    "directions=benefit,benefit,cost,cost", NULL };
	run("wpm", q, c, out, NULL);
	const double want[] = { .065, .017, .019, .007, .052 };
	for (size_t i = 0; i < 5; i++)
		pt_assert_near(out[i] * out[i], want[i], 5e-4);
	plugin_cohort_destroy(c);
}

static void test_wpm_data(void **st)
{
	(void)st;
	const double z[] = { 1, 2, 0, 4 };
	plugin_cohort_t *c = matrix(z, 2, 2, NULL);
	expect_fail("wpm", hand_p, c, CD_EPLUGIN,
	            "cluster 'A2': 'c1' is 0; WPM needs values > 0");
	plugin_cohort_destroy(c);
	const double n[] = { 1, -2, 3, 4 };
	c = matrix(n, 2, 2, NULL);
	expect_fail("wpm", hand_p, c, CD_EPLUGIN,
	            "cluster 'A1': 'c2' is -2; WPM needs values > 0");
	plugin_cohort_destroy(c);
	/* 1 / 5e-324 overflows: the sum of the inverses is +Inf and that
	 * cluster's ratio Inf/Inf. Refused, not scored NaN. */
	const double tiny[] = { 1, 5e-324, 2, 1 };
	c = matrix(tiny, 2, 2, NULL);
	expect_fail("wpm", hand_p, c, CD_EPLUGIN,
	            "method wpm: cluster 'A1' has no finite score");
	plugin_cohort_destroy(c);
}

/* ---- SPOTIS ---- */

static void test_spotis_hand(void **st)
{
	(void)st;
	/* Bounds from the data: c1 10..30 (ideal 30), c2 5..20 (ideal 5).
	 * d = .5 |x - 30|/20 + .5 |y - 5|/15: .5, .25 + 1/6, .5;
	 * score = 1 - d: .5, 7/12, .5. */
	plugin_cohort_t *c = matrix(hand, 4, 2, NULL);
	double out[5];
	const char *r[5];
	run("spotis", hand_p, c, out, r);
	near_all(out, (const double[]){ .5, 7.0 / 12, .5 }, 3, PT_EPS);
	expect_missing(out, r);
	plugin_cohort_destroy(c);

	/* Bounds 0:40, 0:25 (ideal 40 and 0): d = .5 |x - 40|/40 + .5 y/25:
	 * .375 + .1, .25 + .2, .125 + .4 -> .525, .55, .475. Fixed bounds
	 * make a cluster's score its own: adding A5 changes no other. */
	const double more[] = { 10, 5, 20, 10, 30, 20, 40, NAN, 40, 0 };
	const char *b[] = { "indicators=c1,c2", "directions=benefit,cost",
	                    "bounds=0:40, 0:25", NULL };
	for (size_t m = 4; m <= 5; m++) {
		c = matrix(more, m, 2, NULL);
		run("spotis", b, c, out, r);
		near_all(out, (const double[]){ .525, .55, .475 }, 3, PT_EPS);
		if (m == 5)
			pt_assert_near(out[4], 1, PT_EPS);
		plugin_cohort_destroy(c);
	}
}

static void test_spotis_published(void **st)
{
	(void)st;
	/* Dezert, Tchamova, Han & Tacnet, "The SPOTIS rank reversal free
	 * method for multi-criteria decision-making support", FUSION 2020,
	 * the example with bounds [-5, 12], [-6, 10], [-8, 5], as in pymcdm
	 * test/test_mcdm.py (TestSPOTIS) and its SPOTIS docstring: c2 cost,
	 * weights .2, .3, .5; d = .1989, .3705, .3063, .7491 (4 places;
	 * scikit-criteria's tests/agg/test_spotis.py has .3707 for A2 with a
	 * 1e-3 tolerance; the arithmetic gives .37051). score = 1 - d. */
	const double x[] = { 10.5, -3.1, 1.7, -4.7, 0, 3.4, 8.1, 0.3, 1.3,
	                     3.2, 7.3, -5.3 };
	plugin_cohort_t *c = matrix(x, 4, 3, NULL);
	double out[4];
	const char *p[] = { "indicators=c1,c2,c3", "weights=.2,.3,.5",
	                    "directions=benefit,cost,benefit",
	                    "bounds=-5:12,-6:10,-8:5", NULL };
	run("spotis", p, c, out, NULL);
	near_all(out, (const double[]){ 1 - .1989, 1 - .3705, 1 - .3063,
	                                1 - .7491 }, 4, 5e-5);
	plugin_cohort_destroy(c);
}

static void test_spotis_bounds(void **st)
{
	(void)st;
	plugin_cohort_t *c = matrix(hand, 4, 2, NULL);
	const char *outside[] = { "indicators=c1,c2", "bounds=0:25,0:25",
	                          NULL };
	expect_fail("spotis", outside, c, CD_EPLUGIN,
	            "cluster 'A3': 'c1' is 30, outside its bounds 0:25");
	plugin_cohort_destroy(c);
	c = matrix(hand, 1, 2, NULL);
	static const char *const bad[][2] = {
		{ "bounds=0:1", "param 'bounds' has 1 items, expected 2" },
		{ "bounds=0:1,5", "param 'bounds': item '5' is not min:max" },
		{ "bounds=0:1,5:", "param 'bounds': item '5:' is not min:max" },
		{ "bounds=0:1,a:b", "param 'bounds': item 'a:b' is not min:max" },
		{ "bounds=0:1,1:2x", "param 'bounds': item '1:2x' is not" },
		{ "bounds=0:1,0:inf", "param 'bounds': item '0:inf' is not" },
		{ "bounds=0:1,1:1e999", "param 'bounds': item '1:1e999' is not" },
		{ "bounds=0:1,3:1", "param 'bounds': item '3:1' has min >= max" },
		{ "bounds=0:1,2:2", "param 'bounds': item '2:2' has min >= max" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		const char *p[] = { "indicators=c1,c2", bad[i][0], NULL };
		expect_fail("spotis", p, c, CD_EV_DEFINITION, bad[i][1]);
	}
	plugin_cohort_destroy(c);
}

/* ---- MABAC ---- */

static void test_mabac_hand(void **st)
{
	(void)st;
	/* c1 benefit: n = (x - 10)/20 = 0, .5, 1; v = .5 (n + 1) = .5, .75, 1;
	 * g1 = (.5 .75 1)^(1/3) = cbrt(.375).
	 * c2 cost: n = (20 - y)/15 = 1, 2/3, 0; v = 1, 5/6, .5;
	 * g2 = cbrt(5/12).
	 * S = v1 + v2 - g1 - g2: 1.5 - g, (.75 + 5/6) - g, 1.5 - g. */
	plugin_cohort_t *c = matrix(hand, 4, 2, NULL);
	double out[4];
	const char *r[4];
	run("mabac", hand_p, c, out, r);
	double g = cbrt(0.375) + cbrt(5.0 / 12);
	near_all(out, (const double[]){ 1.5 - g, 0.75 + 5.0 / 6 - g, 1.5 - g },
	         3, 1e-12);
	expect_missing(out, r);
	plugin_cohort_destroy(c);
}

static void test_mabac_published(void **st)
{
	(void)st;
	/* Pamucar & Cirovic, Expert Systems with Applications 42(6) (2015),
	 * the forklift example, as in pymcdm test/test_mcdm.py (TestMABAC) and
	 * scikit-criteria tests/agg/test_mabac.py (test_MABAC_dragan_2014):
	 * S = .0826, .2183, -.0488, .0246, -.0704, .0465, .0464 (4 places),
	 * ranking A2 > A1 > A6 > A7 > A4 > A3 > A5. */
	const double f[] = {
		22600, 3800, 2, 5, 1.06, 3.00, 3.5, 2.8, 24.5, 6.5,
		19500, 4200, 3, 2, 0.95, 3.00, 3.4, 2.2, 24, 7.0,
		21700, 4000, 1, 3, 1.25, 3.20, 3.3, 2.5, 24.5, 7.3,
		20600, 3800, 2, 5, 1.05, 3.25, 3.2, 2.0, 22.5, 11.0,
		22500, 3800, 4, 3, 1.35, 3.20, 3.7, 2.1, 23, 6.3,
		23250, 4210, 3, 5, 1.45, 3.60, 3.5, 2.8, 23.5, 7.0,
		20300, 3850, 2, 5, 0.90, 3.25, 3.0, 2.6, 21.5, 6.0,
	};
	plugin_cohort_t *c = matrix(f, 7, 10, NULL);
	double out[7];
	const char *p[] = { "indicators=c1,c2,c3,c4,c5,c6,c7,c8,c9,c10",
	                    "weights=.146,.144,.119,.121,.115,.101,.088,.068,"
	                    ".050,.048",
	                    "directions=cost,benefit,benefit,benefit,cost,cost,"
	                    "benefit,benefit,benefit,benefit", NULL };
	run("mabac", p, c, out, NULL);
	near_all(out, (const double[]){ .0826, .2183, -.0488, .0246, -.0704,
	                                .0465, .0464 }, 7, 5e-5);
	plugin_cohort_destroy(c);
}

static void test_mabac_extreme(void **st)
{
	(void)st;
	/* max - min overflows to +Inf: refused rather than scored NaN. */
	const double x[] = { 1e308, -1e308 };
	plugin_cohort_t *c = matrix(x, 2, 1, NULL);
	const char *p[] = { "indicators=c1", NULL };
	expect_fail("mabac", p, c, CD_EPLUGIN,
	            "method mabac: cluster 'A1' has no finite score");
	plugin_cohort_destroy(c);
}

/* ---- EDAS ---- */

static void test_edas_hand(void **st)
{
	(void)st;
	/* c1 benefit 10, 20, 30 (AV 20): PDA 0, 0, .5; NDA .5, 0, 0.
	 * c2 cost 5, 10, 45 (AV 20): PDA (20 - y)/20 = .75, .5, 0;
	 * NDA 0, 0, 1.25.
	 * SP = .5 PDA sums: .375, .25, .25; SN: .25, 0, .625.
	 * NSP = SP/.375: 1, 2/3, 2/3; NSN = 1 - SN/.625: .6, 1, 0.
	 * AS = (NSP + NSN)/2: .8, 5/6, 1/3. */
	const double x[] = { 10, 5, 20, 10, 30, 45, 40, NAN };
	plugin_cohort_t *c = matrix(x, 4, 2, NULL);
	double out[4];
	const char *r[4];
	run("edas", hand_p, c, out, r);
	near_all(out, (const double[]){ .8, 5.0 / 6, 1.0 / 3 }, 3, PT_EPS);
	expect_missing(out, r);
	plugin_cohort_destroy(c);
}

static void test_edas_published(void **st)
{
	(void)st;
	/* Yazdani, Torkayesh, Santibanez-Gonzalez & Otaghsara, "Evaluation of
	 * renewable energy resources using integrated Shannon Entropy-EDAS
	 * model", Sustainable Operations and Computers 1 (2020), as in pymcdm
	 * test/test_mcdm.py (TestEDAS) and its EDAS docstring:
	 * AS = .841, .632, .883, .457, .104 (3 places). */
	const double y[] = {
		3873, 39.55, 0.27, 0.87, 150, 0.07, 12, 2130,
		5067, 67.26, 0.23, 0.23, 40, 0.02, 21, 2200,
		2213, 24.69, 0.08, 0.17, 200, 0.04, 35, 570,
		6243, 132, 0.07, 0.25, 100, 0.04, 16, 100,
		8312, 460.47, 0.05, 0.21, 25, 0.1, 25, 200,
	};
	plugin_cohort_t *c = matrix(y, 5, 8, NULL);
	double out[6];
	const char *p[] = { "indicators=c1,c2,c3,c4,c5,c6,c7,c8",
	                    "weights=.131,.113,.126,.125,.126,.129,.132,.117",
	                    "directions=cost,cost,cost,benefit,benefit,cost,"
	                    "benefit,benefit", NULL };
	run("edas", p, c, out, NULL);
	near_all(out, (const double[]){ .841, .632, .883, .457, .104 }, 5,
	         5e-4);
	plugin_cohort_destroy(c);

	/* Ersoy, "Equipment selection for an e-commerce company using
	 * entropy-based TOPSIS, EDAS and CODAS methods during the COVID-19",
	 * LogForum 17(3) (2021), as in scikit-criteria tests/agg/test_edas.py
	 * (test_edas_notebook_selection): AS = .414, .130, .461, .212, .944,
	 * .043. c2 has one value off the rest, c1 too. */
	const double e[] = {
		256, 8, 41, 1.6, 1.77, 7347.16,
		256, 8, 32, 1.0, 1.8, 6919.99,
		256, 8, 53, 1.6, 1.9, 8400,
		256, 8, 41, 1.0, 1.75, 6808.9,
		512, 8, 35, 1.6, 1.7, 8479.99,
		256, 4, 35, 1.6, 1.7, 7499.99,
	};
	c = matrix(e, 6, 6, NULL);
	const char *q[] = { "indicators=c1,c2,c3,c4,c5,c6",
	                    "weights=.405,.221,.134,.199,.007,.034",
	                    "directions=benefit,benefit,benefit,benefit,cost,"
	                    "cost", NULL };
	run("edas", q, c, out, NULL);
	near_all(out, (const double[]){ .414, .130, .461, .212, .944, .043 }, 6,
	         5e-4);
	plugin_cohort_destroy(c);
}

static void test_edas_data(void **st)
{
	(void)st;
	/* c1 all 0: no spread, no distance, whatever its average. */
	const double z[] = { 0, 1, 0, 3 };
	plugin_cohort_t *c = matrix(z, 2, 2, NULL);
	double out[2];
	const char *p[] = { "indicators=c1,c2", NULL };
	run("edas", p, c, out, NULL);
	/* c2 1, 3 (AV 2): A1 NDA .5, A2 PDA .5 -> AS 0, 1. */
	near_all(out, (const double[]){ 0, 1 }, 2, PT_EPS);
	plugin_cohort_destroy(c);
	const double n[] = { -1, 1, 1, 3 };
	c = matrix(n, 2, 2, NULL);
	expect_fail("edas", p, c, CD_EPLUGIN, "'c1' has average 0; EDAS "
	            "measures distances relative to the average, which must "
	            "be > 0");
	plugin_cohort_destroy(c);
}

/* ---- Objective weights ---- */

/* The run note "weights" of the last score, or NULL. */
static const char *weights_note(void)
{
	size_t n;
	const plugin_note_t *v = plugin_instance_notes(env.inst, &n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].key, "weights") == 0)
			return v[i].value;
	return NULL;
}

/* Every method with weights=<wm> scores as with the weights w given as
 * numbers, and notes `note`; numbers note nothing. */
static void same_as_numbers(const plugin_cohort_t *c, size_t n,
                            const char *wm, const double *w,
                            const char *note)
{
	char wp[64], nums[256];
	snprintf(wp, sizeof(wp), "weights=%s", wm);
	snprintf(nums, sizeof(nums), "weights=%.17g,%.17g,%.17g", w[0], w[1],
	         w[2]);
	const char *pm[] = { "indicators=c1,c2,c3", wp,
	                     "directions=benefit,cost,benefit", NULL };
	const char *pn[] = { "indicators=c1,c2,c3", nums,
	                     "directions=benefit,cost,benefit", NULL };
	for (size_t mi = 0; mi < NMETHODS; mi++) {
		double om[8], on[8];
		const char *rm[8], *rn[8];
		run(methods[mi], pm, c, om, rm);
		const char *got = weights_note();
		if (!got || strcmp(got, note))
			fail_msg("%s: note '%s', expected '%s'", methods[mi],
			         got ? got : "(none)", note);
		for (size_t i = 0; i < n; i++)
			if (isnan(om[i]))
				assert_string_equal(rm[i], "no 'c2' in any year");
		run(methods[mi], pn, c, on, rn);
		assert_null(weights_note());
		for (size_t i = 0; i < n; i++) {
			if (isnan(on[i])) {
				assert_true(isnan(om[i]));
				/* rm[] died with the instance: the reasons agree */
				assert_string_equal(rn[i], "no 'c2' in any year");
				continue;
			}
			if (fabs(om[i] - on[i]) > 1e-12)
				fail_msg("%s: cluster %zu: %.17g, %.17g with numbers",
				         methods[mi], i, om[i], on[i]);
		}
	}
}

static void test_objective_weights(void **st)
{
	(void)st;
	/* c1 benefit 10, 20, 30; c2 cost 5, 10, 20; c3 benefit 1, 3, 2. A4
	 * lacks c2: its c1 = 40 and c3 = 9 enter neither the weights nor the
	 * methods' statistics.
	 * entropy (sum normalisation, direction aside): c1 p = 1/6, 1/3, 1/2;
	 * c2 p = 1/7, 2/7, 4/7; c3 p = 1/6, 1/2, 1/3 (c1's, reordered);
	 * e_j = -sum p ln p / ln 3, w_j = (1 - e_j) / sum (1 - e):
	 * .2748, .4504, .2748. */
	const double x[] = { 10, 5, 1, 20, 10, 3, 30, 20, 2, 40, NAN, 9 };
	plugin_cohort_t *c = matrix(x, 4, 3, NULL);
	const double p1[] = { 1.0 / 6, 1.0 / 3, 0.5 };
	const double p2[] = { 1.0 / 7, 2.0 / 7, 4.0 / 7 };
	double h1 = 0, h2 = 0;
	for (int i = 0; i < 3; i++) {
		h1 -= p1[i] * log(p1[i]);
		h2 -= p2[i] * log(p2[i]);
	}
	double d1 = 1 - h1 / log(3), d2 = 1 - h2 / log(3);
	double we[] = { d1 / (2 * d1 + d2), d2 / (2 * d1 + d2),
	                d1 / (2 * d1 + d2) };
	same_as_numbers(c, 4, "entropy", we,
	                "entropy: c1 0.2748, c2 0.4504, c3 0.2748");
	/* critic: r1 = 0, .5, 1; r2 = (20 - y)/15 = 1, 2/3, 0 (cost);
	 * r3 = 0, 1, .5. sd (n - 1) = .5, sqrt(21)/9, .5. Centred cross
	 * products over the sums of squares (.5, 42/81, .5):
	 * rho12 = -.5 / sqrt(.5 * 42/81) = -4.5/sqrt 21,
	 * rho13 = .25 / .5 = .5, rho23 = (-1/6) / (sqrt 21 / 9) =
	 * -1.5/sqrt 21. C1 = .5 (1.5 + 4.5/sqrt 21),
	 * C2 = (sqrt 21 / 9)(2 + 6/sqrt 21), C3 = .5 (1.5 + 1.5/sqrt 21):
	 * .3232, .4388, .2380. */
	double r = sqrt(21);
	double cc[] = { 0.5 * (1.5 + 4.5 / r), r / 9 * (2 + 6 / r),
	                0.5 * (1.5 + 1.5 / r) };
	double cs = cc[0] + cc[1] + cc[2];
	double wc[] = { cc[0] / cs, cc[1] / cs, cc[2] / cs };
	same_as_numbers(c, 4, "critic", wc,
	                "critic: c1 0.3232, c2 0.4388, c3 0.2380");
	/* stddev: sd of r alone, .5, sqrt(21)/9, .5. */
	double ss = 1 + r / 9;
	double ws[] = { 0.5 / ss, r / 9 / ss, 0.5 / ss };
	same_as_numbers(c, 4, "stddev", ws,
	                "stddev: c1 0.3313, c2 0.3374, c3 0.3313");
	double wq[] = { 1.0 / 3, 1.0 / 3, 1.0 / 3 };
	same_as_numbers(c, 4, "equal", wq,
	                "equal: c1 0.3333, c2 0.3333, c3 0.3333");
	plugin_cohort_destroy(c);

	/* The weights differ from equal, and so do the scores: the weights
	 * were applied, not only recorded (VIKOR A2: 1 - Q moves). */
	c = matrix(x, 4, 3, NULL);
	const char *pe[] = { "indicators=c1,c2,c3", "weights=entropy",
	                     "directions=benefit,cost,benefit", NULL };
	const char *pq[] = { "indicators=c1,c2,c3",
	                     "directions=benefit,cost,benefit", NULL };
	double oe[4], oq[4];
	run("spotis", pe, c, oe, NULL);
	run("spotis", pq, c, oq, NULL);
	assert_true(fabs(oe[0] - oq[0]) > 1e-3);
	plugin_cohort_destroy(c);

	/* Entropy over a negative value fails, naming the cluster: A4, the
	 * third complete row, behind A1, which lacks c2 (the row's cluster,
	 * not the row's number, which would name A3). The weights come
	 * before the method, so every method says so. CRITIC takes it (but
	 * COPRAS and WPM then refuse the value themselves). */
	const double neg[] = { 1, NAN, 2, 2, 1, 3, 5, 3, 4, 3, -2, 1 };
	c = matrix(neg, 4, 3, NULL);
	const char *pn[] = { "indicators=c1,c2,c3", "weights=entropy", NULL };
	const char *pc[] = { "indicators=c1,c2,c3", "weights=critic", NULL };
	for (size_t mi = 0; mi < NMETHODS; mi++) {
		expect_fail(methods[mi], pn, c, CD_EPLUGIN,
		            "weights=entropy needs values >= 0: 'c2' is -2 for "
		            "cluster 'A4'");
		assert_non_null(strstr(env.err, "(CP_EDATA, code 2)"));
		if (mi == 1 || mi == 2)
			continue;
		double out[4];
		run(methods[mi], pc, c, out, NULL);
		assert_non_null(weights_note());
		assert_true(isnan(out[0]) && !isnan(out[3]));
	}
	plugin_cohort_destroy(c);

	/* A word that is no method is refused at init, for every method. */
	c = matrix(hand, 1, 2, NULL);
	const char *typo[] = { "indicators=c1,c2", "weights=entropi", NULL };
	const char *one[] = { "indicators=c1", "weights=Entropy", NULL };
	for (size_t mi = 0; mi < NMETHODS; mi++) {
		expect_fail(methods[mi], typo, c, CD_EV_DEFINITION,
		            "param 'weights': 'entropi' is neither a number nor "
		            "one of equal, entropy, critic, stddev");
		expect_fail(methods[mi], one, c, CD_EV_DEFINITION,
		            "param 'weights': 'Entropy' is neither a number nor "
		            "one of equal, entropy, critic, stddev");
	}
	plugin_cohort_destroy(c);
}

/* ---- Every method ---- */

static void test_ties_and_order(void **st)
{
	(void)st;
	/* A1 and A3 alike: bit-for-bit the same score with every method; and
	 * the cohort's order changes no cluster's score. */
	const double x[] = { 10, 5, 20, 10, 10, 5, 30, 20 };
	const double rev[] = { 30, 20, 10, 5, 20, 10, 10, 5 };
	const char *const ids[] = { "A1", "A2", "A3", "A4" };
	const char *const rids[] = { "A4", "A3", "A2", "A1" };
	plugin_cohort_t *c = matrix(x, 4, 2, ids);
	plugin_cohort_t *rc = matrix(rev, 4, 2, rids);
	for (size_t mi = 0; mi < NMETHODS; mi++) {
		double out[4], rout[4];
		run(methods[mi], hand_p, c, out, NULL);
		run(methods[mi], hand_p, rc, rout, NULL);
		if (out[0] != out[2])
			fail_msg("%s: %.17g != %.17g", methods[mi], out[0], out[2]);
		for (size_t i = 0; i < 4; i++)
			pt_assert_near(out[i], rout[3 - i], 1e-12);
	}
	plugin_cohort_destroy(c);
	plugin_cohort_destroy(rc);
}

static void test_degenerate(void **st)
{
	(void)st;
	/* The documented scores of one cluster alone and of three alike:
	 * VIKOR 1, COPRAS 1, WPM 1 (alone) and 1/m (alike), SPOTIS 1 (bounds
	 * from the data), MABAC 0, EDAS .5. */
	static const double alone[] = { 1, 1, 1, 1, 0, .5 };
	const double one[] = { 10, 5 }, three[] = { 10, 5, 10, 5, 10, 5 };
	plugin_cohort_t *c1 = matrix(one, 1, 2, NULL);
	plugin_cohort_t *c3 = matrix(three, 3, 2, NULL);
	for (size_t mi = 0; mi < NMETHODS; mi++) {
		double out[3];
		const char *r[3];
		run(methods[mi], hand_p, c1, out, r);
		pt_assert_near(out[0], alone[mi], PT_EPS);
		run(methods[mi], hand_p, c3, out, r);
		for (size_t i = 0; i < 3; i++)
			pt_assert_near(out[i], mi == 2 ? 1.0 / 3 : alone[mi], PT_EPS);
	}
	double out[3];
	const char *r[3];
	run("vikor", hand_p, c1, out, r);
	assert_string_equal(r[0], "VIKOR compromise: the only cluster scored");
	run("vikor", hand_p, c3, out, r);
	assert_non_null(strstr(r[0], "VIKOR compromise set of 3: acceptable "
	                             "advantage fails"));
	plugin_cohort_destroy(c1);
	plugin_cohort_destroy(c3);

	/* A criterion without spread next to one with: it adds nothing (VIKOR
	 * d = 0, SPOTIS d = 0, MABAC q = 0, EDAS no distance), so c2 alone
	 * decides; COPRAS and WPM keep it in their proportions, where it
	 * scales every cluster alike. */
	const double flat[] = { 1, 7, 2, 7, 4, 7 };
	plugin_cohort_t *cf = matrix(flat, 3, 2, NULL);
	const char *p2[] = { "indicators=c1,c2", NULL };
	const char *p1[] = { "indicators=c1", NULL };
	for (size_t mi = 0; mi < NMETHODS; mi++) {
		double both[3], only[3];
		run(methods[mi], p2, cf, both, NULL);
		run(methods[mi], p1, cf, only, NULL);
		for (size_t i = 0; i < 3; i++) {
			if (mi == 1 || mi == 2)  /* ranking kept, not the values */
				assert_true((both[i] < both[(i + 1) % 3]) ==
				            (only[i] < only[(i + 1) % 3]));
			else if (mi == 4)        /* MABAC: half weight on c1 */
				pt_assert_near(both[i], only[i] / 2, 1e-12);
			else if (mi == 0 || mi == 5)
				pt_assert_near(both[i], only[i], 1e-12);
			else                     /* SPOTIS: d halves */
				pt_assert_near(1 - both[i], (1 - only[i]) / 2, 1e-12);
		}
	}
	plugin_cohort_destroy(cf);
}

static void test_bad_params(void **st)
{
	(void)st;
	plugin_cohort_t *c = matrix(hand, 1, 2, NULL);
	double out[1];
	const char *none[] = { "indicators=c1", NULL };
	assert_int_equal(pt_score(&env, "mcda", none, c, out, NULL),
	                 CD_EV_DEFINITION);
	assert_non_null(strstr(env.err, "missing required param 'method'"));
	const char *ahp[] = { "method=ahp", "indicators=c1", NULL };
	assert_int_equal(pt_score(&env, "mcda", ahp, c, out, NULL),
	                 CD_EV_DEFINITION);
	assert_non_null(strstr(env.err, "param 'method': 'ahp' is not one of "
	                                "the choices"));

	static const char *const common[][3] = {
		{ NULL, NULL, "missing required param 'indicators'" },
		{ "indicators=", NULL, "param 'indicators' needs 1..64 items" },
		{ "indicators=c1,c1", NULL, "param 'indicators' repeats 'c1'" },
		{ "indicators=c1,c2", "weights=1",
		  "param 'weights' has 1 items, expected 2" },
		{ "indicators=c1,c2", "weights=1,-1",
		  "param 'weights': weight -1 of 'c2' is negative" },
		{ "indicators=c1,c2", "weights=0,0", "param 'weights' sum to 0" },
		{ "indicators=c1,c2", "weights=1,x",
		  "param 'weights': item 'x' is not a finite number" },
		{ "indicators=c1,c2", "directions=cost",
		  "param 'directions' has 1 items, expected 2" },
		{ "indicators=c1,c2", "directions=cost,up",
		  "param 'directions': 'up' is neither benefit nor cost" },
		{ "indicators=c1", "year=1999x", "param 'year'" },
		{ "indicators=c1", "from=2020", "param 'to' is required with "
		  "'from'" },
		{ "indicators=c1", "q=1", "unknown param 'q'" },
	};
	for (size_t mi = 0; mi < NMETHODS; mi++) {
		for (size_t i = 0; i < sizeof(common) / sizeof(*common); i++) {
			const char *p[] = { common[i][0], common[i][1], NULL };
			expect_fail(methods[mi], p[0] ? p : NULL, c, CD_EV_DEFINITION,
			            common[i][2]);
		}
		char want[128];
		const char *v[] = { "indicators=c1", "v=0.3", NULL };
		snprintf(want, sizeof(want), "param 'v' applies to method vikor "
		         "only, not to %s", methods[mi]);
		if (mi != 0)
			expect_fail(methods[mi], v, c, CD_EV_DEFINITION, want);
		const char *b[] = { "indicators=c1", "bounds=0:1", NULL };
		snprintf(want, sizeof(want), "param 'bounds' applies to method "
		         "spotis only, not to %s", methods[mi]);
		if (mi != 3)
			expect_fail(methods[mi], b, c, CD_EV_DEFINITION, want);
	}
	const char *v15[] = { "indicators=c1", "v=1.5", NULL };
	expect_fail("vikor", v15, c, CD_EV_DEFINITION,
	            "param 'v' must be a number in 0..1, not '1.5'");
	const char *vneg[] = { "indicators=c1", "v=-0.1", NULL };
	expect_fail("vikor", vneg, c, CD_EV_DEFINITION,
	            "param 'v' must be a number in 0..1, not '-0.1'");
	const char *vnan[] = { "indicators=c1", "v=often", NULL };
	expect_fail("vikor", vnan, c, CD_EV_DEFINITION, "param 'v'");
	plugin_cohort_destroy(c);
}

/* Allocation failures: the plugin is driven through its descriptor with a
 * host whose alloc fails after `budget` calls. Every failure must come
 * back as CP_ENOMEM, "out of memory", with nothing left allocated. */
static void *(*real_alloc)(const cp_host_t *, size_t);
static void (*real_free)(const cp_host_t *, void *);
static long budget, live;

static void *oom_alloc(const cp_host_t *h, size_t size)
{
	if (budget-- <= 0)
		return NULL;
	void *p = real_alloc(h, size);
	live += p != NULL;
	return p;
}

static void oom_free(const cp_host_t *h, void *p)
{
	live -= p != NULL;
	real_free(h, p);
}

static void test_out_of_memory(void **st)
{
	(void)st;
	plugin_generation_t *g = plugin_registry_acquire(env.reg);
	const plugin_loaded_t *pl = NULL;
	for (size_t i = 0; i < g->n; i++)
		if (strcmp(g->p[i].info.name, "mcda") == 0)
			pl = &g->p[i];
	assert_non_null(pl);
	assert_non_null(pl->desc);
	plugin_host_ctx_t ctx = { .plugin_name = "mcda" };
	cp_host_t h;
	plugin_host_setup(&h, &ctx);
	real_alloc = h.alloc;
	real_free = h.free;
	h.alloc = oom_alloc;
	h.free = oom_free;
	plugin_cohort_t *c = matrix(hand, 4, 2, NULL);
	/* Each method with weights as numbers, then with weights=critic,
	 * whose copy of the state is one allocation more. */
	for (size_t t = 0; t < 2 * NMETHODS; t++) {
		size_t mi = t % NMETHODS, nkv = t < NMETHODS ? 3 : 4;
		plugin_kv_t kv[] = { { "method", methods[mi] },
		                     { "indicators", "c1,c2" },
		                     { "directions", "benefit,cost" },
		                     { "weights", "critic" } };
		plugin_params_t *params;
		char e[512];
		assert_int_equal(plugin_params_build(&params, pl->info.params,
		                                     pl->info.nparams, kv, nkv,
		                                     NULL, e, sizeof(e)), CD_OK);
		long n = 0;
		for (;; n++) {
			budget = n;
			live = 0;
			void *state = NULL;
			int rc = pl->desc->init(&h, params, &state, e, sizeof(e));
			if (rc == CP_OK) {
				double out[4];
				const char *r[4] = { NULL };
				ctx.scoring = 1;
				rc = pl->desc->score(&h, state, c, out, r, 4, e, sizeof(e));
				ctx.scoring = 0;
				pl->desc->fini(&h, state);
				plugin_host_scratch_reset(&ctx);
				plugin_host_notes_reset(&ctx);
			}
			assert_int_equal(live, 0);
			if (rc == CP_OK)
				break;
			assert_int_equal(rc, CP_ENOMEM);
			assert_string_equal(e, "out of memory");
		}
		/* the state, then the score's block (and the state's copy) */
		assert_int_equal(n, nkv == 3 ? 2 : 3);
		plugin_params_destroy(params);
	}
	plugin_cohort_destroy(c);
	plugin_generation_release(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vikor_hand),
		cmocka_unit_test(test_vikor_stability_fails),
		cmocka_unit_test(test_vikor_published),
		cmocka_unit_test(test_vikor_ties),
		cmocka_unit_test(test_copras_hand),
		cmocka_unit_test(test_copras_published),
		cmocka_unit_test(test_copras_data),
		cmocka_unit_test(test_wpm_hand),
		cmocka_unit_test(test_wpm_published),
		cmocka_unit_test(test_wpm_data),
		cmocka_unit_test(test_spotis_hand),
		cmocka_unit_test(test_spotis_published),
		cmocka_unit_test(test_spotis_bounds),
		cmocka_unit_test(test_mabac_hand),
		cmocka_unit_test(test_mabac_published),
		cmocka_unit_test(test_mabac_extreme),
		cmocka_unit_test(test_edas_hand),
		cmocka_unit_test(test_edas_published),
		cmocka_unit_test(test_edas_data),
		cmocka_unit_test(test_objective_weights),
		cmocka_unit_test(test_ties_and_order),
		cmocka_unit_test(test_degenerate),
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_out_of_memory),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
