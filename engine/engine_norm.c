/* Normalisation of one criterion's raw scores over a round's ranked
 * candidates. Statistics use the scored values only; docs/engine.md states
 * each formula and its degenerate cases.
 *
 * Range: raw scores are any finite doubles, up to ±DBL_MAX and down to
 * subnormals, so a difference (max - min, x - lower) or a sum (Σx, Σ(x -
 * mean)²) of them may overflow or underflow. Every formula here is a ratio
 * that does not change when all its inputs are multiplied by the same
 * factor, so each is computed on x·2^-e, e the binary exponent of the
 * largest magnitude involved: the scaled values lie in (-1, 1), where no
 * difference, sum of m values or square overflows or loses precision to
 * underflow. Scaling by a power of two is exact for every value that stays
 * normal, so wherever the unscaled formula did not overflow or underflow
 * the scaled one gives the same doubles. Sums are compensated (Neumaier),
 * so a cancellation such as 1 + 1e308 - 1e308 keeps the 1.
 *
 * DISTANCE_TO_MAX, DISTANCE_TO_TARGET and PERCENTILE_RANK follow COINr
 * (github.com/bluefoxr/COINr, R/normalise.R: n_dist2max, n_dist2targ,
 * n_prank) on the engine's 0..100 scale. */
#include "engine_internal.h"

#include <math.h>
#include <stdlib.h>

#include "cd_error.h"

#define NORM(x) CLUSTERS__V1__NORMALIZATION__NORMALIZATION_##x

/* x·2^-e: one exact multiplication when 2^-e is a normal double. */
typedef struct scale {
	int e;
	double f;               /* 2^-e, or 0 when it is not normal */
} scale_t;

static scale_t scale_for(double maxabs)
{
	scale_t s = { 0, 1.0 };
	if (maxabs > 0 && isfinite(maxabs))
		(void)frexp(maxabs, &s.e);      /* maxabs = f 2^e, f in [0.5, 1) */
	s.f = s.e > -1000 && s.e < 1000 ? ldexp(1.0, -s.e) : 0.0;
	return s;
}

static inline double sc(scale_t s, double x)
{
	return s.f != 0 ? x * s.f : ldexp(x, -s.e);
}

/* RANK: competition rank r = 1 + values strictly above, 100 (m - r) /
 * (m - 1), ties sharing the better rank; m = 1: 100.
 * PERCENTILE_RANK (pct): COINr n_prank with ties.method "min", ranks
 * ascending, r = 1 + values strictly below, 100 (r - 1) / (m - 1), ties
 * sharing the lower percentile; all equal (m = 1 too): 0. */
static int rank_norm(const double *raw, double *norm, const uint32_t *R,
                     size_t nR, int pct, engine_sorter_t *s)
{
	uint32_t *v = malloc((nR ? nR : 1) * sizeof(*v));
	if (!v)
		return CD_ENOMEM;
	size_t m = 0;
	for (size_t i = 0; i < nR; i++)
		if (!isnan(raw[R[i]]))
			v[m++] = R[i];
	int rc = engine_sort_desc(s, v, m, raw);
	for (size_t i = 0; i < m && !rc && !pct; i++) {
		size_t r = i + 1;
		if (i > 0 && raw[v[i]] == raw[v[i - 1]]) {
			norm[v[i]] = norm[v[i - 1]];
			continue;
		}
		norm[v[i]] = m == 1 ? 100.0 : 100.0 * (double)(m - r) /
		                                  (double)(m - 1);
	}
	/* From the bottom: the values below v[i] are v[i + 1 ..). */
	for (size_t i = m; i-- > 0 && !rc && pct;) {
		if (i + 1 < m && raw[v[i]] == raw[v[i + 1]]) {
			norm[v[i]] = norm[v[i + 1]];
			continue;
		}
		norm[v[i]] = m == 1 ? 0.0 : 100.0 * (double)(m - 1 - i) /
		                                (double)(m - 1);
	}
	free(v);
	return rc;
}

/* The statistics of the scored values of R, scaled by s. */
typedef struct stats {
	size_t m;
	double min, max;        /* unscaled */
	scale_t s;
	double lo, hi;          /* min and max scaled */
	double sum;             /* Σ x·2^-e */
	double mean, sd;        /* of x·2^-e (Z_SCORE only) */
} stats_t;

static void stats(const Clusters__V1__Criterion *cr, const double *raw,
                  const uint32_t *R, size_t nR, int all, stats_t *st)
{
	st->m = 0;
	st->min = INFINITY;
	st->max = -INFINITY;
	for (size_t i = 0; i < nR; i++) {
		double x = raw[R[i]];
		if (isnan(x))
			continue;
		st->m++;
		if (x < st->min)
			st->min = x;
		if (x > st->max)
			st->max = x;
	}
	double big = st->m ? fmax(fabs(st->min), fabs(st->max)) : 0;
	if (cr->normalization == NORM(GOALPOSTS))
		big = fmax(fabs(cr->goalpost_lower), fabs(cr->goalpost_upper));
	if (cr->normalization == NORM(DISTANCE_TO_TARGET))
		big = fmax(big, fabs(cr->target));
	st->s = scale_for(big);
	st->lo = sc(st->s, st->min);
	st->hi = sc(st->s, st->max);
	st->sum = st->mean = st->sd = 0;
	int share = all || cr->normalization == NORM(SHARE);
	int z = all || cr->normalization == NORM(Z_SCORE);
	if (!st->m || (!share && !z))
		return;
	engine_ksum_t k = { 0, 0 };
	for (size_t i = 0; i < nR; i++)
		if (!isnan(raw[R[i]]))
			engine_ksum_add(&k, sc(st->s, raw[R[i]]));
	st->sum = engine_ksum_get(&k);
	/* All equal (or one value): no spread, whatever the rounding of the
	 * mean says. */
	if (!z || st->min == st->max) {
		st->mean = st->lo;
		return;
	}
	double mean = st->sum / (double)st->m;
	engine_ksum_t d = { 0, 0 }, q = { 0, 0 };
	for (size_t i = 0; i < nR; i++) {
		if (isnan(raw[R[i]]))
			continue;
		double y = sc(st->s, raw[R[i]]) - mean;
		engine_ksum_add(&d, y);
		engine_ksum_add(&q, y * y);
	}
	/* One correction step: the deviations of the rounded mean sum to
	 * m times its error. */
	double corr = engine_ksum_get(&d) / (double)st->m;
	st->mean = mean + corr;
	double var = engine_ksum_get(&q) / (double)st->m - corr * corr;
	st->sd = var > 0 ? sqrt(var) : 0;
}

static double clamp100(double y)
{
	return y < 0 ? 0 : y > 100 ? 100 : y;
}

int engine_normalize(const Clusters__V1__Criterion *cr, const double *raw,
                     double *norm, const uint32_t *R, size_t nR,
                     int zero_missing, engine_sorter_t *s,
                     engine_crit_stats_t *out)
{
	stats_t st;
	stats(cr, raw, R, nR, out != NULL, &st);
	if (out) {
		/* Unscaled, for explanations; the formulas below keep the
		 * scaled values. */
		*out = (engine_crit_stats_t){ .m = st.m };
		if (st.m) {
			out->min = st.min;
			out->max = st.max;
			out->mean = ldexp(st.mean, st.s.e);
			out->sd = ldexp(st.sd, st.s.e);
			out->sum = ldexp(st.sum, st.s.e);
		}
	}
	double glo = sc(st.s, cr->goalpost_lower);
	double ghi = sc(st.s, cr->goalpost_upper);
	double tgt = sc(st.s, cr->target);

	if (cr->normalization == NORM(RANK) ||
	    cr->normalization == NORM(PERCENTILE_RANK)) {
		int rc = rank_norm(raw, norm, R, nR,
		                   cr->normalization == NORM(PERCENTILE_RANK), s);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < nR; i++) {
		uint32_t p = R[i];
		double x = raw[p], y;
		if (isnan(x)) {
			norm[p] = zero_missing ? 0.0 : NAN;
			continue;
		}
		switch (cr->normalization) {
		case NORM(MIN_MAX):
			/* All equal: nobody is behind anybody. */
			y = st.max > st.min
			    ? clamp100(100.0 * (sc(st.s, x) - st.lo) / (st.hi - st.lo))
			    : 100.0;
			break;
		case NORM(Z_SCORE):
			y = st.sd > 0 ? (sc(st.s, x) - st.mean) / st.sd : 0.0;
			break;
		case NORM(DISTANCE_TO_MAX):
			/* COINr n_dist2max: 1 - (max - x) / (max - min). All
			 * equal: every value is the max, 100 (COINr: NaN). */
			y = st.max > st.min
			    ? clamp100(100.0 * (1.0 - (st.hi - sc(st.s, x)) /
			                              (st.hi - st.lo)))
			    : 100.0;
			break;
		case NORM(DISTANCE_TO_TARGET):
			/* COINr n_dist2targ (direction 1) with cap_max: at or
			 * past the target 100; below it min < x < target, so
			 * the divisor is positive. */
			/* (A divisor that scaling flushed to 0 means x, min
			 * and the target are equal at the scale's precision:
			 * x is at the min, 0.) */
			y = x >= cr->target ? 100.0
			    : tgt - st.lo > 0
			    ? clamp100(100.0 * (sc(st.s, x) - st.lo) / (tgt - st.lo))
			    : 0.0;
			break;
		case NORM(RANK):
		case NORM(PERCENTILE_RANK):
			y = norm[p];
			break;
		case NORM(SHARE):
			/* May overflow when the total nearly cancels (mixed
			 * signs): the caller excludes a value that is not
			 * finite. */
			y = st.sum != 0 ? 100.0 * sc(st.s, x) / st.sum : 0.0;
			break;
		case NORM(GOALPOSTS):
			y = x <= cr->goalpost_lower ? 0.0
			    : x >= cr->goalpost_upper ? 100.0
			    : clamp100(100.0 * (sc(st.s, x) - glo) / (ghi - glo));
			break;
		default:
			y = x;
		}
		norm[p] = y;
	}
	return CD_OK;
}
