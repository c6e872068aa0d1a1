/* promethee: each preference function by hand, benefit and cost, a
 * published example, missing values, ties, objective weights (the
 * refusals are test_promethee_refuse.c). The sorted form
 * against the pairwise one on random data is test_promethee_random.c. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cd_error.h"
#include "pm_ref.h"
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
	if (pt_score(&env, "promethee", params, c, out, reasons))
		fail_msg("%s", env.err);
}

/* Clusters k0.. with x and y (NaN: absent). */
static plugin_cohort_t *xy(const double *x, const double *y, size_t n)
{
	plugin_cohort_t *c = pt_cohort();
	char id[32];
	for (size_t i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "k%zu", i);
		pt_cluster(c, id);
		if (!isnan(x[i]))
			pt_ind(c, "x", 2022, x[i]);
		if (y && !isnan(y[i]))
			pt_ind(c, "y", 2022, y[i]);
	}
	pt_seal(c);
	return c;
}

/* x = 1, 2, 4, 7 (k4 has no y and so no score, and is compared with
 * nobody). d = x_a - x_b, row a:
 *   k0: -1 -3 -6    k1: +1 -2 -5    k2: +3 +2 -3    k3: +6 +5 +3
 * phi = (S+ - S-)/3, S+ = sum of P(d) over the row, S- = sum of P(-d). */
static const double hand_x[] = { 1, 2, 4, 7, 100 };
static const double hand_y[] = { 3, 1, 1, 2, NAN };

static void check_hand(const char *const *p, const double *want)
{
	plugin_cohort_t *c = xy(hand_x, hand_y, 5);
	double out[5];
	const char *r[5];
	run(p, c, out, r);
	for (int i = 0; i < 4; i++)
		pt_assert_near(out[i], want[i], PT_EPS);
	assert_true(isnan(out[4]));
	assert_string_equal(r[4], "no 'y' in any year");
	plugin_cohort_destroy(c);
}

static void test_usual(void **st)
{
	(void)st;
	/* S+ = values below, S- = values above: 0-3, 1-2, 2-1, 3-0. y is
	 * read (a cluster needs every indicator) with weight 0. */
	const char *p[] = { "indicators=x,y", "weights=1,0", NULL };
	const double want[] = { -1, -1.0 / 3, 1.0 / 3, 1 };
	check_hand(p, want);
	const char *u[] = { "indicators=x,y", "weights=1,0",
	                    "preference=usual,usual", NULL };
	check_hand(u, want);
}

static void test_ushape(void **st)
{
	(void)st;
	/* q = 2, P = 1 if d > 2 (d = 2 counts 0):
	 * k0: S+ 0, S- (3, 6) 2 -> -2/3     k1: S+ 0, S- (5) 1 -> -1/3
	 * k2: S+ (3) 1, S- (3) 1 -> 0       k3: S+ 3, S- 0 -> 1 */
	const char *p[] = { "indicators=x,y", "weights=1,0",
	                    "preference=ushape,usual", "q=2,-", NULL };
	const double want[] = { -2.0 / 3, -1.0 / 3, 0, 1 };
	check_hand(p, want);
}

static void test_vshape(void **st)
{
	(void)st;
	/* p = 4, P = d/4 up to 4, then 1:
	 * k0: S+ 0, S- .25 + .75 + 1 = 2 -> -2/3
	 * k1: S+ .25, S- .5 + 1 = 1.5 -> -1.25/3
	 * k2: S+ .75 + .5 = 1.25, S- .75 -> .5/3
	 * k3: S+ 1 + 1 + .75 = 2.75, S- 0 -> 2.75/3 */
	const char *p[] = { "indicators=x,y", "weights=1,0",
	                    "preference=vshape,usual", "p=4,-", NULL };
	const double want[] = { -2.0 / 3, -1.25 / 3, 0.5 / 3, 2.75 / 3 };
	check_hand(p, want);
}

static void test_level(void **st)
{
	(void)st;
	/* q = 1, p = 3: 0 up to 1 (d = 1 is 0), 1/2 up to 3 (d = 3 is 1/2),
	 * then 1:
	 * k0: S+ 0, S- 0 + .5 + 1 = 1.5 -> -.5
	 * k1: S+ 0, S- .5 + 1 = 1.5 -> -.5
	 * k2: S+ .5 + .5 = 1, S- .5 -> .5/3
	 * k3: S+ 1 + 1 + .5 = 2.5, S- 0 -> 2.5/3 */
	const char *p[] = { "indicators=x,y", "weights=1,0",
	                    "preference=level,usual", "q=1,-", "p=3,-", NULL };
	const double want[] = { -0.5, -0.5, 0.5 / 3, 2.5 / 3 };
	check_hand(p, want);
}

static void test_linear(void **st)
{
	(void)st;
	/* q = 1, p = 5: (d - 1)/4 between them (d = 5 is 1), 1 above:
	 * k0: S+ 0, S- 0 + .5 + 1 = 1.5 -> -.5
	 * k1: S+ 0, S- .25 + 1 = 1.25 -> -1.25/3
	 * k2: S+ .5 + .25 = .75, S- .5 -> .25/3
	 * k3: S+ 1 + 1 + .5 = 2.5, S- 0 -> 2.5/3 */
	const char *p[] = { "indicators=x,y", "weights=1,0",
	                    "preference=linear,usual", "q=1,-", "p=5,-", NULL };
	const double want[] = { -0.5, -1.25 / 3, 0.25 / 3, 2.5 / 3 };
	check_hand(p, want);
}

static void test_gaussian(void **st)
{
	(void)st;
	/* s = 2: P(d) = 1 - exp(-d^2/8), G(d) for short:
	 * k0: S+ 0, S- G1 + G3 + G6      k1: S+ G1, S- G2 + G5
	 * k2: S+ G3 + G2, S- G3          k3: S+ G6 + G5 + G3, S- 0 */
	const char *p[] = { "indicators=x,y", "weights=1,0",
	                    "preference=gaussian,usual", "s=2,-", NULL };
	double g[7];
	for (int d = 0; d < 7; d++)
		g[d] = 1 - exp(-d * d / 8.0);
	const double want[] = { -(g[1] + g[3] + g[6]) / 3,
	                        (g[1] - g[2] - g[5]) / 3, g[2] / 3,
	                        (g[6] + g[5] + g[3]) / 3 };
	check_hand(p, want);
	/* s so small that s^2 is 0: every difference is decisive, as with
	 * usual, and the ties of y are no 0/0. */
	const char *t[] = { "indicators=x,y", "weights=1,0",
	                    "preference=gaussian,gaussian", "s=1e-300,1e-300",
	                    NULL };
	const double usual[] = { -1, -1.0 / 3, 1.0 / 3, 1 };
	check_hand(t, usual);
}

static void test_cost(void **st)
{
	(void)st;
	/* y = 3, 1, 1, 2 as a cost, V-shape p = 2: d = y_b - y_a.
	 * k0 (3): S+ 0; S- from 3 - y_b = 2, 2, 1: 1 + 1 + .5 -> -2.5/3
	 * k1 (1): S+ from y_b - 1 = 2, 0, 1: 1 + 0 + .5 = 1.5; S- 0 -> .5
	 * k2 (1): the same as its tie k1 -> .5
	 * k3 (2): S+ from y_b - 2 = 1: .5; S- from 2 - y_b = 1, 1: 1
	 *         -> -.5/3 */
	const char *p[] = { "indicators=x,y", "weights=0,1",
	                    "directions=benefit,cost",
	                    "preference=usual,vshape", "p=-,2", NULL };
	const double want[] = { -2.5 / 3, 0.5, 0.5, -0.5 / 3 };
	check_hand(p, want);

	/* Usual on both, weights 3:1 (.75, .25). y as a cost under usual:
	 * k0 -1 (3 is the worst), k1 and k2 2/3, k3 -1/3; x as above.
	 * k0: .75(-1) + .25(-1) = -1
	 * k1: .75(-1/3) + .25(2/3) = -1/12
	 * k2: .75(1/3) + .25(2/3) = 5/12
	 * k3: .75(1) + .25(-1/3) = 2/3 */
	const char *w[] = { "indicators=x,y", "weights=3,1",
	                    "directions=benefit,cost", NULL };
	const double wmix[] = { -1, -1.0 / 12, 5.0 / 12, 2.0 / 3 };
	check_hand(w, wmix);

	/* One criterion as a cost is the benefit one reversed, for every
	 * function: S+ and S- trade places. */
	static const char *const fn[][4] = {
		{ "preference=usual", "q=-", "p=-", "s=-" },
		{ "preference=ushape", "q=2", "p=-", "s=-" },
		{ "preference=vshape", "q=-", "p=4", "s=-" },
		{ "preference=level", "q=1", "p=3", "s=-" },
		{ "preference=linear", "q=1", "p=5", "s=-" },
		{ "preference=gaussian", "q=-", "p=-", "s=2" },
	};
	plugin_cohort_t *c = xy(hand_x, NULL, 5);
	for (size_t f = 0; f < sizeof(fn) / sizeof(fn[0]); f++) {
		double ben[5], cost[5];
		const char *b[] = { "indicators=x", fn[f][0], fn[f][1], fn[f][2],
		                    fn[f][3], NULL };
		const char *k[] = { "indicators=x", "directions=cost", fn[f][0],
		                    fn[f][1], fn[f][2], fn[f][3], NULL };
		run(b, c, ben, NULL);
		run(k, c, cost, NULL);
		for (int i = 0; i < 5; i++)
			pt_assert_near(cost[i], -ben[i], PT_EPS);
	}
	plugin_cohort_destroy(c);
}

/* The numerical application of Brans, Vincke & Mareschal, "How to select
 * and how to rank projects: the PROMETHEE method", European Journal of
 * Operational Research 24(2), 1986, 228-238: six sites of a hydroelectric
 * power station, six criteria, one preference function of each type.
 *   f1 manpower (min), U-shape q = 10     f2 power MW (max), V-shape p = 30
 *   f3 construction cost (min), linear q = 50, p = 500
 *   f4 maintenance cost (min), level q = 10, p = 60
 *   f5 villages to evacuate (min), usual  f6 safety (max), gaussian s = 5
 * equal weights. The paper prints pi to three decimals and the net flows
 * as sums over the other five sites (5 phi here), from that rounded pi:
 *   a1 -0.728  a2 0.085  a3 -0.447  a4 -0.102  a5 1.466  a6 -0.274
 * hence the tolerance of 0.0025 on 5 phi; ranking a5 a2 a4 a6 a3 a1. */
static const double hydro[6][6] = {
	{ 80, 90, 600, 54, 8, 5 },   { 65, 58, 200, 97, 1, 1 },
	{ 83, 60, 400, 72, 4, 7 },   { 40, 80, 1000, 75, 7, 10 },
	{ 52, 72, 600, 20, 3, 8 },   { 94, 96, 700, 36, 5, 6 },
};
static const double hydro_pi[6][6] = {
	{ 0, .296, .250, .268, .100, .185 },
	{ .462, 0, .389, .333, .296, .500 },
	{ .236, .180, 0, .333, .056, .429 },
	{ .399, .505, .305, 0, .223, .212 },
	{ .444, .515, .487, .380, 0, .448 },
	{ .286, .399, .250, .432, .133, 0 },
};

static void test_published(void **st)
{
	(void)st;
	static const char *const names[6] = { "f1", "f2", "f3", "f4", "f5",
	                                      "f6" };
	plugin_cohort_t *c = pt_cohort();
	char id[8];
	for (int i = 0; i < 6; i++) {
		snprintf(id, sizeof(id), "a%d", i + 1);
		pt_cluster(c, id);
		for (int j = 0; j < 6; j++)
			pt_ind(c, names[j], 1986, hydro[i][j]);
	}
	pt_seal(c);
	const char *p[] = { "indicators=f1,f2,f3,f4,f5,f6",
	                    "directions=cost,benefit,cost,cost,cost,benefit",
	                    "preference=ushape,vshape,linear,level,usual,"
	                    "gaussian",
	                    "q=10,-,50,10,-,-", "p=-,30,500,60,-,-",
	                    "s=-,-,-,-,-,5", NULL };
	double out[6];
	run(p, c, out, NULL);
	const double printed[6] = { -0.728, 0.085, -0.447, -0.102, 1.466,
	                            -0.274 };
	for (int i = 0; i < 6; i++)
		pt_assert_near(5 * out[i], printed[i], 0.0025);
	const int rank[6] = { 4, 1, 3, 5, 2, 0 };  /* a5 a2 a4 a6 a3 a1 */
	for (int i = 0; i + 1 < 6; i++)
		assert_true(out[rank[i]] > out[rank[i + 1]]);

	/* The pairwise reference of the random tests gives the printed pi
	 * (to its rounding) and the plugin's flows to 1e-12. */
	pm_ref_crit_t rc[6] = {
		{ "ushape", 10, 0, 0, 1, 1 },   { "vshape", 0, 30, 0, 0, 1 },
		{ "linear", 50, 500, 0, 1, 1 }, { "level", 10, 60, 0, 1, 1 },
		{ "usual", 0, 0, 0, 1, 1 },     { "gaussian", 0, 0, 5, 0, 1 },
	};
	for (int a = 0; a < 6; a++)
		for (int b = 0; b < 6; b++)
			pt_assert_near(pm_ref_pi(rc, 6, &hydro[0][0], a, b),
			               hydro_pi[a][b], 0.001);
	double plus[6], minus[6];
	pm_ref_flows(rc, 6, &hydro[0][0], 6, plus, minus);
	for (int i = 0; i < 6; i++)
		pt_assert_near(out[i], plus[i] - minus[i], 1e-12);
	plugin_cohort_destroy(c);
}

static void test_missing(void **st)
{
	(void)st;
	/* k1 lacks x in the window, k3 y; k2's window mean overflows. The
	 * three others are ranked among themselves: usual on x, 1 < 3 < 5. */
	plugin_cohort_t *c = pt_cohort();
	pt_cluster(c, "k0");
	pt_ind(c, "x", 2020, 1);
	pt_ind(c, "y", 2021, 1);
	pt_cluster(c, "k1");
	pt_ind(c, "x", 2019, 9);
	pt_ind(c, "y", 2020, 1);
	pt_cluster(c, "k2");
	pt_ind(c, "x", 2020, 1e308);
	pt_ind(c, "x", 2021, 1e308);
	pt_ind(c, "y", 2020, 1);
	pt_cluster(c, "k3");
	pt_ind(c, "x", 2021, 2);
	pt_cluster(c, "k4");
	pt_ind(c, "x", 2020, 3);
	pt_ind(c, "y", 2020, 1);
	pt_cluster(c, "k5");
	pt_ind(c, "x", 2021, 5);
	pt_ind(c, "y", 2021, 1);
	pt_seal(c);
	const char *p[] = { "indicators=x,y", "from=2020", "to=2021", NULL };
	double out[6];
	const char *r[6];
	run(p, c, out, r);
	pt_assert_near(out[0], 0.5 * -1, PT_EPS);
	pt_assert_near(out[4], 0, PT_EPS);
	pt_assert_near(out[5], 0.5 * 1, PT_EPS);
	assert_true(isnan(out[1]) && isnan(out[2]) && isnan(out[3]));
	assert_string_equal(r[1], "no 'x' in 2020-2021");
	assert_string_equal(r[2], "'x' in 2020-2021 is not finite");
	assert_string_equal(r[3], "no 'y' in 2020-2021");
	assert_null(r[0]);

	/* One complete cluster has nobody to compare with: 0. None: no
	 * scores at all. */
	const char *one[] = { "indicators=x,y", "year=2021", NULL };
	run(one, c, out, r);
	pt_assert_near(out[5], 0, PT_EPS);
	for (int i = 0; i < 5; i++)
		assert_true(isnan(out[i]));
	const char *none[] = { "indicators=x,y", "year=2019", NULL };
	run(none, c, out, r);
	for (int i = 0; i < 6; i++)
		assert_true(isnan(out[i]));
	plugin_cohort_destroy(c);
}

static void test_ties(void **st)
{
	(void)st;
	/* Equal values score alike, whatever their order, under every
	 * function: ties at 2 (k0, k2, k4) and at 5 (k1, k3), the flows
	 * summing to 0. By hand for linear q = 1, p = 4 (P(d) = (d - 1)/3
	 * up to 4): d among 2, 5, 9 is 3 (2 -> 5), 7 (2 -> 9), 4 (5 -> 9):
	 * P = 2/3, 1, 1. m - 1 = 5.
	 *   2: S+ 0, S- 2 (2/3) + 1 = 7/3        -> -7/15
	 *   5: S+ 3 (2/3) = 2, S- 1              ->  1/5
	 *   9: S+ 3 + 2 = 5, S- 0                ->  1 */
	const double x[] = { 2, 5, 2, 5, 2, 9 };
	plugin_cohort_t *c = xy(x, NULL, 6);
	static const char *const fn[][4] = {
		{ "preference=linear", "q=1", "p=4", "s=-" },
		{ "preference=usual", "q=-", "p=-", "s=-" },
		{ "preference=ushape", "q=2", "p=-", "s=-" },
		{ "preference=vshape", "q=-", "p=4", "s=-" },
		{ "preference=level", "q=1", "p=3", "s=-" },
		{ "preference=gaussian", "q=-", "p=-", "s=2" },
	};
	for (size_t f = 0; f < sizeof(fn) / sizeof(fn[0]); f++) {
		const char *p[] = { "indicators=x", fn[f][0], fn[f][1], fn[f][2],
		                    fn[f][3], NULL };
		double out[6];
		run(p, c, out, NULL);
		if (!(out[0] == out[2] && out[2] == out[4] && out[1] == out[3]))
			fail_msg("%s: ties score apart", fn[f][0]);
		double sum = 0;
		for (int i = 0; i < 6; i++)
			sum += out[i];
		pt_assert_near(sum, 0, 1e-12);
		if (f == 0) {
			pt_assert_near(out[0], -7.0 / 15, PT_EPS);
			pt_assert_near(out[1], 1.0 / 5, PT_EPS);
			pt_assert_near(out[5], 1, PT_EPS);
		}
	}
	plugin_cohort_destroy(c);
}

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

/* weights=<wm> scores as the weights w given as numbers, under usual and
 * under vshape/linear, and notes `note`; numbers note nothing. */
static void same_as_numbers(const char *wm, const double *w,
                            const char *note)
{
	plugin_cohort_t *c = xy(hand_x, hand_y, 5);
	char wp[64], nums[128];
	snprintf(wp, sizeof(wp), "weights=%s", wm);
	snprintf(nums, sizeof(nums), "weights=%.17g,%.17g", w[0], w[1]);
	static const char *const fn[][3] = {
		{ "preference=usual,usual", "q=-,-", "p=-,-" },
		{ "preference=vshape,linear", "q=-,0.5", "p=4,2" },
	};
	for (size_t f = 0; f < 2; f++) {
		const char *pm[] = { "indicators=x,y", wp,
		                     "directions=benefit,cost", fn[f][0],
		                     fn[f][1], fn[f][2], NULL };
		const char *pn[] = { "indicators=x,y", nums,
		                     "directions=benefit,cost", fn[f][0],
		                     fn[f][1], fn[f][2], NULL };
		double om[5], on[5];
		const char *rm[5];
		run(pm, c, om, rm);
		const char *got = weights_note();
		if (!got || strcmp(got, note))
			fail_msg("note '%s', expected '%s'", got ? got : "(none)",
			         note);
		assert_true(isnan(om[4]));
		assert_string_equal(rm[4], "no 'y' in any year");
		run(pn, c, on, NULL);
		assert_null(weights_note());
		for (int i = 0; i < 4; i++)
			pt_assert_near(om[i], on[i], 1e-12);
	}
	plugin_cohort_destroy(c);
}

static void test_objective_weights(void **st)
{
	(void)st;
	/* The hand matrix: x = 1, 2, 4, 7 (benefit), y = 3, 1, 1, 2 (cost);
	 * k4 (x = 100) lacks y and enters no weight.
	 * entropy: p_x = 1/14, 2/14, 4/14, 7/14; p_y = 3/7, 1/7, 1/7, 2/7;
	 * e = -sum p ln p / ln 4; w = (1 - e) / sum (1 - e): .6634, .3366. */
	const double px[] = { 1.0 / 14, 2.0 / 14, 4.0 / 14, 7.0 / 14 };
	const double py[] = { 3.0 / 7, 1.0 / 7, 1.0 / 7, 2.0 / 7 };
	double hx = 0, hy = 0;
	for (int i = 0; i < 4; i++) {
		hx -= px[i] * log(px[i]);
		hy -= py[i] * log(py[i]);
	}
	double dx = 1 - hx / log(4), dy = 1 - hy / log(4);
	double we[] = { dx / (dx + dy), dy / (dx + dy) };
	same_as_numbers("entropy", we, "entropy: x 0.6634, y 0.3366");
	/* critic: r_x = (x - 1)/6 = 0, 1/6, 1/2, 1 (mean 5/12, sum of squares
	 * 7/12); r_y = (3 - y)/2 = 0, 1, 1, 1/2 (cost; mean 5/8, 11/16).
	 * With two criteria both have the same 1 - rho, so w is in
	 * proportion to sd: sqrt(7/12) : sqrt(11/16) = .4795 : .5205, as
	 * stddev. */
	double sx = sqrt(7.0 / 12), sy = sqrt(11.0 / 16);
	double wc[] = { sx / (sx + sy), sy / (sx + sy) };
	same_as_numbers("critic", wc, "critic: x 0.4795, y 0.5205");
	same_as_numbers("stddev", wc, "stddev: x 0.4795, y 0.5205");
	double wq[] = { 0.5, 0.5 };
	same_as_numbers("equal", wq, "equal: x 0.5000, y 0.5000");

	/* Entropy over a negative value fails, naming the cluster: k3, the
	 * second complete one (k0 and k2 lack y). */
	const double nx[] = { 1, 2, 3, 4 }, ny[] = { NAN, 1, NAN, -1 };
	plugin_cohort_t *c = xy(nx, ny, 4);
	const char *pe[] = { "indicators=x,y", "weights=entropy", NULL };
	double out[4];
	assert_int_equal(pt_score(&env, "promethee", pe, c, out, NULL),
	                 CD_EPLUGIN);
	if (!strstr(env.err, "weights=entropy needs values >= 0: 'y' is -1 "
	                     "for cluster 'k3'"))
		fail_msg("%s", env.err);
	const char *pc[] = { "indicators=x,y", "weights=critic", NULL };
	run(pc, c, out, NULL);
	assert_string_equal(weights_note(), "critic: x 0.5000, y 0.5000");
	/* Each is better on one of two criteria weighed alike: 0 each. */
	pt_assert_near(out[1], 0, PT_EPS);
	pt_assert_near(out[3], 0, PT_EPS);
	assert_true(isnan(out[0]) && isnan(out[2]));
	plugin_cohort_destroy(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usual),
		cmocka_unit_test(test_ushape),
		cmocka_unit_test(test_vshape),
		cmocka_unit_test(test_level),
		cmocka_unit_test(test_linear),
		cmocka_unit_test(test_gaussian),
		cmocka_unit_test(test_cost),
		cmocka_unit_test(test_published),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_ties),
		cmocka_unit_test(test_objective_weights),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
