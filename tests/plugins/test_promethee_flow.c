/* promethee: the sorted form against the pairwise definition (pm_ref) on
 * random cohorts with ties, for every preference function, benefit and
 * cost, alone and mixed; and a large cohort of large values, sampled. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

/* splitmix64: the same numbers on every platform. */
static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static double unif(void)
{
	return (double)(rng() >> 11) / 9007199254740992.0;
}

/* Kinds of data, each with thresholds in its units:
 *   small integers: ties everywhere, differences equal to q and p;
 *   eighths in [-1000, 1000), a tenth of them copies of earlier values;
 *   1e9 plus any double below 100: large values, small differences (the
 *   prefix sums' hard case);
 *   values and thresholds of order 1e-6. */
typedef struct kind {
	const char *name;
	double q, p, s;
} kind_t;

static const kind_t kinds[] = {
	{ "integers", 2, 5, 3 },
	{ "eighths", 50, 300, 100 },
	{ "offset", 5, 20, 10 },
	{ "tiny", 1e-7, 6e-7, 3e-7 },
};

static double draw(int kind, const double *col, size_t i)
{
	switch (kind) {
	case 0:
		return (double)(rng() % 21);
	case 1:
		if (i && rng() % 10 == 0)
			return col[rng() % i];
		return floor(unif() * 16000 - 8000) / 8;
	case 2:
		return 1e9 + unif() * 100;
	default:
		return unif() * 2e-6;
	}
}

static const char *const fns[6] = { "usual", "ushape", "vshape", "level",
                                    "linear", "gaussian" };

/* The ref criterion of function f with the kind's thresholds. */
static pm_ref_crit_t crit(int f, const kind_t *k, int cost, double w)
{
	pm_ref_crit_t c = { fns[f], 0, 0, 0, cost, w };
	if (f == 1 || f == 3 || f == 4)
		c.q = k->q;
	if (f == 2 || f == 3 || f == 4)
		c.p = k->p;
	if (f == 5)
		c.s = k->s;
	return c;
}

/* The params that say the same as c[0..k). */
static void params_of(const pm_ref_crit_t *c, size_t k, const char *names,
                      char buf[7][512], const char *p[8])
{
	snprintf(buf[0], 512, "indicators=%s", names);
	snprintf(buf[1], 512, "preference=");
	snprintf(buf[2], 512, "directions=");
	snprintf(buf[3], 512, "weights=");
	snprintf(buf[4], 512, "q=");
	snprintf(buf[5], 512, "p=");
	snprintf(buf[6], 512, "s=");
	for (size_t j = 0; j < k; j++) {
		const char *sep = j ? "," : "";
		int uq = !strcmp(c[j].pref, "ushape") ||
		         !strcmp(c[j].pref, "level") ||
		         !strcmp(c[j].pref, "linear");
		int up = uq ? strcmp(c[j].pref, "ushape") != 0
		            : !strcmp(c[j].pref, "vshape");
		int us = !strcmp(c[j].pref, "gaussian");
		char t[64];
		size_t l;
#define ADD(i, ...)                                                       \
	do {                                                              \
		snprintf(t, sizeof(t), __VA_ARGS__);                      \
		l = strlen(buf[i]);                                       \
		snprintf(buf[i] + l, 512 - l, "%s%s", sep, t);            \
	} while (0)
		ADD(1, "%s", c[j].pref);
		ADD(2, "%s", c[j].cost ? "cost" : "benefit");
		ADD(3, "%.17g", c[j].w);
		if (uq)
			ADD(4, "%.17g", c[j].q);
		else
			ADD(4, "-");
		if (up)
			ADD(5, "%.17g", c[j].p);
		else
			ADD(5, "-");
		if (us)
			ADD(6, "%.17g", c[j].s);
		else
			ADD(6, "-");
#undef ADD
	}
	for (int i = 0; i < 7; i++)
		p[i] = buf[i];
	p[7] = NULL;
}

/* |phi - ref| within 1e-9 of the flows it is the difference of (phi+ +
 * phi- >= |phi|; when both are 0, exactly 0). */
static void assert_flow(double got, double plus, double minus,
                        const char *what, size_t i)
{
	double want = plus - minus, tol = 1e-9 * (plus + minus);
	if (!(fabs(got - want) <= tol))
		fail_msg("%s: cluster %zu: %.17g, pairwise %.17g (phi+ %.17g, "
		         "phi- %.17g)", what, i, got, want, plus, minus);
}

/* Scores cohort c (indicators a..f as columns of x, m rows) with c[0..k)
 * over `names` and compares every cluster with the pairwise flows. */
static void compare(const plugin_cohort_t *cohort, const double *x,
                    size_t m, const pm_ref_crit_t *c, size_t k,
                    const char *names, const char *what)
{
	char buf[7][512];
	const char *p[8];
	params_of(c, k, names, buf, p);
	double *out = test_malloc(m * sizeof(*out));
	double *col = test_malloc(m * k * sizeof(*col));
	double *plus = test_malloc(m * sizeof(*plus));
	double *minus = test_malloc(m * sizeof(*minus));
	if (pt_score(&env, "promethee", p, cohort, out, NULL))
		fail_msg("%s: %s", what, env.err);
	/* The ref reads rows of the k criteria: a..f in names' order. */
	for (size_t i = 0; i < m; i++)
		for (size_t j = 0; j < k; j++)
			col[i * k + j] = x[i * 6 + (size_t)(names[2 * j] - 'a')];
	pm_ref_flows(c, k, col, m, plus, minus);
	for (size_t i = 0; i < m; i++)
		assert_flow(out[i], plus[i], minus[i], what, i);
	test_free(minus);
	test_free(plus);
	test_free(col);
	test_free(out);
}

static void test_random(void **st)
{
	(void)st;
	static const size_t sizes[] = { 2, 3, 10, 257, 1000 };
	rng_state = 20240601;
	for (int kd = 0; kd < 4; kd++)
		for (size_t z = 0; z < sizeof(sizes) / sizeof(*sizes); z++) {
			size_t m = sizes[z];
			double *x = test_malloc(m * 6 * sizeof(*x));
			double col[6][1000];
			plugin_cohort_t *c = pt_cohort();
			char id[32], name[2] = "a";
			for (size_t i = 0; i < m; i++) {
				snprintf(id, sizeof(id), "k%zu", i);
				pt_cluster(c, id);
				for (int j = 0; j < 6; j++) {
					col[j][i] = x[i * 6 + j] = draw(kd, col[j], i);
					name[0] = (char)('a' + j);
					pt_ind(c, name, 2022, x[i * 6 + j]);
				}
			}
			pt_seal(c);
			char what[128];
			static const char *const one[6] = { "a", "b", "c", "d", "e",
			                                    "f" };
			/* Each function alone on its own column, benefit and
			 * cost. */
			for (int f = 0; f < 6; f++)
				for (int cost = 0; cost < 2; cost++) {
					pm_ref_crit_t rc = crit(f, &kinds[kd], cost, 1);
					snprintf(what, sizeof(what), "%s, %s, %zu, %s",
					         kinds[kd].name, fns[f], m,
					         cost ? "cost" : "benefit");
					compare(c, x, m, &rc, 1, one[f], what);
				}
			/* All six at once, mixed directions, weights 1..6. */
			pm_ref_crit_t mix[6];
			for (int f = 0; f < 6; f++)
				mix[f] = crit(f, &kinds[kd], f % 2, f + 1);
			snprintf(what, sizeof(what), "%s, mixed, %zu",
			         kinds[kd].name, m);
			compare(c, x, m, mix, 6, "a,b,c,d,e,f", what);
			plugin_cohort_destroy(c);
			test_free(x);
		}
}

static void test_large(void **st)
{
	(void)st;
	/* 200,000 values of 1e9 plus a double below 100 (sums of 2e14 in
	 * all), every function but gaussian; 16 clusters (the two ends, 14
	 * drawn) checked against their pairwise sums, O(m) each. */
	size_t m = 200000;
	rng_state = 7;
	double *x = test_malloc(m * sizeof(*x));
	double *out = test_malloc(m * sizeof(*out));
	plugin_cohort_t *c = pt_cohort();
	char id[32];
	for (size_t i = 0; i < m; i++) {
		snprintf(id, sizeof(id), "k%zu", i);
		pt_cluster(c, id);
		x[i] = draw(2, NULL, i);
		pt_ind(c, "a", 2022, x[i]);
	}
	pt_seal(c);
	for (int f = 0; f < 5; f++) {
		pm_ref_crit_t rc = crit(f, &kinds[2], f == 4, 1);
		char buf[7][512];
		const char *p[8];
		params_of(&rc, 1, "a", buf, p);
		if (pt_score(&env, "promethee", p, c, out, NULL))
			fail_msg("%s: %s", fns[f], env.err);
		for (int t = 0; t < 16; t++) {
			size_t i = t < 2 ? (t ? m - 1 : 0) : rng() % m;
			double plus, minus;
			pm_ref_flow_of(&rc, 1, x, m, i, &plus, &minus);
			assert_flow(out[i], plus, minus, fns[f], i);
		}
	}
	plugin_cohort_destroy(c);
	test_free(out);
	test_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_large),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
