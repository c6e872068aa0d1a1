/* cpc_weights: the objective weighting methods by hand and against
 * published examples, every degenerate case, the `weights` param, and the
 * run note that records what a method gave (through a real host table,
 * and one of a server before SDK 2.1). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cd_error.h"
#include "cpc_values.h"
#include "cpc_weights.h"
#include "plugin_internal.h"
#include "plugin_params.h"
#include "pt_util.h"

#define ENTROPY CPC_WEIGHTS_ENTROPY
#define CRITIC CPC_WEIGHTS_CRITIC
#define STDDEV CPC_WEIGHTS_STDDEV
#define EQUAL CPC_WEIGHTS_EQUAL

static void weigh(cpc_wmethod_t m, const double *x, size_t n, size_t k,
                  const int *cost, double *w, cpc_weights_info_t *info)
{
	int rc = cpc_weights_compute(m, x, n, k, cost, w, info);
	if (rc)
		fail_msg("%s: %s", cpc_weights_name(m), cp_code_name(rc));
	double sum = 0;
	for (size_t j = 0; j < k; j++)
		sum += w[j];
	pt_assert_near(sum, 1, 1e-12);
}

/* ------------------------------------------------------------ by hand */

static void test_entropy_by_hand(void **st)
{
	(void)st;
	/* a: 0, 0, 0, 4  -> p = 0, 0, 0, 1: H = 0 (0 ln 0 = 0), e = 0,
	 *    1 - e = 1.
	 * b: 1, 1, 1, 3  -> p = 1/6, 1/6, 1/6, 1/2:
	 *    H = 3 (1/6) ln 6 + (1/2) ln 2 = (1/2) ln 12,
	 *    e = H / ln 4 = ln 12 / ln 16 = .896241,
	 *    1 - e = ln(16/12) / ln 16 = ln(4/3) / ln 16 = .103759.
	 * c: 5, 5, 5, 5  -> no spread: e = 1, weight 0.
	 * w = (1, .103759, 0) / 1.103759 = (.905995, .094005, 0). */
	const double x[] = { 0, 1, 5, 0, 1, 5, 0, 1, 5, 4, 3, 5 };
	double w[3];
	cpc_weights_info_t info;
	weigh(ENTROPY, x, 4, 3, NULL, w, &info);
	double d = log(4.0 / 3) / log(16);
	pt_assert_near(w[0], 1 / (1 + d), 1e-12);
	pt_assert_near(w[1], d / (1 + d), 1e-12);
	pt_assert_near(w[0], 0.905995, 1e-6);
	pt_assert_near(w[1], 0.094005, 1e-6);
	assert_true(w[2] == 0);
	assert_int_equal(info.rows, 4);
	assert_int_equal(info.fallback, CPC_WEIGHTS_COMPUTED);
	/* Direction does not enter the entropy. */
	const int cost[] = { 1, 1, 0 };
	double wc[3];
	weigh(ENTROPY, x, 4, 3, cost, wc, NULL);
	for (size_t j = 0; j < 3; j++)
		assert_true(wc[j] == w[j]);
}

static void test_stddev_by_hand(void **st)
{
	(void)st;
	/* a: 0, 5, 10 -> r = 0, .5, 1; mean .5; squares .25, 0, .25;
	 *    sample sd = sqrt(.5 / 2) = .5.
	 * b: 2, 2, 8  -> r = 0, 0, 1; mean 1/3; squares 1/9, 1/9, 4/9;
	 *    sd = sqrt((2/3) / 2) = 1/sqrt 3 = .577350.
	 * w = (.5, 1/sqrt 3) / (.5 + 1/sqrt 3)
	 *   = (sqrt 3, 2) / (sqrt 3 + 2) = (.464102, .535898). */
	const double x[] = { 0, 2, 5, 2, 10, 8 };
	double w[2];
	weigh(STDDEV, x, 3, 2, NULL, w, NULL);
	pt_assert_near(w[0], sqrt(3) / (sqrt(3) + 2), 1e-12);
	pt_assert_near(w[1], 2 / (sqrt(3) + 2), 1e-12);
	pt_assert_near(w[0], 0.464102, 1e-6);
	/* A cost column is r flipped, 1 - r: the same spread. */
	const int cost[] = { 0, 1 };
	double wc[2];
	weigh(STDDEV, x, 3, 2, cost, wc, NULL);
	pt_assert_near(wc[0], w[0], 1e-12);
	pt_assert_near(wc[1], w[1], 1e-12);
	/* Units do not matter: b in thousandths, a shifted. */
	const double y[] = { 100, 2000, 105, 2000, 110, 8000 };
	weigh(STDDEV, y, 3, 2, NULL, wc, NULL);
	pt_assert_near(wc[0], w[0], 1e-12);
}

static void test_critic_by_hand(void **st)
{
	(void)st;
	/* r: a = 0, .5, 1 (sd .5); b = 0, 0, 1 (sd 1/sqrt 3);
	 *    c = 10, 5, 0 -> 1, .5, 0 (sd .5).
	 * Centred: a -.5, 0, .5; b -1/3, -1/3, 2/3; c .5, 0, -.5.
	 * rho_ab = (.5/3 + .5 * 2/3) / sqrt(.5 * 2/3) = .5 / sqrt(1/3)
	 *        = sqrt 3 / 2 = .866025; rho_ac = -1; rho_bc = -sqrt 3 / 2.
	 * C_a = .5 ((1 - .866025) + (1 + 1))        = .5 (3 - sqrt 3 / 2)
	 *     = 1.066987
	 * C_b = (1/sqrt 3) ((1 - .866025) + (1 + .866025)) = 2 / sqrt 3
	 *     = 1.154701
	 * C_c = .5 ((1 + 1) + (1 + .866025))        = .5 (3 + sqrt 3 / 2)
	 *     = 1.933013
	 * sum = 3 + 2 / sqrt 3 = 4.154701;
	 * w = (.256814, .277926, .465259). */
	const double x[] = { 0, 2, 10, 5, 2, 5, 10, 8, 0 };
	double w[3];
	weigh(CRITIC, x, 3, 3, NULL, w, NULL);
	double h = sqrt(3) / 2, sum = 3 + 2 / sqrt(3);
	pt_assert_near(w[0], 0.5 * (3 - h) / sum, 1e-12);
	pt_assert_near(w[1], 2 / sqrt(3) / sum, 1e-12);
	pt_assert_near(w[2], 0.5 * (3 + h) / sum, 1e-12);
	pt_assert_near(w[0], 0.256814, 1e-6);
	pt_assert_near(w[1], 0.277926, 1e-6);
	pt_assert_near(w[2], 0.465259, 1e-6);
	/* c as a cost: r_c = (10 - x) / 10 = 0, .5, 1, the same as a, so
	 * rho_ac = 1 and rho_bc = sqrt 3 / 2: the conflict is gone.
	 * C_a = C_c = .5 (1 - sqrt 3 / 2) = .066987,
	 * C_b = (1/sqrt 3) 2 (1 - sqrt 3 / 2) = .154701;
	 * w = (.232051, .535898, .232051). */
	const int cost[] = { 0, 0, 1 };
	weigh(CRITIC, x, 3, 3, cost, w, NULL);
	double ca = 0.5 * (1 - h), cb = 2 / sqrt(3) * (1 - h);
	pt_assert_near(w[0], ca / (2 * ca + cb), 1e-12);
	pt_assert_near(w[1], cb / (2 * ca + cb), 1e-12);
	pt_assert_near(w[2], w[0], 1e-12);
	pt_assert_near(w[1], 0.535898, 1e-6);
}

static void test_equal(void **st)
{
	(void)st;
	const double x[] = { 1, 2, 3 };
	double w[3];
	cpc_weights_info_t info;
	weigh(EQUAL, x, 1, 3, NULL, w, &info);
	for (size_t j = 0; j < 3; j++)
		pt_assert_near(w[j], 1.0 / 3, 1e-15);
	assert_int_equal(info.fallback, CPC_WEIGHTS_COMPUTED);
}

/* ---------------------------------------------------- published examples */

/* Elsayed, Dawood & Karthikeyan (2017), "Evaluating alternatives through
 * the application of TOPSIS method with entropy weight", Int. J. Eng.
 * Trends Technol. 46(2) 60-66: 12 alternatives, 5 criteria, and the
 * entropy weights to 6 decimals, as pymcdm's test of entropy_weights
 * reproduces them. */
static void test_entropy_published(void **st)
{
	(void)st;
	const double x[] = {
		7, 312, 1891, 6613, 163,
		72, 88, 728, 941804, 1078,
		10, 252, 2594, 3466, 117471,
		10, 145, 980, 2371, 86329,
		65, 54, 350, 501, 29897,
		29, 48, 380, 912, 34051,
		7, 476, 3300, 78470, 2212,
		70, 87, 650, 733, 819000,
		4, 86, 591, 3015, 103,
		12, 79, 579, 3240, 96098,
		21, 45, 261, 1253, 453,
		1, 72, 530, 4333, 0.104800,
	};
	const double want[] = { 0.104991, 0.069124, 0.071373, 0.449937,
	                        0.304575 };
	double w[5];
	weigh(ENTROPY, x, 12, 5, NULL, w, NULL);
	for (size_t j = 0; j < 5; j++)
		pt_assert_near(w[j], want[j], 5e-7);
}

/* Tuş & Adalı (2019), "The new combination with CRITIC and WASPAS methods
 * for the time and attendance software selection problem", OPSEARCH
 * 56(2) 528-538: 5 alternatives, 6 criteria, the CRITIC weights to 3
 * decimals, as pymcdm's test of critic_weights reproduces them. pymcdm
 * min-max normalises every column as a benefit; so does this with every
 * direction benefit. */
static void test_critic_published(void **st)
{
	(void)st;
	const double x[] = {
		5000, 3, 3, 4, 3, 2,
		680, 5, 3, 2, 2, 1,
		2000, 3, 2, 3, 4, 3,
		600, 4, 3, 1, 2, 2,
		800, 2, 4, 3, 3, 4,
	};
	const double want[] = { 0.157, 0.249, 0.168, 0.121, 0.154, 0.151 };
	double w[6];
	weigh(CRITIC, x, 5, 6, NULL, w, NULL);
	for (size_t j = 0; j < 6; j++)
		pt_assert_near(w[j], want[j], 5e-4);
}

/* Jahan & Edwards (2013), "Weighting of dependent and target-based
 * criteria for optimal decision-making in materials selection process:
 * Biomedical applications", Materials & Design 49 1000-1008: the standard
 * deviation weights to 2 decimals, as pymcdm's test of
 * standard_deviation_weights has them. Every column already spans 0..1,
 * so min-max normalising first changes nothing. */
static void test_stddev_published(void **st)
{
	(void)st;
	const double x[] = {
		0, 0, 0,
		0.39, 0.3, 0.77,
		0.17, 0.36, 0.8,
		0.35, 0.29, 0.93,
		0.3, 0.4, 0.94,
		0.84, 0.71, 1,
		1, 1, 0.99,
	};
	const double want[] = { 0.35, 0.31, 0.34 };
	double w[3];
	weigh(STDDEV, x, 7, 3, NULL, w, NULL);
	for (size_t j = 0; j < 3; j++)
		pt_assert_near(w[j], want[j], 5e-3);
}

/* ------------------------------------------------------------ degenerate */

static void test_degenerate(void **st)
{
	(void)st;
	static const cpc_wmethod_t methods[] = { ENTROPY, CRITIC, STDDEV };
	double w[4];
	cpc_weights_info_t info;
	for (size_t m = 0; m < 3; m++) {
		/* One cluster: nothing varies; every column shares. */
		const double one[] = { 3, 4, 5 };
		weigh(methods[m], one, 1, 3, NULL, w, &info);
		assert_int_equal(info.rows, 1);
		assert_int_equal(info.fallback, CPC_WEIGHTS_NONE_VARIES);
		for (size_t j = 0; j < 3; j++)
			pt_assert_near(w[j], 1.0 / 3, 1e-15);
		/* No cluster with every value. */
		const double none[] = { NAN, 1, 2, NAN };
		weigh(methods[m], none, 2, 2, NULL, w, &info);
		assert_int_equal(info.rows, 0);
		assert_int_equal(info.fallback, CPC_WEIGHTS_NONE_VARIES);
		weigh(methods[m], none, 0, 2, NULL, w, &info);
		assert_int_equal(info.fallback, CPC_WEIGHTS_NONE_VARIES);
		/* Columns without spread (all equal, all zero) weigh 0;
		 * rows with a NaN are left out, and read no further (the
		 * 1e9 after it would vary the first column). */
		const double flat[] = { 0, 7, 1, 2,
		                        0, 7, 2, 3,
		                        NAN, 1e9, 1e9, 1e9,
		                        0, 7, 4, 1 };
		weigh(methods[m], flat, 4, 4, NULL, w, &info);
		assert_int_equal(info.rows, 3);
		assert_int_equal(info.fallback, CPC_WEIGHTS_COMPUTED);
		assert_true(w[0] == 0 && w[1] == 0);
		assert_true(w[2] > 0 && w[3] > 0);
		/* Values at the ends of the double range: no overflow. */
		const double big[] = { 1e308, 1.7e308, 1e308,
		                       1.5e308, 0, 1e308,
		                       1.6e308, 1.7e308, 1e308 };
		weigh(methods[m], big, 3, 3, NULL, w, &info);
		assert_true(isfinite(w[0]) && isfinite(w[1]) && w[2] == 0);
	}
	/* stddev and critic over a range wider than DBL_MAX. */
	const double wide[] = { -1.7e308, 1, 0, 2, 1.7e308, 4 };
	weigh(STDDEV, wide, 3, 2, NULL, w, NULL);
	assert_true(isfinite(w[0]) && w[0] > 0);
	weigh(CRITIC, wide, 3, 2, NULL, w, NULL);
	assert_true(isfinite(w[0]) && w[0] > 0);

	/* CRITIC with one varying column: sd times (1 - 1) = 0 for it, so
	 * the varying one takes all. */
	const double single[] = { 1, 5, 2, 5, 4, 5 };
	weigh(CRITIC, single, 3, 2, NULL, w, &info);
	assert_int_equal(info.fallback, CPC_WEIGHTS_SHARED);
	assert_true(w[0] == 1 && w[1] == 0);
	weigh(CRITIC, single, 3, 1, NULL, w, &info);
	assert_int_equal(info.fallback, CPC_WEIGHTS_SHARED);
	assert_true(w[0] == 1);
	/* Perfectly correlated (b = 2a + 1) and a constant: the two share. */
	const double twins[] = { 1, 3, 9, 2, 5, 9, 4, 9, 9 };
	weigh(CRITIC, twins, 3, 3, NULL, w, &info);
	assert_int_equal(info.fallback, CPC_WEIGHTS_SHARED);
	pt_assert_near(w[0], 0.5, 1e-15);
	pt_assert_near(w[1], 0.5, 1e-15);
	assert_true(w[2] == 0);
	/* stddev of the same: each its own sd, equal after min-max. */
	weigh(STDDEV, twins, 3, 3, NULL, w, &info);
	assert_int_equal(info.fallback, CPC_WEIGHTS_COMPUTED);
	pt_assert_near(w[0], 0.5, 1e-12);

	/* Entropy needs values >= 0: the first negative of a complete row
	 * is named (the incomplete row's is never read). */
	const double neg[] = { 1, 2, NAN, -9, 3, -1, 4, 5 };
	assert_int_equal(cpc_weights_compute(ENTROPY, neg, 4, 2, NULL, w,
	                                     &info), CP_EDATA);
	assert_int_equal(info.row, 2);
	assert_int_equal(info.col, 1);
	/* The others take any values. */
	weigh(CRITIC, neg, 4, 2, NULL, w, NULL);
	weigh(STDDEV, neg, 4, 2, NULL, w, NULL);

	/* What is not a method, or nothing to weigh. */
	assert_int_equal(cpc_weights_compute(CPC_WEIGHTS_GIVEN, neg, 4, 2, NULL,
	                                     w, NULL), CP_EPARAM);
	assert_int_equal(cpc_weights_compute((cpc_wmethod_t)9, neg, 4, 2, NULL,
	                                     w, NULL), CP_EPARAM);
	assert_int_equal(cpc_weights_compute(ENTROPY, neg, 4, 0, NULL, w, NULL),
	                 CP_EPARAM);
	assert_int_equal(cpc_weights_compute(ENTROPY, neg, 0,
	                                     CPC_WEIGHTS_MAX + 1, NULL, w,
	                                     NULL), CP_EPARAM);
	assert_null(cpc_weights_name(CPC_WEIGHTS_GIVEN));
	assert_null(cpc_weights_name((cpc_wmethod_t)9));
	assert_string_equal(cpc_weights_name(STDDEV), "stddev");
}

/* ------------------------------------------------------- param and note */

/* A host table and params as a plugin sees them in score(). */
typedef struct host {
	plugin_host_ctx_t ctx;
	cp_host_t h;
	plugin_params_t *p;
	char err[512];
} host_t;

static char list_s[] = "list", ind_s[] = "indicators", w_s[] = "weights",
            empty_s[] = "";

static void host_open(host_t *t, const char *indicators,
                      const char *weights)
{
	memset(t, 0, sizeof(*t));
	t->ctx.plugin_name = "t";
	plugin_host_setup(&t->h, &t->ctx);
	t->ctx.scoring = 1;
	plugin_param_info_t specs[] = {
		{ .name = ind_s, .type = CP_PARAM_LIST, .type_name = list_s,
		  .description = empty_s },
		{ .name = w_s, .type = CP_PARAM_LIST, .type_name = list_s,
		  .description = empty_s },
	};
	plugin_kv_t kv[] = { { "indicators", indicators },
	                     { "weights", weights } };
	char err[256];
	if (plugin_params_build(&t->p, specs, 2, kv, weights ? 2 : 1, "", err,
	                        sizeof(err)))
		fail_msg("params: %s", err);
}

static void host_close(host_t *t)
{
	plugin_host_notes_reset(&t->ctx);
	plugin_host_scratch_reset(&t->ctx);
	plugin_params_destroy(t->p);
}

static int parse(host_t *t, const char **items, double *w, size_t *k,
                 cpc_wmethod_t *m)
{
	return cpc_weights_list(&t->h, t->p, "indicators", 8, items, w, k, m,
	                        t->err, sizeof(t->err));
}

static void test_param(void **st)
{
	(void)st;
	host_t t;
	const char *items[8];
	double w[8];
	size_t k;
	cpc_wmethod_t m;
	static const char *const words[] = { "equal", "entropy", "critic",
	                                     "stddev" };
	for (size_t i = 0; i < 4; i++) {
		host_open(&t, "a, b, c", words[i]);
		assert_int_equal(parse(&t, items, w, &k, &m), CP_OK);
		assert_int_equal(k, 3);
		assert_int_equal(m, EQUAL + (int)i);
		assert_string_equal(cpc_weights_name(m), words[i]);
		assert_string_equal(items[2], "c");
		pt_assert_near(w[1], 1.0 / 3, 1e-15);
		host_close(&t);
	}
	/* Numbers as before. */
	host_open(&t, "a,b", "3,1");
	assert_int_equal(parse(&t, items, w, &k, &m), CP_OK);
	assert_int_equal(m, CPC_WEIGHTS_GIVEN);
	pt_assert_near(w[0], 0.75, 1e-15);
	host_close(&t);
	/* None: equal, as given. */
	host_open(&t, "a,b", NULL);
	assert_int_equal(parse(&t, items, w, &k, &m), CP_OK);
	assert_int_equal(m, CPC_WEIGHTS_GIVEN);
	pt_assert_near(w[1], 0.5, 1e-15);
	host_close(&t);
	/* One number for one item is a number, not a word. */
	host_open(&t, "a", "2");
	assert_int_equal(parse(&t, items, w, &k, &m), CP_OK);
	assert_int_equal(m, CPC_WEIGHTS_GIVEN);
	assert_true(w[0] == 1);
	host_close(&t);
	/* A word that is none of them, or a word among numbers. */
	host_open(&t, "a,b", "entropi");
	assert_int_equal(parse(&t, items, w, &k, &m), CP_EPARAM);
	assert_string_equal(t.err, "param 'weights': 'entropi' is neither a "
	                    "number nor one of equal, entropy, critic, "
	                    "stddev");
	host_close(&t);
	host_open(&t, "a,b", "entropy,1");
	assert_int_equal(parse(&t, items, w, &k, &m), CP_EPARAM);
	assert_non_null(strstr(t.err, "item 'entropy' is not a finite number"));
	host_close(&t);
	/* Repeated items fail before the weights are looked at. */
	host_open(&t, "a,a", "entropy");
	assert_int_equal(parse(&t, items, w, &k, &m), CP_EPARAM);
	assert_non_null(strstr(t.err, "repeats 'a'"));
	host_close(&t);
	/* Without a method out (cpc_weighted_list): numbers only, with the
	 * messages as they were. */
	host_open(&t, "a", "entropy");
	assert_int_equal(cpc_weighted_list(&t.h, t.p, "indicators", 8, items,
	                                   w, &k, t.err, sizeof(t.err)),
	                 CP_EPARAM);
	assert_string_equal(t.err, "param 'weights': item 'entropy' is not a "
	                    "finite number");
	host_close(&t);
	host_open(&t, "a,b", "entropy");
	assert_int_equal(cpc_weighted_list(&t.h, t.p, "indicators", 8, items,
	                                   w, &k, t.err, sizeof(t.err)),
	                 CP_EPARAM);
	assert_string_equal(t.err, "param 'weights' has 1 items, expected 2");
	host_close(&t);
}

static plugin_cohort_t *cohort_of(size_t n)
{
	plugin_cohort_t *c = pt_cohort();
	for (size_t i = 0; i < n; i++) {
		char id[32];
		snprintf(id, sizeof(id), "k%zu", i);
		pt_cluster(c, id);
	}
	pt_seal(c);
	return c;
}

/* cpc_weights_resolve_at: the same matrix by columns, and rows mapped to
 * clusters, give the same weights, note and errors as row by row. */
static void test_resolve_at(void **st)
{
	(void)st;
	host_t t;
	host_open(&t, "a", NULL);
	plugin_cohort_t *c = cohort_of(6);
	const char *items[] = { "a", "b", "c" };
	/* The entropy example of test_resolve, 4 rows, by columns in a
	 * buffer whose columns are 6 long (the 2 last of each unused). */
	const double cols[] = { 0, 0, 0, 4, NAN, NAN,
	                        1, 1, 1, 3, NAN, NAN,
	                        5, 5, 5, 5, NAN, NAN };
	double w[3];
	assert_int_equal(cpc_weights_resolve_at(&t.h, c, ENTROPY, cols, 4, 3, 1,
	                                        6, NULL, NULL, items, w, t.err,
	                                        sizeof(t.err)), CP_OK);
	pt_assert_near(w[0], 0.905995, 1e-6);
	assert_string_equal(t.ctx.notes[0].value,
	                    "entropy: a 0.9060, b 0.0940, c 0.0000");
	/* CRITIC with c a cost, by rows and by columns: the same weights. */
	const double rows[] = { 0, 2, 10, 5, 2, 5, 10, 8, 0 };
	const double bycol[] = { 0, 5, 10, 2, 2, 8, 10, 5, 0 };
	const int cost[] = { 0, 0, 1 };
	double wr[3], wc[3];
	assert_int_equal(cpc_weights_resolve_at(&t.h, c, CRITIC, rows, 3, 3, 3,
	                                        1, NULL, cost, items, wr, t.err,
	                                        sizeof(t.err)), CP_OK);
	assert_int_equal(cpc_weights_resolve_at(&t.h, c, CRITIC, bycol, 3, 3,
	                                        1, 3, NULL, cost, items, wc,
	                                        t.err, sizeof(t.err)), CP_OK);
	for (int j = 0; j < 3; j++)
		assert_true(wr[j] == wc[j]);
	assert_string_equal(t.ctx.notes[0].value,
	                    "critic: a 0.2321, b 0.5359, c 0.2321");
	/* The value at fault is named by its row's cluster: row 1 is k5. */
	const double neg[] = { 1, 2, 3, -2.5 };   /* by columns: b = 3, -2.5 */
	const uint32_t map[] = { 2, 5 };
	assert_int_equal(cpc_weights_resolve_at(&t.h, c, ENTROPY, neg, 2, 2, 1,
	                                        2, map, NULL, items, w, t.err,
	                                        sizeof(t.err)), CP_EDATA);
	assert_string_equal(t.err, "weights=entropy needs values >= 0: 'b' is "
	                    "-2.5 for cluster 'k5' (critic and stddev take "
	                    "any values)");
	host_close(&t);
	plugin_cohort_destroy(c);
}

static void test_resolve(void **st)
{
	(void)st;
	host_t t;
	host_open(&t, "a", NULL);
	plugin_cohort_t *c = cohort_of(4);
	const char *items[] = { "a", "b", "c" };
	/* The entropy example by hand, and its note. */
	const double x[] = { 0, 1, 5, 0, 1, 5, 0, 1, 5, 4, 3, 5 };
	double w[3] = { 9, 9, 9 };
	assert_int_equal(cpc_weights_resolve(&t.h, c, ENTROPY, x, 4, 3, NULL,
	                                     items, w, t.err, sizeof(t.err)),
	                 CP_OK);
	pt_assert_near(w[0], 0.905995, 1e-6);
	assert_int_equal(t.ctx.nnotes, 1);
	assert_string_equal(t.ctx.notes[0].key, "weights");
	assert_string_equal(t.ctx.notes[0].value,
	                    "entropy: a 0.9060, b 0.0940, c 0.0000");
	/* As given: w untouched, nothing noted. */
	plugin_host_notes_reset(&t.ctx);
	w[0] = 7;
	assert_int_equal(cpc_weights_resolve(&t.h, c, CPC_WEIGHTS_GIVEN, x, 4,
	                                     3, NULL, items, w, t.err,
	                                     sizeof(t.err)), CP_OK);
	assert_true(w[0] == 7);
	assert_int_equal(t.ctx.nnotes, 0);
	/* A fallback says why. */
	assert_int_equal(cpc_weights_resolve(&t.h, c, CRITIC, x, 1, 3, NULL,
	                                     items, w, t.err, sizeof(t.err)),
	                 CP_OK);
	assert_string_equal(t.ctx.notes[0].value,
	                    "critic: a 0.3333, b 0.3333, c 0.3333 (none "
	                    "varies over the 1 cluster with them all: "
	                    "equal)");
	const double single[] = { 1, 5, 2, 5, 4, 5 };
	assert_int_equal(cpc_weights_resolve(&t.h, c, CRITIC, single, 3, 2,
	                                     NULL, items, w, t.err,
	                                     sizeof(t.err)), CP_OK);
	assert_string_equal(t.ctx.notes[0].value,
	                    "critic: a 1.0000, b 0.0000 (critic gives every "
	                    "one 0: those that vary share equally)");
	/* The value at fault, named. */
	const double neg[] = { 1, 2, 3, -2.5 };
	assert_int_equal(cpc_weights_resolve(&t.h, c, ENTROPY, neg, 2, 2, NULL,
	                                     items, w, t.err, sizeof(t.err)),
	                 CP_EDATA);
	assert_string_equal(t.err, "weights=entropy needs values >= 0: 'b' is "
	                    "-2.5 for cluster 'k1' (critic and stddev take "
	                    "any values)");
	assert_int_equal(cpc_weights_resolve(&t.h, c, ENTROPY, neg, 2, 0, NULL,
	                                     items, w, t.err, sizeof(t.err)),
	                 CP_EPARAM);
	assert_non_null(strstr(t.err, "cannot be computed"));
	/* A note the host refuses fails the call: here, outside score(). */
	t.ctx.scoring = 0;
	assert_int_equal(cpc_weights_resolve(&t.h, c, STDDEV, x, 4, 3, NULL,
	                                     items, w, t.err, sizeof(t.err)),
	                 CP_EFAIL);
	assert_string_equal(t.err, "cannot record the weights in the run: "
	                    "CP_EFAIL");
	t.ctx.scoring = 1;
	/* A server before SDK 2.1: the weights, unrecorded. */
	plugin_host_notes_reset(&t.ctx);
	t.h.struct_size = offsetof(cp_host_t, run_note);
	assert_int_equal(cpc_weights_resolve(&t.h, c, ENTROPY, x, 4, 3, NULL,
	                                     items, w, t.err, sizeof(t.err)),
	                 CP_OK);
	pt_assert_near(w[0], 0.905995, 1e-6);
	assert_int_equal(t.ctx.nnotes, 0);
	t.h.struct_size = sizeof(cp_host_t);
	host_close(&t);
	plugin_cohort_destroy(c);
}

/* 64 long names do not fit in a note: whole names up to the limit, then
 * how many more. */
static void test_resolve_long(void **st)
{
	(void)st;
	host_t t;
	host_open(&t, "a", NULL);
	plugin_cohort_t *c = cohort_of(2);
	enum { N = CPC_WEIGHTS_MAX };
	char names[N][40];
	const char *items[N];
	double x[2 * N], w[N];
	for (size_t j = 0; j < N; j++) {
		snprintf(names[j], sizeof(names[j]),
		         "a_rather_long_indicator_name_%02zu", j);
		items[j] = names[j];
		x[j] = 1;
		x[N + j] = 2;
	}
	assert_int_equal(cpc_weights_resolve(&t.h, c, EQUAL, x, 2, N, NULL,
	                                     items, w, t.err, sizeof(t.err)),
	                 CP_OK);
	const char *v = t.ctx.notes[0].value;
	assert_true(strlen(v) < CP_NOTE_MAX);
	assert_non_null(strstr(v, "equal: a_rather_long_indicator_name_00 "
	                          "0.0156, "));
	const char *more = strstr(v, " ... (+");
	assert_non_null(more);
	/* The last name before the mark is whole. */
	assert_true(more[-7] == ' ' && strncmp(more - 6, "0.0156", 6) == 0);
	size_t shown = 0;
	for (const char *p = v; (p = strstr(p, "_name_")); p++)
		shown++;
	char tail[32];
	snprintf(tail, sizeof(tail), " ... (+%zu more)", N - shown);
	assert_string_equal(more, tail);
	host_close(&t);
	plugin_cohort_destroy(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entropy_by_hand),
		cmocka_unit_test(test_stddev_by_hand),
		cmocka_unit_test(test_critic_by_hand),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_entropy_published),
		cmocka_unit_test(test_critic_published),
		cmocka_unit_test(test_stddev_published),
		cmocka_unit_test(test_degenerate),
		cmocka_unit_test(test_param),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_resolve_at),
		cmocka_unit_test(test_resolve_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
