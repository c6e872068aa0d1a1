/* Aggregation of normalised scores and the ranking order. */
#include "engine_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "engine_def.h"

/* Weighted arithmetic mean of one cluster's values, for the totals the
 * fast path may have got wrong (see engine_aggregate_cols): summed
 * scaled by 2^-e, e the exponent of the largest value, so partial sums
 * neither overflow nor lose the bits of subnormal products, and kept
 * between the smallest and largest value, where a mean lies (the rounded
 * weights may sum to a hair over 1, which pushes a mean of DBL_MAX values
 * past DBL_MAX). */
static double arith(const double *const *cols, size_t ncol, const double *wn,
                    uint32_t p)
{
	double lo = INFINITY, hi = -INFINITY;
	for (size_t k = 0; k < ncol; k++) {
		double v = cols[k][p];
		if (wn[k] == 0)
			continue;
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	int e = 0;
	double big = fmax(fabs(lo), fabs(hi)), s = 0;
	if (big > 0 && isfinite(big))
		(void)frexp(big, &e);
	for (size_t k = 0; k < ncol; k++)
		if (wn[k] != 0)
			s += wn[k] * ldexp(cols[k][p], -e);
	s = ldexp(s, e);
	return s < lo ? lo : s > hi ? hi : s;
}

/* Weighted geometric mean exp(Σ w ln v) of one cluster, kept between its
 * smallest and largest value as a mean must be (exp(ln DBL_MAX) rounds
 * to 1.79769313486227e308 or past DBL_MAX; exp(ln 2^-1074) may round to
 * 0). */
static double geom(const double *const *cols, size_t ncol, const double *wn,
                   uint32_t p)
{
	double lo = INFINITY, hi = -INFINITY, s = 0;
	for (size_t k = 0; k < ncol; k++) {
		if (wn[k] == 0)
			continue;
		double v = cols[k][p];
		if (!(v > 0))
			return 0.0;
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
		s += wn[k] * log(v);
	}
	s = exp(s);
	return s < lo ? lo : s > hi ? hi : s;
}

/* The plain total is off only at the ends of the range: an overflow,
 * subnormal terms, an exp that rounds past the values or to 0. */
static inline int extreme(double s, double tiny)
{
	double a = fabs(s);
	return !(a <= 0x1p1000) || a < tiny;
}

int engine_aggregate_cols(int agg, const double *const *cols, const double *w,
                          size_t ncol, const uint32_t *R, size_t nR,
                          double *score, char *err, size_t errlen)
{
	int geo = agg == CLUSTERS__V1__AGGREGATION__AGGREGATION_WEIGHTED_GEOMETRIC;
	if (agg != CLUSTERS__V1__AGGREGATION__AGGREGATION_UNSPECIFIED &&
	    agg != CLUSTERS__V1__AGGREGATION__AGGREGATION_WEIGHTED_ARITHMETIC &&
	    !geo)
		return cd_fail(err, errlen, CD_EINVAL, "aggregation: unknown "
		               "value %d", agg);
	size_t last = ncol;
	for (size_t k = 0; k < ncol; k++)
		if (w[k] != 0)
			last = k;
	for (size_t i = 0; i < nR; i++)
		score[R[i]] = 0.0;
	/* Column by column: sequential reads of each column, and
	 * independent updates (R is in rank order in sensitivity samples,
	 * where a cluster-by-cluster loop is twice as slow). The last
	 * column finishes each total and hands the extreme ones to
	 * arith/geom, which compute that cluster alone, scaled and within
	 * its values. */
	for (size_t k = 0; k < ncol; k++) {
		const double *v = cols[k];
		double wk = w[k];
		if (wk == 0)
			continue;
		if (!geo) {
			if (k < last) {
				for (size_t i = 0; i < nR; i++)
					score[R[i]] += wk * v[R[i]];
				continue;
			}
			for (size_t i = 0; i < nR; i++) {
				uint32_t p = R[i];
				double s = score[p] + wk * v[p];
				score[p] = extreme(s, 0x1p-960)
				           ? arith(cols, ncol, w, p) : s;
			}
			continue;
		}
		/* Geometric: exp(sum w ln v); a non-positive factor makes it
		 * 0. */
		if (k < last) {
			for (size_t i = 0; i < nR; i++) {
				uint32_t p = R[i];
				if (score[p] == -INFINITY)
					continue;
				score[p] = v[p] > 0 ? score[p] + wk * log(v[p])
				                    : -INFINITY;
			}
			continue;
		}
		for (size_t i = 0; i < nR; i++) {
			uint32_t p = R[i];
			double s = score[p];
			if (s == -INFINITY || !(v[p] > 0)) {
				score[p] = 0.0;
				continue;
			}
			s = exp(s + wk * log(v[p]));
			score[p] = extreme(s, 0x1p-1000)
			           ? geom(cols, ncol, w, p) : s;
		}
	}
	return CD_OK;
}

int engine_aggregate(const engine_round_res_t *rr, const double *wn,
                     const uint32_t *R, size_t nR, double *score)
{
	const double *cols[ENGINE_MAX_CRITERIA];
	for (size_t k = 0; k < rr->ncrit; k++)
		cols[k] = rr->norm + k * rr->n;
	char err[128];
	return engine_aggregate_cols((int)rr->def->aggregation, cols, wn,
	                             rr->ncrit, R, nR, score, err, sizeof(err));
}

int engine_base_order(const engine_round_res_t *rr, const engine_cohort_t *c,
                      uint32_t *R, size_t nR, engine_sorter_t *s)
{
	int rc = CD_OK;
	/* Positions ascend with cohort index, which is id order when the
	 * cohort was filled in id order. */
	if (!c->ids_sorted)
		rc = engine_sort_ids(R, nR, c, rr->member);
	const Clusters__V1__Round *rd = rr->def;
	for (size_t t = rd->n_tie_break; t-- > 0 && !rc;) {
		size_t k = 0;
		while (k < rr->ncrit && strcmp(rd->criteria[k]->id, rd->tie_break[t]))
			k++;
		if (k < rr->ncrit)
			rc = engine_sort_desc(s, R, nR, rr->norm + k * rr->n);
	}
	return rc;
}

void engine_assign_ranks(const uint32_t *order, size_t n, const double *score,
                         int shared, uint32_t *rank)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t p = order[i];
		if (shared && i > 0 && score[p] == score[order[i - 1]])
			rank[p] = rank[order[i - 1]];
		else
			rank[p] = (uint32_t)(i + 1);
	}
}
