/*
 * Tests of jdg_irr: hand-computed values (arithmetic in the comments) and
 * published worked examples (cited at each test).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cd_error.h"
#include "jdg_irr.h"

#define NA NAN
#define EPS 1e-12

static void near(double got, double want, double eps)
{
	if (!(fabs(got - want) <= eps))
		fail_msg("got %.17g, want %.17g (eps %g)", got, want, eps);
}

/* Rounds x to d decimals, as a published table does. */
static double rnd(double x, int d)
{
	double p = pow(10.0, d);
	return round(x * p) / p;
}

static jdg_irr_result_t *run(const double *m, size_t n, size_t k)
{
	jdg_irr_result_t *r = NULL;
	char err[256] = "";
	const double *ms[1] = {m};
	int rc = jdg_irr_create(&r, ms, 1, n, k, err, sizeof err);
	if (rc != CD_OK)
		fail_msg("jdg_irr_create: %s (%s)", cd_err_name(rc), err);
	return r;
}

/* The hand matrix, 4 targets x 3 judges, no ties within a judge:
 *        J0 J1 J2
 *   T0    1  2  1
 *   T1    2  4  3
 *   T2    3  3  5
 *   T3    4  5  6                                                      */
static const double HAND[] = {1, 2, 1, 2, 4, 3, 3, 3, 5, 4, 5, 6};

static void check_hand_block(const jdg_irr_stats_t *s)
{
	/* Kendall: ranks J0 1,2,3,4; J1 (2,4,3,5) 1,3,2,4; J2 1,2,3,4.
	 * Rank sums R = 3, 7, 8, 12; m(n+1)/2 = 3*5/2 = 7.5;
	 * S = 4.5^2 + 0.5^2 + 0.5^2 + 4.5^2 = 41;
	 * W = 12 S / (m^2 (n^3 - n)) = 492 / (9 * 60) = 41/45; no ties, so
	 * the correction changes nothing. chi2 = m (n-1) W = 9 * 41/45 = 8.2,
	 * df = 3. */
	near(s->w, 41.0 / 45.0, EPS);
	near(s->w_uncorrected, 41.0 / 45.0, EPS);
	near(s->chi2, 8.2, EPS);
	near(s->df, 3.0, 0.0);
	assert_null(s->w_reason);
	/* p = Q(3/2, y), y = chi2/2 = 4.1; for 3 df the closed form is
	 * erfc(sqrt(y)) + 2 sqrt(y/pi) e^-y. */
	near(s->p, erfc(sqrt(4.1)) + 2.0 * sqrt(4.1 / M_PI) * exp(-4.1),
	     1e-13);
	assert_null(s->p_reason);
	/* ANOVA: row means 4/3, 3, 11/3, 5; grand mean 39/12 = 13/4; column
	 * means 2.5, 3.5, 3.75.
	 * SSR = 3 * [(-23/12)^2 + (-3/12)^2 + (5/12)^2 + (21/12)^2]
	 *     = 3 * 1004/144 = 251/12;            MSR = SSR/3 = 251/36.
	 * SSC = 4 * (0.75^2 + 0.25^2 + 0.5^2) = 3.5;  MSC = 3.5/2 = 7/4.
	 * SST = sum x^2 - 12 gm^2 = 155 - 126.75 = 28.25;
	 * SSE = 28.25 - 251/12 - 3.5 = 23/6;      MSE = (23/6)/6 = 23/36.
	 * ICC(2,1) = (MSR - MSE) / (MSR + 2 MSE + 3 (MSC - MSE)/4)
	 *          = (228/36) / ((251 + 46 + 30)/36) = 228/327 = 76/109.
	 * ICC(2,3) = (MSR - MSE) / (MSR + (MSC - MSE)/4)
	 *          = 228 / (251 + 10) = 76/87. */
	near(s->msr, 251.0 / 36.0, EPS);
	near(s->msc, 7.0 / 4.0, EPS);
	near(s->mse, 23.0 / 36.0, EPS);
	near(s->icc21, 76.0 / 109.0, EPS);
	near(s->icc2k, 76.0 / 87.0, EPS);
	assert_null(s->anova_reason);
	assert_null(s->icc21_reason);
	assert_null(s->icc2k_reason);
}

static void test_hand(void **state)
{
	(void)state;
	jdg_irr_result_t *r = run(HAND, 4, 3);
	const jdg_irr_stats_t *s = &r->criteria[0];
	assert_int_equal(s->n_cells, 12);
	assert_int_equal(s->n_active, 3);
	assert_int_equal(s->n_complete, 4);
	check_hand_block(s);
	/* J1: scores a = 2,4,3,5; others' means b = (1+1)/2, (2+3)/2,
	 * (3+5)/2, (4+6)/2 = 1, 2.5, 4, 5.
	 * Leniency = mean(a - b) = (1 + 1.5 - 1 + 0)/4 = 0.375.
	 * Spread: mean 3.5, SS = 2.25+0.25+0.25+2.25 = 5, SD = sqrt(5/3).
	 * Pearson: da = -1.5,.5,-.5,1.5; db = -2.125,-.625,.875,1.875;
	 * Sab = 3.1875 - .3125 - .4375 + 2.8125 = 5.25; Saa = 5;
	 * Sbb = 4.515625+.390625+.765625+3.515625 = 9.1875;
	 * r = 5.25 / sqrt(45.9375).
	 * Spearman: ranks a 1,3,2,4, b 1,2,3,4: sum d^2 = 2,
	 * rho = 1 - 6*2/(4*15) = 0.8. */
	const jdg_irr_judge_t *j = &s->judges[1];
	assert_int_equal(j->n_rated, 4);
	assert_int_equal(j->n_compared, 4);
	near(j->leniency, 0.375, EPS);
	near(j->spread, sqrt(5.0 / 3.0), EPS);
	near(j->pearson, 5.25 / sqrt(45.9375), EPS);
	near(j->spearman, 0.8, EPS);
	assert_int_equal(j->flags, 0);
	/* One criterion: overall is the same matrix. */
	check_hand_block(&r->overall);
	near(r->overall.judges[1].leniency, 0.375, EPS);
	jdg_irr_destroy(r);
}

/* Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in
 * assessing rater reliability. Psychological Bulletin 86(2), 420-428:
 * Table 2's data (6 targets x 4 judges), for which the paper gives
 * ICC(2,1) = .29 and ICC(2,4) = .62 from the mean squares BMS = 11.24,
 * JMS = 32.49, EMS = 1.02. Exact values from the data (rational
 * arithmetic):
 * MSR = 1349/120, MSC = 2339/72, MSE = 367/360, ICC(2,1) = 184/635
 * = 0.28976..., ICC(2,4) = 736/1187 = 0.62005.... */
static const double SF[] = {9, 2, 5, 8, 6, 1, 3, 2, 8,  4, 6, 8,
                            7, 1, 2, 6, 10, 5, 6, 9, 6, 2, 4, 7};

static void test_shrout_fleiss(void **state)
{
	(void)state;
	jdg_irr_result_t *r = run(SF, 6, 4);
	const jdg_irr_stats_t *s = &r->criteria[0];
	near(s->msr, 1349.0 / 120.0, EPS);
	near(s->msc, 2339.0 / 72.0, EPS);
	near(s->mse, 367.0 / 360.0, EPS);
	near(rnd(s->msr, 2), 11.24, EPS);
	near(rnd(s->msc, 2), 32.49, EPS);
	near(rnd(s->mse, 2), 1.02, EPS);
	near(s->icc21, 184.0 / 635.0, EPS);
	near(s->icc2k, 736.0 / 1187.0, EPS);
	near(rnd(s->icc21, 2), 0.29, EPS);
	near(rnd(s->icc2k, 2), 0.62, EPS);
	/* Ties: judge 1 gives 6 twice, judge 2 gives 1 and 2 twice each,
	 * judge 3 gives 6 twice, judge 4 gives 8 twice: five pairs,
	 * sum (t^3 - t) = 5 * 6 = 30. Rank sums 17, 6, 19, 7.5, 23.5, 11;
	 * m(n+1)/2 = 14; S = 9+64+25+42.25+90.25+9 = 239.5.
	 * Uncorrected W = 12 S / (16 * 210) = 2874/3360 = 479/560;
	 * corrected W = 12 S / (3360 - 4 * 30) = 2874/3240 = 479/540;
	 * chi2 = 4 * 5 * 479/540 = 17.7407..., df = 5. */
	near(s->w_uncorrected, 479.0 / 560.0, EPS);
	near(s->w, 479.0 / 540.0, EPS);
	near(s->chi2, 20.0 * 479.0 / 540.0, 1e-11);
	near(s->df, 5.0, 0.0);
	/* 5 df: Q(5/2, y) = erfc(sqrt y) + 2 sqrt(y/pi) e^-y (1 + 2y/3). */
	double y = s->chi2 / 2.0;
	near(s->p, erfc(sqrt(y)) + 2.0 * sqrt(y / M_PI) * exp(-y) *
	                               (1.0 + 2.0 * y / 3.0), 1e-13);
	jdg_irr_destroy(r);
}

/* The `anxiety` data (20 subjects x 3 raters, ratings 1..6) of the R
 * package irr (Gamer et al., "irr: Various Coefficients of Interrater
 * Reliability and Agreement", data(anxiety)), as printed in DescTools'
 * KendallW example, whose reference page
 * (andrisignorell.github.io/DescTools/reference/KendallW.html) prints
 * KendallW(anxiety, TRUE) = 0.5396569. irr's manual examples print, for
 * kendall(anxiety, TRUE): Wt = 0.54, Chisq(19) = 30.8, p-value = 0.0429;
 * for
 * icc(anxiety, model = "twoway", type = "agreement"): ICC(A,1) = 0.198.
 * Exact values from the data: Wt = 6008/11133, W (uncorrected) =
 * 3004/5985, MSR = 754/285, MSC = 289/60, MSE = 1651/1140, ICC(A,1) =
 * 455/2298, ICC(A,3) = 1365/3208. */
static void test_anxiety(void **state)
{
	(void)state;
	static const double r1[] = {3, 3, 3, 4, 5, 5, 2, 3, 5, 2,
	                            2, 6, 1, 5, 2, 2, 1, 2, 4, 3};
	static const double r2[] = {3, 6, 4, 6, 2, 4, 2, 4, 3, 3,
	                            2, 3, 3, 3, 2, 2, 1, 3, 3, 4};
	static const double r3[] = {2, 1, 4, 4, 3, 2, 1, 6, 1, 1,
	                            1, 2, 3, 3, 1, 1, 3, 3, 2, 2};
	double m[60];
	for (int i = 0; i < 20; i++) {
		m[i * 3] = r1[i];
		m[i * 3 + 1] = r2[i];
		m[i * 3 + 2] = r3[i];
	}
	jdg_irr_result_t *r = run(m, 20, 3);
	const jdg_irr_stats_t *s = &r->criteria[0];
	near(s->w, 6008.0 / 11133.0, EPS);
	near(rnd(s->w, 7), 0.5396569, EPS);
	near(rnd(s->w, 2), 0.54, EPS);
	near(rnd(s->chi2, 1), 30.8, EPS);
	near(s->df, 19.0, 0.0);
	near(rnd(s->p, 4), 0.0429, EPS);
	near(s->w_uncorrected, 3004.0 / 5985.0, EPS);
	near(s->msr, 754.0 / 285.0, EPS);
	near(s->msc, 289.0 / 60.0, EPS);
	near(s->mse, 1651.0 / 1140.0, EPS);
	near(s->icc21, 455.0 / 2298.0, EPS);
	near(rnd(s->icc21, 3), 0.198, EPS);
	near(s->icc2k, 1365.0 / 3208.0, EPS);
	jdg_irr_destroy(r);
}

/* Missing cells: the hand matrix plus a target T4 rated by J0 (7) and J2
 * (1) only, and a judge J3 who rated nothing. The complete block (every
 * active judge: J0..J2) is the hand matrix, so W and the ICCs are the
 * hand values; per-judge figures use every shared target. */
static void test_missing(void **state)
{
	(void)state;
	double m[5 * 4];
	for (int i = 0; i < 4; i++) {
		for (int j = 0; j < 3; j++)
			m[i * 4 + j] = HAND[i * 3 + j];
		m[i * 4 + 3] = NA;
	}
	m[16] = 7;
	m[17] = NA;
	m[18] = 1;
	m[19] = NA;
	jdg_irr_result_t *r = run(m, 5, 4);
	const jdg_irr_stats_t *s = &r->criteria[0];
	assert_int_equal(s->n_cells, 14);
	assert_int_equal(s->n_active, 3);
	assert_int_equal(s->n_complete, 4);
	check_hand_block(s);
	/* J0: scores 1,2,3,4,7; others' means (2+1)/2, (4+3)/2, (3+5)/2,
	 * (5+6)/2, 1 = 1.5, 3.5, 4, 5.5, 1; differences -0.5, -1.5, -1,
	 * -1.5, 6: leniency = 1.5/5 = 0.3. */
	const jdg_irr_judge_t *j0 = &s->judges[0];
	assert_int_equal(j0->n_rated, 5);
	assert_int_equal(j0->n_compared, 5);
	near(j0->leniency, 0.3, EPS);
	/* J1 did not rate T4: its figures are the hand ones. */
	near(s->judges[1].leniency, 0.375, EPS);
	assert_int_equal(s->judges[1].n_rated, 4);
	/* J3: nothing rated, every figure NaN with a reason. */
	const jdg_irr_judge_t *j3 = &s->judges[3];
	assert_int_equal(j3->n_rated, 0);
	assert_true(isnan(j3->leniency) && j3->leniency_reason);
	assert_true(isnan(j3->spread) && j3->spread_reason);
	assert_true(isnan(j3->pearson) && j3->pearson_reason);
	assert_true(isnan(j3->spearman) && j3->spearman_reason);
	assert_int_equal(j3->flags, 0);
	jdg_irr_destroy(r);
}

/* A judge who ranks against the panel is flagged. J2 gives 9, 7, 5, 6.
 * Its others' means: (1+2)/2, (2+4)/2, (3+3)/2, (4+5)/2 = 1.5, 3, 3, 4.5.
 * Pearson: da = 2.25, .25, -1.75, -.75; db = -1.5, 0, 0, 1.5;
 * Sab = -3.375 - 1.125 = -4.5; Saa = 8.75; Sbb = 4.5;
 * r = -4.5 / sqrt(39.375). Spearman: ranks a 4,3,1,2; b 1,2.5,2.5,4;
 * centred 1.5,.5,-1.5,-.5 and -1.5,0,0,1.5: -3 / sqrt(5 * 4.5).
 * Kendall: rank sums 6, 8, 6, 10 (J2 ranks 4,3,1,2), centre 7.5,
 * S = 2.25 + .25 + 2.25 + 6.25 = 11, W = 132/540 = 11/45. */
static void test_negative_judge(void **state)
{
	(void)state;
	static const double m[] = {1, 2, 9, 2, 4, 7, 3, 3, 5, 4, 5, 6};
	jdg_irr_result_t *r = run(m, 4, 3);
	const jdg_irr_stats_t *s = &r->criteria[0];
	const jdg_irr_judge_t *j2 = &s->judges[2];
	near(j2->pearson, -4.5 / sqrt(39.375), EPS);
	near(j2->spearman, -3.0 / sqrt(22.5), EPS);
	assert_int_equal(j2->flags, JDG_IRR_FLAG_NEGATIVE);
	near(s->w, 11.0 / 45.0, EPS);
	/* J0 (1,2,3,4) against (5.5, 5.5, 4, 5.5): r = -0.5... negative
	 * too; J1 (2,4,3,5) against (5, 4.5, 4, 5): da = -1.5,.5,-.5,1.5,
	 * db = .375,-.125,-.625,.375: Sab = -.5625-.0625+.3125+.5625 = .25,
	 * Saa = 5, Sbb = .6875; r = .25/sqrt(3.4375) = 0.1348...: weak. */
	near(s->judges[1].pearson, 0.25 / sqrt(3.4375), EPS);
	assert_int_equal(s->judges[1].flags, JDG_IRR_FLAG_WEAK);
	assert_int_equal(s->judges[0].flags, JDG_IRR_FLAG_NEGATIVE);
	jdg_irr_destroy(r);
}

/* Several criteria: overall cell = mean over the criteria, NaN unless
 * every criterion is rated. Criterion 0 is the hand matrix, criterion 1
 * is it plus 2 in every cell except T0/J0, missing. The overall matrix
 * is HAND + 1 except T0/J0, missing; its statistics are those of that
 * matrix passed alone. */
static void test_overall(void **state)
{
	(void)state;
	double c1[12], ov[12];
	for (int q = 0; q < 12; q++) {
		c1[q] = HAND[q] + 2;
		ov[q] = HAND[q] + 1;
	}
	c1[0] = NA;
	ov[0] = NA;
	const double *ms[2] = {HAND, c1};
	jdg_irr_result_t *r = NULL;
	char err[128];
	assert_int_equal(jdg_irr_create(&r, ms, 2, 4, 3, err, sizeof err),
	                 CD_OK);
	assert_int_equal(r->n_criteria, 2);
	check_hand_block(&r->criteria[0]);
	assert_int_equal(r->criteria[1].n_cells, 11);
	assert_int_equal(r->overall.n_cells, 11);
	assert_int_equal(r->overall.n_complete, 3);
	jdg_irr_result_t *o = run(ov, 4, 3);
	const jdg_irr_stats_t *a = &r->overall, *b = &o->criteria[0];
	near(a->w, b->w, EPS);
	near(a->icc21, b->icc21, EPS);
	near(a->icc2k, b->icc2k, EPS);
	near(a->msr, b->msr, EPS);
	for (int j = 0; j < 3; j++) {
		near(a->judges[j].leniency, b->judges[j].leniency, EPS);
		assert_int_equal(a->judges[j].n_rated, b->judges[j].n_rated);
	}
	/* Shifting every score by a constant changes neither ranks nor mean
	 * squares: criterion 1's complete block (T1..T3) equals the
	 * overall's. */
	near(r->criteria[1].w, a->w, EPS);
	near(r->criteria[1].icc21, a->icc21, EPS);
	jdg_irr_destroy(o);
	jdg_irr_destroy(r);
}

static void test_degenerate(void **state)
{
	(void)state;
	/* One target: nothing is defined but the counts. */
	static const double one[] = {1, 2, 3};
	jdg_irr_result_t *r = run(one, 1, 3);
	const jdg_irr_stats_t *s = &r->criteria[0];
	assert_true(isnan(s->w) && isnan(s->w_uncorrected) && s->w_reason);
	assert_true(isnan(s->chi2) && isnan(s->df) && isnan(s->p));
	assert_true(isnan(s->msr) && s->anova_reason);
	assert_true(isnan(s->icc21) && s->icc21_reason);
	assert_true(isnan(s->icc2k) && s->icc2k_reason);
	assert_true(isnan(s->judges[0].spread) && s->judges[0].spread_reason);
	/* J0: 1 against (2+3)/2: leniency -1.5, correlation undefined. */
	near(s->judges[0].leniency, -1.5, EPS);
	assert_true(isnan(s->judges[0].pearson));
	jdg_irr_destroy(r);

	/* One judge. */
	static const double col[] = {1, 2, 3};
	r = run(col, 3, 1);
	s = &r->criteria[0];
	assert_true(isnan(s->w) && s->w_reason);
	assert_true(isnan(s->icc21) && s->icc21_reason);
	near(s->judges[0].spread, 1.0, EPS);
	assert_true(isnan(s->judges[0].leniency) &&
	            s->judges[0].leniency_reason);
	jdg_irr_destroy(r);

	/* Every cell missing. */
	static const double none[] = {NA, NA, NA, NA};
	r = run(none, 2, 2);
	s = &r->criteria[0];
	assert_int_equal(s->n_active, 0);
	assert_int_equal(s->n_complete, 0);
	assert_true(isnan(s->w) && s->w_reason);
	jdg_irr_destroy(r);

	/* Every judge gives one score to all targets (all tied): corrected
	 * W is 0/0; uncorrected W = 0 (every rank sum is the centre). The
	 * rows are equal, so MSR = MSE = 0, MSC > 0: ICC(2,1) =
	 * 0 / (k MSC / n) = 0. */
	static const double tied[] = {1, 5, 1, 5, 1, 5};
	r = run(tied, 3, 2);
	s = &r->criteria[0];
	assert_true(isnan(s->w) && s->w_reason);
	near(s->w_uncorrected, 0.0, 0.0);
	assert_true(isnan(s->chi2) && isnan(s->p));
	near(s->df, 2.0, 0.0);
	near(s->mse, 0.0, EPS);
	near(s->icc21, 0.0, EPS);
	assert_true(isnan(s->judges[0].pearson) &&
	            s->judges[0].pearson_reason);
	jdg_irr_destroy(r);

	/* Every score the same: no mean square is away from 0. */
	static const double same[] = {0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
	r = run(same, 3, 2);
	s = &r->criteria[0];
	assert_true(s->msr == 0.0 && s->msc == 0.0 && s->mse == 0.0);
	assert_true(isnan(s->icc21) && s->icc21_reason);
	assert_true(isnan(s->icc2k) && s->icc2k_reason);
	near(s->judges[0].spread, 0.0, 0.0);
	jdg_irr_destroy(r);

	/* Scores of order 1e-170: they vary, but their squares underflow.
	 * Pearson is NaN with a reason; ranks do not underflow, so Spearman
	 * and W are those of the hand matrix (same order). */
	double tiny[12];
	for (int q = 0; q < 12; q++)
		tiny[q] = HAND[q] * 1e-170;
	r = run(tiny, 4, 3);
	s = &r->criteria[0];
	assert_true(isnan(s->judges[1].pearson) &&
	            s->judges[1].pearson_reason);
	near(s->judges[1].spearman, 0.8, EPS);
	assert_int_equal(s->judges[1].flags, 0);
	near(s->w, 41.0 / 45.0, EPS);
	jdg_irr_destroy(r);

	/* 2 x 2 with only error variance: [[0,1],[1,0]]. Row and column
	 * means 0.5: MSR = MSC = 0, SSE = 4 * 0.25 = 1, MSE = 1.
	 * ICC(2,1) denominator 0 + 1 + 2 (0 - 1)/2 = 0; ICC(2,2)
	 * denominator 0 + (0 - 1)/2 < 0: both NaN. */
	static const double x[] = {0, 1, 1, 0};
	r = run(x, 2, 2);
	s = &r->criteria[0];
	near(s->mse, 1.0, EPS);
	assert_true(isnan(s->icc21) && s->icc21_reason);
	assert_true(isnan(s->icc2k) && s->icc2k_reason);
	jdg_irr_destroy(r);
}

static void expect_fail(int want, const double *const *ms, size_t c,
                        size_t n, size_t k)
{
	jdg_irr_result_t *r = (jdg_irr_result_t *)&r; /* not NULL */
	char err[256] = "";
	assert_int_equal(jdg_irr_create(&r, ms, c, n, k, err, sizeof err),
	                 want);
	assert_null(r);
	assert_true(err[0] != '\0');
}

static void test_errors(void **state)
{
	(void)state;
	static const double m[] = {1, 2, 3, 4};
	const double *ms[1] = {m};
	char err[64];
	assert_int_equal(jdg_irr_create(NULL, ms, 1, 2, 2, err, sizeof err),
	                 CD_EINVAL);
	expect_fail(CD_EINVAL, NULL, 1, 2, 2);
	expect_fail(CD_EINVAL, ms, 0, 2, 2);
	expect_fail(CD_EINVAL, ms, 1, 0, 2);
	expect_fail(CD_EINVAL, ms, 1, 2, 0);
	const double *withnull[2] = {m, NULL};
	expect_fail(CD_EINVAL, withnull, 2, 2, 2);
	/* Limits are checked before any cell is read. */
	expect_fail(CD_ELIMIT, ms, JDG_IRR_MAX_CRITERIA + 1, 2, 2);
	expect_fail(CD_ELIMIT, ms, 1, JDG_IRR_MAX_TARGETS + 1, 1);
	expect_fail(CD_ELIMIT, ms, 1, 1, JDG_IRR_MAX_RATERS + 1);
	expect_fail(CD_ELIMIT, ms, 1, JDG_IRR_MAX_TARGETS,
	            JDG_IRR_MAX_RATERS);
	expect_fail(CD_ELIMIT, ms, 1, SIZE_MAX, SIZE_MAX);
	static const double inf[] = {1, INFINITY, 3, 4};
	const double *mi[1] = {inf};
	expect_fail(CD_EV_NONFINITE, mi, 1, 2, 2);
	static const double big[] = {1, 2, -2e9, 4};
	const double *mb[1] = {big};
	expect_fail(CD_EINVAL, mb, 1, 2, 2);
	/* At the bound it is accepted. */
	static const double edge[] = {1, 2, -1e9, 4};
	jdg_irr_destroy(run(edge, 2, 2));
	/* A NULL err buffer is allowed. */
	jdg_irr_result_t *r = NULL;
	assert_int_equal(jdg_irr_create(&r, mi, 1, 2, 2, NULL, 0),
	                 CD_EV_NONFINITE);
	jdg_irr_destroy(NULL);
}

/* Even df = 2m: Q(m, y) = e^-y sum_{i<m} y^i / i!. */
static double sf_even(double x, int m)
{
	double y = x / 2.0, t = 1.0, sum = 1.0;
	for (int i = 1; i < m; i++) {
		t *= y / i;
		sum += t;
	}
	return exp(-y) * sum;
}

static void rel(double got, double want, double eps)
{
	near(got, want, eps * fabs(want));
}

/* The chi-square tail against closed forms (Abramowitz & Stegun 26.4.4
 * and 26.4.5 for odd and even degrees of freedom), on both sides of the
 * series / continued-fraction switch (x/2 = df/2 + 1). */
static void test_chi2_sf(void **state)
{
	(void)state;
	static const double xs[] = {0.01, 0.5, 1, 2, 3.9, 4, 4.1, 7, 20, 60};
	for (size_t q = 0; q < sizeof xs / sizeof xs[0]; q++) {
		double x = xs[q], y = x / 2.0;
		rel(jdg_irr_chi2_sf(x, 1), erfc(sqrt(y)), 1e-12);
		rel(jdg_irr_chi2_sf(x, 2), exp(-y), 1e-12);
		rel(jdg_irr_chi2_sf(x, 3),
		    erfc(sqrt(y)) + 2.0 * sqrt(y / M_PI) * exp(-y), 1e-12);
		rel(jdg_irr_chi2_sf(x, 4), exp(-y) * (1.0 + y), 1e-12);
	}
	static const double x40[] = {10, 30, 40, 41, 42, 43, 60, 100};
	for (size_t q = 0; q < sizeof x40 / sizeof x40[0]; q++)
		rel(jdg_irr_chi2_sf(x40[q], 40), sf_even(x40[q], 20), 1e-11);
	static const double x200[] = {150, 199, 203, 250, 400};
	for (size_t q = 0; q < sizeof x200 / sizeof x200[0]; q++)
		rel(jdg_irr_chi2_sf(x200[q], 200), sf_even(x200[q], 100),
		    1e-11);
	near(jdg_irr_chi2_sf(0.0, 3), 1.0, 0.0);
	near(jdg_irr_chi2_sf(-1.0, 3), 1.0, 0.0);
	near(jdg_irr_chi2_sf(INFINITY, 3), 0.0, 0.0);
	assert_true(isnan(jdg_irr_chi2_sf(NAN, 3)));
	assert_true(isnan(jdg_irr_chi2_sf(1.0, 0)));
	assert_true(isnan(jdg_irr_chi2_sf(1.0, -2)));
	assert_true(isnan(jdg_irr_chi2_sf(1.0, NAN)));
	assert_true(isnan(jdg_irr_chi2_sf(1.0, INFINITY)));
	/* Large df (a million targets): the median of chi-square(df) is
	 * near df (1 - 2/(9 df))^3, so the tail there is about 0.5. */
	double df = 999999.0;
	double med = df * pow(1.0 - 2.0 / (9.0 * df), 3.0);
	near(jdg_irr_chi2_sf(med, df), 0.5, 1e-3);
}

/* Ties at a size where t^3 is not exact in a double (t = 300001,
 * t^3 ~ 2.7e16 > 2^53). Judge 0 ties every target; judge 1 ranks them
 * 1..N. Rank sums (N+1)/2 + i, centre N + 1, so S = sum_i (i - (N+1)/2)^2
 * = (N^3 - N)/12. Corrected: 12 S / (2 ((N^3-N) - (N^3-N)) + 2 (N^3-N))
 * = 1/2; uncorrected: 12 S / (4 (N^3 - N)) = 1/4. With judge 1 tying
 * every target too the corrected W is 0/0: NaN, exactly, not a huge
 * quotient of rounding errors. */
static void test_large_ties(void **state)
{
	(void)state;
	const size_t n = 300001;
	double *m = malloc(2 * n * sizeof *m);
	assert_non_null(m);
	for (size_t i = 0; i < n; i++) {
		m[2 * i] = 7;
		m[2 * i + 1] = (double)i;
	}
	jdg_irr_result_t *r = run(m, n, 2);
	near(r->criteria[0].w, 0.5, 1e-9);
	near(r->criteria[0].w_uncorrected, 0.25, 1e-9);
	jdg_irr_destroy(r);
	for (size_t i = 0; i < n; i++)
		m[2 * i + 1] = 3;
	r = run(m, n, 2);
	assert_true(isnan(r->criteria[0].w) && r->criteria[0].w_reason);
	near(r->criteria[0].w_uncorrected, 0.0, 0.0);
	jdg_irr_destroy(r);
	free(m);
}

/* Large offsets: a constant 1e8 added to the hand matrix changes none of
 * the statistics (the compensated sums and two-pass means keep them). */
static void test_offset(void **state)
{
	(void)state;
	double m[12];
	for (int q = 0; q < 12; q++)
		m[q] = HAND[q] + 1e8;
	jdg_irr_result_t *r = run(m, 4, 3);
	const jdg_irr_stats_t *s = &r->criteria[0];
	near(s->w, 41.0 / 45.0, EPS);
	near(s->msr, 251.0 / 36.0, 1e-7);
	near(s->mse, 23.0 / 36.0, 1e-7);
	near(s->icc21, 76.0 / 109.0, 1e-8);
	near(s->judges[1].leniency, 0.375, 1e-8);
	near(s->judges[1].spearman, 0.8, EPS);
	jdg_irr_destroy(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hand),
		cmocka_unit_test(test_shrout_fleiss),
		cmocka_unit_test(test_anxiety),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_negative_judge),
		cmocka_unit_test(test_overall),
		cmocka_unit_test(test_degenerate),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_offset),
		cmocka_unit_test(test_chi2_sf),
		cmocka_unit_test(test_large_ties),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
