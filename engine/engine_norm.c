/* Normalisation of one criterion's raw scores over a round's ranked
 * candidates. Statistics use the scored values only; docs/engine.md states
 * each formula and its degenerate cases. */
#include "engine_internal.h"

#include <math.h>
#include <stdlib.h>

#include "cd_error.h"

#define NORM(x) CLUSTERS__V1__NORMALIZATION__NORMALIZATION_##x

static int rank_norm(const double *raw, double *norm, const uint32_t *R,
                     size_t nR, engine_sorter_t *s)
{
	uint32_t *v = malloc((nR ? nR : 1) * sizeof(*v));
	if (!v)
		return CD_ENOMEM;
	size_t m = 0;
	for (size_t i = 0; i < nR; i++)
		if (!isnan(raw[R[i]]))
			v[m++] = R[i];
	int rc = engine_sort_desc(s, v, m, raw);
	/* Competition rank r = 1 + values strictly above; 100 (m - r)/(m - 1). */
	for (size_t i = 0; i < m && !rc; i++) {
		size_t r = i + 1;
		if (i > 0 && raw[v[i]] == raw[v[i - 1]]) {
			norm[v[i]] = norm[v[i - 1]];
			continue;
		}
		norm[v[i]] = m == 1 ? 100.0 : 100.0 * (double)(m - r) /
		                                  (double)(m - 1);
	}
	free(v);
	return rc;
}

int engine_normalize(const Clusters__V1__Criterion *cr, const double *raw,
                     double *norm, const uint32_t *R, size_t nR,
                     int zero_missing, engine_sorter_t *s)
{
	double min = INFINITY, max = -INFINITY, sum = 0, mean = 0, ss = 0;
	size_t m = 0;
	for (size_t i = 0; i < nR; i++) {
		double x = raw[R[i]];
		if (isnan(x))
			continue;
		m++;
		sum += x;
		if (x < min)
			min = x;
		if (x > max)
			max = x;
	}
	if (m)
		mean = sum / (double)m;
	if (cr->normalization == NORM(Z_SCORE))
		for (size_t i = 0; i < nR; i++)
			if (!isnan(raw[R[i]]))
				ss += (raw[R[i]] - mean) * (raw[R[i]] - mean);
	double sd = m ? sqrt(ss / (double)m) : 0;
	double lo = cr->goalpost_lower, hi = cr->goalpost_upper;

	if (cr->normalization == NORM(RANK)) {
		int rc = rank_norm(raw, norm, R, nR, s);
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
			y = max > min ? 100.0 * (x - min) / (max - min) : 100.0;
			break;
		case NORM(Z_SCORE):
			y = sd > 0 ? (x - mean) / sd : 0.0;
			break;
		case NORM(RANK):
			y = norm[p];
			break;
		case NORM(SHARE):
			y = sum != 0 ? 100.0 * x / sum : 0.0;
			break;
		case NORM(GOALPOSTS):
			y = 100.0 * (x - lo) / (hi - lo);
			y = y < 0 ? 0 : y > 100 ? 100 : y;
			break;
		default:
			y = x;
		}
		norm[p] = y;
	}
	return CD_OK;
}
