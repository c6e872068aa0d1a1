/* The aggregations beyond the weighted arithmetic and geometric means:
 * weighted harmonic mean, weighted median and Copeland, as COINr defines
 * them (github.com/bluefoxr/COINr, R/aggregate.R: a_hmean, a_copeland and
 * outrankMatrix; the median as matrixStats::weightedMedian with
 * interpolate = FALSE, ties = "mean", which COINr's aggregation vignette,
 * vignettes/aggregate.Rmd, uses). engine_aggregate_cols (engine_rank.c)
 * dispatches here; docs/engine.md states the formulas.
 *
 * Thread-safety: pure functions over caller memory. */
#include "engine_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cd_error.h"
#include "engine_def.h"

/* Two sums of weights that agree to 12 digits are equal: the weights are
 * rounded shares of the defined ones (1/3 + 1/6 need not be 1/2 exactly),
 * and a tie must not depend on the order they were added in. */
#define AGG_TIE_EPS 1e-12

static int near_eq(double a, double b, double scale)
{
	return fabs(a - b) <= AGG_TIE_EPS * scale;
}

/* ---------------------------------------------------------- harmonic */

/* Σw / Σ(w / v) of one cluster, on values scaled by 2^-e, e the exponent
 * of the smallest magnitude: every |w / u| is then at most 2w, so the sum
 * neither overflows (a subnormal v) nor loses the bits of subnormal terms
 * (v near DBL_MAX). Values of one sign keep the mean between their
 * smallest and largest, where it lies; mixed signs have no such bound. */
static double harm_one(const double *const *cols, const double *w,
                       size_t ncol, uint32_t p)
{
	double lo = INFINITY, hi = -INFINITY, small = INFINITY, ws = 0, t = 0;
	for (size_t k = 0; k < ncol; k++) {
		if (w[k] == 0)
			continue;
		double v = cols[k][p];
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
		small = fabs(v) < small ? fabs(v) : small;
		ws += w[k];
	}
	int e = 0;
	if (small > 0 && isfinite(small))
		(void)frexp(small, &e);
	for (size_t k = 0; k < ncol; k++)
		if (w[k] != 0)
			t += w[k] / ldexp(cols[k][p], -e);
	double s = ldexp(ws / t, e);
	if (isfinite(s) && (lo > 0 || hi < 0))
		s = s < lo ? lo : s > hi ? hi : s;
	return s;
}

int engine_agg_harmonic(const double *const *cols, const double *w,
                        size_t ncol, const uint32_t *R, size_t nR,
                        double *score, char *err, size_t errlen)
{
	size_t last = ncol;
	double ws = 0;
	for (size_t k = 0; k < ncol; k++)
		if (w[k] != 0) {
			last = k;
			ws += w[k];
		}
	for (size_t i = 0; i < nR; i++)
		score[R[i]] = 0.0;
	/* Column by column, as the arithmetic mean: the reciprocal sum. */
	for (size_t k = 0; k < ncol; k++) {
		const double *v = cols[k];
		double wk = w[k];
		if (wk == 0)
			continue;
		for (size_t i = 0; i < nR; i++) {
			uint32_t p = R[i];
			if (v[p] == 0)
				return cd_fail(err, errlen, CD_EPRECONDITION,
				               "AGGREGATION_WEIGHTED_HARMONIC: "
				               "column %zu, position %u: a normalised "
				               "value of 0", k, p);
			score[p] += wk / v[p];
		}
		if (k < last)
			continue;
		for (size_t i = 0; i < nR; i++) {
			uint32_t p = R[i];
			double t = score[p], s = ws / t, a = fabs(s);
			/* The plain total is off at the ends of the range:
			 * an overflowed or subnormal reciprocal sum. */
			if (!isfinite(t) || !(a <= 0x1p1000) || a < 0x1p-960)
				s = harm_one(cols, w, ncol, p);
			score[p] = s;
		}
	}
	return CD_OK;
}

/* ------------------------------------------------------------ median */

typedef struct vw {
	double v, w;
} vw_t;

/* The weighted median of one cluster: the value x_k with the weight of
 * the values below it and the weight of those above each at most half of
 * the total; when two values qualify (an exact half split), their mean. */
static double median_one(const double *const *cols, const double *w,
                         size_t ncol, uint32_t p, vw_t *a)
{
	size_t n = 0;
	double tot = 0;
	for (size_t k = 0; k < ncol; k++) {
		if (w[k] == 0)
			continue;
		vw_t x = { cols[k][p], w[k] };
		size_t j = n++;
		/* Insertion sort: at most ENGINE_MAX_CRITERIA values. */
		while (j > 0 && a[j - 1].v > x.v) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = x;
		tot += x.w;
	}
	double half = tot / 2, below = 0, got = 0;
	int found = 0;
	for (size_t i = 0; i < n;) {
		/* Equal values are one value with their weights summed. */
		size_t j = i;
		double wv = 0;
		while (j < n && a[j].v == a[i].v)
			wv += a[j++].w;
		double above = tot - below - wv;
		int ok = (below <= half || near_eq(below, half, tot)) &&
		         (above <= half || near_eq(above, half, tot));
		if (ok && !found) {
			got = a[i].v;
			found = 1;
		} else if (ok) {
			double x = got, y = a[i].v;
			/* The mean without overflow at ±DBL_MAX. */
			got = (x < 0) == (y < 0) ? x + (y - x) / 2 : (x + y) / 2;
			break;
		} else if (found) {
			break;
		}
		below += wv;
		i = j;
	}
	return got;
}

int engine_agg_median(const double *const *cols, const double *w,
                      size_t ncol, const uint32_t *R, size_t nR,
                      double *score, char *err, size_t errlen)
{
	vw_t a[ENGINE_MAX_CRITERIA];
	if (ncol > ENGINE_MAX_CRITERIA)
		return cd_fail(err, errlen, CD_EINVAL, "AGGREGATION_MEDIAN: at "
		               "most %d criteria", ENGINE_MAX_CRITERIA);
	for (size_t i = 0; i < nR; i++)
		score[R[i]] = median_one(cols, w, ncol, R[i], a);
	return CD_OK;
}

/* ---------------------------------------------------------- Copeland */

int engine_agg_copeland(const double *const *cols, const double *w,
                        size_t ncol, const uint32_t *R, size_t nR,
                        double *score, char *err, size_t errlen)
{
	if (nR > ENGINE_COPELAND_MAX)
		return cd_fail(err, errlen, CD_ELIMIT, "AGGREGATION_COPELAND "
		               "compares every pair of ranked candidates: %zu "
		               "candidates are more than the %u it takes (its "
		               "cost grows with their square); narrow the round "
		               "with eligibility filters or an earlier round",
		               nR, (unsigned)ENGINE_COPELAND_MAX);
	size_t kk = 0;
	double wk[ENGINE_MAX_CRITERIA], tot = 0;
	const double *ck[ENGINE_MAX_CRITERIA];
	for (size_t k = 0; k < ncol && kk < ENGINE_MAX_CRITERIA; k++)
		if (w[k] != 0) {
			wk[kk] = w[k];
			ck[kk++] = cols[k];
			tot += w[k];
		}
	/* Row-major copy: the pair loop reads two rows, not 2k columns. */
	double *x = malloc((nR ? nR : 1) * (kk ? kk : 1) * sizeof(*x));
	if (!x)
		return cd_fail(err, errlen, CD_ENOMEM, "AGGREGATION_COPELAND: out "
		               "of memory");
	for (size_t i = 0; i < nR; i++) {
		score[R[i]] = 0.0;
		for (size_t k = 0; k < kk; k++)
			x[i * kk + k] = ck[k][R[i]];
	}
	/* outrankMatrix: o(i, j) = Σ w [x_i > x_j] + ½ Σ w [x_i = x_j], and
	 * o(j, i) = 1 - o(i, j); Copeland counts +1 where o > ½, -1 where
	 * o < ½. o(i, j) - ½ = (win - loss) / 2, so compare win and loss. */
	for (size_t i = 0; i < nR; i++) {
		const double *a = x + i * kk;
		double si = 0;
		for (size_t j = i + 1; j < nR; j++) {
			const double *b = x + j * kk;
			double win = 0, loss = 0;
			for (size_t k = 0; k < kk; k++) {
				if (a[k] > b[k])
					win += wk[k];
				else if (a[k] < b[k])
					loss += wk[k];
			}
			if (near_eq(win, loss, tot))
				continue;
			double d = win > loss ? 1.0 : -1.0;
			si += d;
			score[R[j]] -= d;
		}
		score[R[i]] += si;
	}
	free(x);
	return CD_OK;
}
